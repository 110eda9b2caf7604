"""kms_client_setup_key for real: ansible-playbook against lab clients and two KMS hosts.

kms1 is a fresh KMS host whose count stays low (every activation against it is below the
threshold); kms2 has already been contacted by 24 other machines of the fleet (model-only clients
arranged below), so the next client activates. Every test converges its own machines from
whatever state they are in, so the order of tests does not matter. The lab's write journal proves
check mode writes nothing; its request counters give what a converged run costs.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kmslab.lab import LabShape, MachineShape
from kmslab.model import admin
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP

MODULE = "volact.kms.kms_client_setup_key"
TASK = "Client"
# Machines: (name, image, channel, language).
CLIENTS = (
    ("retail", "win11-pro", KeyKind.RETAIL, "fr-FR"),
    ("oem", "win10-pro", KeyKind.OEM, "de-DE"),
    ("mak", "win10-enterprise", KeyKind.MAK, "en-US"),
    ("server", "ws2019-standard", KeyKind.MAK, "es-ES"),
    ("warned", "win11-enterprise", KeyKind.MAK, "es-ES"),
    ("failing", "win11-education", KeyKind.MAK, "fr-FR"),
    ("checked", "win10-ltsc2021", KeyKind.MAK, "en-US"),
    ("drifted", "win11-pro", KeyKind.RETAIL, "en-US"),
    ("roaming", "win10-enterprise", KeyKind.OEM, "en-US"),
    ("verbose", "win11-enterprise", KeyKind.MAK, "fr-FR"),
)
LAB_SHAPE = LabShape(
    machines=(
        MachineShape("kms1", "ws2022-standard", CORP, role="kms_host"),
        MachineShape("kms2", "ws2022-datacenter", CORP, role="kms_host"),
        *(
            MachineShape(name, image, CORP, initial_key=kind, language=language)
            for name, image, kind, language in CLIENTS
        ),
    ),
    zones=(CORP,),
)
KMS1 = f"kms1.{CORP}"
KMS2 = f"kms2.{CORP}"
# Published GVLKs (reference/gvlk.csv), chosen by edition whatever the language.
GVLK = {
    "win11-pro": "W269N-WFGWX-YVC9B-4J6C9-T83GX",
    "win10-pro": "W269N-WFGWX-YVC9B-4J6C9-T83GX",
    "win10-enterprise": "NPPR9-FWDCX-D2C8J-H872K-2YT43",
    "win11-enterprise": "NPPR9-FWDCX-D2C8J-H872K-2YT43",
    "win11-education": "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2",
    "win10-ltsc2021": "M7XTQ-FN8P6-TTKYV-9D4CC-J462D",
    "ws2019-standard": "N69G4-B89J2-4G8F4-WWYCC-J464C",
}
IMAGES = {client[0]: client[1] for client in CLIENTS}


def _arrange(lab) -> None:
    """Both hosts serve; 24 other clients have asked kms2 already (threshold 25 for client OS)."""
    fleet = lab.fleet
    key = fleet.keys.csvlk("ws2022").key
    for host in ("kms1", "kms2"):
        assert admin.setup_kms_host(lab.machine(host), key) == 0
    for index in range(24):
        seed = fleet.add(
            f"seed{index:02d}", "win10-enterprise", domain=CORP, initial_key=KeyKind.GVLK
        )
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=KMS2)
        admin.activate_windows(seed)


@pytest.fixture(scope="module", autouse=True)
def arranged(lab):
    lab.call(_arrange, lab)
    return lab


def playbook(hosts: str, options: dict[str, Any]) -> str:
    play = {"hosts": hosts, "gather_facts": False, "tasks": [{"name": TASK, MODULE: options}]}
    return yaml.safe_dump([play])


def run(lab, run_playbook, hosts, **options):
    kwargs = {
        k: options.pop(k) for k in ("check", "diff", "verbosity", "transport") if k in options
    }
    return run_playbook(lab, playbook(hosts, options), **kwargs)


def writes(lab, name: str) -> list[str]:
    return [w.method for w in lab.writes(name)]


def mak_of(lab, name: str) -> str:
    return lab.call(lambda: lab.fleet.keys.for_image(KeyKind.MAK, IMAGES[name]).key)


def test_converts_retail_oem_mak_and_server_pins_host_activates_then_converges(lab, run_playbook):
    names = ("retail", "oem", "mak", "server")
    first = run(lab, run_playbook, ",".join(names), kms_host=KMS2, kms_port=1688)
    assert first.rc == 0, first.output
    for name in names:
        result = first.result(name, TASK)
        facts = result["kms_client"]
        assert result["changed"] is True
        assert facts["gvlk"]["key"] == GVLK[IMAGES[name]]
        assert facts["product"]["channel"] == "Volume:GVLK"
        assert facts["product"]["partial_product_key"] == GVLK[IMAGES[name]][-5:]
        assert facts["product"]["license_status_name"] == "Licensed"
        assert (facts["kms_host"], facts["kms_port"]) == (KMS2, 1688)
        assert result["activation"]["state"] == "activated"
        row = lab.call(admin.windows_product, lab.machine(name))
        assert (row["ProductKeyChannel"], row["LicenseStatus"]) == ("Volume:GVLK", 1)
        # The edition came from SPP's LicenseFamily: Win32_OperatingSystem (and its localized
        # Caption) was never read, on the French, German and Spanish machines alike.
        calls = lab.call(lambda n=name: dict(lab.machine(n).journal.calls))
        assert calls["enumerate SoftwareLicensingProduct"] >= 2
        assert not [call for call in calls if "Win32_OperatingSystem" in call]
    retail = first.result("retail", TASK)["kms_client"]
    assert (
        retail["reason"] == "a retail key is installed (Retail); installing the GVLK converts it."
    )
    assert first.result("oem", TASK)["kms_client"]["reason"].startswith("an OEM key is installed")
    # slmgr's order: key, refresh, host, port, then Activate on the new (KMS client) row.
    assert writes(lab, "mak")[-5:] == [
        "InstallProductKey",
        "RefreshLicenseStatus",
        "SetKeyManagementServiceMachine",
        "SetKeyManagementServicePort",
        "Activate",
    ]
    before = {name: len(lab.writes(name)) for name in names}
    again = run(lab, run_playbook, ",".join(names), kms_host=KMS2, kms_port=1688, transport="psrp")
    assert again.rc == 0, again.output
    for name in names:
        result = again.result(name, TASK)
        assert result["changed"] is False, result
        assert result["activation"]["state"] == "already_activated"
        # Converged: one query of SoftwareLicensingService, one of the keyed products.
        assert result["wsman"]["requests"] == 2, result["wsman"]
        assert len(lab.writes(name)) == before[name]


def test_below_threshold_warns_or_fails_by_policy_then_activates_on_a_counted_host(
    lab, run_playbook
):
    warned = run(lab, run_playbook, "warned", kms_host=KMS1, below_threshold="warn")
    assert warned.rc == 0, warned.output
    result = warned.result("warned", TASK)
    activation = result["activation"]
    assert activation["state"] == "below_threshold"
    assert activation["hresult"] == "0xC004F038"
    assert activation["required_count"] == 25
    # A KMS client cannot see the host's count over WMI: said so, not guessed.
    assert activation["current_count"] is None
    assert activation["missing"] is None
    assert "event 12289" in activation["message"]
    assert activation["kms_host"] == f"{KMS1}:1688 (pinned)"
    assert any("0xC004F038" in warning for warning in result["warnings"])
    assert result["kms_client"]["product"]["license_status_name"] == "OOBGrace"
    # 2 reads, InstallProductKey, RefreshLicenseStatus, SetKeyManagementServiceMachine, a read to
    # find the new KMS client row, Activate, a read of the outcome.
    assert result["wsman"]["requests"] == 8

    failing = run(lab, run_playbook, "failing", kms_host=KMS1, below_threshold="fail")
    assert failing.rc != 0
    assert failing.status("failing", TASK) == "failed"
    result = failing.result("failing", TASK)
    assert result["hresult"] == "0xC004F038"
    assert "SL_E_VL_NOT_ENOUGH_COUNT" in result["msg"]
    assert "needs 25 distinct machines" in result["msg"]
    # The conversion itself happened and is reported as a change.
    assert result["changed"] is True
    assert result["kms_client"]["product"]["channel"] == "Volume:GVLK"

    ignored = run(lab, run_playbook, "warned", kms_host=KMS1, below_threshold="ignore")
    result = ignored.result("warned", TASK)
    assert ignored.rc == 0
    assert result["changed"] is False
    assert "warnings" not in result
    assert result["activation"]["state"] == "below_threshold"

    # Re-pinned to the host the rest of the fleet uses: counted, activated.
    moved = run(lab, run_playbook, "warned", kms_host=KMS2)
    result = moved.result("warned", TASK)
    assert moved.rc == 0, moved.output
    assert result["changed"] is True
    assert result["activation"]["state"] == "activated"
    assert writes(lab, "warned")[-2:] == ["SetKeyManagementServiceMachine", "Activate"]


def test_check_mode_writes_nothing_and_diff_shows_the_conversion(lab, run_playbook):
    checked = run(
        lab, run_playbook, "checked", kms_host=KMS2, host_caching=False, check=True, diff=True
    )
    assert checked.rc == 0, checked.output
    result = checked.result("checked", TASK)
    assert result["changed"] is True
    assert lab.writes("checked") == []
    assert result["wsman"]["requests"] == 2
    assert result["activation"]["state"] == "would_activate"
    mak = mak_of(lab, "checked")
    assert result["diff"]["before"] == {
        "windows": {"channel": "Volume:MAK", "key": f"XXXXX-XXXXX-XXXXX-XXXXX-{mak[-5:]}"},
        "kms_host": None,
        "kms_port": None,
        "host_caching": True,
    }
    assert result["diff"]["after"] == {
        "windows": {"channel": "Volume:GVLK", "key": "XXXXX-XXXXX-XXXXX-XXXXX-J462D"},
        "kms_host": KMS2,
        "kms_port": None,
        "host_caching": False,
    }
    assert result["kms_client"]["gvlk"]["edition"] == "Enterprise LTSC"
    assert mak not in checked.output

    done = run(lab, run_playbook, "checked", kms_host=KMS2, host_caching=False)
    assert done.rc == 0
    assert done.result("checked", TASK)["changed"] is True
    again = run(lab, run_playbook, "checked", kms_host=KMS2, host_caching=False, check=True)
    assert again.result("checked", TASK)["changed"] is False


def test_drift_is_reported_in_check_mode_and_corrected(lab, run_playbook):
    options = {"kms_host": KMS2}
    assert run(lab, run_playbook, "drifted", **options).rc == 0
    machine = lab.machine("drifted")
    # Someone re-installs a MAK and pins another host behind Ansible's back.
    mak = lab.call(lambda: lab.fleet.keys.lab_key(KeyKind.MAK, "Windows 11/10 (GA channel)", "Pro"))
    lab.call(admin.install_key, machine, mak.key)
    lab.call(admin.call_service, machine, "SetKeyManagementServiceMachine", MachineName=KMS1)
    journal = len(lab.writes("drifted"))

    seen = run(lab, run_playbook, "drifted", check=True, diff=True, **options)
    result = seen.result("drifted", TASK)
    assert result["changed"] is True
    assert len(lab.writes("drifted")) == journal
    assert result["diff"]["before"]["windows"]["channel"] == "Volume:MAK"
    assert result["diff"]["before"]["kms_host"] == KMS1
    assert result["diff"]["after"]["kms_host"] == KMS2
    assert result["kms_client"]["reason"].startswith("a MAK key is installed")

    fixed = run(lab, run_playbook, "drifted", **options)
    result = fixed.result("drifted", TASK)
    assert fixed.rc == 0, fixed.output
    assert result["changed"] is True
    assert result["kms_client"]["product"]["channel"] == "Volume:GVLK"
    assert result["kms_client"]["kms_host"] == KMS2
    assert run(lab, run_playbook, "drifted", **options).result("drifted", TASK)["changed"] is False


def test_discovery_clears_a_pin_and_settings_converge(lab, run_playbook):
    pinned = run(lab, run_playbook, "roaming", kms_host=KMS2, kms_port=1688)
    assert pinned.rc == 0, pinned.output
    options = {"discovery": True, "lookup_domain": CORP, "host_caching": False, "activate": False}
    cleared = run(lab, run_playbook, "roaming", diff=True, **options)
    result = cleared.result("roaming", TASK)
    assert cleared.rc == 0, cleared.output
    assert result["changed"] is True
    facts = result["kms_client"]
    assert (facts["kms_host"], facts["kms_port"]) == (None, None)
    assert facts["lookup_domain"] == CORP
    assert facts["host_caching"] is False
    assert result["activation"]["state"] == "not_requested"
    assert writes(lab, "roaming")[-4:] == [
        "ClearKeyManagementServiceMachine",
        "ClearKeyManagementServicePort",
        "SetKeyManagementServiceLookupDomain",
        "DisableKeyManagementServiceHostCaching",
    ]
    service = lab.call(admin.service, lab.machine("roaming"))
    assert service["KeyManagementServiceMachine"] is None
    assert service["KeyManagementServicePort"] == 0
    again = run(lab, run_playbook, "roaming", **options)
    assert again.result("roaming", TASK)["changed"] is False
    assert again.result("roaming", TASK)["wsman"]["requests"] == 2

    # An IPv6 literal is pinned in brackets, as slmgr.vbs passes it; any spelling converges.
    ipv6 = run(lab, run_playbook, "roaming", kms_host="2001:DB8:0::10", activate=False)
    assert ipv6.result("roaming", TASK)["kms_client"]["kms_host"] == "[2001:db8::10]"
    assert lab.call(admin.service, lab.machine("roaming"))["KeyManagementServiceMachine"] == (
        "[2001:db8::10]"
    )
    same = run(lab, run_playbook, "roaming", kms_host="[2001:db8::10]", activate=False)
    assert same.result("roaming", TASK)["changed"] is False
    cleared = run(lab, run_playbook, "roaming", lookup_domain="", activate=False)
    assert cleared.result("roaming", TASK)["kms_client"]["lookup_domain"] is None
    assert writes(lab, "roaming")[-1] == "ClearKeyManagementServiceLookupDomain"


@pytest.mark.reliability("secrets")
def test_vvvv_output_holds_no_password_and_no_secret_key(lab, run_playbook):
    loud = run(lab, run_playbook, "verbose", kms_host=KMS2, diff=True, verbosity=4)
    assert loud.rc == 0, loud.output
    assert "activated" in str(loud.result("verbose", TASK)["activation"])
    for secret in (lab.password, lab.host_key, mak_of(lab, "verbose")):
        assert secret not in loud.output
        assert secret not in str(loud.results)
    # The GVLK is public (Microsoft's table) and is reported in full.
    assert GVLK["win11-enterprise"] in loud.output
