"""ansible.windows' modules answered from the model (``kmslab/ansible_windows.py``): the result
shapes of win_ping, win_product_facts and win_shell (their RETURN blocks and .ps1 files,
ansible.windows 3.8.0), and that slmgr through win_shell changes the model as slmgr does.

The wire (the exec wrapper's manifest through the shell) is tested in
``tests/unit/lab/wsman/test_exec_wrapper.py``; the whole path in
``tests/integration/test_ansible_windows_peer.py``.
"""

from __future__ import annotations

import re

import pytest
from kmslab import ansible_windows
from kmslab.model import Fleet, KeyKind, LicenseStatus, Machine, admin
from kmslab.model.errors import HResult
from kmslab.model.keys import mask_key

SLMGR = r"cscript //nologo C:\Windows\System32\slmgr.vbs"
KEY = re.compile(r"^XXXXX-XXXXX-XXXXX-XXXXX-[0-9A-Z]{5}$")


def client(fleet: Fleet, name: str = "pc1", image: str = "win11-enterprise") -> Machine:
    machine = fleet.add(name, image)
    admin.install_key(machine, fleet.keys.for_image(KeyKind.GVLK, image).key)
    return machine


def shell(machine: Machine, cmd: str, **options: object) -> dict[str, object]:
    result = ansible_windows.run(machine, "ansible.windows.win_shell", {"cmd": cmd, **options})
    assert result is not None
    return result


def test_win_ping() -> None:
    machine = client(Fleet())
    assert ansible_windows.run(machine, "ansible.windows.win_ping", {}) == {
        "changed": False,
        "ping": "pong",
        "invocation": {"module_args": {"data": "pong"}},
    }
    echoed = ansible_windows.run(machine, "ansible.windows.win_ping", {"data": "hi"})
    assert echoed is not None
    assert echoed["ping"] == "hi"
    crashed = ansible_windows.run(machine, "ansible.windows.win_ping", {"data": "crash"})
    assert crashed is not None
    assert crashed["failed"] is True
    assert "boom" in str(crashed["msg"])


def test_unknown_options_fail_as_ansible_basic_says() -> None:
    result = ansible_windows.run(client(Fleet()), "ansible.windows.win_ping", {"nope": 1})
    assert result is not None
    assert result["failed"] is True
    assert result["msg"] == (
        "Unsupported parameters for (win_ping) module: nope. Supported parameters include: data"
    )


def test_a_module_the_lab_does_not_simulate() -> None:
    assert ansible_windows.run(client(Fleet()), "ansible.windows.win_service", {}) is None


def test_win_product_facts_reads_the_windows_product() -> None:
    machine = client(Fleet())
    result = ansible_windows.run(machine, "ansible.windows.win_product_facts", {})
    assert result is not None
    facts = result["ansible_facts"]
    row = admin.windows_product(machine)
    assert row is not None
    assert facts == {
        "ansible_os_product_id": row["ProductKeyID"],
        "ansible_os_product_key": facts["ansible_os_product_key"],
        "ansible_os_license_edition": row["Name"],
        "ansible_os_license_channel": "Volume:GVLK",
        "ansible_os_license_status": ansible_windows.LICENSE_STATUS[row["LicenseStatus"]],
    }
    key = facts["ansible_os_product_key"]
    assert KEY.match(key)  # masked, as the lab never shows a whole key
    assert key.endswith(str(row["PartialProductKey"]))
    assert result["changed"] is False


def test_win_product_facts_prefers_the_firmware_key() -> None:
    fleet = Fleet()
    machine = fleet.add("oem1", "win11-pro", initial_key=KeyKind.OEM)
    assert machine.firmware_key is not None
    result = ansible_windows.run(machine, "ansible.windows.win_product_facts", {})
    assert result is not None
    assert result["ansible_facts"]["ansible_os_product_key"] == mask_key(machine.firmware_key)


def test_win_shell_runs_slmgr_against_the_model() -> None:
    machine = client(Fleet())
    result = shell(machine, f"  {SLMGR} /dlv  ")
    assert result["rc"] == 0
    assert result["changed"] is True
    assert result["cmd"] == f"{SLMGR} /dlv"
    assert "License Status:" in str(result["stdout"])
    assert result["stderr"] == ""
    assert re.match(r"^\d+:\d\d:\d\d\.\d{6}$", str(result["delta"]))
    assert "failed" not in result


def test_win_shell_install_and_activate_change_the_model() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key) == 0
    servers = [client(fleet, f"srv{n}", "ws2022-standard") for n in range(5)]
    for server in servers + servers:  # the host counts five servers: its threshold for servers
        admin.activate_windows(server)
    machine = fleet.add("srv9", "ws2022-standard", initial_key=KeyKind.MAK)
    gvlk = fleet.keys.for_image(KeyKind.GVLK, "ws2022-standard").key
    installed = shell(machine, f"{SLMGR} /ipk {gvlk}")
    assert installed["rc"] == 0
    assert gvlk not in str(installed["stdout"])  # masked
    activated = shell(machine, f"{SLMGR} /ato")
    assert activated["rc"] == 0, activated
    row = admin.windows_product(machine)
    assert row is not None
    assert row["LicenseStatus"] == LicenseStatus.LICENSED


def test_win_shell_exit_codes_follow_the_wrapper() -> None:
    machine = client(Fleet())  # no KMS host anywhere: /ato fails with a DNS error
    failed = shell(machine, f"{SLMGR} /ato")
    assert (failed["rc"], failed["failed"], failed["msg"]) == (1, True, "non-zero return code")
    kept = shell(machine, f"{SLMGR} /ato; exit $LASTEXITCODE")
    assert kept["rc"] == HResult.DNS_ERROR_RCODE_NAME_ERROR - 2**32  # an Int32, negative
    through_cmd = shell(machine, f"{SLMGR} /ato", executable="cmd")
    assert through_cmd["rc"] == kept["rc"]
    unknown = shell(machine, "Get-CimInstance SoftwareLicensingProduct")
    assert unknown["rc"] == 1
    assert "not supported in this lab" in str(unknown["stderr"])


def test_win_shell_options() -> None:
    machine = client(Fleet())
    skipped = shell(machine, f"{SLMGR} /dlv", removes=r"C:\nothing")
    assert (skipped["skipped"], skipped["rc"], skipped["changed"]) == (True, 0, False)
    raw = ansible_windows.run(machine, "ansible.windows.win_shell", {"_raw_params": "x"})
    assert raw is not None
    assert raw["cmd"] == "x"
    missing = ansible_windows.run(machine, "ansible.windows.win_shell", {})
    assert missing is not None
    assert missing["failed"] is True


@pytest.mark.parametrize("count", [0, 2])
def test_win_product_facts_enumerates_like_powershell(count: int) -> None:
    """PowerShell's member enumeration: no matching row gives nulls, several give lists."""
    machine = client(Fleet())
    row = admin.windows_product(machine)
    assert row is not None
    rows = [] if count == 0 else [row, row]
    assert ansible_windows._enumerate([r["Name"] for r in rows]) == (
        None if count == 0 else [row["Name"], row["Name"]]
    )
