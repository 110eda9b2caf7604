"""ansible.windows modules on a lab machine: ``win_ping``, ``win_product_facts``, ``win_shell``.

Administrators reach KMS state today through these modules, sent as PowerShell through
ansible-core's exec wrapper. The shell recognises the module by name in the wrapper's manifest
(``wsman/exec_wrapper.py``); this module answers it from the same model the WMI modules talk to,
in the result shape each module documents (its ``RETURN`` block) and builds (its ``.ps1``):
ansible.windows 3.8.0, as pinned by tests/requirements-bench.txt. Nothing here runs PowerShell.

* ``win_ping``: ``{"changed": false, "ping": <data>}``; ``data: crash`` throws "boom".
* ``win_product_facts``: ``ansible_facts`` from ``SoftwareLicensingService`` and the keyed
  ``SoftwareLicensingProduct`` rows whose Name matches "Windows" (the module's own selection),
  with PowerShell's member enumeration: several matching rows give lists, none gives nulls.
  Lab choices: ``ansible_os_product_id`` (``Win32_OperatingSystem.SerialNumber``, which the
  model does not keep) is the Windows product's ProductKeyID; ``ansible_os_product_key`` (the
  firmware key, else the key decoded from the registry's ``DigitalProductId``) is the firmware
  key or the installed Windows key, masked as everywhere in the lab (same length).
* ``win_shell``: the ``cmd`` runs in PowerShell (``-encodedcommand``, the module's default
  ``executable``) or, with another ``executable``, as ``<exe> /c <cmd>``; the lab runs
  ``cscript //nologo slmgr.vbs ...`` (``kmslab.slmgr``) and answers any other program as the
  shell does. The exit code follows the wrapper (``shell_line.Invocation.exit_code``); a
  non-zero one fails with "non-zero return code". ``creates``/``removes``: the lab has no
  files, so a path never exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from kmslab import slmgr
from kmslab.model import admin
from kmslab.model.cim_classes import SLP
from kmslab.model.keys import mask_key
from kmslab.model.machine import Machine
from kmslab.wsman.shell_command import not_supported
from kmslab.wsman.shell_line import Invocation, program_name, script_invocation

# win_product_facts.ps1: the LicenseStatus switch.
LICENSE_STATUS = {
    0: "Unlicensed",
    1: "Licensed",
    2: "OOBGrace",
    3: "OOTGrace",
    4: "NonGenuineGrace",
    5: "Notification",
    6: "ExtendedGrace",
}
# Each module's options and defaults (its $spec), for the invocation and the unknown-option check.
PING_OPTIONS: dict[str, Any] = {"data": "pong"}
SHELL_OPTIONS: dict[str, Any] = {
    "chdir": None,
    "cmd": None,
    "creates": None,
    "executable": None,
    "removes": None,
    "stdin": None,
    "no_profile": False,
    "output_encoding_override": None,
}
SHELL_ALIASES = {"_raw_params": "cmd"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # win_shell.ps1: yyyy-MM-dd HH:mm:ss.ffffff


def _params(
    module: str, given: Mapping[str, Any], options: Mapping[str, Any], aliases: Mapping[str, str]
) -> tuple[dict[str, Any], str | None]:
    """Options with defaults filled in, or an Ansible.Basic-style error for unknown ones."""
    unknown = sorted(k for k in given if k not in options and k not in aliases)
    if unknown:
        supported = ", ".join(sorted([*options, *aliases]))
        short = module.rsplit(".", 1)[-1]
        return {}, (
            f"Unsupported parameters for ({short}) module: {', '.join(unknown)}. "
            f"Supported parameters include: {supported}"
        )
    params = dict(options)
    for name, value in given.items():
        params[aliases.get(name, name)] = value
    return params, None


def _failed(message: str, params: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "changed": False,
        **extra,
        "failed": True,
        "msg": message,
        "invocation": {"module_args": dict(params)},
    }


def win_ping(machine: Machine, given: Mapping[str, Any]) -> dict[str, Any]:
    params, error = _params("win_ping", given, PING_OPTIONS, {})
    if error:
        return _failed(error, given)
    if params["data"] == "crash":
        # The module's `throw "boom"`: the exec wrapper reports the unhandled exception.
        return _failed("Unhandled exception while executing module: boom", params)
    return {"changed": False, "ping": params["data"], "invocation": {"module_args": params}}


def _enumerate(values: list[Any]) -> Any:
    """PowerShell member enumeration over the matched rows: one value, a list, or null."""
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def win_product_facts(machine: Machine, given: Mapping[str, Any]) -> dict[str, Any]:
    error = _params("win_product_facts", given, {}, {})[1]
    if error:
        return _failed(error, given)
    rows = [
        slmgr.tolerant(row)
        for row in machine.cim.instances(SLP)
        if row["PartialProductKey"] and re.search("Windows", str(row["Name"]), re.IGNORECASE)
    ]
    windows = admin.windows_product(machine)
    product_key = slmgr.tolerant(admin.service(machine))["OA3xOriginalProductKey"]
    if not product_key and windows is not None:
        state = machine.spp.keys.get(str(windows["ID"]))
        product_key = state.key.key if state else None
    facts = {
        "ansible_os_product_id": windows.get("ProductKeyID") if windows else None,
        "ansible_os_product_key": mask_key(product_key) if product_key else None,
        "ansible_os_license_edition": _enumerate([row["Name"] for row in rows]),
        "ansible_os_license_channel": _enumerate([row["ProductKeyChannel"] for row in rows]),
        "ansible_os_license_status": _enumerate(
            [LICENSE_STATUS.get(row["LicenseStatus"]) for row in rows]
        ),
    }
    return {"changed": False, "ansible_facts": facts, "invocation": {"module_args": {}}}


def _shell_invocation(cmd: str, executable: str | None) -> Invocation:
    if executable and program_name(executable) not in ("powershell", "pwsh"):
        return Invocation(cmd)  # "<executable>" /c <cmd>: cmd passes the exit code through
    return script_invocation(cmd)


def win_shell(machine: Machine, given: Mapping[str, Any]) -> dict[str, Any]:
    params, error = _params("win_shell", given, SHELL_OPTIONS, SHELL_ALIASES)
    if error:
        return _failed(error, given)
    if not isinstance(params["cmd"], str) or not params["cmd"].strip():
        return _failed("missing required arguments: cmd", params)
    cmd = params["cmd"].strip()
    if params["removes"]:
        return {
            "changed": False,
            "cmd": cmd,
            "msg": f"skipped, since {params['removes']} does not exist",
            "skipped": True,
            "rc": 0,
            "invocation": {"module_args": params},
        }
    invocation = _shell_invocation(cmd, params["executable"])
    start = machine.clock.now()
    found = slmgr.run(machine, invocation.line)
    if found is None:
        output = not_supported(invocation.line)
        stdout, stderr, program_exit = output.stdout, output.stderr, output.exit_code
    else:
        stdout, stderr, program_exit = found.stdout, found.stderr, found.exit_code
    end = machine.clock.now()
    rc = invocation.exit_code(program_exit)
    if rc >= 0x80000000:
        rc -= 0x100000000  # Process.ExitCode is an Int32: an HRESULT exit reads negative
    result: dict[str, Any] = {
        "changed": True,
        "cmd": cmd,
        "stdout": stdout,
        "stderr": stderr,
        "rc": rc,
        "start": start.strftime(TIME_FORMAT),
        "end": end.strftime(TIME_FORMAT),
        "delta": _delta(start, end),
        "invocation": {"module_args": params},
    }
    if rc != 0:
        result |= {"failed": True, "msg": "non-zero return code"}
    return result


def _delta(start: datetime, end: datetime) -> str:
    """h:mm:ss.ffffff, as win_shell.ps1 formats a TimeSpan."""
    micro = int((end - start).total_seconds() * 1_000_000)
    hours, rest = divmod(micro, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{micro:06d}"


MODULES: dict[str, Callable[[Machine, Mapping[str, Any]], dict[str, Any]]] = {
    "ansible.windows.win_ping": win_ping,
    "ansible.windows.win_product_facts": win_product_facts,
    "ansible.windows.win_shell": win_shell,
}


def run(machine: Machine, module: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The module's result, or None for a module the lab does not simulate."""
    handler = MODULES.get(module)
    return None if handler is None else handler(machine, params)
