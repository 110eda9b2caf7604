"""kms_client_setup_key's ``activation_type`` beside a machine-wide activation type, with real
ansible-playbook, under each value of the lab variant ``act_type_precedence``.

``slmgr /act-type`` without an activation ID sets the type on SoftwareLicensingService; no source
says whether it or the product's own setting wins, nor whether the product's
``VLActivationTypeEnabled`` shows it (kmslab/variants.py). Whatever the answer, the module must
converge: check mode predicts what the real run does, and a second run changes nothing. The
lab's write journal shows what was sent; the model says which type is really in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model import adba, admin
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP
from kmslab.variants import BY_NAME, Variants

VARIANT = "act_type_precedence"
# machine -> (the machine-wide type set beforehand, the type the task asks for)
CASES = {"anyone": (2, "all"), "adonly": (2, "ad"), "kmsonly": (1, "kms")}
WANTED = {"all": 0, "ad": 1, "kms": 2, "token": 3}
LAB_SHAPE = LabShape(
    machines=tuple(
        MachineShape(name, "win11-enterprise", CORP, initial_key=KeyKind.GVLK) for name in CASES
    ),
    zones=(CORP,),
)


@pytest.fixture(scope="module", params=BY_NAME[VARIANT].values)
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    variants = Variants({VARIANT: request.param})
    with Lab(LAB_SHAPE, http_port=0, https_port=0, variants=variants) as running:
        for name, (machine_wide, _wanted) in CASES.items():
            machine = running.machine(name)
            running.call(
                admin.call_service,
                machine,
                "SetVLActivationTypeEnabled",
                ActivationType=machine_wide,
            )
        yield running


def _in_force(machine: Any) -> tuple[int, int]:
    """(the type in force for the Windows product, what its VLActivationTypeEnabled shows)."""
    row = admin.windows_product(machine)
    sku = machine.spp.sku(row["ID"])
    return adba.activation_type(machine.spp, sku), row["VLActivationTypeEnabled"]


def _play(host: str, wanted: str) -> str:
    task = {"volact.kms.kms_client_setup_key": {"activation_type": wanted, "activate": False}}
    return yaml.safe_dump(
        [{"hosts": host, "gather_facts": False, "tasks": [{"name": "t", **task}]}]
    )


def _set_type_writes(lab: Lab, host: str) -> list[str]:
    return [str(w) for w in lab.writes(host) if "VLActivationTypeEnabled" in str(w)]


@pytest.mark.parametrize("host", list(CASES))
def test_converges_beside_a_machine_wide_type(lab: Lab, run_playbook, host: str) -> None:
    machine_wide, wanted = CASES[host]
    variant = lab.variants[VARIANT]
    machine = lab.machine(host)
    before = lab.call(_in_force, machine)
    writes_before = len(lab.writes(host))

    checked = run_playbook(lab, _play(host, wanted), check=True, diff=True)
    predicted = checked.result(host, "t")
    assert checked.status(host, "t") == "ok", checked.output
    assert len(lab.writes(host)) == writes_before, "check mode wrote"

    real = run_playbook(lab, _play(host, wanted), diff=True)
    done = real.result(host, "t")
    assert real.status(host, "t") in ("ok", "changed"), real.output
    assert done["changed"] == predicted["changed"], (predicted, done)
    assert done["kms_client"]["activation_type"] == predicted["kms_client"]["activation_type"]
    assert done["diff"] == predicted["diff"]
    in_force, shown = lab.call(_in_force, machine)
    assert shown == WANTED[wanted]
    if variant == "product_own" and wanted == "all":
        # The product's property shows 0 while the machine-wide type is in force: nothing to
        # see, so nothing is changed (documented in the module's activation_type option).
        assert done["changed"] is False
        assert in_force == machine_wide == before[0]
    else:
        assert in_force == WANTED[wanted], (variant, before, in_force)
        assert done["changed"] is True
        assert any("ClearVLActivationTypeEnabled" in w for w in _set_type_writes(lab, host))

    again = run_playbook(lab, _play(host, wanted)).result(host, "t")
    assert again["changed"] is False, again
    assert again["kms_client"]["activation_type"] == wanted
    assert lab.call(_in_force, machine) == (in_force, shown)
