# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the DnsDomainPublishList codec, user input, reconciliation and published records."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.dns.srv import SrvRecord
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import (
    HOME_DOMAIN_RULE,
    PublishedRecord,
    PublishEntry,
    decode_entry,
    decode_list,
    encode_entry,
    encode_list,
    parse_domains,
    published_records,
    reconcile,
    records_by_domain,
    srv_mismatches,
)

A = PublishEntry("a.com")
B = PublishEntry("b.com", 10, 50)
C = PublishEntry("c.com", 5)


T = TypeVar("T")


def attempt(func: Callable[..., T], *args: object, **kwargs: object) -> T | KmsInputError:
    """The result of ``func``, or the KmsInputError it raised; any other exception propagates."""
    try:
        return func(*args, **kwargs)
    except KmsInputError as error:
        return error


# --- entries -----------------------------------------------------------------------------------


def test_entry_normalises_and_defaults() -> None:
    entry = PublishEntry("Contoso.COM.", weight=5)
    assert entry == PublishEntry("contoso.com", 0, 5)
    assert (entry.effective_priority, entry.effective_weight) == (0, 5)
    assert (A.priority, A.weight, A.effective_priority, A.effective_weight) == (None, None, 0, 0)
    assert A.same_as(PublishEntry("a.com", 0, 0))
    assert PublishEntry("a.com", 0, 0) != A
    assert not A.same_as(PublishEntry("a.com", 0, 1))


@pytest.mark.parametrize(
    ("kwargs", "field", "problem"),
    [
        ({"priority": 65536}, "priority", "65536 is out of range"),
        ({"weight": -1}, "weight", "-1 is out of range"),
        ({"priority": True}, "priority", "got bool"),
        ({"weight": "5"}, "weight", "got str"),
    ],
)
def test_entry_rejects_bad_numbers(kwargs: dict[str, object], field: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        PublishEntry("a.com", **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert problem in caught.value.problem


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "contoso.com,10,50",
        "contoso.com, 10, 50",
        "contoso.com\t,\t10,\t50",
        "  contoso.com , 10 ,50  ",
        "Contoso.COM., 10, 50",
        "contoso.com, 010, 00050",
    ],
)
def test_decode_tolerates_spacing_variants(text: str) -> None:
    assert decode_entry(text, "f") == PublishEntry("contoso.com", 10, 50)


def test_decode_optional_fields() -> None:
    assert decode_entry("contoso.com", "f") == PublishEntry("contoso.com")
    assert decode_entry("contoso.com, 7", "f") == PublishEntry("contoso.com", 7)
    assert decode_entry("contoso.com, 0, 0", "f") == PublishEntry("contoso.com", 0, 0)


def test_decode_list_drops_empty_strings_and_keeps_order() -> None:
    values = ["", "b.com, 10, 50", "  ", "a.com", "c.com,5", ""]
    assert decode_list(values) == [B, A, C]
    assert decode_list(()) == []
    assert decode_list(None) == []


