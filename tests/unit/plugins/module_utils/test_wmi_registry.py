# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The StdRegProv client: which ReturnValues mean "not there" (older-windows-office-adba.md §6).

Microsoft documents only "a nonzero WinError.h code". A missing key is 2 (slmgr.vbs, Wine, public
scripts); a value missing from an existing key is 1 (a public installer script) or 2 (Wine), so
the client must read both as absent, and the lab serves both (variant registry_missing_value).
"""

from __future__ import annotations

from typing import Any

import pytest
from kmslab.model import Fleet, admin
from kmslab.provider import ModelProvider
from kmslab.variants import Variants
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import (
    FIELD,
    parse_domains,
)
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    DISABLE_PUBLISHING,
    HostList,
    make_plan,
    read_disable,
    read_host_list,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import (
    Registry,
    RegistryError,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import MethodResult
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession


class Scripted:
    """A session whose every StdRegProv call answers ``code`` (and no out parameters)."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.calls: list[str] = []

    def invoke(self, class_name: str, method: str, *_args: Any, **_kwargs: Any) -> MethodResult:
        assert class_name == "StdRegProv"
        self.calls.append(method)
        return MethodResult(self.code, {})


@pytest.mark.parametrize("code", [1, 2])
@pytest.mark.parametrize("kind", ["REG_SZ", "REG_DWORD", "REG_MULTI_SZ"])
def test_get_reads_1_and_2_as_not_there(code: int, kind: str) -> None:
    session = Scripted(code)
    assert Registry(session).get("DnsDomainPublishList", kind) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [3, 5, 87])
def test_get_raises_on_every_other_code(code: int) -> None:
    with pytest.raises(RegistryError) as caught:
        Registry(Scripted(code)).get("DnsDomainPublishList", "REG_MULTI_SZ")  # type: ignore[arg-type]
    assert caught.value.code == code
    assert "GetMultiStringValue of SOFTWARE" in str(caught.value)


def test_enum_values_reads_only_2_as_a_missing_key() -> None:
    assert Registry(Scripted(2)).enum_values() is None  # type: ignore[arg-type]
    with pytest.raises(RegistryError) as caught:
        Registry(Scripted(1)).enum_values()  # type: ignore[arg-type]
    assert caught.value.code == 1


@pytest.mark.parametrize(("code", "deleted"), [(0, True), (1, False), (2, False)])
def test_delete_reads_1_and_2_as_already_gone(code: int, deleted: bool) -> None:
    assert Registry(Scripted(code)).delete(FIELD) is deleted  # type: ignore[arg-type]


def test_delete_refused_is_an_error_not_already_gone() -> None:
    # slmgr.vbs ignores 5 only for its best-effort clean-up of KeyManagementServiceVersion (§6);
    # a value we must remove may still be there after 5.
    with pytest.raises(RegistryError) as caught:
        Registry(Scripted(5)).delete(FIELD)  # type: ignore[arg-type]
    assert caught.value.code == 5


# Over the wire, against a lab machine under both forms ------------------------------------------
def session_for(machine: Any) -> CimSession:
    service = WsmanService(machine.fqdn, ModelProvider(machine))

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send)


@pytest.mark.parametrize("missing_value", ["1", "2"])
def test_a_fresh_kms_host_reads_as_no_list_and_publishing_on(missing_value: str) -> None:
    fleet = Fleet(variants=Variants({"registry_missing_value": missing_value}))
    host = fleet.add("kms1", "ws2022-standard")
    assert admin.setup_kms_host(host, fleet.keys.csvlk("ws2022").key) == 0
    registry = Registry(session_for(host))
    held = read_host_list(registry)
    disable = read_disable(registry)
    assert held == HostList()
    assert (disable.value, disable.wrong_type, disable.disabled) == (None, False, False)
    names = registry.enum_values()
    assert names is not None
    assert FIELD not in names
    assert DISABLE_PUBLISHING not in names
    plan = make_plan(held, parse_domains(["branch.lab.test"]), "present", disable, False)
    assert plan.list_changed
    assert not plan.disable_changed  # no value already means publishing on
    # A missing key is 2 under both forms.
    assert Registry(session_for(host), path=r"SOFTWARE\Nope").get(FIELD, "REG_MULTI_SZ") is None
    assert Registry(session_for(host), path=r"SOFTWARE\Nope").enum_values() is None
    assert Registry(session_for(host)).delete(FIELD) is False
