"""Glue: a model machine (``kmslab.model``) behind the WS-Man server's provider interface.

The model speaks plain dicts and its own exceptions; the server wants typed CIM instances and
``CimError``s it can render as Windows' faults. This module translates, and nothing else: every
behaviour lives in the model, every wire shape in ``kmslab.wsman``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from kmslab import ansible_windows, slmgr
from kmslab.model import errors as model_errors
from kmslab.model.machine import Machine
from kmslab.wsman import provider as wire
from kmslab.wsman.cim import CimType, Property

_KIND_TO_HRESULT = {
    model_errors.CimErrorKind.NO_SUCH_CLASS: wire.WBEM_E_INVALID_CLASS,
    model_errors.CimErrorKind.NO_SUCH_INSTANCE: wire.WBEM_E_NOT_FOUND,
    model_errors.CimErrorKind.NO_SUCH_METHOD: wire.WBEM_E_INVALID_METHOD,
    model_errors.CimErrorKind.INVALID_PARAMETER: wire.WBEM_E_INVALID_METHOD_PARAMETERS,
}

# Out parameters whose CIM type the value alone does not tell (StdRegProv, wsman-wire §4.4).
_OUT_TYPES = {"types": "sint32[]", "uvalue": "uint32"}
# StdRegProv's array out parameters, per method (Microsoft's StdRegProv method pages: EnumKey and
# EnumValues "sNames" string[], EnumValues "Types" sint32[], GetMultiStringValue "sValue"
# string[], GetBinaryValue "uValue" uint8[]). Declared so a NULL one (a missing key or value)
# is still an array on the wire and follows the null_array variant.
_ARRAY_OUT = {
    ("enumkey", "snames"): "string[]",
    ("enumvalues", "snames"): "string[]",
    ("enumvalues", "types"): "sint32[]",
    ("getmultistringvalue", "svalue"): "string[]",
    ("getbinaryvalue", "uvalue"): "uint8[]",
}
# Otherwise the value tells; bool before int, as bool is an int in Python.
_BY_VALUE = ((bool, "boolean"), (int, "uint32"), (dt.datetime, "datetime"), (list, "string[]"))


# The spp_method_failure variant (kmslab.variants): how an SPP method's HRESULT reaches the client.
# "wsmanfault": the wsman-wire §1.6 template (WSManFault Code = HRESULT; slmgr.vbs reads
# Err.Number, so a fault is likely); "wmierror": the same HRESULT in an MSFT_WmiError detail, the
# shape of capture winrb_wmi_error_v2.xml; "returnvalue": the method answers normally with the
# HRESULT as its uint32 ReturnValue (unconfirmed).
RETURN_VALUE = "returnvalue"


def _translate(error: Exception, form: wire.FaultForm = "wsmanfault") -> Exception:
    if isinstance(error, model_errors.SppFault):
        return wire.CimError(error.hresult, str(error), form=form)
    if isinstance(error, model_errors.LabTimeout):
        return wire.OperationTimedOut(str(error))
    if isinstance(error, model_errors.CimError):
        if error.kind is model_errors.CimErrorKind.INVALID_SELECTORS:
            return wire.CimError.invalid_selectors(str(error))
        return wire.CimError(_KIND_TO_HRESULT[error.kind], str(error))
    return error


def _property(name: str, type_name: str, value: Any) -> Property:
    is_array = type_name.endswith("[]")
    cim_type = CimType(type_name.removesuffix("[]"))
    if is_array and value is not None:
        value = tuple(value)
    return Property(name, cim_type, value, is_array)


def _out_type(method: str, name: str, value: Any) -> str:
    """The CIM type of an out parameter, from its method and name where needed, else from its
    value."""
    array = _ARRAY_OUT.get((method.casefold(), name.casefold()))
    if array is not None:
        return array
    declared = _OUT_TYPES.get(name.casefold())
    if declared is not None:
        if isinstance(value, list) and not declared.endswith("[]"):
            return "uint8[]"  # GetBinaryValue's uValue
        if isinstance(value, int) and value > 0xFFFFFFFF:
            return "uint64"  # GetQWORDValue's uValue
        return declared
    for python_type, cim_type in _BY_VALUE:
        if isinstance(value, python_type):
            return cim_type
    return "string"


class ModelProvider:
    """One lab machine as the WS-Man server sees it."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine

    def _spec(self, namespace: str, class_name: str) -> Any:
        try:
            return self.machine.cim.spec(class_name, namespace)
        except Exception as error:
            raise _translate(error) from None

    def describe(self, namespace: str, class_name: str) -> wire.ClassInfo:
        spec = self._spec(namespace, class_name)
        return wire.ClassInfo(spec.name, tuple(spec.keys), tuple(spec.schema) or None)

    def _instance(self, spec: Any, row: Mapping[str, Any]) -> wire.Instance:
        properties = tuple(
            _property(name, spec.schema.get(name, "string"), value) for name, value in row.items()
        )
        return wire.Instance(spec.name, properties, tuple(spec.keys))

    def instances(self, namespace: str, class_name: str) -> Sequence[wire.Instance]:
        spec = self._spec(namespace, class_name)
        try:
            rows = self.machine.cim.instances(class_name, namespace)
        except Exception as error:
            raise _translate(error) from None
        return [self._instance(spec, row) for row in rows]

    def get(self, namespace: str, class_name: str, selectors: Mapping[str, str]) -> wire.Instance:
        spec = self._spec(namespace, class_name)
        try:
            row = self.machine.cim.get(class_name, dict(selectors), namespace)
        except Exception as error:
            raise _translate(error) from None
        return self._instance(spec, row)

    def invoke(
        self,
        namespace: str,
        class_name: str,
        method: str,
        selectors: Mapping[str, str] | None,
        params: wire.InputParams,
    ) -> wire.MethodResult:
        spec = self._spec(namespace, class_name)
        method_spec = next(
            (m for name, m in spec.methods.items() if name.casefold() == method.casefold()), None
        )
        declared = dict(method_spec.params) if method_spec else {}
        values: dict[str, Any] = {}
        by_folded = {name.casefold(): (name, type_name) for name, type_name in declared.items()}
        for name in params.names():
            canonical, type_name = by_folded.get(name.casefold(), (name, ""))
            values[canonical] = (
                params.strings(name) if type_name.endswith("[]") else params.string(name)
            )
        form = self.machine.variants["spp_method_failure"]
        try:
            result = self.machine.cim.invoke(
                class_name, method, dict(selectors) if selectors else None, values, namespace
            )
        except model_errors.SppFault as error:
            if form == RETURN_VALUE:
                # The HRESULT as the method's uint32 ReturnValue; no out parameters.
                return wire.MethodResult(error.hresult & 0xFFFFFFFF)
            raise _translate(error, "wmierror" if form == "wmierror" else "wsmanfault") from None
        except Exception as error:
            raise _translate(error) from None
        out = tuple(
            _property(name, _out_type(method, name, value), value)
            for name, value in result.items()
            if name != "ReturnValue"
        )
        return wire.MethodResult(int(result.get("ReturnValue", 0)), out)

    def run_command(self, command_line: str) -> wire.CommandOutput | None:
        """A shell command: ``cscript //nologo slmgr.vbs ...`` runs against the model; None
        (the server's "not supported") for any other program."""
        result = slmgr.run(self.machine, command_line)
        if result is None:
            return None
        return wire.CommandOutput(result.stdout, result.stderr, result.exit_code)

    def run_module(self, module: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """An Ansible PowerShell module sent through the shell's exec wrapper: ansible.windows'
        win_ping, win_product_facts and win_shell answer from the model; None for others."""
        return ansible_windows.run(self.machine, module, params)
