"""kms_activation_info through real ansible-playbook against the small lab.

The states are arranged once, through the lab's admin helpers: kms1 a KMS host with a publish list
(one domain outside the lab's zones, so its publishing fails with 12293), srv001 a KMS client
pinned to kms1 and activated once four more servers have asked (count 5), pc001 (French) a KMS
client that kms1 refuses below threshold and with the port value written as REG_DWORD, pc002 a MAK
client in grace with a garbage DnsDomainPublishList. The lab clock is set to the controller's
clock first (the module dates its event window and grace deadlines with it): kms1's first
publishing happens 40 days earlier, so a 30-day window leaves it out and a 60-day one takes it in.

Every test ends by checking that no machine was written to.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from kmslab.model import KeyKind, admin
from kmslab.model.registry import SPP_KEY, reg_dword, reg_multi_sz
from kmslab.presets import CORP

TASK = "Activation facts"
NAMES = ("kms1", "pc001", "pc002", "srv001")
PUBLISH_LIST = ["corp.lab.test, 0, 100", "nowhere.example, 10, 50"]
GARBAGE = ["corp.lab.test, 0, 100", "not a domain!, 5", "", "branch.lab.test, 70000"]
# Requests per machine: SoftwareLicensingService, SoftwareLicensingProduct, EnumValues, one Get per
# KMS value present, and on the KMS host one Win32_NTLogEvent query (one page).
WITH_EVENTS = {"kms1": 5, "pc001": 4, "pc002": 4, "srv001": 5}
WITHOUT_EVENTS = {"kms1": 4, "pc001": 4, "pc002": 4, "srv001": 5}


def play(**options: Any) -> str:
    args = json.dumps(options) if options else ""
    return f"""
- name: Licensing audit
  hosts: all
  gather_facts: false
  tasks:
    - name: {TASK}
      volact.kms.kms_activation_info: {args}
