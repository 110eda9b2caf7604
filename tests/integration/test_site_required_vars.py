"""site.yml without a required variable, or with it empty, stops before anything is written.

Every option a role's argument spec marks ``required: true`` is left out in turn, then given as an
empty string: the run fails, the message names the variable, and no machine of the lab received a
single write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kmslab.presets import small

ROOT = Path(__file__).resolve().parents[2]
LAB_SHAPE = small()
SITE = f"- ansible.builtin.import_playbook: {ROOT / 'playbooks' / 'site.yml'}\n"


def required_variables() -> list[str]:
    found = []
    for spec in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        options = yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"]
        found += [name for name, option in options.items() if option.get("required")]
    return found


REQUIRED = required_variables()


def test_the_roles_have_required_variables_to_test():
    assert "kms_host_key" in REQUIRED


# site.yml's ADBA play needs a machine of kms_adba_hosts to run (and check its variables) at all:
# for the kms_adba role's variables pc001 joins that group. The role stops at its variables, so
# the directory named is never reached, and the small lab will do.
ADBA_GROUP = {"kms_adba_hosts": {"hosts": {"pc001": None}}}
ADBA_VARS = {"kms_adba_ldap_server": "dc1.ad.invalid", "kms_adba_objects": []}


def site_with(lab, run_playbook, tmp_path, variables: dict[str, object]):
    """site.yml on the lab, with the lab's secrets file as extra vars, changed by ``variables``
    (a value of ``...`` leaves the variable out)."""
    adba = any(name.startswith("kms_adba_") for name in variables)
    values = yaml.safe_load((lab.state_dir / "secrets.yml").read_text())
    values.update({**ADBA_VARS, **variables} if adba else variables)
    values = {name: value for name, value in values.items() if value is not ...}
    extra = tmp_path / "vars.yml"
    extra.write_text(yaml.safe_dump(values))
    args = ["-e", f"@{extra}", "-e", "kms_publish_fqdn={{ kmslab_fqdn }}"]
    if adba:
        groups = tmp_path / "adba-group.yml"
        groups.write_text(yaml.safe_dump({"all": {"children": ADBA_GROUP}}))
        args = ["-i", str(groups), *args]
    return run_playbook(lab, SITE, transport="ntlm", extra_args=args)


@pytest.mark.parametrize(
    "given",
    [..., "", "   ", None],
    ids=["missing", "empty", "blank", "null"],
)
@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_or_empty_required_variable_is_named_before_anything_is_written(
    lab, run_playbook, tmp_path, name, given
):
    run = site_with(lab, run_playbook, tmp_path, {name: given})
    assert run.rc != 0, run.output[-3000:]
    failed = [r for r in run.results if r["status"] == "failed"]
    assert failed, run.output[-3000:]
    for result in failed:
        assert name in result["result"]["msg"], result
    if given is ...:
        assert f"missing required arguments: {name}" in run.output
    else:
        assert f"{name} is empty" in run.output
    assert "HostVarsVars" not in run.output  # the error the role's own tasks used to give
    assert {machine: lab.writes(machine) for machine in lab.names() if lab.writes(machine)} == {}
