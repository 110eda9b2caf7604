# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an activation attempt of a KMS client came to, in words an administrator can act on.

0xC004F038 (the KMS host's count is below its threshold) is the normal state of a KMS rollout
(kms-facts.md §4.4, §5 item 6), so it is reported as ``below_threshold`` with the counts, not as a
fault; what the task does about it is the ``below_threshold`` policy's business. Every other
failure keeps its HRESULT, its meaning and what to do (windows/hresult.py).

Where a KMS client sees the host's count: nowhere over WMI. The host's answer, with its current
count, is logged on the client as event 12289 (kms-facts.md §2.5); ``SoftwareLicensingProduct`` on
a client shows the threshold (``RequiredClientCount``) but not the count, and the fault of
``Activate`` carries only the HRESULT. So ``current_count`` and ``missing`` stay null unless a
count is handed in, and the message says where to read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.client.plan import Target
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import label
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product


class State(Enum):
    ACTIVATED = "activated"  # Activate succeeded in this run
    ALREADY_ACTIVATED = "already_activated"  # licensed before the run: not activated again
    BELOW_THRESHOLD = "below_threshold"  # 0xC004F038
    FAILED = "failed"  # any other HRESULT
    UNKNOWN = "unknown"  # Activate timed out and the product is not licensed when read again
    NOT_REQUESTED = "not_requested"  # activate: false
    WOULD_ACTIVATE = "would_activate"  # check mode: an attempt would be made
    # Check mode: the client finds hosts in DNS and its domain has no _vlmcs._tcp record, so the
    # attempt would fail with 0x8007232B (client/discovery.py).
    WOULD_FAIL_NO_SRV = "would_fail_no_srv"


@dataclass(frozen=True)
class Activation:
    state: State
    product: str
    message: str = ""
    hresult: int | None = None
    current_count: int | None = None
    required_count: int | None = None
    kms_host: str | None = None

    @property
    def missing(self) -> int | None:
        if self.current_count is None or self.required_count is None:
            return None
        return max(self.required_count - self.current_count, 0)

    @property
    def failed(self) -> bool:
        return self.state in (State.FAILED, State.UNKNOWN)

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "product": self.product,
            "message": self.message,
            "hresult": None if self.hresult is None else f"0x{self.hresult:08X}",
            "current_count": self.current_count,
            "required_count": self.required_count,
            "missing": self.missing,
            "kms_host": self.kms_host,
        }


def required_count(target: Target, product: Product | None) -> int | None:
    """The activation threshold: the product's RequiredClientCount when it shows one, else the
    documented threshold for the product's kind (§4.4: 25 client OS, 5 servers and Office)."""
    if product is not None and product.required_count:
        return product.required_count
    entry = target.entry
    if entry is None:
        return None
    if entry.product == "office" or entry.family.startswith("Windows Server"):
        return hresult.KMS_THRESHOLD_SERVER_OFFICE
    return hresult.KMS_THRESHOLD_CLIENT_OS


def count_message(current: int | None, required: int | None) -> str:
    """The 0xC004F038 explanation with the counts, or with where to find them."""
    code = hresult.SL_E_VL_NOT_ENOUGH_COUNT
    if current is not None and required is not None:
        return hresult.describe(code, current_count=current, required=required)
    needed = (
        f"needs {required} distinct machines within 30 days"
        if required
        else "has not reached its threshold"
    )
    return (
        f"{hresult.explain(code).summary} The KMS host {needed}. A KMS client cannot read the "
        "host's current count over WMI: it is in event 12289 in this machine's Application log "
        "and in KeyManagementServiceCurrentCount on the KMS host "
        "(volact.kms.kms_activation_info). Clients retry by themselves every 2 hours by default "
        "and activate once the count is reached."
    )


def below_threshold(
    name: str, target: Target, product: Product | None, kms_host: str | None
) -> Activation:
    required = required_count(target, product)
    return Activation(
        State.BELOW_THRESHOLD,
        name,
        f"{name}: {count_message(None, required)}",
        hresult.SL_E_VL_NOT_ENOUGH_COUNT,
        None,
        required,
        kms_host,
    )


def failed(name: str, code: int | None, detail: str, kms_host: str | None) -> Activation:
    """An Activate that failed with ``code`` (None: no HRESULT, ``detail`` says what failed).

    The message says what failed, where, and the HRESULT with its name; the task's ``msg`` adds
    what to do (client/report.py), and the code's meaning and whole advice are the result's
    ``details`` and ``what_to_do`` (windows/hresult_brief.py)."""
    text = label(hresult.explain(code)) if code is not None else detail
    where = failed_where(code, kms_host)
    return Activation(State.FAILED, name, f"Activating {name} failed ({where}): {text}", code)


def failed_where(code: int | None, kms_host: str | None) -> str:
    """Which KMS host a failed attempt went to, in words that agree with ``code``: a DNS error
    means discovery found no host, whatever host the client found on an earlier run."""
    pinned = kms_host is not None and kms_host.endswith("(pinned)")
    if code is not None and hresult.explain(code).category == hresult.DNS and not pinned:
        return "KMS host: none found in DNS"
    if kms_host:
        return f"KMS host: {kms_host}"
    return "KMS host: from DNS discovery"


def timed_out(name: str, product: Product | None, kms_host: str | None) -> Activation:
    """Activate timed out (its outcome unknown, wsman-wire.md §5.2) and the product read back
    afterwards decides."""
    if product is not None and product.licensed:
        return Activation(
            State.ACTIVATED,
            name,
            f"{name}: Activate timed out, but the product reads Licensed afterwards: it ran.",
            kms_host=kms_host,
        )
    status = product.status_name if product is not None else "not found"
    return Activation(
        State.UNKNOWN,
        name,
        f"{name}: Activate timed out and the product reads {status} afterwards, so the attempt "
        "either failed or is still running on the host. Run the task again: it reads the state "
        "first and activates only if still needed.",
        hresult.ERROR_WSMAN_OPERATION_TIMEDOUT,
        kms_host=kms_host,
    )
