# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOAP faults in the shapes Windows sends (HTTP 500 + ``s:Fault``, wsman-wire §1.6).

Each builder names its source. Codes are the unsigned decimal HRESULTs of ``WSManFault/@Code``.
Where only the code is documented (not the text), the reason is lab wording and the README says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from . import names as ns

# HRESULTs: wsman-wire §1.6 table, plus the ERROR_WSMAN_* constants of the Windows SDK (wsmerror.h,
# as published in the windows-rs docs) for the ones the table lacks.
RESOURCE_NOT_FOUND = 0x80338000  # §1.6 table
DESTINATION_UNREACHABLE_URI = 0x8033803B  # resource URI not in the catalog (wsmerror.h)
ACTION_NOT_SUPPORTED = 0x80338013  # ERROR_WSMAN_ACTION_NOT_SUPPORTED
FILTER_DIALECT_UNAVAILABLE = (
    0x80338019  # ERROR_WSMAN_ENUMERATE_FILTER_DIALECT_REQUESTED_UNAVAILABLE
)
CANNOT_PROCESS_FILTER = 0x8033801A  # §1.6 table, capture winrb_soap_fault_v2.xml
INVALID_ENUMERATION_CONTEXT = 0x8033801B  # §6, ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT
TIMED_OUT = 0x80338029  # §1.6 table
ENCODING_LIMIT = 0x80338035  # ERROR_WSMAN_ENCODING_LIMIT
# w:InvalidSelectors as Windows sends it for selectors it does not expect: Code 2150858843
# (ERROR_WSMAN_UNEXPECTED_SELECTORS) with the UnexpectedSelectors fault detail, in a real
# Windows reply kept by pywinrm (winrm/tests/winrm_responses/shells.py @f6913d41,
# CLOSE_SHELL_RESPONSE_ALREADY_CLOSED). wsman-wire §1.6's 2150858813 (0x8033803D,
# ERROR_WSMAN_INVALID_SELECTORS) is a constant of wsmerror.h no capture shows on the wire.
UNEXPECTED_SELECTORS = 0x8033805B
# A Get of a keyed (non-singleton) WMI class without selectors: Microsoft's Session.Error page
# (MicrosoftDocs/win32 desktop-src/WinRM/session-error.md @0180b6db),
# ERROR_WSMAN_INVALID_URI_WMI_SINGLETON; the fault is in faults_wmi.no_keys.
INVALID_URI_WMI_SINGLETON = 0x803380FA
SCHEMA_VALIDATION = 0x80338041  # §1.6 table
ENUMERATION_MODE_UNSUPPORTED = 0x80338086  # ERROR_WSMAN_ENUMERATION_MODE_UNSUPPORTED
DIFFERENT_CIM_NAMESPACE = 0x8033813B  # §1.1 (omi#398)
E_FAIL = 0x80004005  # lab_error: unspecified failure

SERVICE_PREFIX = "The WS-Management service cannot process the request. "


@dataclass(frozen=True)
class Fault:
    """One fault: everything but the header's MessageID/RelatesTo, which the envelope adds."""

    action: str
    code: str  # s:Sender or s:Receiver
    subcode: str | None
    reason: str
    detail: str = ""  # the inner XML of s:Detail, already rendered

    def envelope(self, message_id: str, relates_to: str | None) -> str:
        # Namespace declarations: fault captures winrb_soap_fault_v2.xml, winrb_wsman_fault.xml.
        relates = "" if relates_to is None else f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        subcode = (
            ""
            if self.subcode is None
            else f"<s:Subcode><s:Value>{self.subcode}</s:Value></s:Subcode>"
        )
        detail = f"<s:Detail>{self.detail}</s:Detail>" if self.detail else ""
        return (
            f'<s:Envelope xml:lang="en-US" xmlns:a="{ns.ADDRESSING}" xmlns:e="{ns.EVENTING}"'
            f' xmlns:n="{ns.ENUMERATION}" xmlns:p="{ns.WSMV}" xmlns:s="{ns.SOAP}"'
            f' xmlns:w="{ns.WSMAN}" xmlns:x="{ns.TRANSFER}">'
            f"<s:Header><a:Action>{self.action}</a:Action><a:MessageID>{message_id}</a:MessageID>"
            f"<a:To>{ns.ANONYMOUS}</a:To>{relates}</s:Header>"
            f"<s:Body><s:Fault><s:Code><s:Value>{self.code}</s:Value>{subcode}</s:Code>"
            f'<s:Reason><s:Text xml:lang="en-US">{escape(self.reason)}</s:Text></s:Reason>'
            f"{detail}</s:Fault></s:Body></s:Envelope>"
        )


