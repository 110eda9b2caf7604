"""The seeds' own systems for real (issue 14): ansible-playbook against lab machines running
Windows 7, Server 2008 R2, Vista and Server 2008, each serving only the SoftwareLicensingService
and SoftwareLicensingProduct members of its own class page (the lab refuses WQL that names a
property the version lacks, and methods it lacks).

Every module converges there, a second run changes nothing at the converged cost, check mode
writes nothing, and each option a version cannot honour fails before any write with the option,
the machine's version and the first version that has it (windows/versions.py). Each test works
on its own machines, so the order of tests does not matter. The lab's write journal proves what
was written; its request counters what a run costs.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model.firewall import KMS_RULE
from kmslab.model.keys import KeyKind
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SL_KEY, SPP_KEY
from kmslab.presets import BRANCH, CORP

TASK = "Task"
SEVEN_R2 = "Windows 7 / Windows Server 2008 R2 (SoftwareLicensingService 6.1.7601.17514)"
VISTA_2008 = "Windows Vista / Windows Server 2008 (SoftwareLicensingService 6.0.6002.18005)"
FIRST_SEVEN = "Windows 7 / Windows Server 2008 R2 (SoftwareLicensingService 6.1, build 7600)"
FIRST_EIGHT = "Windows 8 / Windows Server 2012 (SoftwareLicensingService 6.2, build 9200)"
# Published GVLKs (reference/gvlk.csv), chosen from EditionID and build.
GVLK = {
    "win7-pro": "FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4",
    "win7-enterprise": "33PXH-7Y6KF-2VJC9-XBBR8-HVTHH",
    "ws2008r2-enterprise": "489J6-VHDMP-X63PK-3K798-CPX3Y",
    "vista-business": "YFKBB-PQJJV-G996G-VWGXY-2V3X8",
    "ws2008-standard": "TM24T-X9RMF-VWXK6-X8JC9-BFGM2",
}
CLIENTS = (
    ("pc7", "win7-pro", KeyKind.MAK),
    ("pc7e", "win7-enterprise", KeyKind.RETAIL),
    ("srv7", "ws2008r2-enterprise", KeyKind.MAK),
    ("vista", "vista-business", KeyKind.MAK),
    ("srv8", "ws2008-standard", KeyKind.MAK),
    ("refused7", "win7-pro", KeyKind.MAK),
    ("refusedv", "vista-business", KeyKind.MAK),
)
IMAGES = {name: image for name, image, _kind in CLIENTS}
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms7r2", "ws2008r2-standard", CORP, role="kms_host"),
        MachineShape("fresh7r2", "ws2008r2-standard", CORP, role="kms_host"),
        MachineShape("kms7", "win7-enterprise", CORP, role="kms_host"),
        MachineShape("kms8", "ws2008-standard", CORP, role="kms_host", updates=("KB968912",)),
        MachineShape("host7r2", "ws2008r2-datacenter", CORP, role="kms_host"),
        *(MachineShape(name, image, CORP, initial_key=kind) for name, image, kind in CLIENTS),
    ),
    zones=(CORP, BRANCH),
    host_key_group="ws2008r2-c",
)
KMS7R2 = f"kms7r2.{CORP}"
HOST_KEYS = {
    "kms7r2": ("ws2008r2-c", 1),
    "fresh7r2": ("ws2008r2-c", 2),
    "kms8": ("ws2008r2-c", 3),
    "host7r2": ("ws2008r2-c", 4),
    "kms7": ("win7", 1),
}


def playbook(hosts: str, module: str, options: dict[str, Any]) -> str:
    task = {"name": TASK, f"volact.kms.{module}": options}
    return yaml.safe_dump([{"hosts": hosts, "gather_facts": False, "tasks": [task]}])


def run(lab, run_playbook, hosts: str, module: str, **options: Any):
    kwargs = {k: options.pop(k) for k in ("check", "diff", "extra_vars") if k in options}
    return run_playbook(lab, playbook(hosts, module, options), **kwargs)


def host_key(lab, name: str) -> str:
    group, serial = HOST_KEYS[name]
    return lab.call(lambda: lab.fleet.keys.csvlk(group, serial).key)


def host_task(lab, run_playbook, name: str, **options: Any):
    """kms_host_key on ``name`` with its own host key (an extra var, never on the command line
    of a verbose run)."""
    extra = {"host_key": host_key(lab, name)}
    return run(
        lab, run_playbook, name, "kms_host_key", key="{{ host_key }}", extra_vars=extra, **options
    )


def methods(lab, name: str) -> list[str]:
    return [w.method for w in lab.writes(name)]


def open_kms_port(lab, name: str) -> None:
    """What the refused ``firewall`` option tells the administrator to do on Windows 7 / 2008 R2
    and older: open TCP 1688 on the host themselves (here, in the lab's model)."""

    def enable() -> None:
        lab.machine(name).firewall.rule(KMS_RULE).enabled = True

    lab.call(enable)


# kms_host_key ------------------------------------------------------------------------------------


def test_a_server_2008_r2_host_converges_with_its_settings(lab, run_playbook) -> None:
    settings = {"activation_interval": 60, "low_priority": True, "host_caching": False}
    checked = host_task(lab, run_playbook, "fresh7r2", check=True, diff=True, **settings)
    assert checked.rc == 0, checked.output
    result = checked.result("fresh7r2", TASK)
    assert result["changed"] is True
    assert result["diff"]["after"]["host_key"].endswith(host_key(lab, "fresh7r2")[-5:])
    assert result["diff"]["after"]["activation_interval"] == 60
    assert methods(lab, "fresh7r2") == []  # check mode writes nothing

    first = host_task(lab, run_playbook, "fresh7r2", **settings)
    assert first.rc == 0, first.output
    result = first.result("fresh7r2", TASK)
    facts = result["kms_host"]
    assert facts["is_kms_host"] is True
    assert facts["version"] == "6.1.7601.17514"
    assert facts["license_status_name"] == "Licensed"
    # No ProductKeyChannel on Windows 7 / 2008 R2: the channel is Description's token.
    assert facts["channel"].endswith("VOLUME_KMS_R2_C channel")
    assert (facts["activation_interval"], facts["low_priority"], facts["host_caching"]) == (
        60,
        True,
        False,
    )
    written = methods(lab, "fresh7r2")
    assert written[:4] == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        "SetStringValue",
        "Activate",
    ]
    assert "EnableKeyManagementServiceLowPriority" in written
    assert "DisableKeyManagementServiceHostCaching" in written
    assert written[-2:] == ["StopService", "StartService"]  # sppsvc on 2008 R2
    version = lab.call(
        lambda: lab.machine("fresh7r2").registry.get(
            HKEY_LOCAL_MACHINE, SPP_KEY, "KeyManagementServiceVersion"
        )
    )
    assert version is not None
    assert version.data == "6.1.7601.17514"

    count = len(lab.writes("fresh7r2"))
    again = host_task(lab, run_playbook, "fresh7r2", **settings)
    assert again.rc == 0, again.output
    result = again.result("fresh7r2", TASK)
    assert result["changed"] is False
    assert result["wsman"]["requests"] == 2  # the converged cost of every version
    assert len(lab.writes("fresh7r2")) == count
    checked = host_task(lab, run_playbook, "fresh7r2", check=True, diff=True, **settings)
    assert checked.result("fresh7r2", TASK)["changed"] is False
    assert len(lab.writes("fresh7r2")) == count


