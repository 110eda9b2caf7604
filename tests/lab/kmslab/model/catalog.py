"""Products and KMS host key groups: which host keys sit on which OS and activate what.

Products are named by short tokens ("WS2022", "W11", "Office2021"). A host key group says on which
OS tokens it can be installed and which tokens it activates: this is kms-facts §4.2's table (and
§4.3 for Office) written as data, so the activation rules read as set membership. The editions a
lab machine can run are in images.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

WINDOWS_APP_ID = "55c92734-d682-4d71-983e-d6ec3f16059f"  # slmgr.vbs WindowsAppId (§2.8)
OFFICE_APP_ID = "0ff1ce15-a989-479d-af46-f275c6370663"  # §2.8, UNCONFIRMED by Microsoft


class Kind(StrEnum):
    """What KMS counts a product as: the thresholds differ (§4.4)."""

    CLIENT = "client"
    SERVER = "server"
    OFFICE = "office"


# token -> (kind, generation). The generation orders releases; it decides whether a host key is
# too new for an OS (0xC004F015) or the OS is simply the wrong one for it (0xC004F050).
PRODUCTS: dict[str, tuple[Kind, int]] = {
    "WS2008": (Kind.SERVER, 1),
    "WS2008R2": (Kind.SERVER, 2),
    "WS2012": (Kind.SERVER, 3),
    "WS2012R2": (Kind.SERVER, 4),
    "WS2016": (Kind.SERVER, 5),
    "WS-SAC": (Kind.SERVER, 6),
    "WS2019": (Kind.SERVER, 6),
    "WS2022": (Kind.SERVER, 7),
    "WS2025": (Kind.SERVER, 9),
    "W7": (Kind.CLIENT, 2),
    "W8.1": (Kind.CLIENT, 4),
    "W10": (Kind.CLIENT, 5),
    "W10-LTSB2015": (Kind.CLIENT, 5),
    "W10-LTSB2016": (Kind.CLIENT, 5),
    "W10-LTSC2019": (Kind.CLIENT, 6),
    "W10-LTSC2021": (Kind.CLIENT, 7),
    "W11": (Kind.CLIENT, 8),
    "W11-LTSC2024": (Kind.CLIENT, 9),
    "Office2016": (Kind.OFFICE, 2),
    "Office2019": (Kind.OFFICE, 4),
    "Office2021": (Kind.OFFICE, 7),
    "Office2024": (Kind.OFFICE, 9),
}

_SERVERS_TO_2016 = frozenset({"WS2008", "WS2008R2", "WS2012", "WS2012R2", "WS2016", "WS-SAC"})
_SERVERS_TO_2019 = _SERVERS_TO_2016 | {"WS2019"}
_SERVERS_TO_2022 = _SERVERS_TO_2019 | {"WS2022"}
_SERVERS_TO_2025 = _SERVERS_TO_2022 | {"WS2025"}
_OLD_CLIENTS = frozenset({"W7", "W8.1"})
_W10_TO_2016 = frozenset({"W10", "W10-LTSB2015", "W10-LTSB2016"})
_W10_ALL = _W10_TO_2016 | {"W10-LTSC2019", "W10-LTSC2021"}
_WIN10_AND_LATER = _W10_ALL | {"W11", "W11-LTSC2024"}


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
            (_SERVERS_TO_2025 - {"WS2008", "WS2008R2"}) | {"W8.1"} | _WIN10_AND_LATER,
            frozenset({"Office2019"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
        HostKeyGroup(
            "office2016",
            "Office 2016 KMS host",
            OFFICE_APP_ID,
            None,
            2,
            (_SERVERS_TO_2025 - {"WS2008"}) | _OLD_CLIENTS | _WIN10_AND_LATER,
            frozenset({"Office2016"}),
            "VOLUME_KMS",  # served from office_licenses.HOST_LICENSES (OFF-KMS)
        ),
    )
}
