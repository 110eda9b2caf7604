"""The README's main command, run as a user would: scripts/demo on the lab, end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("default_lab_ports")
def test_demo_deploys_converges_reports_and_cleans_up(tmp_path):
    state, report = tmp_path / "lab", tmp_path / "report"
    env = {**os.environ, "KMSLAB_STATE": str(state), "KMS_AUDIT_REPORT_DIR": str(report)}
    done = subprocess.run(
        [str(ROOT / "scripts" / "demo")],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, (out + done.stderr)[-6000:]
    assert "lab up: 34 machines" in out
    assert "0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)" in out + done.stderr  # the rollout state...
    assert "kms1: 32 machines counted, client OS need 25" in out  # ...and the threshold crossed
    dns = out.split("##### What clients find in DNS")[1].split("#####")[0]
    records = json.loads(dns[dns.index("[") : dns.rindex("]") + 1])
    assert [(r["priority"], r["weight"], r["target"]) for r in records] == [
        (10, 30, "kms1.corp.lab.test."),
        (20, 70, "kms2.corp.lab.test."),
    ]
    second = out.split("##### 2. site.yml again")[1].split("##### 3.")[0]
    recaps = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", second, re.M)
    assert len(recaps) == 34
    assert set(recaps) == {"0"}
    assert f"Report: {report}/report.html" in out
    audit = json.loads((report / "report.json").read_text())
    assert audit["summary"]["machines"] == 34
    assert audit["summary"]["activated"] == 34
    assert "lab down: 34 machines" in out
    assert not (state / "lab.json").exists()
