# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``kms_client_setup_key`` for Office licensed through OSPP (Office 2010, and Office 2013 / 2016
on Windows 7 / Server 2008 R2 and older; windows/ospp.py says which and why).

Reads: where SPP holds no Office (Windows 6.1 and older, KB 2870357), the SPP product query leaves
Office out, and OSPP is read instead: ``OfficeSoftwareProtectionService`` once and the keyed
``OfficeSoftwareProtectionProduct`` rows once, the same two reads as for SPP. On Windows 8 and
later, OSPP holds only Office 2010: it is read when SPP shows no keyed Office product (one request
that finds no class when OSPP is not installed); Office 2010 beside a keyed Office 2013 or later
on Windows 8 or later is not looked for (docs/office.md).

The GVLK of each OSPP product is chosen as for SPP (client/setup.py, from ``Name`` and the
application ID: OSPP has no ``LicenseFamily``). Its KMS host is set on the product, as ospp.vbs
/sethst and /setprt do (``SetKeyManagementServiceMachine``/``Port`` of
``OfficeSoftwareProtectionProduct``; /remhst clears both), after its GVLK is in: whether that lands
on the product or for all of OSPP is not documented, so the row carrying the GVLK is compared
again after the install. Host caching is the service's (/cachst). OSPP has no KMS lookup domain
(ospp.vbs: /skms-domain "is supported on Windows 8 and above only"): ``lookup_domain`` is refused
for OSPP products before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.client.options import (
    ClientRequest,
    Scope,
    same_host,
)
from ansible_collections.volact.kms.plugins.module_utils.client.plan import ProductPlan
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows import ospp as wmi_ospp
from ansible_collections.volact.kms.plugins.module_utils.windows.ospp import (
    OsppProduct,
    OsppReading,
    is_ospp,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    Service,
)


def office_only_in_ospp(service: Service) -> bool:
    return wmi_ospp.office_only_in_ospp(service.version)


def spp_application_ids(request: ClientRequest, service: Service) -> tuple[str, ...]:
    """The applications the SPP product query asks for: no Office where SPP holds none."""
    ids = (WINDOWS_APP_ID,) if request.scope.windows else ()
    if request.scope.office and not office_only_in_ospp(service):
        ids += OFFICE_APP_IDS
    return ids


def wanted(request: ClientRequest) -> bool:
    """Whether to read OSPP: whenever Office is in scope. Office 2010 licenses through OSPP on
    every Windows, also beside Office 2013 or later in SPP on Windows 8 and later (a machine
    midway through an Office upgrade); where OSPP is not installed the read finds no class."""
    return request.scope.office


@dataclass(frozen=True)
class PinChange:
    """The KMS host pinned on one OSPP product: ``after`` (host, port), None host to clear."""

    product: str  # the product plan's name
    before: tuple[str | None, int | None]
    after: tuple[str | None, int | None]


@dataclass(frozen=True)
class OsppPlan:
    """What the run does to OSPP beside the key installs: host pins per product, host caching."""

    reading: OsppReading
    pins: tuple[PinChange, ...] = ()
    host_caching: tuple[bool | None, bool] | None = None  # (before, after) when it changes
    pin_wanted: tuple[str | None, int | None] | None = None  # None: pins are not managed

    @property
    def changed(self) -> bool:
        return bool(self.pins or self.host_caching)

    def view(self, after: bool) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        for pin in self.pins:
            host, port = pin.after if after else pin.before
            shown[pin.product] = {"kms_host": host, "kms_port": port}
        if self.host_caching is not None:
            shown["host_caching"] = self.host_caching[1] if after else self.host_caching[0]
        return shown


def pin_wanted(request: ClientRequest) -> tuple[str | None, int | None] | None:
    """(host, port) the products should carry; (None, None) with discovery; None: unmanaged."""
    if request.kms_host is not None:
        return request.kms_host, request.kms_port
    if request.discovery:
        return None, None
    return None


def pinned(product: Product) -> tuple[str | None, int | None]:
    return product.kms_machine, product.kms_port


def pin_differs(now: tuple[str | None, int | None], want: tuple[str | None, int | None]) -> bool:
    return not same_host(now[0], want[0]) or (now[1] or None) != (want[1] or None)


def plan(
    request: ClientRequest, office: Sequence[ProductPlan], reading: OsppReading | None
) -> OsppPlan | None:
    """The OSPP part of the plan, decided before the first write; refusals raise here."""
    if reading is None:
        return None
    plans = [p for p in office if is_ospp(p.product)]
    if not plans:
        return None
    if request.manages_lookup_domain:
        names = ", ".join(p.name for p in plans)
        raise KmsInputError(
            "lookup_domain",
            f"{names} license through the Office Software Protection Platform (OSPP), which has "
            "no KMS lookup domain (ospp.vbs: /skms-domain is for Office on Windows 8 and later).",
            "Leave lookup_domain out for these machines: OSPP finds KMS hosts in the machine's "
            "own DNS domain, or pin one with kms_host.",
        )
    want = pin_wanted(request)
    pins = []
    if want is not None:
        for product_plan in plans:
            product = product_plan.product
            if product is None:  # a plan always carries the row it acts on
                continue
            if product_plan.install or pin_differs(pinned(product), want):
                pins.append(PinChange(product_plan.name, pinned(product), want))
    caching = None
    service = reading.service
    if request.host_caching is not None and service.host_caching is not request.host_caching:
        caching = (service.host_caching, request.host_caching)
    return OsppPlan(reading, tuple(pins), caching, want)


def only_ospp_office(request: ClientRequest, office: Sequence[ProductPlan]) -> bool:
    """Office alone is in scope and every Office product is in OSPP: the machine-wide SPP client
    settings (SoftwareLicensingService) are Windows', so the task leaves them alone."""
    return (
        request.scope is Scope.OFFICE and bool(office) and all(is_ospp(p.product) for p in office)
    )


def locate(product_plan: ProductPlan, products: Sequence[Product]) -> OsppProduct | None:
    """The OSPP row that carries the plan's product now (after a GVLK install another row)."""
    keyed = [p for p in products if isinstance(p, OsppProduct) and p.partial_key]
    if product_plan.install or product_plan.product is None:
        return next(
            (
                p
                for p in keyed
                if p.application_id in wmi_ospp.APPLICATION_IDS
                and (p.partial_key or "").upper() == product_plan.target.partial
            ),
            None,
        )
    wanted_id = product_plan.product.id.casefold()
    return next((p for p in keyed if p.id.casefold() == wanted_id), None)
