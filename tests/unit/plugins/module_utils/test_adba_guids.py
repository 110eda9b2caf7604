# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GUIDs stored as octet strings (msSPP-CSVLKSkuId, msSPP-KMSIds), the DC the host's locator
names (Win32_NTDomain), and the advice for an RDN that is already taken."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.adba.locator import from_row
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    ActivationObject,
    decode_guid,
    parse_request,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.run import method_failure
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

DN = "CN=x,CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x"
CSVLK = "W6VVX-9C2DK-YGMK9-C6TT7-G6TCJ"  # a lab key, not Microsoft's


@given(st.uuids())
def test_a_guid_round_trips_through_its_stored_bytes(value: uuid.UUID) -> None:
    assert decode_guid(value.bytes_le) == str(value)
    assert decode_guid(bytearray(value.bytes_le)) == str(value)


@given(st.binary().filter(lambda raw: len(raw) != 16))
def test_anything_but_16_bytes_is_no_guid(raw: bytes) -> None:
    assert decode_guid(raw) is None


@given(st.text())
def test_text_is_never_taken_for_a_guid(text: str) -> None:
    assert decode_guid(text) is None


def test_the_first_three_fields_are_little_endian() -> None:
    """As Active Directory stores a GUID and slmgr /ao-list shows it."""
    raw = bytes(range(16))
    assert decode_guid(raw) == "03020100-0504-0706-0809-0a0b0c0d0e0f"


@given(st.uuids(), st.lists(st.uuids(), min_size=1, max_size=4))
def test_raw_attributes_win_over_what_ldap3_decoded(sku: uuid.UUID, kms: list[uuid.UUID]) -> None:
    """Without the schema ldap3 may hand an octet string over as text (or drop it): the raw bytes
    are read instead."""
    decoded = {
        "displayName": ["Forest"],
        "msSPP-CSVLKSkuId": [sku.bytes_le.decode("latin-1")],
        "msSPP-KMSIds": ["not bytes"],
    }
    raw = {"msSPP-CSVLKSkuId": [sku.bytes_le], "msSPP-KMSIds": [k.bytes_le for k in kms]}
    entry = ActivationObject.from_entry(DN, decoded, raw)
    assert entry.sku_id == str(sku)
    assert entry.kms_ids == tuple(str(k) for k in kms)
    assert ActivationObject.from_entry(DN, decoded).sku_id is None  # text is not guessed at


def test_the_host_dc_in_either_form() -> None:
    dns = from_row({"DomainControllerName": "\\\\dc2.ad.lab.test", "DomainName": "ad.lab.test"})
    assert dns is not None
    assert (dns.shown, dns.fqdn) == ("dc2.ad.lab.test", "dc2.ad.lab.test")
    assert dns.same_as("DC2.ad.lab.test.")
    assert not dns.same_as("dc1.ad.lab.test")
    flat = from_row({"DomainControllerName": "\\\\DC2", "DomainName": "ad.lab.test"})
    assert flat is not None
    assert flat.fqdn == "DC2.ad.lab.test"
    assert flat.same_as("dc2.ad.lab.test")
    assert not flat.same_as("dc1.ad.lab.test")
    assert from_row({"DomainControllerName": None, "DomainName": "ad.lab.test"}) is None


def test_a_taken_rdn_names_the_objects_of_the_same_product() -> None:
    sku = str(uuid.uuid4())
    by_sku = ActivationObject.from_entry(
        f"CN={sku},CN=Activation Objects,CN=Microsoft SPP,CN=Services,CN=Configuration,DC=x",
        {"displayName": "First", "cn": sku, "msSPP-CSVLKPartialProductKey": "AAAAA"},
        {"msSPP-CSVLKSkuId": [uuid.UUID(sku).bytes_le]},
    )
    request = parse_request({"name": "Second", "product_key": CSVLK})
    text = str(method_failure(0x80071392, request, "adm1", [by_sku]))
    assert "another key of the same product already has an object" in text
    assert f"'First' (key ending AAAAA, SKU ID {sku})" in text
    assert "Keep that object" in text
    assert CSVLK not in text


def test_a_confirmation_id_is_digits_in_groups() -> None:
    request = parse_request(
        {
            "name": "n",
            "product_key": CSVLK,
            "activation": "offline",
            "confirmation_id": "123456-123456 123456\u2013123456",
        }
    )
    assert request.confirmation_id == "123456" * 4
    for bad in ("12AB-34", "", "---", "١٢٣"):  # the last: Arabic-Indic digits
        with pytest.raises(KmsInputError, match="confirmation_id: must hold digits only"):
            parse_request(
                {"name": "n", "product_key": CSVLK, "activation": "offline", "confirmation_id": bad}
            )
    with pytest.raises(KmsInputError, match="confirmation_id: is used only with activation"):
        parse_request({"name": "n", "product_key": CSVLK, "confirmation_id": "123456"})
    gone = parse_request(
        {"name": "n", "state": "absent", "activation": "offline", "confirmation_id": "123456"}
    )
    assert gone.confirmation_id is None
