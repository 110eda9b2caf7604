"""slmgr.vbs over WinRM against the lab model: real pywinrm shell calls and a real
``ansible-playbook`` ``ansible.builtin.raw`` task, answered from the same model the WMI modules use.

The text is the lab's approximate rendering (``kmslab/slmgr_text.py``); the tests assert that it
carries the model's state and that exit codes follow slmgr (HRESULT as the process exit code)
and the wrapper (cmd passes it through, Ansible's PowerShell wrapper turns it into 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ansible.plugins.shell.powershell import ShellModule
from kmslab.lab import Lab
from kmslab.model import KeyKind, admin
from kmslab.presets import small
from kmslab.wsman.server import DEFAULT_ACCOUNTS
from winrm.protocol import Protocol

ROOT = Path(__file__).resolve().parents[3]
SLMGR = r"C:\Windows\System32\slmgr.vbs"
ONE_COMMAND = {"Create": 1, "Command": 1, "Receive": 1, "Signal": 1, "Delete": 1}


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(small(), http_port=0, https_port=0) as running:
        yield running


def slmgr(lab: Lab, name: str, *args: str, powershell: bool = False) -> tuple[str, str, int]:
    """One ``cscript //nologo slmgr.vbs ...`` in a fresh shell, as pywinrm (or Ansible) runs it:
    Create, Command, Receive, Signal, Delete."""
    return shell_run(lab, name, ["cscript", "//nologo", SLMGR, *args], powershell=powershell)


def shell_run(lab: Lab, name: str, parts: list[str], *, powershell: bool) -> tuple[str, str, int]:
    listener = lab.server.machine(lab.machine(name).fqdn)
    account = DEFAULT_ACCOUNTS[0]
    client = Protocol(
        listener.endpoint("http"),
        transport="basic",
        username=account.username,
        password=account.password,
    )
    shell_id = client.open_shell(codepage=65001)
    if powershell:
        parts = ShellModule()._encode_script(
            " ".join(parts), as_list=True, strict_mode=False, preserve_rc=False
        )
    command_id = client.run_command(shell_id, parts[0], parts[1:])
    stdout, stderr, exit_code = client.get_command_output(shell_id, command_id)
    client.cleanup_command(shell_id, command_id)
    client.close_shell(shell_id)
    return stdout.decode(), stderr.decode(), exit_code


def windows_row(lab: Lab, name: str) -> dict[str, Any]:
    row = lab.call(admin.windows_product, lab.machine(name))
    assert row is not None
    return row


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {op: after[op] - before.get(op, 0) for op in after if after[op] != before.get(op, 0)}


def test_dli_and_xpr_show_the_model_and_cost_five_requests(lab: Lab) -> None:
    row = windows_row(lab, "pc001")
    assert (row["LicenseStatus"], row["GracePeriodRemaining"]) == (2, 43200)  # retail, in grace
    before = lab.requests("pc001")
    stdout, stderr, exit_code = slmgr(lab, "pc001", "/dli")
    assert grown(before, lab.requests("pc001")) == ONE_COMMAND
    assert (stderr, exit_code) == ("", 0)
    assert stdout == (
        f"Name: {row['Name']}\r\n"
        f"Description: {row['Description']}\r\n"
        f"Partial Product Key: {row['PartialProductKey']}\r\n"
        "License Status: Initial grace period\r\n"
        "Time remaining: 43200 minute(s) (30 day(s))\r\n"
    )
    end = lab.call(lab.machine("pc001").clock.now) + timedelta(minutes=43200)
    stdout, _stderr, exit_code = slmgr(lab, "pc001", "-XPR")  # slmgr takes - or /, any case
    assert exit_code == 0
    assert (
        stdout
        == f"{row['Name']}:\r\n    Initial grace period ends {end:%-m/%-d/%Y %-I:%M:%S %p}\r\n"
    )


def test_host_options_on_a_client_warn_exit_0_and_write_nothing(lab: Lab) -> None:
    writes = len(lab.writes("pc001"))
    for args, what in (
        (("/sprt", "1700"), "the KMS listening port"),
        (("/sai", "60"), "the activation interval"),
        (("/sri", "1440"), "the renewal interval"),
        (("/cdns",), "DNS publishing"),
        (("/sdns",), "DNS publishing"),
        (("/cpri",), "KMS priority"),
        (("/spri",), "KMS priority"),
    ):
        stdout, stderr, exit_code = slmgr(lab, "pc001", *args)
        assert (stdout, stderr, exit_code) == (
            f"Warning: {what} can only be set on a KMS machine that is also activated.\r\n",
            "",
            0,
        )
    assert len(lab.writes("pc001")) == writes


def test_gvlk_install_is_masked_and_activation_without_srv_exits_with_the_hresult(
    lab: Lab,
) -> None:
    gvlk = lab.fleet.keys.for_image(KeyKind.GVLK, "ws2019-standard").key
    stdout, _stderr, exit_code = slmgr(lab, "srv001", "/ipk", gvlk)
    assert exit_code == 0
    assert stdout == f"Installed product key XXXXX-XXXXX-XXXXX-XXXXX-{gvlk[-5:]} successfully.\r\n"
    assert gvlk not in repr(lab.writes("srv001"))  # the model's write log masks it too
    row = windows_row(lab, "srv001")
    assert (row["ProductKeyChannel"], row["PartialProductKey"]) == ("Volume:GVLK", gvlk[-5:])
    # No host publishes in this lab (kms1 turns publishing off below): DNS has no _vlmcs record.
    for powershell, expected_exit in ((False, 0x8007232B), (True, 1)):
        stdout, stderr, exit_code = slmgr(lab, "srv001", "/ato", powershell=powershell)
        assert (stderr, exit_code) == ("", expected_exit)
        assert stdout == (
            f"Activating {row['Name']} ({row['ID']}) ...\r\n"
            "Error: 0x8007232B DNS name does not exist.\r\n"
        )
    stdout, _stderr, _exit_code = slmgr(lab, "srv001", "/dlv")
    assert "Product Key Channel: Volume:GVLK\r\n" in stdout
    assert "    DNS auto-discovery: KMS name not available\r\n" in stdout


def test_a_host_set_up_with_slmgr_counts_a_client_set_with_skms(lab: Lab) -> None:
    kms1, pc002 = lab.machine("kms1"), lab.machine("pc002")
    stdout, _stderr, exit_code = slmgr(lab, "kms1", "/ipk", lab.host_key)
    assert (stdout, exit_code) == (
        f"Installed product key XXXXX-XXXXX-XXXXX-XXXXX-{lab.host_key[-5:]} successfully.\r\n",
        0,
    )
    # Microsoft's /ipk note (kms-facts §2.6): restart sppsvc, which slmgr cannot do; until then
    # the machine may not report the KMS host role and slmgr refuses host options.
    lab.call(admin.restart_sppsvc, kms1)
    host_row = windows_row(lab, "kms1")
    stdout, _stderr, exit_code = slmgr(lab, "kms1", "/ato")
    activating = f"Activating {host_row['Name']} ({host_row['ID']}) ..."
    assert (stdout, exit_code) == (f"{activating}\r\nProduct activated successfully.\r\n", 0)
    for args, done in (
        (("/cdns",), "DNS publishing disabled successfully."),
        (("/sai", "60"), "Volume activation interval set to 60 minutes successfully."),
    ):
        stdout, _stderr, exit_code = slmgr(lab, "kms1", *args)
        reboot = "Warning: a KMS reboot is needed for this setting to take effect."
        assert (stdout, exit_code) == (f"{done}\r\n{reboot}\r\n", 0)
    # What slmgr cannot do: the firewall rule and the sppsvc restart the settings wait for.
    assert lab.call(admin.set_firewall_rule, kms1, enabled=True) == 0
    lab.call(admin.restart_sppsvc, kms1)

    gvlk = lab.fleet.keys.for_image(KeyKind.GVLK, "win10-enterprise").key
    assert slmgr(lab, "pc002", "/ipk", gvlk)[2] == 0
    stdout, _stderr, exit_code = slmgr(lab, "pc002", "/skms", f"{kms1.fqdn}:1688")
    assert (stdout, exit_code) == (
        f"Key Management Service machine name set to {kms1.fqdn}:1688 successfully.\r\n",
        0,
    )
    stdout, _stderr, exit_code = slmgr(lab, "pc002", "/ato")
    assert exit_code == 0xC004F038  # the count is 1, a client OS needs 25
    assert stdout.endswith(
        "Error: 0xC004F038 The count reported by the Key Management Service (KMS) is "
        "insufficient.\r\n"
    )

    host = slmgr(lab, "kms1", "/dlv")[0]
    for line in (
        f"Partial Product Key: {lab.host_key[-5:]}",
        "Product Key Channel: Volume:CSVLK",
        "License Status: Licensed",
        "Key Management Service is enabled on this machine",
        "    Current count: 1",
        "    Listening on Port: 1688",
        "    DNS publishing disabled",
        "    KMS priority: Normal",
        "    Activation interval: 60 minutes",
        "    Total requests received: 1",
        "    Failed requests received: 0",
        "    Requests with License Status Initial grace period: 1",
    ):
        assert f"{line}\r\n" in host, line
    cmid = lab.call(admin.service, pc002)["ClientMachineID"]
    client = slmgr(lab, "pc002", "/dlv")[0]
    for line in (
        f"    Client Machine ID (CMID): {cmid}",
        f"    Registered KMS machine name: {kms1.fqdn}:1688",
        "    Activation interval: 60 minutes",  # adopted from the host's answer (§2.2)
    ):
        assert f"{line}\r\n" in client, line
    assert slmgr(lab, "pc002", "/ckms")[0] == (
        "Key Management Service machine name cleared successfully.\r\n"
    )
    assert lab.call(admin.service, pc002)["KeyManagementServiceMachine"] is None


def test_what_the_lab_does_not_run(lab: Lab) -> None:
    assert slmgr(lab, "pc001", "/rearm") == (
        "",
        "slmgr.vbs /rearm is not supported in this lab.\r\n",
        1,
    )
    assert slmgr(lab, "pc001", "/ipk")[1:] == (
        "slmgr.vbs /ipk with 0 argument(s) is not supported in this lab.\r\n",
        1,
    )
    assert slmgr(lab, "pc001", "/ato", "0000-not-an-id") == (
        "Error: product not found.\r\n",
        "",
        0xC004F014,
    )
    key = lab.fleet.keys.for_image(KeyKind.GVLK, "win11-pro").key
    assert slmgr(lab, "pc001", f"/{key}")[1] == (
        f"slmgr.vbs /XXXXX-XXXXX-XXXXX-XXXXX-{key[-5:]} is not supported in this lab.\r\n"
    )
    assert shell_run(lab, "pc001", ["slmgr.vbs", "/dli"], powershell=True) == (
        "",
        "slmgr.vbs without 'cscript //nologo' (WScript shows a dialog) is not supported in this "
        "lab.\r\n",
        1,
    )
    assert shell_run(lab, "pc001", ["ipconfig"], powershell=False)[1:] == (
        "'ipconfig' is not supported in this lab: its shell runs only "
        "'cscript //nologo slmgr.vbs <option>' (tests/lab/README.md).\r\n",
        1,
    )
    stdout, _stderr, exit_code = shell_run(
        lab, "pc001", ["cscript", SLMGR, "/dli"], powershell=False
    )
    assert exit_code == 0
    assert stdout.startswith(  # no //nologo: the script host's banner first
        "Microsoft (R) Windows Script Host Version 5.812\r\n"
        "Copyright (C) Microsoft Corporation. All rights reserved.\r\n\r\nName: "
    )


def test_ansible_raw_slmgr_against_the_lab(lab: Lab) -> None:
    """``ansible.builtin.raw: cscript //nologo C:\\...\\slmgr.vbs /dlv``: the output shows the
    model's state; the task costs Create, Command, Receive, Signal, Delete."""
    row = windows_row(lab, "pc001")
    with tempfile.TemporaryDirectory(prefix="kmslab-slmgr-") as scratch:
        results = Path(scratch) / "results.json"
        play = f"""
- hosts: pc001
  gather_facts: false
  tasks:
    - ansible.builtin.raw: cscript //nologo {SLMGR} /dlv
      register: dlv
- hosts: srv001
  gather_facts: false
  tasks:
    - ansible.builtin.raw: cscript //nologo {SLMGR} /ipk 12345
      register: ipk
      ignore_errors: true
- hosts: localhost
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: {sys.executable}
  tasks:
    - ansible.builtin.copy:
        content: "{{{{ {{'dlv': hostvars.pc001.dlv, 'ipk': hostvars.srv001.ipk}} | to_json }}}}"
        dest: {results}
"""
        (Path(scratch) / "play.yml").write_text(play)
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".venv" / "collections"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
        }
        before = {name: lab.requests(name) for name in ("pc001", "srv001")}
        begun = time.monotonic()
        done = subprocess.run(
            ["ansible-playbook", "-i", str(lab.state_dir / "inventory-http.yml"), "play.yml"],
            capture_output=True,
            text=True,
            env=env,
            cwd=scratch,
            timeout=120,
            check=False,
        )
        seconds = time.monotonic() - begun
        assert done.returncode == 0, done.stdout + done.stderr
        result = json.loads(results.read_text())
    dlv, ipk = result["dlv"], result["ipk"]
    assert (dlv["rc"], dlv["stderr"], dlv["changed"]) == (0, "", True)
    for line in (
        f"Name: {row['Name']}",
        f"Activation ID: {row['ID']}",
        f"Extended PID: {row['ProductKeyID']}",
        "Product Key Channel: Retail",
        f"Partial Product Key: {row['PartialProductKey']}",
        "License Status: Initial grace period",
    ):
        assert line in dlv["stdout_lines"], line
    # Through Ansible's PowerShell wrapper slmgr's 0xC004F050 exit becomes rc 1 (shell_line.py).
    assert (ipk["rc"], ipk["failed"]) == (1, True)
    assert ipk["stdout_lines"] == ["Error: 0xC004F050 The product key is invalid."]
    for name in ("pc001", "srv001"):
        assert grown(before[name], lab.requests(name)) == ONE_COMMAND, name
    print(f"\nansible-playbook, 3 plays: {seconds:.1f} s; 5 WS-Man requests per raw task")
