# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kms_adba_object's rules without a directory: names, the request, decoding activation objects
as LDAP returns them, the LDAP settings, and what each HRESULT of the online activation says."""

from __future__ import annotations

import uuid

import pytest

from ansible_collections.volact.kms.plugins.module_utils.adba.directory import LdapSettings
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    ActivationObject,
    check_name,
    parse_request,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.run import method_failure
from ansible_collections.volact.kms.plugins.module_utils.client import activation_type
from ansible_collections.volact.kms.plugins.module_utils.client.options import (
    parse_request as client_request,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    MODERN,
    WIN7,
)

CSVLK = "W6VVX-9C2DK-YGMK9-C6TT7-G6TCJ"  # a lab key, not Microsoft's
WS2022_GVLK = "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"


def test_names_up_to_40_characters_pass() -> None:
    assert check_name("x" * 40) == "x" * 40
    assert check_name("Office LTSC 2024 (forest)") == "Office LTSC 2024 (forest)"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("x" * 41, "is 41 characters long"),
        ("", "is empty"),
        ("  ", "is empty"),
        (" lead", "blanks"),
        ("a,b", "contains ','"),
        ('a"b', "contains '\"'"),
        ("a\\b", "contains '\\\\'"),
        ("tab\there", "U+0009"),
        (None, "is empty"),
    ],
)
def test_bad_names_are_refused_with_the_field(name: object, said: str) -> None:
    with pytest.raises(KmsInputError) as raised:
        check_name(name)
    assert raised.value.field == "name"
    assert said in str(raised.value)


def test_present_needs_a_csvlk_and_never_a_gvlk() -> None:
    with pytest.raises(KmsInputError, match="product_key: is required"):
        parse_request({"name": "n", "state": "present"})
    with pytest.raises(KmsInputError, match=r"product_key: .*published GVLK"):
        parse_request({"name": "n", "state": "present", "product_key": WS2022_GVLK})
    request = parse_request({"name": "n", "state": "present", "product_key": CSVLK.lower()})
    assert request.key is not None
    assert request.key.partial == "G6TCJ"
    assert CSVLK not in repr(request)
    assert parse_request({"name": "n", "state": "absent", "product_key": CSVLK}).key is None


def test_objects_decode_as_ldap_returns_them() -> None:
    sku = uuid.uuid4()
    kms = [uuid.uuid4(), uuid.uuid4()]
    dn = "CN=Forest,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x"
    entry = ActivationObject.from_entry(
        dn,
        {
            "displayName": "WS2022 Forest",
            "cn": "Forest",
            "msSPP-CSVLKSkuId": sku.bytes_le,
            "msSPP-CSVLKPartialProductKey": "G6TCJ",
            "msSPP-CSVLKPid": "00000-00000-000-000000-03-1033-9600.0000-0012026",
            "msSPP-KMSIds": [k.bytes_le for k in kms],
        },
    )
    assert entry.sku_id == str(sku)
    assert entry.kms_ids == tuple(str(k) for k in kms)
    assert entry.named("ws2022 forest")
    assert entry.named("FOREST")  # by its RDN too
    assert not entry.named("other")
    request = parse_request({"name": "n", "product_key": CSVLK})
    assert request.key is not None
    assert entry.holds(request.key)
    assert entry.result()["activation_id"] == str(sku)
    bare = ActivationObject.from_entry(dn, {"cn": ["Forest"]})
    assert bare.name == "Forest"
    assert bare.sku_id is None


def test_ldap_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(KmsInputError, match="ldap_user: and ldap_password"):
        LdapSettings.from_args({"ldap_server": "dc1", "ldap_auth": "simple", "ldap_user": "u"})
    with pytest.raises(KmsInputError, match="ldap_port"):
        LdapSettings.from_args({"ldap_server": "dc1", "ldap_port": 70000})
    with pytest.raises(KmsInputError, match="ldap_server: is required"):
        LdapSettings.from_args({})
    settings = LdapSettings.from_args({"ldap_server": "10.0.0.1", "ldap_server_fqdn": "dc1.x"})
    assert (settings.port, settings.auth, settings.server_fqdn) == (636, "kerberos", "dc1.x")


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (0x80072020, "second hop"),
        (0x80070005, "Enterprise Admins"),
        (0x80072030, "adprep /forestprep"),
        (0x80071392, "another key of the same product already has an object"),
        (0x8007054B, "not a member of a domain"),
        (0xC004F050, "product_key:"),
        (0xC004C008, "used up its activations"),
        (0xDEADBEEF, "See hresult"),
    ],
)
def test_each_failure_of_the_online_activation_says_what_to_do(code: int, said: str) -> None:
    request = parse_request({"name": "Forest", "product_key": CSVLK})
    error = method_failure(code, request, "adm1")
    assert error.hresult == code
    assert said in str(error)
    assert CSVLK not in str(error)
    if code in (0x80072020, 0x80070005):
        assert "CredSSP" in str(error)
        assert "domain controller" in str(error)


def test_only_windows_8_and_later_have_the_method() -> None:
    assert "DoActiveDirectoryOnlineActivation" in MODERN.service_methods
    assert "DoActiveDirectoryOnlineActivation" not in WIN7.service_methods


def test_the_client_activation_type_is_parsed_and_reported() -> None:
    assert client_request({"activation_type": "ad"}).activation_type == 1
    assert client_request({"activation_type": "all"}).activation_type == 0
    assert client_request({}).activation_type is None
    with pytest.raises(KmsInputError, match="activation_type: applies to the Windows product"):
        client_request({"activation_type": "kms", "product": "office"})
    dn = "CN=Forest,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=ad"
    sku = "8ab9bdd1-1f67-4997-82d9-8878520837d9"
    state = activation_type.TypeState(1, 1, "Forest", dn, sku, "03612-03858")
    assert state.facts() == {
        "activation_type": "ad",
        "activated_by": "ad",
        "activation_object": "Forest",
        "activation_object_dn": dn,
        "activation_object_sku_id": sku,
        "activation_object_extended_pid": "03612-03858",
    }
    # Windows keeps the last AD activation's object after a KMS one: not shown as the source
    by_kms = activation_type.TypeState(0, 2, "Forest", dn, sku, "03612-03858").facts()
    assert by_kms["activation_object_dn"] is None
    assert by_kms["activation_object_sku_id"] is None
    assert activation_type.TypeState(0, None, None).facts()["activated_by"] is None
    with pytest.raises(KmsError, match="not a GUID"):
        activation_type.read(None, "x' OR 1=1 --")  # type: ignore[arg-type]
