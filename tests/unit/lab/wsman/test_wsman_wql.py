# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's WQL parser and evaluator: examples from our clients, invalid queries, properties."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kmslab.wsman import cim
from kmslab.wsman.provider import ClassInfo, Instance
from kmslab.wsman.wql import (
    KEYWORDS,
    UNSUPPORTED,
    And,
    Compare,
    IsNull,
    Like,
    Not,
    Or,
    Query,
    WqlError,
    parse,
    quote,
    render,
)
from kmslab.wsman.wql_eval import matches, select, validate

PRODUCT = Instance(
    "SoftwareLicensingProduct",
    (
        cim.string("ID", "C52ED0B3-1A5F-4B8E-9E2B-6C9C1E1A8B10"),
        cim.string("Description", "Windows(R) Operating System, VOLUME_KMSCLIENT channel"),
        cim.string("PartialProductKey", None),
        cim.boolean("LicenseIsAddon", False),
        cim.uint32("LicenseStatus", 5),
        cim.Property("Names", cim.CimType.STRING, ("a", "b"), is_array=True),
    ),
    keys=("ID",),
)


def where(text: str) -> bool:
    return matches(parse(f"SELECT * FROM SoftwareLicensingProduct WHERE {text}").where, PRODUCT)


def test_the_query_our_clients_send() -> None:
    query = parse(
        "SELECT * FROM SoftwareLicensingProduct WHERE ApplicationID = "
        "'55c92734-d682-4d71-983e-d6ec3f16059f' AND PartialProductKey IS NOT NULL"
    )
    assert query == Query(
        "SoftwareLicensingProduct",
        None,
        And(
            (
                Compare("ApplicationID", "=", "55c92734-d682-4d71-983e-d6ec3f16059f"),
                IsNull("PartialProductKey", negated=True),
            )
        ),
    )


def test_keywords_and_names_ignore_case_and_projection_is_kept() -> None:
    query = parse("select ID, licensestatus from softwarelicensingproduct where not (ID = 'x')")
    assert query.properties == ("ID", "licensestatus")
    assert query.class_name == "softwarelicensingproduct"
    assert query.where == Not(Compare("ID", "=", "x"))
    (projected,) = select(query, [PRODUCT])
    assert [prop.name for prop in projected.properties] == ["ID", "LicenseStatus"]


def test_null_comparisons_follow_slmgr() -> None:
    assert parse("SELECT * FROM C WHERE P <> null").where == IsNull("P", negated=True)
    assert parse("SELECT * FROM C WHERE NULL = P").where == IsNull("P", negated=False)
    assert where("PartialProductKey <> NULL") is False
    assert where("PartialProductKey = NULL") is True
    assert where("PartialProductKey = 'x'") is False
    assert where("PartialProductKey <> 'x'") is False  # NULL satisfies no comparison


def test_operators_precedence_and_literal_on_the_left() -> None:
    assert parse("SELECT * FROM C WHERE 5 < P").where == Compare("P", ">", 5)
    assert parse("SELECT * FROM C WHERE P != 1").where == Compare("P", "<>", 1)
    assert parse("SELECT * FROM C WHERE A = 1 OR B = 2 AND C = 3").where == Or(
        (Compare("A", "=", 1), And((Compare("B", "=", 2), Compare("C", "=", 3))))
    )
    assert where("LicenseStatus >= 5 AND LicenseStatus <= 5 AND NOT LicenseStatus > 5")


def test_value_semantics() -> None:
    assert where("description = 'WINDOWS(R) OPERATING SYSTEM, VOLUME_KMSCLIENT CHANNEL'")
    assert where("LicenseStatus = '5'")  # numeric strings compare as numbers
    assert where("LicenseIsAddon = FALSE")
    assert where("LicenseIsAddon = 0")
    assert where("Description LIKE '%kmsclient%'")
    assert where("ID LIKE 'C52ED0B3-____-%'")
    assert where("ID LIKE '[a-c]%'")
    assert not where("ID LIKE '[^c]%'")
    assert where('Description = "Windows(R) Operating System, VOLUME_KMSCLIENT channel"')


