"""Make ``ansible_collections.volact.kms`` importable when pytest runs from a plain checkout.

Under ``ansible-test units`` the checkout already sits in ``ansible_collections/volact/kms``; from a
plain clone we point a link at it (the same link ``scripts/setup`` makes for ansible-playbook).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if ROOT.parent.parent.name == "ansible_collections":
    COLLECTIONS = ROOT.parents[2]
else:
    COLLECTIONS = ROOT / ".venv" / "collections"
    link = COLLECTIONS / "ansible_collections" / "volact" / "kms"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

# The lab (tests/lab/kmslab) is imported by tests as a plain package, and so is
# tests/fixture_files.py (the paths of the files under tests/fixtures).
for path in (ROOT / "tests", ROOT / "tests" / "lab"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
