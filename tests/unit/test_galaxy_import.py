# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/galaxy_import.py stops on what Galaxy would show as a warning, and on missing docs."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "galaxy_import.py"
EMPTY_IGNORE = (
    "WARNING: Ignore files skip ansible-test sanity tests, "
    "found ignore-2.19.txt with 0 statement(s)"
)


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("galaxy_import", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result(**changes: object) -> dict:
    good: dict = {
        "contents": [
            {"content_type": "module", "name": "kms_host_key"},
            {"content_type": "role", "name": "kms_host"},
        ],
        "docs_blob": {
            "collection_readme": {"name": "README.md", "html": "<h1>volact.kms</h1>"},
            "contents": [
                {"content_type": "module", "content_name": "kms_host_key", "doc_strings": {"x": 1}},
                {"content_type": "role", "content_name": "kms_host", "doc_strings": None},
            ],
        },
        "requires_ansible": ">=2.19.0",
    }
    good.update(changes)
    return good


def test_a_clean_import_and_an_empty_ignore_file_pass(checker: ModuleType) -> None:
    log = f"Importing with galaxy-importer 0.4.44\n{EMPTY_IGNORE}\nCollection loading complete\n"
    assert checker.problems(log, result()) == []


def test_a_lint_finding_or_an_ignore_entry_fails(checker: ModuleType) -> None:
    lint = "WARNING: roles/kms_host/tasks/main.yml:3: name[missing]: All tasks should be named."
    ignores = EMPTY_IGNORE.replace("with 0 statement", "with 2 statement")
    log = f"{lint}\n{ignores}\nERROR: something broke\n"
    assert checker.problems(log, result()) == [lint, ignores, "ERROR: something broke"]


def test_a_module_without_docs_or_a_missing_readme_fails(checker: ModuleType) -> None:
    undocumented = result()
    undocumented["docs_blob"]["contents"][0]["doc_strings"] = None
    undocumented["docs_blob"]["collection_readme"] = {}
    assert checker.problems("", undocumented) == [
        "module kms_host_key: no documentation in the import result",
        "the README was not rendered",
    ]
    assert checker.problems("", result(contents=[], requires_ansible=None)) == [
        "no module in the import result",
        "no role in the import result",
        "meta/runtime.yml gives no requires_ansible",
    ]