class SoapFault(Exception):
    """Raised by request handlers; the service renders ``fault`` with HTTP status 500."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        super().__init__(fault.reason)


def wsman_detail(code: int, machine: str, message: str) -> str:
    """``f:WSManFault`` with Code (unsigned decimal) and Machine: wsman-wire §1.6 template."""
    return (
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{code}" Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(message)}</f:Message></f:WSManFault>"
    )


def simple(action: str, code: str, subcode: str, *, hresult: int, machine: str, text: str) -> Fault:
    return Fault(action, code, subcode, text, wsman_detail(hresult, machine, text))


def timed_out(machine: str) -> Fault:
    # pywinrm winrm/tests/test_exceptions.py (wsman-wire §1.6 (h)): s:Receiver + w:TimedOut.
    text = (
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.  "
    )
    return simple(
        ns.FAULT_WSMAN, "s:Receiver", "w:TimedOut", hresult=TIMED_OUT, machine=machine, text=text
    )


FAULT_DETAIL_PREFIX = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
# The reason of the captured fault, verbatim (pywinrm shells.py, see UNEXPECTED_SELECTORS).
INVALID_SELECTORS_REASON = (
    "The WS-Management service cannot process the request because the request contained invalid "
    "selectors for the resource. "
)


def invalid_selectors(machine: str, message: str = "") -> Fault:
    """``w:InvalidSelectors`` in the captured shape: s:Sender, the reason verbatim, a
    ``w:FaultDetail`` of UnexpectedSelectors, then a WSManFault with Code 2150858843.

    ``message`` is the WSManFault message: the capture's is about a shell; what Windows says for a
    WMI resource is not captured, so the default repeats the reason (lab wording)."""
    detail = (
        f"<w:FaultDetail>{FAULT_DETAIL_PREFIX}UnexpectedSelectors</w:FaultDetail>"
        + wsman_detail(UNEXPECTED_SELECTORS, machine, message or INVALID_SELECTORS_REASON)
    )
    return Fault(ns.FAULT_WSMAN, "s:Sender", "w:InvalidSelectors", INVALID_SELECTORS_REASON, detail)


def shell_not_found(machine: str, shell_id: str) -> Fault:
    """A shell request for a ShellId the service does not hold: the capture itself (Delete of a
    shell already closed), its WSManFault message verbatim with this ShellId."""
    message = (
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the "
        "shell was not found on the server. Possible causes are: the specified ShellId is "
        "incorrect or the shell no longer exists on the server. Provide the correct ShellId or "
        "create a new shell and retry the operation. "
    )
    return invalid_selectors(machine, message)


def encoding_limit(machine: str, size: int, maximum: int) -> Fault:
    # Text: wsman-wire §5 item 1 (Esri/arcgis-powershell-dsc #688). Subcode: MS-WSMV 3.1.4.1.7.
    text = (
        SERVICE_PREFIX + f"The computed response packet size ({size}) exceeds the maximum "
        f"envelope size that is allowed ({maximum})."
    )
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        "w:EncodingLimit",
        hresult=ENCODING_LIMIT,
        machine=machine,
        text=text,
    )


def envelope_size_too_small(machine: str, size: int) -> Fault:
    # MS-WSMV 3.1.4.1.7: a MaxEnvelopeSize under 8192 octets MUST get w:EncodingLimit. Lab wording.
    text = SERVICE_PREFIX + f"The MaxEnvelopeSize ({size}) is below the minimum of 8192 octets. "
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        "w:EncodingLimit",
        hresult=ENCODING_LIMIT,
        machine=machine,
        text=text,
    )


def invalid_enumeration_context(machine: str) -> Fault:
    # wsman-wire §6 (InvalidEnumerationContext 0x8033801B); reason is lab wording.
    text = SERVICE_PREFIX + "The enumeration context is not valid or has expired. "
    return simple(
        ns.FAULT_ENUMERATION,
        "s:Receiver",
        "n:InvalidEnumerationContext",
        hresult=INVALID_ENUMERATION_CONTEXT,
        machine=machine,
        text=text,
    )


def action_not_supported(machine: str, action: str, why: str = "") -> Fault:
    text = SERVICE_PREFIX + (why or f"The action {action} is not supported by the service. ")
    return simple(
        ns.FAULT_ADDRESSING,
        "s:Sender",
        "a:ActionNotSupported",
        hresult=ACTION_NOT_SUPPORTED,
        machine=machine,
        text=text,
    )


def resource_not_found(machine: str) -> Fault:
    # a:DestinationUnreachable + 0x80338000: microsoft/omi#254 (a real Windows answer to a Get of a
    # missing Win32_Process) and wsman-wire §1.6 table.
    text = (
        SERVICE_PREFIX + "The service cannot find the resource identified by the resource URI "
        "and selectors. "
    )
    return simple(
        ns.FAULT_ADDRESSING,
        "s:Sender",
        "a:DestinationUnreachable",
        hresult=RESOURCE_NOT_FOUND,
        machine=machine,
        text=text,
    )


def unknown_resource_uri(machine: str, uri: str) -> Fault:
    text = SERVICE_PREFIX + f"The resource URI ({uri}) was not found in the WS-Management catalog. "
    return simple(
        ns.FAULT_ADDRESSING,
        "s:Sender",
        "a:DestinationUnreachable",
        hresult=DESTINATION_UNREACHABLE_URI,
        machine=machine,
        text=text,
    )


def schema_validation(machine: str, problem: str) -> Fault:
    # Code/subcode: wsman-wire §1.6 table (pywinrm fixture). Reason: lab wording + the problem.
    text = f"The SOAP XML in the message does not match the expected schema: {problem}"
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        "w:SchemaValidationError",
        hresult=SCHEMA_VALIDATION,
        machine=machine,
        text=text,
    )


def dialect_unavailable(machine: str, dialect: str) -> Fault:
    text = SERVICE_PREFIX + f"The filter dialect {dialect} is not supported for this resource. "
    return simple(
        ns.FAULT_ENUMERATION,
        "s:Sender",
        "n:FilterDialectRequestedUnavailable",
        hresult=FILTER_DIALECT_UNAVAILABLE,
        machine=machine,
        text=text,
    )


def enumeration_mode_unsupported(machine: str, mode: str) -> Fault:
    text = SERVICE_PREFIX + f"The enumeration mode {mode} is not supported. "
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        "w:UnsupportedFeature",
        hresult=ENUMERATION_MODE_UNSUPPORTED,
        machine=machine,
        text=text,
    )


def different_cim_namespace(machine: str) -> Fault:
    # wsman-wire §1.1: text from microsoft/omi#398; the subcode is a lab choice.
    text = (
        SERVICE_PREFIX + "The resource URI and __cimnamespace selector attempted to use "
        "different namespaces. "
    )
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        "w:InvalidSelectors",
        hresult=DIFFERENT_CIM_NAMESPACE,
        machine=machine,
        text=text,
    )


def lab_error(machine: str, error: BaseException) -> Fault:
    """A bug behind the provider interface, shown to the client instead of a dropped connection."""
    text = f"Internal error in the lab (not a Windows behaviour): {type(error).__name__}: {error}"
    return simple(
        ns.FAULT_WSMAN, "s:Receiver", "w:InternalError", hresult=E_FAIL, machine=machine, text=text
    )


def with_subcode(machine: str, subcode: str, hresult: int, message: str) -> Fault:
    """A provider-chosen subcode (``CimError(wsman_subcode=...)``) with its HRESULT."""
    return simple(
        ns.FAULT_WSMAN,
        "s:Sender",
        subcode,
        hresult=hresult,
        machine=machine,
        text=message or subcode,
    )
