"""No secret anywhere users commonly look: the whole site.yml with static DNS publishing.

``playbooks/site.yml`` on a small demo fleet, with the kms_publish role in static mode (the TSIG
secret is used by kms_srv_record from the controller), ``--diff``, ``-vvvv``, ``ANSIBLE_LOG_PATH``
and the callbacks ansible-core ships that users turn on: ``ansible.builtin.tree``,
``ansible.builtin.junit``, and ``minimal`` then ``oneline`` as the stdout callback. The host key
(CSVLK), the TSIG secret and the WinRM password must appear in none of: the output, the log file,
the tree and junit files, and the task results (returned facts).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from kmslab.presets import demo

pytestmark = pytest.mark.reliability("secrets")

ROOT = Path(__file__).resolve().parents[2]
# kms1 and kms2 in corp, four clients in branch; the hosts get the Office 2016 host key too
# (kms_host_office_keys, looped over by the kms_host role).
LAB_SHAPE = replace(demo(clients=4), office_host_keys=("office2016",))
SITE = f"- ansible.builtin.import_playbook: {ROOT / 'playbooks' / 'site.yml'}\n"
STATIC = {
    "kms_publish_mode": "static",
    "kms_publish_tsig_key_name": "{{ kmslab_tsig_key_name }}",
    "kms_publish_tsig_secret": "{{ kmslab_tsig_secret }}",
}


def site(lab, run_playbook, tmp: Path, stdout_callback: str):
    tmp.mkdir()
    env = {
        "ANSIBLE_STDOUT_CALLBACK": stdout_callback,
        "ANSIBLE_CALLBACKS_ENABLED": "results,ansible.builtin.tree,ansible.builtin.junit",
        "ANSIBLE_CALLBACK_TREE_DIR": str(tmp / "tree"),
        "JUNIT_OUTPUT_DIR": str(tmp / "junit"),
        "ANSIBLE_LOG_PATH": str(tmp / "ansible.log"),
        # The module arguments in every result, as ansible-core before 2.21 always put them
        # (INJECT_INVOCATION is off by default since): -vvvv shows them, masked.
        "ANSIBLE_INJECT_INVOCATION": "1",
    }
    args = [
        "-i",
        str(ROOT / "playbooks" / "demo" / "inventory"),
        "-e",
        f"@{lab.state_dir / 'secrets.yml'}",
        "--forks",
        "10",
    ]
    return run_playbook(
        lab,
        SITE,
        transport="ntlm",
        diff=True,
        verbosity=4,
        extra_vars=STATIC,
        env=env,
        extra_args=args,
    )


def artifacts(run, tmp: Path) -> dict[str, str]:
    """Every place a secret could end up, by name."""
    found = {"stdout and stderr": run.output, "task results": json.dumps(run.results)}
    for path in sorted(tmp.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(tmp))] = path.read_text(errors="replace")
    return found


def secrets(lab) -> dict[str, str]:
    return {
        "host key": lab.host_key,
        "Office host key": lab.call(lambda: lab.fleet.keys.csvlk("office2016").key),
        "TSIG secret": lab.bind.key_secret,
        "WinRM password": lab.password,
    }


def leaks(lab, places: dict[str, str]) -> list[str]:
    found = []
    for secret_name, secret in secrets(lab).items():
        # The whole value, and its start: a partial mask would still give the secret away.
        probes = {secret, secret[:17]} if len(secret) > 17 else {secret}
        for place, text in places.items():
            found += [f"{secret_name} in {place}" for probe in probes if probe in text]
    return found


@pytest.mark.parametrize("stdout_callback", ["minimal", "oneline"])
def test_no_secret_in_output_logs_callback_files_or_results(
    lab, run_playbook, tmp_path, record_property, stdout_callback
):
    run = site(lab, run_playbook, tmp_path / stdout_callback, stdout_callback)
    assert run.rc == 0, run.output[-5000:]
    places = artifacts(run, tmp_path / stdout_callback)
    # Every callback wrote where it should: per-host tree files, a junit report, the log.
    assert any(name.startswith("tree/") for name in places), sorted(places)
    assert any(name.startswith("junit/") for name in places), sorted(places)
    assert "ansible.log" in places
    # The secrets were in play: static publishing wrote branch's records with the TSIG key ...
    branch = sorted((r.priority, r.weight, r.target) for r in lab.bind.query_srv("branch.lab.test"))
    assert branch == [(10, 30, "kms1.corp.lab.test."), (20, 70, "kms2.corp.lab.test.")]
    written = [
        item
        for record in run.results
        for item in record["result"].get("results", [record["result"]])
        if isinstance(item, dict) and str(item.get("owner", "")).startswith("_vlmcs")
    ]
    assert written, "kms_srv_record did not run from the controller"
    office = [
        item
        for record in run.results
        for item in record["result"].get("results", [record["result"]])
        if isinstance(item, dict) and (item.get("office_host") or {}).get("release") == 2016
    ]
    assert len(office) == 2, "the kms_host role did not install the Office host key on both hosts"
    # ... and -vvvv printed the module arguments (the key's name is there, not its secret).
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output
    assert lab.bind.key_name.rstrip(".") in run.output
    found = leaks(lab, places)
    record_property("places_searched", len(places))
    record_property("secrets_searched", len(secrets(lab)))
    record_property("secrets_found", len(found))
    assert found == []
