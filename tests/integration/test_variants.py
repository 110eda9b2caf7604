"""Every Windows module passes under every value of every lab variant (issue 13, ARCHITECTURE.md
"Truth over agreement").

Where no source settles how Windows answers, the lab serves each plausible form as a named
variant (``kmslab/variants.py``, ``scripts/lab variants``). One lab per variant value (the
defaults, then each other value on its own) runs the same scenario with real ansible-playbook:

1. check mode with diff on a fresh fleet: every module predicts its change and writes nothing;
2. the real run: each module converges, and one failure per module is reported with its HRESULT
   (an SPP method refused, a KMS host that cannot be reached, a registry write denied, a read
   denied) while the count below its threshold stays a warning, not a failure;
3. the run again, plain and in check mode: nothing changes and nothing is written.

``kms_srv_record`` is not in the matrix: it speaks DNS to BIND, not WS-Man to Windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab, LabShape, MachineShape
from kmslab.model.keys import KeyKind
from kmslab.presets import BRANCH, CORP
from kmslab.variants import Variants, matrix

SLS, SLP = "SoftwareLicensingService", "SoftwareLicensingProduct"
E_ACCESSDENIED = 0x80070005
ERROR_ACCESS_DENIED = 5
SL_E_INVALID_PRODUCT_KEY = 0xC004F050

SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms2", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("pc1", "win11-pro", CORP, initial_key=KeyKind.RETAIL),
        MachineShape("pc2", "win10-enterprise", CORP, initial_key=KeyKind.MAK),
        MachineShape("pc3", "win11-enterprise", CORP, initial_key=KeyKind.MAK),
    ),
    zones=(CORP, BRANCH),
)
KMS1 = f"kms1.{CORP}"
PUBLISH = [{"name": BRANCH, "priority": 10, "weight": 50}]

CASES = [pytest.param({}, id="defaults")] + [
    pytest.param({name: value}, id=f"{name}={value}") for name, value in matrix()
]


def task(name: str, module: str, options: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    return {"name": name, f"volact.kms.{module}": options, **keywords}


def converge_tasks(**keywords: Any) -> list[dict[str, Any]]:
    """The converging plays: a KMS host with its settings and publish list, a client."""
    host = [
        task(
            "host key",
            "kms_host_key",
            {"key": "{{ host_key }}", "firewall": True, "low_priority": True},
            **keywords,
        ),
        task("publish list", "kms_publish_list", {"domains": PUBLISH}, **keywords),
        task("activation info", "kms_activation_info", {}, **keywords),
    ]
    client = [
        task(
            "client",
            "kms_client_setup_key",
            {"kms_host": KMS1, "kms_port": 1688, "activate": False},
            **keywords,
        ),
        task("client info", "kms_activation_info", {"events": False}, **keywords),
    ]
    return [
        {"hosts": "kms1", "gather_facts": False, "tasks": host},
        {"hosts": "pc1", "gather_facts": False, "tasks": client},
    ]


def failure_plays() -> list[dict[str, Any]]:
    """One failure for kms_host_key, kms_publish_list and kms_client_setup_key, each on a
    machine armed for it (``arm_failures``)."""
    failing = {"ignore_errors": True}
    return [
        {
            "hosts": "kms2",
            "gather_facts": False,
            "tasks": [
                task("refused host key", "kms_host_key", {"key": "{{ host_key }}"}, **failing),
                task("denied publish list", "kms_publish_list", {"domains": PUBLISH}, **failing),
            ],
        },
        {
            "hosts": "pc2",
            "gather_facts": False,
            "tasks": [
                task(
                    "unreachable host",
                    "kms_client_setup_key",
                    {"kms_host": f"gone.{CORP}", "kms_port": 1688},
                    **failing,
                ),
            ],
        },
    ]


def later_plays() -> list[dict[str, Any]]:
    """kms_activation_info's failure (a read denied, armed once pc2's conversion is done), and
    a count below its threshold, which is a warning, not a failure."""
    return [
        {
            "hosts": "pc2",
            "gather_facts": False,
            "tasks": [
                task("denied read", "kms_activation_info", {"events": False}, ignore_errors=True)
            ],
        },
        {
            "hosts": "pc3",
            "gather_facts": False,
            "tasks": [task("below threshold", "kms_client_setup_key", {"kms_host": KMS1})],
        },
    ]


def arm_failures(lab: Lab) -> None:
    def arm() -> None:
        kms2 = lab.machines["kms2"].faults
        kms2.fail_method(SLS, "InstallProductKey", SL_E_INVALID_PRODUCT_KEY)
        kms2.fail_return("StdRegProv", "SetMultiStringValue", ERROR_ACCESS_DENIED)

    lab.call(arm)


def arm_denied_read(lab: Lab) -> None:
    lab.call(lab.machines["pc2"].faults.fail_method, SLP, "Enumerate", E_ACCESSDENIED)


@pytest.fixture(params=CASES)
def variant_lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    with Lab(SHAPE, http_port=0, https_port=0, variants=Variants(request.param)) as lab:
        yield lab


def run(lab: Lab, run_playbook, plays: list[dict[str, Any]], **options: Any):
    done = run_playbook(
        lab, yaml.safe_dump(plays), extra_vars={"host_key": lab.host_key}, **options
    )
    assert lab.host_key not in done.output
    return done


def all_writes(lab: Lab) -> dict[str, int]:
    return {name: len(lab.writes(name)) for name in lab.names()}


def where(lab: Lab) -> str:
    return f"under {lab.variants.differs() or 'the defaults'}"


def test_every_module_converges_fails_clearly_and_reruns_clean(variant_lab, run_playbook):
    lab = variant_lab

    # 1. Check mode on a fresh fleet: each change is predicted; nothing is written.
    checked = run(lab, run_playbook, converge_tasks(), check=True, diff=True)
    assert checked.rc == 0, f"{where(lab)}:\n{checked.output[-4000:]}"
    for host, name in (("kms1", "host key"), ("kms1", "publish list"), ("pc1", "client")):
        assert checked.result(host, name)["changed"] is True, (where(lab), host, name)
    assert sum(all_writes(lab).values()) == 0, (where(lab), all_writes(lab))

    # 2. The real run: converge, and one failure per module.
    arm_failures(lab)
    first = run(lab, run_playbook, converge_tasks() + failure_plays())
    assert first.status("kms1", "host key") == "ok", first.output[-4000:]
    for host, name in (("kms1", "host key"), ("kms1", "publish list"), ("pc1", "client")):
        result = first.result(host, name)
        assert result["changed"] is True, (where(lab), host, name, result)
    assert first.result("kms1", "activation info")["kms_activation"]["is_kms_host"] is True, where(
        lab
    )
    assert (
        first.result("pc1", "client info")["kms_activation"]["windows"]["channel"] == "Volume:GVLK"
    ), where(lab)

    refused = first.result("kms2", "refused host key")
    assert first.status("kms2", "refused host key") == "failed", (where(lab), refused)
    assert refused["hresult"] == "0xC004F050", (where(lab), refused)
    denied = first.result("kms2", "denied publish list")
    assert first.status("kms2", "denied publish list") == "failed", (where(lab), denied)
    assert "SetMultiStringValue" in denied["msg"], (where(lab), denied)
    unreachable = first.result("pc2", "unreachable host")
    assert first.status("pc2", "unreachable host") == "failed", (where(lab), unreachable)
    assert unreachable["hresult"] == "0xC004F074", (where(lab), unreachable)

    arm_denied_read(lab)
    second = run(lab, run_playbook, later_plays())
    read = second.result("pc2", "denied read")
    assert second.status("pc2", "denied read") == "failed", (where(lab), read)
    assert read["hresult"] == "0x80070005", (where(lab), read)
    below = second.result("pc3", "below threshold")
    assert second.status("pc3", "below threshold") == "ok", (where(lab), below)
    assert below["activation"]["state"] == "below_threshold", (where(lab), below)
    assert below["activation"]["hresult"] == "0xC004F038", (where(lab), below)

    # 3. Again, plain and in check mode: nothing to change, nothing written.
    before = all_writes(lab)
    again = run(lab, run_playbook, converge_tasks() + converge_tasks(check_mode=True), diff=True)
    assert again.rc == 0, f"{where(lab)}:\n{again.output[-4000:]}"
    changed = [r for r in again.results if r["result"].get("changed")]
    assert not changed, (where(lab), changed)
    assert all_writes(lab) == before, (where(lab), before, all_writes(lab))
