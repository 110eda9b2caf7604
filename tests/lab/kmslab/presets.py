"""Named fleet shapes for ``kmslab up --preset`` and the tests."""

from __future__ import annotations

from collections.abc import Callable

from kmslab.lab import LabShape, MachineShape
from kmslab.model.keys import KeyKind

CORP = "corp.lab.test"
BRANCH = "branch.lab.test"

# Client images and the channels they arrive with: a realistic mix of MAK, retail and OEM.
_CLIENT_MIX = (
    ("win11-pro", KeyKind.RETAIL),
    ("win11-enterprise", KeyKind.MAK),
    ("win10-pro", KeyKind.OEM),
    ("win10-enterprise", KeyKind.MAK),
    ("win11-education", KeyKind.MAK),
    ("win10-ltsc2021", KeyKind.MAK),
)
_LANGUAGES = ("en-US", "fr-FR", "de-DE", "ja-JP", "es-ES", "pt-BR")


def small() -> LabShape:
    """One KMS host candidate and three clients in one domain: quick tests."""
    return LabShape(
        machines=(
            MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
            MachineShape("pc001", "win11-pro", CORP, initial_key=KeyKind.RETAIL, language="fr-FR"),
            MachineShape("pc002", "win10-enterprise", CORP, initial_key=KeyKind.MAK),
            MachineShape("srv001", "ws2019-standard", CORP, initial_key=KeyKind.MAK),
        ),
        zones=(CORP,),
    )


