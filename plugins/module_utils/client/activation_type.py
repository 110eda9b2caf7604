# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``kms_client_setup_key``'s ``activation_type``: which activation the Windows product accepts.

``slmgr /act-type <n> <activation ID>`` calls ``SetVLActivationTypeEnabled(n)`` on that
``SoftwareLicensingProduct`` (1 Active Directory, 2 KMS, 3 token) and ``/act-type 0``
``ClearVLActivationTypeEnabled()`` (any); other values are "invalid data" (SLMGR10
``SetVLActivationType``; older-windows-office-adba.md §1.3, §4.4). The product reports the value
in force as ``VLActivationTypeEnabled`` and which one activated it last as ``VLActivationType``
(1 AD, 2 KMS, 3 token, null never), with the activation object's name in
``ADActivationObjectName`` (MS-WMI81). All of it exists from Windows 8 / Server 2012 on.

The setting is made on the product that holds the KMS client key after this run (after the GVLK
is installed, before Activate), so it applies to the product that activates. ``slmgr /act-type``
without an activation ID sets a machine-wide type on SoftwareLicensingService; no source says
which of the two wins, nor whether the product's ``VLActivationTypeEnabled`` shows the
machine-wide one (the lab serves each answer: variant ``act_type_precedence``). So when the
product's value is not the wanted one, the machine-wide type is cleared first
(``SoftwareLicensingService.ClearVLActivationTypeEnabled``, idempotent), then the product's is
set: afterwards only the product's own setting is left, whatever the precedence, and the next run
reads the wanted value (a product that showed another value only because of the machine-wide one
converges too). Read with one query of that product, only when the task manages the setting;
the change costs one request more (the clear).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    PRODUCT_CLASS,
    SERVICE_CLASS,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    ADBA_PRODUCT_PROPERTIES,
    MODERN,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

TYPES = {"all": 0, "ad": 1, "kms": 2, "token": 3}
NAMES = {value: name for name, value in TYPES.items()}
PROPERTIES = ("ID", *ADBA_PRODUCT_PROPERTIES)
_TYPES = {name: "uint32" if name.startswith("VL") else "string" for name in PROPERTIES}
_GUID = re.compile(r"[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


@dataclass(frozen=True)
class TypeState:
    enabled: int  # 0: any
    last: int | None  # VLActivationType: None when never activated
    ad_object: str | None
    ad_dn: str | None = None  # ADActivationObjectDN
    ad_sku_id: str | None = None  # ADActivationCsvlkSkuId: the CSVLK's SKU (activation) ID
    ad_pid: str | None = None  # ADActivationCsvlkPid: the CSVLK's extended PID

    def facts(self) -> dict[str, Any]:
        by_ad = self.last == TYPES["ad"]
        return {
            "activation_type": NAMES.get(self.enabled, str(self.enabled)),
            "activated_by": NAMES.get(self.last) if self.last else None,
            "activation_object": self.ad_object or None,
            # Windows keeps the last AD activation's object; shown only while AD is the last
            "activation_object_dn": self.ad_dn if by_ad else None,
            "activation_object_sku_id": self.ad_sku_id if by_ad else None,
            "activation_object_extended_pid": self.ad_pid if by_ad else None,
        }


def _text(row: Any, name: str) -> str | None:
    value = row.get(name)
    return value if isinstance(value, str) and value else None


def read(session: CimSession, product_id: str) -> TypeState:
    if not _GUID.fullmatch(product_id):
        raise KmsError(f"the product ID {product_id!r} is not a GUID; nothing was sent")
    wql = f"SELECT {', '.join(PROPERTIES)} FROM {PRODUCT_CLASS} WHERE ID = '{product_id}'"
    rows = session.query(wql, types=_TYPES)
    row = rows[0] if rows else {}
    enabled = row.get("VLActivationTypeEnabled")
    last = row.get("VLActivationType")
    return TypeState(
        enabled=int(enabled) if isinstance(enabled, int) else 0,
        last=int(last) if isinstance(last, int) and last else None,
        ad_object=_text(row, "ADActivationObjectName"),
        ad_dn=_text(row, "ADActivationObjectDN"),
        ad_sku_id=_text(row, "ADActivationCsvlkSkuId"),
        ad_pid=_text(row, "ADActivationCsvlkPid"),
    )


def clear_machine_wide(session: CimSession, version: str) -> None:
    """``slmgr /act-type 0`` without an activation ID: no machine-wide type left to mask or
    override the product's (module docstring). SoftwareLicensingService's key is Version."""
    result = session.invoke(
        SERVICE_CLASS, "ClearVLActivationTypeEnabled", None, {"Version": version}
    )
    _check("ClearVLActivationTypeEnabled", result.return_value)


def apply(session: CimSession, product_id: str, wanted: int) -> None:
    """Set (1-3) or clear (0) the product's activation type; WsmanFault on failure."""
    if wanted:
        result = session.invoke(
            PRODUCT_CLASS,
            "SetVLActivationTypeEnabled",
            {"ActivationType": wanted},
            {"ID": product_id},
            param_types={"ActivationType": "uint32"},
        )
        method = "SetVLActivationTypeEnabled"
    else:
        result = session.invoke(
            PRODUCT_CLASS, "ClearVLActivationTypeEnabled", None, {"ID": product_id}
        )
        method = "ClearVLActivationTypeEnabled"
    _check(method, result.return_value)


def _check(method: str, value: int | None) -> None:
    if value:
        raise WsmanFault(
            message=f"{method} answered ReturnValue {value}",
            hresult_code=value & 0xFFFFFFFF,
        )


def manage(session: CimSession, outcome: Any, product: Any, *, after: bool = False) -> None:
    """For ``client/apply.converge``: ``outcome`` its Outcome, ``product`` the Windows product
    holding the key after this run's install (None in check mode before an install)."""
    wanted = outcome.request.activation_type
    if outcome.reading.service.surface.rank < MODERN.rank:
        return  # "all" where the setting does not exist: nothing to manage (setup.check_version)
    if after:
        if product is not None and outcome.activation_type is not None:
            outcome.activation_type = (outcome.activation_type[0], read(session, product.id))
        return
    if product is None:
        if wanted and outcome.check_mode:
            outcome.activation_type = (None, TypeState(wanted, None, None))
            outcome.changed = True  # the new key's product gets it
        return
    before = read(session, product.id)
    outcome.activation_type = (before, replace(before, enabled=wanted))
    if before.enabled == wanted:
        return
    outcome.changed = True
    if not outcome.check_mode:
        clear_machine_wide(session, outcome.reading.service.version)
        apply(session, product.id, wanted)
