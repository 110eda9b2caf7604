"""A typed Windows registry and the StdRegProv methods over it.

StdRegProv reports failures as a non-zero ReturnValue with a Win32 code, not as a fault
(wsman-wire §5 item 14; MS Docs StdRegProv: "a nonzero error code that is defined in WinError.h").
Key and value names are case-insensitive and keep the case they were created with.

A missing key answers 2 (slmgr.vbs reads 2 from CheckAccess as "key does not exist"; Wine and
public scripts agree). A value missing from an existing key is the lab variant
``registry_missing_value``: 1 (default; a public installer script saw 1 on real Windows) or 2
(Wine's StdRegProv); Microsoft documents only "a nonzero error code" (older-windows-office-adba.md
§6, UNCONFIRMED). DeleteValue of a missing value answers 2 (slmgr.vbs tolerates 2 there, §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

HKEY_CLASSES_ROOT = 2147483648
HKEY_CURRENT_USER = 2147483649
HKEY_LOCAL_MACHINE = 2147483650
HKEY_USERS = 2147483651
HKEY_CURRENT_CONFIG = 2147483653
HIVES = frozenset(
    {HKEY_CLASSES_ROOT, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS, HKEY_CURRENT_CONFIG}
)

CURRENT_VERSION = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
SPP_KEY = CURRENT_VERSION + r"\SoftwareProtectionPlatform"  # §2.1, Windows 7 / 2008 R2 and later
# Vista / Server 2008 keep the same values under ...\SL (Microsoft's Volume Activation 2.0
# Operations Guide, 2008: "Registry path: HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SL";
# kms-facts.md §2.1).
SL_KEY = CURRENT_VERSION + r"\SL"


def spp_key(os_version: str) -> str:
    """The key that holds the KMS settings on a Windows of this version ("6.0", "10.0")."""
    return SL_KEY if os_version == "6.0" else SPP_KEY


SUCCESS = 0
# Get*Value of a value missing from an existing key, variant registry_missing_value=1 (§6 above).
ERROR_INVALID_FUNCTION = 1
ERROR_FILE_NOT_FOUND = 2  # missing key (or value, see above); slmgr accepts it from DeleteValue
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_PARAMETER = 87
# Reading a value with the Get method of another type. WMI Error Constants; the lab's choice of
# what StdRegProv returns here (the reference does not say).
WBEM_E_TYPE_MISMATCH = 2147749893


class RegType(IntEnum):
    """Value types, as StdRegProv.EnumValues reports them."""

    REG_SZ = 1
    REG_EXPAND_SZ = 2
    REG_BINARY = 3
    REG_DWORD = 4
    REG_MULTI_SZ = 7
    REG_QWORD = 11


@dataclass(frozen=True)
class RegValue:
    type: RegType
    data: str | int | tuple[str, ...] | bytes


def _validate(value: RegValue) -> None:
    data = value.data
    ok = {
        RegType.REG_SZ: isinstance(data, str),
        RegType.REG_EXPAND_SZ: isinstance(data, str),
        RegType.REG_DWORD: isinstance(data, int) and 0 <= data <= 0xFFFFFFFF,
        RegType.REG_QWORD: isinstance(data, int) and 0 <= data <= 0xFFFFFFFFFFFFFFFF,
        RegType.REG_MULTI_SZ: isinstance(data, tuple) and all(isinstance(s, str) for s in data),
        RegType.REG_BINARY: isinstance(data, bytes),
    }[value.type]
    if not ok:
        raise ValueError(f"{data!r} is not a valid {value.type.name} value")


def _parts(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.replace("/", "\\").split("\\") if part)


class _Key:
    def __init__(self, name: str) -> None:
        self.name = name
        self.subkeys: dict[str, _Key] = {}
        self.values: dict[str, tuple[str, RegValue]] = {}


class Registry:
    """Hives of keys of typed values. Methods return Win32 codes, like StdRegProv."""

    def __init__(self) -> None:
        self._hives = {hive: _Key("") for hive in HIVES}

    def _find(self, hive: int, path: str) -> _Key | None:
        node = self._hives.get(hive)
        for part in _parts(path):
            if node is None:
                return None
            node = node.subkeys.get(part.casefold())
        return node

    def key_exists(self, hive: int, path: str) -> bool:
        return self._find(hive, path) is not None

    def create_key(self, hive: int, path: str) -> int:
        node = self._hives.get(hive)
        if node is None or not _parts(path):
            return ERROR_INVALID_PARAMETER
        for part in _parts(path):
            node = node.subkeys.setdefault(part.casefold(), _Key(part))
        return SUCCESS

    def delete_key(self, hive: int, path: str) -> int:
        """Delete a key that has no subkeys (RegDeleteKey semantics)."""
        parts = _parts(path)
        parent = self._find(hive, "\\".join(parts[:-1])) if parts else None
        node = parent.subkeys.get(parts[-1].casefold()) if parent else None
        if parent is None or node is None:
            return ERROR_FILE_NOT_FOUND
        if node.subkeys:
            return ERROR_ACCESS_DENIED
        del parent.subkeys[parts[-1].casefold()]
        return SUCCESS

    def get(self, hive: int, path: str, name: str) -> RegValue | None:
        node = self._find(hive, path)
        entry = node.values.get(name.casefold()) if node else None
        return entry[1] if entry else None

    def read(
        self,
        hive: int,
        path: str,
        name: str,
        expected: RegType,
        missing_value: int = ERROR_INVALID_FUNCTION,
    ) -> tuple[int, RegValue | None]:
        """StdRegProv Get*Value: missing key -> 2, value missing from an existing key ->
        ``missing_value`` (variant registry_missing_value), other type -> type mismatch."""
        node = self._find(hive, path)
        if node is None:
            return ERROR_FILE_NOT_FOUND, None
        entry = node.values.get(name.casefold())
        if entry is None:
            return missing_value, None
        if entry[1].type is not expected:
            return WBEM_E_TYPE_MISMATCH, None
        return SUCCESS, entry[1]

    def set(self, hive: int, path: str, name: str, value: RegValue) -> int:
        """StdRegProv Set*Value: "If the key does not exist, then the call ... fails"."""
        _validate(value)
        node = self._find(hive, path)
        if node is None:
            return ERROR_FILE_NOT_FOUND
        node.values[name.casefold()] = (name, value)
        return SUCCESS

    def delete_value(self, hive: int, path: str, name: str) -> int:
        node = self._find(hive, path)
        if node is None or node.values.pop(name.casefold(), None) is None:
            return ERROR_FILE_NOT_FOUND
        return SUCCESS

    def enum_keys(self, hive: int, path: str) -> tuple[int, list[str]]:
        node = self._find(hive, path)
        if node is None:
            return ERROR_FILE_NOT_FOUND, []
        return SUCCESS, [child.name for child in node.subkeys.values()]

    def enum_values(self, hive: int, path: str) -> tuple[int, list[str], list[int]]:
        node = self._find(hive, path)
        if node is None:
            return ERROR_FILE_NOT_FOUND, [], []
        names = [name for name, _value in node.values.values()]
        types = [int(value.type) for _name, value in node.values.values()]
        return SUCCESS, names, types

    # Lab-side helpers (seeding and drift). They bypass StdRegProv, create missing keys, and are
    # never recorded in the write log: a change "behind Ansible's back".
    def put(self, path: str, name: str, value: RegValue, hive: int = HKEY_LOCAL_MACHINE) -> None:
        self.create_key(hive, path)
        if self.set(hive, path, name, value) != SUCCESS:
            raise KeyError(f"cannot write {path}\\{name}")

    def drop(self, path: str, name: str, hive: int = HKEY_LOCAL_MACHINE) -> None:
        self.delete_value(hive, path, name)


def reg_sz(text: str) -> RegValue:
    return RegValue(RegType.REG_SZ, text)


def reg_dword(number: int) -> RegValue:
    return RegValue(RegType.REG_DWORD, number)


def reg_multi_sz(items: list[str] | tuple[str, ...]) -> RegValue:
    return RegValue(RegType.REG_MULTI_SZ, tuple(items))


class StdRegProv:
    """The StdRegProv methods over one registry; each returns the method's output parameters."""

    # method -> (registry type, name of the data parameter)
    _GETTERS: ClassVar[dict[str, tuple[RegType, str]]] = {
        "GetStringValue": (RegType.REG_SZ, "sValue"),
        "GetExpandedStringValue": (RegType.REG_EXPAND_SZ, "sValue"),
        "GetDWORDValue": (RegType.REG_DWORD, "uValue"),
        "GetQWORDValue": (RegType.REG_QWORD, "uValue"),
        "GetMultiStringValue": (RegType.REG_MULTI_SZ, "sValue"),
        "GetBinaryValue": (RegType.REG_BINARY, "uValue"),
    }
    _SETTERS: ClassVar[dict[str, tuple[RegType, str]]] = {
        "SetStringValue": (RegType.REG_SZ, "sValue"),
        "SetExpandedStringValue": (RegType.REG_EXPAND_SZ, "sValue"),
        "SetDWORDValue": (RegType.REG_DWORD, "uValue"),
        "SetQWORDValue": (RegType.REG_QWORD, "uValue"),
        "SetMultiStringValue": (RegType.REG_MULTI_SZ, "sValue"),
        "SetBinaryValue": (RegType.REG_BINARY, "uValue"),
    }
    WRITES = frozenset({*_SETTERS, "CreateKey", "DeleteKey", "DeleteValue"})
    METHODS = frozenset({*_GETTERS, *WRITES, "EnumKey", "EnumValues"})

    def __init__(self, registry: Registry, missing_value: int = ERROR_INVALID_FUNCTION) -> None:
        """``missing_value``: what Get*Value answers for a value missing from an existing key
        (the variant registry_missing_value; a missing key always answers 2)."""
        self.registry = registry
        self.missing_value = missing_value

    def call(self, method: str, params: dict[str, object]) -> dict[str, object]:
        hive = params.get("hDefKey", HKEY_LOCAL_MACHINE)
        path = str(params.get("sSubKeyName") or "")
        name = str(params.get("sValueName") or "")
        if not isinstance(hive, int) or hive not in HIVES:
            return {"ReturnValue": ERROR_INVALID_PARAMETER}
        if method in self._GETTERS:
            return self._get(method, hive, path, name)
        if method in self._SETTERS:
            return {"ReturnValue": self._set(method, hive, path, name, params)}
        if method in {"EnumKey", "EnumValues"}:
            return self._enum(method, hive, path)
        simple = {
            "CreateKey": lambda: self.registry.create_key(hive, path),
            "DeleteKey": lambda: self.registry.delete_key(hive, path),
            "DeleteValue": lambda: self.registry.delete_value(hive, path, name),
        }
        return {"ReturnValue": simple[method]()}

    def _get(self, method: str, hive: int, path: str, name: str) -> dict[str, object]:
        kind, out = self._GETTERS[method]
        code, value = self.registry.read(hive, path, name, kind, self.missing_value)
        data = value.data if value else None
        if isinstance(data, tuple | bytes):
            data = list(data)
        return {"ReturnValue": code, out: data}

    def _enum(self, method: str, hive: int, path: str) -> dict[str, object]:
        if method == "EnumKey":
            code, names = self.registry.enum_keys(hive, path)
            return {"ReturnValue": code, "sNames": names if code == SUCCESS else None}
        code, names, types = self.registry.enum_values(hive, path)
        found = code == SUCCESS
        return {
            "ReturnValue": code,
            "sNames": names if found else None,
            "Types": types if found else None,
        }

    def _set(self, method: str, hive: int, path: str, name: str, params: dict[str, object]) -> int:
        kind, field_name = self._SETTERS[method]
        raw = params.get(field_name)
        try:
            data: str | int | tuple[str, ...] | bytes
            if kind is RegType.REG_MULTI_SZ and isinstance(raw, list | tuple):
                data = tuple(str(item) for item in raw)
            elif kind is RegType.REG_BINARY and isinstance(raw, list | tuple):
                data = bytes(int(str(item)) for item in raw)
            elif isinstance(raw, str | int | bytes):
                data = raw
            else:
                return ERROR_INVALID_PARAMETER
            return self.registry.set(hive, path, name, RegValue(kind, data))
        except (ValueError, TypeError):
            return ERROR_INVALID_PARAMETER
