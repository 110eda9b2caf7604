"""Products and KMS host key groups: which host keys sit on which OS and activate what.

Products are named by short tokens ("WS2022", "W11", "Office2021"). A host key group says on which
OS tokens it can be installed and which tokens it activates: this is kms-facts §4.2's table (and
§4.3 for Office) written as data, so the activation rules read as set membership. The editions a
lab machine can run are in images.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kmslab.model.errors import HResult

WINDOWS_APP_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"  # slmgr.vbs WindowsAppId (§2.8)
OFFICE_APP_ID = "0ff1ce15-a989-479d-af46-f275c6370663"  # §2.8, UNCONFIRMED by Microsoft
# Office 2010 (Office 14, in OSPP on the clients; ospp.py): §2.8, UNCONFIRMED by Microsoft.
OFFICE_2010_APP_ID = "59a52881-a989-479d-af46-f275c6370663"
OFFICE_APP_IDS = (OFFICE_APP_ID, OFFICE_2010_APP_ID)


class Kind(StrEnum):
    """What KMS counts a product as: the thresholds differ (§4.4)."""

    CLIENT = "client"
    SERVER = "server"
    OFFICE = "office"


# token -> (kind, generation). The generation orders releases; it decides whether a host key is
# too new for an OS (0xC004F015) or the OS is simply the wrong one for it (0xC004F050).
# The Windows Vista / 7 / Server 2008 / 2008 R2 generations are split by their 2009 product key
# group (kms-facts §4.1; TechNet ff793412 Table 1): what a host key of that era activates depends
# on the edition's group, not only on the version. A: Web, HPC, Compute Cluster; B: Standard and
# Enterprise (with or without Hyper-V); C: Datacenter and Itanium. Client VL is the lowest group.
PRODUCTS: dict[str, tuple[Kind, int]] = {
    "WS2008-A": (Kind.SERVER, 1),
    "WS2008-B": (Kind.SERVER, 1),
    "WS2008-C": (Kind.SERVER, 1),
    "WS2008R2-A": (Kind.SERVER, 2),
    "WS2008R2-B": (Kind.SERVER, 2),
    "WS2008R2-C": (Kind.SERVER, 2),
    "WS2012": (Kind.SERVER, 3),
    "WS2012R2": (Kind.SERVER, 4),
    "WS2016": (Kind.SERVER, 5),
    "WS-SAC": (Kind.SERVER, 6),
    "WS2019": (Kind.SERVER, 6),
    "WS2022": (Kind.SERVER, 7),
    "WS2025": (Kind.SERVER, 9),
    "Vista": (Kind.CLIENT, 1),
    "W7": (Kind.CLIENT, 2),
    "W8.1": (Kind.CLIENT, 4),
    "W10": (Kind.CLIENT, 5),
    "W10-LTSB2015": (Kind.CLIENT, 5),
    "W10-LTSB2016": (Kind.CLIENT, 5),
    "W10-LTSC2019": (Kind.CLIENT, 6),
    "W10-LTSC2021": (Kind.CLIENT, 7),
    "W11": (Kind.CLIENT, 8),
    "W11-LTSC2024": (Kind.CLIENT, 9),
    "Office2010": (Kind.OFFICE, 1),
    "Office2013": (Kind.OFFICE, 2),
    "Office2016": (Kind.OFFICE, 2),
    "Office2019": (Kind.OFFICE, 4),
    "Office2021": (Kind.OFFICE, 7),
    "Office2024": (Kind.OFFICE, 9),
}

_WS2008 = frozenset({"WS2008-A", "WS2008-B", "WS2008-C"})
_WS2008R2 = frozenset({"WS2008R2-A", "WS2008R2-B", "WS2008R2-C"})
_SERVERS_TO_2016 = _WS2008 | _WS2008R2 | {"WS2012", "WS2012R2", "WS2016", "WS-SAC"}
_SERVERS_TO_2019 = _SERVERS_TO_2016 | {"WS2019"}
_SERVERS_TO_2022 = _SERVERS_TO_2019 | {"WS2022"}
_SERVERS_TO_2025 = _SERVERS_TO_2022 | {"WS2025"}
_OLD_CLIENTS = frozenset({"W7", "W8.1"})
# What each 2009 group covers in its own generation and the one before (§4.1).
_CLIENT_VL_2009 = frozenset({"W7", "Vista"})
_GROUP_A = frozenset({"WS2008R2-A", "WS2008-A"})
_GROUP_B = _GROUP_A | {"WS2008R2-B", "WS2008-B"}
_GROUP_C = _GROUP_B | {"WS2008R2-C", "WS2008-C"}
_W10_TO_2016 = frozenset({"W10", "W10-LTSB2015", "W10-LTSB2016"})
_W10_ALL = _W10_TO_2016 | {"W10-LTSC2019", "W10-LTSC2021"}
_WIN10_AND_LATER = _W10_ALL | {"W11", "W11-LTSC2024"}


@dataclass(frozen=True)
class HostUpdate:
    """An update an older OS needs before it can carry a newer group's host key.

    Without it the OS's license store has no row for that key, and InstallProductKey fails with
    ``missing`` (the update's documented error)."""

    kb: str
    hosts: frozenset[str]  # the OS tokens that need it
    missing: int  # the HRESULT of InstallProductKey without it


# KB968912 ("extends support for KMS to provide activation for Windows 7 and for Windows Server
# 2008 R2" on a Windows Server 2008 KMS host): without it a Windows 7 / 2008 R2 host key is
# refused with 0xC004F050, "The Software Licensing service reported that the product key is
# invalid" (the KB's note, in a public copy: itsvista.com/tag/kms; kms-facts §2.7 lists the cause
# "the KMS host is missing the update for newer clients" under 0xC004F050). That Windows Vista
# takes the same update is a lab assumption (UNCONFIRMED): the issue names only Server 2008.
KB968912 = HostUpdate("KB968912", frozenset({"Vista"}) | _WS2008, HResult.SL_E_INVALID_PRODUCT_KEY)


@dataclass(frozen=True)
class HostKeyGroup:
    """One CSVLK group: where it can be installed and what it activates."""

    handle: str  # the lab's name for it, e.g. "ws2022"
    name: str  # as the reference names it
    application_id: str
    host_kind: Kind | None  # the OS kind it must sit on; None: either (Office host keys)
    generation: int
    hosts: frozenset[str]
    activates: frozenset[str]
    channel_tag: (
        str  # Description "<tag> channel"; lab-invented, cf. VOLUME_KMS_2012-R2_WIN10 (§2.8)
    )
    update: HostUpdate | None = None  # what an older OS in ``hosts`` must have installed first

    def needs_update(self, token: str, updates: frozenset[str]) -> HostUpdate | None:
        """The update an OS ``token`` with ``updates`` installed still lacks for this group."""
        update = self.update
        if update is None or token not in update.hosts or update.kb in updates:
            return None
        return update


HOST_KEY_GROUPS: dict[str, HostKeyGroup] = {
    group.handle: group
    for group in (
        # §4.2, kms-activation-planning.md. Azure Edition is excluded per image (can_host_kms).
        HostKeyGroup(
            "ws2025",
            "Volume License for Windows Server 2025",
            WINDOWS_APP_ID,
            Kind.SERVER,
            9,
            frozenset({"WS2025", "WS2022", "WS2019"}),
            _SERVERS_TO_2025 | _W10_ALL | {"W11", "W11-LTSC2024"} | _OLD_CLIENTS,
            "VOLUME_KMS_WS25",
        ),
        HostKeyGroup(
            "ws2022",
            "Volume License for Windows Server 2022",
            WINDOWS_APP_ID,
            Kind.SERVER,
            7,
            frozenset({"WS2022", "WS2019", "WS2016"}),
            _SERVERS_TO_2022 | _W10_ALL | {"W11"} | _OLD_CLIENTS,
            "VOLUME_KMS_WS22",
        ),
        HostKeyGroup(
            "ws2019",
            "Volume License for Windows Server 2019",
            WINDOWS_APP_ID,
            Kind.SERVER,
            6,
            frozenset({"WS2019", "WS2016", "WS2012R2"}),
            _SERVERS_TO_2019 | _W10_ALL | _OLD_CLIENTS,
            "VOLUME_KMS_WS19",
        ),
        HostKeyGroup(
            "ws2016",
            "Volume License for Windows Server 2016",
            WINDOWS_APP_ID,
            Kind.SERVER,
            5,
            frozenset({"WS2016", "WS2012R2", "WS2012"}),
            _SERVERS_TO_2016 | _W10_TO_2016 | _OLD_CLIENTS,
            "VOLUME_KMS_WS16",
        ),
        # "A KMS host running on a Windows client operating system can only activate computers
        # also running client operating systems" (§4.2). LTSC 2019/2021 are not in its row.
        HostKeyGroup(
            "win10",
            "Volume license for Windows 10",
            WINDOWS_APP_ID,
            Kind.CLIENT,
            5,
            frozenset({"W10", "W8.1", "W7"}),
            frozenset({"W10", "W10-LTSB2015"}) | _OLD_CLIENTS,
            "VOLUME_KMS_W10",
        ),
        # The 2009 product key groups of Windows 7 / Server 2008 R2 (kms-facts §4.1; TechNet
        # ff793412 "Choosing the KMS Key", Table 1): "a key activates its own group and every
        # group below it" (Client VL < A < B < C), and "the KMS key for the newer Windows
        # products will also activate the previous generation" (Vista / Server 2008). Which
        # 2008 R2 edition may carry which server group is not in the reference: the lab lets
        # every Server 2008 R2 (and, with KB968912, Server 2008) edition carry each (lab choice).
        HostKeyGroup(
            "ws2008r2-a",
            "Windows Server 2008 R2 Server Group A",
            WINDOWS_APP_ID,
            Kind.SERVER,
            2,
            _WS2008R2 | _WS2008,
            _GROUP_A | _CLIENT_VL_2009,
            "VOLUME_KMS_R2_A",
            KB968912,
        ),
        HostKeyGroup(
            "ws2008r2-b",
            "Windows Server 2008 R2 Server Group B",
            WINDOWS_APP_ID,
            Kind.SERVER,
            2,
            _WS2008R2 | _WS2008,
            _GROUP_B | _CLIENT_VL_2009,
            "VOLUME_KMS_R2_B",
            KB968912,
        ),
        HostKeyGroup(
            "ws2008r2-c",
            "Windows Server 2008 R2 Server Group C",
            WINDOWS_APP_ID,
            Kind.SERVER,
            2,
            _WS2008R2 | _WS2008,
            _GROUP_C | _CLIENT_VL_2009,
            "VOLUME_KMS_R2_C",
            KB968912,
        ),
        # Client VL on Windows 7: "A KMS host running on a Windows client operating system can
        # only activate computers also running client operating systems" (§4.2), as the issue
        # asks of Windows 7 hosts too. On Vista only with KB968912 (lab assumption, see above).
        HostKeyGroup(
            "win7",
            "Windows 7 Client VL",
            WINDOWS_APP_ID,
            Kind.CLIENT,
            2,
            frozenset({"W7", "Vista"}),
            _CLIENT_VL_2009,
            "VOLUME_KMS_W7",
            KB968912,
        ),
        # §4.3: one host key per Office version, minimum host OS per version.
        HostKeyGroup(
            "office2024",
            "Office LTSC 2024 KMS host",
            OFFICE_APP_ID,
            None,
            9,
            frozenset({"WS2022", "WS2025"}) | _WIN10_AND_LATER,
            frozenset({"Office2024"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
        HostKeyGroup(
            "office2021",
            "Office LTSC 2021 KMS host",
            OFFICE_APP_ID,
            None,
            7,
            frozenset({"WS2016", "WS-SAC", "WS2019", "WS2022", "WS2025"}) | _WIN10_AND_LATER,
            frozenset({"Office2021"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
        HostKeyGroup(
            "office2019",
            "Office 2019 KMS host",
            OFFICE_APP_ID,
            None,
            4,
            (_SERVERS_TO_2025 - _WS2008 - _WS2008R2) | {"W8.1"} | _WIN10_AND_LATER,
            frozenset({"Office2019"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
        HostKeyGroup(
            "office2016",
            "Office 2016 KMS host",
            OFFICE_APP_ID,
            None,
            2,
            (_SERVERS_TO_2025 - _WS2008) | _OLD_CLIENTS | _WIN10_AND_LATER,
            frozenset({"Office2016"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
        # Office 2013: "Windows 7 VL, Windows 8 VL, Windows Server 2008 R2, Windows Server 2012
        # (not Windows Server 2003)" (OFF13-METH, older-windows-office-adba §3). Later OSes are
        # not in that list: refused here (UNCONFIRMED either way).
        HostKeyGroup(
            "office2013",
            "Office 2013 KMS host",
            OFFICE_APP_ID,
            None,
            2,
            _WS2008R2 | {"W7", "WS2012"},
            frozenset({"Office2013"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES
        ),
        # Office 2010: "Windows Server 2003 (need extra patch), Windows Server 2008 R2 and
        # Windows 7" (OFF10-BLOG, §3; Server 2003 is not a lab image). Its host SKU carries Office
        # 2010's application ID, the one its clients ask with (lab choice, UNCONFIRMED).
        HostKeyGroup(
            "office2010",
            "Office 2010 KMS host",
            OFFICE_2010_APP_ID,
            None,
            1,
            _WS2008R2 | {"W7"},
            frozenset({"Office2010"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES
        ),
    )
}
