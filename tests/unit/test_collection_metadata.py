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


def claimed_releases() -> list[str]:
    """The ansible-core releases requirements.txt allows (2.20, 2.21), oldest first."""
    (spec,) = [
        req.specifier
        for name, req in requirements("requirements.txt").items()
        if name == "ansible-core"
    ]
    return [f"2.{minor}" for minor in range(10, 40) if spec.contains(f"2.{minor}.0")]


def pinned_core(path: str) -> str:
    (version,) = (spec.version for spec in requirements(path)["ansible-core"].specifier)
    return version


def test_runtime_requires_the_tested_core_and_groups_every_module():
    runtime = load("meta/runtime.yml")
    assert runtime["requires_ansible"] == f">={claimed_releases()[0]}.0"
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


def test_the_newest_and_the_oldest_claimed_release_are_the_tested_ones():
    claimed = claimed_releases()
    assert claimed == ["2.20", "2.21"]
    # scripts/test runs everything on the newest and the `oldest` stage on the oldest.
    assert pinned_core("tests/requirements.txt").startswith(claimed[-1] + ".")
    assert pinned_core("tests/requirements-oldest.txt").startswith(claimed[0] + ".")
    # One (empty) sanity ignore file per claimed release, none for another.
    ignores = sorted(p.name for p in (ROOT / "tests" / "sanity").glob("ignore-*.txt"))
    assert ignores == [f"ignore-{release}.txt" for release in claimed]


def test_ansible_lint_accepts_every_claimed_release():
    # ansible-lint 26.10.1's own list stops at 2.19; .ansible-lint (shipped) names the others.
    also = load(".ansible-lint")["supported_ansible_also"]
    assert {f"{release}." for release in claimed_releases()} <= set(also)


def test_the_oldest_release_runs_with_the_same_libraries():
    newest = requirements("tests/requirements.txt")
    for name, req in requirements("tests/requirements-oldest.txt").items():
        if name != "ansible-core":
            assert req.specifier == newest[name].specifier, (
                f"{name}: pin it as tests/requirements.txt does"
            )


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
