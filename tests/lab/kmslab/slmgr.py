"""``cscript //nologo slmgr.vbs <option>`` on a lab machine, as the shell behind WinRM runs it.

This is how existing playbooks do KMS work (``ansible.builtin.raw``/``win_command`` with slmgr), so
the lab answers it from the same model the WMI modules talk to. Every option does what slmgr.vbs
does (kms-facts §1.9, §2.6; wsman-wire §4.3) through the model's CIM surface (``machine.cim`` and
the ``admin`` helpers): the licensing rules stay in the model, the calls land in the machine's
journal like any WMI client's, and only the printed text is made here (``slmgr_text``, approximate).

Exit codes follow slmgr: 0 on success; on failure ``WScript.Quit Err.Number``, so the process exit
code is the HRESULT as a DWORD (0xC004F074 -> 3221549172, the signed -1073418124 of §2.7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kmslab import slmgr_text as text
from kmslab.model import admin
from kmslab.model.catalog import WINDOWS_APP_ID
from kmslab.model.cim_classes import SLP
from kmslab.model.errors import CimError, HResult, LabTimeout, SppFault
from kmslab.model.keys import mask_key, mask_keys_in
from kmslab.model.machine import Machine
from kmslab.wsman.shell_line import program_name, split_line

BANNER = (  # cscript without //nologo (approximate wording)
    "Microsoft (R) Windows Script Host Version 5.812",
    "Copyright (C) Microsoft Corporation. All rights reserved.",
    "",
)
NOT_SUPPORTED_EXIT = 1
WBEM_E_INVALID_PARAMETER = 0x80041008  # a method argument of the wrong type
ERROR_TIMEOUT = 0x800705B4  # HRESULT_FROM_WIN32(ERROR_TIMEOUT): lab choice for an injected timeout
HOST_OPTIONS = {  # option: (what the warning names, method, parameter)
    "sprt": ("the KMS listening port", "SetKeyManagementServiceListeningPort", "PortNumber"),
    "sai": ("the activation interval", "SetVLActivationInterval", "ActivationInterval"),
    "sri": ("the renewal interval", "SetVLRenewalInterval", "RenewalInterval"),
}
_DNS = ("DNS publishing", "DisableKeyManagementServiceDnsPublishing", "DisablePublishing")
_PRIORITY = ("KMS priority", "EnableKeyManagementServiceLowPriority", "EnableLowPriority")
HOST_SWITCHES = {  # §2.6: /sdns /cdns and /spri /cpri set one boolean each
    "sdns": (*_DNS, False),
    "cdns": (*_DNS, True),
    "spri": (*_PRIORITY, False),
    "cpri": (*_PRIORITY, True),
}
HOST_DONE = {
    "sprt": "KMS port set to {} successfully.",
    "sai": "Volume activation interval set to {} minutes successfully.",
    "sri": "Volume renewal interval set to {} minutes successfully.",
    "sdns": "DNS publishing enabled successfully.",
    "cdns": "DNS publishing disabled successfully.",
    "spri": "KMS priority set to Normal successfully.",
    "cpri": "KMS priority set to Low successfully.",
}


@dataclass(frozen=True)
class SlmgrResult:
    stdout: str
    stderr: str = ""
    exit_code: int = 0  # the process exit code, a DWORD


class _Quit(Exception):
    """``QuitIfError``: print the error and end with the HRESULT as exit code."""

    def __init__(self, hresult: int) -> None:
        self.hresult = hresult & 0xFFFFFFFF
        super().__init__(f"0x{self.hresult:08X}")


class _NoProduct(Exception):
    """No product matches the selection (lab rendering of slmgr's "product not found")."""


def unsupported(why: str) -> SlmgrResult:
    message = mask_keys_in(f"{why} is not supported in this lab.\r\n")  # never echo a key
    return SlmgrResult("", message, NOT_SUPPORTED_EXIT)


# -- selection and calls ---------------------------------------------------------------------------


def _products(machine: Machine, which: str | None) -> list[dict[str, Any]]:
    """The products an option acts on: one Activation ID, ``all`` keyed products, or (default)
    the Windows product with a key, selected as slmgr selects it (§2.6)."""
    rows = machine.cim.instances(SLP)
    if which is not None and which.lower() != "all":
        rows = [row for row in rows if str(row["ID"]).lower() == which.lower()]
    else:
        rows = [row for row in rows if row["PartialProductKey"] is not None]
    if which is None:
        rows = [r for r in rows if r["ApplicationID"] == WINDOWS_APP_ID and not r["LicenseIsAddon"]]
    if not rows:
        raise _NoProduct
    return [tolerant(row) for row in rows]


def tolerant(row: dict[str, Any]) -> dict[str, Any]:
    """A row where a property the machine's Windows version lacks reads as None (surfaces.py: no
    ProductKeyChannel on Windows 7, no KMS properties on Vista's products), as slmgr.vbs reads
    such properties under On Error (older-windows-office-adba §1.6)."""
    return defaultdict(lambda: None, row)


def _invoke(machine: Machine, target: dict[str, Any] | None, method: str, **params: Any) -> None:
    """A service method (target None) or a method of one product row."""
    if target is None:
        admin.call_service(machine, method, **params)
    else:
        machine.cim.invoke(SLP, method, {"ID": target["ID"]}, params)


def _is_kms_host(machine: Machine) -> bool:
    # §1.9: host options apply only if a product with a partial key is a KMS machine.
    return any(
        row["PartialProductKey"] is not None and row.get("IsKeyManagementServiceMachine") == 1
        for row in machine.cim.instances(SLP)
    )


def _host_port(text_value: str) -> tuple[str, str | None]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address (no port)."""
    if text_value.startswith("["):
        host, _bracket, rest = text_value[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") and rest[1:] else None
    if text_value.count(":") == 1:
        host, port = text_value.split(":")
        return host, port or None
    return text_value, None


# -- options --------------------------------------------------------------------------------------


def _display(machine: Machine, args: list[str], out: list[str], *, verbose: bool) -> None:
    rows = _products(machine, args[0] if args else None)
    out += text.display(tolerant(admin.service(machine)), rows, verbose=verbose)


def _expiration(machine: Machine, args: list[str], out: list[str]) -> None:
    for row in _products(machine, args[0] if args else None):
        out += text.expiration(row, machine.clock.now())


def _install(machine: Machine, args: list[str], out: list[str]) -> None:
    admin.install_key(machine, args[0])
    admin.call_service(machine, "RefreshLicenseStatus")
    # slmgr echoes the key; the lab masks it (same length) so no key reaches a log.
    out.append(f"Installed product key {mask_key(args[0])} successfully.")


def _activate(machine: Machine, args: list[str], out: list[str]) -> None:
    for row in _products(machine, args[0] if args else None):
        out.append(f"Activating {row['Name']} ({row['ID']}) ...")
        hresult = admin.activate_product(machine, str(row["ID"]))
        if hresult:
            raise _Quit(hresult)
        admin.call_service(machine, "RefreshLicenseStatus")
        out.append("Product activated successfully.")


def _uninstall(machine: Machine, args: list[str], out: list[str]) -> None:
    for row in _products(machine, args[0] if args else None):
        machine.cim.invoke(SLP, "UninstallProductKey", {"ID": row["ID"]})
        admin.call_service(machine, "RefreshLicenseStatus")
        out.append("Uninstalled product key successfully.")


def _set_kms(machine: Machine, args: list[str], out: list[str]) -> None:
    name, port = _host_port(args[0])
    target = _products(machine, args[1])[0] if len(args) > 1 else None
    before = (target or admin.service(machine))["KeyManagementServiceMachine"]
    _invoke(machine, target, "SetKeyManagementServiceMachine", MachineName=name)
    try:
        if port is None:
            _invoke(machine, target, "ClearKeyManagementServicePort")
        else:
            _invoke(machine, target, "SetKeyManagementServicePort", PortNumber=port)
    except (SppFault, CimError):
        # wsman-wire §4.3: on a port failure slmgr puts the previous machine name back.
        if before:
            _invoke(machine, target, "SetKeyManagementServiceMachine", MachineName=before)
        else:
            _invoke(machine, target, "ClearKeyManagementServiceMachine")
        raise
    out.append(f"Key Management Service machine name set to {args[0]} successfully.")


def _clear_kms(machine: Machine, args: list[str], out: list[str]) -> None:
    target = _products(machine, args[0])[0] if args else None
    _invoke(machine, target, "ClearKeyManagementServiceMachine")
    _invoke(machine, target, "ClearKeyManagementServicePort")
    out.append("Key Management Service machine name cleared successfully.")


def _host_setting(option: str) -> Callable[[Machine, list[str], list[str]], None]:
    def apply(machine: Machine, args: list[str], out: list[str]) -> None:
        if option in HOST_OPTIONS:
            what, method, parameter = HOST_OPTIONS[option]
            value: object = args[0]
        else:
            what, method, parameter, value = HOST_SWITCHES[option]
        if not _is_kms_host(machine):
            # §1.9: a warning and exit code 0, nothing written.
            out.append(f"Warning: {what} can only be set on a KMS machine that is also activated.")
            return
        admin.call_service(machine, method, **{parameter: value})
        out += [HOST_DONE[option].format(value), text.REBOOT_WARNING]

    return apply


Option = Callable[[Machine, list[str], list[str]], None]
# option: (handler, fewest arguments, most arguments)
OPTIONS: dict[str, tuple[Option, int, int]] = {
    "dli": (lambda m, a, o: _display(m, a, o, verbose=False), 0, 1),
    "dlv": (lambda m, a, o: _display(m, a, o, verbose=True), 0, 1),
    "xpr": (_expiration, 0, 1),
    "ipk": (_install, 1, 1),
    "ato": (_activate, 0, 1),
    "upk": (_uninstall, 0, 1),
    "skms": (_set_kms, 1, 2),
    "ckms": (_clear_kms, 0, 1),
    **{name: (_host_setting(name), 1, 1) for name in HOST_OPTIONS},
    **{name: (_host_setting(name), 0, 0) for name in HOST_SWITCHES},
}


# -- the command line ------------------------------------------------------------------------------


def run(machine: Machine, command_line: str) -> SlmgrResult | None:
    """Run ``cscript [//options] [path\\]slmgr.vbs /option [args]``; None for another program."""
    words = split_line(command_line)
    if not words:
        return None
    program = program_name(words[0])
    if program in ("slmgr", "slmgr.vbs"):
        # Without cscript the .vbs runs under WScript: a message box that hangs a remote session
        # (ansible#28999, kms-facts §1.10).
        return unsupported("slmgr.vbs without 'cscript //nologo' (WScript shows a dialog)")
    if program != "cscript":
        return None
    host_options = [word for word in words[1:] if word.startswith("//")]
    rest = [word for word in words[1:] if not word.startswith("//")]
    if not rest or program_name(rest[0]) != "slmgr.vbs":
        return unsupported("cscript with a script other than slmgr.vbs")
    banner = [] if "//nologo" in (word.lower() for word in host_options) else list(BANNER)
    return _run_option(machine, rest[1:], banner)


def _run_option(machine: Machine, args: list[str], out: list[str]) -> SlmgrResult:
    if not args or args[0][:1] not in "/-":
        return unsupported("slmgr.vbs without an option (or for a remote computer)")
    name = args[0][1:].lower()
    entry = OPTIONS.get(name)
    if entry is None:
        return unsupported(f"slmgr.vbs {args[0]}")
    handler, fewest, most = entry
    if not fewest <= len(args) - 1 <= most:
        return unsupported(f"slmgr.vbs /{name} with {len(args) - 1} argument(s)")
    exit_code = 0
    try:
        handler(machine, args[1:], out)
    except _NoProduct:
        out.append("Error: product not found.")
        exit_code = HResult.SL_E_PKEY_NOT_INSTALLED
    except _Quit as quit_:
        out.append(text.error_line(quit_.hresult))
        exit_code = quit_.hresult
    except SppFault as fault:
        out.append(text.error_line(fault.hresult))
        exit_code = fault.hresult & 0xFFFFFFFF
    except CimError:
        out.append(text.error_line(WBEM_E_INVALID_PARAMETER))
        exit_code = WBEM_E_INVALID_PARAMETER
    except LabTimeout:
        out.append(text.error_line(ERROR_TIMEOUT))
        exit_code = ERROR_TIMEOUT
    return SlmgrResult("".join(line + "\r\n" for line in out), "", int(exit_code))
