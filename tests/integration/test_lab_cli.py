"""``kmslab up`` / ``down`` from the command line, at fleet scale: fast, and nothing left behind."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def lab_command(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "lab"), "--state-dir", str(state_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def named_processes(workdir: str) -> list[str]:
    found = subprocess.run(["pgrep", "-af", "named"], capture_output=True, text=True, check=False)
    return [line for line in found.stdout.splitlines() if workdir in line]


@pytest.mark.usefixtures("default_lab_ports")
def test_a_thousand_machines_come_up_and_go_down_within_a_minute(tmp_path, record_property):
    state_dir = tmp_path / "lab"
    begun = time.monotonic()
    up = lab_command(state_dir, "up", "--preset", "scale", "--size", "1000")
    up_seconds = time.monotonic() - begun
    assert "lab up: 1000 machines" in up.stdout
    state = json.loads((state_dir / "lab.json").read_text())
    inventory = yaml.safe_load(Path(state["inventories"]["https"]).read_text())
    clients = inventory["all"]["children"]["kms_clients"]["hosts"]
    assert len(clients) == 999
    assert all(host["ansible_host"].startswith("127.") for host in clients.values())
    status = json.loads(lab_command(state_dir, "status").stdout)
    assert status["machines"] == 1000

    begun = time.monotonic()
    down = lab_command(state_dir, "down")
    down_seconds = time.monotonic() - begun
    assert "lab down: 1000 machines" in down.stdout
    record_property("up_seconds", round(up_seconds, 2))
    record_property("down_seconds", round(down_seconds, 2))
    print(f"1,000 machines: up {up_seconds:.2f} s, down {down_seconds:.2f} s")
    assert up_seconds < 60
    assert down_seconds < 60
    # Nothing stays behind: the lab process and its BIND are gone.
    try:
        os.kill(state["pid"], 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
    assert named_processes(state["bind_workdir"]) == []
    assert not (state_dir / "lab.json").exists()


def lab_cli(*args: str, state_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    prefix = ["--state-dir", str(state_dir)] if state_dir else []
    return subprocess.run(
        [str(ROOT / "scripts" / "lab"), *prefix, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_and_messages_name_the_command_a_user_has(tmp_path):
    shown = lab_cli("--help")
    assert shown.returncode == 0
    assert shown.stdout.startswith("usage: scripts/lab")
    assert "``" not in shown.stdout
    assert "kmslab up" not in shown.stdout
    status = lab_cli("status", state_dir=tmp_path)
    assert status.returncode != 0
    assert "(scripts/lab up starts one)" in status.stderr


def test_variants_are_listed_with_their_sources_and_a_wrong_one_is_refused(tmp_path):
    listed = lab_cli("variants")
    assert listed.returncode == 0
    for name in ("registry_missing_value", "null_array", "spp_method_failure", "projection_items"):
        assert f"{name} = " in listed.stdout
    assert "operation_timeout_cap = 60 (default) | none" in listed.stdout
    assert listed.stdout.count("source: ") == listed.stdout.count(" (default)")
    refused = lab_cli("up", "--variant", "null_array=maybe", state_dir=tmp_path)
    assert refused.returncode != 0
    assert "variant null_array has no value 'maybe'; choose one of nil, omit" in refused.stderr
    assert not (tmp_path / "lab.json").exists()
