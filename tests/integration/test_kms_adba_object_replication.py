"""kms_adba_object never burns a CSVLK activation twice (issue 16), against the lab's Samba forest.

Each DoActiveDirectoryOnlineActivation that reaches Microsoft uses one of the CSVLK's limited
activations (the lab's activation authority counts them). Two cases where the controller cannot
see at once what Windows did:

- Windows wrote the object on another domain controller (the lab's ``Directory.write_elsewhere``:
  the machine's locator moves to ``dc2``, which the controller cannot reach, and the object waits
  there until ``replicate()``). The first run reports the change with a warning, the next one
  stops before anything is sent, and once replicated the run converges with no WS-Man request.
- The call does not answer in time (``Lab.slow_method``: it runs to its end on the host, the
  client gets w:TimedOut). When the object shows afterwards the run reports the change; when it
  does not, the outcome is unknown and the task says how to check, never "run again".

Under both values of ``ntdomain_dc_name`` (how Win32_NTDomain names the DC).
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
from kmslab.variants import Variants

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]

NAME = "WS2022 forest"
SLS = "SoftwareLicensingService"
METHOD = "DoActiveDirectoryOnlineActivation"


@pytest.fixture(scope="module", autouse=True)
def samba_installed() -> None:
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"


@pytest.fixture(scope="module", params=["dns", "flat"], ids=lambda v: f"ntdomain_dc_name={v}")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    variants = Variants({"ntdomain_dc_name": request.param})
    with Lab(adba(), http_port=0, https_port=0, variants=variants) as running:
        yield running


def task(lab: Lab, **options: Any) -> dict[str, Any]:
    ad = yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())
    return {
        "name": "t0",
        "ignore_errors": True,
        "volact.kms.kms_adba_object": {
            "ldap_server": ad["kmslab_ad_server"],
            "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
            "ldap_port": ad["kmslab_ad_ldaps_port"],
            "ldap_ca_path": ad["kmslab_ad_ca"],
            "ldap_auth": "simple",
            "ldap_user": ad["kmslab_ad_admin"],
            "ldap_password": ad["kmslab_ad_admin_password"],
            **options,
        },
    }


def once(lab: Lab, run_playbook, **options: Any) -> dict[str, Any]:
    options.setdefault("product_key", "{{ adba_csvlk }}")
    text = yaml.safe_dump(
        [{"hosts": "adm1", "gather_facts": False, "tasks": [task(lab, **options)]}]
    )
    run = run_playbook(lab, text, extra_vars={"adba_csvlk": lab.host_key})
    assert lab.host_key not in run.output
    return {**run.result("adm1", "t0"), "failed": run.status("adm1", "t0") == "failed"}


def activations(lab: Lab) -> int:
    """Activations Microsoft's (the lab's) activation service counted for the forest."""
    forest = f"forest:{lab.fleet.directory.domain}"
    return lab.call(
        lambda: sum(1 for _masked, hw in lab.fleet.authority.activations if hw == forest)
    )


def calls(lab: Lab) -> int:
    return sum(1 for w in lab.writes("adm1") if METHOD in str(w))


def elsewhere(lab: Lab) -> str:
    directory = lab.fleet.directory
    dc2 = f"dc2.{directory.domain}"
    lab.call(lambda: directory.write_elsewhere.__setitem__(lab.machines["adm1"].fqdn, dc2))
    return dc2


def replicated(lab: Lab) -> None:
    directory = lab.fleet.directory

    def settle() -> None:
        directory.write_elsewhere.clear()
        directory.replicate()
        directory.locator.clear()

    lab.call(settle)


def remove(lab: Lab, run_playbook) -> None:
    gone = once(lab, run_playbook, name=NAME, state="absent", product_key=None)
    assert not gone["failed"], gone
    assert gone["objects"] == []


def test_an_object_written_on_another_dc_is_not_activated_twice(lab: Lab, run_playbook) -> None:
    before = activations(lab)
    dc2 = elsewhere(lab)
    made = once(lab, run_playbook, name=NAME)
    assert not made["failed"], made
    assert made["changed"] is True
    assert made["object"]["dn"] is None  # as predicted: no DC the controller reads shows it
    assert made["object"]["partial_product_key"] == lab.host_key[-5:]
    assert made["object"]["name"] == NAME
    warning = " ".join(made["warnings"])
    assert "succeeded, but" in warning
    assert "do not run the task again until it shows" in warning
    shown = (
        dc2 if lab.variants["ntdomain_dc_name"] == "dns" else dc2.split(".", maxsplit=1)[0].upper()
    )
    assert dc2 in warning or shown in warning
    assert activations(lab) == before + 1

    again = once(lab, run_playbook, name=NAME)
    assert again["failed"], again
    assert again["msg"].startswith("ldap_server: adm1 writes activation objects on its domain")
    assert "another of the CSVLK's activations" in again["msg"]
    assert "Nothing was sent." in again["msg"]
    checked = once(lab, run_playbook, name=NAME)  # the same in check mode: nothing sent either
    assert checked["failed"]
    assert activations(lab) == before + 1
    assert calls(lab) == 1

    replicated(lab)
    converged = once(lab, run_playbook, name=NAME)
    assert converged["changed"] is False, converged
    assert converged["object"]["dn"].startswith("CN=")
    assert converged["wsman"]["requests"] == 0  # converged: LDAP only
    assert activations(lab) == before + 1
    remove(lab, run_playbook)


def test_a_slow_activation_is_read_back_not_repeated(lab: Lab, run_playbook) -> None:
    before, sent = activations(lab), calls(lab)
    lab.slow_method("adm1", METHOD, 90, class_name=SLS, times=1)
    made = once(lab, run_playbook, name=NAME)
    assert not made["failed"], made
    assert made["changed"] is True
    assert made["object"]["dn"].startswith("CN=")
    assert "did not answer in time, but the activation object" in " ".join(made["warnings"])
    assert lab.counters("adm1").faults.get("w:TimedOut", 0) >= 1
    again = once(lab, run_playbook, name=NAME)
    assert again["changed"] is False
    assert again["wsman"]["requests"] == 0
    assert activations(lab) == before + 1
    assert calls(lab) == sent + 1
    remove(lab, run_playbook)


def test_an_unknown_outcome_says_how_to_check(lab: Lab, run_playbook) -> None:
    """Slow, and written on a DC the controller does not read: nothing shows after the timeout."""
    before, sent = activations(lab), calls(lab)
    elsewhere(lab)
    lab.slow_method("adm1", METHOD, 90, class_name=SLS, times=1)
    lost = once(lab, run_playbook, name=NAME)
    assert lost["failed"], lost
    assert "whether Windows activated the forest is unknown" in lost["msg"]
    assert "Do not run the task again before checking: slmgr /ao-list on adm1" in lost["msg"]
    assert "volact.kms.kms_adba_object_info" in lost["msg"]
    assert "run the task again later" not in lost["msg"].lower()
    again = once(lab, run_playbook, name=NAME)
    assert again["failed"], again  # the locator now names dc2: stopped before sending
    assert "Nothing was sent." in again["msg"]
    assert activations(lab) == before + 1
    assert calls(lab) == sent + 1
    replicated(lab)
    converged = once(lab, run_playbook, name=NAME)
    assert converged["changed"] is False
    remove(lab, run_playbook)
