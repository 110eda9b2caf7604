# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HRESULT catalog: code -> what happened -> what the administrator should do.

SPP methods, the WMI provider and WinRM all fail with an HRESULT (wsman-wire.md §1.6), and slmgr.vbs
exits with the same number in signed form (kms-facts.md §1.9). Task results quote these codes, so
every failure the collection reports says what it means and what to fix, never in localized text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows.return_codes import WIN32_ERRORS

# Categories group codes by where the fix lies.
SUCCESS = "success"
ACTIVATION = "activation"  # a KMS client's activation attempt
KMS_HOST = "kms_host"  # the KMS host itself: host key, host OS updates
PRODUCT_KEY = "product_key"  # installing or choosing a key
MAK = "mak"  # Microsoft's activation servers answering for a MAK
DNS = "dns"
NETWORK = "network"
PERMISSION = "permission"
WMI = "wmi"
WSMAN = "wsman"
WIN32 = "win32"
OTHER = "other"
CATEGORIES = frozenset(
    (SUCCESS, ACTIVATION, KMS_HOST, PRODUCT_KEY, MAK, DNS, NETWORK, PERMISSION, WMI, WSMAN, WIN32)
) | {OTHER}

# Activation thresholds (kms-facts.md §4.4): a KMS host activates client OS once its count of
# distinct machines seen in the last 30 days reaches 25, servers and volume Office at 5.
KMS_THRESHOLD_CLIENT_OS = 25
KMS_THRESHOLD_SERVER_OFFICE = 5

# Codes callers branch on.
S_OK = 0x00000000
E_ACCESSDENIED = 0x80070005
SL_E_VL_NOT_ENOUGH_COUNT = 0xC004F038
SL_E_LUA_ACCESSDENIED = 0xC004F025
ERROR_WSMAN_OPERATION_TIMEDOUT = 0x80338029

_UINT32_MAX = 0xFFFFFFFF
_SIGN_BIT = 0x80000000
# winerror.h: Win32 error codes are 16-bit numbers; HRESULT_FROM_WIN32 puts them in facility 7.
_WIN32_MAX = 0xFFFF
FACILITY_WIN32 = 7


@dataclass(frozen=True)
class HResult:
    """One HRESULT and its explanation; ``symbol`` is "" where Microsoft gives no name."""

    code: int
    symbol: str
    meaning: str
    action: str
    category: str

    def __post_init__(self) -> None:
        if isinstance(self.code, bool) or not isinstance(self.code, int):
            raise KmsInputError("code", f"{self.code!r} is not an integer HRESULT.")
        if not 0 <= self.code <= _UINT32_MAX:
            raise KmsInputError("code", f"{self.code} is outside 0..0xFFFFFFFF.", "Use to_code().")

    @property
    def hex(self) -> str:
        """``0xC004F038``: the form Microsoft's documentation and event logs use."""
        return f"0x{self.code:08X}"

    @property
    def signed(self) -> int:
        """``-1073418184``: the form slmgr.vbs exits with and Windows tools sometimes print."""
        return self.code - (1 << 32) if self.code & _SIGN_BIT else self.code

    @property
    def summary(self) -> str:
        """``0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT): <meaning>``, without the advice."""
        label = f"{self.hex} ({self.symbol})" if self.symbol else self.hex
        return f"{label}: {self.meaning}"

    def __str__(self) -> str:
        return f"{self.summary} What to do: {self.action}"


_FIX_DNS = (
    "Make sure a KMS host publishes _vlmcs._tcp.<domain> SRV records (DNS publishing on, dynamic "
    "updates allowed) or create them by hand pointing at the host on TCP 1688; or set the KMS host "
    "explicitly on the client. With a disjoint namespace, set the client's lookup domain."
)
_FIX_ADMIN = (
    "Connect with an account in the host's local Administrators group; over WinRM a local "
    "(non-domain) administrator can lose its admin rights to UAC remote restrictions."
)

