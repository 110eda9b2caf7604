"""Make the lab package (``tests/lab/kmslab``) importable for the lab's unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

LAB = Path(__file__).resolve().parents[2] / "lab"

if str(LAB) not in sys.path:
    sys.path.insert(0, str(LAB))
