# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands in a cmd shell: Command, Receive, Signal and Send (MS-WSMV's WinRS operations).

A command runs to completion when Command arrives (the provider answers at once), so the first
Receive carries all of its output, the ``End`` markers and ``CommandState/Done`` with the exit
code; Signal (pywinrm's ``cleanup_command``: terminate) forgets it. The one exception is
ansible-core's PowerShell exec wrapper (``exec_wrapper.py``): its bootstrap reads the module's
manifest from stdin, so it runs when the Send marked ``End="true"`` arrives. Shapes are those of
pywinrm 0.5.0's ``winrm/tests/conftest.py`` fixtures (CommandResponse, ReceiveResponse,
SignalResponse, SendResponse), which are what pywinrm and Ansible parse: streams are matched by a
tag ending in ``Stream`` with a ``Name`` attribute, text base64; done means one element whose
``State`` ends in ``CommandState/Done``; the exit code is the text of the element ending in
``ExitCode``.
"""

from __future__ import annotations

import base64
import binascii
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from . import exec_wrapper, faults, shell_line
from . import names as ns
from .call import Call
from .faults import Fault, SoapFault
from .provider import CommandOutput, CommandRunner
from .shell import ShellCommand, ShellTable
from .soap import envelope, q

PREFIXES = ("s", "a", "x", "w", "rsp", "p")  # pywinrm fixtures run_cmd_ps_response and others
STATE_DONE = ns.SHELL + "/CommandState/Done"
# What the lab writes for the output streams. Ansible opens its shell with WINRS_CODEPAGE=65001;
# the lab's texts are ASCII, so pywinrm's default code page 437 reads the same bytes.
ENCODING = "utf-8"
NOT_SUPPORTED_EXIT = 1
ERROR_INVALID_PARAMETER = 87  # a plain Win32 code in WSManFault/@Code, as WinRS sends it
WINRS_PLUGIN = ("Shell cmd plugin", r"%systemroot%\system32\winrscmd.dll")


def _unknown_command(call: Call) -> Fault:
    """The reply of a Windows Server 2016 to a Signal without its CommandId (pypsrp
    tests/adhoc.py @bfd566e6): w:InvalidParameter, fault detail InvalidValue, WSManFault Code 87
    around the shell plugin's ProviderFault, texts verbatim. That WinRS answers an unknown
    CommandId the same way is a lab assumption."""
    text = "The parameter is incorrect. "
    provider, path = WINRS_PLUGIN
    detail = (
        f"<w:FaultDetail>{faults.FAULT_DETAIL_PREFIX}InvalidValue</w:FaultDetail>"
        f'<f:WSManFault xmlns:f="{ns.WSMANFAULT}" Code="{ERROR_INVALID_PARAMETER}"'
        f" Machine={quoteattr(call.alias)}><f:Message><f:ProviderFault"
        f" provider={quoteattr(provider)} path={quoteattr(path)}>{text}</f:ProviderFault>"
        "</f:Message></f:WSManFault>"
    )
    return Fault(ns.FAULT_WSMAN, "s:Sender", "w:InvalidParameter", text, detail)


def _body(call: Call, local: str) -> ET.Element:
    child = call.request.body_child()
    if child is None or child.tag != q(ns.SHELL, local):
        raise SoapFault(faults.schema_validation(call.alias, f"the body needs rsp:{local}"))
    return child


def not_supported(line: str) -> CommandOutput:
    """The lab's answer to a program it does not simulate: a short stderr, exit code 1."""
    words = shell_line.split_line(line)
    name = shell_line.program_name(words[0]) if words else "(empty command)"
    # Only the program's name is echoed: the rest of a command line may hold a product key.
    return CommandOutput(
        stdout="",
        stderr=(
            f"'{name}' is not supported in this lab: its shell runs only "
            "'cscript //nologo slmgr.vbs <option>' (tests/lab/README.md).\r\n"
        ),
        exit_code=NOT_SUPPORTED_EXIT,
    )


def run(provider: object, line: str) -> ShellCommand:
    """Run one command line through the provider; what the client will receive."""
    invocation = shell_line.unwrap(line)
    output = None
    if invocation is not None and isinstance(provider, CommandRunner):
        output = provider.run_command(invocation.line)
    if output is None:
        output = not_supported(invocation.line if invocation else "powershell")
        exit_code = output.exit_code
    else:
        exit_code = invocation.exit_code(output.exit_code) if invocation else output.exit_code
    return ShellCommand(
        stdout=output.stdout.encode(ENCODING),
        stderr=output.stderr.encode(ENCODING),
        exit_code=exit_code & 0xFFFFFFFF,
    )


