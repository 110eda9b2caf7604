"""Office Volume License Packs: the license files an Office KMS host key needs first.

What Microsoft documents (older-windows-office-adba §3, kms-facts §4.3): "Install the Office Volume
License Pack for each Office version on the KMS host, then install and activate that version's KMS
host key"; the Office KMS host SKUs then live in the **Windows** SPP of the host, each under its
own activation ID (``slmgr /ato <ActID>``). What a pack's installer does with its files is
UNCONFIRMED (§3: "whether the installer uses slmgr /ilc / InstallLicense per .xrm-ms"); what
``slmgr /ilc`` does is sourced: ``SoftwareLicensingService.InstallLicense(License=<the file's
text>)`` (SLMGR10 2829-2847). A public reading of the Office LTSC 2024 pack (kmsrsos, in
office_licenses.py) found the KMS host license files (``kmshost2024vl_kms_host-*.xrm-ms``) and a
product key configuration beside them.

The lab's model of a pack, each part a lab choice where the sources stop:

* a pack holds two files: the KMS host license (it adds the host row: the SKU with the
  version's activation ID) and the product key configuration (it lets InstallProductKey decode the
  host key);
* a host key installs only when both are in; without them InstallProductKey fails with the
  variant ``office_host_key_without_pack`` (0xC004F015 "the license is not installed" by default,
  kms-facts §2.7; 0xC004F050 "invalid product key" as the other plausible answer);
* InstallLicense of text the lab does not recognise fails with E_INVALIDARG (lab choice: the
  reference names no code for a license file Windows cannot read).

The files are **fake**: lab-made XML that names what it installs. Real Windows would reject them;
real packs hold Microsoft's signed XrML, which the lab never ships. ``Lab`` writes them to its
state directory (``license-packs/<pack>/``) so playbooks can hand them to ``kms_host_key``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The marker every fake file carries; text without it is not a license the lab knows.
FAKE_NAMESPACE = "urn:volact-kms-lab:fake-license"


@dataclass(frozen=True)
class LicensePack:
    """One Office version's Volume License Pack, as Microsoft's Download Center names it."""

    group: str  # the HOST_KEY_GROUPS handle of the host key it enables, e.g. "office2016"
    title: str  # the download's name, e.g. "Office 2016 Volume License Pack"
    download: str  # where it is: Download Center id and file name where the reference has them
    source: str

    @property
    def files(self) -> tuple[str, str]:
        """The names the lab gives the pack's two fake files: license, key configuration."""
        return (f"lab-fake-{self.group}-kms-host-license.xrm-ms",
                f"lab-fake-{self.group}-pkeyconfig.xrm-ms")  # fmt: skip


PACKS: dict[str, LicensePack] = {
    pack.group: pack
    for pack in (
        LicensePack(
            "office2024",
            "Office LTSC 2024 Volume License Pack",
            "Microsoft Download Center id 106246",
            "OFF-KMS",
        ),
        LicensePack(
            "office2021",
            "Office LTSC 2021 Volume License Pack",
            "Microsoft Download Center id 103446",
            "OFF-KMS; OFF-KMS-2021",
        ),
        LicensePack(
            "office2019",
            "Office 2019 Volume License Pack",
            "Microsoft Download Center id 57342",
            "OFF-KMS",
        ),
        LicensePack(
            "office2016",
            "Office 2016 Volume License Pack",
            "Microsoft Download Center id 49164 "
            "(office2016volumelicensepack_4285-1000_en-us_x86.exe)",
            "OFF-KMS; OFF-KMS-2018",
        ),
        LicensePack(
            "office2013",
            "Office 2013 Volume License Pack",
            "Microsoft Download Center id 35584",
            "MS-ADBACLIENT (the pack's link); OFF13-METH (its hosts)",
        ),
        LicensePack(
            "office2010",
            "Office 2010 KMS Host License Pack",
            "KeyManagementServiceHost.exe",
            "UNCONFIRMED name and download (older-windows-office-adba §3); hosts: OFF10-BLOG",
        ),
    )
}

_INSTALLS = re.compile(
    r'<lab:installs\s+pack="(?P<pack>[a-z0-9]+)"\s+part="(?P<part>license|pkeyconfig)"\s*/>'
)


def fake_file_text(group: str, part: str) -> str:
    """The text of one fake file: ``part`` is "license" or "pkeyconfig"."""
    pack = PACKS[group]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        "<!-- FAKE license file made by the volact.kms lab (tests/lab). It is not a Microsoft "
        "license and holds no Microsoft data: real Windows rejects it. It stands for one file "
        f"of the {pack.title}. -->\n"
        f'<lab:license xmlns:lab="{FAKE_NAMESPACE}">\n'
        f'  <lab:installs pack="{group}" part="{part}"/>\n'
        "</lab:license>\n"
    )


def fake_files(group: str) -> dict[str, str]:
    """File name -> text for every file of the pack."""
    license_name, pkeyconfig_name = PACKS[group].files
    return {
        license_name: fake_file_text(group, "license"),
        pkeyconfig_name: fake_file_text(group, "pkeyconfig"),
    }


def recognise(text: str) -> tuple[str, str] | None:
    """(pack, part) a fake license text installs, or None for text the lab does not know."""
    if FAKE_NAMESPACE not in text:
        return None
    found = _INSTALLS.search(text)
    if found is None or found.group("pack") not in PACKS:
        return None
    return found.group("pack"), found.group("part")
