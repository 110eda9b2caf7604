# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry through ``StdRegProv`` (static methods in ``root/default``).

StdRegProv reports failures as a Win32 code in ``ReturnValue``, not as a fault (wsman-wire.md
§5.14). Value types matter: the KMS port values are REG_SZ, the switches REG_DWORD and the publish
list REG_MULTI_SZ (kms-facts.md §2.2); each value is read and written with its own method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows.return_codes import registry_result
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

HKEY_LOCAL_MACHINE = 2147483650
NAMESPACE = "root/default"
CLASS = "StdRegProv"
SPP_KEY = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\SoftwareProtectionPlatform"

ERROR_INVALID_FUNCTION = 1
ERROR_FILE_NOT_FOUND = 2

# What "not there" looks like (reference/older-windows-office-adba.md §6). Microsoft documents only
# "a nonzero error code that is defined in WinError.h" for every method (MS-STDREG). A missing key
# is 2: slmgr.vbs reads 2 from CheckAccess as "key does not exist" (SLMGR10 3301-3315), and Wine's
# StdRegProv and public scripts agree. A value missing from an existing key is UNCONFIRMED: a
# public installer script observed 1 on real Windows ("StdRegProv also returns 1 when the key
# exists but this value does not"), Wine's StdRegProv answers 2. So Get*Value reads both as absent.
MISSING_ON_READ = frozenset({ERROR_INVALID_FUNCTION, ERROR_FILE_NOT_FOUND})
# EnumValues lists a key, so only a missing key applies: 2 (§6: "returns 2 for a missing key").
MISSING_ON_ENUM = frozenset({ERROR_FILE_NOT_FOUND})
# DeleteValue: slmgr.vbs ignores 2 and 5 when it deletes KeyManagementServiceVersion (SLMGR10
# 1752-1762), so 2 is "was not there"; 1 is too, as for reads, since no source says DeleteValue
# reports a missing value differently from Get*Value. 5 (ERROR_ACCESS_DENIED) is not: slmgr's
# delete is a best-effort clean-up, but here the value may still be there, and a caller that
# wanted it gone must hear so (publish_host.registry_advice says what to do about 5).
MISSING_ON_DELETE = frozenset({ERROR_INVALID_FUNCTION, ERROR_FILE_NOT_FOUND})

# The type codes StdRegProv.EnumValues reports (winnt.h REG_* values, as the lab's registry uses).
VALUE_TYPES = {
    1: "REG_SZ",
    2: "REG_EXPAND_SZ",
    3: "REG_BINARY",
    4: "REG_DWORD",
    7: "REG_MULTI_SZ",
    11: "REG_QWORD",
}

# (getter, setter, data parameter, CIM type of the data)
_KINDS = {
    "REG_SZ": ("GetStringValue", "SetStringValue", "sValue", "string"),
    "REG_DWORD": ("GetDWORDValue", "SetDWORDValue", "uValue", "uint32"),
    "REG_MULTI_SZ": ("GetMultiStringValue", "SetMultiStringValue", "sValue", "string[]"),
}


class RegistryError(KmsError):
    def __init__(self, method: str, path: str, name: str, code: int) -> None:
        self.code = code
        super().__init__(f"{method} of {path}\\{name} failed: {registry_result(code)}")


@dataclass(frozen=True)
class Registry:
    """Values under one key of HKLM (the Software Protection key by default)."""

    session: CimSession
    path: str = SPP_KEY

    def _call(self, method: str, params: dict[str, Any], types: dict[str, str]) -> Any:
        return self.session.invoke(
            CLASS, method, params, None, namespace=NAMESPACE, param_types=types
        )

    def _where(self, name: str) -> dict[str, Any]:
        return {"hDefKey": HKEY_LOCAL_MACHINE, "sSubKeyName": self.path, "sValueName": name}

    def get(self, name: str, kind: str) -> Any:
        """The value's data, or None when the value (or the key) does not exist: ReturnValue 1
        or 2 (``MISSING_ON_READ``)."""
        return self.read(name, kind)[0]

    def read(self, name: str, kind: str) -> tuple[Any, int]:
        """(data, ReturnValue) in one request: the data as :meth:`get` gives it, and the code,
        which tells a caller that must know it that the key itself may be missing (2)."""
        getter, _setter, data, data_type = _KINDS[kind]
        result = self.session.invoke(
            CLASS,
            getter,
            self._where(name),
            None,
            namespace=NAMESPACE,
            types={data: data_type},
        )
        code = result.return_value or 0
        if code in MISSING_ON_READ:
            return None, code
        if code:
            raise RegistryError(getter, self.path, name, code)
        return result.out.get(data), code

    def enum_values(self) -> dict[str, str] | None:
        """Every value of the key and its type name (``REG_SZ``...), in one request; None when
        the key does not exist. Unknown type codes read as ``REG_TYPE_<n>``."""
        result = self.session.invoke(
            CLASS,
            "EnumValues",
            {"hDefKey": HKEY_LOCAL_MACHINE, "sSubKeyName": self.path},
            None,
            namespace=NAMESPACE,
            types={"sNames": "string[]", "Types": "sint32[]"},
        )
        if result.return_value in MISSING_ON_ENUM:
            return None
        if result.return_value:
            raise RegistryError("EnumValues", self.path, "", result.return_value)
        # An empty key has empty arrays, which WinRM leaves out (wsman-wire §1.5).
        names = result.out.get("sNames") or []
        codes = result.out.get("Types") or []
        return {
            str(name): VALUE_TYPES.get(code, f"REG_TYPE_{code}")
            for name, code in zip(names, codes, strict=False)
        }

    def set(self, name: str, kind: str, value: Any) -> None:
        _getter, setter, data, data_type = _KINDS[kind]
        params = {**self._where(name), data: value}
        result = self._call(setter, params, {data: data_type, "hDefKey": "uint32"})
        if result.return_value:
            raise RegistryError(setter, self.path, name, result.return_value)

    def delete(self, name: str) -> bool:
        """Delete a value; False when it was not there (not an error, as for slmgr, see
        ``MISSING_ON_DELETE``)."""
        result = self._call("DeleteValue", self._where(name), {"hDefKey": "uint32"})
        if result.return_value in MISSING_ON_DELETE:
            return False
        if result.return_value:
            raise RegistryError("DeleteValue", self.path, name, result.return_value)
        return True
