# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``kms_host_key`` wants and how far the machine is from it, without touching a host.

The request is checked before anything is sent; the machine's state (SoftwareLicensingProduct
rows and SoftwareLicensingService) is compared with it to give the list of changes; the facts
returned are the ``slmgr /dlv`` picture as data. Nothing here prints more of a host key than its
last group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.office import (
    LicenseFile,
    check_names,
    parse_release,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import ChannelKind
from ansible_collections.volact.kms.plugins.module_utils.licensing.editions import (
    EditionFacts,
    select_gvlk,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey, mask_key
from ansible_collections.volact.kms.plugins.module_utils.licensing.office_hosts import (
    OfficeRelease,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult, versions
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product, Service
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import (
    CLIENT_SETTINGS,
    HOST_SETTINGS,
    Setting,
)

PRESENT = "present"
ABSENT = "absent"

# Options that map to SoftwareLicensingService methods. Host caching is a client setting
# (slmgr /skhc, kms-facts.md §2.6) and takes effect at once; the others need an sppsvc restart.
SETTINGS: Mapping[str, Setting] = {**HOST_SETTINGS, "host_caching": CLIENT_SETTINGS["host_caching"]}
HOST_ONLY = tuple(name for name, setting in SETTINGS.items() if setting.host_only)

# kms-facts.md §2.2 and §1.7: ports 1-65535, intervals 15-43200 minutes; 1688 is the default port.
PORT_RANGE = (1, 65535)
INTERVAL_RANGE = (15, 43200)
RANGES: Mapping[str, tuple[int, int]] = {
    "listening_port": PORT_RANGE,
    "activation_interval": INTERVAL_RANGE,
    "renewal_interval": INTERVAL_RANGE,
}
DEFAULT_LISTENING_PORT = 1688

# slmgr /ipk writes this REG_SZ on a KMS host (wsman-wire.md §4.3; kms-facts.md §2.2: "delete if
# KMS is no longer on the machine").
VERSION_VALUE = "KeyManagementServiceVersion"

# SL_E_NOT_SUPPORTED: what the lab answers to a host-only setting on a machine that is not a KMS
# host (sppwmi only says "an error is returned"; not in the reference's list, so not in the
# catalog).
SL_E_NOT_SUPPORTED = 0xC004F016

_VLSC = "a host needs your CSVLK from the Volume Licensing Service Center"


@dataclass(frozen=True)
class HostKeyRequest:
    """The task's options, checked. ``settings`` holds only the settings the task gives."""

    state: str
    key: ProductKey | None
    activate: bool
    settings: Mapping[str, Any]
    firewall: bool | None
    restart_service: str  # auto | never | always
    # An Office KMS host key's release, and the license files to install first (host/office.py):
    # the paths as given, and the files once the controller has read them (the action plugin).
    office: OfficeRelease | None = None
    license_paths: tuple[str, ...] = ()
    license_files: tuple[LicenseFile, ...] = ()

    @property
    def host_settings(self) -> dict[str, Any]:
        return {name: value for name, value in self.settings.items() if name in HOST_ONLY}


def parse_key(text: object, field: str = "key") -> ProductKey:
    """A host key: well formed, and not one of Microsoft's published KMS client keys."""
    key = ProductKey.parse(text, field)
    published = gvlk.find_by_key(key.value)
    if published is not None:
        raise KmsInputError(
            field,
            f"the value ({key.masked}) is the published GVLK of {published.label}: a GVLK is a "
            f"KMS *client* key; {_VLSC}.",
            "Give the KMS host key (CSVLK) of your volume license agreement.",
        )
    return key


def _check_range(name: str, value: int) -> None:
    low, high = RANGES[name]
    if isinstance(value, bool):  # the argument spec lets a YAML yes/no through as an int
        raise KmsInputError(
            name, f"{value} is a yes/no value, not a number.", f"Give a value from {low} to {high}."
        )
    if not low <= value <= high:
        unit = " minutes" if name.endswith("interval") else ""
        raise KmsInputError(
            name,
            f"{value} is outside {low}-{high}{unit}.",
            f"Give a value from {low} to {high}.",
        )


def parse_request(args: Mapping[str, Any]) -> HostKeyRequest:
    """Check the task's options (already typed by the argument spec); KmsInputError if unusable."""
    state = args.get("state") or PRESENT
    raw_key = args.get("key")
    if state == PRESENT and raw_key is None:
        raise KmsInputError("key", "is required with state=present.", "Give the CSVLK.")
    key = None if raw_key is None else parse_key(raw_key)
    settings = {name: args[name] for name in SETTINGS if args.get(name) is not None}
    for name, value in settings.items():
        if name in RANGES:
            _check_range(name, value)
    if state == ABSENT:
        for name in HOST_ONLY:
            if name in settings:
                raise KmsInputError(
                    name,
                    "is a KMS host setting, and state=absent removes the host key.",
                    "Leave it out, or use state=present.",
                )
    return HostKeyRequest(
        state=state,
        key=key,
        activate=bool(args.get("activate", True)),
        settings=settings,
        firewall=args.get("firewall"),
        restart_service=str(args.get("restart_service") or "auto"),
        office=parse_release(args, state),
        license_paths=tuple(check_names(args.get("license_files") or [])),
    )


# What each option needs of the machine's Windows version (windows/versions.py): the host
# settings' methods arrive with Windows 7 / Server 2008 R2 (the intervals are on every version),
# MSFT_NetFirewallRule with Windows 8 / Server 2012.
REQUIREMENTS: Mapping[str, versions.Requirement] = {
    "listening_port": versions.LISTENING_PORT,
    "dns_publishing": versions.DNS_PUBLISHING,
    "low_priority": versions.LOW_PRIORITY,
    "host_caching": versions.HOST_CACHING,
    "firewall": versions.FIREWALL,
}


def check_version(request: HostKeyRequest, service: Service) -> None:
    """Refuse (:class:`versions.UnsupportedOption`) the first option the machine's version
    cannot honour, naming the option, the version and the first version that has it."""
    given = [name for name in request.settings if name in REQUIREMENTS]
    if request.firewall is not None:
        given.append("firewall")
    versions.require(((name, REQUIREMENTS[name]) for name in given), service.version)


# Products --------------------------------------------------------------------------------------


def is_host_product(product: Product) -> bool:
    return product.channel.kind is ChannelKind.CSVLK and not product.is_addon


def host_products(products: Iterable[Product]) -> list[Product]:
    """Products that hold a KMS host key, Windows first."""
    found = [p for p in products if p.partial_key and is_host_product(p)]
    return sorted(found, key=lambda p: not p.is_windows)


def holder(products: Iterable[Product], key: ProductKey) -> Product | None:
    """The product the key went into: the one showing its last group, a host product first."""
    found = [p for p in products if p.holds(key) and not p.is_addon]
    found.sort(key=lambda p: not is_host_product(p))
    return found[0] if found else None


def installed_host_product(products: Iterable[Product], key: ProductKey) -> Product | None:
    """The product holding ``key`` as a KMS host key: its last group and the ``Volume:CSVLK``
    channel (five characters alone could be another key).

    Not IsKeyManagementServiceMachine: no source says it turns 1 at InstallProductKey rather than
    at the next sppsvc start (kms-facts.md §2.6 only says to restart sppsvc after /ipk), so a host
    key installed but not yet started is installed all the same."""
    found = holder(products, key)
    if found is not None and is_host_product(found):
        return found
    return None


def host_role_pending(service: Service, products: Iterable[Product]) -> bool:
    """A host key is installed but the service does not report the KMS host role yet: on a
    Windows where IsKeyManagementServiceMachine waits for the next sppsvc start."""
    return not service.is_kms_host and bool(host_products(products))


def masked_partial(partial: str | None) -> str | None:
    return None if partial is None else mask_key(partial)


def not_a_host_key_message(key: ProductKey, product: Product) -> str:
    channel = product.channel.raw or product.channel.kind.value
    return (
        f"the key {key.masked} was installed into {product.name} with license channel "
        f"{channel}: it is not a KMS host key (CSVLK), and the machine is not a KMS host. "
        f"Install the KMS host key; {_VLSC}. To undo, install the key the machine had before."
    )


def client_gvlk(product: Product, service: Service) -> gvlk.Gvlk:
    """The GVLK that turns a Windows KMS host back into a KMS client: from the product's
    LicenseFamily (the EditionID, not localized) and the build of the service Version."""
    facts = EditionFacts(edition_id=product.license_family, build=service.build)
    return select_gvlk(facts, field="state")


# Settings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingChange:
    option: str
    before: Any
    after: Any

    @property
    def setting(self) -> Setting:
        return SETTINGS[self.option]

    @property
    def needs_restart(self) -> bool:
        return self.setting.host_only


def current_settings(service: Service) -> dict[str, Any]:
    """The settings as SoftwareLicensingService reports them; an unset listening port (0 on a
    machine that is not a host yet) is the default 1688 the host will use."""
    return {
        "listening_port": service.listening_port or DEFAULT_LISTENING_PORT,
        "dns_publishing": service.dns_publishing,
        "low_priority": service.low_priority,
        "activation_interval": service.activation_interval,
        "renewal_interval": service.renewal_interval,
        "host_caching": service.host_caching,
    }


def plan_settings(service: Service, wanted: Mapping[str, Any]) -> list[SettingChange]:
    """One change per setting whose reported value differs; the others cost nothing."""
    now = current_settings(service)
    return [
        SettingChange(name, now[name], value)
        for name, value in wanted.items()
        if now[name] != value
    ]


def not_taken(service: Service, changes: Sequence[SettingChange]) -> list[str]:
    """The changes the service does not report after its restart, described."""
    now = current_settings(service)
    return [
        f"{change.option} (set to {change.after!r}, the host reports {now[change.option]!r})"
        for change in changes
        if now[change.option] != change.after
    ]


def not_a_host_message(options: Iterable[str]) -> str:
    return (
        f"{', '.join(options)}: this machine is not (or not yet) a KMS host, so it refuses KMS "
        "host settings. Set host settings after the host key: install and activate the CSVLK "
        "(state=present with key) in the same task or before it."
    )


def fault_message(step: str, code: int | None, fallback: str) -> str:
    """``<step> failed: <HRESULT, meaning, what to do>``; the catalog explains known codes."""
    if code == SL_E_NOT_SUPPORTED:
        return (
            f"{step} failed: 0x{code:08X} (SL_E_NOT_SUPPORTED): the machine is not (or not yet) "
            "a KMS host. Set host settings after the host key: install the CSVLK first."
        )
    if code is None:
        return f"{step} failed: {fallback}"
    return f"{step} failed: {hresult.describe(code)}"


# Facts and diff --------------------------------------------------------------------------------

_COUNTERS = (
    ("total", "total"),
    ("failed", "failed"),
    ("unlicensed", "unlicensed"),
    ("licensed", "licensed"),
    ("oobgrace", "oob_grace"),
    ("ootgrace", "oot_grace"),
    ("nongenuinegrace", "non_genuine_grace"),
    ("notification", "notification"),
)


def host_facts(service: Service, products: Sequence[Product]) -> dict[str, Any]:
    """``slmgr /dlv`` for a KMS host, as data: the host product (Windows first) and the
    service's KMS settings and request counters."""
    hosts = host_products(products)
    product = hosts[0] if hosts else None
    facts: dict[str, Any] = {
        "is_kms_host": service.is_kms_host,
        "version": service.version,
        "partial_product_key": product.partial_key if product else None,
        "product_name": product.name if product else None,
        "description": product.description if product else None,
        "application_id": product.application_id if product else None,
        "license_family": product.license_family if product else None,
        "channel": (product.channel.raw or product.channel.kind.value) if product else None,
        "license_status": product.license_status if product else None,
        "license_status_name": product.status_name if product else None,
        "grace_minutes": product.grace_minutes if product else None,
        "current_count": service.current_count,
        "required_count": service.required_count,
        "listening_port": service.listening_port,
        "dns_publishing": service.dns_publishing,
        "low_priority": service.low_priority,
        "activation_interval": service.activation_interval,
        "renewal_interval": service.renewal_interval,
        "host_caching": service.host_caching,
        "requests": {name: service.requests.get(source) for source, name in _COUNTERS},
        "host_keys": [masked_partial(p.partial_key) for p in hosts],
    }
    return facts


def view(
    host: Product | None,
    settings: Mapping[str, Any],
    options: Iterable[str],
    *,
    firewall: bool | None = None,
    windows_channel: str | None = None,
    with_activation: bool = True,
) -> dict[str, Any]:
    """One side of the diff: the host key masked, and only what the task manages."""
    shown: dict[str, Any] = {"host_key": masked_partial(host.partial_key) if host else None}
    if with_activation:
        shown["activated"] = bool(host and host.licensed)
    for name in options:
        shown[name] = settings.get(name)
    if firewall is not None:
        shown["firewall_rule_enabled"] = firewall
    if windows_channel is not None:
        shown["windows_channel"] = windows_channel
    return shown
