"""playbooks/audit.yml, the real file, through real ansible-playbook against a lab fleet.

The fleet: kms1 (Windows Server 2022 host key and Office LTSC 2021 host key, publishing in corp
with priority 0 weight 60 and in branch with 10/40), kms2 (host in branch, 0/100, whose publish list
was changed behind its back to 0/50 without an sppsvc restart, so DNS and the list disagree), srv001
(a KMS client activated by kms1 once four more servers asked), pc001 (French, below the client
threshold: in grace with 0xC004F038), pc002 (MAK, activated), off001 (MAK Windows, Office activated
by kms1 as the fifth Office client), pc003 (reading its products fails with E_ACCESSDENIED) and a
machine added at run time whose inventory name is markup and whose port is closed. DNS: corp and
branch hold records, empty.lab.test holds none, nowhere.lab.test is served by nobody.

kms2 is a standby: no audited client uses it while kms1 serves them, so its count of 0 is no
finding; the report says so once, with the failover risk.

The report must say all of that, write nothing on any machine, be the same in check mode, and
render in a real headless Chromium with the hostile name shown as text, nothing overflowing its box
at desktop and phone widths.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.catalog import OFFICE_APP_ID
from kmslab.model.keys import KeyKind
from kmslab.model.registry import SPP_KEY, reg_multi_sz
from kmslab.presets import BRANCH, CORP
from report_browser import chromium, layout

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "audit.yml"
EMPTY = "empty.lab.test"
LAB_SHAPE = LabShape(
    machines=(
        MachineShape(
            "kms1", "ws2022-standard", CORP, role="kms_host", license_packs=("office2021",)
        ),
        MachineShape("kms2", "ws2022-datacenter", BRANCH, role="kms_host"),
        MachineShape("pc001", "win11-pro", CORP, initial_key=KeyKind.RETAIL, language="fr-FR"),
        MachineShape("pc002", "win10-enterprise", BRANCH, initial_key=KeyKind.MAK),
        MachineShape("pc003", "win10-pro", CORP, initial_key=KeyKind.OEM),
        MachineShape("srv001", "ws2019-standard", CORP, initial_key=KeyKind.MAK),
        MachineShape(
            "off001",
            "win10-enterprise",
            CORP,
            initial_key=KeyKind.MAK,
            office=("office2021-proplus",),
        ),
    ),
    zones=(CORP, BRANCH, EMPTY),
)
NAMES = tuple(shape.name for shape in LAB_SHAPE.machines)
EVIL = "evil<script>alert(1)</script>"
DOMAINS = [CORP, BRANCH, EMPTY, "nowhere.lab.test"]
OFFICE_2021_GVLK = "FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH"
E_ACCESSDENIED = 0x80070005
WHOLE_KEY = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){4}\b")


def _office_row(machine, key: str) -> str:
    rows = machine.cim.instances("SoftwareLicensingProduct")
    return next(
        r["ID"]
        for r in rows
        if r["ApplicationID"] == OFFICE_APP_ID and r["PartialProductKey"] == key[-5:]
    )


def _arrange(lab) -> None:
    fleet = lab.fleet
    kms1, kms2 = lab.machine("kms1"), lab.machine("kms2")
    assert admin.setup_kms_host(kms1, lab.host_key, [f"{CORP}, 0, 60", f"{BRANCH}, 10, 40"]) == 0
    office_key = fleet.keys.csvlk("office2021").key
    admin.install_key(kms1, office_key)
    assert admin.activate_product(kms1, _office_row(kms1, office_key)) == 0
    admin.restart_sppsvc(kms1)
    assert admin.setup_kms_host(kms2, lab.host_key, [f"{BRANCH}, 0, 100"]) == 0
    kms2.registry.put(SPP_KEY, "DnsDomainPublishList", reg_multi_sz([f"{BRANCH}, 0, 50"]))
    server_gvlk = fleet.keys.for_image(KeyKind.GVLK, "ws2019-standard").key
    for number in range(4):  # four servers and four Office clients ask kms1 first
        extra = fleet.add(f"vm{number}", "ws2019-standard", domain=CORP, initial_key=KeyKind.MAK)
        admin.install_key(extra, server_gvlk)
        assert admin.activate_windows(extra) == 0xC004F038
        seed = fleet.add(
            f"of{number}", "win10-enterprise", domain=CORP, office=("office2021-proplus",)
        )
        admin.install_key(seed, OFFICE_2021_GVLK)
        admin.activate_product(seed, _office_row(seed, OFFICE_2021_GVLK))
    srv001 = lab.machine("srv001")
    admin.install_key(srv001, server_gvlk)
    assert admin.activate_windows(srv001) == 0  # the fifth server
    pc001 = lab.machine("pc001")
    admin.install_key(pc001, fleet.keys.for_image(KeyKind.GVLK, "win11-pro").key)
    assert admin.activate_windows(pc001) == 0xC004F038  # 6 of the 25 a client OS needs
    assert admin.activate_windows(lab.machine("pc002")) == 0  # MAK
    off001 = lab.machine("off001")
    assert admin.activate_windows(off001) == 0  # MAK
    admin.install_key(off001, OFFICE_2021_GVLK)
    assert admin.activate_product(off001, _office_row(off001, OFFICE_2021_GVLK)) == 0
    lab.machine("pc003").faults.fail_method("SoftwareLicensingProduct", "Enumerate", E_ACCESSDENIED)
    for name in NAMES:
        lab.machine(name).journal.clear()


def wrapper() -> str:
    """The real playbook, imported after a play that adds the hostile machine."""
    return f"""
