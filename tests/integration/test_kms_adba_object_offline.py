"""kms_adba_object by phone (``activation: offline``, issue 16) against the lab's Samba forest.

As an administrator does it with slmgr: ``/ad-activation-get-iid`` gives the installation ID
(the first run fails with it, nothing changed), Microsoft's activation centre gives a
confirmation ID for it (the lab's ``ActivationAuthority.confirm``, which counts the activation),
``/ad-activation-apply-cid`` deposits it and Windows writes the object (the second run). Check
mode, idempotency, a wrong confirmation ID (0xC004F04D) and bad input are covered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab
from kmslab.presets import adba
from kmslab.samba import missing_tools

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]

NAME = "WS2022 by phone"
DEPOSIT = "DepositActiveDirectoryOfflineActivationConfirmation"


@pytest.fixture(scope="module", autouse=True)
def samba_installed() -> None:
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(adba(), http_port=0, https_port=0) as running:
        yield running


def task(lab: Lab, n: int, **options: Any) -> dict[str, Any]:
    ad = yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())
    return {
        "name": f"t{n}",
        "ignore_errors": True,
        "volact.kms.kms_adba_object": {
            "ldap_server": ad["kmslab_ad_server"],
            "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
            "ldap_port": ad["kmslab_ad_ldaps_port"],
            "ldap_ca_path": ad["kmslab_ad_ca"],
            "ldap_auth": "simple",
            "ldap_user": ad["kmslab_ad_admin"],
            "ldap_password": ad["kmslab_ad_admin_password"],
            "name": NAME,
            "product_key": "{{ adba_csvlk }}",
            **options,
        },
    }


def play(lab: Lab, run_playbook, tasks: list[dict[str, Any]], **extra: Any) -> list[dict]:
    text = yaml.safe_dump(
        [
            {
                "hosts": "adm1",
                "gather_facts": False,
                "tasks": [task(lab, n, **t) for n, t in enumerate(tasks)],
            }
        ]
    )
    run = run_playbook(lab, text, extra_vars={"adba_csvlk": lab.host_key}, **extra)
    assert lab.host_key not in run.output
    return [
        {**run.result("adm1", f"t{n}"), "failed": run.status("adm1", f"t{n}") == "failed"}
        for n in range(len(tasks))
    ]


def activations(lab: Lab) -> int:
    forest = f"forest:{lab.fleet.directory.domain}"
    return lab.call(
        lambda: sum(1 for _masked, hw in lab.fleet.authority.activations if hw == forest)
    )


def deposits(lab: Lab) -> int:
    return sum(1 for w in lab.writes("adm1") if DEPOSIT in str(w))


def stored(lab: Lab) -> list[dict[str, Any]]:
    return lab.call(lab.fleet.directory.objects)


def test_by_phone_in_two_runs(lab: Lab, run_playbook) -> None:
    before = activations(lab)
    (checked,) = play(lab, run_playbook, [{"activation": "offline"}], check=True)
    first, again = play(lab, run_playbook, [{"activation": "offline"}] * 2)
    for result in (checked, first, again):
        assert result["failed"], result
        assert result["msg"].startswith("confirmation_id: no activation object holds the key")
        assert "Nothing was changed." in result["msg"]
    assert first["wsman"]["requests"] == 3  # the service, Win32_NTDomain, the installation ID
    iid = first["installation_id"]
    assert iid == checked["installation_id"] == again["installation_id"]  # stable
    assert len(iid.replace("-", "")) == 63
    assert iid in first["msg"]
    assert stored(lab) == []
    assert activations(lab) == before

    # The administrator phones Microsoft's activation centre with the installation ID.
    key = lab.call(lambda: lab.fleet.keys.lookup(lab.host_key))
    domain = lab.fleet.directory.domain
    cid = lab.call(lambda: lab.fleet.authority.confirm(key, iid, domain))
    assert cid is not None
    assert activations(lab) == before + 1
    wrong = "-".join(["000000"] * 8)
    results = play(
        lab,
        run_playbook,
        [
            {"activation": "offline", "confirmation_id": wrong},
            {"activation": "offline", "confirmation_id": "12AB-34"},
            {"confirmation_id": cid},  # activation online: refused before anything is sent
        ],
    )
    refused, malformed, online = results
    assert refused["failed"], refused
    assert refused["hresult"] == "0xC004F04D"
    assert "confirmation_id: Windows refused the confirmation ID" in refused["msg"]
    assert malformed["failed"]
    assert malformed["msg"].startswith("confirmation_id: must hold digits only")
    assert online["failed"]
    assert online["msg"].startswith("confirmation_id: is used only with activation=offline")
    assert deposits(lab) == 1  # only the wrong one reached Windows
    assert stored(lab) == []

    spaced = cid.replace("-", " ")
    (dry,) = play(
        lab, run_playbook, [{"activation": "offline", "confirmation_id": spaced}], check=True
    )
    assert dry["changed"] is True, dry
    assert dry["object"] is None
    assert "by phone" in dry["changes"][0]
    assert stored(lab) == []
    made, converged = play(
        lab, run_playbook, [{"activation": "offline", "confirmation_id": spaced}] * 2
    )
    assert made["changed"] is True, made
    assert made["object"]["name"] == NAME
    assert made["object"]["partial_product_key"] == lab.host_key[-5:]
    assert converged["changed"] is False
    assert converged["wsman"]["requests"] == 0
    (entry,) = stored(lab)
    assert entry["msSPP-ConfirmationId"] == [cid]
    assert entry["msSPP-InstallationId"] == [iid]
    assert "msSPP-OnlineLicense" not in entry
    assert activations(lab) == before + 1  # the phone call only: depositing used none
    assert deposits(lab) == 2

    (removed,) = play(lab, run_playbook, [{"state": "absent", "product_key": None}])
    assert removed["changed"] is True