"""


def _arrange(lab) -> None:
    fleet = lab.fleet
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    fleet.clock.advance(now - dt.timedelta(days=40) - fleet.clock.now())
    kms1 = lab.machine("kms1")
    assert admin.setup_kms_host(kms1, lab.host_key, PUBLISH_LIST) == 0
    fleet.clock.advance(now - fleet.clock.now())
    fleet.republish()  # the 24-hourly re-registration: 12294 and 12293 again, today
    server_gvlk = fleet.keys.for_image(KeyKind.GVLK, "ws2019-standard").key
    for number in range(4):  # four more servers ask kms1, so the fifth (srv001) is activated
        extra = fleet.add(f"vm{number}", "ws2019-standard", domain=CORP, initial_key=KeyKind.MAK)
        admin.install_key(extra, server_gvlk)
        assert admin.activate_windows(extra) == 0xC004F038
    srv001 = lab.machine("srv001")
    admin.install_key(srv001, server_gvlk)
    admin.call_service(srv001, "SetKeyManagementServiceMachine", MachineName="kms1.corp.lab.test")
    admin.call_service(srv001, "SetKeyManagementServicePort", PortNumber=1688)
    assert admin.activate_windows(srv001) == 0
    pc001 = lab.machine("pc001")
    admin.install_key(pc001, fleet.keys.for_image(KeyKind.GVLK, "win11-pro").key)
    assert admin.activate_windows(pc001) == 0xC004F038  # 6 of the 25 a client OS needs
    pc001.registry.put(SPP_KEY, "KeyManagementServicePort", reg_dword(1688))
    pc002 = lab.machine("pc002")
    admin.install_key(pc002, fleet.keys.for_image(KeyKind.MAK, "win10-enterprise").key)
    pc002.registry.put(SPP_KEY, "DnsDomainPublishList", reg_multi_sz(GARBAGE))
    fleet.clock.advance(days=20)  # the two grace periods now end in 10 days
    for name in NAMES:
        lab.machine(name).journal.clear()


@pytest.fixture(scope="module")
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


def facts_of(run, name: str) -> dict[str, Any]:
    result = run.result(name, TASK)
    assert run.status(name, TASK) == "ok", result
    assert result["changed"] is False
    return result["kms_activation"]


def codes(facts: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((item["code"], item["severity"]) for item in facts["attention"])


def assert_nothing_written(lab) -> None:
    for name in NAMES:
        assert lab.writes(name) == [], name


def operations(lab) -> dict[str, dict[str, int]]:
    return {name: lab.requests(name) for name in NAMES}


def grown(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {op: after[op] - before.get(op, 0) for op in after if after[op] != before.get(op, 0)}


@pytest.fixture(scope="module")
def cache() -> dict[str, Any]:
    return {}


@pytest.fixture
def audit(arranged, run_playbook, cache):
    """One default run over the whole lab (made once, by whichever test asks first), and what
    each machine saw of it."""
    if "audit" not in cache:
        before = operations(arranged)
        run = run_playbook(arranged, play())
        assert run.rc == 0, run.output
        after = operations(arranged)
        cache["audit"] = run, {name: grown(before[name], after[name]) for name in NAMES}
    return cache["audit"]


def test_request_counts_are_exact_and_match_what_each_machine_saw(arranged, audit):
    run, seen = audit
    for name in NAMES:
        result = run.result(name, TASK)
        print(f"{name}: {result['wsman']['requests']} requests with events")
        assert result["wsman"]["requests"] == WITH_EVENTS[name], name
    assert seen["kms1"] == {"Enumerate": 3, "Invoke": 2}  # SLS, SLP, events; EnumValues, 1 Get
    assert seen["pc001"] == {"Enumerate": 2, "Invoke": 2}  # no events on a client
    assert seen["srv001"] == {"Enumerate": 2, "Invoke": 3}  # name and port pinned
    assert_nothing_written(arranged)


def test_kms_host_facts(audit):
    facts = facts_of(audit[0], "kms1")
    windows = facts["windows"]
    assert facts["is_kms_host"] is True
    assert facts["activated"] is True
    assert (windows["channel"], windows["channel_kind"]) == ("Volume:CSVLK", "csvlk")
    assert windows["license_status_name"] == "Licensed"
    assert windows["partial_product_key"] == windows["partial_product_key"].upper()
    assert len(windows["partial_product_key"]) == 5
    host = facts["kms_host"]
    count = (host["current_count"], host["required_count"], host["threshold_reached"])
    assert count == (6, 25, False)
    assert (host["listening_port"], host["dns_publishing"], host["low_priority"]) == (
        1688,
        True,
        False,
    )
    assert (host["activation_interval"], host["renewal_interval"]) == (120, 10080)
    assert host["requests"]["total"] == 6
    assert host["requests"]["failed"] == 0
    assert facts["registry"]["publish_list"] == {
        "present": True,
        "valid": True,
        "entries": [
            {"domain": "corp.lab.test", "priority": 0, "weight": 100},
            {"domain": "nowhere.example", "priority": 10, "weight": 50},
        ],
        "raw": PUBLISH_LIST,
        "problem": None,
    }
    events = facts["events"]
    assert events["queried"] is True
    assert events["days"] == 30
    assert events["count"] == 8  # today's 12294 and 12293, six 12290; not those of 40 days ago
    summary = events["summary"]
    assert summary["client_requests"]["count"] == 6
    assert summary["client_requests"]["results"] == {"0xC004F038": 5, "0x00000000": 1}
    assert summary["publish_failed"]["domains"] == ["nowhere.example"]
    assert summary["published"]["domains"] == ["corp.lab.test"]
    assert [e["event_id"] for e in events["records"]][:1] == [12290]  # newest first
    assert codes(facts) == [("kms_below_threshold", "warning"), ("kms_publish_failed", "error")]
    below = next(i for i in facts["attention"] if i["code"] == "kms_below_threshold")
    assert "counts 6 of the 25 machines needed: 19 more" in below["message"]
    assert below["hresult"]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    failed = next(i for i in facts["attention"] if i["code"] == "kms_publish_failed")
    assert failed["subject"] == "nowhere.example"


def test_client_activated_against_the_host(audit):
    facts = facts_of(audit[0], "srv001")
    windows = facts["windows"]
    assert facts["activated"] is True
    assert facts["is_kms_host"] is False
    assert facts["kms_host"] is None
    assert (windows["channel_kind"], windows["license_status_name"]) == ("gvlk", "Licensed")
    assert windows["partial_product_key"] == "J464C"
    assert 159 < windows["grace_days"] < 161  # 180-day KMS activation, 20 days in
    client = facts["kms_client"]
    assert (client["pinned_host"], client["pinned_port"]) == ("kms1.corp.lab.test", 1688)
    assert client["host_caching"] is True
    values = facts["registry"]["kms_values"]
    assert values["KeyManagementServiceName"]["data"] == "kms1.corp.lab.test"
    assert values["KeyManagementServicePort"] == {
        "present": True,
        "type": "REG_SZ",
        "documented_type": "REG_SZ",
        "data": "1688",
        "problem": None,
    }
    assert facts["events"]["queried"] is False
    assert facts["attention"] == []
    assert facts["needs_attention"] is False


def test_client_below_threshold_in_french(arranged, audit):
    facts = facts_of(audit[0], "pc001")
    calls = arranged.call(lambda: set(arranged.machine("pc001").journal.calls))
    assert not any("Win32_OperatingSystem" in call for call in calls)  # no Caption, ever
    windows = facts["windows"]
    assert facts["edition"] == "Professional"
    assert facts["build"] == 22631
    assert windows["license_status_name"] == "OOBGrace"
    assert windows["license_status_reason"] == "0xC004F038"
    assert windows["license_status_reason_explained"]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert windows["grace_days"] == 10.0
    assert facts["kms_client"]["discovered_host"] == "kms1.corp.lab.test"
    assert facts["kms_client"]["discovered_port"] == 1688
    port = facts["registry"]["kms_values"]["KeyManagementServicePort"]
    assert (port["type"], port["data"]) == ("REG_DWORD", 1688)  # read with its own getter
    assert port["problem"].startswith("is REG_DWORD, but Windows documents REG_SZ")
    assert codes(facts) == [
        ("grace_expiring", "error"),
        ("not_activated", "warning"),
        ("registry_value_invalid", "warning"),
    ]


def test_mak_client_in_grace_with_a_garbage_publish_list(audit):
    facts = facts_of(audit[0], "pc002")
    windows = facts["windows"]
    assert (windows["channel"], windows["license_status_name"]) == ("Volume:MAK", "OOBGrace")
    assert windows["license_status_reason"] is None
    assert windows["grace_minutes"] == 14400
    assert windows["grace_days"] == 10.0
    expires = dt.datetime.fromisoformat(windows["grace_expires"])
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(days=10))) < dt.timedelta(
        minutes=5
    )
    publish = facts["registry"]["publish_list"]
    assert (publish["valid"], publish["entries"], publish["raw"]) == (False, None, GARBAGE)
    assert publish["problem"].startswith('DnsDomainPublishList[1] ("not a domain!, 5")')
    assert codes(facts) == [
        ("grace_expiring", "error"),
        ("not_activated", "warning"),
        ("publish_list_invalid", "warning"),  # pc002 is no KMS host: nothing reads it
    ]


def stable(value: Any) -> Any:
    """The facts without what depends on the controller's clock at the moment of the run."""
    if isinstance(value, dict):
        drop = {"collected_at", "since", "grace_expires"}
        return {k: stable(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def test_check_mode_and_diff_return_the_same_and_write_nothing(arranged, audit, run_playbook):
    run = run_playbook(arranged, play(), check=True, diff=True)
    assert run.rc == 0, run.output
    for name in NAMES:
        result = run.result(name, TASK)
        assert result["changed"] is False
        assert "diff" not in result
        assert result["wsman"]["requests"] == WITH_EVENTS[name]
        assert stable(facts_of(run, name)) == stable(facts_of(audit[0], name)), name
    assert_nothing_written(arranged)


def test_without_events_and_with_a_wider_window(arranged, run_playbook):
    run = run_playbook(arranged, play(events=False))
    assert run.rc == 0, run.output
    for name in NAMES:
        print(f"{name}: {run.result(name, TASK)['wsman']['requests']} requests without events")
        assert run.result(name, TASK)["wsman"]["requests"] == WITHOUT_EVENTS[name], name
    assert facts_of(run, "kms1")["events"]["skipped_reason"] == "events=false"
    wide = run_playbook(arranged, play(event_days=60, event_limit=3), limit="kms1")
    events = facts_of(wide, "kms1")["events"]
    assert (events["count"], events["truncated"], len(events["records"])) == (10, True, 3)
    assert events["summary"]["published"]["count"] == 2
    assert_nothing_written(arranged)


def test_bad_options_fail_before_anything_is_sent(arranged, run_playbook):
    before = operations(arranged)
    run = run_playbook(arranged, play(event_days=0), limit="pc001")
    assert run.status("pc001", TASK) == "failed"
    assert "event_days: 0 is not a whole number from 1 to 3650" in run.result("pc001", TASK)["msg"]
    assert operations(arranged) == before
    assert_nothing_written(arranged)


@pytest.mark.reliability("secrets")
def test_verbose_output_leaks_no_secret_and_no_full_key(arranged, run_playbook):
    run = run_playbook(arranged, play(), verbosity=4)
    assert run.rc == 0, run.output
    keys = arranged.fleet.keys
    secrets = {
        arranged.password,
        arranged.host_key,
        keys.for_image(KeyKind.MAK, "win10-enterprise").key,
        keys.for_image(KeyKind.GVLK, "win11-pro").key,
        keys.for_image(KeyKind.GVLK, "ws2019-standard").key,
    }
    text = run.output + json.dumps(run.results)
    for secret in secrets:
        assert secret not in text
    assert_nothing_written(arranged)
