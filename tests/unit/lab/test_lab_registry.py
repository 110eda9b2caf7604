"""The typed registry and StdRegProv semantics: Win32 return codes, never faults."""

from __future__ import annotations

import pytest
from kmslab.model import Fleet, admin
from kmslab.model.registry import (
    ERROR_ACCESS_DENIED,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_FUNCTION,
    ERROR_INVALID_PARAMETER,
    HKEY_LOCAL_MACHINE,
    SPP_KEY,
    SUCCESS,
    WBEM_E_TYPE_MISMATCH,
    Registry,
    RegType,
    StdRegProv,
    reg_sz,
)
from kmslab.variants import Variants

HKLM = HKEY_LOCAL_MACHINE


def provider() -> StdRegProv:
    registry = Registry()
    registry.create_key(HKLM, SPP_KEY)
    return StdRegProv(registry)


def call(prov: StdRegProv, method: str, **params: object) -> dict[str, object]:
    return prov.call(method, {"hDefKey": HKLM, "sSubKeyName": SPP_KEY, **params})


def test_a_string_round_trips_and_reads_back_typed() -> None:
    prov = provider()
    set_result = call(prov, "SetStringValue", sValueName="KeyManagementServicePort", sValue="1688")
    assert set_result == {"ReturnValue": SUCCESS}
    got = call(prov, "GetStringValue", sValueName="KeyManagementServicePort")
    assert got == {"ReturnValue": SUCCESS, "sValue": "1688"}


def test_reading_with_the_wrong_type_is_a_type_mismatch() -> None:
    prov = provider()
    call(prov, "SetStringValue", sValueName="KeyManagementServicePort", sValue="1688")
    got = call(prov, "GetDWORDValue", sValueName="KeyManagementServicePort")
    assert got == {"ReturnValue": WBEM_E_TYPE_MISMATCH, "uValue": None}


@pytest.mark.parametrize("missing_value", [ERROR_INVALID_FUNCTION, ERROR_FILE_NOT_FOUND])
def test_a_missing_key_reads_as_2_and_a_missing_value_as_the_variant(missing_value: int) -> None:
    # older-windows-office-adba.md §6: a missing key is 2 (slmgr, Wine, public scripts); a value
    # missing from an existing key is 1 (a public installer script) or 2 (Wine): UNCONFIRMED.
    registry = Registry()
    registry.create_key(HKLM, SPP_KEY)
    prov = StdRegProv(registry, missing_value)
    for method, out in [
        ("GetStringValue", "sValue"),
        ("GetDWORDValue", "uValue"),
        ("GetMultiStringValue", "sValue"),
    ]:
        assert call(prov, method, sValueName="Nope") == {"ReturnValue": missing_value, out: None}
        missing_key = prov.call(method, {"sSubKeyName": r"SOFTWARE\Nope", "sValueName": "x"})
        assert missing_key == {"ReturnValue": ERROR_FILE_NOT_FOUND, out: None}
    # DeleteValue and EnumValues do not follow the variant: slmgr tolerates 2 from DeleteValue.
    assert call(prov, "DeleteValue", sValueName="Nope") == {"ReturnValue": ERROR_FILE_NOT_FOUND}
    assert prov.call("EnumValues", {"sSubKeyName": r"SOFTWARE\Nope"})["ReturnValue"] == 2


def test_the_default_provider_answers_1_for_a_missing_value() -> None:
    assert call(provider(), "GetStringValue", sValueName="Nope")["ReturnValue"] == 1


@pytest.mark.parametrize("value", ["1", "2"])
def test_a_machine_answers_a_missing_value_with_its_variant(value: str) -> None:
    machine = Fleet(variants=Variants({"registry_missing_value": value})).add(
        "kms1", "ws2022-standard"
    )
    params = {"hDefKey": HKLM, "sSubKeyName": SPP_KEY, "sValueName": "DnsDomainPublishList"}
    got = machine.cim.invoke("StdRegProv", "GetMultiStringValue", params=params)
    assert got["ReturnValue"] == int(value)
    params["sSubKeyName"] = SPP_KEY + r"\Nope"
    got = machine.cim.invoke("StdRegProv", "GetMultiStringValue", params=params)
    assert got["ReturnValue"] == ERROR_FILE_NOT_FOUND


@pytest.mark.parametrize(
    ("image", "group"),
    [("ws2022-standard", "ws2022"), ("ws2019-standard", "ws2019"), ("win10-enterprise", "win10")],
)
def test_a_fresh_kms_host_has_no_publishing_values(image: str, group: str) -> None:
    # kms-facts §2.2: DnsDomainPublishList and DisableDnsPublishing are set by an administrator
    # (or slmgr /cdns); a fresh host has neither, however it became a KMS host.
    fleet = Fleet()
    machine = fleet.add("kms1", image)
    assert admin.setup_kms_host(machine, fleet.keys.csvlk(group).key) == 0
    assert machine.spp.is_kms_host
    _code, names, _types = machine.registry.enum_values(HKLM, SPP_KEY)
    assert not {"dnsdomainpublishlist", "disablednspublishing"} & {n.casefold() for n in names}


