# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for license channel parsing, the conversion decision and LicenseStatus names."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.licensing.channels import (
    LICENSE_STATUS,
    ChannelKind,
    Decision,
    LicenseChannel,
    conversion_needed,
    license_status_name,
    parse_channel,
)

K = ChannelKind


@pytest.mark.parametrize(
    ("product_key_channel", "kind", "oem_kind"),
    [
        ("Retail", K.RETAIL, None),
        ("OEM:DM", K.OEM, "DM"),
        ("OEM:SLP", K.OEM, "SLP"),
        ("OEM:NONSLP", K.OEM, "NONSLP"),
        ("OEM:COA", K.OEM, "COA"),
        ("oem:dm", K.OEM, "DM"),
        ("Volume:MAK", K.MAK, None),
        ("Volume:GVLK", K.GVLK, None),
        ("Volume:CSVLK", K.CSVLK, None),
        (" volume:gvlk ", K.GVLK, None),
        ("Retail:TB:Eval", K.EVALUATION, None),
    ],
)
def test_product_key_channel(product_key_channel: str, kind: ChannelKind, oem_kind: str) -> None:
    channel = parse_channel(product_key_channel, "Windows(R) Operating System, RETAIL channel")
    assert channel == LicenseChannel(kind, product_key_channel, oem_kind, "ProductKeyChannel")


@pytest.mark.parametrize(
    ("description", "kind", "oem_kind"),
    [
        ("Windows(R) Operating System, VOLUME_KMSCLIENT channel", K.GVLK, None),
        ("Windows(R) Operating System, VOLUME_MAK channel", K.MAK, None),
        ("Windows(R) Operating System, RETAIL channel", K.RETAIL, None),
        ("Windows(R) Operating System, OEM_DM channel", K.OEM, "DM"),
        ("Windows(R) Operating System, OEM_SLP channel", K.OEM, "SLP"),
        ("Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel", K.CSVLK, None),
        # any other VOLUME_KMS_* token is a host channel (this one is made up, to test the rule)
        ("Windows(R) Operating System, VOLUME_KMS_WS99 channel", K.CSVLK, None),
        ("Office 16, VOLUME_KMSCLIENT channel", K.GVLK, None),
        ("Windows(R) Operating System, TIMEBASED_EVAL channel", K.EVALUATION, None),
        # Only the upper-case token counts, whatever language the rest is in.
        ("Système d'exploitation Windows(R), canal VOLUME_MAK", K.MAK, None),
    ],
)
def test_description_fallback(description: str, kind: ChannelKind, oem_kind: str) -> None:
    for missing in (None, "", "   "):
        channel = parse_channel(missing, description)
        assert channel == LicenseChannel(kind, description, oem_kind, "Description")


@pytest.mark.parametrize(
    ("product_key_channel", "description", "raw"),
    [
        (None, None, ""),
        ("", "", ""),
        ("Volume:Unheard", "Windows(R) Operating System", "Volume:Unheard"),
        (None, "Windows(R) Operating System, retail channel", "Windows(R) Operating System, "),
        (None, "Windows(R), VOLUME_KMSCLIENTX channel", "Windows(R), VOLUME_KMSCLIENTX channel"),
        ("OEM:", None, "OEM:"),
        (7, ["Volume:MAK"], ""),
    ],
)
def test_unknown_channels(product_key_channel: object, description: object, raw: str) -> None:
    channel = parse_channel(product_key_channel, description)
    assert channel.kind is K.UNKNOWN
    assert channel.source == ""
    assert channel.raw.startswith(raw)


def test_unknown_product_key_channel_falls_back_to_description() -> None:
    channel = parse_channel("Volume:Unheard", "Windows(R), VOLUME_MAK channel")
    assert (channel.kind, channel.source) == (K.MAK, "Description")


def test_product_key_channel_wins_over_description() -> None:
    channel = parse_channel("Volume:GVLK", "Windows(R) Operating System, VOLUME_MAK channel")
    assert (channel.kind, channel.source) == (K.GVLK, "ProductKeyChannel")


@pytest.mark.parametrize(
    ("product_key_channel", "convert", "reason"),
    [
        ("Retail", True, "a retail key is installed (Retail); installing the GVLK converts it."),
        ("OEM:DM", True, "an OEM key is installed (OEM:DM); installing the GVLK converts it."),
        ("OEM:SLP", True, "an OEM key is installed (OEM:SLP)"),
        ("Volume:MAK", True, "a MAK key is installed (Volume:MAK)"),
        ("Volume:GVLK", False, "a KMS client setup key (GVLK) is already installed (Volume:GVLK)."),
        ("Retail:TB:Eval", False, "an evaluation license is installed (Retail:TB:Eval)"),
        (None, False, "the license channel is not known (no ProductKeyChannel or Description)"),
    ],
)
def test_conversion_needed(product_key_channel: str | None, convert: bool, reason: str) -> None:
    decision = conversion_needed(parse_channel(product_key_channel, None))
    assert decision.convert is convert
    assert reason in decision.reason


def test_csvlk_is_never_converted_and_points_at_kms_host_key() -> None:
    decision = conversion_needed(parse_channel("Volume:CSVLK", None))
    assert decision == Decision(
        False,
        "this machine is a KMS host (Volume:CSVLK): installing a GVLK would remove its host key "
        "(CSVLK). To retire the host, use kms_host_key with state=absent first.",
    )


def test_decision_and_channel_are_frozen() -> None:
    decision = conversion_needed(parse_channel("Retail", None))
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.convert = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse_channel("Retail", None).kind = K.GVLK  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0, "Unlicensed"),
        (1, "Licensed"),
        (2, "OOBGrace"),
        (3, "OOTGrace"),
        (4, "NonGenuineGrace"),
        (5, "Notification"),
        (6, "ExtendedGrace"),
        (7, "Unknown(7)"),
        (-1, "Unknown(-1)"),
        (True, "Unknown(True)"),
        (None, "Unknown"),
        ("1", "Unknown"),
    ],
)
def test_license_status_name(code: object, name: str) -> None:
    assert license_status_name(code) == name


def test_license_status_table_is_complete() -> None:
    assert sorted(LICENSE_STATUS) == list(range(7))


TEXT = st.one_of(st.none(), st.text(), st.sampled_from(["Volume:MAK", "OEM:DM", "Retail"]))


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_property_parse_never_raises_and_decision_is_consistent(pkc: object, desc: object) -> None:
    channel = parse_channel(pkc, desc)
    decision = conversion_needed(channel)
    assert decision.convert is (channel.kind in (K.RETAIL, K.OEM, K.MAK))
    assert decision.reason
    assert (channel.oem_kind is not None) is (channel.kind is K.OEM)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(), st.none(), st.text(), st.booleans()))
def test_property_status_name_never_raises(code: object) -> None:
    name = license_status_name(code)
    assert name in LICENSE_STATUS.values() or name.startswith("Unknown")
