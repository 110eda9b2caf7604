"""kms_adba_object against the lab's real Samba AD forest (issue 16), with real ansible-playbook.

The forest (``kmslab.forest``) is a Samba AD DC prepared for ADBA as adprep prepares Windows'
(forest updates 91 and 92); its LDAPS and Kerberos ports are relayed to loopback. ``adm1`` is a
domain-joined Server 2022 whose DoActiveDirectoryOnlineActivation writes the activation object
into Samba over LDAP; ``pc7`` is a domain-joined Windows 7 (no ADBA); ``out1`` is outside the
forest. Every scenario runs once under the lab's defaults and once under each other value of the
ADBA variants (``adba_object_rdn``, ``adba_second_hop``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kmslab.lab import Lab
from kmslab.model import admin
from kmslab.model.directory import Caller
from kmslab.model.keys import KeyKind
from kmslab.presets import CORP, adba
from kmslab.samba import missing_tools
from kmslab.variants import Variants, matrix

pytestmark = [
    pytest.mark.skipif(
        os.geteuid() != 0,
        reason="needs root: the forest is a Samba AD DC in a network namespace; CI runs as root",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def samba_installed() -> None:
    """Samba missing is a broken setup, not a reason to skip: the test profile installs it."""
    missing = missing_tools()
    assert not missing, f"install the test profile of bindep.txt (scripts/setup): {missing}"


NAME = "WS2022 forest"
OUT1 = f"out1.{CORP}"
GVLK = KeyKind.GVLK
VARIANTS = [pytest.param({}, id="defaults")] + [
    pytest.param({name: value}, id=f"{name}={value}") for name, value in matrix("adba")
]


@pytest.fixture(scope="module", params=VARIANTS)
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    with Lab(adba(), http_port=0, https_port=0, variants=Variants(request.param)) as running:
        yield running


def forest(lab: Lab) -> dict[str, Any]:
    return yaml.safe_load((lab.state_dir / "active-directory.yml").read_text())


def ldap_options(lab: Lab, **extra: Any) -> dict[str, Any]:
    ad = forest(lab)
    return {
        "ldap_server": ad["kmslab_ad_server"],
        "ldap_server_fqdn": ad["kmslab_ad_server_fqdn"],
        "ldap_port": ad["kmslab_ad_ldaps_port"],
        "ldap_ca_path": ad["kmslab_ad_ca"],
        "ldap_auth": "simple",
        "ldap_user": ad["kmslab_ad_admin"],
        "ldap_password": ad["kmslab_ad_admin_password"],
        **extra,
    }


def play(tasks: list[dict[str, Any]], host: str = "adm1") -> str:
    named = [{"name": f"t{n}", "ignore_errors": True, **task} for n, task in enumerate(tasks)]
    return yaml.safe_dump([{"hosts": host, "gather_facts": False, "tasks": named}], sort_keys=False)


def adba_task(lab: Lab, **options: Any) -> dict[str, Any]:
    """The key as a variable, as a vault would give it: ansible-core shows a failed task's source
    lines, so a literal key in a playbook is printed by ansible itself."""
    if options.get("product_key") == lab.host_key:
        options["product_key"] = "{{ adba_csvlk }}"
    return {"volact.kms.kms_adba_object": {**ldap_options(lab), **options}}


def playbook(run_playbook, lab: Lab, text: str, **options: Any):
    return run_playbook(lab, text, extra_vars={"adba_csvlk": lab.host_key}, **options)


def outcome(run, host: str = "adm1", task: str = "t0") -> dict[str, Any]:
    """The task's result, with ``failed`` as the run's status says (the callback's copy of the
    result may not carry it)."""
    return {**run.result(host, task), "failed": run.status(host, task) == "failed"}


def objects(lab: Lab) -> list[dict[str, Any]]:
    return lab.call(lab.fleet.directory.objects)


def adba_writes(lab: Lab, host: str = "adm1") -> list[Any]:
    return [w for w in lab.writes(host) if "DoActiveDirectoryOnlineActivation" in str(w)]


def test_create_converge_list_remove(lab: Lab, run_playbook) -> None:
    key = lab.host_key
    present = adba_task(lab, name=NAME, product_key=key)
    absent = adba_task(lab, name=NAME, state="absent")

    checked = playbook(run_playbook, lab, play([present]), check=True, diff=True)
    result = checked.result("adm1", "t0")
    assert result["changed"] is True, checked.output
    assert result["object"] is None
    assert result["objects"] == []
    assert result["diff"]["after"]["object"] == {"name": NAME, "partial_product_key": key[-5:]}
    assert objects(lab) == []
    assert adba_writes(lab) == []

    run = playbook(run_playbook, lab, play([present, present, absent, present]), diff=True)
    made, again, _remove, _recreate = (run.result("adm1", f"t{i}") for i in range(4))
    assert made["changed"] is True, run.output
    assert made["object"]["name"] == NAME
    assert made["object"]["partial_product_key"] == key[-5:]
    assert made["object"]["activation_id"]
    assert len(made["object"]["kms_ids"]) > 1
    assert made["container"].startswith("CN=Activation Objects,CN=Microsoft SPP,CN=Services,")
    # Made: SoftwareLicensingService, Win32_NTDomain, the method. Converged: LDAP only.
    assert made["wsman"]["requests"] == 3
    assert again["changed"] is False
    assert again["wsman"]["requests"] == 0
    assert [o["name"] for o in again["objects"]] == [NAME]  # the listing
    assert len(adba_writes(lab)) == 2
    stored = objects(lab)
    assert [o["displayName"] for o in stored] == [[NAME]]
    rdn = stored[0]["dn"].split(",", 1)[0]
    if lab.variants["adba_object_rdn"] == "name":
        assert rdn == f"CN={NAME}"
    else:
        assert rdn == f"CN={made['object']['activation_id']}"

    checked = playbook(run_playbook, lab, play([present, absent]), check=True)
    assert checked.result("adm1", "t0")["changed"] is False
    assert checked.result("adm1", "t1")["changed"] is True
    assert len(objects(lab)) == 1  # check mode removed nothing

    run = playbook(run_playbook, lab, play([absent, absent]), diff=True)
    removed, gone = run.result("adm1", "t0"), run.result("adm1", "t1")
    assert removed["changed"] is True
    assert removed["objects"] == []
    assert removed["diff"]["before"]["object"]["name"] == NAME
    assert gone["changed"] is False
    assert removed["wsman"]["requests"] == 0  # removing is LDAP only
    assert objects(lab) == []


def test_kerberos_bind_reads_the_forest(lab: Lab, run_playbook, tmp_path) -> None:
    ad = forest(lab)
    env = {"KRB5_CONFIG": ad["kmslab_ad_krb5_conf"], "KRB5CCNAME": f"FILE:{tmp_path / 'cc'}"}
    subprocess.run(
        ["kinit", ad["kmslab_ad_admin"]],
        input=ad["kmslab_ad_admin_password"] + "\n",
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    options = ldap_options(lab, ldap_auth="kerberos")
    del options["ldap_user"], options["ldap_password"]
    task = {"volact.kms.kms_adba_object": {**options, "name": "nothing here", "state": "absent"}}
    run = playbook(run_playbook, lab, play([task]), env=env)
    result = run.result("adm1", "t0")
    assert result.get("failed") is not True, run.output
    assert result["changed"] is False
    assert result["container"]


def test_refusals_name_the_field_and_the_fix(lab: Lab, run_playbook) -> None:
    key = lab.host_key
    written = len(adba_writes(lab))
    ad = forest(lab)
    system_cas = "/etc/ssl/certs/ca-certificates.crt"
    wrong = {"ldap_user": ad["kmslab_ad_admin"], "ldap_password": "wrong"}
    tasks = [
        adba_task(lab, name="x" * 41, product_key=key),
        adba_task(lab, name="a,b", product_key=key),
        adba_task(lab, name=NAME, product_key=key, ldap_port=1),
        adba_task(lab, name=NAME, product_key=key, ldap_ca_path=system_cas),
        adba_task(lab, name=NAME, state="absent", **wrong),
    ]
    run = playbook(run_playbook, lab, play(tasks))
    results = [run.result("adm1", f"t{i}") for i in range(len(tasks))]
    assert [run.status("adm1", f"t{i}") for i in range(len(tasks))] == ["failed"] * 5, [
        {k: v for k, v in r.items() if k != "invocation"} for r in results
    ]
    assert results[0]["msg"].startswith("name: is 41 characters long")
    assert "40" in results[0]["msg"]
    assert results[1]["msg"].startswith("name: contains ','")
    assert results[2]["msg"].startswith("ldap_server: the forest cannot be reached")
    assert results[3]["msg"].startswith("ldap_ca_path: the certificate")
    assert results[4]["msg"].startswith("ldap_user: the domain controller")
    assert key not in run.output
    assert len(adba_writes(lab)) == written
    assert objects(lab) == []


def test_windows_refusals_say_what_to_do(lab: Lab, run_playbook) -> None:
    key = lab.host_key
    present = adba_task(lab, name=NAME, product_key=key)
    old = outcome(playbook(run_playbook, lab, play([present], host="pc7")), "pc7")
    assert old["failed"], old
    assert old["msg"].startswith("pc7 runs Windows 7")
    assert "Windows 8" in old["msg"]
    assert adba_writes(lab, "pc7") == []  # nothing was sent
    outside = outcome(playbook(run_playbook, lab, play([present], host="out1")), "out1")
    assert outside["failed"], outside
    assert outside["hresult"] == "0x8007054B"
    assert "not a member of a domain" in outside["msg"]

    adm1 = lab.machines["adm1"].fqdn
    lab.call(lambda: lab.fleet.directory.no_second_hop.add(adm1))
    try:
        hop = outcome(playbook(run_playbook, lab, play([present])))
    finally:
        lab.call(lambda: lab.fleet.directory.no_second_hop.discard(adm1))
    assert hop["failed"], hop
    assert hop["hresult"] == lab.variants["adba_second_hop"]
    assert "second hop" in hop["msg"]
    assert "CredSSP" in hop["msg"]

    lab.call(lambda: lab.fleet.directory.callers.__setitem__(adm1, Caller.DOMAIN_USER))
    try:
        rights = outcome(playbook(run_playbook, lab, play([present])))
    finally:
        lab.call(lambda: lab.fleet.directory.callers.pop(adm1))
    assert rights["failed"], rights
    assert rights["hresult"] == "0x80070005"
    assert "Enterprise Admins" in rights["msg"]
    assert objects(lab) == []

    ad = forest(lab)
    made = outcome(playbook(run_playbook, lab, play([present])))
    assert made["changed"], made
    reader = adba_task(
        lab, name=NAME, state="absent",
        ldap_user=ad["kmslab_ad_reader"], ldap_password=ad["kmslab_ad_reader_password"],
    )  # fmt: skip
    denied = outcome(playbook(run_playbook, lab, play([reader])))
    assert denied["failed"], denied
    assert denied["msg"].startswith("ldap_user: kmsreader@")
    assert "Enterprise Admins" in denied["msg"]
    cleanup = playbook(run_playbook, lab, play([adba_task(lab, name=NAME, state="absent")]))
    assert cleanup.result("adm1", "t0")["changed"] is True


def test_a_forest_not_prepared_for_adba_is_named(lab: Lab, run_playbook) -> None:
    """Without the Activation Objects container (adprep's forest update 92 not applied): the
    listing fails naming the preparation, and so would Windows' own attempt (0x80072030)."""
    directory = lab.fleet.directory
    container = directory.container_dn

    def remove() -> None:
        connection = lab.forest.connect(Caller.ENTERPRISE_ADMIN)
        connection.delete(container)
        connection.unbind()

    def restore() -> None:
        connection = lab.forest.connect(Caller.ENTERPRISE_ADMIN)
        attributes = {"showInAdvancedViewOnly": "TRUE"}
        connection.add(container, ["top", "msSPP-ActivationObjectsContainer"], attributes)
        connection.unbind()
        # Authenticated Users' read, as the prepared container had it: the members read the
        # objects as their computer accounts, and Samba applies no class default here either.
        lab.forest.default_acl(container)

    lab.call(remove)
    try:
        run = playbook(run_playbook, lab, play([adba_task(lab, name=NAME, state="absent")]))
        listed = outcome(run)
        m = lab.machines["adm1"]
        version = lab.call(lambda: m.cim.instances("SoftwareLicensingService")[0]["Version"])
        with pytest.raises(Exception, match="0x80072030"):
            lab.call(
                m.cim.invoke,
                "SoftwareLicensingService",
                "DoActiveDirectoryOnlineActivation",
                {"Version": version},
                {"ProductKey": lab.host_key, "ActivationObjectName": NAME},
            )
    finally:
        lab.call(restore)
    assert listed["failed"], listed
    assert listed["msg"].startswith("ldap_server: the schema knows msSPP-ActivationObject")
    assert "adprep /forestprep" in listed["msg"]


def _kms_host_with_count(lab: Lab) -> None:
    """out1 (corp, outside the forest) serves KMS with the same CSVLK; 24 other client OSes have
    asked it already, so a 25th client OS activates (threshold 25)."""
    fleet = lab.fleet
    assert admin.setup_kms_host(lab.machine("out1"), lab.host_key) == 0
    for index in range(24):
        seed = fleet.add(f"seed{index:02d}", "win10-enterprise", domain=CORP, initial_key=GVLK)
        admin.call_service(seed, "SetKeyManagementServiceMachine", MachineName=OUT1)
        admin.activate_windows(seed)


def test_members_activate_by_adba_and_windows_7_by_kms(lab: Lab, run_playbook) -> None:
    """pc11 (Windows 11, in the forest) activates from the activation object with no KMS host
    it could find; pc7 (Windows 7, same forest) has no ADBA and activates from a KMS host."""
    made = playbook(run_playbook, lab, play([adba_task(lab, name=NAME, product_key=lab.host_key)]))
    assert made.result("adm1", "t0")["changed"] is True, made.output
    client = {"volact.kms.kms_client_setup_key": {"activation_type": "ad"}}
    checked = outcome(playbook(run_playbook, lab, play([client], host="pc11"), check=True), "pc11")
    assert checked["changed"], checked
    assert checked["kms_client"]["activation_type"] == "ad"
    assert lab.call(admin.windows_product, lab.machine("pc11"))["VLActivationTypeEnabled"] == 0
    adba_run = outcome(playbook(run_playbook, lab, play([client], host="pc11")), "pc11")
    assert not adba_run["failed"], adba_run
    facts = adba_run["kms_client"]
    assert (facts["activation_type"], facts["activated_by"]) == ("ad", "ad")
    assert facts["activation_object"] == NAME
    again = outcome(playbook(run_playbook, lab, play([client], host="pc11"), diff=True), "pc11")
    assert again["changed"] is False, again
    assert again["diff"]["before"]["activation_type"] == "ad"
    row = lab.call(admin.windows_product, lab.machine("pc11"))
    assert row["VLActivationTypeEnabled"] == 1
    assert row["LicenseStatus"] == 1
    assert row["VLActivationType"] == 1  # by Active Directory
    assert row["ADActivationObjectName"] == NAME
    assert row["ADActivationCsvlkSkuId"] == made.result("adm1", "t0")["object"]["activation_id"]

    lab.call(_kms_host_with_count, lab)
    only_ad = {"volact.kms.kms_client_setup_key": {"kms_host": OUT1, "activation_type": "ad"}}
    refused = outcome(playbook(run_playbook, lab, play([only_ad], host="pc7")), "pc7")
    assert refused["failed"], refused
    assert refused["msg"].startswith("activation_type: this machine runs Windows 7")
    pinned = {"volact.kms.kms_client_setup_key": {"kms_host": OUT1, "activation_type": "all"}}
    kms_run = outcome(playbook(run_playbook, lab, play([pinned], host="pc7")), "pc7")
    assert not kms_run["failed"], kms_run
    row = lab.call(admin.windows_product, lab.machine("pc7"))
    assert row["LicenseStatus"] == 1
    assert "VLActivationType" not in row  # Windows 7 has neither the property nor ADBA
    cleanup = playbook(run_playbook, lab, play([adba_task(lab, name=NAME, state="absent")]))
    assert cleanup.result("adm1", "t0")["changed"] is True


def test_a_second_key_of_the_same_product(lab: Lab, run_playbook) -> None:
    """Another CSVLK of the same product group (the same SKU): under an RDN of the name it gets an
    object of its own; under an RDN of the SKU ID it collides with the first object whatever its
    name, and the advice says so (not "an object named X exists")."""
    second = lab.call(lambda: lab.fleet.keys.csvlk(lab.shape.host_key_group, 1).key)
    first_task = adba_task(lab, name=NAME, product_key=lab.host_key)
    second_task = adba_task(lab, name="WS2022 second", product_key="{{ second_csvlk }}")
    extra = {"adba_csvlk": lab.host_key, "second_csvlk": second}
    run = run_playbook(lab, play([first_task, second_task]), extra_vars=extra)
    made, other = outcome(run, task="t0"), outcome(run, task="t1")
    assert made["changed"], made
    stored = objects(lab)
    if lab.variants["adba_object_rdn"] == "name":
        assert not other["failed"], other
        assert other["object"]["partial_product_key"] == second[-5:]
        assert sorted(o["name"] for o in other["objects"]) == sorted([NAME, "WS2022 second"])
        assert len(stored) == 2
    else:
        assert other["failed"], other
        assert other["hresult"] == "0x80071392"
        assert "another key of the same product already has an object" in other["msg"]
        assert f"{NAME!r} (key ending {lab.host_key[-5:]}" in other["msg"]
        assert "Keep that object" in other["msg"]
        assert [o["displayName"] for o in stored] == [[NAME]]
    assert second not in run.output
    assert lab.host_key not in run.output
    cleanup = [adba_task(lab, name=n, state="absent") for n in (NAME, "WS2022 second")]
    playbook(run_playbook, lab, play(cleanup))
    assert objects(lab) == []