def test_set_fails_when_the_key_does_not_exist_until_it_is_created() -> None:
    prov = provider()
    path = SPP_KEY + r"\55c92734-d682-4d71-983e-d6ec3f16059f"
    params = {"sSubKeyName": path, "sValueName": "KeyManagementServiceName", "sValue": "kms1"}
    assert prov.call("SetStringValue", params)["ReturnValue"] == ERROR_FILE_NOT_FOUND
    assert prov.call("CreateKey", {"sSubKeyName": path})["ReturnValue"] == SUCCESS
    assert prov.call("SetStringValue", params)["ReturnValue"] == SUCCESS


def test_dword_and_multi_string_values_keep_their_types() -> None:
    prov = provider()
    call(prov, "SetDWORDValue", sValueName="VLRenewalInterval", uValue=1440)
    entries = ["corp.lab.test, 0, 100", "branch.lab.test, 10, 20"]
    call(prov, "SetMultiStringValue", sValueName="DnsDomainPublishList", sValue=entries)
    assert call(prov, "GetDWORDValue", sValueName="VLRenewalInterval")["uValue"] == 1440
    got = call(prov, "GetMultiStringValue", sValueName="DnsDomainPublishList")
    assert got["sValue"] == entries
    listing = call(prov, "EnumValues")
    assert listing == {
        "ReturnValue": SUCCESS,
        "sNames": ["VLRenewalInterval", "DnsDomainPublishList"],
        "Types": [int(RegType.REG_DWORD), int(RegType.REG_MULTI_SZ)],
    }


def test_names_are_case_insensitive_and_keep_their_first_spelling() -> None:
    prov = provider()
    call(prov, "SetDWORDValue", sValueName="DisableDnsPublishing", uValue=1)
    call(prov, "SetDWORDValue", sValueName="disablednspublishing", uValue=0)
    lowered = prov.call(
        "GetDWORDValue", {"sSubKeyName": SPP_KEY.lower(), "sValueName": "DISABLEDNSPUBLISHING"}
    )
    assert lowered["uValue"] == 0
    assert call(prov, "EnumValues")["sNames"] == ["disablednspublishing"]


def test_delete_value_reports_a_missing_value() -> None:
    prov = provider()
    call(prov, "SetStringValue", sValueName="KeyManagementServiceName", sValue="kms1")
    assert call(prov, "DeleteValue", sValueName="KeyManagementServiceName")["ReturnValue"] == 0
    assert (
        call(prov, "DeleteValue", sValueName="KeyManagementServiceName")["ReturnValue"]
        == ERROR_FILE_NOT_FOUND
    )


def test_a_key_with_subkeys_cannot_be_deleted() -> None:
    prov = provider()
    parent = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
    assert prov.call("DeleteKey", {"sSubKeyName": parent})["ReturnValue"] == ERROR_ACCESS_DENIED
    assert prov.call("DeleteKey", {"sSubKeyName": SPP_KEY})["ReturnValue"] == SUCCESS
    assert prov.call("EnumKey", {"sSubKeyName": parent}) == {"ReturnValue": 0, "sNames": []}


def test_bad_input_is_an_invalid_parameter_not_a_crash() -> None:
    prov = provider()
    assert call(prov, "SetDWORDValue", sValueName="x", uValue=2**32)["ReturnValue"] == 87
    assert call(prov, "SetBinaryValue", sValueName="x", uValue=[1, 300])["ReturnValue"] == 87
    bad_hive = prov.call("GetStringValue", {"hDefKey": 12, "sSubKeyName": SPP_KEY})
    assert bad_hive == {"ReturnValue": ERROR_INVALID_PARAMETER}


def test_binary_values_read_back_as_byte_lists() -> None:
    prov = provider()
    assert call(prov, "SetBinaryValue", sValueName="Blob", uValue=[1, 2, 255])["ReturnValue"] == 0
    assert call(prov, "GetBinaryValue", sValueName="Blob")["uValue"] == [1, 2, 255]


def test_lab_side_put_creates_missing_keys() -> None:
    registry = Registry()
    registry.put(r"SOFTWARE\Lab\Deep\Key", "Name", reg_sz("value"))
    assert registry.read(HKLM, r"software\lab\deep\key", "name", RegType.REG_SZ) == (
        SUCCESS,
        reg_sz("value"),
    )