- name: Add a machine whose inventory name is markup, on a closed port
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Add it to the clients
      ansible.builtin.add_host:
        name: "{EVIL}"
        groups: kms_clients
        ansible_host: 127.0.0.1
        ansible_port: 9

- name: The fleet report
  ansible.builtin.import_playbook: {PLAYBOOK}
"""


def extra_vars(lab, report_dir: Path) -> dict[str, Any]:
    return {
        "kms_audit_report_dir": str(report_dir),
        "kms_audit_dns_server": lab.bind.address,
        "kms_audit_dns_port": lab.bind.port,
        "kms_audit_domains": DOMAINS,
    }


@pytest.fixture(scope="module")
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


@pytest.fixture(scope="module")
def cache() -> dict[str, Any]:
    return {}


def audit_run(arranged, run_playbook, cache, tmp_path_factory, *, check: bool) -> tuple:
    """(run, report dir) of one audit, made once per mode by whichever test asks first."""
    key = "check" if check else "normal"
    if key not in cache:
        report_dir = tmp_path_factory.mktemp(f"audit-{key}") / "report"
        run = run_playbook(
            arranged, wrapper(), check=check, extra_vars=extra_vars(arranged, report_dir)
        )
        assert run.rc == 0, run.output
        cache[key] = run, report_dir
    return cache[key]


@pytest.fixture
def audit(arranged, run_playbook, cache, tmp_path_factory):
    return audit_run(arranged, run_playbook, cache, tmp_path_factory, check=False)


def report_of(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "report.json").read_text())


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def test_the_json_report_says_what_the_fleet_is(audit):
    run, report_dir = audit
    report = report_of(report_dir)
    assert f"Report: {report_dir}/report.html (and report.json)" in run.output
    assert report["summary"] == {
        "machines": 8,
        "audited": 6,
        "activated": 5,
        "grace": 1,
        "unlicensed": 0,
        "not_audited": 2,
        "needs_attention": 5,
        "errors": 3,
        "warnings": 4,
        "findings": 7,
        "kms_hosts": 2,
        "standby_kms_hosts": 1,
        "srv_domains": 4,
        "activated_by_adba": 0,  # no forest here (test_audit_adba.py has one)
        "activated_by_kms": 1,
        "adba_objects": None,  # kms_audit_adba_objects not given
    }
    states = {s["state"]: s["machines"] for s in report["states"]}
    assert states == {
        "activated": ["kms1", "kms2", "off001", "pc002", "srv001"],
        "grace": ["pc001"],
        "unlicensed": [],
        "not_audited": [EVIL, "pc003"],
    }
    pc001 = by_name(report["machines"], "pc001")
    assert (pc001["edition"], pc001["windows"]["status"]) == ("Professional", "OOBGrace")
    assert pc001["windows"]["reason"]["symbol"] == "SL_E_VL_NOT_ENOUGH_COUNT"
    assert (pc001["kms_host"], pc001["kms_machine"]) == (f"kms1.{CORP}", "kms1")
    off001 = by_name(report["machines"], "off001")
    assert [(o["license_family"], o["state"]) for o in off001["office"]] == [
        ("Office21ProPlus2021VL_KMS_Client_AE", "activated")
    ]


def test_each_kms_host_against_the_thresholds(audit):
    report = report_of(audit[1])
    kms1 = by_name(report["kms_hosts"], "kms1")
    counts = [(t["product"], t["required"], t["count"], t["reached"]) for t in kms1["thresholds"]]
    assert counts[:2] == [("Windows Server", 5, 6, True), ("Windows client OS", 25, 6, False)]
    assert [c[1:] for c in counts[2:]] == [(5, 5, True)]  # the Office host key's own count
    assert kms1["activated"] is True
    assert kms1["srv_domains"] == [BRANCH, CORP]
    assert {"pc001", "srv001"} <= set(kms1["clients"]["machines"])
    assert kms1["aliases"] == [f"kms1.{CORP}"]
    assert kms1["standby"] is None
    kms2 = by_name(report["kms_hosts"], "kms2")
    assert (kms2["current_count"], kms2["thresholds"][0]["reached"]) == (0, False)
    assert kms2["publish_list"] == [{"domain": BRANCH, "priority": 0, "weight": 50}]
    # No audited client uses kms2 while kms1 serves them: a standby, whose risk is a failover.
    # kms2 is first in branch.lab.test, where no audited machine is a KMS client (pc002 has a MAK)
    # but the clients' DNS domains are unknown here (short names, IP addresses).
    assert kms2["standby"]["reason"] == (
        "no audited client activates against kms2; it is in the first tier in branch.lab.test, "
        "where no audited KMS client is known to look."
    )
    assert kms2["standby"]["risk"].startswith(
        "If kms1 fails, or when a client looks in branch.lab.test, clients reach kms2, which "
        "counts 0 machines"
    )


def test_srv_records_per_domain(audit):
    report = report_of(audit[1])
    domains = {d["domain"]: d for d in report["srv"]["domains"]}
    assert list(domains) == DOMAINS
    records = {
        name: [(r["target"], r["priority"], r["weight"], r["share_percent"]) for r in d["records"]]
        for name, d in domains.items()
    }
    assert records == {
        CORP: [(f"kms1.{CORP}", 0, 60, 100.0)],
        BRANCH: [(f"kms2.{BRANCH}", 0, 100, 100.0), (f"kms1.{CORP}", 10, 40, 100.0)],
        EMPTY: [],
        "nowhere.lab.test": [],
    }
    assert domains["nowhere.lab.test"]["read"] is False
    assert domains["nowhere.lab.test"]["dns_error"] == "REFUSED"


def test_attention_names_every_problem_with_its_hresult(audit):
    report = report_of(audit[1])
    found = [(f["severity"], f["machine"], f["code"]) for f in report["attention"]]
    assert found == [
        ("error", None, "srv_missing"),
        ("error", EVIL, "unreachable"),
        ("error", "pc003", "facts_unavailable"),
        ("warning", None, "srv_unreadable"),
        # Windows: 6 of 25. The Office host key row needs 5 (kms-facts.md §4.3) and has them.
        ("warning", "kms1", "kms_below_threshold"),
        # kms2's count of 0 is no finding (a standby); its record is.
        ("warning", "kms2", "srv_record_differs"),
        ("warning", "pc001", "not_activated"),
    ]
    items = {(f["machine"], f["code"]): f for f in report["attention"]}
    denied = items[("pc003", "facts_unavailable")]
    assert (denied["hresult"]["code"], denied["hresult"]["symbol"]) == (
        "0x80070005",
        "E_ACCESSDENIED",
    )
    assert items[(None, "srv_missing")]["hresult"]["code"] == "0x8007232B"
    assert "asks for priority 0 weight 50" in items[("kms2", "srv_record_differs")]["message"]
    assert items[("pc001", "not_activated")]["hresult"]["code"] == "0xC004F038"


def test_nothing_was_written_on_any_machine(arranged, audit):
    for name in NAMES:
        assert arranged.writes(name) == [], name


def test_check_mode_gives_the_same_report(arranged, run_playbook, cache, tmp_path_factory, audit):
    run, report_dir = audit_run(arranged, run_playbook, cache, tmp_path_factory, check=True)
    assert f"Report: {report_dir}/report.html" in run.output

    def stable(value: Any) -> Any:
        if isinstance(value, dict):
            drop = {"generated_at", "collected_at", "grace_expires"}
            return {k: stable(v) for k, v in value.items() if k not in drop}
        if isinstance(value, list):
            return [stable(item) for item in value]
        if isinstance(value, str):  # messages quote the grace deadline
            return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", value)
        return value

    assert stable(report_of(report_dir)) == stable(report_of(audit[1]))
    for name in NAMES:
        assert arranged.writes(name) == [], name


def test_no_secret_and_no_whole_key_in_the_report(arranged, audit):
    run, report_dir = audit
    texts = [(report_dir / name).read_text() for name in ("report.json", "report.html")]
    for text in [*texts, run.output]:
        assert arranged.host_key not in text
        assert arranged.password not in text
        assert arranged.bind.key_secret not in text
    for text in texts:
        assert WHOLE_KEY.findall(text) == []


def test_html_renders_in_chromium_with_the_markup_name_as_text(audit, tmp_path):
    report_dir = audit[1]
    page = (report_dir / "report.html").read_text()
    assert "<script" not in page.lower()
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in page
    url = (report_dir / "report.html").as_uri()
    dom = chromium(f"--user-data-dir={tmp_path / 'dom'}", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<script" not in dom.stdout.lower()  # the browser built no script element
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout
    png = tmp_path / "report.png"
    shot = chromium(
        f"--user-data-dir={tmp_path / 'shot'}",
        f"--screenshot={png}",
        "--window-size=1280,1600",
        url,
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    assert (width, height) == (1280, 1600)
    assert len(data) > 60_000  # charts, tables and text, not a blank page
    shutil.copy(png, report_dir / "report.png")  # kept next to the report for a look


@pytest.mark.parametrize("width", [1366, 390])
def test_html_fits_desktop_and_phone_widths_with_every_column_named(audit, tmp_path, width):
    found = layout(audit[1] / "report.html", width, tmp_path)
    assert found["width"] == width
    assert found["overflows"] == []
    assert found["scripts"] == 0
    assert found["sections"][:3] == [
        "Activation state",
        "KMS host counts against the thresholds",
        "Needs attention (7)",
    ]
    for table in found["tables"]:
        assert all(table["headers"]), table
        assert len(table["headers"]) == table["columns"], table
        if width < 720:  # too narrow for columns: each cell shows its column's name
            assert not table["headers_shown"]
            assert table["cell_labels"] == [json.dumps(h) for h in table["headers"]], table
        else:
            assert table["headers_shown"]
