"""The lab's variants: parsed and refused by name, and documented where a reader looks."""

from __future__ import annotations

from pathlib import Path

import pytest
from kmslab.variants import BY_NAME, CATALOG, DEFAULT, VariantError, Variants, describe, matrix

ROOT = Path(__file__).resolve().parents[3]


def test_every_variant_has_two_values_a_default_among_them_and_a_source() -> None:
    for variant in CATALOG:
        assert len(variant.values) >= 2, variant.name
        assert variant.default in variant.values, variant.name
        assert variant.source, variant.name


def test_defaults_and_choices() -> None:
    assert dict(DEFAULT) == {v.name: v.default for v in CATALOG}
    chosen = Variants.parse(["registry_missing_value=2", " null_array = omit "])
    assert chosen["registry_missing_value"] == "2"
    assert chosen["null_array"] == "omit"
    assert chosen["operation_timeout_cap"] == "60"
    assert chosen.differs() == {"registry_missing_value": "2", "null_array": "omit"}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("registry_missing_value", "--variant takes NAME=VALUE"),
        ("nope=1", "no lab variant is called 'nope'"),
        ("null_array=maybe", "variant null_array has no value 'maybe'; choose one of nil, omit"),
    ],
)
def test_a_wrong_variant_is_refused_naming_the_fix(item: str, message: str) -> None:
    with pytest.raises(VariantError, match=message):
        Variants.parse([item])


def test_the_matrix_holds_every_other_value_once() -> None:
    pairs = matrix() + matrix("adba") + matrix("act_type")
    assert len(pairs) == sum(len(v.values) - 1 for v in CATALOG)
    assert all(value != BY_NAME[name].default for name, value in pairs)
    assert {BY_NAME[name].scope for name, _value in matrix()} == {"windows"}


def test_every_variant_is_documented_for_lab_users() -> None:
    text = describe()
    lab_readme = (ROOT / "tests" / "lab" / "README.md").read_text()
    for variant in CATALOG:
        assert f"{variant.name} = " in text
        assert f"| `{variant.name}` |" in lab_readme, variant.name
        assert variant.source.removeprefix("unconfirmed: ") in lab_readme, variant.name
