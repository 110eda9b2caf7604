# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Namespace URIs, action URIs and resource URI parsing for the lab's WS-Management server.

Every URI here is taken from wsman-wire.md §1.1 (namespace table, action URIs, resource URIs).
Requests are matched by namespace URI, never by prefix: pywinrm, pypsrp and ruby each use their own
prefixes for the same namespaces (§1.1).
"""

from __future__ import annotations

from dataclasses import dataclass

# wsman-wire §1.1, namespace table.
SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
EVENTING = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
CIMBINDING = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
WSMANFAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
CIM_COMMON = "http://schemas.dmtf.org/wbem/wscim/1/common"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
WMI_ERROR = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"
XML = "http://www.w3.org/XML/1998/namespace"

# The prefixes Windows uses in its responses (captures in wsman-captures/): s, a, n, w, p, x, e.
PREFIXES: dict[str, str] = {
    "s": SOAP,
    "a": ADDRESSING,
    "n": ENUMERATION,
    "w": WSMAN,
    "p": WSMV,
    "x": TRANSFER,
    "e": EVENTING,
    "rsp": SHELL,
}

ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

# wsman-wire §1.1, "Action URIs".
ACTION_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
ACTION_PUT = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
ACTION_PULL = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
ACTION_RELEASE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
SHELL_ACTION_BASE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
ACTION_COMMAND = SHELL_ACTION_BASE + "Command"
ACTION_RECEIVE = SHELL_ACTION_BASE + "Receive"
ACTION_SIGNAL = SHELL_ACTION_BASE + "Signal"
ACTION_SEND = SHELL_ACTION_BASE + "Send"

# Fault actions: all three are seen in the fault captures (wsman-wire §1.1 last paragraph).
FAULT_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
FAULT_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault"
FAULT_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"

# Filter dialects: WQL (wsman-wire §1.2) and the selector filter of pypsrp_enum_pretty.xml.
DIALECT_WQL = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
DIALECT_SELECTOR = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"

WMI_PREFIX = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
SHELL_CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
CONFIG_URI = CONFIG

# The selector some clients add next to a WMI URI (wsman-wire §1.1, resource URIs).
CIM_NAMESPACE_SELECTOR = "__cimnamespace"


def short_action(action: str) -> str:
    """The operation name used by the counters: ``Enumerate``, ``Get``, ``Create`` ..."""
    return action.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class WmiResource:
    """A parsed WMI resource URI: ``.../wmi/root/cimv2/SoftwareLicensingService``.

    ``namespace`` keeps the spelling of the request (``root/cimv2``) because responses echo it;
    ``namespace_key`` is the case-folded form providers receive. ``class_name`` is ``*`` for the
    namespace-wide URI WQL enumerations use (wsman-wire §1.2, §5 item 3).
    """

    uri: str
    namespace: str
    class_name: str

    @property
    def namespace_key(self) -> str:
        return self.namespace.lower()

    @property
    def is_wildcard(self) -> bool:
        return self.class_name == "*"

    def class_uri(self, class_name: str) -> str:
        """The URI of one class in this namespace: the item namespace (wsman-wire §1.2 rule 1)."""
        return f"{WMI_PREFIX}{self.namespace}/{class_name}"


def parse_wmi_uri(uri: str) -> WmiResource | None:
    """Split a WMI resource URI, or return None when the URI is not a WMI one.

    The scheme and host part is compared case-insensitively; the path keeps its spelling.
    """
    if not uri.lower().startswith(WMI_PREFIX):
        return None
    path = uri[len(WMI_PREFIX) :].strip("/")
    if "/" not in path:
        return None
    namespace, class_name = path.rsplit("/", 1)
    if not namespace or not class_name:
        return None
    return WmiResource(uri=uri, namespace=namespace, class_name=class_name)
