# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Office through OSPP (windows/ospp.py, client/ospp.py) and Office KMS host keys with their
license files (host/office.py), against lab machines over the WS-Man front end (no HTTP)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from kmslab.model import Fleet, KeyKind, admin
from kmslab.model.license_packs import fake_files
from kmslab.provider import ModelProvider
from kmslab.variants import Variants
from kmslab.wsman.service import WsmanService

from ansible_collections.volact.kms.plugins.module_utils.client.apply import converge
from ansible_collections.volact.kms.plugins.module_utils.client.options import parse_request
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host import office
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    parse_request as host_request,
)
from ansible_collections.volact.kms.plugins.module_utils.host.run import run as host_run
from ansible_collections.volact.kms.plugins.module_utils.licensing.office_hosts import RELEASES
from ansible_collections.volact.kms.plugins.module_utils.windows import ospp
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

CORP = "corp.lab.test"
OFFICE_2010_GVLK = "VYBBJ-TRJPB-QFQRF-QFT4D-H3GVB"


def session_for(machine) -> CimSession:
    service = WsmanService(machine.fqdn, ModelProvider(machine))

    def send(xml: str, **_: object) -> bytes:
        return service.handle(xml.encode(), alias=machine.fqdn, endpoint="http://lab/wsman")[1]

    return CimSession(send)


def office_pc(fleet: Fleet, name: str = "pc1", image: str = "win7-enterprise", mak: bool = True):
    machine = fleet.add(name, image, domain=CORP, office=["office2010-proplus"])
    if mak:
        admin.install_office_keys(machine, KeyKind.MAK)
    return machine


@pytest.mark.parametrize(
    ("version", "only_ospp"),
    [
        ("6.1.7601.17514", True),
        ("6.0.6002.18005", True),
        ("6.2.9200.16384", False),
        ("10.0.20348.1", False),
        ("", False),
        ("garbage", False),
    ],
)
def test_office_is_only_in_ospp_on_windows_7_and_older(version: str, only_ospp: bool) -> None:
    assert ospp.office_only_in_ospp(version) is only_ospp


@pytest.mark.parametrize("surface", ["ospp_vbs", "spp7"])
def test_reading_ospp_whatever_the_property_spelling(surface: str) -> None:
    fleet = Fleet(variants=Variants({"ospp_surface": surface}))
    machine = office_pc(fleet)
    session = session_for(machine)
    reading = ospp.read(session)
    assert reading is not None
    assert session.requests == 2
    assert reading.service.version == "14.0.7015.1000"
    assert reading.service.host_caching is True
    assert reading.service.selectors  # the identity Windows gave, from the enumeration
    (product,) = reading.products
    assert isinstance(product, ospp.OsppProduct)
    assert product.application_id == ospp.OFFICE_2010_APP_ID  # read as ApplicationId or ID
    assert product.name == "Office 14, OfficeProPlus-MAK edition"
    assert product.channel.kind.value == "mak"  # from Description: "RETAIL(MAK)"
    assert product.license_family is None
    assert ospp.selectors_of(product) == {"ID": product.id}


def test_no_ospp_is_one_request_and_none() -> None:
    machine = Fleet().add("pc1", "win10-enterprise")
    session = session_for(machine)
    assert ospp.read(session) is None
    assert session.requests == 1


def test_office_scope_on_windows_7_reads_the_service_and_ospp_only() -> None:
    fleet = Fleet(zones=[CORP])
    machine = office_pc(fleet)
    session = session_for(machine)
    outcome = converge(session, parse_request({"product": "office", "activate": False}), True)
    assert session.requests == 3  # SoftwareLicensingService, OSPP service, OSPP products
    (plan,) = outcome.plan.office
    assert plan.install is True
    assert plan.target.key.value == OFFICE_2010_GVLK
    assert outcome.plan.settings == ()


def test_lookup_domain_is_refused_for_ospp_before_any_write() -> None:
    fleet = Fleet(zones=[CORP])
    machine = office_pc(fleet, image="win10-enterprise")
    machine.journal.clear()
    request = parse_request({"product": "office", "lookup_domain": CORP})
    with pytest.raises(KmsInputError, match="no KMS lookup domain"):
        converge(session_for(machine), request, False)
    assert machine.journal.writes == []


@pytest.mark.parametrize("scope", ["machine", "product"])
def test_the_pin_goes_on_the_row_that_carries_the_gvlk(scope: str) -> None:
    fleet = Fleet(zones=[CORP], variants=Variants({"ospp_kms_host_scope": scope}))
    machine = office_pc(fleet)
    machine.journal.clear()
    request = parse_request({"product": "office", "kms_host": "kms1.corp.lab.test"})
    outcome = converge(session_for(machine), request, False)
    (entry,) = [p for p in outcome.products if isinstance(p, ospp.OsppProduct)]
    assert entry.partial_key == "H3GVB"
    assert entry.kms_machine == "kms1.corp.lab.test"
    assert [w.method for w in machine.journal.writes] == [
        "InstallProductKey",
        "SetKeyManagementServiceMachine",
        "Activate",
    ]
    set_host = machine.journal.writes[1]
    assert dict(set_host.selectors)["ID"] == entry.id  # the GVLK's row, not the MAK's
    again = converge(session_for(machine), request, False)
    assert again.plan.ospp is None or not again.plan.ospp.changed


