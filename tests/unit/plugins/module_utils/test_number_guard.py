"""number_guard: the numbers ansible-core's int check crashes or spins on, found and named."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.volact.kms.plugins.module_utils.number_guard import (
    as_raw,
    unusable_number,
)

pytestmark = pytest.mark.reliability("bad_input")

SPEC = {
    "port": {"type": "int"},
    "name": {"type": "str"},
    "timeout": {"type": "float"},
    "ports": {"type": "list", "elements": "int"},
    "records": {
        "type": "list",
        "elements": "dict",
        "options": {"target": {"type": "str"}, "weight": {"type": "int"}},
    },
    "limits": {"type": "dict", "options": {"days": {"type": "int"}}},
}


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({"port": "inf"}, "port", "'inf' is infinite"),
        ({"port": " -Infinity "}, "port", "'-Infinity' is infinite"),
        ({"port": float("inf")}, "port", "inf is not a finite number"),
        ({"port": float("nan")}, "port", "nan is not a finite number"),
        ({"port": "1e2000000"}, "port", "'1e2000000' has more than 30 digits"),
        ({"port": "9" * 40}, "port", "has more than 30 digits"),
        ({"ports": [1, "inf"]}, "ports[1]", "is infinite"),
        ({"records": [{"weight": 1}, {"weight": "1e99"}]}, "records[1].weight", "30 digits"),
        ({"limits": {"days": "Infinity"}}, "limits.days", "is infinite"),
    ],
    ids=[
        "inf",
        "-Infinity",
        "float inf",
        "float nan",
        "1e2000000",
        "40 digits",
        "list",
        "dict list",
        "dict",
    ],
)
def test_unusable_numbers_are_named(params: dict[str, object], field: str, problem: str) -> None:
    error = unusable_number(SPEC, params)
    assert error is not None
    assert error.field == field
    assert problem in error.problem
    assert str(error).startswith(f"{field}: ")
    assert "digits only" in error.fix


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"port": 1688, "name": "inf", "timeout": "inf"},  # str and float options are not int
        {"port": "1688"},
        {"port": "1e3"},
        {"port": "abc"},  # ansible-core names this one itself
        {"port": "nan"},  # ansible-core refuses NaN with a TypeError itself
        {"port": None},
        {"ports": "1,2"},
        {"records": [{"target": "inf"}, "not a dict"]},
        {"limits": None},
    ],
    ids=[
        "none",
        "str and float",
        "digits",
        "1e3",
        "abc",
        "nan",
        "null",
        "csv",
        "no dicts",
        "null dict",
    ],
)
def test_usable_or_foreign_values_are_left_to_ansible(params: dict[str, object]) -> None:
    assert unusable_number(SPEC, params) is None


def test_ansible_core_still_needs_the_guard() -> None:
    # If this starts passing without OverflowError, ansible-core has the upstream fix and the
    # guard is only a nicer message (ansible/ansible pull request 87253).
    with pytest.raises(OverflowError):
        ArgumentSpecValidator({"port": {"type": "int"}}).validate({"port": "inf"})


def test_as_raw_keeps_everything_but_number_types() -> None:
    raw = as_raw({**SPEC, "secret": {"type": "str", "no_log": True}})
    assert raw["port"] == {"type": "raw"}
    assert raw["timeout"] == {"type": "raw"}
    assert raw["ports"] == {"type": "list", "elements": "raw"}
    assert raw["records"]["options"]["weight"] == {"type": "raw"}
    assert raw["secret"] == {"type": "str", "no_log": True}
    assert SPEC["port"] == {"type": "int"}  # the module's own spec is not changed
