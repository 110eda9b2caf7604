"""kms_adba_object_info against the lab's real Samba AD forest (issue 16), with real
ansible-playbook: the forest's activation objects listed from the controller over LDAPS, on
``hosts: localhost`` with ``connection: local`` and with ``delegate_to: localhost`` from a Windows
host's play, with no WS-Man request; the same item shape as kms_adba_object's ``objects``; a
forest not prepared for ADBA is an empty list, not a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab
from kmslab.model.directory import Caller
from kmslab.presets import adba
from kmslab.samba import missing_tools

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]

NAME = "WS2022 forest"
KEYS = {"name", "dn", "activation_id", "partial_product_key", "extended_pid", "kms_ids", "created"}


@pytest.fixture(scope="module", autouse=True)
def samba_installed() -> None:
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(adba(), http_port=0, https_port=0) as running:
        yield running


def ldap(lab: Lab, reader: bool = False) -> dict[str, Any]:
    ad = yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())
    who = "reader" if reader else "admin"
    return {
        "ldap_server": ad["kmslab_ad_server"],
        "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
        "ldap_port": ad["kmslab_ad_ldaps_port"],
        "ldap_ca_path": ad["kmslab_ad_ca"],
        "ldap_auth": "simple",
        "ldap_user": ad[f"kmslab_ad_{who}"],
        "ldap_password": ad[f"kmslab_ad_{who}_password"],
    }


def local_play(tasks: list[dict[str, Any]]) -> str:
    named = [{"name": f"t{n}", "ignore_errors": True, **task} for n, task in enumerate(tasks)]
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": named}
    return yaml.safe_dump([play], sort_keys=False)


def info(lab: Lab, reader: bool = True, **options: Any) -> dict[str, Any]:
    return {"volact.kms.kms_adba_object_info": {**ldap(lab, reader), **options}}


def result(run, task: str = "t0", host: str = "localhost") -> dict[str, Any]:
    return {**run.result(host, task), "failed": run.status(host, task) == "failed"}


def test_lists_what_kms_adba_object_made(lab: Lab, run_playbook) -> None:
    empty = result(run_playbook(lab, local_play([info(lab)])))
    assert not empty["failed"], empty
    assert (empty["objects"], empty["container_present"]) == ([], True)
    assert empty["changed"] is False

    made_play = [
        {
            "hosts": "adm1",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "t0",
                    "volact.kms.kms_adba_object": {
                        **ldap(lab),
                        "name": NAME,
                        "product_key": "{{ adba_csvlk }}",
                    },
                },
                # From the Windows host's play, on the controller: no WS-Man request.
                {"name": "t1", "delegate_to": "localhost", **info(lab)},
            ],
        }
    ]
    made = run_playbook(lab, yaml.safe_dump(made_play), extra_vars={"adba_csvlk": lab.host_key})
    created = made.result("adm1", "t0")
    delegated = result(made, "t1", "adm1")
    assert not delegated["failed"], made.output
    assert delegated["objects"] == created["objects"]  # the same shape, the same values
    assert "wsman" not in delegated  # no WS-Man session at all
    assert set(delegated["objects"][0]) == KEYS
    assert delegated["objects"][0]["activation_id"] == created["object"]["activation_id"]
    assert lab.host_key not in made.output

    tasks = [info(lab, name="ws2022 FOREST"), info(lab, name="nothing"), info(lab, name="a,b")]
    run = run_playbook(lab, local_play(tasks), check=True)
    found, none, bad = (result(run, f"t{i}") for i in range(3))
    assert [o["name"] for o in found["objects"]] == [NAME]
    assert found["objects"][0]["partial_product_key"] == lab.host_key[-5:]
    assert len(found["objects"][0]["kms_ids"]) > 1
    assert found["container"].startswith("CN=Activation Objects,CN=Microsoft SPP,CN=Services,")
    assert none["objects"] == []
    assert bad["failed"]
    assert bad["msg"].startswith("name: contains ','")

    # kms_adba_object's base opens the task's WS-Man connection even to remove, so it runs from
    # the Windows host's play (on localhost it refuses the local connection).
    cleanup = {
        "name": "t0",
        "volact.kms.kms_adba_object": {**ldap(lab), "name": NAME, "state": "absent"},
    }
    play = {"hosts": "adm1", "gather_facts": False, "tasks": [cleanup]}
    gone = run_playbook(lab, yaml.safe_dump([play]))
    assert gone.result("adm1", "t0")["changed"] is True, gone.output


def test_a_forest_not_prepared_is_an_empty_list(lab: Lab, run_playbook) -> None:
    container = lab.fleet.directory.container_dn

    def remove() -> None:
        connection = lab.forest.connect(Caller.ENTERPRISE_ADMIN)
        connection.delete(container)
        connection.unbind()

    def restore() -> None:
        connection = lab.forest.connect(Caller.ENTERPRISE_ADMIN)
        attributes = {"showInAdvancedViewOnly": "TRUE"}
        connection.add(container, ["top", "msSPP-ActivationObjectsContainer"], attributes)
        connection.unbind()

    lab.call(remove)
    try:
        listed = result(run_playbook(lab, local_play([info(lab)])))
    finally:
        lab.call(restore)
    assert not listed["failed"], listed
    assert listed["objects"] == []
    assert listed["container_present"] is False
    assert listed["container"] == container


def test_bad_ldap_options_name_the_field(lab: Lab, run_playbook) -> None:
    # The password from a vars file, as a vault gives it: ansible-core prints a failed task's
    # source, and -vvvv the values of -e given inline.
    secret = "{{ kmslab_ad_reader_password }}"
    tasks = [
        info(lab, ldap_port=1, ldap_password=secret),
        info(lab, ldap_password="wrong"),
        info(lab, ldap_password=secret),
    ]
    password = ldap(lab, reader=True)["ldap_password"]
    ad_file = lab.state_dir / "active-directory.yml"
    run = run_playbook(lab, local_play(tasks), verbosity=4, extra_args=["-e", f"@{ad_file}"])
    assert password not in run.output  # no_log, even at -vvvv
    assert not result(run, "t2")["failed"]
    unreachable, refused = result(run, "t0"), result(run, "t1")
    assert unreachable["failed"]
    assert unreachable["msg"].startswith("ldap_server: the forest cannot be reached")
    assert refused["failed"]
    assert refused["msg"].startswith("ldap_user: the domain controller")
    assert "wrong" not in refused["msg"]
