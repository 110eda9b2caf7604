"""The collection's own metadata: what Galaxy, ansible-core, ansible-builder and users read."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def load(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


def requirements(path: str) -> dict[str, Requirement]:
    lines = (ROOT / path).read_text().splitlines()
    reqs = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {req.name.lower(): req for req in reqs}


def test_galaxy_identity():
    galaxy = load("galaxy.yml")
    assert (galaxy["namespace"], galaxy["name"], galaxy["version"]) == ("volact", "kms", "0.1.0")
    assert {"windows", "tools"} <= set(galaxy["tags"])
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    assert galaxy["repository"].startswith("https://")
    # The collection link lives in .venv; shipping it would put the checkout inside itself.
    assert ".venv" in galaxy["build_ignore"]


def test_runtime_requires_the_tested_core_and_groups_every_module():
    runtime = load("meta/runtime.yml")
    assert runtime["requires_ansible"] == ">=2.19.0"
    modules = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
    group = runtime["action_groups"]["kms"]
    assert set(modules) <= set(group), "every module belongs to group/volact.kms.kms"


def test_pinned_toolchain_satisfies_what_users_are_told_to_install():
    wanted = requirements("requirements.txt")
    pinned = requirements("tests/requirements.txt")
    for name, req in wanted.items():
        assert name in pinned, f"tests/requirements.txt pins no {name}"
        (version,) = (spec.version for spec in pinned[name].specifier)
        assert req.specifier.contains(version), f"{name}=={version} is outside {req.specifier}"


def test_execution_environment_files_exist_and_carry_the_runtime_needs():
    ee = load("meta/execution-environment.yml")
    assert ee["version"] == 1
    python = requirements(ee["dependencies"]["python"])
    assert {"pywinrm", "pypsrp", "dnspython", "gssapi"} <= set(python)
    assert (ROOT / ee["dependencies"]["system"]).is_file()


def test_sanity_ignore_file_is_empty():
    ignores = list((ROOT / "tests" / "sanity").glob("ignore-*.txt"))
    assert ignores
    for path in ignores:
        assert path.read_text().strip() == "", f"{path.name} must stay empty"


def test_changelog_fragments_exist_and_are_well_named():
    fragments = list((ROOT / "changelogs" / "fragments").glob("*.yml"))
    assert fragments
    for path in fragments:
        assert re.fullmatch(r"[0-9]+-[a-z0-9-]+\.yml", path.name), path.name
