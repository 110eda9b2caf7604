"""KMS settings and where they live in the registry (kms-facts §2.2, types exactly as documented).

The WMI methods write these values; sppsvc reads them when it starts. The model keeps three views:
the registry (the truth on disk), the *configured* settings the SPP WMI properties report (updated
by each WMI call, so a read-back right after a Set sees the new value, as slmgr-ps relies on,
§1.7), and the *effective* settings the running KMS host uses (listening port, publishing,
intervals handed to clients), which change only when sppsvc starts. A value written directly to the
registry ("drift") shows nowhere until sppsvc restarts (wsman-wire §5 item 14).

Values of the wrong type are ignored on load (the default applies): the lab's answer to anchors
that wrote the ports as REG_DWORD (§2.2); what Windows does with them is unconfirmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kmslab.model.dns import normalize_name
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY, Registry, RegType

DISABLE_DNS_PUBLISHING = "DisableDnsPublishing"  # REG_DWORD
DNS_DOMAIN_PUBLISH_LIST = "DnsDomainPublishList"  # REG_MULTI_SZ
ENABLE_KMS_LOW_PRIORITY = "EnableKmsLowPriority"  # REG_DWORD
LISTENING_PORT = "KeyManagementServiceListeningPort"  # REG_SZ
KMS_NAME = "KeyManagementServiceName"  # REG_SZ (client)
KMS_PORT = "KeyManagementServicePort"  # REG_SZ (client)
VL_ACTIVATION_INTERVAL = "VLActivationInterval"  # REG_DWORD
VL_RENEWAL_INTERVAL = "VLRenewalInterval"  # REG_DWORD
LOOKUP_DOMAIN = "KeyManagementServiceLookupDomain"  # REG_SZ; name UNCONFIRMED (§2.2)
# <AppID>\<SKUID>\VLActivationType, or the machine-wide value: 0 any, 1 AD, 2 KMS, 3 token
# (kms-facts §2.2 table; wsman-wire §5; slmgr /act-type). REG_DWORD.
VL_ACTIVATION_TYPE = "VLActivationType"
BACKUP_PRODUCT_KEY = "BackupProductKeyDefault"  # REG_SZ; where the lab keeps the installed key

DEFAULT_PORT = 1688
DEFAULT_ACTIVATION_INTERVAL = 120  # minutes (§2.2)
DEFAULT_RENEWAL_INTERVAL = 10080  # minutes, 7 days (§2.2)
INTERVAL_RANGE = range(15, 43200 + 1)
PORT_RANGE = range(1, 65535 + 1)
_FIELD_RANGE = range(65536)


@dataclass(frozen=True)
class HostSettings:
    listening_port: int = DEFAULT_PORT
    activation_interval: int = DEFAULT_ACTIVATION_INTERVAL
    renewal_interval: int = DEFAULT_RENEWAL_INTERVAL
    dns_publishing: bool = True
    low_priority: bool = False
    publish_list: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientSettings:
    kms_machine: str | None = None
    kms_port: int | None = None
    lookup_domain: str | None = None
    activation_type: int | None = None  # VLActivationTypeEnabled: None (cleared) = all


@dataclass(frozen=True)
class PublishTarget:
    domain: str
    priority: int
    weight: int


def _typed(registry: Registry, path: str, name: str, kind: RegType) -> object:
    value = registry.get(HKEY_LOCAL_MACHINE, path, name)
    return value.data if value is not None and value.type is kind else None


def _port(text: object) -> int | None:
    if isinstance(text, str) and text.strip().isdigit() and int(text) in PORT_RANGE:
        return int(text)
    return None


def _interval(number: object, default: int) -> int:
    return number if isinstance(number, int) and number in INTERVAL_RANGE else default


def read_host_settings(registry: Registry, path: str = SPP_KEY) -> HostSettings:
    def dword(name: str) -> object:
        return _typed(registry, path, name, RegType.REG_DWORD)

    publish_list = _typed(registry, path, DNS_DOMAIN_PUBLISH_LIST, RegType.REG_MULTI_SZ)
    return HostSettings(
        listening_port=_port(_typed(registry, path, LISTENING_PORT, RegType.REG_SZ))
        or DEFAULT_PORT,
        activation_interval=_interval(dword(VL_ACTIVATION_INTERVAL), DEFAULT_ACTIVATION_INTERVAL),
        renewal_interval=_interval(dword(VL_RENEWAL_INTERVAL), DEFAULT_RENEWAL_INTERVAL),
        dns_publishing=not dword(DISABLE_DNS_PUBLISHING),
        low_priority=bool(dword(ENABLE_KMS_LOW_PRIORITY)),
        publish_list=tuple(publish_list) if isinstance(publish_list, tuple) else (),
    )


def read_client_settings(registry: Registry, path: str = SPP_KEY) -> ClientSettings:
    name = _typed(registry, path, KMS_NAME, RegType.REG_SZ)
    domain = _typed(registry, path, LOOKUP_DOMAIN, RegType.REG_SZ)
    return ClientSettings(
        kms_machine=name if isinstance(name, str) and name else None,
        kms_port=_port(_typed(registry, path, KMS_PORT, RegType.REG_SZ)),
        lookup_domain=domain if isinstance(domain, str) and domain else None,
    )


_ENTRY_RE = re.compile(r"^\s*([^,\s]+)\s*(?:,\s*(\d+)\s*)?(?:,\s*(\d+)\s*)?$")


def parse_publish_list(entries: tuple[str, ...]) -> tuple[list[PublishTarget], list[str]]:
    """``domain_name, <priority>, <weight>`` per entry, priority and weight optional (0 if
    omitted), §2.3. Blanks around the commas are tolerated (UNCONFIRMED on Windows); an entry
    that does not parse, or a number outside 0..65535, is returned in the second list."""
    targets: list[PublishTarget] = []
    bad: list[str] = []
    for entry in entries:
        if not entry.strip():
            continue
        match = _ENTRY_RE.match(entry)
        numbers = [int(n) if n else 0 for n in match.groups()[1:]] if match else []
        if not match or any(n not in _FIELD_RANGE for n in numbers):
            bad.append(entry)
            continue
        targets.append(PublishTarget(normalize_name(match.group(1)), numbers[0], numbers[1]))
    return targets, bad
