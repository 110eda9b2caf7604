"""The lab's key table: published GVLKs from the collection's table, and well-formed fake keys."""

from __future__ import annotations

import pytest
from kmslab.model.catalog import HOST_KEY_GROUPS, OFFICE_2010_APP_ID, OFFICE_APP_ID, WINDOWS_APP_ID
from kmslab.model.images import IMAGES
from kmslab.model.keys import (
    KeyKind,
    KeyTable,
    LabKey,
    default_key_table,
    fake_key,
    is_well_formed,
    mask_key,
    mask_keys_in,
    published_gvlks,
)

from ansible_collections.volact.kms.plugins.module_utils.licensing.gvlk_table import GVLK_TABLE

TABLE = default_key_table()


def test_every_published_gvlk_is_in_the_table_with_its_family_and_edition() -> None:
    rows = [
        (product, family, edition, key, confirmed)
        for product, families in GVLK_TABLE.items()
        for family, entries in families.items()
        for edition, key, confirmed in entries
    ]
    assert len(published_gvlks()) == len(rows) > 150
    for product, family, edition, key, confirmed in rows:
        entry = TABLE.lookup(key)
        assert entry is not None
        assert (entry.kind, entry.family, entry.edition, entry.confirmed) == (
            KeyKind.GVLK,
            family,
            edition,
            confirmed,
        )
        office = OFFICE_2010_APP_ID if family == "Office 2010" else OFFICE_APP_ID  # §2.8
        assert entry.application_id == {"windows": WINDOWS_APP_ID, "office": office}[product]


def test_a_gvlk_is_found_by_family_and_edition() -> None:
    assert TABLE.gvlk("Windows Server 2022", "Standard").key == "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
    assert TABLE.for_image(KeyKind.GVLK, "win11-pro").key == "W269N-WFGWX-YVC9B-4J6C9-T83GX"


def test_every_volume_image_has_a_gvlk_and_lab_mak_retail_and_oem_keys() -> None:
    for handle, target in IMAGES.items():
        kinds = [KeyKind.EVAL] if target.evaluation else [KeyKind.RETAIL, KeyKind.OEM]
        if target.volume:
            kinds += [KeyKind.MAK, KeyKind.GVLK]
        for kind in kinds:
            key = TABLE.for_image(kind, handle)
            assert is_well_formed(key.key)
            assert key.published is (kind is KeyKind.GVLK)


def test_images_without_volume_licensing_have_no_gvlk() -> None:
    with pytest.raises(KeyError, match="no gvlk key for Windows 11/10"):
        TABLE.for_image(KeyKind.GVLK, "win11-home")


def test_fake_keys_are_stable_well_formed_and_never_published() -> None:
    assert fake_key("x") == fake_key("x") != fake_key("y")
    published = {entry.key for entry in published_gvlks()}
    lab = [entry for entry in TABLE if not entry.published]
    assert len(lab) > 60
    assert all(is_well_formed(entry.key) and entry.key not in published for entry in lab)


def test_each_host_key_group_has_a_host_key_and_more_on_demand() -> None:
    for handle, group in HOST_KEY_GROUPS.items():
        key = TABLE.csvlk(handle)
        assert (key.kind, key.group, key.family, key.edition) == (
            KeyKind.CSVLK,
            handle,
            group.name,
            None,
        )
    table = default_key_table()
    second = table.csvlk("ws2022", serial=1)
    assert second.key != table.csvlk("ws2022").key
    assert table.lookup(second.key) == second


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("W269N-WFGWX-YVC9B-4J6C9-T83GX", True),
        ("w269n-wfgwx-yvc9b-4j6c9-t83gx", False),  # the lab wants the collection to normalise
        ("W269NWFGWXYVC9B4J6C9T83GX", False),
        ("W269N-WFGWX-YVC9B-4J6C9-T83GA", False),  # A is not a key character
        (" W269N-WFGWX-YVC9B-4J6C9-T83GX", False),
        (None, False),
    ],
)
def test_well_formed_keys_are_exactly_five_groups_of_key_characters(
    text: object, expected: bool
) -> None:
    assert is_well_formed(text) is expected


def test_masking_keeps_only_the_last_five_characters() -> None:
    assert mask_key("W269N-WFGWX-YVC9B-4J6C9-T83GX") == "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"
    text = "key=W269N-WFGWX-YVC9B-4J6C9-T83GX, other=NPPR9-FWDCX-D2C8J-H872K-2YT43."
    assert mask_keys_in(text) == (
        "key=XXXXX-XXXXX-XXXXX-XXXXX-T83GX, other=XXXXX-XXXXX-XXXXX-XXXXX-2YT43."
    )


def test_a_lab_key_never_shows_in_clear_in_its_repr() -> None:
    key = TABLE.csvlk("ws2025")
    assert key.key not in repr(key)
    assert key.partial in repr(key)


def test_the_table_refuses_malformed_or_clashing_keys() -> None:
    table = KeyTable()
    with pytest.raises(ValueError, match="not a well-formed"):
        table.add(LabKey("NOT-A-KEY", KeyKind.MAK, WINDOWS_APP_ID, "f", "e"))
    table.add(LabKey("BCDFG-HJKMP-QRTVW-XY234-6789B", KeyKind.MAK, WINDOWS_APP_ID, "f", "e"))
    with pytest.raises(ValueError, match="clashes"):
        table.add(LabKey("BCDFG-HJKMP-QRTVW-XY234-6789B", KeyKind.OEM, WINDOWS_APP_ID, "f", "e"))
