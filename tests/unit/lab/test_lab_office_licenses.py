"""The lab names Office license rows as real SPP does (office_licenses.py, with its sources)."""

from __future__ import annotations

import re

from kmslab.model import OFFICE_SUITES, Fleet
from kmslab.model.catalog import HOST_KEY_GROUPS, OFFICE_APP_IDS
from kmslab.model.cim_classes import SLP
from kmslab.model.keys import KeyKind
from kmslab.model.office_licenses import CLIENT_LICENSES, HOST_LICENSES
from kmslab.model.ospp import office_app_id

from ansible_collections.volact.kms.plugins.module_utils.client.office import recognise

NAME = re.compile(r"Office (?P<nn>\d\d), (?P<family>\S+) edition")


def office_rows():
    fleet = Fleet()
    packs = [g for g in HOST_KEY_GROUPS if g.startswith("office")]
    spp_suites = [h for h in OFFICE_SUITES if OFFICE_SUITES[h].family != "Office 2010"]
    machine = fleet.add("kms1", "ws2022-standard", office=spp_suites, license_packs=packs)
    return [row for row in machine.cim.instances(SLP) if row["ApplicationID"] in OFFICE_APP_IDS]


def test_every_suite_and_office_host_group_has_a_sourced_row() -> None:
    suites = {(handle, kind) for handle in OFFICE_SUITES for kind in (KeyKind.MAK, KeyKind.GVLK)}
    assert set(CLIENT_LICENSES) == suites
    office_groups = {h for h, g in HOST_KEY_GROUPS.items() if g.application_id in OFFICE_APP_IDS}
    assert set(HOST_LICENSES) == office_groups
    for names in (*CLIENT_LICENSES.values(), *HOST_LICENSES.values()):
        assert names.source


def test_rows_read_like_spp_names_them() -> None:
    rows = office_rows()
    hosted = [g for g in HOST_KEY_GROUPS.values() if g.application_id in OFFICE_APP_IDS and
              "WS2022" in g.hosts]  # fmt: skip
    assert len(rows) == 2 * (len(OFFICE_SUITES) - 2) + len(hosted)  # Office 2010: OSPP
    for row in rows:
        name = NAME.fullmatch(row["Name"])
        assert name is not None, row["Name"]
        assert name["family"] == row["LicenseFamily"]
        assert row["Description"].startswith(f"Office {name['nn']}, ")
    served = {row["LicenseFamily"]: row["Description"] for row in rows}
    assert served["Office21ProPlus2021VL_KMS_Client_AE"] == "Office 21, VOLUME_KMSCLIENT channel"
    assert served["Office21ProPlus2021VL_MAK_AE1"] == "Office 21, RETAIL(MAK) channel"
    assert served["Office16ProPlusVL_KMS_Client"] == "Office 16, VOLUME_KMSCLIENT channel"
    assert served["OfficeKMSHostVL_KMS_Host"] == "Office 16, VOLUME_KMS channel"
    # no Click-to-Run product ID (ProPlus2021Volume) or lab handle is served as a license name
    assert not [f for f in served if f.endswith("Volume") or "office20" in f]


def test_the_client_reads_each_served_row_as_its_suite() -> None:
    for (handle, kind), names in CLIENT_LICENSES.items():
        suite = OFFICE_SUITES[handle]
        found = recognise(names.license_family, names.name, office_app_id(suite.family))
        assert found is not None
        assert (found.family, found.is_kms_host) == (suite.family, False), kind
    for group, names in HOST_LICENSES.items():
        found = recognise(names.license_family, names.name, HOST_KEY_GROUPS[group].application_id)
        assert found is not None
        assert found.is_kms_host
