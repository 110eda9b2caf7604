# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's PowerShell exec wrapper through the lab's cmd shell (``wsman/exec_wrapper.py``).

The payloads are built by ansible-core's own builders (``module_manifest``), so these tests fail
when ansible-core changes what it sends; the wire part runs pywinrm as Ansible's winrm connection
drives it: Command with the bootstrap, Send in pieces (the last ``End="true"``), Receive,
Signal. The model's answers to ansible.windows' modules are tested in
``tests/unit/lab/test_lab_ansible_windows.py``, the whole path through ``ansible-playbook`` in
``tests/integration/test_ansible_windows_peer.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pytest
import xmltodict
from ansible._internal._powershell import _script
from ansible.executor.powershell import module_manifest
from kmslab.wsman import Machine
from kmslab.wsman.exec_wrapper import (
    PayloadError,
    is_bootstrap,
    module_name,
    parse_payload,
    run_payload,
)
from kmslab.wsman.shell_line import unwrap
from winrm.exceptions import WinRMOperationTimeoutError
from winrm.protocol import Protocol
from wsman_fakes import FakeSpp

USER, PASSWORD = "kmsadmin", "S3cret!"
CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
SEND = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
PROBE = b"#!powershell\n#AnsibleRequires -CSharpUtil Ansible.Basic\n$module.ExitJson()\n"


class ModuleSpp(FakeSpp):
    """The fake SPP, plus modules: ``ansible.builtin.win_lab_probe`` echoes its options."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def run_module(self, module: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        self.calls.append((module, dict(params)))
        if module != "ansible.builtin.win_lab_probe":
            return None
        return {"changed": False, "echo": dict(params), "invocation": {"module_args": params}}


@pytest.fixture
def spp() -> ModuleSpp:  # overrides conftest's: the ``machine`` fixture serves this provider
    return ModuleSpp()


def bootstrap_command() -> list[str]:
    """The command line of a pipelined PowerShell module (module_common get_module_command_args)."""
    wrapper = module_manifest._get_powershell_script("bootstrap_wrapper.ps1").decode()
    return _script.get_pwsh_encoded_cmdline(
        script=wrapper, pwsh_path="powershell", override_execution_policy=True
    )


def module_payload(args: Mapping[str, Any], *, async_timeout: int = 0) -> bytes:
    """The exec wrapper's stdin for a PowerShell module, built by ansible-core itself."""
    environment = {"ANSIBLE_ASYNC_DIR": "C:\\async"} if async_timeout else {}
    return module_manifest._create_powershell_wrapper(
        name="ansible.modules.win_lab_probe",
        module_data=PROBE,
        module_path="/lab/win_lab_probe.ps1",
        module_args=dict(args),
        environment=environment,
        async_timeout=async_timeout,
        become_plugin=None,
        substyle="powershell",
        task_vars={},
        profile="legacy",
        pwsh_interpreter="powershell",
    )


# -- parsing ---------------------------------------------------------------------------------------


def test_the_bootstrap_command_unwraps_to_the_bootstrap_script() -> None:
    command = bootstrap_command()
    assert command[:6] == [
        "powershell",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Unrestricted",
        "-EncodedCommand",
    ]
    invocation = unwrap(" ".join(command))
    assert invocation is not None
    assert invocation.host == "powershell"
    assert is_bootstrap(invocation.line)
    assert not is_bootstrap(r"cscript //nologo C:\Windows\System32\slmgr.vbs /dlv")


def test_a_module_payload_names_the_module_and_its_options() -> None:
    args = {"data": "x", "_ansible_check_mode": False, "_ansible_inject_invocation": True}
    run = parse_payload(module_payload(args))
    assert run.module == "ansible.builtin.win_lab_probe"
    assert run.params == {"data": "x"}
    assert run.args["_ansible_check_mode"] is False
    assert run.inject_invocation
    assert run.wrappers == ()


def test_async_puts_wrappers_before_the_module() -> None:
    run = parse_payload(module_payload({}, async_timeout=30))
    assert run.wrappers == ("async_wrapper.ps1", "async_watchdog.ps1")


@pytest.mark.parametrize(
    ("script", "name"),
    [
        (
            "ansible_collections.ansible.windows.plugins.modules.win_ping.ps1",
            "ansible.windows.win_ping",
        ),
        ("ansible_collections.ns.coll.plugins.modules.sub.mod.ps1", "ns.coll.sub.mod"),
        ("ansible.modules.win_ping.ps1", "ansible.builtin.win_ping"),
        ("win_custom.ps1", "win_custom"),
    ],
)
def test_module_names(script: str, name: str) -> None:
    assert module_name(script) == name


