# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults that come from WMI itself (through WinRM's WMI plugin WsmWmiPl.dll), wsman-wire §1.6.

Two detail forms exist: a WSManFault (optionally wrapping a ProviderFault and an
``__ExtendedStatus``, capture winrb_soap_fault_v2.xml) and an MSFT_WmiError CIM instance (capture
winrb_wmi_error_v2.xml). The provider HRESULT template is wsman-wire's, not a capture: the exact
XML Windows sends for an SPP HRESULT is unconfirmed (§7).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from . import names as ns
from .faults import (
    CANNOT_PROCESS_FILTER,
    INVALID_URI_WMI_SINGLETON,
    SERVICE_PREFIX,
    Fault,
    simple,
)

PROVIDER_PATH = r"%systemroot%\system32\WsmWmiPl.dll"  # capture winrb_soap_fault_v2.xml


def provider_fault(
    *, machine: str, computer: str, namespace: str, message: str, operation: str, parameter: str
) -> Fault:
    """``n:CannotProcessFilter`` with a nested ProviderFault and ``__ExtendedStatus``.

    Shape and texts: capture winrb_soap_fault_v2.xml (WQL on a class that does not exist).
    """
    status_ns = f"{ns.WMI_PREFIX}{namespace}/__ExtendedStatus"
    inner = (
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{CANNOT_PROCESS_FILTER}"'
        f" Machine={quoteattr(computer)}><f:Message>{escape(message)}</f:Message></f:WSManFault>"
    )
    extended = (
        f'<p:__ExtendedStatus xmlns:cim="{ns.CIM_COMMON}" xmlns:p="{status_ns}"'
        f' xmlns:xsi="{ns.XSI}" xsi:type="p:__ExtendedStatus_Type">'
        f'<p:Description xsi:nil="true"/><p:Operation>{escape(operation)}</p:Operation>'
        f"<p:ParameterInfo>{escape(parameter)}</p:ParameterInfo>"
        f'<p:ProviderName>WinMgmt</p:ProviderName><p:StatusCode xsi:nil="true"/>'
        f"</p:__ExtendedStatus>"
    )
    detail = (
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{CANNOT_PROCESS_FILTER}"'
        f" Machine={quoteattr(machine)}><f:Message>"
        f'<f:ProviderFault path="{PROVIDER_PATH}" provider="WMI Provider">{inner}'
        f"<f:ExtendedError>{extended}</f:ExtendedError></f:ProviderFault>"
        f"</f:Message></f:WSManFault>"
    )
    reason = (
        "The data source could not process the filter. The filter might be missing or it might "
        "be invalid. Change the filter and try the request again.  "
    )
    return Fault(ns.FAULT_ENUMERATION, "s:Sender", "n:CannotProcessFilter", reason, detail)


def class_not_found(*, machine: str, computer: str, namespace: str, query: str) -> Fault:
    # Capture winrb_soap_fault_v2.xml, verbatim texts.
    return provider_fault(
        machine=machine,
        computer=computer,
        namespace=namespace,
        message="The specified class does not exist in the given namespace. ",
        operation="ExecQuery",
        parameter=query,
    )


def invalid_query(*, machine: str, computer: str, namespace: str, query: str) -> Fault:
    # Same shape as class_not_found; the inner message for WBEM_E_INVALID_QUERY is lab wording.
    return provider_fault(
        machine=machine,
        computer=computer,
        namespace=namespace,
        message="The query is not syntactically valid. ",
        operation="ExecQuery",
        parameter=query,
    )


# Microsoft's Session.Error page, verbatim: the inner WSManFault's message (the page's
# Err.Description differs in one word, "about" for "in").
NO_KEYS_MESSAGE = (
    "The WinRM client cannot process the request. The resource URI is not valid: it does not "
    "contain keys, but the class selected is not a singleton. To access an instance which is not "
    "a singleton, keys must be provided. Use the following command to get more information in how "
    'to construct a resource URI: "winrm help uris". '
)
WMI_PLUGIN = "WMIv1 plugin for Windows Remote Management "  # the same page, trailing space kept


