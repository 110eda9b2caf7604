# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface between the WS-Man server and whatever simulates a Windows machine behind it.

The server does the protocol; a :class:`Provider` answers in CIM terms. Design choice: the server
evaluates WQL itself over :meth:`Provider.instances`, so a provider never parses a query (one WQL
implementation, one set of quirks, tested once). ``get`` and ``invoke`` stay with the provider
because only it knows its keys' semantics and its methods.

Threading: the server calls a provider from ONE worker thread, one call at a time, so a provider
needs no locking against the server. Anyone else touching the same model should go through
``LabServer.call``, which runs on that same thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from .cim import CimType, Property

# WMI HRESULTs the server maps to specific WS-Man faults (WbemErrorEnum, MS Docs).
WBEM_E_NOT_FOUND = 0x80041002
WBEM_E_INVALID_PARAMETER = 0x80041008
WBEM_E_INVALID_NAMESPACE = 0x8004100E
WBEM_E_INVALID_CLASS = 0x80041010
WBEM_E_INVALID_QUERY = 0x80041017
WBEM_E_INVALID_METHOD = 0x8004102E
WBEM_E_INVALID_METHOD_PARAMETERS = 0x8004102F
# WS-Man codes a provider may also raise: ERROR_WSMAN_UNEXPECTED_SELECTORS, the Code of the
# captured w:InvalidSelectors fault (faults.UNEXPECTED_SELECTORS).
WSMAN_INVALID_SELECTORS = 0x8033805B

FaultForm = Literal["wsmanfault", "wmierror"]


class CimError(Exception):
    """A provider failure carrying an HRESULT; the server turns it into a SOAP fault.

    ``wsman_subcode`` picks the fault family when the provider knows it (``w:InvalidSelectors``);
    otherwise the server maps well-known WBEM codes and renders everything else as the provider
    HRESULT template of wsman-wire §1.6. ``form`` chooses the ``s:Detail`` shape: a WSManFault
    (§1.6 template) or an MSFT_WmiError instance (capture winrb_wmi_error_v2.xml).
    """

    def __init__(
        self,
        hresult: int,
        message: str = "",
        *,
        wsman_subcode: str | None = None,
        form: FaultForm = "wsmanfault",
    ) -> None:
        self.hresult = hresult & 0xFFFFFFFF
        self.message = message
        self.wsman_subcode = wsman_subcode
        self.form = form
        super().__init__(f"HRESULT 0x{self.hresult:08X}: {message}" if message else self.hresult)

    @classmethod
    def invalid_selectors(cls, message: str = "") -> CimError:
        return cls(WSMAN_INVALID_SELECTORS, message, wsman_subcode="w:InvalidSelectors")


class OperationTimedOut(Exception):
    """Raised by a provider to make the server answer ``w:TimedOut`` (wsman-wire §5 item 2)."""


@dataclass(frozen=True)
class Instance:
    """One CIM instance: class name, typed properties, and the names of its key properties.

    Properties may come in any order: the server writes them sorted as Windows does
    (wsman-wire §1.3 last note). Names are matched case-insensitively, as WMI does.
    """

    class_name: str
    properties: tuple[Property, ...]
    keys: tuple[str, ...] = ()
    _index: dict[str, Property] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, Property] = {}
        for prop in self.properties:
            folded = prop.name.casefold()
            if folded in index:
                raise ValueError(f"{self.class_name}: property {prop.name} appears twice")
            index[folded] = prop
        object.__setattr__(self, "_index", index)
        for key in self.keys:
            if key.casefold() not in index:
                raise ValueError(f"{self.class_name}: key {key} is not a property")

    def prop(self, name: str) -> Property | None:
        return self._index.get(name.casefold())

    def value(self, name: str) -> object:
        prop = self.prop(name)
        return None if prop is None else prop.value

    def key_values(self) -> dict[str, str]:
        """The selector set that addresses this instance (key name → text)."""
        result = {}
        for key in self.keys:
            prop = self._index[key.casefold()]
            result[prop.name] = prop.text_value()
        return result


@dataclass(frozen=True)
class ClassInfo:
    """What the server must know about a class before it calls the provider.

    ``name`` is the canonical spelling (responses use it). ``keys`` drive selector validation:
    an empty tuple means a singleton or a class with static methods only (StdRegProv).
    ``properties`` lists every property name when the schema is known; WQL then rejects unknown
    names the way WMI does. ``None`` means "not known": unknown names then read as NULL.
    """

    name: str
    keys: tuple[str, ...] = ()
    properties: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MethodResult:
    """A method's ``ReturnValue`` (uint32) and its ``[out]`` parameters, in declaration order."""

    return_value: int = 0
    out_params: tuple[Property, ...] = ()
    return_type: CimType = CimType.UINT32


@dataclass(frozen=True)
class ParamValue:
    """One ``[in]`` parameter element as received: text, or None for ``xsi:nil="true"``."""

    text: str | None


