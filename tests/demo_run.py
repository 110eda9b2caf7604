"""scripts/demo run as a user runs it, for the tests of the README's main command."""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_demo(tmp: Path, *args: str) -> dict[str, Any]:
    """One run of scripts/demo (``args``: ``--preset seeds``): its output, its report directory
    and its lab state directory. The demo's lab listens on the default ports: it takes its turn
    with the other labs that do (the lock of the ``default_lab_ports`` fixture)."""
    state, report = tmp / "lab", tmp / "report"
    env = {**os.environ, "KMSLAB_STATE": str(state), "KMS_AUDIT_REPORT_DIR": str(report)}
    with open(tempfile.gettempdir() + "/volact-kms-default-lab-ports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = subprocess.run(
                [str(ROOT / "scripts" / "demo"), *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=900,
                check=False,
            )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return {"out": done.stdout, "err": done.stderr, "state": state, "report": report}
