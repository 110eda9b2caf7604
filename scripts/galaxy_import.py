#!/usr/bin/env python
# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run galaxy-importer, the check Galaxy runs on upload, on a built collection artifact.

Usage: .venv/bin/python scripts/galaxy_import.py dist/volact-kms-X.Y.Z.tar.gz

galaxy-importer is configured by tests/galaxy-importer.cfg (no container engine, no network) and
runs in a private temporary directory (it writes importer_result.json into the current one and
extracts the artifact under its tmp_root_dir). galaxy-importer itself fails only when the import
fails; Galaxy shows everything else it logs (ansible-doc and ansible-lint findings, for example)
as warnings on the collection's page. This check is stricter: any WARNING or ERROR line fails it,
except the ones in ALLOWED with their reason, and so does a module or role missing from the
result, or a module without documentation.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "tests" / "galaxy-importer.cfg"

# Warnings Galaxy prints that say nothing about this collection.
ALLOWED = {
    # Printed for any tests/sanity/ignore-X.Y.txt, even an empty one, which skips nothing.
    re.compile(r"Ignore files skip ansible-test sanity tests, found \S+ with 0 statement\(s\)"),
}


def problems(log: str, result: dict) -> list[str]:
    """What in the importer's log and result should stop an upload."""
    found = []
    for line in log.splitlines():
        if line.startswith(("WARNING:", "ERROR:")) and not any(
            pattern.search(line) for pattern in ALLOWED
        ):
            found.append(line)
    docs = {
        (item["content_type"], item["content_name"]): item.get("doc_strings")
        for item in result.get("docs_blob", {}).get("contents", [])
    }
    kinds = {item["content_type"] for item in result.get("contents", [])}
    for kind in ("module", "role"):
        if kind not in kinds:
            found.append(f"no {kind} in the import result")
    for (kind, name), doc in sorted(docs.items()):
        if kind == "module" and not doc:
            found.append(f"module {name}: no documentation in the import result")
    if not result.get("docs_blob", {}).get("collection_readme", {}).get("html"):
        found.append("the README was not rendered")
    if not result.get("requires_ansible"):
        found.append("meta/runtime.yml gives no requires_ansible")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    artifact = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="volact-galaxy-import.") as scratch:
        # HOME in the scratch directory: a copy of this collection in ~/.ansible/collections (an
        # ansible-lint run elsewhere installs one there) would shadow the artifact's own plugins
        # and roles in the importer's lint.
        env = dict(
            os.environ,
            HOME=scratch,
            GALAXY_IMPORTER_CONFIG=str(CONFIG),
            GALAXY_IMPORTER_TMP_ROOT_DIR=scratch,
            GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=str(Path(scratch) / "ansible-tmp"),
        )
        done = subprocess.run(
            [sys.executable, "-m", "galaxy_importer.main", str(artifact)],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        log = done.stdout + done.stderr
        # The per-file "Loading ..." lines say nothing a reader needs.
        print("\n".join(line for line in log.splitlines() if not line.startswith("Loading ")))
        result_file = Path(scratch) / "importer_result.json"
        if done.returncode != 0 or not result_file.exists():
            print(f"galaxy_import: the import failed (exit {done.returncode})", file=sys.stderr)
            return 1
        result = json.loads(result_file.read_text(encoding="utf-8"))
    found = problems(log, result)
    for problem in found:
        print(f"galaxy_import: {problem}", file=sys.stderr)
    if found:
        return 1
    documented = sorted(
        item["content_name"]
        for item in result["docs_blob"]["contents"]
        if item.get("doc_strings") and item["content_type"] in ("module", "filter")
    )
    print(f"galaxy_import: Galaxy would import it; documented: {', '.join(documented)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
