# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for one host's DnsDomainPublishList: tolerant decoding, plans, and expected records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import (
    PublishEntry,
    encode_list,
    parse_domains,
)
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    COMPUTER_WQL,
    VERSION_WQL,
    Dword,
    HostFacts,
    MalformedListError,
    decode_host_list,
    expected_records,
    facts_from_rows,
    make_plan,
    plan_list,
    registry_advice,
    wrong_type_list,
)

A = PublishEntry("a.com")
B = PublishEntry("b.com", 10, 50)
C = PublishEntry("c.com", 5)

HOST = HostFacts("kms1", "corp.example", True, True, 1688, True)


def semantics(entries):
    return sorted(entry.semantic for entry in entries)


# --- decoding what the host holds ---------------------------------------------------------------


def test_decoding_keeps_the_hosts_text_and_drops_empty_strings() -> None:
    held = decode_host_list(["a.com", "", "b.com,10,50", "  "])
    assert held.raw == ("a.com", "", "b.com,10,50", "  ")
    assert held.entries == (A, B)
    assert held.texts == ("a.com", "b.com,10,50")
    assert held.malformed == ()
    assert decode_host_list(None).raw is None
    assert decode_host_list("c.com, 5").entries == (C,)  # one string arrives bare


def test_every_bad_entry_is_reported_with_its_index_and_text() -> None:
    held = decode_host_list(["a.com", "garbage!", "b.com, 70000", "a.com, 1", "c.com, 5"])
    assert held.entries == (A, C)
    assert [(m.index, m.text) for m in held.malformed] == [
        (1, "garbage!"),
        (2, "b.com, 70000"),
        (3, "a.com, 1"),
    ]
    assert '"!"' in held.malformed[0].problem
    assert "70000 is out of range" in held.malformed[1].problem
    assert held.malformed[2].problem == "a.com is already listed at DnsDomainPublishList[0]."
    assert str(held.malformed[1]).startswith('DnsDomainPublishList[2] "b.com, 70000": priority ')


def test_a_value_of_another_type_is_one_malformed_whole() -> None:
    held = wrong_type_list()
    assert held.raw is None
    assert held.wrong_type
    assert held.malformed[0].index is None
    assert str(held.malformed[0]).startswith("DnsDomainPublishList: the value exists but is not")


# --- plans ----------------------------------------------------------------------------------------


def test_present_adds_and_updates_keeping_untouched_text() -> None:
    held = decode_host_list(["a.com", "b.com,1,2"])
    change = plan_list(held, [B, C], "present")
    assert change.list_changed
    assert change.after_raw == ("a.com", "b.com, 10, 50", "c.com, 5")
    assert change.after_entries == (A, B, C)


def test_meaning_not_text_and_not_order_decides() -> None:
    held = decode_host_list(["b.com,10,50", "a.com, 0, 0"])
    for state in ("present", "exact"):
        change = plan_list(held, [A, B], state)
        assert not change.changed, state
        assert change.after_raw == held.raw  # nothing rewritten, not even reordered
    assert not plan_list(held, [C], "absent").changed


def test_absent_removes_whatever_the_numbers_and_deletes_an_emptied_value() -> None:
    held = decode_host_list(["a.com", "b.com, 1, 1"])
    change = plan_list(held, [PublishEntry("b.com")], "absent")
    assert change.after_raw == ("a.com",)
    emptied = plan_list(held, [A, B], "absent")
    assert emptied.list_changed
    assert emptied.after_raw is None  # delete the value rather than write an empty one


def test_exact_with_no_domains_removes_the_value_even_an_empty_one() -> None:
    assert plan_list(decode_host_list(["a.com"]), [], "exact").after_raw is None
    empty = plan_list(decode_host_list([""]), [], "exact")
    assert (empty.list_changed, empty.after_raw) == (True, None)
    absent = plan_list(decode_host_list(None), [], "exact")
    assert not absent.changed


@pytest.mark.parametrize("state", ["present", "absent"])
def test_malformed_entries_stop_present_and_absent_naming_them(state: str) -> None:
    held = decode_host_list(["a.com", "b.com,,5"])
    with pytest.raises(MalformedListError) as raised:
        plan_list(held, [C], state)
    message = str(raised.value)
    assert 'DnsDomainPublishList[1] "b.com,,5": the priority field is empty.' in message
    assert f"state={state} cannot change it entry by entry" in message
    assert "run the task with state: exact" in message
    with pytest.raises(MalformedListError, match="is not a REG_MULTI_SZ"):
        plan_list(wrong_type_list(), [C], state)


def test_exact_replaces_malformed_entries_and_says_which() -> None:
    held = decode_host_list(["a.com,1", "b.com,,5"])
    change = plan_list(held, [PublishEntry("a.com", 1)], "exact")
    assert change.list_changed
    assert change.after_raw == ("a.com,1",)
    assert [m.index for m in change.before.malformed] == [1]
    replaced_type = plan_list(wrong_type_list(), [A], "exact")
    assert (replaced_type.list_changed, replaced_type.after_raw) == (True, ("a.com",))


def test_disable_publishing_is_planned_only_when_wanted() -> None:
    held = decode_host_list(["a.com"])
    assert make_plan(held, [A], "present").disable_before is None
    on = make_plan(held, [A], "present", Dword(None), False)
    assert (on.changed, on.disable_after, on.publishing_disabled) == (False, None, False)
    off = make_plan(held, [A], "present", Dword(None), True)
    assert (off.changed, off.list_changed, off.disable_after) == (True, False, 1)
    assert off.publishing_disabled
    back = make_plan(held, None, "present", Dword(7), False)
    assert (back.disable_changed, back.disable_after, back.after_raw) == (True, 0, ("a.com",))
    assert not make_plan(held, None, "present", Dword(7), True).changed  # any non-zero is "on"
    fixed = make_plan(held, None, "present", Dword(None, wrong_type=True), False)
    assert (fixed.disable_changed, fixed.disable_after) == (True, 0)


