"""HRESULTs and the exceptions the model raises.

SPP methods fail with an HRESULT (a COM/WMI method failure), never with a non-zero ReturnValue:
slmgr.vbs only ever checks ``Err.Number`` (wsman-wire §1.6, §5 item 7). The model therefore raises
:class:`SppFault` and the WS-Man front end turns it into a SOAP fault. Win32_Service, StdRegProv and
MSFT_NetFirewallRule report failures through ReturnValue instead, and never raise these.
"""

from __future__ import annotations

from enum import Enum, IntEnum


class HResult(IntEnum):
    """HRESULTs the lab produces; names from slerror.h as quoted in kms-facts §2.7."""

    SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED = 0xC004C008  # CSVLK: 10 activations on up to 6 hosts
    SL_E_PKEY_INVALID_CONFIG = 0xC004E016  # key not valid for this product (salt#64948)
    SL_E_PKEY_NOT_INSTALLED = 0xC004F014  # no product key installed
    SL_E_PRODUCT_SKU_NOT_INSTALLED = 0xC004F015  # the license for that key is not on this OS
    # Lab choice (not in the reference): the sppwmi docs only say "an error is returned" when a
    # host-only setting is called on a machine that is not a KMS host.
    SL_E_NOT_SUPPORTED = 0xC004F016
    SL_E_LUA_ACCESSDENIED = 0xC004F025
    SL_E_VL_NOT_ENOUGH_COUNT = 0xC004F038
    SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED = 0xC004F041
    SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH = 0xC004F042
    SL_E_INVALID_PRODUCT_KEY = 0xC004F050
    SL_E_MISMATCHED_PRODUCT_SKU = 0xC004F069
    SL_E_VL_BINDING_SERVICE_UNAVAILABLE = 0xC004F074
    E_ACCESSDENIED = 0x80070005
    # Lab choice: an out-of-range argument (interval outside 15..43200, port outside 1..65535).
    E_INVALIDARG = 0x80070057
    # Lab choice: SPP could not be demand-started because sppsvc is made to fail on start.
    ERROR_SERVICE_REQUEST_TIMEOUT = 0x8007041D
    DNS_ERROR_RCODE_NAME_ERROR = 0x8007232B  # no _vlmcs._tcp SRV record found


def hresult_text(code: int) -> str:
    """``0xC004F050 (SL_E_INVALID_PRODUCT_KEY)``, or just the hex form for codes the lab lacks."""
    try:
        name = HResult(code).name
    except ValueError:
        return f"0x{code:08X}"
    return f"0x{code:08X} ({name})"


class SppFault(Exception):
    """An SPP method failed with an HRESULT."""

    def __init__(self, hresult: int, detail: str = "") -> None:
        self.hresult = hresult
        self.detail = detail
        text = f"HRESULT {hresult_text(hresult)}"
        super().__init__(f"{text}: {detail}" if detail else text)


class LabTimeout(Exception):
    """The operation timed out (injected). ``ran`` says whether the method ran before the timeout.

    A WS-Man OperationTimeout on a method invoke does not mean the method did not run
    (wsman-wire §5 item 2); ``ran=True`` lets tests check that the collection re-reads state.
    """

    def __init__(self, target: str, *, ran: bool) -> None:
        self.target = target
        self.ran = ran
        state = "after the method ran" if ran else "before the method ran"
        super().__init__(f"{target} timed out {state}")


class CimErrorKind(Enum):
    """Failures of the CIM surface itself; the front end maps them to WS-Man faults (§1.6)."""

    NO_SUCH_CLASS = "no such class"
    NO_SUCH_INSTANCE = "no such instance"
    INVALID_SELECTORS = "invalid selectors"
    NO_SUCH_METHOD = "no such method"
    INVALID_PARAMETER = "invalid parameter"


class CimError(Exception):
    def __init__(self, kind: CimErrorKind, message: str) -> None:
        self.kind = kind
        super().__init__(f"{kind.value}: {message}")