def checked_host(lab, run_playbook, name: str, *, changed: bool, **options: Any) -> dict:
    """kms_host_key in check and diff mode: ``changed`` as given, nothing written."""
    writes = len(lab.writes(name))
    checked = host_task(lab, run_playbook, name, check=True, diff=True, **options)
    assert checked.rc == 0, checked.output
    result = checked.result(name, TASK)
    assert result["changed"] is changed
    assert len(lab.writes(name)) == writes
    return result


def test_a_windows_7_host_takes_its_client_host_key(lab, run_playbook) -> None:
    planned = checked_host(lab, run_playbook, "kms7", changed=True, renewal_interval=1440)
    assert planned["diff"]["after"]["host_key"].endswith(host_key(lab, "kms7")[-5:])
    first = host_task(lab, run_playbook, "kms7", renewal_interval=1440)
    assert first.rc == 0, first.output
    facts = first.result("kms7", TASK)["kms_host"]
    assert facts["is_kms_host"] is True
    assert facts["channel"].endswith("VOLUME_KMS_W7 channel")
    assert facts["renewal_interval"] == 1440
    again = host_task(lab, run_playbook, "kms7", renewal_interval=1440)
    result = again.result("kms7", TASK)
    assert (result["changed"], result["wsman"]["requests"]) == (False, 2)
    checked_host(lab, run_playbook, "kms7", changed=False, renewal_interval=1440)


