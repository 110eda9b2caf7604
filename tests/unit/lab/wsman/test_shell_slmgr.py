# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands in the lab's cmd shell, at the wire: what arrives (pywinrm's and Ansible's command
lines), what goes back (Receive streams, CommandState, ExitCode), Signal, Send and the faults.

The provider here is the fake SPP plus a command runner that answers a fixed output and records
the command line it was given; the slmgr emulation itself is tested against the model in
``tests/unit/lab/test_lab_slmgr.py``.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
import xmltodict
from ansible.plugins.shell.powershell import ShellModule
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kmslab.wsman import Machine
from kmslab.wsman.provider import CommandOutput
from kmslab.wsman.shell_line import Invocation, split_line, unwrap
from winrm.exceptions import WSManFaultError
from winrm.protocol import Protocol
from wsman_fakes import FakeSpp

USER, PASSWORD = "kmsadmin", "S3cret!"
CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
RECEIVE = f"{SHELL}/Receive"
SLMGR_DLV = r"cscript //nologo C:\Windows\System32\slmgr.vbs /dlv"
HRESULT_EXIT = 0xC004F074  # 3221549172: slmgr's exit code when no KMS could be contacted


class RunnerSpp(FakeSpp):
    """The fake SPP, plus shell commands: cscript lines answer a fixed output."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def run_command(self, command_line: str) -> CommandOutput | None:
        self.lines.append(command_line)
        if not command_line.lower().startswith("cscript"):
            return None
        return CommandOutput("hello\r\n", "warn\r\n", HRESULT_EXIT)


@pytest.fixture
def spp() -> RunnerSpp:  # overrides conftest's: the ``machine`` fixture serves this provider
    return RunnerSpp()


def protocol(machine: Machine) -> Protocol:
    return Protocol(machine.endpoint("http"), transport="basic", username=USER, password=PASSWORD)


def ansible_wrapped(command: str) -> list[str]:
    """What Ansible's winrm connection sends for ``raw: <command>`` (its exec_command)."""
    return ShellModule()._encode_script(command, as_list=True, strict_mode=False, preserve_rc=False)


def receive_xml(client: Protocol, shell_id: str, command_id: str) -> ET.Element:
    request = {"env:Envelope": client.build_wsman_header(RECEIVE, CMD_URI, shell_id=shell_id)}
    desired = {"@CommandId": command_id, "#text": "stdout stderr"}
    request["env:Envelope"]["env:Body"] = {"rsp:Receive": {"rsp:DesiredStream": desired}}
    return ET.fromstring(client.send_message(xmltodict.unparse(request)))


# -- the command line ----------------------------------------------------------------------------


def test_ansible_raw_arrives_as_encoded_powershell_and_unwraps_to_the_raw_line() -> None:
    parts = ansible_wrapped(SLMGR_DLV)
    assert " ".join(parts[:6]) == (
        "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand"
    )
    assert base64.b64decode(parts[6]).decode("utf-16-le") == SLMGR_DLV
    assert unwrap(" ".join(parts)) == Invocation(SLMGR_DLV, "powershell")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (SLMGR_DLV, Invocation(SLMGR_DLV)),
        (f"cmd.exe /c {SLMGR_DLV}", Invocation(SLMGR_DLV)),
        (f'powershell -Command "& {SLMGR_DLV}"', Invocation(SLMGR_DLV, "powershell")),
        (
            f'pwsh.exe -NoLogo -ep Bypass -c "{SLMGR_DLV}; exit $LASTEXITCODE"',
            Invocation(SLMGR_DLV, "powershell", keeps_exit_code=True),
        ),
        ("powershell -File C:\\x.ps1", None),
        ("powershell -EncodedCommand not*base64", None),
        ("powershell -EncodedCommand", None),
    ],
)
def test_wrappers(line: str, expected: Invocation | None) -> None:
    assert unwrap(line) == expected


def test_exit_code_through_each_wrapper() -> None:
    assert Invocation("x").exit_code(-1073418124) == HRESULT_EXIT  # cmd: the DWORD, unchanged
    assert Invocation("x", "powershell").exit_code(HRESULT_EXIT) == 1  # -Command: 0 or 1
    assert Invocation("x", "powershell").exit_code(0) == 0
    assert Invocation("x", "powershell", keeps_exit_code=True).exit_code(HRESULT_EXIT) == (
        HRESULT_EXIT
    )


def test_split_line_groups_quotes() -> None:
    assert split_line('"C:\\Program Files\\a.exe"  /x \'b c\' "" d') == [
        r"C:\Program Files\a.exe",
        "/x",
        "b c",
        "",
        "d",
    ]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("abcXYZ019 /:.\\-_\r\n\t"), min_size=1, max_size=60))
def test_any_ansible_raw_script_unwraps_to_what_ansible_encoded(script: str) -> None:
    lines = [line.strip() for line in script.splitlines() if line.strip()]
    assume(lines)
    invocation = unwrap(" ".join(ansible_wrapped(script)))
    assert invocation == Invocation("\n".join(lines), "powershell")


# -- the shell operations -------------------------------------------------------------------------