def command(call: Call, table: ShellTable) -> str:
    call.inject("Command", "shell")
    commands = table.commands(call)
    line_element = _body(call, "CommandLine")
    program = line_element.find(q(ns.SHELL, "Command"))
    if program is None:
        raise SoapFault(faults.schema_validation(call.alias, "rsp:CommandLine has no rsp:Command"))
    arguments = [arg.text or "" for arg in line_element.findall(q(ns.SHELL, "Arguments"))]
    line = shell_line.command_line(program.text or "", arguments)
    command_id = str(uuid.uuid4()).upper()
    invocation = shell_line.unwrap(line)
    if invocation is not None and exec_wrapper.is_bootstrap(invocation.line):
        commands[command_id] = ShellCommand(b"", b"", 0, stdin=bytearray())
    else:
        commands[command_id] = run(call.provider, line)
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_COMMAND + "Response",
        relates_to=call.request.message_id,
        body=body,
    )


def _command_id(call: Call, element: ET.Element | None) -> str:
    command_id = (element.get("CommandId") if element is not None else None) or ""
    return command_id.upper()


def _streams(command_id: str, name: str, data: bytes) -> str:
    attributes = f"Name={quoteattr(name)} CommandId={quoteattr(command_id)}"
    end = f'<rsp:Stream {attributes} End="true"></rsp:Stream>'
    if not data:
        return end
    return f"<rsp:Stream {attributes}>{base64.b64encode(data).decode()}</rsp:Stream>{end}"


def receive(call: Call, table: ShellTable) -> str:
    call.inject("Receive", "shell")
    commands = table.commands(call)
    desired = _body(call, "Receive").find(q(ns.SHELL, "DesiredStream"))
    command_id = _command_id(call, desired)
    record = commands.get(command_id)
    if record is None:
        raise SoapFault(_unknown_command(call))
    if record.stdin is not None:
        # Still waiting for its input: no output before the OperationTimeout, which WinRS answers
        # with w:TimedOut (pywinrm fixture; pywinrm raises WinRMOperationTimeoutError and Ansible
        # receives again). The lab answers at once instead of waiting the timeout out.
        raise SoapFault(faults.timed_out(call.alias))
    # Output is delivered once; a Receive after that finds the streams ended and the state Done.
    stdout, stderr = (b"", b"") if record.received else (record.stdout, record.stderr)
    record.received = True
    body = (
        "<rsp:ReceiveResponse>"
        + _streams(command_id, "stdout", stdout)
        + _streams(command_id, "stderr", stderr)
        + f"<rsp:CommandState CommandId={quoteattr(command_id)} State={quoteattr(STATE_DONE)}>"
        f"<rsp:ExitCode>{record.exit_code}</rsp:ExitCode></rsp:CommandState>"
        "</rsp:ReceiveResponse>"
    )
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_RECEIVE + "Response",
        relates_to=call.request.message_id,
        body=body,
    )


def _run_module(call: Call, record: ShellCommand) -> None:
    """The exec wrapper's input is complete: answer it from the provider (exec_wrapper.py)."""
    output = exec_wrapper.run_payload(call.provider, bytes(record.stdin or b""))
    record.stdin = None
    record.stdout = output.stdout.encode(ENCODING)
    record.stderr = output.stderr.encode(ENCODING)
    record.exit_code = output.exit_code & 0xFFFFFFFF


def signal(call: Call, table: ShellTable) -> str:
    """terminate (pywinrm ``cleanup_command``), ctrl_c or ctrl_break: the command is gone."""
    call.inject("Signal", "shell")
    commands = table.commands(call)
    command_id = _command_id(call, _body(call, "Signal"))
    if commands.pop(command_id, None) is None:
        raise SoapFault(_unknown_command(call))
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_SIGNAL + "Response",
        relates_to=call.request.message_id,
        body="<rsp:SignalResponse/>",
    )


def send(call: Call, table: ShellTable) -> str:
    """stdin for a command: ``rsp:Send/rsp:Stream Name="stdin" CommandId=... [End="true"]``,
    base64 (ansible-core ``winrm.py`` ``_winrm_send_input``). The exec wrapper's bootstrap keeps
    it and runs at its end; for any other command it is dropped (no simulated program reads it)."""
    call.inject("Send", "shell")
    commands = table.commands(call)
    stream = _body(call, "Send").find(q(ns.SHELL, "Stream"))
    record = commands.get(_command_id(call, stream))
    if record is None or stream is None:
        raise SoapFault(_unknown_command(call))
    if record.stdin is not None:
        try:
            record.stdin += base64.b64decode(stream.text or "", validate=True)
        except binascii.Error:
            raise SoapFault(faults.schema_validation(call.alias, "stdin is not base64")) from None
        if (stream.get("End") or "").lower() == "true":
            _run_module(call, record)
    return envelope(
        prefixes=PREFIXES,
        action=ns.ACTION_SEND + "Response",
        relates_to=call.request.message_id,
        body="<rsp:SendResponse/>",
    )
