# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line a cmd shell receives, and the wrappers around the program inside it.

pywinrm's ``run_command(shell_id, command, arguments)`` sends ``rsp:CommandLine`` with
``rsp:Command`` and one ``rsp:Arguments`` holding the arguments joined by spaces (pywinrm 0.5
``protocol.py``). Ansible's ``winrm`` connection never sends a bare command: ``exec_command`` passes
it through the PowerShell shell plugin's ``_encode_script(cmd, strict_mode=False,
preserve_rc=False)``, so ``raw: cscript ...`` arrives as ``PowerShell -NoProfile -NonInteractive
-ExecutionPolicy Unrestricted -EncodedCommand <base64 of the UTF-16LE script>`` and the script is
the raw string itself (ansible-core 2.19 ``plugins/connection/winrm.py`` ``exec_command``,
``plugins/shell/powershell.py`` ``_encode_script``).

What reaches the client as the exit code depends on the wrapper. cmd passes the program's exit
code through. ``powershell.exe -Command`` (and ``-EncodedCommand``, its base64 form) exits 0 when
the last statement succeeded and 1 otherwise, even when that statement is an external program
with another exit code (Microsoft's about_PowerShell_exe / about_Pwsh, discussed in
PowerShell/PowerShell#13501; pywinrm#361 sees the same), unless the script ends with
``exit $LASTEXITCODE``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Host = Literal["cmd", "powershell"]
_KEEP_EXIT = re.compile(r"[;\r\n]+\s*exit\s+\$LASTEXITCODE\s*;?\s*$", re.IGNORECASE)
# powershell.exe parameters that take a value, with the shortest spelling accepted here.
_VALUED = (
    ("-executionpolicy", "-ex"),
    ("-ep", "-ep"),
    ("-inputformat", "-inp"),
    ("-outputformat", "-o"),
    ("-windowstyle", "-w"),
    ("-version", "-v"),
    ("-psconsolefile", "-ps"),
    ("-configurationname", "-config"),
)


@dataclass(frozen=True)
class Invocation:
    """The program's command line with its wrappers removed, and which wrapper ran it."""

    line: str
    host: Host = "cmd"
    keeps_exit_code: bool = False  # the script ends with ``exit $LASTEXITCODE``

    def exit_code(self, program_exit: int) -> int:
        """The exit code the client sees (a DWORD) for the program's own exit code."""
        code = program_exit & 0xFFFFFFFF
        if self.host == "powershell" and not self.keeps_exit_code:
            return 0 if code == 0 else 1
        return code


def split_line(line: str) -> list[str]:
    """Words of a command line; double or single quotes group (cmd and PowerShell alike)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    for char in line:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote, started = char, True
        elif char.isspace():
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        words.append("".join(current))
    return words


def program_name(word: str) -> str:
    """``C:\\Windows\\System32\\cscript.exe`` -> ``cscript``: the base name, lower case."""
    base = word.replace("/", "\\").rsplit("\\", 1)[-1].lower()
    return base.removesuffix(".exe")


def command_line(command: str, arguments: Sequence[str]) -> str:
    """``rsp:Command`` and every ``rsp:Arguments``, as the shell joins them."""
    return " ".join(part for part in (command.strip(), *(a.strip() for a in arguments)) if part)


def _matches(word: str, name: str, shortest: str) -> bool:
    # powershell.exe accepts any unambiguous prefix of a parameter name.
    lowered = word.lower()
    return len(lowered) >= len(shortest) and name.startswith(lowered)


def _decode(words: list[str]) -> str | None:
    """The script of ``-EncodedCommand <base64 of UTF-16LE>``, or None if it does not decode."""
    if not words:
        return None
    try:
        return base64.b64decode(words[0], validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _powershell_script(words: list[str]) -> str | None:
    """The script a ``powershell.exe`` command line runs, or None if it runs none we read."""
    index = 1
    while index < len(words):
        word = words[index]
        if word.lower() == "-ec" or _matches(word, "-encodedcommand", "-e"):
            return _decode(words[index + 1 : index + 2])
        if any(_matches(word, name, shortest) for name, shortest in _VALUED):
            index += 2
            continue
        if _matches(word, "-command", "-c"):
            return " ".join(words[index + 1 :])
        if _matches(word, "-file", "-f"):
            return None  # a script file: nothing the lab can read
        if not word.startswith("-"):
            return " ".join(words[index:])  # Windows PowerShell's default is -Command
        index += 1
    return None


def unwrap(line: str) -> Invocation | None:
    """The program line inside cmd or PowerShell wrappers; None when a wrapper cannot be read."""
    words = split_line(line)
    if not words:
        return Invocation("")
    program = program_name(words[0])
    if program == "cmd" and len(words) > 1 and words[1].lower() in ("/c", "/k"):
        return unwrap(" ".join(words[2:]))
    if program not in ("powershell", "pwsh"):
        return Invocation(line.strip())
    script = _powershell_script(words)
    if script is None:
        return None
    return script_invocation(script)


def script_invocation(script: str) -> Invocation:
    """The program line of a PowerShell script (``-Command`` text, a ``win_shell`` cmd): the call
    operator and a closing ``exit $LASTEXITCODE`` removed, which decides the exit code."""
    script = script.strip()
    kept = _KEEP_EXIT.search(script)
    if kept:
        script = script[: kept.start()].strip()
    if script.startswith("&"):
        script = script[1:].strip()  # the call operator: & cscript ...
    return Invocation(script, "powershell", keeps_exit_code=kept is not None)