entries = st.lists(
    st.builds(
        PublishEntry,
        st.sampled_from(["a.com", "b.com", "c.org", "d.net", "e.example"]),
        st.none() | st.integers(0, 65535),
        st.none() | st.integers(0, 65535),
    ),
    max_size=5,
    unique_by=lambda entry: entry.domain,
)


@settings(max_examples=300, deadline=None)
@given(current=entries, desired=entries, state=st.sampled_from(["present", "absent", "exact"]))
def test_a_plan_applied_is_converged_and_means_what_was_asked(current, desired, state) -> None:
    first = plan_list(decode_host_list(encode_list(current) or None), desired, state)
    written = decode_host_list(None if first.after_raw is None else list(first.after_raw))
    again = plan_list(written, desired, state)
    assert not again.changed
    wanted = {entry.domain: entry.semantic for entry in desired}
    got = {entry.domain: entry.semantic for entry in written.entries}
    if state == "exact":
        assert got == wanted
    elif state == "present":
        assert all(got[domain] == meaning for domain, meaning in wanted.items())
        assert set(got) == {e.domain for e in current} | set(wanted)
    else:
        assert set(got) == {e.domain for e in current} - set(wanted)
    assert first.changed == (semantics(written.entries) != semantics(current))


# --- what the host publishes ----------------------------------------------------------------------


def test_facts_come_from_named_properties_only() -> None:
    assert COMPUTER_WQL == "SELECT DNSHostName, Domain, PartOfDomain FROM Win32_ComputerSystem"
    # The KMS role comes from SoftwareLicensingService as every module reads it (SELECT *, valid
    # on every Windows version); the version alone, where the key may be missing, by name.
    assert VERSION_WQL == "SELECT Version FROM SoftwareLicensingService"
    facts = facts_from_rows(
        {"DNSHostName": "KMS1", "Domain": "Corp.Example", "PartOfDomain": True},
        {
            "IsKeyManagementServiceMachine": 1,
            "KeyManagementServiceListeningPort": 0,
            "KeyManagementServiceDnsPublishing": None,
        },
    )
    assert facts == HostFacts("KMS1", "Corp.Example", True, True, 1688, True)


def test_records_are_the_home_domain_then_each_entry() -> None:
    change = plan_list(
        decode_host_list(None), parse_domains(["b.com", {"name": "c.com", "weight": 9}]), "present"
    )
    records, warning = expected_records(change, HOST)
    assert warning == ""
    assert records == [
        {
            "domain": "corp.example",
            "target": "kms1.corp.example",
            "port": 1688,
            "priority": 0,
            "weight": 0,
        },
        {
            "domain": "b.com",
            "target": "kms1.corp.example",
            "port": 1688,
            "priority": 0,
            "weight": 0,
        },
        {
            "domain": "c.com",
            "target": "kms1.corp.example",
            "port": 1688,
            "priority": 0,
            "weight": 9,
        },
    ]
    moved = HostFacts("KMS1", "Corp.Example.", True, True, 1700, True)
    listed_home = plan_list(decode_host_list(["corp.example, 5, 6"]), [], "present")
    # A listed home domain: the listed record, and the automatic 0/0 one that Windows may keep
    # beside it or drop (kms-facts §2.3, UNCONFIRMED; it used to be assumed dropped).
    assert expected_records(listed_home, moved)[0] == [
        {
            "domain": "corp.example",
            "target": "kms1.corp.example",
            "port": 1700,
            "priority": 5,
            "weight": 6,
        },
        {
            "domain": "corp.example",
            "target": "kms1.corp.example",
            "port": 1700,
            "priority": 0,
            "weight": 0,
            "optional": True,
        },
    ]


def test_no_records_off_a_kms_host_or_with_publishing_off() -> None:
    change = plan_list(decode_host_list(["b.com"]), [], "present")
    records, warning = expected_records(
        change, HostFacts("pc1", "corp.example", True, False, 1688, True)
    )
    assert records == []
    assert "not a KMS host" in warning
    assert expected_records(change, HostFacts("kms1", "corp.example", True, True, 1688, False)) == (
        [],
        "",
    )
    turned_off = make_plan(decode_host_list(["b.com"]), None, "present", Dword(None), True)
    assert expected_records(turned_off, HOST) == ([], "")
    turned_on = make_plan(decode_host_list(["b.com"]), None, "present", Dword(1), False)
    on_facts = HostFacts("kms1", "corp.example", True, True, 1688, False)  # not restarted yet
    assert len(expected_records(turned_on, on_facts)[0] or []) == 2


def test_no_records_when_the_name_is_unknown() -> None:
    change = plan_list(decode_host_list(["b.com"]), [], "present")
    workgroup = HostFacts("kms1", "WORKGROUP", False, True, 1688, True)
    records, warning = expected_records(change, workgroup)
    assert records is None
    assert "not a member of a domain" in warning
    odd = HostFacts("kms_1", "corp.example", True, True, 1688, True)
    records, warning = expected_records(change, odd)
    assert records is None
    assert warning.startswith("the host's own name cannot be used for SRV records: host_fqdn: ")


def test_registry_refusals_say_what_to_do() -> None:
    assert "Administrators group" in registry_advice(5)
    assert "LocalAccountTokenFilterPolicy" in registry_advice(5)
    assert registry_advice(2).startswith("Check that HKLM\\SOFTWARE\\Microsoft\\Windows NT\\")
