# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a client-setup plan over a CIM session: read, plan, write, activate, read back.

Reads cost two requests (``SoftwareLicensingService`` and the keyed ``SoftwareLicensingProduct``
rows of the products in scope: WQL selects one class per query), plus ``Win32_OperatingSystem``
only when the product rows cannot tell the edition, and on Windows 7 / Server 2008 R2 the pinned
port's registry value when the task manages the host. A converged machine costs exactly those.
Office in OSPP (client/ospp.py) costs the same two reads of its own classes instead.
Writes follow slmgr.vbs (wsman-wire.md §4.3): InstallProductKey then RefreshLicenseStatus, the
client settings, then Activate on each product that is not licensed yet, and one read of the
products afterwards to report the truth. A timed-out method may have run (§5.2): its product is
read again instead of calling it a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ansible_collections.volact.kms.plugins.module_utils.client import activation as act
from ansible_collections.volact.kms.plugins.module_utils.client import activation_type as types
from ansible_collections.volact.kms.plugins.module_utils.client import ospp as client_ospp
from ansible_collections.volact.kms.plugins.module_utils.client.options import ClientRequest
from ansible_collections.volact.kms.plugins.module_utils.client.plan import (
    OS_TYPES,
    OS_WQL,
    OsFacts,
    Plan,
    ProductPlan,
)
from ansible_collections.volact.kms.plugins.module_utils.client.setup import (
    check_version,
    make_plan,
    needs_os_facts,
    needs_registry_port,
    registry_port,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import ChannelKind
from ansible_collections.volact.kms.plugins.module_utils.windows import ospp as wmi_ospp
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult import (
    SL_E_VL_NOT_ENOUGH_COUNT,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import Registry
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    Product,
    Service,
    read_products,
    read_service,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import (
    CLIENT_SETTINGS,
    Spp,
    failure_text,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    OperationTimedOut,
    WsmanFault,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

# The client port's registry value (REG_SZ, kms-facts.md §2.2; the Windows 7 technical reference
# ff793431 documents the same table): what SetKeyManagementServicePort writes.
PORT_VALUE = "KeyManagementServicePort"


class StepFailed(KmsError):
    """A write failed; ``changed`` says whether earlier writes of the run had succeeded.

    The message comes from the HRESULT when there is one, so a failure reads the same whether
    the host sent a fault or a ReturnValue (``spp_methods.failure_text``)."""

    def __init__(self, step: str, error: Exception, changed: bool) -> None:
        self.step = step
        self.hresult: int | None = error.hresult if isinstance(error, WsmanFault) else None
        self.changed = changed
        super().__init__(f"{step} failed: {failure_text(error)}")


@dataclass
class Reading:
    service: Service
    products: list[Product]  # SPP's keyed rows, then OSPP's (windows/ospp.py OsppProduct)
    os_facts: OsFacts | None = None
    ospp: wmi_ospp.OsppReading | None = None


@dataclass
class Outcome:
    request: ClientRequest
    reading: Reading
    plan: Plan
    check_mode: bool
    changed: bool = False
    products: list[Product] = field(default_factory=list)  # as read at the end
    activations: list[tuple[ProductPlan, act.Activation]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failure: StepFailed | None = None
    # activation_type (client/activation_type.py): before and after, when the task manages it
    activation_type: tuple[types.TypeState | None, types.TypeState | None] | None = None


def read_state(session: CimSession, request: ClientRequest) -> Reading:
    """The service first (``SELECT *``: its Version says what this Windows has), an option the
    version cannot honour refused right away, then the products with the properties the version
    has; on Windows 7 / Server 2008 R2 the pinned port from the registry when the host is
    managed (one request more there: the class has no property for it)."""
    service = read_service(session)
    check_version(request, service)
    products = _spp_products(session, request, service)
    if request.scope.windows and needs_registry_port(request, service):
        # The SPP pin is Windows' (Office is in OSPP on this Windows, client/ospp.py).
        data = Registry(session, service.surface.registry_key).get(PORT_VALUE, "REG_SZ")
        service = replace(service, kms_port=registry_port(data))
    reading = Reading(service, products)
    if needs_os_facts(request, products, service):
        rows = session.query(OS_WQL, types=OS_TYPES)
        reading.os_facts = OsFacts.from_row(rows[0]) if rows else OsFacts()
    if client_ospp.wanted(request):
        reading.ospp = wmi_ospp.read(session)
        if reading.ospp is not None:
            reading.products = [*products, *reading.ospp.products]
    return reading


def _spp_products(session: CimSession, request: ClientRequest, service: Service) -> list[Product]:
    """The keyed SPP rows in scope; none asked for when only Office is in scope and SPP holds no
    Office on this Windows (client/ospp.py)."""
    ids = client_ospp.spp_application_ids(request, service)
    return read_products(session, ids, service.surface) if ids else []


def read_products_again(session: CimSession, outcome: Outcome) -> list[Product]:
    """The keyed rows of both stores, read again after a write (the same queries as at first)."""
    products = _spp_products(session, outcome.request, outcome.reading.service)
    if outcome.reading.ospp is not None:
        products += wmi_ospp.read_products(session)
    return products


def ospp_methods(session: CimSession, outcome: Outcome) -> wmi_ospp.Ospp:
    reading = outcome.reading.ospp
    if reading is None:
        raise KmsError("OfficeSoftwareProtectionService was not read")
    return wmi_ospp.Ospp(session, reading.service)


def locate(plan: ProductPlan, products: Sequence[Product]) -> Product | None:
    """The row that carries ``plan``'s product now: after a GVLK install that is another row
    (another SKU ID), so it is found by application and partial key, in the same store."""
    if wmi_ospp.is_ospp(plan.product):
        return client_ospp.locate(plan, products)
    keyed = [p for p in products if p.partial_key and not p.is_addon and not wmi_ospp.is_ospp(p)]
    if plan.install or plan.product is None:
        return next(
            (
                p
                for p in keyed
                if p.application_id in plan.application_ids
                and p.partial_key.upper() == plan.target.partial
            ),
            None,
        )
    return next((p for p in keyed if p.id.casefold() == plan.product.id.casefold()), None)


def kms_host_text(outcome: Outcome, product: Product | None) -> str | None:
    """The KMS host this client uses, as far as the client knows it."""
    settings = outcome.plan.settings_after()
    service = outcome.reading.service
    host = settings.get("kms_host", service.kms_machine)
    port = settings.get("kms_port", service.kms_port)
    if product is not None and wmi_ospp.is_ospp(product):
        # OSPP products carry their own pin (ospp.vbs /sethst); SPP's setting is Windows'.
        wanted = outcome.plan.ospp.pin_wanted if outcome.plan.ospp else None
        host, port = wanted if wanted is not None else client_ospp.pinned(product)
    if host:
        return f"{host}:{port or 1688} (pinned)"
    found = product.discovered_machine if product is not None else None
    found = found or service.discovered_machine
    if found:
        port = (product.discovered_port if product is not None else None) or 1688
        return f"{found}:{port} (found in DNS)"
    return None


def _call(step: str, call: Callable[[], None], changed: bool) -> None:
    try:
        call()
    except WsmanFault as error:  # a fault, or a ReturnValue (spp_methods.MethodFailed)
        raise StepFailed(step, error, changed) from None


def _install(spp: Spp, session: CimSession, outcome: Outcome, plan: ProductPlan) -> None:
    step = f"InstallProductKey ({plan.target.label} for {plan.name})"
    try:
        if wmi_ospp.is_ospp(plan.product):
            ospp_methods(session, outcome).install_product_key(plan.target.key)
        else:
            spp.install_product_key(plan.target.key)
        return
    except OperationTimedOut:
        pass  # the key may be installed all the same: read before deciding
    except WsmanFault as error:
        raise StepFailed(step, error, outcome.changed) from None
    products = read_products_again(session, outcome)
    if locate(plan, products) is None:
        raise StepFailed(
            step,
            KmsError("the call timed out and the key is not installed when read again"),
            outcome.changed,
        )
    outcome.warnings.append(f"{step} timed out, but the key is installed when read again.")


def apply_writes(spp: Spp, session: CimSession, outcome: Outcome) -> None:
    plan = outcome.plan
    for product_plan in plan.installs:
        _install(spp, session, outcome, product_plan)
        outcome.changed = True
    if any(not wmi_ospp.is_ospp(p.product) for p in plan.installs):
        # slmgr /ipk refreshes; ospp.vbs /inpkey does not (and OSPP documents no such method).
        _call("RefreshLicenseStatus", spp.refresh_license_status, outcome.changed)
    for change in plan.settings:
        setting = CLIENT_SETTINGS[change.name]
        method = setting.method if change.after is not None else setting.clear_method
        _call(
            f"{method} ({change.name})",
            lambda s=setting, v=change.after: spp.apply(s, v),
            outcome.changed,
        )
        outcome.changed = True


def _check_installed(outcome: Outcome) -> None:
    for plan in outcome.plan.installs:
        product = locate(plan, outcome.products)
        if product is None or product.channel.kind is not ChannelKind.GVLK:
            seen = "no product carries it" if product is None else product.channel.raw
            raise StepFailed(
                f"InstallProductKey ({plan.target.label} for {plan.name})",
                KmsError(
                    f"the key was accepted but is not a KMS client key on this machine ({seen}); "
                    "give a GVLK (KMS client setup key)"
                ),
                outcome.changed,
            )


def _attempt(spp: Spp | wmi_ospp.Ospp, product: Product) -> tuple[str, int | None]:
    """Activate once: ("ok" | "timeout" | "fault", HRESULT)."""
    try:
        spp.activate(product)
    except OperationTimedOut:
        return "timeout", None
    except WsmanFault as fault:  # a fault, or a ReturnValue (spp_methods.MethodFailed)
        return "fault", fault.hresult
    except KmsError as error:
        if getattr(error, "maybe_processed", False):  # a transport read timeout: may have run
            return "timeout", None
        raise
    return "ok", None


def _without_attempt(outcome: Outcome, plan: ProductPlan) -> act.Activation | None:
    """The outcome when no Activate call is needed (or allowed); None when one is."""
    product = locate(plan, outcome.products)
    host = kms_host_text(outcome, product)
    licensed = product is not None and product.licensed
    if not outcome.request.activate:
        return act.Activation(act.State.NOT_REQUESTED, plan.name, kms_host=host)
    if outcome.check_mode:
        done = licensed and not plan.install
        would = act.State.ALREADY_ACTIVATED if done else act.State.WOULD_ACTIVATE
        return act.Activation(would, plan.name, kms_host=host)
    if product is None:
        return act.failed(plan.name, None, "the product is not found", host)
    if licensed:
        done = act.State.ACTIVATED if plan.install else act.State.ALREADY_ACTIVATED
        return act.Activation(done, plan.name, kms_host=host)
    return None


def activate_all(spp: Spp, session: CimSession, outcome: Outcome) -> None:
    attempts: list[tuple[ProductPlan, str, int | None]] = []
    for plan in outcome.plan.products:
        state = _without_attempt(outcome, plan)
        if state is None:
            product = locate(plan, outcome.products)
            if product is not None:  # always: _without_attempt handles None
                methods = ospp_methods(session, outcome) if wmi_ospp.is_ospp(product) else spp
                attempts.append((plan, *_attempt(methods, product)))
            continue
        outcome.activations.append((plan, state))
    if not attempts:
        return
    outcome.products = read_products_again(session, outcome)
    for plan, result, code in attempts:
        product = locate(plan, outcome.products)
        host = kms_host_text(outcome, product)
        if result == "timeout":
            state = act.timed_out(plan.name, product, host)
        elif result == "ok" or (product is not None and product.licensed):
            state = act.Activation(act.State.ACTIVATED, plan.name, kms_host=host)
        elif code == SL_E_VL_NOT_ENOUGH_COUNT:
            state = act.below_threshold(plan.name, plan.target, product, host)
        else:
            state = act.failed(plan.name, code, "Activate failed", host)
        if state.state is act.State.ACTIVATED:
            outcome.changed = True
        outcome.activations.append((plan, state))


def _with_ospp(request: ClientRequest, plan: Plan, reading: Reading) -> Plan:
    """The plan with its OSPP part; with only OSPP Office in scope, no SPP client setting."""
    ospp_plan = client_ospp.plan(request, plan.office, reading.ospp)
    if ospp_plan is None:
        return plan
    if client_ospp.only_ospp_office(request, plan.office):
        plan = replace(plan, settings=(), settings_before={})
    return replace(plan, ospp=ospp_plan)


def apply_ospp(session: CimSession, outcome: Outcome) -> None:
    """After the key installs: each OSPP product's KMS host, on the row that carries its GVLK
    now and compared again (whether a pin follows to the new row is not documented), then host
    caching."""
    ospp_plan = outcome.plan.ospp
    if ospp_plan is None or not ospp_plan.changed:
        return
    methods = ospp_methods(session, outcome)
    want = ospp_plan.pin_wanted
    pinned_names = {pin.product for pin in ospp_plan.pins}
    for product_plan in outcome.plan.office:
        if want is None or product_plan.name not in pinned_names:
            continue
        product = locate(product_plan, outcome.products)
        if product is None or not client_ospp.pin_differs(client_ospp.pinned(product), want):
            continue
        host, port = client_ospp.pinned(product)
        _call(
            f"SetKeyManagementServiceMachine/Port ({product_plan.name})",
            lambda p=product, h=host, n=port: methods.set_kms_host(
                p,
                *want,
                host_differs=not client_ospp.same_host(h, want[0]),
                port_differs=(n or None) != (want[1] or None),
            ),
            outcome.changed,
        )
        outcome.changed = True
    if ospp_plan.host_caching is not None:
        after = ospp_plan.host_caching[1]
        _call(
            "DisableKeyManagementServiceHostCaching (OSPP)",
            lambda: methods.disable_host_caching(not after),
            outcome.changed,
        )
        outcome.changed = True
    outcome.products = read_products_again(session, outcome)


def converge(session: CimSession, request: ClientRequest, check_mode: bool) -> Outcome:
    """Read, plan and (unless ``check_mode``) apply. Refusals raise before the first write."""
    reading = read_state(session, request)
    plan = make_plan(request, reading.service, reading.products, reading.os_facts)
    plan = _with_ospp(request, plan, reading)
    outcome = Outcome(request, reading, plan, check_mode, products=list(reading.products))
    outcome.warnings.extend(plan.warnings)
    if check_mode:
        outcome.changed = plan.changed
        _activation_type(session, outcome)
        activate_all(Spp(session, reading.service), session, outcome)
        return outcome
    spp = Spp(session, reading.service)
    try:
        apply_writes(spp, session, outcome)
        if plan.installs:
            outcome.products = read_products_again(session, outcome)
            _check_installed(outcome)
        apply_ospp(session, outcome)
        _activation_type(session, outcome)
        activate_all(spp, session, outcome)
        _activation_type(session, outcome, after=True)
    except StepFailed as failure:
        outcome.failure = failure
    return outcome


def _activation_type(session: CimSession, outcome: Outcome, *, after: bool = False) -> None:
    """The Windows product's activation type before Activate; which one it used after."""
    request, plan = outcome.request, outcome.plan
    if request.activation_type is None or plan.windows is None:
        return
    product = locate(plan.windows, outcome.products)
    try:
        types.manage(session, outcome, product, after=after)
    except WsmanFault as error:
        raise StepFailed("SetVLActivationTypeEnabled", error, outcome.changed) from None
