"""The fleet report filters are thin: wired to the model and the page, input errors become filter
errors, and the report is dated by the controller's clock unless told otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.volact.kms.plugins.filter.audit import FilterModule

FILTERS = FilterModule().filters()
UNREACHABLE = [{"name": "pc1", "result": {"unreachable": True, "msg": "refused"}}]


def test_the_documented_filters_and_nothing_else():
    assert sorted(FILTERS) == ["audit_html", "audit_report"]


def test_report_is_dated_now_unless_a_date_is_given():
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    model = FILTERS["audit_report"](UNREACHABLE)
    stamp = dt.datetime.fromisoformat(model["generated_at"])
    assert model["generated_at"].endswith("Z")
    assert before <= stamp <= dt.datetime.now(dt.UTC)
    dated = FILTERS["audit_report"](UNREACHABLE, generated_at="2026-01-02T03:04:05Z", title="T")
    assert (dated["generated_at"], dated["title"]) == ("2026-01-02T03:04:05Z", "T")
    assert dated["summary"]["not_audited"] == 1
    assert dated["srv"] == {"server": None, "read": False, "domains": []}


def test_html_of_the_model():
    model = FILTERS["audit_report"](UNREACHABLE, dns_server="192.0.2.53:53")
    page = FILTERS["audit_html"](model)
    assert page.startswith("<!DOCTYPE html>")
    assert "pc1 could not be reached: refused" in page


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("audit_report", "pc1", "audit_report: machines: expected a list"),
        ("audit_report", [{"result": {}}], "audit_report: machines[0]: is not a {name, result}"),
        ("audit_html", {"machines": []}, "audit_html: model: is not a fleet report model"),
    ],
)
def test_bad_input_names_the_filter_and_the_problem(name, value, expected):
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS[name](value)
    assert str(caught.value).startswith(expected)