def test_a_server_2008_host_with_kb968912_converges(lab, run_playbook) -> None:
    planned = checked_host(lab, run_playbook, "kms8", changed=True, renewal_interval=1440)
    assert planned["diff"]["after"]["renewal_interval"] == 1440
    first = host_task(lab, run_playbook, "kms8", renewal_interval=1440)
    assert first.rc == 0, first.output
    result = first.result("kms8", TASK)
    assert result["kms_host"]["is_kms_host"] is True
    # The Software Licensing service of Vista / 2008 is slsvc.
    assert "restart the Software Licensing service (slsvc)" in result["changes"]
    again = host_task(lab, run_playbook, "kms8", renewal_interval=1440)
    assert again.result("kms8", TASK)["changed"] is False
    checked_host(lab, run_playbook, "kms8", changed=False, renewal_interval=1440)


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [
        ("listening_port", 1690, "KMS listening port method"),
        ("dns_publishing", False, "DNS publishing method"),
        ("low_priority", True, "KMS priority method"),
        ("host_caching", False, "KMS host caching setting"),
    ],
)
def test_host_settings_server_2008_lacks_fail_before_any_write(
    lab, run_playbook, option: str, value: Any, what: str
) -> None:
    before = len(lab.writes("kms8"))
    done = host_task(lab, run_playbook, "kms8", **{option: value})
    assert done.rc != 0
    result = done.result("kms8", TASK)
    assert result["msg"].startswith(
        f"{option}: this machine runs {VISTA_2008}, which has no {what}"
    )
    assert f"the first version that has it is {FIRST_SEVEN}." in result["msg"]
    assert result["wsman"]["requests"] == 2
    assert len(lab.writes("kms8")) == before


@pytest.mark.parametrize("check", [False, True])
@pytest.mark.parametrize("host", ["host7r2", "kms8"])
def test_the_firewall_option_fails_before_any_write_with_what_to_do(
    lab, run_playbook, host: str, check: bool
) -> None:
    before = len(lab.writes(host))
    done = host_task(lab, run_playbook, host, firewall=True, check=check)
    assert done.rc != 0
    result = done.result(host, TASK)
    machine = SEVEN_R2 if host == "host7r2" else VISTA_2008
    assert result["msg"].startswith(
        f"firewall: this machine runs {machine}, which has no MSFT_NetFirewallRule"
    )
    assert f"the first version that has it is {FIRST_EIGHT}." in result["msg"]
    assert "open TCP 1688" in result["msg"]
    # The two SPP reads; MSFT_NetFirewallRule, a class these versions lack, is never asked.
    assert result["wsman"]["requests"] == 2
    assert len(lab.writes(host)) == before
    calls = lab.call(lambda: dict(lab.machine(host).journal.calls))
    assert not [call for call in calls if "NetFirewallRule" in call]


# kms_client_setup_key ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serving(lab, run_playbook):
    """kms7r2 a serving KMS host (Server 2008 R2, Server Group C: every 2009 group and Vista /
    2008), its TCP 1688 opened by hand as the refused firewall option says."""
    done = host_task(lab, run_playbook, "kms7r2")
    assert done.rc == 0, done.output
    open_kms_port(lab, "kms7r2")
    return KMS7R2