@pytest.mark.parametrize(
    "text",
    [
        "LicenseStatus = 'five'",
        "LicenseIsAddon = 'maybe'",
        "LicenseIsAddon = 2",
        "Names = 'a'",
        "LicenseStatus LIKE '5'",
        "Description LIKE '[abc'",
    ],
)
def test_type_errors_are_invalid_queries(text: str) -> None:
    with pytest.raises(WqlError):
        where(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SELECT",
        "SELECT * FROM",
        "SELECT * SoftwareLicensingProduct",
        "SELECT *, ID FROM C",
        "SELECT * FROM C WHERE",
        "SELECT * FROM C WHERE ID = 'open",
        "SELECT * FROM C WHERE ID = 'bad \\q escape'",
        "SELECT * FROM C WHERE A = B",
        "SELECT * FROM C WHERE 1 = 2",
        "SELECT * FROM C WHERE A < NULL",
        "SELECT * FROM C WHERE (A = 1",
        "SELECT * FROM C WHERE A = 1)",
        "SELECT * FROM C WHERE A LIKE 5",
        "SELECT * FROM C WHERE A IS 5",
        "SELECT * FROM C extra",
        "SELECT * FROM C WHERE A = 1;",
        "SELECT * FROM Win32_Service WHERE Name ISA 'x'",
        "ASSOCIATORS OF {Win32_Service.Name='x'}",
        "SELECT * FROM C GROUP WITHIN 10",
        "SELECT FROM FROM C",
    ],
)
def test_invalid_queries(text: str) -> None:
    with pytest.raises(WqlError):
        parse(text)


def test_validation_against_a_known_schema() -> None:
    info = ClassInfo("SoftwareLicensingProduct", ("ID",), ("ID", "Description", "LicenseStatus"))
    validate(parse("SELECT id FROM SoftwareLicensingProduct WHERE licensestatus = 1"), info)
    with pytest.raises(WqlError):
        validate(parse("SELECT Bogus FROM SoftwareLicensingProduct"), info)
    with pytest.raises(WqlError):
        validate(parse("SELECT * FROM SoftwareLicensingProduct WHERE Bogus IS NULL"), info)
    validate(parse("SELECT Bogus FROM X"), ClassInfo("X"))  # schema unknown: nothing to check


# Property tests ---------------------------------------------------------------------------------
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(
    lambda name: name.upper() not in KEYWORDS | UNSUPPORTED
)
constants = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
predicates = st.one_of(
    st.builds(Compare, names, st.sampled_from(["=", "<>", "<", ">", "<=", ">="]), constants),
    st.builds(IsNull, names, st.booleans()),
    st.builds(Like, names, st.text(max_size=20)),
)
expressions = st.recursive(
    predicates,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)
queries = st.builds(
    Query,
    names,
    st.one_of(st.none(), st.lists(names, min_size=1, max_size=4).map(tuple)),
    st.one_of(st.none(), expressions),
)


@settings(max_examples=300, deadline=None)
@given(queries)
def test_render_then_parse_round_trips(query: Query) -> None:
    assert parse(render(query)) == query


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_string_literals_round_trip(value: str) -> None:
    assert parse(f"SELECT * FROM C WHERE P = {quote(value)}").where == Compare("P", "=", value)


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("SELECT*FROMWHEREANDORNOTISNULL ()'\"=<>!,._-0123456789abcxyz\\%")
        ),
        max_size=60,
    )
)
def test_parser_fails_only_with_wql_error(text: str) -> None:
    # Either a Query or a WqlError (an invalid-query fault); any other exception fails the test.
    with contextlib.suppress(WqlError):
        assert isinstance(parse(text), Query)


instance_props = st.fixed_dictionaries(
    {
        "S": st.one_of(st.none(), st.sampled_from(["alpha", "Beta", "gamma", ""])),
        "N": st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
    }
)
simple = st.one_of(
    st.builds(
        Compare,
        st.just("S"),
        st.sampled_from(["=", "<>", "<", ">"]),
        st.sampled_from(["alpha", "BETA", "z"]),
    ),
    st.builds(
        Compare,
        st.just("N"),
        st.sampled_from(["=", "<>", "<", ">", "<=", ">="]),
        st.integers(0, 10),
    ),
    st.builds(IsNull, st.sampled_from(["S", "N"]), st.booleans()),
    st.builds(Like, st.just("S"), st.sampled_from(["%a%", "b___", "[ag]%", ""])),
)
logic = st.recursive(
    simple,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(instance_props, logic, logic)
def test_boolean_algebra_holds(values: dict, left, right) -> None:
    instance = Instance("T", (cim.string("S", values["S"]), cim.uint32("N", values["N"])))
    a, b = matches(left, instance), matches(right, instance)
    assert matches(Not(left), instance) is (not a)
    assert matches(And((left, right)), instance) is (a and b)
    assert matches(Or((left, right)), instance) is (a or b)
    assert matches(Not(And((left, right))), instance) is matches(
        Or((Not(left), Not(right))), instance
    )
