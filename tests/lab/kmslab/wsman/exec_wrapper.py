# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ansible-core's PowerShell exec wrapper sends through a cmd shell, read without running it.

A PowerShell module task (``ansible.windows.win_ping`` and the like) reaches the shell as one
command and its stdin (ansible-core 2.21 ``executor/module_common.py`` ``get_module_command_args``,
``executor/powershell/module_manifest.py``, ``plugins/connection/winrm.py`` ``exec_command``):

* the command line is ``powershell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted
  -EncodedCommand <base64 UTF-16LE>``, whose script is ``bootstrap_wrapper.ps1`` with comments and
  blank-line content stripped (``_strip_comments_and_whitespace``);
* stdin, sent with WinRS Send in chunks of at most 200,000 bytes, the last one ``End="true"``
  (``_wrapper_payload_stream``, ``_winrm_send_input``), is ``<bootstrap manifest JSON>``, a line of
  four NUL characters, ``<exec manifest JSON>`` (``_get_bootstrap_input``). The bootstrap manifest
  names ``exec_wrapper`` and carries its script; the exec manifest has ``scripts`` (every script
  base64, by name), ``actions`` (what runs, in order: become, async, coverage wrappers, then
  ``module_wrapper.ps1``) and ``signed_hashlist``. ``module_wrapper.ps1``'s params name the module
  (``Script``: ``<fully qualified module name>.ps1``) and pass its arguments as the global variable
  ``complex_args`` (``Variables``).

The lab recognises the module by that name and answers from its model; it never runs PowerShell.
What the module prints is one JSON line, its exit code 0 (``ExitJson``) or 1 (``FailJson``)
(ansible-core ``module_utils/csharp/Ansible.Basic.cs``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .provider import CommandOutput, ModuleRunner

# The separator between the two manifests, and before any input piped on to the module.
SEPARATOR = b"\n\0\0\0\0\n"
MODULE_WRAPPER = "module_wrapper.ps1"
# Lines of bootstrap_wrapper.ps1 (ansible-core 2.21) that no other script the lab receives has:
# it reads the manifest up to the line of four NUL characters, then converts it from JSON.
_BOOTSTRAP_MARKS = ('[string]::Equals($in, "`0`0`0`0")', "$code = $codeJson | ConvertFrom-Json")
_COLLECTION_PREFIX = "ansible_collections."
_BUILTIN_PREFIX = "ansible.modules."


class PayloadError(ValueError):
    """The stdin is not an exec wrapper payload the lab can read."""


@dataclass(frozen=True)
class ModuleRun:
    """One module the exec wrapper would run: its name, its arguments, the wrappers around it."""

    module: str  # ansible.windows.win_ping
    args: Mapping[str, Any] = field(default_factory=dict)  # complex_args, _ansible_* included
    wrappers: tuple[str, ...] = ()  # actions before module_wrapper.ps1 (become, async, ...)

    @property
    def params(self) -> dict[str, Any]:
        """The module's own options: the arguments less ansible-core's ``_ansible_*`` keys."""
        return {k: v for k, v in self.args.items() if not k.startswith("_ansible_")}

    @property
    def inject_invocation(self) -> bool:
        """Ansible.Basic adds ``invocation.module_args`` when ``_ansible_inject_invocation``."""
        return bool(self.args.get("_ansible_inject_invocation", False))


def is_bootstrap(script: str) -> bool:
    """True for the script of ansible-core's ``bootstrap_wrapper.ps1`` (any whitespace)."""
    return all(mark in script for mark in _BOOTSTRAP_MARKS)


def module_name(script_name: str) -> str:
    """``ansible_collections.ansible.windows.plugins.modules.win_ping.ps1`` ->
    ``ansible.windows.win_ping`` (the FQCN); ``ansible.modules.x.ps1`` -> ``ansible.builtin.x``."""
    name = script_name.removesuffix(".ps1").removesuffix(".cs")
    if name.startswith(_COLLECTION_PREFIX):
        parts = name[len(_COLLECTION_PREFIX) :].split(".")
        if len(parts) >= 5 and parts[2:4] == ["plugins", "modules"]:
            return ".".join([parts[0], parts[1], *parts[4:]])
    if name.startswith(_BUILTIN_PREFIX):
        return "ansible.builtin." + name[len(_BUILTIN_PREFIX) :]
    return name


def _json(part: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(part.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise PayloadError(f"the {what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise PayloadError(f"the {what} is not a JSON object")
    return value


def parse_payload(data: bytes) -> ModuleRun:
    """The module run that the exec wrapper's stdin describes (raises PayloadError)."""
    parts = data.split(SEPARATOR, 2)
    if len(parts) < 2:
        raise PayloadError("no line of four NUL characters after the bootstrap manifest")
    bootstrap = _json(parts[0], "bootstrap manifest")
    if bootstrap.get("name") != "exec_wrapper":
        raise PayloadError(f"the bootstrap manifest runs {bootstrap.get('name')!r}")
    manifest = _json(parts[1].rstrip(b"\n"), "exec manifest")
    actions = manifest.get("actions")
    if not isinstance(actions, list) or not actions:
        raise PayloadError("the exec manifest has no actions")
    names = [str(action.get("name", "")) for action in actions if isinstance(action, dict)]
    if len(names) != len(actions) or names[-1] != MODULE_WRAPPER:
        raise PayloadError(f"the last action is not {MODULE_WRAPPER}: {names}")
    params = actions[-1].get("params") or {}
    script = params.get("Script")
    scripts = manifest.get("scripts")
    if not isinstance(script, str) or not isinstance(scripts, dict) or script not in scripts:
        raise PayloadError(f"{MODULE_WRAPPER} names no script of the manifest: {script!r}")
    args: Mapping[str, Any] = {}
    for variable in params.get("Variables") or []:
        if isinstance(variable, dict) and variable.get("Name") == "complex_args":
            args = variable.get("Value") or {}
    if not isinstance(args, dict):
        raise PayloadError("complex_args is not an object")
    return ModuleRun(module_name(script), args, tuple(names[:-1]))


def module_output(result: Mapping[str, Any]) -> CommandOutput:
    """What the module prints: Ansible.Basic's compact JSON line; exit 1 when it failed."""
    line = json.dumps(result, separators=(",", ":"), ensure_ascii=False)
    return CommandOutput(line + "\r\n", "", 1 if result.get("failed") else 0)


def not_simulated(run: ModuleRun | None, why: str) -> CommandOutput:
    """The lab's answer to a module (or wrapper) it does not simulate: a failed module result."""
    what = run.module if run is not None else "this PowerShell payload"
    return module_output({"failed": True, "changed": False, "msg": f"{what}: {why} in this lab"})


def run_payload(provider: object, data: bytes) -> CommandOutput:
    """Answer the exec wrapper's stdin from the provider: the module's output, or the lab's
    failed result for a payload, a wrapper or a module it does not simulate."""
    try:
        run = parse_payload(data)
    except PayloadError as error:
        return not_simulated(None, f"unreadable ({error})")
    if run.wrappers:
        # become_wrapper.ps1, async_wrapper.ps1, coverage_wrapper.ps1: not simulated.
        return not_simulated(run, f"the wrapper(s) {', '.join(run.wrappers)} are not simulated")
    result = None
    if isinstance(provider, ModuleRunner):
        result = provider.run_module(run.module, run.params)
    if result is None:
        return not_simulated(run, "the module is not simulated")
    if not run.inject_invocation:
        result.pop("invocation", None)
    return module_output(result)
