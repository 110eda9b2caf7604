"""kms_publish_list and the kms_publish role where Windows is unconfirmed (issue 13).

Two lab variants decide what a KMS host answers here, and the collection must pass under each
value (ARCHITECTURE.md, "Truth over agreement"):

* ``registry_missing_value`` (older-windows-office-adba.md §6): StdRegProv answers 1 or 2 for a
  value missing from an existing key. A fresh KMS host has neither DnsDomainPublishList nor
  DisableDnsPublishing (kms-facts §2.2), so both reads meet a missing value.
* ``home_domain_record`` (kms-facts §2.3): a host that lists its own domain publishes only the
  listed record there (``replaced``) or the automatic 0/0 record beside it (``kept``).

Two labs cover the four values, each variant's values once: the defaults, then both other values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.machine import Machine
from kmslab.model.registry import HKEY_LOCAL_MACHINE, SPP_KEY
from kmslab.presets import BRANCH, CORP
from kmslab.variants import Variants

FQDN = f"kms1.{CORP}"
TARGET = f"{FQDN}."
FIELD, DISABLE = "DnsDomainPublishList", "DisableDnsPublishing"
SHAPE = LabShape(
    machines=(MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),),
    zones=(CORP, BRANCH),
)
CASES = [
    pytest.param(
        {"registry_missing_value": "1", "home_domain_record": "replaced"}, id="1-replaced"
    ),
    pytest.param({"registry_missing_value": "2", "home_domain_record": "kept"}, id="2-kept"),
]


@pytest.fixture(scope="module", params=CASES)
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """This module's own lab per case, built as conftest's ``lab`` builds one."""
    with Lab(SHAPE, http_port=0, https_port=0, variants=Variants(request.param)) as running:
        machine = running.machine("kms1")
        assert running.call(admin.setup_kms_host, machine, running.host_key) == 0
        yield running


def values(lab: Lab) -> dict[str, Any]:
    def read(machine: Machine) -> dict[str, Any]:
        found = {}
        for name in (FIELD, DISABLE):
            value = machine.registry.get(HKEY_LOCAL_MACHINE, SPP_KEY, name)
            found[name] = None if value is None else value.data
        return found

    return lab.call(read, lab.machine("kms1"))


def make_fresh(lab: Lab) -> None:
    """What a new KMS host holds: neither value (the real default); sppsvc has read that."""

    def apply(machine: Machine) -> None:
        machine.registry.drop(SPP_KEY, FIELD)
        machine.registry.drop(SPP_KEY, DISABLE)
        admin.restart_sppsvc(machine)

    lab.call(apply, lab.machine("kms1"))


def where(lab: Lab) -> str:
    return f"under {dict(lab.variants.differs()) or 'the defaults'}"


def srv(lab: Lab, domain: str) -> list[tuple[int, int, int, str]]:
    return sorted((r.priority, r.weight, r.port, r.target) for r in lab.bind.query_srv(domain))


def publish_play(options: dict[str, Any], **keywords: Any) -> str:
    task = {"name": "publish", "volact.kms.kms_publish_list": options, **keywords}
    return yaml.safe_dump([{"hosts": "kms1", "gather_facts": False, "tasks": [task]}])


def test_a_fresh_host_converges_reruns_clean_and_check_mode_writes_nothing(lab, run_playbook):
    assert values(lab) == {FIELD: None, DISABLE: None}  # as setup_kms_host left it
    make_fresh(lab)
    options = {
        "domains": [{"name": BRANCH, "priority": 10, "weight": 30}],
        "disable_publishing": False,
    }
    writes = len(lab.writes("kms1"))

    checked = run_playbook(lab, publish_play(options), check=True, diff=True)
    assert checked.rc == 0, f"{where(lab)}:\n{checked.output[-3000:]}"
    out = checked.result("kms1", "publish")
    assert out["changed"] is True, where(lab)
    assert out["publish_list"]["before_raw"] is None
    assert out["disable_publishing"] == {"before": False, "after": False}
    assert len(lab.writes("kms1")) == writes, where(lab)  # check mode wrote nothing

    first = run_playbook(lab, publish_play(options))
    assert first.rc == 0, f"{where(lab)}:\n{first.output[-3000:]}"
    out = first.result("kms1", "publish")
    assert out["changed"] is True
    assert out["restarted"] is True
    assert values(lab) == {FIELD: ("branch.lab.test, 10, 30",), DISABLE: None}, where(lab)
    assert srv(lab, BRANCH) == [(10, 30, 1688, TARGET)]

    writes = len(lab.writes("kms1"))
    again = run_playbook(lab, publish_play(options))
    again_checked = run_playbook(lab, publish_play(options, check_mode=True), diff=True)
    for run in (again, again_checked):
        assert run.rc == 0, f"{where(lab)}:\n{run.output[-3000:]}"
        assert run.result("kms1", "publish")["changed"] is False, where(lab)
    assert len(lab.writes("kms1")) == writes, where(lab)


ROLE_PLAY = yaml.safe_dump(
    [{"hosts": "kms1", "gather_facts": False, "roles": [{"role": "volact.kms.kms_publish"}]}]
)


def role_vars(lab: Lab, domains: list[dict[str, Any]]) -> dict[str, Any]:
    """As inventory would hold them (the role reads every play host's from hostvars), so as
    extra vars here, not play vars."""
    return {
        "kms_publish_fqdn": "{{ kmslab_fqdn }}",
        "kms_publish_home_domain": "{{ kmslab_domain }}",
        "kms_publish_domains": domains,
        "kms_publish_dns_server": lab.bind.address,
        "kms_publish_dns_port": lab.bind.port,
    }


def run_role(lab: Lab, run_playbook, domains: list[dict[str, Any]]):
    return run_playbook(lab, ROLE_PLAY, extra_vars=role_vars(lab, domains))


CHECK = "Fail when a domain does not return what was published"
SET_LIST = "Set the domains this host publishes in, with priority and weight"


def role_task(run, name: str) -> tuple[str, dict[str, Any]]:
    """Status and result of the role's task ``name`` (role tasks are named ``role : name``)."""
    found = [r for r in run.results if r["host"] == "kms1" and r["task"].endswith(f": {name}")]
    assert found, f"no result for {name!r}:\n{run.output[-3000:]}"
    return found[-1]["status"], found[-1]["result"]


HOME_LISTED = [
    {"name": CORP, "priority": 5, "weight": 60},
    {"name": BRANCH, "priority": 10, "weight": 30},
]


def test_the_role_accepts_either_form_of_a_listed_home_domain(lab, run_playbook):
    first = run_role(lab, run_playbook, HOME_LISTED)
    assert first.rc == 0, f"{where(lab)}:\n{first.output[-4000:]}"
    assert role_task(first, CHECK)[0] == "ok", where(lab)
    kept = lab.variants["home_domain_record"] == "kept"
    home = [(0, 0, 1688, TARGET)] if kept else []
    assert srv(lab, CORP) == [*home, (5, 60, 1688, TARGET)], where(lab)
    assert srv(lab, BRANCH) == [(10, 30, 1688, TARGET)]
    # The module says the same: the listed record, and the 0/0 one that may or may not be there.
    records = role_task(first, SET_LIST)[1]
    assert records["srv_records"][:2] == [
        {"domain": CORP, "target": FQDN, "port": 1688, "priority": 5, "weight": 60},
        {
            "domain": CORP,
            "target": FQDN,
            "port": 1688,
            "priority": 0,
            "weight": 0,
            "optional": True,
        },
    ]

    writes = len(lab.writes("kms1"))
    again = run_role(lab, run_playbook, HOME_LISTED)
    assert again.rc == 0, f"{where(lab)}:\n{again.output[-4000:]}"
    assert role_task(again, CHECK)[0] == "ok"
    assert not [r for r in again.results if r["result"].get("changed")], where(lab)
    assert len(lab.writes("kms1")) == writes


def test_the_role_check_fails_when_the_listed_home_record_is_missing(lab, run_playbook):
    converged = run_role(lab, run_playbook, HOME_LISTED)
    assert converged.rc == 0, converged.output[-4000:]
    # Lose the host's records in its home domain behind Ansible's back (nothing to republish).
    assert lab.bind.remove_srv(CORP, FQDN) == "NOERROR"
    failed = run_role(lab, run_playbook, HOME_LISTED)
    assert failed.rc != 0, where(lab)
    status, result = role_task(failed, CHECK)
    assert status == "failed"
    message = result["msg"]
    assert f"_vlmcs._tcp.{CORP}: missing 5 60 1688 {TARGET}" in message, message
    assert "0 0 1688" not in message  # the optional record is never required
    lab.call(admin.restart_sppsvc, lab.machine("kms1"))  # the host republishes
    assert (5, 60, 1688, TARGET) in srv(lab, CORP)
