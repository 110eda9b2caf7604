# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors for WS-Management: a body we cannot trust, and a fault the server sent on purpose.

``WsmanProtocolError`` means the conversation broke (not XML, not SOAP, wrong reply, too big).
``WsmanFault`` is a SOAP fault (HTTP 500) with everything the server said about it, and an HRESULT
explained through :mod:`hresult` so ``str(exc)`` reads "what happened, what to do".
``OperationTimedOut`` is the ``w:TimedOut`` fault: the outcome is *unknown* (§5.2 of
reference/wsman-wire.md: a timed-out method may still have run), so re-read state before retrying.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.wsman.markup import mask_secrets

# WSManFault Code of an OperationTimeout (0x80338029), as pywinrm tests for it (wsman-wire.md §1.6).
TIMED_OUT_CODE = 2150858793

# What to do per WS-Man subcode, when the HRESULT catalog has no advice (wsman-wire.md §1.6, §5).
SUBCODE_ADVICE: Mapping[str, str] = MappingProxyType(
    {
        "TimedOut": "The outcome is unknown: re-read the state before retrying. WinRM caps the "
        "operation timeout at MaxTimeoutms (60 s by default), so a slow call such as Activate "
        "may outlast it and still finish on the host.",
        "InvalidSelectors": "Enumerate the class first and address the instance with what the "
        "host returned: its endpoint reference or its exact key values (Version for "
        "SoftwareLicensingService, ID for SoftwareLicensingProduct).",
        "InvalidParameter": "A value in the request is not valid for the host; report it as a "
        "bug if this collection built the request.",
        "EncodingLimit": "The response would exceed MaxEnvelopeSize: select fewer properties or "
        "rows, or raise the envelope size.",
        "SchemaValidationError": "The request did not match the schema WinRM expects; this is a "
        "bug in the request builder, please report it with the failing operation.",
        "QuotaLimit": "A WinRM quota on the host was reached: close idle shells or sessions, or "
        "raise the quota in the host's WinRM configuration.",
        "CannotProcessFilter": "Check the WQL query: the class must exist in the namespace and "
        "every property and literal must be valid.",
        "InvalidEnumerationContext": "The enumeration expired on the host; run the query again.",
        "AccessDenied": "Use an account in the host's Administrators group with Remote Enable on "
        "the WMI namespace.",
        "ActionNotSupported": "The host does not offer this operation on this resource; check "
        "the class, method and namespace.",
        "DestinationUnreachable": "Check the class and namespace in the resource URI.",
        "InternalError": "The WMI provider failed; the HRESULT names the cause.",
    }
)


def _masked(value: Any) -> Any:
    """``value`` with every product key masked, in strings at any depth."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, Mapping):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item) for item in value]
    return value


def _rebuild(cls: type[WsmanError], state: dict[str, Any]) -> WsmanError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = (str(error),)
    return error


class WsmanError(KmsError):
    """Base class of every WS-Management error raised by this collection."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat the default pickling of exceptions (worker processes,
        # copy.copy); rebuild from the attributes instead.
        return (_rebuild, (type(self), dict(self.__dict__)))


class WsmanProtocolError(WsmanError):
    """The response cannot be used: malformed, not SOAP, wrong RelatesTo, too large, wrong shape."""

    def __init__(self, problem: str, *, detail: str = "", http_status: int | None = None) -> None:
        self.problem = mask_secrets(problem)
        self.detail = mask_secrets(detail)
        self.http_status = http_status
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"WS-Management protocol error: {self.problem}"
        if self.http_status is not None:
            text = f"{text} (HTTP {self.http_status})"
        if self.detail:
            text = f"{text}. {self.detail}"
        return text


class WsmanFault(WsmanError):
    """A SOAP fault returned by the WS-Management service.

    ``code`` is ``s:Code/s:Value`` as sent (``s:Sender``), ``subcode`` the ``s:Subcode/s:Value``
    text (``w:TimedOut``) and ``subcode_name`` its local part; ``reason`` is ``s:Reason/s:Text``;
    ``wsman_code`` the outer ``WSManFault/@Code``; ``provider_code`` the innermost one;
    ``hresult`` the best HRESULT found (see :func:`wsman_fault.select_hresult`; a plain Win32
    code such as ``Code="87"`` becomes its HRESULT, 0x80070057); ``message``
    the innermost ``WSManFault`` message; ``wmi_error`` the decoded ``MSFT_WmiError``
    properties; ``extended_error`` the decoded ``__ExtendedStatus``.

    A server may echo a method's parameters into a fault (``__ExtendedStatus.ParameterInfo``, the
    message), ``InstallProductKey``'s key among them: every text is kept with product keys masked,
    like every other output.
    """

    def __init__(
        self,
        *,
        code: str = "",
        subcode: str = "",
        reason: str = "",
        message: str = "",
        wsman_code: int | None = None,
        provider_code: int | None = None,
        hresult_code: int | None = None,
        machine: str = "",
        provider: str = "",
        provider_path: str = "",
        wmi_error: Mapping[str, Any] | None = None,
        extended_error: Mapping[str, Any] | None = None,
        action: str = "",
        http_status: int | None = None,
    ) -> None:
        self.code = mask_secrets(code)
        self.subcode = mask_secrets(subcode)
        self.subcode_name = self.subcode.rpartition(":")[2]
        self.reason = mask_secrets(reason)
        self.message = mask_secrets(message)
        self.wsman_code = wsman_code
        self.provider_code = provider_code
        self.hresult = hresult_code
        self.machine = mask_secrets(machine)
        self.provider = mask_secrets(provider)
        self.provider_path = mask_secrets(provider_path)
        self.wmi_error = _masked(dict(wmi_error)) if wmi_error is not None else None
        self.extended_error = _masked(dict(extended_error)) if extended_error is not None else None
        self.action = mask_secrets(action)
        self.http_status = http_status
        self.explanation = hresult.explain(hresult_code) if hresult_code is not None else None
        super().__init__(str(self))

    @property
    def what_happened(self) -> str:
        """One sentence: the subcode, the server's message and the HRESULT with its meaning."""
        label = self.subcode or self.code or "unknown fault"
        said = self.message or self.reason or "no message from the server"
        text = f"WS-Management fault {label}: {said.strip()}"
        found = self.explanation
        if found is not None:
            name = f"{found.hex} ({found.symbol})" if found.symbol else found.hex
            text = f"{text} [HRESULT {name}: {found.meaning}]"
        return text

    @property
    def what_to_do(self) -> str:
        """The catalog's advice for a known HRESULT, else the advice for the WS-Man subcode,
        else the catalog's generic advice for the HRESULT's range."""
        found = self.explanation
        if found is not None and found.code in hresult.CATALOG and found.action:
            return found.action
        advice = SUBCODE_ADVICE.get(self.subcode_name, "")
        if not advice and found is not None:
            advice = found.action
        return advice

    def __str__(self) -> str:
        advice = self.what_to_do
        return f"{self.what_happened} What to do: {advice}" if advice else self.what_happened


class OperationTimedOut(WsmanFault):
    """``w:TimedOut``: the host gave up waiting, but the operation may still have run.

    Outcome unknown: re-read the state (query the instance again) before deciding to retry.
    """

    @property
    def what_to_do(self) -> str:
        return SUBCODE_ADVICE["TimedOut"]
