"""The benchmark's smoke run: ``benchmarks/run.py --smoke`` end to end on a 4-machine lab.

No timing thresholds: the figures depend on the machine. The test checks that every scenario is
in the JSON with numbers that make sense together (a converged task costs at least the one
request of the floor, the module's own count agrees with the lab's, the floor never contacts a
host, the site runs cost more than their floor, ...), and that the page was written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.release import __version__ as ansible_version

ROOT = Path(__file__).resolve().parents[2]
MODULES = {"kms_host_key", "kms_publish_list", "kms_client_setup_key"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("BENCH_COMMAND", None)  # set by scripts/bench only
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    results = json.loads((out / "performance.json").read_text())
    return results, (out / "performance.md").read_text(), out


def test_the_run_describes_its_machine_and_command(smoke) -> None:
    results, page, out = smoke
    assert results["command"] == f"benchmarks/run.py --smoke --out {out}"
    assert results["options"]["smoke"] is True
    machine = results["machine"]
    assert machine["nproc"] >= 1
    assert machine["memory_gib"] > 0
    assert machine["ansible_core"] == ansible_version
    assert machine["cpu_model"]
    assert results["date"] in page
    assert f"`{results['command']}`" in page


def test_wire_rows_cover_every_module_both_states_and_the_usual_way(smoke) -> None:
    results, page, _out = smoke
    [wire] = results["wire"]
    assert wire["transport"] == "ntlm"
    rows = {row["key"]: row for row in wire["rows"]}
    assert set(rows) == {
        "host_key/changing",
        "host_key/converged",
        "publish/changing",
        "publish/converged",
        "client/changing",
        "client/converged",
        "info/host",
        "info/client",
        "usual/ipk_ato",
        "usual/dlv",
        "usual/dlv_host",
        "aw/ipk_ato",
        "aw/dlv",
        "aw/dlv_host",
        "aw/facts",
        "aw/facts_host",
        "aw/ping",
    }
    assert {row["module"] for row in wire["rows"] if row["approach"] == "volact.kms"} == {
        *MODULES,
        "kms_activation_info",
    }
    for key, row in rows.items():
        assert row["ok"], (key, row["runs"][0].get("error"))
        assert row["requests"] >= 1, key
        assert row["ratio_to_floor"] == row["requests"], key
        assert row["http_requests"] >= row["requests"], key
        assert row["bytes_sent"] > 0, key
        assert row["bytes_received"] > 0, key
        assert sum(row["operations"].values()) == row["requests"], key
        if row["approach"] == "volact.kms":
            # The module counts what it sent; the lab counts what arrived: the same requests.
            assert row["module_reported"]["requests"] == row["requests"], key
            assert 0 < row["module_reported"]["bytes_sent"] <= row["bytes_sent"], key
            assert not row["operations"].keys() & {"Create", "Command", "Delete"}, key
        else:
            assert row["module_reported"] is None
    for module in ("host_key", "publish", "client"):
        changing, converged = rows[f"{module}/changing"], rows[f"{module}/converged"]
        assert changing["changed"] == [True], module
        assert converged["changed"] == [False], module
        assert converged["requests"] < changing["requests"], module
    assert rows["publish/converged"]["requests"] == 1  # the physical floor itself
    # slmgr.vbs through a shell: Create, Command, Receive, Signal, Delete for each command.
    assert rows["usual/dlv"]["operations"] == dict.fromkeys(
        ("Command", "Create", "Delete", "Receive", "Signal"), 1
    )
    assert rows["usual/ipk_ato"]["requests"] == 10
    assert rows["usual/dlv"]["requests"] > rows["client/converged"]["requests"]
    # ansible.windows through the exec wrapper: the same shell operations, plus the manifest
    # sent as stdin (Send, 200,000 bytes at most each), so far more bytes than the raw command.
    for key in ("aw/ping", "aw/facts", "aw/facts_host", "aw/dlv", "aw/dlv_host"):
        operations = rows[key]["operations"]
        assert operations.keys() == {"Command", "Create", "Delete", "Receive", "Send", "Signal"}
        assert operations["Command"] == 1, key
        assert rows[key]["bytes_sent"] > 10 * rows["usual/dlv"]["bytes_sent"], key
    assert rows["aw/ipk_ato"]["operations"]["Command"] == 2
    assert rows["aw/ipk_ato"]["changed"] == [True]
    assert "ansible.windows" in page.split("## Fleet runs")[0]
    assert "## Wire cost per task" in page
    # Every module above the floor's one request when converged says why, on the page.
    reasons = page.split("Why a converged task needs more than", 1)[1].split("## Fleet runs")[0]
    for key, row in rows.items():
        if row["approach"] == "volact.kms" and "changing" not in key and row["requests"] > 1:
            assert f"- `{row['module']}`, " in reasons, key


def test_fleet_runs_sit_next_to_their_floor(smoke) -> None:
    results, page, _out = smoke
    size, _growth = results["fleet"]
    assert size["hosts"] == 4
    assert size["forks"] == 50
    assert size["first_converging_site_run"]["returncode"] == 0
    expected = {"site", "audit"} if (ROOT / "playbooks" / "audit.yml").exists() else {"site"}
    assert set(size["scenarios"]) == expected
    for name, scenario in size["scenarios"].items():
        assert scenario["failures"] == [], name
        [run], [floor] = scenario["runs"], scenario["floor_runs"]
        assert run["returncode"] == floor["returncode"] == 0
        assert run["hosts_in_recap"] == floor["hosts_in_recap"], name
        assert run["task_results"] == floor["task_results"], name  # same hosts, same tasks
        assert floor["requests_per_host"] == 0, name  # the floor never contacts a host
        assert run["requests_per_host"] >= 1, name
        for values in (run, floor):
            for metric in ("wall_seconds", "cpu_seconds", "peak_tree_pss_mb", "largest_process_mb"):
                assert values[metric] > 0, (name, metric)
            assert values["memory_samples"] >= 1, name
        assert scenario["ratio_to_floor"]["wall_seconds"] > 0, name
        assert scenario["ratio_to_floor"]["cpu_seconds"] > 1, name  # real work costs more
    site = size["scenarios"]["site"]["runs"][0]
    assert site["requests_per_host"] < size["first_converging_site_run"]["requests_per_host"]
    assert "## Fleet runs" in page


def test_memory_is_read_in_every_worker_and_in_the_main_process(smoke) -> None:
    results, page, _out = smoke
    size, _growth = results["fleet"]
    found = size["memory"]
    ours, floor = found["ours"], found["floor"]
    # One worker per task result: none of them left out of the figures.
    assert ours["workers"] == size["scenarios"]["site"]["runs"][0]["task_results"]
    assert floor["workers"] == size["scenarios"]["site"]["floor_runs"][0]["task_results"]
    assert floor["noop_tasks"]["tasks"] == floor["workers"]
    assert floor["our_tasks"] is None
    assert ours["noop_tasks"] is None
    assert ours["our_tasks"]["tasks"] >= size["hosts"]  # a task per client, more on the host
    for side in (ours, floor):
        assert side["main_peak_rss_mb"] > 0
        assert side["tree_peak_pss_mb"] > 0
        assert 0 < side["all_tasks"]["median_private_mb"] <= side["all_tasks"]["max_private_mb"]
    # Ours opens a connection and authenticates in its action plugin; the floor's does nothing.
    in_action = ours["our_tasks"]["median_in_action_mb"]
    assert in_action > floor["noop_tasks"]["median_in_action_mb"]
    assert in_action < ours["our_tasks"]["median_private_mb"]
    assert "### Memory as the fleet grows" in page


def test_the_profile_splits_the_controller_time_by_whose_code_it_is(smoke) -> None:
    results, page, _out = smoke
    found = results["profile"]
    assert found["hosts"] == 3
    assert found["cprofile"] is None  # a smoke run samples only
    sampled = found["sampled"]
    assert sampled["workers"] == 3  # one profile per task: none lost at the end of the play
    assert sampled["samples"] > 0
    parties = sampled["worker_parties"]
    # Three tasks give a few dozen samples: our own code (a few ms in all) may get none of them,
    # so its party is not required here; the steps below must see our plugin on the stack.
    assert "ansible-core" in parties
    assert sum(p["share"] for p in parties.values()) == pytest.approx(1, abs=0.01)
    # Each party's seconds are rounded to the millisecond: allow that much per party.
    assert sum(p["seconds"] for p in parties.values()) == pytest.approx(
        sampled["worker_cpu_seconds"], abs=0.001 * len(parties)
    )
    assert parties.get("volact.kms", {"share": 0})["share"] < 1
    steps = {row["step"]: row["ms_per_task"] for row in sampled["worker_steps"]}
    assert steps["our action plugin, all of it"] >= steps["- of which the requests (HTTP, NTLM)"]
    assert steps["our action plugin, all of it"] > 0
    assert all(r["function"].startswith("plugins/") for r in sampled["ours_top"])
    assert "## Where the controller's time goes" in page


def test_one_task_on_every_client_next_to_ansible_windows(smoke) -> None:
    results, page, _out = smoke
    size, _growth = results["fleet"]
    found = size["peers"]
    jobs = {job["key"]: job for job in found["jobs"]}
    assert set(jobs) == {
        "floor",
        "client_setup_key",
        "client_setup_key_pywinrm",
        "activation_info",
        "raw_dlv",
        "win_shell_dlv",
        "win_product_facts",
        "win_ping",
    }
    clients = size["hosts"] - 1
    for key, job in jobs.items():
        assert job["ok"], (key, job["runs"][0]["error"])
        [run] = job["runs"]
        assert run["tasks"] == clients, key
        assert run["cpu_ms_per_task"] > 0, key
    assert jobs["floor"]["median"]["requests_per_task"] == 0  # the floor never contacts a host
    for key in ("win_shell_dlv", "win_product_facts", "win_ping"):
        assert jobs[key]["whose"] == "ansible.windows"
        assert jobs[key]["median"]["requests_per_task"] >= 6, key  # a shell and its manifest
        assert jobs[key]["median"]["bytes_sent_per_task"] > 100_000, key
    # The transport lever's before and after: the same WS-Man requests; the lean channel sends
    # its NTLM negotiate token with its first request, one anonymous HTTP request fewer.
    lean, pywinrm = jobs["client_setup_key"]["median"], jobs["client_setup_key_pywinrm"]["median"]
    assert lean["requests_per_task"] == pywinrm["requests_per_task"]
    assert lean["http_requests_per_task"] == pywinrm["http_requests_per_task"] - 1
    assert lean["bytes_sent_per_task"] < pywinrm["bytes_sent_per_task"]
    # The sentence is wrapped with its paragraph, wherever the figures put the line breaks.
    assert "Over pywinrm (`VOLACT_KMS_LEAN_TRANSPORT=0`) the same check costs" in " ".join(
        page.split()
    )
    assert "## Next to ansible.windows on the whole fleet" in page
    assert "Public measurements, not ours" in page


def test_the_clients_play_task_by_task(smoke) -> None:
    results, page, _out = smoke
    size, grown = results["fleet"]
    assert grown["breakdown"] is None
    found = size["breakdown"]
    rows = {row["key"]: row for row in found["rows"]}
    assert list(rows) == [
        "floor",
        "argument_check",
        "setup",
        "setup_literal",
        "retry",
        "report",
        "role",
    ]
    for key, row in rows.items():
        assert row["failed"] == [], key
        assert row["cpu_ms_per_client"] > 0, key
    clients = found["clients"]
    assert rows["floor"]["tasks"] == rows["setup"]["tasks"] == clients
    assert rows["report"]["tasks"] == 1  # run_once
    assert rows["role"]["tasks"] > 3 * clients
    held = found["held"]
    assert held["floor"]["returncode"] == held["role"]["returncode"] == 0
    traced = {task["task"]: task for task in held["role"]["tasks"]}
    [check] = [name for name in traced if "Validating arguments" in name]
    assert traced[check]["hosts"] == clients
    assert traced[check]["held_bytes"] > 0
    assert "## The clients' play, task by task" in page
    assert "KiB per host above the task's start" in page


def test_the_growth_run_comes_last_and_is_set_next_to_the_size_before(smoke) -> None:
    results, page, _out = smoke
    *sizes, grown = results["fleet"]
    assert grown["growth_only"] is True
    assert grown["hosts"] == results["options"]["growth"] > sizes[-1]["hosts"]
    assert grown["memory"] is None
    assert grown["peers"] is None
    assert set(grown["scenarios"]) == set(sizes[-1]["scenarios"])
    assert f"### From {sizes[-1]['hosts']:,} to {grown['hosts']:,} machines" in page
    assert "KiB per added machine" in page