@pytest.mark.parametrize(
    ("names", "port", "converged"),
    [
        (("pc7", "pc7e", "srv7"), 1688, 3),  # + the pinned port's registry value (no property)
        (("vista", "srv8"), None, 2),  # no client port at all on Vista / 2008
    ],
)
def test_clients_get_their_gvlk_and_host_then_converge(
    lab, run_playbook, serving, *, names, port, converged
) -> None:
    hosts = ",".join(names)
    options: dict[str, Any] = {"kms_host": serving}
    if port is not None:
        options["kms_port"] = port
    checked = run(
        lab, run_playbook, hosts, "kms_client_setup_key", check=True, diff=True, **options
    )
    assert checked.rc == 0, checked.output
    for name in names:
        result = checked.result(name, TASK)
        assert result["changed"] is True
        assert result["diff"]["after"]["windows"]["key"].endswith(GVLK[IMAGES[name]][-5:])
        assert result["diff"]["after"]["kms_host"] == serving
        assert result["activation"]["state"] == "would_activate"
        assert methods(lab, name) == []

    first = run(lab, run_playbook, hosts, "kms_client_setup_key", **options)
    assert first.rc == 0, first.output
    for name in names:
        result = first.result(name, TASK)
        facts = result["kms_client"]
        assert result["changed"] is True
        assert facts["gvlk"]["key"] == GVLK[IMAGES[name]]
        assert facts["product"]["partial_product_key"] == GVLK[IMAGES[name]][-5:]
        # The channel of old Windows: Description's token, as the host gave it.
        assert facts["product"]["channel"].endswith("VOLUME_KMSCLIENT channel")
        assert (facts["kms_host"], facts["kms_port"]) == (serving, port)
        # The host's count is still far below its thresholds: the normal state of a rollout.
        assert result["activation"]["state"] in ("below_threshold", "activated")
        written = methods(lab, name)
        assert written[:3] == [
            "InstallProductKey",
            "RefreshLicenseStatus",
            "SetKeyManagementServiceMachine",
        ]
        assert ("SetKeyManagementServicePort" in written) is (port is not None)
        assert written[-1] == "Activate"

    counts = {name: len(lab.writes(name)) for name in names}
    again = run(lab, run_playbook, hosts, "kms_client_setup_key", activate=False, **options)
    assert again.rc == 0, again.output
    for name in names:
        result = again.result(name, TASK)
        assert result["changed"] is False
        assert result["wsman"]["requests"] == converged
        assert len(lab.writes(name)) == counts[name]


@pytest.mark.parametrize(
    ("name", "options", "message", "first"),
    [
        (
            "refused7",
            {"lookup_domain": CORP},
            f"lookup_domain: this machine runs {SEVEN_R2}, which has no KMS lookup domain",
            FIRST_EIGHT,
        ),
        (
            "refusedv",
            {"lookup_domain": CORP},
            f"lookup_domain: this machine runs {VISTA_2008}, which has no KMS lookup domain",
            FIRST_EIGHT,
        ),
        (
            "refusedv",
            {"kms_host": KMS7R2, "kms_port": 1688},
            f"kms_port: this machine runs {VISTA_2008}, which has no client-side KMS port",
            FIRST_SEVEN,
        ),
        (
            "refusedv",
            {"host_caching": False},
            f"host_caching: this machine runs {VISTA_2008}, which has no KMS host caching",
            FIRST_SEVEN,
        ),
    ],
)
@pytest.mark.parametrize("check", [False, True])
def test_client_options_a_version_lacks_fail_before_any_write(
    lab, run_playbook, *, name, options, message, first, check
) -> None:
    done = run(lab, run_playbook, name, "kms_client_setup_key", check=check, **options)
    assert done.rc != 0
    result = done.result(name, TASK)
    assert result["msg"].startswith(message), result["msg"]
    assert f"the first version that has it is {first}." in result["msg"]
    assert result["wsman"]["requests"] == 1  # the service read that told the version
    assert methods(lab, name) == []


# kms_activation_info and kms_publish_list --------------------------------------------------------


