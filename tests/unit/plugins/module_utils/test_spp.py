"""Reading SPP state: which product is "the" Windows product, and what the rows mean."""

from __future__ import annotations

import pytest

from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import ChannelKind
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    ProductSelectionError,
    Service,
    office_products,
    primary_windows_product,
    products_wql,
)


def row(**overrides):
    base = {
        "ID": "b71515d9-89a2-4c60-88c8-656fbcca7f3a",
        "Name": "Windows(R), ServerStandard edition",
        "Description": "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
        "ApplicationID": WINDOWS_APP_ID.upper(),
        "LicenseFamily": "ServerStandard",
        "PartialProductKey": "VMK7H",
        "ProductKeyChannel": "Volume:GVLK",
        "LicenseIsAddon": False,
        "LicenseStatus": 1,
        "GracePeriodRemaining": 259200,
        "IsKeyManagementServiceMachine": 0,
        "KeyManagementServiceCurrentCount": 4294967295,
        "KeyManagementServicePort": 0,
        "KeyManagementServiceMachine": None,
    }
    return Product.from_row({**base, **overrides})


def test_products_query_selects_named_properties_of_keyed_products():
    wql = products_wql()
    assert wql.startswith("SELECT ID, Name, Description, ApplicationID, LicenseFamily, ")
    assert "SELECT *" not in wql
    assert wql.endswith(
        "WHERE PartialProductKey IS NOT NULL "
        "AND (ApplicationID = '55c92734-d682-4d71-983e-d6ec3f16059f')"
    )


def test_row_decoding_normalises_what_windows_leaves_unset():
    product = row()
    assert product.is_windows
    assert product.channel.kind is ChannelKind.GVLK
    assert product.kms_port is None  # 0 means never set (wsman-wire §5.7)
    assert product.current_count is None  # "-1" on a machine that is not a KMS host
    assert product.status_name == "Licensed"
    assert product.holds(ProductKey.parse("VDYBN-27WPP-V4HQT-9VMD4-VMK7H"))
    assert product.to_dict()["partial_product_key"] == "VMK7H"


def test_primary_product_follows_slmgr_rule():
    addon = row(ID="addon", LicenseIsAddon=True)
    office = row(ID="office", ApplicationID=OFFICE_APP_IDS[0])
    windows = row(ID="windows")
    assert primary_windows_product([addon, office, windows]).id == "windows"
    assert office_products([addon, office, windows]) == [office]
    assert primary_windows_product([office]) is None


def test_primary_product_prefers_the_licensed_one_after_an_upgrade():
    stale = row(ID="stale", LicenseStatus=0)
    current = row(ID="current", LicenseStatus=1)
    assert primary_windows_product([stale, current]).id == "current"


def test_ambiguous_primary_product_is_an_error_not_a_guess():
    with pytest.raises(ProductSelectionError, match="2 Windows products have a key installed"):
        primary_windows_product([row(ID="a", LicenseStatus=0), row(ID="b", LicenseStatus=5)])


def test_service_build_comes_from_its_version():
    service = Service.from_row(
        {"Version": "10.0.20348.2849", "KeyManagementServiceListeningPort": 0}
    )
    assert service.build == 20348
    assert service.listening_port is None
    assert Service.from_row({"Version": ""}).build is None