def test_a_helper_script_is_not_a_module() -> None:
    _wrapper, stdin = module_manifest._bootstrap_powershell_script(
        "powershell_mkdtemp.ps1", {"Directory": "C:\\x", "Name": "y"}
    )
    with pytest.raises(PayloadError, match=r"module_wrapper\.ps1"):
        parse_payload(stdin)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{}",
        b"not json\n\0\0\0\0\n{}",
        b'{"name": "exec_wrapper"}\n\0\0\0\0\n[1]',
        b'{"name": "other"}\n\0\0\0\0\n{"actions": []}',
        b'{"name": "exec_wrapper"}\n\0\0\0\0\n{"actions": [], "scripts": {}}',
        b'{"name": "exec_wrapper"}\n\0\0\0\0\n'
        b'{"actions": [{"name": "module_wrapper.ps1", "params": {"Script": "x.ps1"}}],'
        b' "scripts": {}}',
    ],
)
def test_malformed_payloads(data: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_payload(data)
    output = run_payload(ModuleSpp(), data)
    assert output.exit_code == 1
    assert json.loads(output.stdout)["failed"] is True


def test_the_answer_is_the_module_result_as_one_json_line() -> None:
    spp = ModuleSpp()
    quiet = run_payload(spp, module_payload({"data": "é", "_ansible_inject_invocation": False}))
    assert quiet.exit_code == 0
    assert quiet.stdout.endswith("\r\n")
    assert quiet.stdout.count("\n") == 1
    assert json.loads(quiet.stdout) == {"changed": False, "echo": {"data": "é"}}
    loud = run_payload(spp, module_payload({"_ansible_inject_invocation": True}))
    assert json.loads(loud.stdout)["invocation"] == {"module_args": {}}
    unknown = run_payload(FakeSpp(), module_payload({}))  # a provider that runs no module
    assert unknown.exit_code == 1
    assert "not simulated" in json.loads(unknown.stdout)["msg"]


# -- over the wire ---------------------------------------------------------------------------------


def send(client: Protocol, shell_id: str, command_id: str, data: bytes, *, end: bool) -> None:
    """One WinRS Send, as ansible-core's winrm connection builds it (_winrm_send_input)."""
    request = {"env:Envelope": client.build_wsman_header(SEND, CMD_URI, shell_id=shell_id)}
    stream: dict[str, Any] = {
        "@Name": "stdin",
        "@CommandId": command_id,
        "#text": base64.b64encode(data).decode(),
    }
    if end:
        stream["@End"] = "true"
    request["env:Envelope"]["env:Body"] = {"rsp:Send": {"rsp:Stream": stream}}
    client.send_message(xmltodict.unparse(request))


def test_bootstrap_runs_when_its_input_ends(machine: Machine, spp: ModuleSpp) -> None:
    client = Protocol(machine.endpoint("http"), transport="basic", username=USER, password=PASSWORD)
    shell_id = client.open_shell(codepage=65001)
    command = bootstrap_command()
    command_id = client.run_command(shell_id, command[0], command[1:], console_mode_stdin=False)
    payload = module_payload({"data": "x"})
    half = len(payload) // 2
    send(client, shell_id, command_id, payload[:half], end=False)
    with pytest.raises(WinRMOperationTimeoutError):  # no output before the input has ended
        client.get_command_output_raw(shell_id, command_id)  # one Receive (Ansible retries)
    assert spp.calls == []
    send(client, shell_id, command_id, payload[half:], end=True)
    stdout, stderr, code = client.get_command_output(shell_id, command_id)
    assert (json.loads(stdout), stderr, code) == ({"changed": False, "echo": {"data": "x"}}, b"", 0)
    assert spp.calls == [("ansible.builtin.win_lab_probe", {"data": "x"})]
    client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)
    operations = machine.counters.snapshot().operations
    assert (operations["Command"], operations["Send"]) == (1, 2)
    assert (operations["Signal"], operations["Delete"]) == (1, 1)


def test_input_to_another_command_is_still_dropped(machine: Machine, spp: ModuleSpp) -> None:
    client = Protocol(machine.endpoint("http"), transport="basic", username=USER, password=PASSWORD)
    shell_id = client.open_shell()
    command_id = client.run_command(shell_id, "cscript", ["//nologo", "slmgr.vbs", "/dlv"])
    send(client, shell_id, command_id, module_payload({}), end=True)
    _stdout, _stderr, code = client.get_command_output(shell_id, command_id)
    assert code == 1  # FakeSpp runs no command: the lab's "not supported"
    assert spp.calls == []
    client.close_shell(shell_id)