@pytest.mark.parametrize(
    ("values", "field", "problem"),
    [
        (
            ["a.com", "b.com", "", "a.com, x"],
            'DnsDomainPublishList[3] ("a.com, x")',
            'priority "x" is not a whole number',
        ),
        (["a.com, 1, -2"], 'DnsDomainPublishList[0] ("a.com, 1, -2")', 'weight "-2" is not'),
        (["a.com, 70000"], 'DnsDomainPublishList[0] ("a.com, 70000")', "70000 is out of range"),
        (["a.com, 1.5"], 'DnsDomainPublishList[0] ("a.com, 1.5")', '"1.5" is not a whole'),
        (["a.com, 1, 2, 3"], 'DnsDomainPublishList[0] ("a.com, 1, 2, 3")', "has 4 comma"),
        (["a.com,"], 'DnsDomainPublishList[0] ("a.com,")', "the priority field is empty"),
        (["a.com, , 5"], 'DnsDomainPublishList[0] ("a.com, , 5")', "priority field is empty"),
        (["a.com 10 50"], 'DnsDomainPublishList[0] ("a.com 10 50")', "U+0020 SPACE"),
        ([", 10"], 'DnsDomainPublishList[0] (", 10")', "is empty"),
        (["contoso, 1"], 'DnsDomainPublishList[0] ("contoso, 1")', "single label"),
        (
            ["a.com", "b.com", "A.COM., 5"],
            'DnsDomainPublishList[2] ("A.COM., 5")',
            'domain "a.com" is already listed at DnsDomainPublishList[0]',
        ),
        (["a.com", 5], "DnsDomainPublishList[1] (5)", "expected text, got int"),
        ("a.com, 1", "DnsDomainPublishList", "expected a list of strings (REG_MULTI_SZ)"),
    ],
)
def test_decode_list_errors_name_the_entry(values: object, field: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        decode_list(values)
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert caught.value.fix


def test_decode_list_error_uses_the_callers_field() -> None:
    with pytest.raises(KmsInputError, match=r'^before\[0\] \("x"\): "x" is a single label'):
        decode_list(["x"], field="before")


def test_long_entries_are_shortened_in_messages() -> None:
    text = "a.com, " + "1" * 100
    with pytest.raises(KmsInputError) as caught:
        decode_list([text])
    assert caught.value.field == f'DnsDomainPublishList[0] ("{text[:60]}…")'


# --- encoding ----------------------------------------------------------------------------------


def test_encode_writes_the_documented_form() -> None:
    assert encode_entry(A) == "a.com"
    assert encode_entry(C) == "c.com, 5"
    assert encode_entry(B) == "b.com, 10, 50"
    assert encode_entry(PublishEntry("d.com", weight=3)) == "d.com, 0, 3"
    assert encode_list([A, B, C]) == ["a.com", "b.com, 10, 50", "c.com, 5"]
    assert encode_list([]) == []


# --- user input --------------------------------------------------------------------------------


def test_parse_domains_accepts_strings_dicts_and_digit_strings() -> None:
    items = [
        "A.com",
        {"name": "b.com", "priority": "10", "weight": 50},
        {"name": "c.com.", "priority": 5, "weight": None},
        {"name": "d.com", "weight": "3"},
    ]
    assert parse_domains(items) == [A, B, C, PublishEntry("d.com", 0, 3)]
    assert parse_domains([]) == []


@pytest.mark.parametrize(
    ("items", "field", "problem"),
    [
        (["a.com", {"name": "b.com", "priority": True}], "domains[1].priority", "got bool"),
        ([{"name": "b.com", "weight": 2.0}], "domains[0].weight", "got float"),
        ([{"name": "b.com", "priority": -1}], "domains[0].priority", "-1 is out of range"),
        ([{"name": "b.com", "priority": 65536}], "domains[0].priority", "65536 is out of range"),
        ([{"name": "b.com", "weight": "ten"}], "domains[0].weight", '"ten" is not a whole'),
        ([{"name": "b.com", "ttl": 1}], "domains[0]", "unknown key(s) ttl"),
        ([{"priority": 1}], "domains[0].name", "is missing"),
        ([{"name": None}], "domains[0].name", "is missing"),
        ([{"name": "bad name.com"}], "domains[0].name", "U+0020 SPACE"),
        (["a.com", "b.com", "c\u043entoso.com"], "domains[2]", "CYRILLIC SMALL LETTER O"),
        (["a.com, 10, 50"], "domains[0]", "looks like registry text"),
        ([7], "domains[0]", "expected a domain name or a mapping"),
        (["a.com", {"name": "A.COM."}], "domains[1]", 'domain "a.com" is already listed'),
        ("a.com", "domains", "expected a list"),
        (None, "domains", "expected a list"),
    ],
)
def test_parse_domains_errors_name_the_item(items: object, field: str, problem: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        parse_domains(items)
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert caught.value.fix


# --- reconcile ---------------------------------------------------------------------------------


def test_present_updates_in_place_and_appends() -> None:
    current = [A, B, C]
    desired = [PublishEntry("b.com", 20), PublishEntry("d.com", 1, 1)]
    assert reconcile(current, desired, "present") == [
        A,
        PublishEntry("b.com", 20),
        C,
        PublishEntry("d.com", 1, 1),
    ]


def test_present_with_the_same_meaning_changes_nothing() -> None:
    current = decode_list(["a.com, 0, 0", "b.com, 10, 50"])
    result = reconcile(current, [PublishEntry("a.com"), PublishEntry("b.com", 10, 50)], "present")
    assert encode_list(result) == ["a.com, 0, 0", "b.com, 10, 50"]
    assert all(new is old for new, old in zip(result, current, strict=True))
    assert result is not current


def test_present_without_numbers_resets_them_to_zero() -> None:
    assert reconcile([B], [PublishEntry("b.com")], "present") == [PublishEntry("b.com")]


def test_absent_ignores_priority_and_weight() -> None:
    assert reconcile([A, B, C], [PublishEntry("b.com", 1, 1), PublishEntry("z.com")], "absent") == [
        A,
        C,
    ]
    result = reconcile([A, C], [PublishEntry("z.com")], "absent")
    assert result == [A, C]
    assert result[0] is A


def test_exact_takes_the_desired_order_and_keeps_equivalent_entries() -> None:
    zero = PublishEntry("a.com", 0, 0)
    assert reconcile([zero, B], [C, A], "exact") == [C, zero]
    assert reconcile([zero, B], [C, A], "exact")[1] is zero
    assert reconcile([A, B], [B, A], "exact") == [B, A]
    assert reconcile([A, B], [], "exact") == []
    unchanged = reconcile([zero, B], [A, PublishEntry("b.com", 10, 50)], "exact")
    assert unchanged[0] is zero
    assert unchanged[1] is B


def test_reconcile_rejects_bad_state_and_duplicates() -> None:
    with pytest.raises(KmsInputError, match=r'^state: "merge" is not a valid state'):
        reconcile([], [A], "merge")
    with pytest.raises(KmsInputError, match=r'^domains\[1\]: domain "a.com" is already listed'):
        reconcile([], [A, PublishEntry("a.com", 1)], "present")


# --- published records -------------------------------------------------------------------------


def test_published_records_include_the_home_domain_first() -> None:
    records = published_records([B, C], "KMS1.Corp.Contoso.com", "corp.contoso.com")
    assert [r.domain for r in records] == ["corp.contoso.com", "b.com", "c.com"]
    assert [r.record for r in records] == [
        SrvRecord("kms1.corp.contoso.com.", 1688, 0, 0),
        SrvRecord("kms1.corp.contoso.com.", 1688, 10, 50),
        SrvRecord("kms1.corp.contoso.com.", 1688, 5, 0),
    ]
    assert not any(r.optional for r in records)


def test_published_records_options() -> None:
    records = published_records([B], "kms1.corp.com", "corp.com", "1689", include_home=False)
    assert records == [PublishedRecord("b.com", SrvRecord("kms1.corp.com.", 1689, 10, 50))]
    # Without the home record, the home domain is not needed at all.
    assert published_records([B], "kms1.corp.com", None, "1689", include_home=False) == records
    assert published_records([], "kms1.corp.com", "corp.com") == [
        PublishedRecord("corp.com", SrvRecord("kms1.corp.com.", 1688, 0, 0))
    ]


def test_a_listed_home_domain_is_certain_and_the_automatic_record_optional() -> None:
    # kms-facts §2.3: "The KMS home domain is always used"; whether the listed numbers replace
    # the 0/0 record or join it is UNCONFIRMED, so the 0/0 record may or may not be there. (This
    # replaces the earlier assumption, without a source, that the listed numbers win.)
    listed = [B, PublishEntry("corp.com", 3, 4)]
    records = published_records(listed, "kms1.corp.com", "corp.com")
    assert [(r.domain, r.record.priority, r.record.weight, r.optional) for r in records] == [
        ("corp.com", 3, 4, False),
        ("corp.com", 0, 0, True),
        ("b.com", 10, 50, False),
    ]
    assert [r.as_dict() for r in records][:2] == [
        {"domain": "corp.com", "target": "kms1.corp.com", "port": 1688, "priority": 3, "weight": 4},
        {
            "domain": "corp.com",
            "target": "kms1.corp.com",
            "port": 1688,
            "priority": 0,
            "weight": 0,
            "optional": True,
        },
    ]
    # Listed at 0/0, both forms are the same one record.
    for entry in (PublishEntry("corp.com"), PublishEntry("corp.com", 0, 0)):
        same = published_records([entry], "kms1.corp.com", "Corp.com.")
        assert same == [PublishedRecord("corp.com", SrvRecord("kms1.corp.com.", 1688, 0, 0))]
    assert "unconfirmed" in HOME_DOMAIN_RULE


def test_records_by_domain_gathers_every_host() -> None:
    hosts = [
        {"fqdn": "kms1.corp.com", "domains": [{"name": "branch.com", "priority": "10"}]},
        {
            "fqdn": "KMS2.corp.com.",
            "home_domain": "corp.com",
            "domains": ["branch.com", {"name": "corp.com", "priority": 5, "weight": 60}],
        },
    ]
    expected = records_by_domain(hosts)
    assert expected == {
        "corp.com": {
            "records": [
                {"target": "kms1.corp.com", "port": 1688, "priority": 0, "weight": 0},
                {"target": "kms2.corp.com", "port": 1688, "priority": 5, "weight": 60},
            ],
            "optional": [{"target": "kms2.corp.com", "port": 1688, "priority": 0, "weight": 0}],
        },
        "branch.com": {
            "records": [
                {"target": "kms1.corp.com", "port": 1688, "priority": 10, "weight": 0},
                {"target": "kms2.corp.com", "port": 1688, "priority": 0, "weight": 0},
            ],
            "optional": [],
        },
    }
    # Records written from the controller: only the listed domains, no home record.
    written = records_by_domain(hosts, include_home=False)
    assert sorted(written) == ["branch.com", "corp.com"]
    assert written["corp.com"] == {
        "records": [{"target": "kms2.corp.com", "port": 1688, "priority": 5, "weight": 60}],
        "optional": [],
    }
    assert records_by_domain([]) == {}


@pytest.mark.parametrize(
    ("hosts", "field"),
    [
        ("kms1.corp.com", "hosts"),
        (["kms1.corp.com"], "hosts[0]"),
        ([{"fqdn": "kms1.corp.com", "extra": 1}], "hosts[0]"),
        ([{"fqdn": "kms1"}], "hosts[0].fqdn"),
        ([{"fqdn": "kms1.corp.com", "home_domain": "corp"}], "hosts[0].home_domain"),
        ([{"fqdn": "kms1.corp.com", "domains": ["a.com", "a.com"]}], "hosts[0].domains[1]"),
        ([{"fqdn": "kms1.corp.com", "port": 0}], "hosts[0].port"),
    ],
)
def test_records_by_domain_refusals_name_the_host(hosts: object, field: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        records_by_domain(hosts)
    assert caught.value.field == field


def _found(*records: tuple[str, int, int]) -> list[dict[str, object]]:
    return [
        {"target": target, "port": 1688, "priority": priority, "weight": weight}
        for target, priority, weight in records
    ]


@pytest.mark.parametrize(
    "found",
    [
        # home_domain_record=replaced: only the listed record.
        _found(("kms1.corp.com", 0, 0), ("kms2.corp.com", 5, 60)),
        # home_domain_record=kept: the 0/0 record beside it; targets as DNS may spell them.
        _found(("KMS1.corp.com.", 0, 0), ("kms2.corp.com", 5, 60), ("kms2.corp.com", 0, 0)),
    ],
)
def test_either_form_of_a_listed_home_domain_matches(found: list[dict[str, object]]) -> None:
    hosts = [
        {"fqdn": "kms1.corp.com"},
        {"fqdn": "kms2.corp.com", "domains": [{"name": "corp.com", "priority": 5, "weight": 60}]},
    ]
    assert srv_mismatches(records_by_domain(hosts), {"corp.com": found}) == []


def test_a_missing_required_or_an_unknown_record_is_reported() -> None:
    hosts = [{"fqdn": "kms2.corp.com", "domains": [{"name": "corp.com", "priority": 5}]}]
    expected = records_by_domain(hosts)
    only_auto = _found(("kms2.corp.com", 0, 0))  # the listed record is required
    wrong = srv_mismatches(expected, {"corp.com": only_auto})
    assert wrong == [
        {
            "domain": "corp.com",
            "missing": [{"target": "kms2.corp.com", "port": 1688, "priority": 5, "weight": 0}],
            "unexpected": [],
            "message": "_vlmcs._tcp.corp.com: missing 5 0 1688 kms2.corp.com.",
        }
    ]
    stray = _found(("kms2.corp.com", 5, 0), ("rogue.corp.com", 0, 0))
    assert srv_mismatches(expected, {"corp.com": stray})[0]["message"] == (
        "_vlmcs._tcp.corp.com: not expected 0 0 1688 rogue.corp.com."
    )
    assert srv_mismatches(expected, {})[0]["missing"]  # a domain DNS has nothing for
    with pytest.raises(KmsInputError):
        srv_mismatches([], {})
    with pytest.raises(KmsInputError):
        srv_mismatches(expected, {"corp.com": [{"target": "."}]})


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("kms1", "corp.com"), "host_fqdn"),
        ((".", "corp.com"), "host_fqdn"),
        (("kms1.corp.com", "corp"), "home_domain"),
        (("kms1.corp.com", "corp.com", 0), "port"),
    ],
)
def test_published_records_errors(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(KmsInputError) as caught:
        published_records([A], *args)
    assert caught.value.field == field


# --- properties --------------------------------------------------------------------------------

LABEL = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda label: label[2:4] != "--"
)
DOMAIN = st.lists(LABEL, min_size=2, max_size=3).map(".".join)
NUMBER = st.integers(0, 65535)
ENTRY = st.one_of(
    st.builds(PublishEntry, DOMAIN),
    st.builds(PublishEntry, DOMAIN, NUMBER),
    st.builds(PublishEntry, DOMAIN, NUMBER, NUMBER),
)
ENTRIES = st.lists(ENTRY, max_size=6, unique_by=lambda entry: entry.domain)


