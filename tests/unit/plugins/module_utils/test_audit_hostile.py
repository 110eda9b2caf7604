"""The fleet report against hostile values: every string a model holds, and every field a
machine or a DNS server reports, comes out of the page as inert text (no element, attribute or URL
of its own, the Content-Security-Policy and the style sheet untouched); the page's markup is all
in its templates. The same pages in a real browser: tests/integration/test_audit_hostile_browser.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from report_hostile import HOSTILE, assert_inert, displayed, hostile_inputs, inspect, swapped
from test_audit_report import NOW, fleet, srv_reads, standby_fleet, standby_srv

from ansible_collections.volact.kms.plugins.filter.audit import FilterModule
from ansible_collections.volact.kms.plugins.module_utils.audit import page as page_module
from ansible_collections.volact.kms.plugins.module_utils.audit.page import POLICY, render
from ansible_collections.volact.kms.plugins.module_utils.audit.report import build

FILTERS = FilterModule().filters()
AUDIT = Path(page_module.__file__).resolve().parent


def models() -> dict[str, dict[str, Any]]:
    """Models that between them take every branch of the page."""
    return {
        "fleet": build(fleet(), srv_reads(), generated_at=NOW, dns_server="192.0.2.53:53"),
        "standby": build(standby_fleet(), standby_srv(), generated_at=NOW, dns_server="ns1"),
        "no dns": build(fleet()[:4], generated_at=NOW),
        "empty": build([], generated_at=NOW),
    }


@pytest.mark.parametrize("name", list(models()))
def test_every_string_of_the_model_comes_out_inert(name):
    hostile, plain, texts = swapped(models()[name])
    page = render(hostile)
    assert_inert(page, POLICY, displayed(hostile), plain=render(plain))
    if name == "fleet":  # every hostile text was used, the overlong ones too
        assert len(texts.numbers) > 2 * len(HOSTILE)
        assert len(page) > 100_000


def test_hostile_inputs_through_the_filters_come_out_inert():
    machines, srv = hostile_inputs(fleet(), srv_reads())
    model = FILTERS["audit_report"](machines, srv, NOW, dns_server=HOSTILE[0], title=HOSTILE[1])
    page = FILTERS["audit_html"](model)
    parsed = assert_inert(page, POLICY, displayed(model))
    assert parsed.text.count('<script>alert("x")</script>') > 5
    assert "{{ 7 * 7 }}{% if true %}jinja{% endif %}{# c #}" in parsed.text  # never evaluated
    assert "&amp;&lt;&#x3C;&#60;" in parsed.text  # entities in data stay text
    assert "[U+202E]evil[U+202C] [U+2067]isolated[U+2069] [U+202D]over" in parsed.text
    # What a plain page has, the hostile one has: every section, table and column.
    reference = inspect(render(build(fleet(), srv_reads(), generated_at=NOW, dns_server="ns")))
    for tag in ("section", "table", "th", "h2"):
        assert [t for t, _a in parsed.elements].count(tag) == [
            t for t, _a in reference.elements
        ].count(tag), tag


def test_a_value_never_becomes_a_template():
    model = build(fleet()[:2], generated_at="{{ 7 * 7 }}", title="{% raw %}{{ title }}")
    text = inspect(render(model)).text
    assert "Generated {{ 7 * 7 }}" in text
    assert "{% raw %}{{ title }}" in text
    assert "49" not in text


def test_the_templates_escape_everything_and_the_policy_is_the_one_declared():
    templates = sorted((AUDIT / "templates").iterdir())
    assert {t.name for t in templates} >= {"page.html.j2", "style.css.j2"}
    for template in templates:
        text = template.read_text()
        # Nothing may turn the escaping off or mark a value as markup.
        assert not re.search(r"\|\s*safe\b|autoescape|Markup|\|\s*e\b|\{%-?\s*raw", text), template
        assert not re.search(r"<script|\son\w+=|\s(?:href|src)=|url\(|@import", text), template
    page = render(models()["fleet"])
    assert page.count("Content-Security-Policy") == 1
    assert f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">' in page
    environment = page_module.environment()
    assert environment.autoescape is True
    assert environment.undefined.__name__ == "StrictUndefined"


TAG = re.compile(
    r"</?(?:b|br|body|circle|code|div|footer|h[1-6]|head|header|html|li|line|main|meta|p|rect"
    r"|section|small|span|style|svg|table|tbody|td|text|th|thead|title|tr|ul)\b[^<>]*>"
)


def html_in_strings(path: Path) -> list[str]:
    """The string constants of a Python file that hold an HTML or SVG tag."""
    tree = ast.parse(path.read_text())
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and TAG.search(node.value)
    ]


@pytest.mark.parametrize("path", sorted(AUDIT.glob("*.py")), ids=lambda p: p.name)
def test_no_markup_is_made_in_python(path):
    assert html_in_strings(path) == []
