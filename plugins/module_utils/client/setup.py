# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan turning a machine into a KMS client, from what was read: pure, no I/O.

Input: the task's :class:`ClientRequest`, ``SoftwareLicensingService``, the keyed
``SoftwareLicensingProduct`` rows and, only when the product rows do not tell the edition, the
``Win32_OperatingSystem`` facts. Output: a :class:`Plan` (client/plan.py) of key installs and client
settings, with the reason for each.

The GVLK comes from non-localized facts only: the primary Windows product's ``LicenseFamily`` (the
EditionID as SPP knows it) and the build in ``SoftwareLicensingService.Version``
(kms-facts.md §3.3, licensing/editions.py). A product already on the right GVLK is left alone:
its channel is ``Volume:GVLK``, its partial key is the expected GVLK's last group, and that GVLK
was chosen for the product's own edition (no two published GVLKs share a last group;
test_client_setup.py checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.client.office import office_gvlk
from ansible_collections.volact.kms.plugins.module_utils.client.options import (
    ClientRequest,
    Scope,
    same_domain,
    same_host,
)
from ansible_collections.volact.kms.plugins.module_utils.client.plan import (
    OsFacts,
    Plan,
    ProductPlan,
    SettingChange,
    Target,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import editions, gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import (
    ChannelKind,
    conversion_needed,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey, mask_key
from ansible_collections.volact.kms.plugins.module_utils.windows import versions
from ansible_collections.volact.kms.plugins.module_utils.windows.ospp import is_ospp
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    Service,
    office_products,
    primary_windows_product,
)


class RefusedError(KmsError):
    """The machine cannot be made a KMS client by this module (a KMS host, an unknown channel)."""


def application_ids(scope: Scope) -> tuple[str, ...]:
    ids = (WINDOWS_APP_ID,) if scope.windows else ()
    return ids + (OFFICE_APP_IDS if scope.office else ())


def check_version(request: ClientRequest, service: Service) -> None:
    """Refuse (:class:`versions.UnsupportedOption`) an option the machine's Windows version
    cannot honour, before anything is written: a client port before Windows 7 / Server 2008 R2,
    host caching before them, a lookup domain before Windows 8 / Server 2012. Clearing a lookup
    domain is no refusal: a version without one has none to clear."""
    wanted: list[tuple[str, versions.Requirement]] = []
    if request.kms_port is not None:
        wanted.append(("kms_port", versions.CLIENT_PORT))
    if request.lookup_domain is not None:
        wanted.append(("lookup_domain", versions.LOOKUP_DOMAIN))
    if request.host_caching is not None:
        wanted.append(("host_caching", versions.HOST_CACHING))
    if request.activation_type:  # "all" is what a version without the setting does anyway
        wanted.append(("activation_type", versions.ACTIVATION_TYPE))
    versions.require(wanted, service.version)


def needs_registry_port(request: ClientRequest, service: Service) -> bool:
    """Whether the pinned port must be read from the registry: the task manages the host, and
    the service has the port's methods but not its property (Windows 7 / Server 2008 R2, whose
    class has no KeyManagementServicePort, older-windows-office-adba.md §1.2)."""
    surface = service.surface
    return (
        request.manages_host
        and not service.has("KeyManagementServicePort")
        and "SetKeyManagementServicePort" in surface.service_methods
    )


def registry_port(data: object) -> int | None:
    """The client port as the registry holds it (REG_SZ, kms-facts.md §2.2); None when unset or
    unusable, so a port the task wants is written again."""
    text = data.strip() if isinstance(data, str) else ""
    return int(text) if text.isdigit() and 1 <= int(text) <= 65535 else None


def needs_os_facts(request: ClientRequest, products: Sequence[Product], service: Service) -> bool:
    """Win32_OperatingSystem is read only when the product rows cannot tell the edition."""
    if not request.scope.windows:
        return False
    primary = primary_windows_product(products)
    return primary is None or not primary.license_family or service.build is None


def edition_facts(
    primary: Product | None, service: Service, os_facts: OsFacts | None
) -> editions.EditionFacts:
    """The non-localized facts editions.select_gvlk decides on."""
    os_facts = os_facts or OsFacts()
    family = primary.license_family if primary is not None else None
    build = service.build if service.build is not None else os_facts.build
    if family:
        return editions.EditionFacts(edition_id=family, build=build)
    return editions.EditionFacts(
        edition_id=None, sku=os_facts.sku, build=build, product_type=os_facts.product_type
    )


def _folded_edition(facts: editions.EditionFacts) -> str:
    if facts.edition_id:
        return facts.edition_id.strip().casefold()
    return editions.SKU_EDITION_IDS.get(facts.sku or -1, "").casefold()


def _cannot_be_client(folded: str) -> bool:
    return (
        folded in editions.SERVER_EVAL
        or folded in editions.CLIENT_EVAL
        or folded in editions.HOME
        or folded.startswith(editions.AZURE_PREFIX)
    )


def windows_target(
    request: ClientRequest, facts: editions.EditionFacts
) -> tuple[Target, tuple[str, ...]]:
    """The GVLK for Windows, and warnings. Evaluation, Home and Azure Edition are refused with
    select_gvlk's message even when a key is given: no GVLK makes them KMS clients."""
    if request.key is None:
        entry = editions.select_gvlk(facts)
        return Target(ProductKey(entry.key), entry), ()
    if _cannot_be_client(_folded_edition(facts)):
        editions.select_gvlk(facts)  # raises the refusal and what to do instead
    try:
        expected: gvlk.Gvlk | None = editions.select_gvlk(facts)
    except KmsInputError:
        expected = None  # an edition the catalog does not know: the explicit key decides
    warnings: tuple[str, ...] = ()
    if expected is not None and request.key_entry is not None and request.key_entry != expected:
        warnings = (
            f"key is the GVLK of {request.key_entry.label}, but the machine's edition "
            f"({facts.edition_id or facts.sku}, build {facts.build}) calls for {expected.label}; "
            "the given key is used.",
        )
    return Target(request.key, request.key_entry), warnings


def decide(product: Product | None, target: Target, kind: str) -> tuple[bool, str]:
    """(install, reason) for one product. Raises RefusedError where nothing may be installed."""
    if product is None:
        return True, f"no {kind.title()} product key is installed; installing {target.label}."
    channel = product.channel
    if channel.kind is ChannelKind.GVLK:
        if (product.partial_key or "").upper() == target.partial:
            return False, f"already a KMS client with {target.label}."
        shown = mask_key(product.partial_key or "")
        return True, f"another GVLK ({shown}) is installed; {target.label} replaces it."
    decision = conversion_needed(channel)
    if not decision.convert:
        raise RefusedError(f"{product.name}: {decision.reason}")
    return True, decision.reason


def plan_windows(
    request: ClientRequest,
    products: Sequence[Product],
    service: Service,
    os_facts: OsFacts | None,
) -> tuple[ProductPlan, tuple[str, ...]]:
    primary = primary_windows_product(products)
    if primary is not None and primary.channel.kind is ChannelKind.CSVLK:
        # Checked first: a KMS host's edition (ServerStandard) would otherwise get a GVLK.
        raise RefusedError(f"{primary.name}: {conversion_needed(primary.channel).reason}")
    facts = edition_facts(primary, service, os_facts)
    target, warnings = windows_target(request, facts)
    install, reason = decide(primary, target, "windows")
    return ProductPlan("windows", primary, target, install, reason), warnings


def _office_target(product: Product) -> Target:
    if product.channel.kind is ChannelKind.RETAIL:
        raise RefusedError(
            f"{product.name}: a retail or subscription Office (Microsoft 365 Apps) is installed; "
            "only volume-licensed Office can be a KMS client. Install a volume edition of "
            "Office, or leave Office out (product: windows)."
        )
    if product.channel.kind is ChannelKind.CSVLK:
        raise RefusedError(f"{product.name}: {conversion_needed(product.channel).reason}")
    entry = office_gvlk(product.license_family, product.name, application_id=product.application_id)
    return Target(ProductKey(entry.key), entry)


def _keyed_office(request: ClientRequest, office: Sequence[Product]) -> list[ProductPlan]:
    """With an explicit key, the one Office product it belongs to."""
    key = request.key
    if key is None:
        return []
    chosen = office[0] if len(office) == 1 else None
    if chosen is None and request.key_entry is not None:
        matching = []
        for product in office:
            try:
                family, name, app = product.license_family, product.name, product.application_id
                if office_gvlk(family, name, application_id=app) == request.key_entry:
                    matching.append(product)
            except KmsInputError:
                continue
        chosen = matching[0] if len(matching) == 1 else None
    if chosen is None:
        names = ", ".join(p.name for p in office)
        raise KmsInputError(
            "key",
            f"{len(office)} Office products are installed ({names}) and {key.masked} cannot be "
            "matched to exactly one of them.",
            "Leave key out so each product gets its own GVLK, or give a published Office GVLK.",
        )
    target = Target(key, request.key_entry)
    install, reason = decide(chosen, target, "office")
    return [ProductPlan("office", chosen, target, install, reason, OFFICE_APP_IDS)]


def plan_office(request: ClientRequest, products: Sequence[Product]) -> tuple[ProductPlan, ...]:
    office = office_products(products)
    if not office:
        if request.scope is Scope.OFFICE:
            raise RefusedError(
                "no Office product with a product key is licensed on this machine, neither "
                "through the Windows Software Protection Platform nor through the Office Software "
                "Protection Platform (OSPP: Office 2010, and Office 2013/2016 on Windows 7). "
                "Install a volume edition of Office, or leave Office out (product: windows)."
            )
        return ()
    if request.key is not None and request.scope is Scope.OFFICE:
        return tuple(_keyed_office(request, office))
    plans = []
    for product in office:
        target = _office_target(product)
        install, reason = decide(product, target, "office")
        plans.append(ProductPlan("office", product, target, install, reason, OFFICE_APP_IDS))
    return tuple(plans)


def settings_state(request: ClientRequest, service: Service) -> dict[str, Any]:
    """The managed client settings as read; port 0 and empty strings mean unset (§5.7)."""
    state: dict[str, Any] = {}
    if request.manages_host:
        state["kms_host"] = service.kms_machine
        state["kms_port"] = service.kms_port
    if request.manages_lookup_domain:
        state["lookup_domain"] = service.lookup_domain
    if request.host_caching is not None:
        state["host_caching"] = service.host_caching
    return state


def plan_settings(request: ClientRequest, service: Service) -> tuple[SettingChange, ...]:
    changes: list[SettingChange] = []
    if request.manages_host:
        host = request.kms_host  # None with discovery: clear the pin
        if not same_host(service.kms_machine, host):
            changes.append(SettingChange("kms_host", service.kms_machine, host))
        if (service.kms_port or None) != request.kms_port:
            changes.append(SettingChange("kms_port", service.kms_port, request.kms_port))
    if request.manages_lookup_domain and not same_domain(
        service.lookup_domain, request.lookup_domain
    ):
        changes.append(SettingChange("lookup_domain", service.lookup_domain, request.lookup_domain))
    caching = request.host_caching
    if caching is not None and service.host_caching is not caching:
        changes.append(SettingChange("host_caching", service.host_caching, caching))
    return tuple(changes)


def make_plan(
    request: ClientRequest,
    service: Service,
    products: Sequence[Product],
    os_facts: OsFacts | None = None,
) -> Plan:
    """Everything the task will do, decided before the first write."""
    windows = None
    warnings: tuple[str, ...] = ()
    if request.scope.windows:
        windows, warnings = plan_windows(request, products, service, os_facts)
    office = plan_office(request, products) if request.scope.office else ()
    if request.manages_host:
        # An OSPP product's own host is what this task manages there (client/ospp.py).
        products = [p.product for p in (windows, *office) if p is not None]
        pinned = [p for p in products if p is not None and not is_ospp(p)]
        warnings += tuple(_product_pin_warning(p) for p in pinned if p.kms_machine)
    return Plan(
        windows,
        office,
        plan_settings(request, service),
        warnings,
        settings_state(request, service),
    )


def _product_pin_warning(product: Product) -> str:
    # A host set on one product (slmgr /skms <name> <ActivationID>, kms-facts.md §2.1, §2.6)
    # overrides the machine-wide one this module manages; it is reported, not changed.
    return (
        f"{product.name} has its own KMS host {product.kms_machine}:{product.kms_port or 1688} "
        "(set for this product only), which overrides kms_host and discovery for it; clear it "
        f"with slmgr /ckms {product.id}."
    )