def demo(clients: int = 32) -> LabShape:
    """Two KMS hosts in one domain and ``clients`` clients of mixed editions, channels and
    languages in the other: the README's demo. 28 client-OS machines, so the count crosses 25."""
    machines = [
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms2", "ws2022-datacenter", CORP, role="kms_host"),
    ]
    servers = (("ws2022-standard", KeyKind.RETAIL), ("ws2019-datacenter", KeyKind.MAK))
    for index in range(clients):
        if index % 8 == 7:
            image, channel = servers[(index // 8) % len(servers)]
            name = f"srv{index + 1:03d}"
        else:
            image, channel = _CLIENT_MIX[index % len(_CLIENT_MIX)]
            name = f"pc{index + 1:03d}"
        # The hosts live in corp and publish into branch, where the clients are (two domains).
        domain = BRANCH
        language = _LANGUAGES[index % len(_LANGUAGES)]
        machines.append(MachineShape(name, image, domain, initial_key=channel, language=language))
    return LabShape(machines=tuple(machines), zones=(CORP, BRANCH))


def scale(size: int = 1000) -> LabShape:
    """One KMS host and ``size - 1`` clients: fleet-scale runs and benchmarks."""
    machines = [MachineShape("kms1", "ws2022-standard", CORP, role="kms_host")]
    for index in range(size - 1):
        image, channel = _CLIENT_MIX[index % len(_CLIENT_MIX)]
        machines.append(MachineShape(f"pc{index + 1:04d}", image, CORP, initial_key=channel))
    return LabShape(machines=tuple(machines), zones=(CORP,))


# The seeds' own systems (issue 14): Windows 7 Professional arrives retail, Enterprise (a volume
# edition) with a MAK; the member servers one of each.
_SEEDS_CLIENTS = (
    ("win7-pro", KeyKind.RETAIL),
    ("win7-enterprise", KeyKind.MAK),
    ("win7-pro", KeyKind.MAK),
    ("win7-enterprise", KeyKind.MAK),
    ("win7-pro", KeyKind.RETAIL),
)
_SEEDS_SERVERS = (("ws2008r2-standard", KeyKind.MAK), ("ws2008r2-enterprise", KeyKind.RETAIL))
# Office 2010 on six of the Windows 7 clients, licensed through OSPP: one more than Office's
# threshold of 5 (kms-facts §4.4), so the KMS host's Office 2010 count crosses it.
SEEDS_OFFICE: dict[str, tuple[str, ...]] = {
    "pc001": ("office2010-proplus",),
    "pc002": ("office2010-proplus",),
    "pc003": ("office2010-standard",),
    "pc008": ("office2010-proplus",),
    "pc009": ("office2010-proplus",),
    "pc010": ("office2010-proplus",),
}


def seeds(clients: int = 30) -> LabShape:
    """The seeds' own systems in one domain: a Server 2008 R2 KMS host candidate (its host key
    is of Server Group B, which activates Windows 7 and Server 2008 R2 Standard / Enterprise,
    kms-facts §4.1), Windows 7 Professional and Enterprise clients and Server 2008 R2 member
    servers, arriving with MAK and retail keys. Of 30 clients, 25 run Windows 7, so the count
    crosses both thresholds (5 for servers, 25 for Windows 7; §4.4). Six Windows 7 clients run
    Office 2010 (OSPP) and the host gets the Office 2010 host key too (its pack's files from the
    lab's state directory), so the Office count crosses its threshold of 5."""
    host = MachineShape(
        "kms1", "ws2008r2-standard", CORP, role="kms_host", policy_opens_kms_port=True
    )
    machines = [host]
    for index in range(clients):
        if index % 6 == 5:
            image, channel = _SEEDS_SERVERS[(index // 6) % len(_SEEDS_SERVERS)]
            name = f"srv{index + 1:03d}"
        else:
            image, channel = _SEEDS_CLIENTS[index % len(_SEEDS_CLIENTS)]
            name = f"pc{index + 1:03d}"
        office = SEEDS_OFFICE.get(name, ())
        machines.append(
            MachineShape(
                name,
                image,
                CORP,
                initial_key=channel,
                office=office,
                office_key=KeyKind.MAK if office else None,
            )
        )
    return LabShape(
        machines=tuple(machines),
        zones=(CORP,),
        host_key_group="ws2008r2-b",
        office_host_keys=("office2010",),
    )


AD = "ad.lab.test"


def adba() -> LabShape:
    """An Active Directory forest (a real Samba AD DC, needs root) for Active Directory-Based
    Activation: a Server 2022 member that activates the forest (kms_adba_hosts), a Windows 11
    and a Windows 7 member (Windows 7 has no ADBA), and a Server 2022 machine outside the
    forest."""
    return LabShape(
        machines=(
            MachineShape("adm1", "ws2022-standard", AD, role="adba_host"),
            MachineShape("pc11", "win11-enterprise", AD, initial_key=KeyKind.MAK),
            MachineShape("pc7", "win7-enterprise", AD, initial_key=KeyKind.MAK),
            MachineShape("out1", "ws2022-standard", CORP, role="kms_host"),
        ),
        zones=(AD, CORP),
        forest=AD,
    )


def forest(outside: int = 24) -> LabShape:
    """ADBA and KMS side by side (``scripts/demo --preset forest``): in the forest, a Server 2022
    member that activates it (kms_adba_hosts) and members of every generation: Windows 10 / 11
    and Server 2022 activate from the activation object; two Windows 7 and a Server 2008 R2,
    which have no ADBA, from the KMS host. The KMS host (Server 2022) is outside the forest, with
    ``outside`` Windows 10 / 11 clients of its own domain, so that its count crosses 25 with the
    forest's Windows 7 machines (Windows 8 and later members never ask it)."""
    members = [
        MachineShape(f"ad{index + 1:02d}", image, AD, initial_key=channel)
        for index, (image, channel) in enumerate(_CLIENT_MIX)
    ]
    members += [
        MachineShape("ad07", "ws2022-standard", AD, initial_key=KeyKind.RETAIL),
        MachineShape("ad08", "win7-enterprise", AD, initial_key=KeyKind.MAK),
        MachineShape("ad09", "win7-pro", AD, initial_key=KeyKind.RETAIL),
        MachineShape("ad10", "ws2008r2-standard", AD, initial_key=KeyKind.MAK),
    ]
    corp = []
    for index in range(outside):
        image, channel = _CLIENT_MIX[index % len(_CLIENT_MIX)]
        corp.append(MachineShape(f"pc{index + 1:03d}", image, CORP, initial_key=channel))
    return LabShape(
        machines=(
            MachineShape("adm1", "ws2022-standard", AD, role="adba_host"),
            MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
            *members,
            *corp,
        ),
        zones=(AD, CORP),
        forest=AD,
    )


PRESETS: dict[str, Callable[[], LabShape]] = {
    "small": small,
    "demo": demo,
    "scale": scale,
    "seeds": seeds,
    "adba": adba,
    "forest": forest,
}
