# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Office KMS hosts: per Office release, the host SKU's activation ID and the volume license pack
that must be on the KMS host before its host key installs.

Microsoft (reference/older-windows-office-adba.md §3; kms-facts.md §4.3): "Install the Office
Volume License Pack for each Office version on the KMS host, then install and activate that
version's KMS host key"; the Office host SKUs then live in the **Windows** Software Protection
Platform of the host, each under its activation ID (``slmgr /ato <ActID>``, ``/dlv <ActID>``).
The packs' names and Download Center ids are Microsoft's (OFF-KMS); the Office 2013 activation ID
and the Office 2010 pack's name and activation ID are UNCONFIRMED (public scripts only). What a
pack's installer does with its files is not documented; ``slmgr /ilc <file>`` is
``SoftwareLicensingService.InstallLicense(License=<the file's text>)`` (SLMGR10 2829-2915), which
``kms_host_key``'s ``license_files`` does for each ``.xrm-ms`` file extracted from the pack.
"""

from __future__ import annotations

from dataclasses import dataclass

OFFICE_APP_ID = "0ff1ce15-a989-479d-af46-f275c6370663"
OFFICE_2010_APP_ID = "59a52881-a989-479d-af46-f275c6370663"


@dataclass(frozen=True)
class OfficeRelease:
    """One Office release's KMS host."""

    year: int
    name: str  # "Office LTSC 2021"
    activation_id: str  # lower case, as SoftwareLicensingProduct.ID compares (case-insensitive)
    application_id: str
    pack: str  # the Volume License Pack's name on Microsoft's Download Center
    download: str  # where to get it
    hosts: str  # the KMS host OSes Microsoft lists
    confirmed: bool  # the activation ID and pack name are in a Microsoft document

    @property
    def pack_advice(self) -> str:
        return (
            f"Install the {self.pack} ({self.download}) on the KMS host, or extract its .xrm-ms "
            "files and give them with license_files"
        )


_DOWNLOAD = "Microsoft Download Center, id"
RELEASES: dict[int, OfficeRelease] = {
    release.year: release
    for release in (
        OfficeRelease(
            2024,
            "Office LTSC 2024",
            "f3d89bbf-c0ec-47ce-a8fa-e5a5f97e447f",
            OFFICE_APP_ID,
            "Office LTSC 2024 Volume License Pack",
            f"{_DOWNLOAD} 106246",
            "Windows Server 2022 or later, Windows 10 or later (volume editions)",
            True,
        ),
        OfficeRelease(
            2021,
            "Office LTSC 2021",
            "47f3b983-7c53-4d45-abc6-bcd91e2dd90a",
            OFFICE_APP_ID,
            "Office LTSC 2021 Volume License Pack",
            f"{_DOWNLOAD} 103446",
            "Windows Server 2016 or later, Windows 10 or later (volume editions)",
            True,
        ),
        OfficeRelease(
            2019,
            "Office 2019",
            "70512334-47b4-44db-a233-be5ea33b914c",
            OFFICE_APP_ID,
            "Office 2019 Volume License Pack",
            f"{_DOWNLOAD} 57342",
            "Windows Server 2012 or later, Windows 8.1 or later (volume editions)",
            True,
        ),
        OfficeRelease(
            2016,
            "Office 2016",
            "98ebfe73-2084-4c97-932c-c0cd1643bea7",
            OFFICE_APP_ID,
            "Office 2016 Volume License Pack",
            f"{_DOWNLOAD} 49164, office2016volumelicensepack_4285-1000_en-us_x86.exe",
            "Windows Server 2008 R2 or later, Windows 7 SP1 or later (volume editions)",
            True,
        ),
        OfficeRelease(
            2013,
            "Office 2013",
            "2e28138a-847f-42bc-9752-61b03fff33cd",
            OFFICE_APP_ID,
            "Office 2013 Volume License Pack",
            f"{_DOWNLOAD} 35584",
            "Windows 7, Windows 8, Windows Server 2008 R2, Windows Server 2012 (volume editions)",
            False,
        ),
        OfficeRelease(
            2010,
            "Office 2010",
            "bfe7a195-4f8f-4f0b-a622-cf13c7d16864",
            OFFICE_2010_APP_ID,
            "Office 2010 KMS Host License Pack",
            "Microsoft Download Center, KeyManagementServiceHost.exe",
            "Windows Server 2008 R2, Windows 7 (and Windows Server 2003 with an update)",
            False,
        ),
    )
}


def release(year: int) -> OfficeRelease:
    return RELEASES[year]