@settings(max_examples=200, deadline=None)
@given(ENTRIES)
def test_decode_of_encode_is_identity(entries: list[PublishEntry]) -> None:
    text = encode_list(entries)
    assert decode_list(text) == entries
    assert encode_list(decode_list(text)) == text


@settings(max_examples=200, deadline=None)
@given(ENTRIES, st.data())
def test_any_spacing_decodes_to_the_same_entries(
    entries: list[PublishEntry], data: st.DataObject
) -> None:
    blank = st.text(alphabet=" \t", max_size=3)
    texts = []
    for entry in entries:
        fields = encode_entry(entry).split(", ")
        texts.append(",".join(data.draw(blank) + f + data.draw(blank) for f in fields))
    assert decode_list(texts) == entries


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="abc.,- \t0123456789xé\u043e", max_size=20), max_size=4))
@pytest.mark.reliability("untrusted_responses")
def test_any_text_decodes_or_raises_kms_input_error(values: list[str]) -> None:
    entries = attempt(decode_list, values)
    if isinstance(entries, KmsInputError):
        assert entries.field.startswith("DnsDomainPublishList")
        assert entries.fix
    else:
        assert decode_list(encode_list(entries)) == entries


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(max_size=12)
        | st.integers()
        | st.none()
        | st.booleans()
        | st.floats()
        | st.dictionaries(
            st.sampled_from(["name", "priority", "weight", "other"]),
            st.text(max_size=12) | st.integers() | st.none() | st.sampled_from(["a.com", "12"]),
        ),
        max_size=4,
    )
)
def test_any_user_input_parses_or_raises_kms_input_error(items: list[object]) -> None:
    entries = attempt(parse_domains, items)
    if isinstance(entries, KmsInputError):
        assert entries.field.startswith("domains")
        assert entries.fix
    else:
        assert len(entries) == len(items)


@settings(max_examples=200, deadline=None)
@given(ENTRIES, ENTRIES, st.sampled_from(["present", "absent", "exact"]))
def test_reconcile_meets_the_state_and_is_idempotent(
    current: list[PublishEntry], desired: list[PublishEntry], state: str
) -> None:
    result = reconcile(current, desired, state)
    meaning = {entry.domain: entry.semantic for entry in result}
    assert len(meaning) == len(result)
    wanted = {entry.domain: entry.semantic for entry in desired}
    if state == "present":
        assert all(meaning[domain] == value for domain, value in wanted.items())
        others = [e.semantic for e in current if e.domain not in wanted]
        assert [e.semantic for e in result if e.domain not in wanted] == others
    elif state == "absent":
        assert not set(meaning) & set(wanted)
        assert [e.semantic for e in result] == [
            e.semantic for e in current if e.domain not in wanted
        ]
    else:
        assert [e.semantic for e in result] == [e.semantic for e in desired]
    again = reconcile(result, desired, state)
    assert all(new is old for new, old in zip(again, result, strict=True))
    assert len(again) == len(result)
