# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_publish_list's host facts against lab machines: a host key installed but not yet started
still makes a KMS host, under both values of the lab variant ``kms_flag_after_install``.

No source says IsKeyManagementServiceMachine turns 1 at InstallProductKey (kms-facts.md §2.6
only says to restart sppsvc after /ipk), so the records a new host will publish once sppsvc has
started again are expected, and no "not a KMS host" warning is given for it.
"""

from __future__ import annotations

import pytest
from kmslab.model import Fleet
from kmslab.provider import ModelProvider
from kmslab.variants import Variants
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import PublishEntry
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    HostList,
    expected_records,
    plan_list,
    read_host_facts,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

FLAGS = ("immediate", "after_restart")


def session_and_machine(flag: str, name: str, image: str):
    fleet = Fleet(zones=["corp.lab.test"], variants=Variants({"kms_flag_after_install": flag}))
    machine = fleet.add(name, image, domain="corp.lab.test")
    service = WsmanService(machine.fqdn, ModelProvider(machine))

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send), machine, fleet


@pytest.mark.parametrize("flag", FLAGS)
def test_a_host_key_not_yet_started_makes_a_kms_host(flag: str) -> None:
    session, machine, fleet = session_and_machine(flag, "kms1", "ws2022-standard")
    machine.spp.install_product_key(fleet.keys.csvlk("ws2022").key)
    facts = read_host_facts(session)
    assert facts.is_kms_host
    plan = plan_list(HostList(), [PublishEntry("branch.lab.test", 10, 50)], "present")
    records, warning = expected_records(plan, facts)
    assert warning == ""
    assert [(r["domain"], r["priority"], r["weight"]) for r in records] == [
        ("corp.lab.test", 0, 0),
        ("branch.lab.test", 10, 50),
    ]


@pytest.mark.parametrize("flag", FLAGS)
def test_a_machine_without_a_host_key_is_no_kms_host_and_is_told_why(flag: str) -> None:
    session, _machine, _fleet = session_and_machine(flag, "pc1", "win11-pro")
    facts = read_host_facts(session)
    assert not facts.is_kms_host
    records, warning = expected_records(plan_list(HostList(), [], "present"), facts)
    assert records == []
    assert warning.startswith("the host is not a KMS host (no KMS host key is installed)")
