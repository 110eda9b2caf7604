# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HRESULT catalog, part two: Win32, COM, WMI and WinRM codes that activation reports."""

from __future__ import annotations

from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_entry import (
    DNS,
    E_ACCESSDENIED,
    ERROR_WSMAN_OPERATION_TIMEDOUT,
    FIX_ADMIN,
    FIX_DNS,
    NETWORK,
    PERMISSION,
    PRODUCT_KEY,
    WIN32,
    WMI,
    WSMAN,
    HResult,
)

# fmt: off
ENTRIES = (
    # Win32 errors wrapped as HRESULTs (0x8007xxxx) that activation reports: kms-facts.md §2.7 and
    # activation-error-codes.md; symbols from Microsoft "System Error Codes" (search/docs).
    HResult(
        E_ACCESSDENIED, "E_ACCESSDENIED",
        "Access denied: the action needs elevated (administrator) rights.",
        FIX_ADMIN + " WMI also needs Remote Enable on the namespace.",
        PERMISSION,
    ),
    # Active Directory-Based Activation (docs/adba.md): LDAP results as ADSI reports them
    # (Microsoft "Win32 Error Codes for ADSI"; symbols from "System Error Codes").
    HResult(
        0x80072020, "ERROR_DS_OPERATIONS_ERROR",
        "The directory refused the operation; for Active Directory-Based Activation this is what "
        "an LDAP bind without credentials meets: the WS-Man logon could not pass the caller's "
        "credentials on to a domain controller (the second hop).",
        "Run the task against a domain controller, or connect with CredSSP or with Kerberos and "
        "delegation (docs/adba.md, the second hop).",
        PERMISSION,
    ),
    HResult(
        0x80072030, "ERROR_DS_NO_SUCH_OBJECT",
        "The directory object does not exist; for Active Directory-Based Activation, the "
        "forest has no Activation Objects container (slmgr: not supported in the current "
        "Active Directory schema).",
        "Prepare the forest with adprep /forestprep from Windows Server 2012 or later "
        "(docs/adba.md).",
        WIN32,
    ),
    HResult(
        0x80071392, "ERROR_OBJECT_ALREADY_EXISTS",
        "The object already exists (LDAP entryAlreadyExists): an activation object of that "
        "name is in the forest.",
        "Choose another activation object name, or remove the existing object first.",
        WIN32,
    ),
    HResult(
        0x8007054B, "ERROR_NO_SUCH_DOMAIN",
        "The specified domain either does not exist or could not be contacted.",
        "Check that the machine is joined to the domain and can find a domain controller "
        "(DNS, network).",
        NETWORK,
    ),
    HResult(
        0x8007232A, "DNS_ERROR_RCODE_SERVER_FAILURE",
        "The DNS server failed while the KMS host published or looked up records.",
        "Troubleshoot the DNS server and the host's network; KMS host events 12293 show failed "
        "SRV publishing.",
        DNS,
    ),
    HResult(
        0x8007232B, "DNS_ERROR_RCODE_NAME_ERROR",
        "DNS name does not exist: the client found no _vlmcs._tcp SRV record.",
        FIX_DNS, DNS,
    ),
    HResult(
        0x8007251D, "DNS_INFO_NO_RECORDS",
        "The DNS query found no records: no _vlmcs._tcp SRV record for the client's domain.",
        FIX_DNS, DNS,
    ),
    HResult(
        0x80092328, "",
        "DNS name does not exist: the client found no KMS SRV records.",
        FIX_DNS, DNS,
    ),
    HResult(
        0x8007007B, "ERROR_INVALID_NAME",
        "DNS name does not exist (reported as an invalid name): no KMS SRV records were found.",
        FIX_DNS, DNS,
    ),
    HResult(
        0x800706BA, "RPC_S_SERVER_UNAVAILABLE",
        "The RPC server is unavailable: the KMS host refused the connection, because its firewall "
        "blocks TCP 1688 or the SRV record points at a machine that is no longer a KMS host.",
        "Enable the Key Management Service firewall rule (SPPSVC-In-TCP, TCP 1688) on the host "
        "and make sure every _vlmcs._tcp record points at a live KMS host.",
        NETWORK,
    ),
    HResult(
        0x80070490, "ERROR_NOT_FOUND",
        "The product key did not work: the MAK is invalid, or a known Windows Server 2019 issue.",
        "Install the key through the InstallProductKey WMI method (what slmgr /ipk does) and check "
        "that it is the right MAK.",
        PRODUCT_KEY,
    ),
    # Microsoft "Common HRESULT values" (search/docs): what failing WMI methods often return.
    HResult(
        0x80004005, "E_FAIL", "Unspecified failure.",
        "Retry once; if it persists, check the host's Application event log for the component.",
        WIN32,
    ),
    HResult(
        0x80070057, "E_INVALIDARG",
        "One or more arguments are not valid (Win32 error 87, ERROR_INVALID_PARAMETER, as an "
        "HRESULT; WinRM writes it as Code 87 with the w:InvalidParameter subcode).",
        "Check the values passed to the method; report it as a bug if they came from this "
        "collection.",
        WIN32,
    ),

    # WMI: WBEMSTATUS (wbemcli.h) and WbemErrorEnum (learn.microsoft.com, search/docs); provider
    # failures and 0x8004106C/0x80041033 are named in wsman-wire.md §1.6.
    HResult(
        0x80041001, "WBEM_E_FAILED", "The WMI call failed without a more specific reason.",
        "Retry once; if it persists, check the WMI service (winmgmt) on the host.",
        WMI,
    ),
    HResult(
        0x80041002, "WBEM_E_NOT_FOUND",
        "The WMI object was not found: no instance matches the key used (e.g. a product ID).",
        "Enumerate the class again for current keys; the instance may have gone (e.g. the "
        "product changed after a key install).",
        WMI,
    ),
    HResult(
        0x80041003, "WBEM_E_ACCESS_DENIED", "The account may not perform this WMI operation.",
        FIX_ADMIN + " The WMI namespace must grant the account Remote Enable.",
        PERMISSION,
    ),
    HResult(
        0x80041004, "WBEM_E_PROVIDER_FAILURE", "The WMI provider behind the class failed.",
        "For SoftwareLicensing* classes check that the Software Protection service (sppsvc) can "
        "run; then retry.",
        WMI,
    ),
    HResult(
        0x80041008, "WBEM_E_INVALID_PARAMETER", "A parameter of the WMI call is not correct.",
        "Check the values sent; report it as a bug if they came from this collection.",
        WMI,
    ),
    HResult(
        0x8004100C, "WBEM_E_NOT_SUPPORTED", "The provider does not support this operation.",
        "Check that this Windows version supports the operation.",
        WMI,
    ),
    HResult(
        0x8004100E, "WBEM_E_INVALID_NAMESPACE", "The WMI namespace does not exist on this host.",
        "Check the namespace (root/cimv2 for the licensing classes and Win32_Service).",
        WMI,
    ),
    HResult(
        0x80041010, "WBEM_E_INVALID_CLASS", "The WMI class does not exist in this namespace.",
        "Check the class name; SoftwareLicensingService/Product exist on Windows 7 and Server "
        "2008 R2 and later (Vista and 2008 use other classes).",
        WMI,
    ),
    HResult(
        0x80041013, "WBEM_E_PROVIDER_LOAD_FAILURE", "The WMI provider could not be loaded.",
        "Check the provider's service on the host (sppsvc for the licensing classes), then retry.",
        WMI,
    ),
    HResult(
        0x80041017, "WBEM_E_INVALID_QUERY", "The WQL query is not valid.",
        "Check the query's class, property names and quoting.",
        WMI,
    ),
    HResult(
        0x80041021, "WBEM_E_INVALID_SYNTAX", "The query or object path has a syntax error.",
        "Check the quoting of key values in the query or selectors.",
        WMI,
    ),
    HResult(
        0x8004102E, "WBEM_E_INVALID_METHOD", "The class has no such method on this host.",
        "Check the method name; some SPP methods exist only on newer Windows versions.",
        WMI,
    ),
    HResult(
        0x8004102F, "WBEM_E_INVALID_METHOD_PARAMETERS",
        "The method's parameters are not valid: missing, extra or of the wrong type.",
        "Check parameter names and types against the class definition (e.g. uint32 ports).",
        WMI,
    ),
    HResult(
        0x80041033, "WBEM_E_SHUTTING_DOWN", "WMI is shutting down (the host may be restarting).",
        "Wait for the host to come back, then retry.",
        WMI,
    ),
    HResult(
        0x8004106C, "WBEM_E_QUOTA_VIOLATION", "A WMI quota was exceeded on the host.",
        "Retry with fewer operations in parallel against this host.",
        WMI,
    ),

    # WinRM/WS-Management: the table and fixtures of wsman-wire.md §1.6 (WSManFault Code values),
    # Windows faults kept by public code (pywinrm winrm/tests/winrm_responses/shells.py @f6913d41:
    # 2150858843) and Microsoft's Session.Error page (2150859002); names from Microsoft's Win32
    # metadata (microsoft.github.io/windows-docs-rs, RemoteManagement constants; search/docs).
    HResult(
        0x80338000, "ERROR_WSMAN_RESOURCE_NOT_FOUND",
        "WinRM found no resource for this resource URI and selectors.",
        "Check the class URI and the key values (enumerate first to learn them).",
        WSMAN,
    ),
    HResult(
        0x80338003, "ERROR_WSMAN_PROVIDER_FAILURE",
        "The WinRM provider (the WMI plugin) failed to process the request.",
        "Retry; if it persists, check the WinRM and WMI services on the host.",
        WSMAN,
    ),
    HResult(
        0x8033801A, "ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER",
        "WinRM could not process the WQL filter, most often because the class does not exist in "
        "the namespace.",
        "Check the class name and namespace of the query.",
        WSMAN,
    ),
    HResult(
        0x8033801B, "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT",
        "The enumeration context is no longer valid: it expired (240 s by default) or was "
        "released.",
        "Start the enumeration again and pull the pages without long pauses.",
        WSMAN,
    ),
    HResult(
        0x80338026, "ERROR_WSMAN_ENVELOPE_TOO_LARGE",
        "A message was larger than the envelope size allowed.",
        "Ask for fewer properties and items per page (project the WQL, lower MaxElements).",
        WSMAN,
    ),
    HResult(
        ERROR_WSMAN_OPERATION_TIMEDOUT, "ERROR_WSMAN_OPERATION_TIMEDOUT",
        "The operation did not finish within the WS-Man OperationTimeout. For a method call this "
        "does not mean the method did not run.",
        "Read the state again before retrying (an Activate may have succeeded). WinRM caps the "
        "timeout at MaxTimeoutms (60 s by default, MS-WSMV 3.1.4.1.6), so asking for longer does "
        "not help: a method still running then finishes on the host, and the next run sees it.",
        WSMAN,
    ),
    HResult(
        0x8033803D, "ERROR_WSMAN_INVALID_SELECTORS",
        "The selectors (instance keys) are missing, extra or wrong for this class.",
        "Enumerate first and address the instance with what the host returned: Version for "
        "SoftwareLicensingService, ID for SoftwareLicensingProduct, Name for Win32_Service, the "
        "endpoint reference for MSFT_NetFirewallRule.",
        WSMAN,
    ),
    HResult(
        0x80338041, "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR",
        "The request XML failed WinRM's schema validation.",
        "Report it as a bug in this collection, with the request if possible.",
        WSMAN,
    ),
    HResult(
        0x8033805B, "ERROR_WSMAN_UNEXPECTED_SELECTORS",
        "WinRM did not expect these selectors (the w:InvalidSelectors fault, detail "
        "UnexpectedSelectors): they name no instance of the resource, such as a shell that no "
        "longer exists, or key names the WMI class does not have.",
        "For a WMI call, address the instance with the endpoint reference or the key values an "
        "enumeration returned (MSFT_NetFirewallRule is keyed by CreationClassName, "
        "PolicyRuleName, SystemCreationClassName and SystemName, not InstanceID); for a shell, "
        "reconnect and retry.",
        WSMAN,
    ),
    HResult(
        0x803380FA, "ERROR_WSMAN_INVALID_URI_WMI_SINGLETON",
        "The request named no keys, but the WMI class is not a singleton: WinRM needs the "
        "instance's key selectors to find it.",
        "Enumerate the class first (WQL) and address the instance with the keys it returns: "
        "Version for SoftwareLicensingService, ID for SoftwareLicensingProduct, Name for "
        "Win32_Service.",
        WSMAN,
    ),
    HResult(
        0x803380FB, "ERROR_WSMAN_INVALID_URI_WMI_ENUM_WQL",
        "The WQL enumeration was sent to a resource URI WinRM does not accept for WQL.",
        "Send WQL enumerations to the namespace URI ending in '/*' (wsman-wire.md §5 item 3).",
        WSMAN,
    ),
    HResult(
        0x80338104, "ERROR_WSMAN_WMI_SVC_ACCESS_DENIED",
        "WinRM's WMI plugin was denied access to the WMI service for this account.",
        FIX_ADMIN + " The WMI namespace must grant the account Remote Enable.",
        PERMISSION,
    ),
    HResult(
        0x80338105, "ERROR_WSMAN_WMI_PROVIDER_ACCESS_DENIED",
        "The WMI provider denied this account access.",
        FIX_ADMIN,
        PERMISSION,
    ),
    HResult(
        0x80338111, "ERROR_WSMAN_HTTP_REQUEST_TOO_LARGE_STATUS",
        "The request was larger than the configured MaxEnvelopeSize quota.",
        "Send smaller requests, or raise MaxEnvelopeSizekb in the host's WinRM configuration.",
        WSMAN,
    ),
    HResult(
        0x8033813B, "ERROR_WSMAN_DIFFERENT_CIM_SELECTOR",
        "The resource URI and the __cimnamespace selector name different WMI namespaces.",
        "Use one namespace: drop the __cimnamespace selector or make it match the URI.",
        WSMAN,
    ),
    HResult(
        0x803381A5, "ERROR_WSMAN_QUOTA_MAX_SHELLS",
        "This user has reached WinRM's maximum number of concurrent shells.",
        "Close idle shells or raise MaxShellsPerUser; fewer parallel tasks per host also helps.",
        WSMAN,
    ),
    HResult(
        0x803381A6, "ERROR_WSMAN_QUOTA_MAX_OPERATIONS",
        "This user has reached WinRM's maximum number of concurrent operations.",
        "Run fewer operations in parallel against this host, or raise the WinRM quota.",
        WSMAN,
    ),
)
# fmt: on