def test_command_receive_signal_shapes_and_counters(machine: Machine, spp: RunnerSpp) -> None:
    client = protocol(machine)
    shell_id = client.open_shell(codepage=65001)
    command_id = client.run_command(shell_id, "cscript", ["//nologo", "slmgr.vbs", "/dlv"])
    assert spp.lines == ["cscript //nologo slmgr.vbs /dlv"]
    root = receive_xml(client, shell_id, command_id)
    streams = [
        (s.get("Name"), s.get("End"), base64.b64decode(s.text) if s.text else None)
        for s in root.iter(f"{{{SHELL}}}Stream")
    ]
    assert streams == [
        ("stdout", None, b"hello\r\n"),
        ("stdout", "true", None),
        ("stderr", None, b"warn\r\n"),
        ("stderr", "true", None),
    ]
    state = root.find(f".//{{{SHELL}}}CommandState")
    assert state is not None
    assert state.get("State") == f"{SHELL}/CommandState/Done"
    assert state.get("CommandId") == command_id
    assert state.findtext(f"{{{SHELL}}}ExitCode") == "3221549172"
    # Output is delivered once; pywinrm's loop then sees Done with nothing more.
    assert client.get_command_output(shell_id, command_id) == (b"", b"", HRESULT_EXIT)
    client.cleanup_command(shell_id, command_id)  # Signal terminate; pywinrm checks RelatesTo
    assert machine.service.shells.shells[shell_id] == {}
    client.close_shell(shell_id)
    snapshot = machine.counters.snapshot()
    assert snapshot.operations == {
        "Create": 1,
        "Command": 1,
        "Receive": 2,
        "Signal": 1,
        "Delete": 1,
    }
    assert snapshot.http_requests == 6
    assert snapshot.bytes_in > 0
    assert snapshot.bytes_out > 0


def test_exit_code_of_an_ansible_raw_command_is_powershells(machine: Machine) -> None:
    client = protocol(machine)
    shell_id = client.open_shell(codepage=65001)
    for script, expected in ((SLMGR_DLV, 1), (f"{SLMGR_DLV}; exit $LASTEXITCODE", HRESULT_EXIT)):
        parts = ansible_wrapped(script)
        command_id = client.run_command(shell_id, parts[0], parts[1:])
        assert client.get_command_output(shell_id, command_id) == (
            b"hello\r\n",
            b"warn\r\n",
            expected,
        )
        client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)


def test_a_program_the_provider_does_not_know(machine: Machine, spp: RunnerSpp) -> None:
    client = protocol(machine)
    shell_id = client.open_shell()
    command_id = client.run_command(shell_id, "ipconfig", ["/all"])
    stdout, stderr, exit_code = client.get_command_output(shell_id, command_id)
    assert (stdout, exit_code) == (b"", 1)
    assert stderr == (
        b"'ipconfig' is not supported in this lab: its shell runs only "
        b"'cscript //nologo slmgr.vbs <option>' (tests/lab/README.md).\r\n"
    )
    assert spp.lines == ["ipconfig /all"]
    client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)


def test_send_is_accepted(machine: Machine) -> None:
    client = protocol(machine)
    shell_id = client.open_shell()
    command_id = client.run_command(shell_id, "cscript", ["slmgr.vbs", "/dli"])
    client.send_command_input(shell_id, command_id, b"ignored", end=True)
    assert client.get_command_output(shell_id, command_id)[2] == HRESULT_EXIT
    client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)
    assert machine.counters.snapshot().operations["Send"] == 1


def test_unknown_shell_and_command_ids_fault(machine: Machine) -> None:
    client = protocol(machine)
    with pytest.raises(WSManFaultError) as no_shell:
        client.run_command("0DE0C5A4-0000-0000-0000-000000000000", "cscript")
    assert no_shell.value.fault_subcode == "w:InvalidSelectors"
    shell_id = client.open_shell()
    command_id = client.run_command(shell_id, "cscript")
    client.cleanup_command(shell_id, command_id)
    for call in (client.get_command_output_raw, client.cleanup_command):
        with pytest.raises(WSManFaultError) as gone:
            call(shell_id, command_id)
        assert gone.value.fault_subcode == "w:InvalidParameter"
        # A Windows Server 2016 reply (pypsrp tests/adhoc.py): Code 87, a Win32 error code.
        assert gone.value.wsman_fault_code == 87
    client.close_shell(shell_id)
    assert machine.service.shells.shells == {}


def test_injected_fault_on_command(machine: Machine, spp: RunnerSpp) -> None:
    machine.fail("Command", 0x80070005, times=1)
    client = protocol(machine)
    shell_id = client.open_shell()
    with pytest.raises(WSManFaultError) as caught:
        client.run_command(shell_id, "cscript", ["slmgr.vbs", "/dli"])
    assert caught.value.wsman_fault_code == 0x80070005
    assert spp.lines == []  # the fault fired before anything ran
    command_id = client.run_command(shell_id, "cscript", ["slmgr.vbs", "/dli"])
    assert client.get_command_output(shell_id, command_id)[0] == b"hello\r\n"
    client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)