def test_activation_info_reads_every_old_version(lab, run_playbook, serving) -> None:
    names = ("kms7r2", "refused7", "refusedv")
    before = {name: len(lab.writes(name)) for name in names}
    done = run(lab, run_playbook, ",".join(names), "kms_activation_info", events=False)
    assert done.rc == 0, done.output
    host = done.result("kms7r2", TASK)["kms_activation"]
    assert host["spp_version"] == "6.1.7601.17514"
    assert host["is_kms_host"] is True
    assert host["kms_host"]["required_count"] == 25
    seven = done.result("refused7", TASK)["kms_activation"]
    assert seven["windows"]["channel"] is None  # no ProductKeyChannel on Windows 7
    assert seven["windows"]["channel_kind"] == "mak"
    assert seven["kms_client"]["lookup_domain"] is None
    vista = done.result("refusedv", TASK)["kms_activation"]
    assert vista["spp_version"] == "6.0.6002.18005"
    assert vista["windows"]["channel_kind"] == "mak"
    assert vista["windows"]["current_count"] is None  # no KMS properties on Vista's products
    assert vista["registry"]["path"].endswith(r"\CurrentVersion\SL")
    assert {name: len(lab.writes(name)) for name in names} == before


def test_the_publish_list_of_a_server_2008_r2_host_converges(lab, run_playbook, serving) -> None:
    domains = [{"name": BRANCH, "priority": 10, "weight": 50}]
    checked = run(lab, run_playbook, "kms7r2", "kms_publish_list", domains=domains, check=True)
    assert checked.result("kms7r2", TASK)["changed"] is True
    before = len(lab.writes("kms7r2"))
    first = run(lab, run_playbook, "kms7r2", "kms_publish_list", domains=domains)
    assert first.rc == 0, first.output
    result = first.result("kms7r2", TASK)
    assert result["changed"] is True
    assert result["restarted"] is True
    assert methods(lab, "kms7r2")[before:] == ["SetMultiStringValue", "StopService", "StartService"]
    again = run(lab, run_playbook, "kms7r2", "kms_publish_list", domains=domains)
    result = again.result("kms7r2", TASK)
    assert (result["changed"], result["wsman"]["requests"]) == (False, 1)


def test_the_publish_list_of_a_server_2008_host_converges_under_sl(lab, run_playbook) -> None:
    domains = [{"name": BRANCH}]  # no priority or weight: Server 2008 has none
    before = len(lab.writes("srv8"))
    checked = run(
        lab, run_playbook, "srv8", "kms_publish_list", domains=domains, check=True, diff=True
    )
    assert checked.rc == 0, checked.output
    result = checked.result("srv8", TASK)
    assert result["changed"] is True
    assert BRANCH in str(result["diff"]["after"])
    assert len(lab.writes("srv8")) == before
    first = run(lab, run_playbook, "srv8", "kms_publish_list", domains=domains)
    assert first.rc == 0, first.output
    written = lab.call(
        lambda: lab.machine("srv8").registry.get(HKEY_LOCAL_MACHINE, SL_KEY, "DnsDomainPublishList")
    )
    assert written is not None
    assert list(written.data) == [BRANCH]
    again = run(lab, run_playbook, "srv8", "kms_publish_list", domains=domains)
    assert again.result("srv8", TASK)["changed"] is False
    rechecked = run(lab, run_playbook, "srv8", "kms_publish_list", domains=domains, check=True)
    assert rechecked.result("srv8", TASK)["changed"] is False


def test_priority_and_weight_on_server_2008_fail_before_any_write(lab, run_playbook) -> None:
    domains = [{"name": BRANCH, "priority": 10, "weight": 50}]
    before = len(lab.writes("kms8"))
    done = run(lab, run_playbook, "kms8", "kms_publish_list", domains=domains)
    assert done.rc != 0
    message = done.result("kms8", TASK)["msg"]
    assert message.startswith(f"domains[0] ({BRANCH}): this machine runs {VISTA_2008}")
    assert FIRST_SEVEN in message
    assert len(lab.writes("kms8")) == before
