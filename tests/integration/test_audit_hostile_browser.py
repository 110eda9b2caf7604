"""The fleet report with hostile values in a real headless Chromium (tests/report_hostile.py):
the pages load under their own policy, the browser builds no script and no element a value asked
for, and every section, table and column is there at desktop and phone widths.

Not asserted: that every value stays in its box. A long value without a break (an overlong word,
or markup-like text such as ``</style><script>...``) in a column that does not wrap widens its
table, as it did before the templates; the layout is unchanged by design (tests/integration/
test_audit.py checks it on the lab's report).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from report_browser import chromium, layout, screenshot
from report_hostile import HOSTILE, UNBROKEN, assert_inert, displayed, hostile_inputs, swapped

from ansible_collections.volact.kms.plugins.filter.audit import FilterModule
from ansible_collections.volact.kms.plugins.module_utils.audit.page import POLICY, render
from ansible_collections.volact.kms.plugins.module_utils.audit.report import build

# The unit tests' fleet: every state, findings with HRESULTs, SRV sets read, empty and refused.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "plugins" / "module_utils"))
from test_audit_report import NOW, fleet, srv_reads

FILTERS = FilterModule().filters()
FORBIDDEN = ("<script", "<img", "<a ", "<iframe", "<svg onload", "<style>body", "<textarea")


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """``plain``: the test fleet's page; ``inputs``: hostile values (no unbroken overlong one)
    from the machines and DNS, through the filters; ``model``: every string of the model hostile."""
    folder = tmp_path_factory.mktemp("hostile")
    plain_model = build(fleet(), srv_reads(), generated_at=NOW, dns_server="192.0.2.53:53")
    values = [v for v in HOSTILE if v != UNBROKEN]
    machines, srv = hostile_inputs(fleet(), srv_reads(), values)
    inputs_model = FILTERS["audit_report"](
        machines, srv, NOW, dns_server=values[0], title=values[1]
    )
    hostile, plain, _texts = swapped(plain_model)
    found = {
        "plain": render(plain_model),
        "inputs": FILTERS["audit_html"](inputs_model),
        "model": render(hostile),
    }
    assert_inert(found["inputs"], POLICY, displayed(inputs_model))
    assert_inert(found["model"], POLICY, displayed(hostile), plain=render(plain))
    paths = {}
    for name, page in found.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(page, encoding="utf-8")
    return paths


@pytest.mark.parametrize("name", ["inputs", "model"])
def test_the_browser_builds_no_element_a_value_asked_for(pages, tmp_path, name):
    dom = chromium(f"--user-data-dir={tmp_path / 'dom'}", "--dump-dom", pages[name].as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    built = dom.stdout.lower()
    for tag in FORBIDDEN:
        assert tag not in built, tag
    assert built.count("<style>") == 1
    assert built.count("<meta ") == 3
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in dom.stdout  # shown, as text


def shape(found: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The h2 texts (without a count) and each table's headers."""
    sections = [text.split(" (")[0] for text in found["sections"]]
    return sections, [table["headers"] for table in found["tables"]]


@pytest.mark.parametrize("width", [1366, 390])
def test_every_section_and_column_is_there(pages, tmp_path, width):
    measured = {}
    for name in ("plain", "inputs", "model"):
        (tmp_path / name).mkdir()
        measured[name] = found = layout(pages[name], width, tmp_path / name)
        assert found["width"] == width
        assert found["scripts"] == 0
        for table in found["tables"]:
            assert all(table["headers"]), table
            assert len(table["headers"]) == table["columns"], table
            if width < 720:  # too narrow for columns: each cell shows its column's name
                assert not table["headers_shown"]
                assert table["cell_labels"] == [json.dumps(h) for h in table["headers"]], table
            else:
                assert table["headers_shown"]
    sections, headers = shape(measured["plain"])
    assert shape(measured["model"]) == (sections, headers)
    # The values from the machines and DNS change the editions' rows, not the columns.
    assert shape(measured["inputs"]) == (sections, headers)


def test_the_hostile_page_is_drawn(pages, tmp_path):
    png = tmp_path / "inputs.png"
    data = screenshot(pages["inputs"], png, 1366, 1600, tmp_path)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1366, 1600)  # IHDR
    assert len(data) > 60_000  # charts, tables and text, not a blank page
