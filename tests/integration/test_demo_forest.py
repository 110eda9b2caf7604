"""`scripts/demo --preset forest`, run as a user would (issue 16): ADBA and KMS side by side with
site.yml. adm1 activates the lab's forest (a real Samba AD DC) with the CSVLK through the kms_adba
role; the forest's Windows 8 and later members activate from the activation object and are never
counted by the KMS host; its Windows 7 and Server 2008 R2 members activate from kms1, outside the
forest, whose count its own 24 clients carry past 25; a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
import yaml
from demo_run import run_demo

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]

MACHINES = 36
# The forest's members without ADBA (Windows 7, Server 2008 R2) and kms1's own 24 clients.
COUNTED = 3 + 24
# Windows 8 and later in the forest (adm1, a client too, activates from the object it made).
BY_ADBA = {"adm1", "ad01", "ad02", "ad03", "ad04", "ad05", "ad06", "ad07"}


@pytest.fixture(scope="module")
def forest(tmp_path_factory) -> dict[str, Any]:
    return run_demo(tmp_path_factory.mktemp("forest"), "--preset", "forest")


def part(out: str, start: str, end: str) -> str:
    return out.partition(start)[2].partition(end)[0]


def test_the_forest_demo_runs_adba_and_kms_side_by_side(forest):
    out, report = forest["out"], forest["report"]
    assert f"lab up: {MACHINES} machines" in out
    first = part(out, "##### 1. site.yml", "##### What clients find in DNS")
    assert "changed: [adm1] => (item=Lab forest WS2022)" in first
    assert re.search(
        r"1 activation object in the forest: Lab forest WS2022 \(key ending \w{5}\)", first
    )
    # Windows 8 and later members of the forest never ask the KMS host: they are not counted.
    assert f"kms1: {COUNTED} clients counted; threshold reached" in first
    second = part(out, "##### 2. site.yml again", "##### 3.")
    assert "ok: [adm1] => (item=Lab forest WS2022)" in second
    recaps = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", second, re.M)
    assert len(recaps) == MACHINES
    assert set(recaps) == {"0"}
    audit = json.loads((report / "report.json").read_text())
    summary = audit["summary"]
    assert (summary["machines"], summary["activated"]) == (MACHINES, MACHINES)
    # kms1 activated its own host key online: neither by the forest nor by a KMS host.
    assert (summary["activated_by_adba"], summary["activated_by_kms"]) == (len(BY_ADBA), COUNTED)
    # audit.yml listed the forest's objects with kms_adba_object_info (kms_adba_hosts).
    (listed,) = audit["adba"]["objects"]
    assert listed["name"] == "Lab forest WS2022"
    assert listed["machines"] == sorted(BY_ADBA)
    assert f"lab down: {MACHINES} machines" in out


def test_the_forest_demo_shows_no_secret(forest):
    secrets = yaml.safe_load((forest["state"] / "secrets.yml").read_text())
    (entry,) = secrets["kms_adba_objects"]
    shown = forest["out"] + forest["err"]
    assert entry["product_key"] not in shown
    assert secrets["kms_adba_ldap_password"] not in shown
    assert entry["product_key"][-5:] in shown  # the key is named by its last group


def test_the_forest_demo_warns_of_nothing(forest):
    assert "[WARNING]" not in forest["out"] + forest["err"]
    assert "DEPRECATION" not in forest["out"] + forest["err"]
