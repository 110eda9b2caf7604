"""What the benchmark ran on: CPUs, memory, and the versions that matter to the figures."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
from pathlib import Path
from typing import Any


def _first(path: str, key: str) -> str | None:
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _sep, value = line.partition(":" if ":" in line else "=")
        if name.strip() == key:
            return value.strip().strip('"')
    return None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _peer_version() -> str | None:
    """ansible.windows' version in the peer collections (scripts/peer-collections)."""
    from runner import PEER_COLLECTIONS  # noqa: PLC0415 (runner imports nothing of this)

    manifest = PEER_COLLECTIONS / "ansible_collections" / "ansible" / "windows" / "MANIFEST.json"
    try:
        return json.loads(manifest.read_text())["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        return None


def describe() -> dict[str, Any]:
    memory = _first("/proc/meminfo", "MemTotal")
    memory_gib = round(int(memory.split()[0]) / 1024 / 1024, 1) if memory else None
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": _first("/proc/cpuinfo", "model name") or platform.processor() or None,
        "memory_gib": memory_gib,
        "os": _first("/etc/os-release", "PRETTY_NAME"),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ansible_core": _version("ansible-core"),
        "pywinrm": _version("pywinrm"),
        "pypsrp": _version("pypsrp"),
        "pyspnego": _version("pyspnego"),
        "ansible_windows": _peer_version(),
    }
