"""The README's main command, run as a user would: scripts/demo on the lab, end to end.

The demo runs once for the module; its output must be quiet (no deprecation, no warning: a rollout
below the threshold is progress, said once per KMS host), and its report must read well in a real
headless Chromium at desktop and phone widths.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from demo_run import run_demo
from report_browser import layout, screenshot

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = [
    "Activation state",
    "KMS host counts against the thresholds",
    "Needs attention (0)",
    "KMS hosts",
    "DNS: _vlmcs._tcp SRV records per domain",
    "Editions",
    "Machines",
]
HEADERS = {
    "KMS hosts": [
        "KMS host",
        "State",
        "Count",
        "Thresholds",
        "Audited clients using it",
        "In SRV of",
    ],
    "DNS: _vlmcs._tcp SRV records per domain": [
        "Target",
        "Audited machine",
        "Priority",
        "Tier",
        "Weight",
        "Share of its tier",
        "Port",
    ],
    "Editions": [
        "Product",
        "Edition",
        "Machines",
        "Activated",
        "In grace",
        "Unlicensed",
        "Not audited",
        "By state",
        "Channels",
        "Names",
    ],
    "Machines": [
        "Machine",
        "DNS domain",
        "State",
        "Edition",
        "Windows license",
        "Key",
        "Activated by",
        "KMS host",
        "Office",
        "Attention",
    ],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Any]:
    """One run of scripts/demo (conftest.run_demo)."""
    return run_demo(tmp_path_factory.mktemp("demo"))


def between(text: str, start: str, end: str = "") -> str:
    """The part of ``text`` after ``start`` and before ``end`` (to the end without one)."""
    after = text.partition(start)[2]
    return after.partition(end)[0] if end else after


def runs(out: str) -> dict[str, str]:
    """The demo's output per step: first and second site.yml, the audit."""
    return {
        "first": between(out, "##### 1. site.yml", "##### What clients find in DNS"),
        "second": between(out, "##### 2. site.yml again", "##### 3."),
        "audit": between(out, "##### 3."),
    }


def test_demo_deploys_converges_reports_and_cleans_up(demo):
    out, state, report = demo["out"], demo["state"], demo["report"]
    assert "lab up: 34 machines" in out
    first = runs(out)["first"]
    # The rollout crossed the threshold during the run: machines refused at first (0xC004F038)
    # were activated by the role's retry at the end of the play.
    retried = between(first, "TASK [volact.kms.kms_client : Activate again", "TASK [")
    assert len(re.findall(r"^changed: \[", retried, re.M)) >= 20
    assert '"msg": "kms1: 32 clients counted; threshold reached, activation started at 25"' in first
    dns = between(out, "##### What clients find in DNS", "#####")
    records = json.loads(dns[dns.index("[") : dns.rindex("]") + 1])
    assert [(r["priority"], r["weight"], r["target"]) for r in records] == [
        (10, 30, "kms1.corp.lab.test."),
        (20, 70, "kms2.corp.lab.test."),
    ]
    second = runs(out)["second"]
    assert second
    recaps = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", second, re.M)
    assert len(recaps) == 34
    assert set(recaps) == {"0"}
    assert f"Report: {report}/report.html" in out
    assert "All 34 machines are activated; nothing needs attention" in runs(out)["audit"]
    audit = json.loads((report / "report.json").read_text())
    assert audit["summary"]["machines"] == 34
    assert audit["summary"]["activated"] == 34
    assert "lab down: 34 machines" in out
    assert not (state / "lab.json").exists()


def test_demo_output_has_no_deprecation(demo):
    text = demo["out"] + demo["err"]
    assert "DEPRECATION" not in text  # ansible-core's [DEPRECATION WARNING]
    assert "Deprecat" not in text  # Python's (CryptographyDeprecationWarning, ...)
    assert "Warning:" not in text  # any other Python warning


def test_demo_output_has_no_warning_at_all(demo):
    assert "[WARNING]" not in demo["out"] + demo["err"]


def test_the_rollout_below_the_threshold_is_said_once_per_host_as_progress(demo):
    warnings = [line for line in demo["err"].splitlines() if line.startswith("[WARNING]")]
    assert not [line for line in warnings if "0xC004F038" in line or "threshold" in line]
    for name, run in runs(demo["out"]).items():
        # No machine repeats the KMS host's 0xC004F038 explanation.
        assert "0xC004F038" not in run, name
        assert "SL_E_VL_NOT_ENOUGH_COUNT" not in run, name
        if name == "audit":
            continue
        progress = re.findall(r'"msg": "(kms\d): (.*clients counted.*)"', run)
        assert progress == [
            ("kms1", "32 clients counted; threshold reached, activation started at 25"),
            ("kms2", "0 of 25 clients counted; activation starts at 25"),
        ], name


def test_the_report_marks_kms2_a_standby_and_says_its_risk_once(demo):
    report = json.loads((demo["report"] / "report.json").read_text())
    assert report["attention"] == []
    assert report["headline"]["text"] == "All 34 machines are activated; nothing needs attention"
    hosts = {h["name"]: h for h in report["kms_hosts"]}
    assert hosts["kms1"]["standby"] is None
    note = hosts["kms2"]["standby"]
    assert "in branch.lab.test its priority 20 comes after kms1 at 10" in note["reason"]
    assert note["risk"].startswith("If kms1 fails")
    assert "publish it in branch.lab.test at priority 10, beside kms1" in note["advice"]
    domains = {m["name"]: m["domain"] for m in report["machines"]}
    assert (domains["kms1"], domains["pc001"], domains["srv008"]) == (
        "corp.lab.test",
        "branch.lab.test",
        "branch.lab.test",
    )
    page = (demo["report"] / "report.html").read_text()
    assert page.count("<b>Risk:</b>") == 1
    assert page.count("If kms1 fails") == 1


@pytest.mark.parametrize("width", [1366, 390])
def test_the_report_reads_well_in_chromium_at_desktop_and_phone_widths(demo, tmp_path, width):
    page = demo["report"] / "report.html"
    found = layout(page, width, tmp_path)
    assert found["width"] == width
    assert found["overflows"] == []
    assert found["scripts"] == 0
    assert found["sections"] == SECTIONS
    tables = found["tables"]
    assert len(tables) == 5  # KMS hosts, 2 SRV record sets, editions, machines; no finding
    for table in tables:
        assert table["headers"] == HEADERS[table["section"].replace("\n", " ").strip()], table
        assert table["columns"] == len(table["headers"])
        if width < 720:  # too narrow for columns: each cell shows its column's name instead
            assert not table["headers_shown"]
            assert table["cell_labels"] == [json.dumps(h) for h in table["headers"]]
        else:
            assert table["headers_shown"]
    png = screenshot(page, demo["report"] / f"report-{width}.png", width, 2400, tmp_path)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