# fmt: off
_ENTRIES = (
    # Success: Microsoft "Common HRESULT values" (learn.microsoft.com, found with search/docs).
    HResult(S_OK, "S_OK", "The operation succeeded.", "Nothing.", SUCCESS),

    # Software Licensing: kms-facts.md §2.7 (codes, slerror.h symbols, causes) and Microsoft
    # "Resolving common activation error codes" (windowsserverdocs activation-error-codes.md).
    HResult(
        0xC004F074, "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
        "No KMS host could be contacted: every host the client tried failed or did not answer.",
        "Check that _vlmcs._tcp SRV records point at a running KMS host, that TCP 1688 is open to "
        "it (firewall rule SPPSVC-In-TCP on the host), and read the client's Application log "
        "events 12288 for the host and error of each attempt; or set the KMS host explicitly.",
        ACTIVATION,
    ),
    HResult(
        SL_E_VL_NOT_ENOUGH_COUNT, "SL_E_VL_NOT_ENOUGH_COUNT",
        "The KMS host answered, but its count of distinct machines is below the threshold "
        f"({KMS_THRESHOLD_CLIENT_OS} for client OS, {KMS_THRESHOLD_SERVER_OFFICE} for servers and "
        "volume Office). This is the normal state while KMS is being rolled out, not a fault.",
        "Let more machines contact the host (it counts distinct machines over 30 days). Clients "
        "retry by themselves every 2 hours by default and activate once the count is reached; "
        "follow progress in the host's KeyManagementServiceCurrentCount.",
        ACTIVATION,
    ),
    HResult(
        0xC004F039, "SL_E_VL_BINDING_SERVICE_NOT_ENABLED",
        "The KMS host did not answer the activation request (reported as 'KMS is not enabled').",
        "Check the network path to the KMS host: TCP 1688 (or its configured listening port) must "
        "not be blocked or filtered by a firewall.",
        ACTIVATION,
    ),
    HResult(
        0xC004F041, "SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED",
        "The KMS host that answered is not activated itself, so it activates no clients.",
        "Activate the host key (CSVLK) on the KMS host, online or by phone, then retry clients.",
        KMS_HOST,
    ),
    HResult(
        0xC004F042, "SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH",
        "The KMS host that answered cannot activate this product: its host key group does not "
        "cover it (an older host key, a Windows client host key asked for a server, or an "
        "Office-only host found first in DNS).",
        "Install a host key whose group covers this OS (a newer Windows Server host key activates "
        "all older versions), and make sure the host OS has the update needed for newer clients "
        "(to activate WS2025: KB5034765 on WS2022, KB5034768 on WS2019; WS2022: KB5003646 on "
        "WS2019, KB5003638 on WS2016); or point these clients at a host that covers them.",
        KMS_HOST,
    ),
    HResult(
        0xC004C008, "SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED",
        "Microsoft refused to activate the KMS host key: a host key can be activated up to 10 "
        "times on up to 6 computers, and this one has used that allowance.",
        "Keep KMS on a host that already holds this key, or ask the Microsoft Licensing "
        "Activation Centers for more activations.",
        KMS_HOST,
    ),
    HResult(
        0xC004F015, "SL_E_PRODUCT_SKU_NOT_INSTALLED",
        "The license for this key is not installed. On a KMS host: the host OS does not know this "
        "host key yet, e.g. a Windows 10-era host key on Windows Server 2012 R2 without updates.",
        "Install the update the host OS needs for this host key (KB3172614 on 2012 R2 or 8.1, "
        "KB3172615 on 2012, KB3079821 on 2008 R2 or 7; older guidance: KB3086418), then install "
        "the key again.",
        KMS_HOST,
    ),
    HResult(
        0xC004F050, "SL_E_INVALID_PRODUCT_KEY",
        "The product key is invalid: a typo, dashes that are not plain hyphens, a pre-release "
        "key, or on a KMS host a host key newer than the host OS supports.",
        "Check the key and its hyphens, use the key for this exact edition and version; on a KMS "
        "host first install the host-OS update for newer host keys (e.g. KB4467695 or KB3172614 "
        "on 2012 R2, KB3172615 on 2012; older guidance: KB3058168).",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F069, "SL_E_MISMATCHED_PRODUCT_SKU",
        "No installed product matches this key: it is for another edition.",
        "Install the key for the installed edition (choose the GVLK by EditionID, never by the "
        "localized caption), or change the edition first.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004E016, "SL_E_PKEY_INVALID_CONFIG",
        "The product key is not valid for this edition.",
        "Install a key made for the installed edition and channel; for KMS, the published GVLK.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F035, "SL_E_VL_NOT_WINDOWS_SLP",
        "This machine cannot use a volume license key: it lacks the OEM BIOS marker that "
        "Windows 7-era volume upgrade licensing needs for KMS activation.",
        "Install a qualifying OS license and activate with a MAK or retail key, or by phone.",
        ACTIVATION,
    ),
    HResult(
        0xC004F06C, "SL_E_VL_INVALID_TIMESTAMP",
        "The KMS host rejected the request: the client's clock differs too much from the host's "
        "(compared in UTC, so time zones do not matter).",
        "Synchronize the client's time with the host (NTP or the domain hierarchy), then retry.",
        ACTIVATION,
    ),
    HResult(
        0xC004F014, "SL_E_PKEY_NOT_INSTALLED",
        "No product key is installed.",
        "Install a key first: the GVLK for a KMS client, or the MAK.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F00F, "SL_E_OUT_OF_TOLERANCE",
        "The hardware binding is beyond tolerance: hardware or drivers changed.",
        "KMS client: restart Windows or activate again. MAK: reactivate online or by phone.",
        ACTIVATION,
    ),
    HResult(
        SL_E_LUA_ACCESSDENIED, "SL_E_LUA_ACCESSDENIED",
        "The licensing call needs administrator rights the caller does not have.",
        _FIX_ADMIN,
        PERMISSION,
    ),
    HResult(
        0xC004F051, "SL_E_BLOCKED_PRODUCT_KEY",
        "Microsoft has blocked this product key.",
        "Get a new MAK or KMS host key, install it and activate.",
        PRODUCT_KEY,
    ),
    HResult(
        0xC004F009, "SL_E_GRACE_TIME_EXPIRED",
        "The grace period ended before activation; the machine is in the notification state.",
        "Activate it now (KMS or MAK); if that fails, contact the Microsoft Licensing Activation "
        "Centers.",
        ACTIVATION,
    ),
    # slerror.h (Windows SDK; SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED); the code is in
    # wsman-wire.md §1.6's list of useful values.
    HResult(
        0xC004F06B, "SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED",
        "The licensing service found it runs in a virtual machine, where KMS is not supported.",
        "Run the KMS host role on another machine, or activate this one with a MAK.",
        KMS_HOST,
    ),
    # MAK codes (kms-facts.md §2.7 list; symbols from slerror.h via Microsoft's Win32 metadata,
    # docs.rs windows-sys Win32::Security::Authentication::Identity, found with search/docs).
    HResult(
        0xC004C001, "SL_E_CHPA_PRODUCT_KEY_OUT_OF_RANGE",
        "Microsoft's activation server says the MAK is invalid.",
        "Check that it is the MAK Microsoft issued to you; if so, contact the Microsoft Licensing "
        "Activation Centers.",
        MAK,
    ),
    HResult(
        0xC004C003, "SL_E_CHPA_PRODUCT_KEY_BLOCKED",
        "Microsoft's activation server has blocked this MAK.",
        "Get a new MAK from the Microsoft Licensing Activation Centers, install it, activate.",
        MAK,
    ),
    HResult(
        0xC004C020, "SL_E_CHPA_DMAK_LIMIT_EXCEEDED",
        "The MAK has used all of its activations.",
        "Ask the Microsoft Licensing Activation Centers for more activations or use another MAK.",
        MAK,
    ),
    HResult(
        0xC004C021, "SL_E_CHPA_DMAK_EXTENSION_LIMIT_EXCEEDED",
        "The MAK's activation extension limit has been exceeded.",
        "Ask the Microsoft Licensing Activation Centers for more activations or use another MAK.",
        MAK,
    ),
    HResult(
        0xC004B100, "SL_E_SRV_GENERAL_ERROR",
        "Microsoft's activation server could not activate the computer: the MAK is not supported.",
        "Check that the MAK is the one Microsoft issued for this product; the Microsoft Licensing "
        "Activation Centers can confirm it.",
        MAK,
    ),
    HResult(
        0x8004FE21, "",
        "Windows reports it is not genuine, most often because language packs were added to an "
        "edition not licensed for them, or system files were modified or damaged.",
        "Remove the unlicensed language packs or repair the system; Microsoft's documented fix is "
        "reinstalling the operating system.",
        ACTIVATION,
    ),

    # Win32 errors wrapped as HRESULTs (0x8007xxxx) that activation reports: kms-facts.md §2.7 and
    # activation-error-codes.md; symbols from Microsoft "System Error Codes" (search/docs).
    HResult(
        E_ACCESSDENIED, "E_ACCESSDENIED",
        "Access denied: the action needs elevated (administrator) rights.",
        _FIX_ADMIN + " WMI also needs Remote Enable on the namespace.",
        PERMISSION,
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
        _FIX_DNS, DNS,
    ),
    HResult(
        0x8007251D, "DNS_INFO_NO_RECORDS",
        "The DNS query found no records: no _vlmcs._tcp SRV record for the client's domain.",
        _FIX_DNS, DNS,
    ),
    HResult(
        0x80092328, "",
        "DNS name does not exist: the client found no KMS SRV records.",
        _FIX_DNS, DNS,
    ),
    HResult(
        0x8007007B, "ERROR_INVALID_NAME",
        "DNS name does not exist (reported as an invalid name): no KMS SRV records were found.",
        _FIX_DNS, DNS,
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
        _FIX_ADMIN + " The WMI namespace must grant the account Remote Enable.",
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
        _FIX_ADMIN + " The WMI namespace must grant the account Remote Enable.",
        PERMISSION,
    ),
    HResult(
        0x80338105, "ERROR_WSMAN_WMI_PROVIDER_ACCESS_DENIED",
        "The WMI provider denied this account access.",
        _FIX_ADMIN,
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

CATALOG: Mapping[int, HResult] = MappingProxyType({entry.code: entry for entry in _ENTRIES})

_DECIMAL = re.compile(r"-?[0-9]+", re.ASCII)
_PREFIXED_HEX = re.compile(r"0[xX]([0-9a-fA-F]+)", re.ASCII)
# Unprefixed hex must be the full 8 digits an HRESULT is written with ("C004F074"). Eight plain
# digits ("80070005") read as hex or as decimal, so they are refused rather than guessed.
_BARE_HEX = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)


def _ambiguous(text: str, field: str) -> KmsInputError:
    unsigned = int(text, 16)
    signed = unsigned - (1 << 32) if unsigned & _SIGN_BIT else unsigned
    decimal = f"{signed} signed or {unsigned} unsigned" if signed != unsigned else str(unsigned)
    return KmsInputError(
        field,
        f"{text!r} is ambiguous: eight digits can be hex 0x{text} or decimal {int(text)}.",
        f"Write the hex HRESULT with its prefix (0x{text}, which is {decimal} in decimal), "
        "or a decimal value that is not exactly 8 digits.",
    )


def to_code(value: object, field: str = "hresult") -> int:
    """Any usual spelling of an HRESULT -> the unsigned 32-bit code.

    Accepts an int (signed or unsigned), ``"0xC004F074"``, ``"C004F074"``, ``"-1073418124"`` and
    ``"3221549172"``, with surrounding spaces and in any case. Eight plain digits (``"80070005"``)
    are refused as ambiguous between hex and decimal.
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        prefixed = _PREFIXED_HEX.fullmatch(text)
        if _BARE_HEX.fullmatch(text):
            if text.isdigit():
                raise _ambiguous(text, field)
            number = int(text, 16)
        elif _DECIMAL.fullmatch(text):
            number = int(text, 10)
        elif prefixed:
            number = int(prefixed.group(1), 16)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    if number is None:
        raise KmsInputError(
            field,
            f"{shown} is not an HRESULT.",
            "Write it as hex (0xC004F074 or C004F074) or in decimal, signed (-1073418124) or "
            "unsigned (3221549172).",
        )
    if -(1 << 31) <= number < 0:
        return number + (1 << 32)
    if 0 <= number <= _UINT32_MAX:
        return number
    raise KmsInputError(
        field,
        f"{shown} is outside the 32-bit range of an HRESULT.",
        "Use a value from -2147483648 to 4294967295, or at most 8 hex digits.",
    )


def from_win32(code: int) -> int:
    """HRESULT_FROM_WIN32 (winerror.h): a Win32 error code 1..0xFFFF becomes 0x8007xxxx; 0 and
    anything larger (already an HRESULT) are returned as they are."""
    if 0 < code <= _WIN32_MAX:
        return _SIGN_BIT | FACILITY_WIN32 << 16 | code
    return code


def lookup(value: object, field: str = "hresult") -> HResult | None:
    """The catalog entry for a code, or None when the catalog does not know it."""
    return CATALOG.get(to_code(value, field))


def explain(value: object, field: str = "hresult") -> HResult:
    """The catalog entry, or a generic entry that decodes the code and says where to look it up.

    A number from 1 to 0xFFFF is a Win32 error code, not an HRESULT (WinRM faults carry such
    codes, ``Code="87"``): it is explained as the Win32 error, under its HRESULT 0x8007xxxx.
    """
    code = to_code(value, field)
    known = CATALOG.get(code)
    if known is not None:
        return known
    if 0 < code <= _WIN32_MAX:
        return _win32(code)
    return _generic(code)


def _win32(code: int) -> HResult:
    """Win32 error ``code`` explained through HRESULT_FROM_WIN32 of it (the entry keeps the
    code as given; the meaning names the HRESULT)."""
    wrapped = from_win32(code)
    error = WIN32_ERRORS.get(code)
    said = f"Windows system error {code}" + (f" ({error.name})" if error else "")
    entry = CATALOG.get(wrapped)
    if entry is not None:
        return HResult(
            code,
            error.name if error else entry.symbol,
            f"{said}, a Win32 error code; as an HRESULT {entry.hex} ({entry.symbol}): "
            f"{entry.meaning}",
            entry.action,
            entry.category,
        )
    return HResult(
        code,
        error.name if error else "",
        f"{said}, a Win32 error code (0x{wrapped:08X} as an HRESULT).",
        f"Look up system error {code} in Microsoft's System Error Codes reference, or run "
        f"'net helpmsg {code}' on a Windows host.",
        WIN32,
    )


def _generic(code: int) -> HResult:
    # Layout per MS-ERREF 2.1: severity bit 31, facility bits 16-26, code bits 0-15.
    # FACILITY_ITF = 4, FACILITY_WIN32 = 7, FACILITY_WINRM = 51 (0x33).
    hex_code = f"0x{code:08X}"
    high, low = code >> 16, code & 0xFFFF
    if not code & _SIGN_BIT:
        return HResult(
            code,
            "",
            f"{hex_code} is not a failure: the severity bit is clear, so it reports success or "
            "information.",
            "Nothing to fix for this code; if the operation failed, look at the error beside it.",
            SUCCESS,
        )
    if high == 0x8007:
        win32 = WIN32_ERRORS.get(low)
        known = f" ({win32.name})" if win32 else ""
        return HResult(
            code,
            "",
            f"Windows system error {low} (0x{low:X}) returned as an HRESULT{known}.",
            f"Look up system error {low} in Microsoft's System Error Codes reference, or run "
            f"'net helpmsg {low}' on a Windows host.",
            WIN32,
        )
    if high == 0x8004 and 0x1000 <= low <= 0x1FFF:
        return HResult(
            code,
            "",
            f"A WMI error (WBEM_E_* range) not in this collection's catalog: {hex_code}.",
            f"Look up {hex_code} in Microsoft's WMI Error Constants (WBEMSTATUS) reference.",
            WMI,
        )
    if high == 0x8033:
        return HResult(
            code,
            "",
            f"A WinRM / WS-Management error (ERROR_WSMAN_* range) not in this catalog: {hex_code}.",
            f"Run 'winrm helpmsg {hex_code}' on a Windows host, or look it up among the "
            "ERROR_WSMAN_* codes in winerror.h.",
            WSMAN,
        )
    if high == 0xC004:
        return HResult(
            code,
            "",
            f"A Software Licensing (SPP) error (SL_E_* codes in slerror.h) not in this catalog: "
            f"{hex_code}.",
            "Look it up in Microsoft's 'Resolving common activation error codes' article and in "
            "slerror.h; on a KMS client, Application log events 12288/12289 give details.",
            ACTIVATION,
        )
    facility = (code >> 16) & 0x7FF
    return HResult(
        code,
        "",
        f"A failure HRESULT from facility {facility}, code {low} (0x{low:04X}), not in this "
        "collection's catalog.",
        f"Search Microsoft's documentation or winerror.h for {hex_code}.",
        OTHER,
    )


def _count(value: object, field: str, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    raise KmsInputError(field, f"{value!r} is not a whole number of at least {minimum}.")


def below_threshold_message(current: int, required: int) -> str:
    """How far a KMS host is from activating: its count ``current`` against ``required``."""
    current = _count(current, "current_count", 0)
    required = _count(required, "required", 1)
    if current >= required:
        return (
            f"The KMS host now counts {current} of the {required} machines needed, so the next "
            "attempt should succeed: activate again, or wait for the client's automatic retry "
            "(every 2 hours by default)."
        )
    missing = required - current
    machines = "machine" if missing == 1 else "machines"
    return (
        f"The KMS host counts {current} of the {required} machines needed: {missing} more "
        f"distinct {machines} must contact it within 30 days. Clients retry by themselves every "
        "2 hours by default, so activation completes without intervention once the count is "
        "reached."
    )


def describe(
    value: object,
    *,
    current_count: int | None = None,
    required: int | None = None,
    field: str = "hresult",
) -> str:
    """One line: ``0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT): <meaning> What to do: <action>``.

    For 0xC004F038, ``current_count`` and ``required`` (the host's KeyManagementServiceCurrentCount
    and the product's RequiredClientCount) add how many machines are still missing; they are
    ignored for other codes.
    """
    entry = explain(value, field)
    if current_count is None and required is None:
        return str(entry)
    if current_count is None or required is None:
        missing = "required" if required is None else "current_count"
        raise KmsInputError(missing, "is needed together with the other count.", "Give both.")
    if entry.code != SL_E_VL_NOT_ENOUGH_COUNT:
        return str(entry)
    return f"{entry} {below_threshold_message(current_count, required)}"


def is_count_not_reached(value: object, field: str = "hresult") -> bool:
    """True for 0xC004F038: the host's count is below threshold, a waiting state, not a fault."""
    return to_code(value, field) == SL_E_VL_NOT_ENOUGH_COUNT
