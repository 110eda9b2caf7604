"""The filters over the core, through real ansible-playbook (playbooks/filters.yml)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_filters_playbook_shows_the_decisions():
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ['PATH']}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".venv" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
    }
    done = subprocess.run(
        ["ansible-playbook", "-i", "localhost,", str(ROOT / "playbooks" / "filters.yml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    # Localized captions do not matter: each machine gets its edition's published GVLK.
    paris = "ws-paris-01 [Microsoft Windows 11 Professionnel] -> Windows 11/10 (GA channel) Pro"
    assert f"{paris}: W269N-WFGWX-YVC9B-4J6C9-T83GX" in out
    legacy = "srv-legacy-03 [(EditionID missing: the SKU decides)]"
    assert f"{legacy} -> Windows Server 2019 Standard: N69G4" in out
    assert "/Set-Edition:ServerStandard /ProductKey:VDYBN-27WPP-V4HQT-9VMD4-VMK7H" in out
    assert '"corp.example, 0, 60"' in out
    assert "ok=6    changed=0    unreachable=0    failed=0    skipped=0    rescued=1" in out
    # The host key is shown masked and nowhere in clear.
    assert "XXXXX-XXXXX-XXXXX-XXXXX-6789B" in out
    assert "BCDFG-HJKMP" not in out + done.stderr
