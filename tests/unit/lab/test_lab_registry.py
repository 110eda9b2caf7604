"""The typed registry and StdRegProv semantics: Win32 return codes, never faults."""

from __future__ import annotations

from kmslab.model.registry import (
    ERROR_ACCESS_DENIED,
    ERROR_FILE_NOT_FOUND,
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


def test_a_missing_value_or_key_reads_as_file_not_found() -> None:
    prov = provider()
    assert call(prov, "GetStringValue", sValueName="Nope") == {
        "ReturnValue": ERROR_FILE_NOT_FOUND,
        "sValue": None,
    }
    missing_key = prov.call("GetStringValue", {"sSubKeyName": r"SOFTWARE\Nope", "sValueName": "x"})
    assert missing_key["ReturnValue"] == ERROR_FILE_NOT_FOUND


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