class InputParams:
    """The ``<Method>_INPUT`` children, grouped by name (arrays arrive as repeated elements).

    Accessors convert the text to the documented CIM type and raise ``CimError`` with
    WBEM_E_INVALID_METHOD_PARAMETERS when a value does not parse, so a provider reads
    ``params.uint32("PortNumber")`` and nothing else.
    """

    def __init__(self, values: Mapping[str, Sequence[ParamValue]]) -> None:
        self._values = {name.casefold(): (name, tuple(items)) for name, items in values.items()}

    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _items in self._values.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._values

    def raw(self, name: str) -> tuple[ParamValue, ...]:
        entry = self._values.get(name.casefold())
        return () if entry is None else entry[1]

    def _one(self, name: str) -> str | None:
        items = self.raw(name)
        if not items:
            return None
        if len(items) > 1:
            raise _bad_param(name, "appears more than once")
        return items[0].text

    def string(self, name: str) -> str | None:
        return self._one(name)

    def strings(self, name: str) -> list[str] | None:
        items = self.raw(name)
        if not items or (len(items) == 1 and items[0].text is None):
            return None
        return [item.text or "" for item in items]

    def boolean(self, name: str) -> bool | None:
        text = self._one(name)
        if text is None:
            return None
        # xs:boolean lexical space; wsman-wire §1.5: send true/false, parse true/false/1/0.
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise _bad_param(name, f"{text!r} is not a boolean")

    def integer(self, name: str, cim_type: CimType = CimType.UINT32) -> int | None:
        text = self._one(name)
        if text is None:
            return None
        try:
            number = int(text.strip(), 10)
        except ValueError:
            raise _bad_param(name, f"{text!r} is not a decimal integer") from None
        low, high = cim_type.int_range()
        if not low <= number <= high:
            raise _bad_param(name, f"{number} is outside {cim_type.value}")
        return number

    def uint32(self, name: str) -> int | None:
        return self.integer(name, CimType.UINT32)


def _bad_param(name: str, problem: str) -> CimError:
    return CimError(WBEM_E_INVALID_METHOD_PARAMETERS, f"parameter {name}: {problem}")


class Provider(Protocol):
    """What the server calls. Namespaces arrive case-folded with ``/`` separators (``root/cimv2``).

    Every method may raise :class:`CimError` (unknown class: WBEM_E_INVALID_CLASS; unknown
    namespace: WBEM_E_INVALID_NAMESPACE; no such instance: WBEM_E_NOT_FOUND) or
    :class:`OperationTimedOut`.
    """

    def describe(self, namespace: str, class_name: str) -> ClassInfo:
        """The class's canonical name, keys and (optionally) property names."""

    def instances(self, namespace: str, class_name: str) -> Sequence[Instance]:
        """Every instance of the class; the server filters and projects (WQL)."""

    def get(self, namespace: str, class_name: str, selectors: Mapping[str, str]) -> Instance:
        """The instance the key selectors name (names already checked against ``keys``)."""

    def invoke(
        self,
        namespace: str,
        class_name: str,
        method: str,
        selectors: Mapping[str, str] | None,
        params: InputParams,
    ) -> MethodResult:
        """Run a method: ``selectors`` is None for a static call (no SelectorSet sent)."""


@dataclass(frozen=True)
class CommandOutput:
    """What a command run in a WinRM cmd shell produced: text streams and the process exit code
    (a DWORD, as Windows reports it: an HRESULT exit such as slmgr's keeps all 32 bits)."""

    stdout: str
    stderr: str = ""
    exit_code: int = 0


@runtime_checkable
class CommandRunner(Protocol):
    """Optional: a provider that also answers shell commands (``rsp:Command``).

    ``run_command`` gets the program's command line once the shell wrappers are removed
    (``shell_line.unwrap``: cmd, ``PowerShell -EncodedCommand``) and returns None when it does
    not know the program; the server then answers the lab's "not supported" error itself.
    """

    def run_command(self, command_line: str) -> CommandOutput | None: ...


@runtime_checkable
class ModuleRunner(Protocol):
    """Optional: a provider that also answers Ansible PowerShell modules sent through the shell.

    ``run_module`` gets the module's fully qualified name (``ansible.windows.win_ping``) and its
    module options (``complex_args`` less ansible-core's ``_ansible_*`` keys, which the server
    reads itself) from the exec wrapper's manifest (``exec_wrapper.parse_payload``), and returns
    the module's result dict, or None when it does not simulate the module.
    """

    def run_module(self, module: str, params: Mapping[str, object]) -> dict[str, object] | None: ...


def find_by_selectors(
    instances: Sequence[Instance], selectors: Mapping[str, str]
) -> Instance | None:
    """The instance whose keys equal the selectors (names and values case-insensitive, as WMI).

    A helper for providers that keep plain instance lists.
    """
    wanted = {name.casefold(): value.casefold() for name, value in selectors.items()}
    for instance in instances:
        have = {name.casefold(): value.casefold() for name, value in instance.key_values().items()}
        if have == wanted:
            return instance
    return None
