"""kms_adba_object never shows the CSVLK nor a directory password (issue 16).

Create, converge and remove an activation object against the lab's Samba forest with ``--diff``,
``-vvvv``, the module arguments injected into every result, ``ANSIBLE_LOG_PATH``, the wire log
(``VOLACT_KMS_WIRE_LOG``) and a failing task (a wrong password). The key, the Administrator's
password and the WinRM password must appear in none of: the output, the log, the wire log and the
task results; the key's last group may (it is what Windows itself shows).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab
from kmslab.presets import adba
from kmslab.samba import missing_tools

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
    pytest.mark.reliability("secrets"),
]


@pytest.fixture(scope="module", autouse=True)
def samba_installed() -> None:
    """Samba missing is a broken setup, not a reason to skip: the test profile installs it."""
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(adba(), http_port=0, https_port=0) as running:
        yield running


def tasks(lab: Lab) -> str:
    ad = yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())
    ldap = {
        "ldap_server": ad["kmslab_ad_server"],
        "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
        "ldap_port": ad["kmslab_ad_ldaps_port"],
        "ldap_ca_path": ad["kmslab_ad_ca"],
        "ldap_auth": "simple",
        "ldap_user": ad["kmslab_ad_admin"],
        "ldap_password": "{{ kmslab_ad_admin_password }}",
    }
    module = "volact.kms.kms_adba_object"
    present = {module: {**ldap, "name": "Secret test", "product_key": "{{ kms_host_key }}"}}
    absent = {module: {**ldap, "name": "Secret test", "state": "absent"}}
    wrong = {module: {**ldap, "name": "x", "state": "absent", "ldap_password": "{{ bad }}"}}
    named = [
        {"name": f"t{n}", "ignore_errors": True, **task}
        for n, task in enumerate([present, present, absent, wrong])
    ]
    return yaml.safe_dump([{"hosts": "adm1", "gather_facts": False, "tasks": named}])


def test_no_secret_with_vvvv_diff_logs_and_results(lab: Lab, run_playbook, tmp_path: Path):
    log, wire = tmp_path / "ansible.log", tmp_path / "wire"
    ad_file = lab.state_dir / "active-directory.yml"
    env = {
        "ANSIBLE_LOG_PATH": str(log),
        "ANSIBLE_INJECT_INVOCATION": "1",
        "VOLACT_KMS_WIRE_LOG": str(wire),
    }
    # In vars files, as a vault would hold them: -vvvv prints -e values given inline.
    bad = tmp_path / "bad.yml"
    bad.write_text("bad: Wrong-Password-9\n")
    args = ["-e", f"@{lab.state_dir / 'secrets.yml'}", "-e", f"@{ad_file}", "-e", f"@{bad}"]
    run = run_playbook(
        lab,
        tasks(lab),
        diff=True,
        verbosity=4,
        env=env,
        extra_args=args,
    )
    results = [run.result("adm1", f"t{n}") for n in range(4)]
    assert [r["changed"] for r in results[:3]] == [True, False, True], run.output[-3000:]
    assert run.status("adm1", "t3") == "failed"
    assert lab.host_key[-5:] in json.dumps(results[0]["object"])
    ad: dict[str, Any] = yaml.safe_load(ad_file.read_text())
    secrets = {
        "CSVLK": lab.host_key,
        "CSVLK without dashes": lab.host_key.replace("-", ""),
        "directory password": ad["kmslab_ad_admin_password"],
        "wrong password": "Wrong-Password-9",
        "WinRM password": lab.password,
    }
    places = {"output": run.output, "results": json.dumps(run.results)}
    for path in [log, *sorted(wire.rglob("*"))] if wire.exists() else [log]:
        if path.is_file():
            places[path.name] = path.read_text(errors="replace")
    assert "ansible.log" in places
    assert len(places) > 3, sorted(places)  # the wire log of the online activation too
    found = [
        f"{name} in {place}"
        for name, secret in secrets.items()
        for place, text in places.items()
        if secret in text or secret[:17] in text
    ]
    assert found == []