def no_keys(machine: str) -> Fault:
    """A Get of a keyed WMI class without selectors: Code 2150859002 (0x803380FA) in a WSManFault
    that wraps the WMI plugin's ProviderFault, texts and attributes as on Microsoft's Session.Error
    page (inner Machine empty there). The page shows only the detail: the subcode is a lab choice
    (DSP0226 answers missing selectors with wsman:InvalidSelectors), and an MSFT_WmiError form
    with the same error_Code, seen in public client code, is not served."""
    inner = (
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{INVALID_URI_WMI_SINGLETON}" Machine=""'
        f' xml:lang="en-US"><f:Message>{escape(NO_KEYS_MESSAGE)}</f:Message></f:WSManFault>'
    )
    detail = (
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{INVALID_URI_WMI_SINGLETON}"'
        f' Machine={quoteattr(machine)} xml:lang="en-US"><f:Message>'
        f"<f:ProviderFault provider={quoteattr(WMI_PLUGIN)} path={quoteattr(PROVIDER_PATH)}>{inner}"
        "</f:ProviderFault></f:Message></f:WSManFault>"
    )
    return Fault(ns.FAULT_WSMAN, "s:Sender", "w:InvalidSelectors", NO_KEYS_MESSAGE, detail)


def provider_hresult(machine: str, hresult: int) -> Fault:
    # wsman-wire §1.6 template (texts from the MS/Azure docs quoted there); not a capture.
    text = (
        SERVICE_PREFIX + "The WMI service or the WMI provider returned an unknown error: "
        f"HRESULT 0x{hresult:08x} "
    )
    return simple(
        ns.FAULT_WSMAN, "s:Receiver", "w:InternalError", hresult=hresult, machine=machine, text=text
    )


def provider_wmi_error(hresult: int, message: str = "") -> Fault:
    """The MSFT_WmiError detail form: shape of capture winrb_wmi_error_v2.xml, our HRESULT."""
    text = message or (
        SERVICE_PREFIX + "The WMI service or the WMI provider returned an unknown error: "
        f"HRESULT 0x{hresult:08x} "
    )
    fields = [
        ("CIMStatusCode", "cimUnsignedInt", "1"),  # CIM_ERR_FAILED
        ("CIMStatusCodeDescription", "cimString", None),
        ("ErrorSource", "cimString", None),
        ("ErrorSourceFormat", "cimUnsignedShort", "0"),
        ("ErrorType", "cimUnsignedShort", "0"),
        ("Message", "cimString", text),
        ("MessageID", "cimString", f"HRESULT 0x{hresult:08x}"),
        ("OtherErrorSourceFormat", "cimString", None),
        ("OtherErrorType", "cimString", None),
        ("OwningEntity", "cimString", None),
        ("PerceivedSeverity", "cimUnsignedShort", "0"),
        ("ProbableCause", "cimUnsignedShort", "0"),
        ("ProbableCauseDescription", "cimString", None),
        ("error_Category", "cimUnsignedInt", "0"),
        ("error_Code", "cimUnsignedInt", str(hresult)),
        ("error_Type", "cimString", "HRESULT"),
        ("error_WindowsErrorMessage", "cimString", text),
    ]
    body = "".join(
        f'<p:{name} xsi:nil="true" xsi:type="cim:{kind}"/>'
        if value is None
        else f'<p:{name} xsi:type="cim:{kind}">{escape(value)}</p:{name}>'
        for name, kind, value in fields
    )
    detail = (
        f'<p:MSFT_WmiError b:IsCIM_Error="true" xmlns:b="{ns.CIMBINDING}"'
        f' xmlns:cim="{ns.CIM_COMMON}" xmlns:p="{ns.WMI_ERROR}" xsi:type="p:MSFT_WmiError_Type"'
        f' xmlns:xsi="{ns.XSI}">'
        f"{body}</p:MSFT_WmiError>"
    )
    return Fault(ns.FAULT_WSMAN, "s:Receiver", "w:InternalError", text, detail)