def test_host_caching_goes_to_the_ospp_service_with_office_alone() -> None:
    fleet = Fleet(zones=[CORP])
    machine = office_pc(fleet)
    admin.install_office_key(machine, OFFICE_2010_GVLK)
    machine.journal.clear()
    request = parse_request({"product": "office", "host_caching": False, "activate": False})
    outcome = converge(session_for(machine), request, False)
    assert outcome.changed is True
    assert [(w.target, w.method) for w in machine.journal.writes] == [
        ("OfficeSoftwareProtectionService", "DisableKeyManagementServiceHostCaching")
    ]
    assert machine.ospp.host_caching is False
    assert machine.spp.host_caching is True  # Windows' own is left alone


# host/office.py ---------------------------------------------------------------------------------
def test_license_files_are_decoded_as_slmgr_decodes_them() -> None:
    text = "<r:license/>"
    assert office.decode_license("a", text.encode()) == text
    assert office.decode_license("a", b"\xef\xbb\xbf" + text.encode()) == text
    assert office.decode_license("a", b"\xff\xfe" + text.encode("utf-16-le")) == text
    with pytest.raises(KmsInputError, match="neither UTF-16"):
        office.decode_license("a.xrm-ms", b"\xff\x00\xfe")


def test_license_file_names_and_the_release_are_checked_first() -> None:
    assert office.check_names(["a.xrm-ms", "B.XRM-MS"]) == ["a.xrm-ms", "B.XRM-MS"]
    with pytest.raises(KmsInputError, match=r"not an \.xrm-ms file"):
        office.check_names(["pack.exe"])
    with pytest.raises(KmsInputError, match="listed twice"):
        office.check_names(["a.xrm-ms", "a.xrm-ms"])
    with pytest.raises(KmsInputError, match="office_release is not given"):
        host_request({"key": "VYBBJ-TRJPB-QFQRF-QFT4D-H3GVC", "license_files": ["a.xrm-ms"]})
    with pytest.raises(KmsInputError, match="state=present"):
        office.parse_release({"office_release": 2016}, "absent")
    assert office.parse_release({"office_release": 2016}, "present") == RELEASES[2016]


def test_a_file_larger_than_the_envelope_is_refused_unsent() -> None:
    big = office.LicenseFile("big.xrm-ms", "<" * 40000)  # escaped to 160 KB
    problem = office.envelope_problem(big, 153600)
    assert problem is not None
    assert "MaxEnvelopeSizekb" in problem
    assert office.envelope_problem(office.LicenseFile("s.xrm-ms", "x"), 153600) is None


def host_key_request(fleet: Fleet, with_files: bool, **extra):
    args = {"key": fleet.keys.csvlk("office2016").key, "office_release": 2016, **extra}
    request = host_request(args)
    if with_files:
        files = tuple(office.LicenseFile(n, t) for n, t in fake_files("office2016").items())
        request = replace(request, license_files=files)
    return request


def test_the_missing_pack_is_named_and_nothing_is_written() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    host.journal.clear()
    result = host_run(
        session_for(host),
        host_key_request(fleet, with_files=False),
        check_mode=False,
        want_diff=False,
        warn=lambda _text: None,
    )
    assert result["failed"] is True
    assert "Office 2016 Volume License Pack" in result["msg"]
    assert "49164" in result["msg"]
    assert result["changed"] is False
    assert host.journal.writes == []


def test_license_files_go_in_then_the_key_then_activation_by_its_id() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard")
    host.journal.clear()
    checked = host_run(
        session_for(host),
        host_key_request(fleet, with_files=True),
        check_mode=True,
        want_diff=True,
        warn=lambda _text: None,
    )
    assert checked["changed"] is True
    assert host.journal.writes == []
    result = host_run(
        session_for(host),
        host_key_request(fleet, with_files=True),
        check_mode=False,
        want_diff=False,
        warn=lambda _text: None,
    )
    assert "failed" not in result, result.get("msg")
    assert result["office_host"]["license_status_name"] == "Licensed"
    assert result["office_host"]["license_files_installed"] == list(fake_files("office2016"))
    methods = [w.method for w in host.journal.writes]
    assert methods[:3] == ["InstallLicense", "InstallLicense", "InstallProductKey"]
    (activate,) = [w for w in host.journal.writes if w.method == "Activate"]
    assert dict(activate.selectors)["ID"].casefold() == RELEASES[2016].activation_id


def test_a_key_of_another_release_is_not_activated() -> None:
    fleet = Fleet()
    host = fleet.add("kms1", "ws2022-standard", license_packs=["office2016", "office2019"])
    args = {"key": fleet.keys.csvlk("office2019").key, "office_release": 2016}
    result = host_run(
        session_for(host),
        host_request(args),
        check_mode=False,
        want_diff=False,
        warn=lambda _text: None,
    )
    assert result["failed"] is True
    assert "not an Office 2016 KMS host key" in result["msg"]
    assert "Activate" not in [w.method for w in host.journal.writes]
