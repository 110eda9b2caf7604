"""kms_client_setup_key's pure logic: options, the Office mapping, the plan, activation outcomes
and the task result's policy. No host involved: the plan is computed from rows as WMI returns them.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.client import activation as act
from ansible_collections.volact.kms.plugins.module_utils.client.apply import (
    Outcome,
    Reading,
    locate,
)
from ansible_collections.volact.kms.plugins.module_utils.client.options import (
    BelowThreshold,
    Scope,
    normalize_kms_host,
    parse_request,
    same_domain,
    same_host,
)
from ansible_collections.volact.kms.plugins.module_utils.client.plan import OsFacts, Target
from ansible_collections.volact.kms.plugins.module_utils.client.report import build_result
from ansible_collections.volact.kms.plugins.module_utils.client.setup import (
    RefusedError,
    application_ids,
    edition_facts,
    make_plan,
    needs_os_facts,
)
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import SHORT_ADVICE
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    Service,
)

PRO_GVLK = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
ENTERPRISE_GVLK = "NPPR9-FWDCX-D2C8J-H872K-2YT43"
LAB_MAK = "BCDFG-HJKMP-QRTVW-XY234-6789B"  # well formed, not published


def product(**overrides) -> Product:
    base = {
        "ID": "11111111-2222-3333-4444-555555555555",
        "Name": "Windows(R), Professional edition",
        "Description": "Windows(R) Operating System, RETAIL channel",
        "ApplicationID": WINDOWS_APP_ID,
        "LicenseFamily": "Professional",
        "PartialProductKey": "Q3VJ9",
        "ProductKeyChannel": "Retail",
        "LicenseIsAddon": False,
        "LicenseStatus": 1,
        "RequiredClientCount": 0,
    }
    return Product.from_row({**base, **overrides})


def gvlk_product(key: str = PRO_GVLK, **overrides) -> Product:
    return product(
        ProductKeyChannel="Volume:GVLK",
        Description="Windows(R) Operating System, VOLUME_KMSCLIENT channel",
        PartialProductKey=key[-5:],
        **overrides,
    )


def office_product(family: str = "Office21ProPlus2021VL_MAK_AE1", **overrides) -> Product:
    """An Office row as SPP names it: "Office NN, <LicenseFamily> edition" (office_licenses.py)."""
    version = family[len("Office") : len("Office") + 2]
    fields = {
        "ID": "99999999-2222-3333-4444-555555555555",
        "Name": f"Office {version}, {family} edition",
        "Description": f"Office {version}, RETAIL(MAK) channel",
        "ApplicationID": OFFICE_APP_IDS[0],
        "LicenseFamily": family,
        "ProductKeyChannel": "Volume:MAK",
        "PartialProductKey": "XYC77",
    }
    return product(**{**fields, **overrides})


def service(**overrides) -> Service:
    base = {
        "Version": "10.0.22631.1",
        "KeyManagementServiceMachine": None,
        "KeyManagementServicePort": 0,
        "KeyManagementServiceLookupDomain": None,
        "KeyManagementServiceHostCaching": True,
    }
    return Service.from_row({**base, **overrides})


def plan_for(args=None, products=None, svc=None, os_facts=None):
    request = parse_request(args or {})
    products = [product()] if products is None else products
    return make_plan(request, svc or service(), products, os_facts)


# Options ------------------------------------------------------------------------------------


def test_defaults_convert_windows_activate_and_warn_below_threshold():
    request = parse_request({})
    assert request.scope is Scope.WINDOWS
    assert request.activate is True
    assert request.below_threshold is BelowThreshold.WARN
    assert not request.manages_host
    assert not request.manages_lookup_domain


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("KMS1.Corp.Contoso.com.", "kms1.corp.contoso.com"),
        ("kms1", "kms1"),
        (" 192.0.2.10 ", "192.0.2.10"),
        ("2001:DB8:0:0::10", "[2001:db8::10]"),
        ("[2001:db8::10]", "[2001:db8::10]"),
    ],
)
def test_kms_host_forms(given, expected):
    assert normalize_kms_host(given) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("kms1.corp.contoso.com:1688", "Write the port in kms_port"),
        ("", "discovery: true"),
        ("kms_1", "is not a valid host name"),
        ("kms1..corp.com", "empty label"),
        ("kмs1.corp.com", "U+043C"),
        (1688, "expected a host name or address"),
    ],
)
def test_kms_host_refusals_name_the_option(given, words):
    with pytest.raises(KmsInputError) as caught:
        normalize_kms_host(given)
    assert caught.value.field == "kms_host"
    assert words in str(caught.value)


def test_same_host_ignores_case_trailing_dot_and_address_spelling():
    assert same_host("KMS1.corp.com.", "kms1.corp.com")
    assert same_host("[2001:db8::10]", "2001:DB8:0::10")
    assert same_host(None, "")
    assert not same_host("kms1.corp.com", "kms2.corp.com")
    assert not same_host(None, "kms1")
    assert same_domain("Corp.COM.", "corp.com")
    assert not same_domain("corp.com", None)


def test_lookup_domain_empty_string_clears():
    request = parse_request({"lookup_domain": ""})
    assert request.clear_lookup_domain
    assert request.lookup_domain is None
    assert request.manages_lookup_domain
    assert parse_request({"lookup_domain": "KMS.Corp.com."}).lookup_domain == "kms.corp.com"


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"key": LAB_MAK}, "key", "is not one of the KMS client setup keys"),
        ({"key": "FXYTK-NJJ8C-GB6DW-3DYQT-6F7TH"}, "key", "not a Windows GVLK"),
        ({"key": PRO_GVLK, "product": "office"}, "key", "not a Office GVLK"),
        ({"key": PRO_GVLK, "product": "all"}, "key", "both Windows and Office"),
        ({"kms_host": "kms1", "discovery": True}, "discovery", "not both"),
        ({"kms_port": 1688}, "kms_port", "Give kms_host too"),
        ({"kms_host": "kms1", "kms_port": 0}, "kms_port", "is not a TCP port"),
        ({"lookup_domain": "corp"}, "lookup_domain", "single label"),
    ],
)
def test_option_refusals(args, field, words):
    with pytest.raises(KmsInputError) as caught:
        parse_request(args)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert LAB_MAK not in str(caught.value)


def test_unpublished_key_needs_the_opt_in_and_stays_masked():
    request = parse_request({"key": LAB_MAK.lower(), "allow_unpublished_key": True})
    assert request.key == ProductKey(LAB_MAK)
    assert request.key_entry is None
    target = Target(request.key, None)
    assert target.to_dict()["key"] == "XXXXX-XXXXX-XXXXX-XXXXX-6789B"
    assert LAB_MAK not in target.label


def test_published_key_keeps_its_catalog_row():
    request = parse_request({"key": ENTERPRISE_GVLK.replace("-", " ")})
    assert request.key_entry is not None
    assert request.key_entry.edition == "Enterprise"


# The Office mapping, with the spellings real SPP reports: test_client_office.py.


def test_no_two_published_gvlks_share_the_group_windows_shows():
    shared = [p for p, n in Counter(e.partial for e in gvlk.CATALOG).items() if n > 1]
    assert shared == []


# The plan -----------------------------------------------------------------------------------


def test_retail_pro_gets_the_pro_gvlk_from_license_family_and_build():
    plan = plan_for()
    assert plan.windows.install
    assert plan.windows.target.entry.key == PRO_GVLK
    assert plan.windows.reason.startswith("a retail key is installed (Retail)")
    assert plan.changed
    assert plan.diff() == {
        "before": {"windows": {"channel": "Retail", "key": "XXXXX-XXXXX-XXXXX-XXXXX-Q3VJ9"}},
        "after": {"windows": {"channel": "Volume:GVLK", "key": "XXXXX-XXXXX-XXXXX-XXXXX-T83GX"}},
    }


def test_the_right_gvlk_is_left_alone_and_another_gvlk_is_replaced():
    kept = plan_for(products=[gvlk_product()])
    assert not kept.windows.install
    assert not kept.changed
    assert kept.windows.reason == "already a KMS client with Windows 11/10 (GA channel) Pro."
    # A GVLK of another edition (after an edition upgrade) is not "the right GVLK".
    replaced = plan_for(products=[gvlk_product(ENTERPRISE_GVLK)])
    assert replaced.windows.install
    assert "another GVLK (XXXXX-XXXXX-XXXXX-XXXXX-2YT43)" in replaced.windows.reason


def test_same_last_group_on_a_non_gvlk_channel_is_still_converted():
    mak = product(
        ProductKeyChannel="Volume:MAK", PartialProductKey="T83GX", Description="VOLUME_MAK channel"
    )
    assert plan_for(products=[mak]).windows.install


@pytest.mark.parametrize(
    ("family", "words"),
    [
        ("ServerStandardEval", "DISM /online /Set-Edition:ServerStandard"),
        ("Core", "Home edition"),
        ("ServerTurbine", "activated by Azure"),
        ("EnterpriseEval", "reinstall from volume-licensing media"),
    ],
)
def test_editions_that_cannot_be_kms_clients_are_refused_even_with_a_key(family, words):
    for args in ({}, {"key": PRO_GVLK}):
        with pytest.raises(KmsInputError) as caught:
            plan_for(
                args, products=[product(LicenseFamily=family)], svc=service(Version="10.0.20348.1")
            )
        assert words in str(caught.value)


def test_a_kms_host_is_never_converted():
    host = product(
        LicenseFamily="ServerStandard",
        ProductKeyChannel="Volume:CSVLK",
        Description="Windows(R) Operating System, VOLUME_KMS_WS22 channel",
    )
    with pytest.raises(RefusedError) as caught:
        plan_for({"key": "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"}, products=[host])
    assert "use kms_host_key with state=absent first" in str(caught.value)


def test_an_unknown_channel_is_not_converted():
    unknown = product(ProductKeyChannel="", Description="Windows(R) Operating System")
    with pytest.raises(RefusedError, match="the license channel is not known"):
        plan_for(products=[unknown])


def test_explicit_key_for_another_edition_is_used_with_a_warning():
    plan = plan_for({"key": ENTERPRISE_GVLK})
    assert plan.windows.target.entry.edition == "Enterprise"
    assert plan.warnings == (
        "key is the GVLK of Windows 11/10 (GA channel) Enterprise, but the machine's edition "
        "(Professional, build 22631) calls for Windows 11/10 (GA channel) Pro; the given key "
        "is used.",
    )


def test_explicit_key_decides_for_an_edition_the_catalog_does_not_know():
    plan = plan_for(
        {"key": LAB_MAK, "allow_unpublished_key": True},
        products=[product(LicenseFamily="ServerRdsh")],
    )
    assert plan.windows.install
    assert plan.windows.target.entry is None


def test_os_facts_are_read_only_when_the_product_cannot_tell_the_edition():
    request = parse_request({})
    assert not needs_os_facts(request, [product()], service())
    assert needs_os_facts(request, [product(LicenseFamily=None)], service())
    assert needs_os_facts(request, [], service())
    assert needs_os_facts(request, [product()], service(Version="garbage"))
    assert not needs_os_facts(parse_request({"product": "office"}), [], service())
    facts = edition_facts(
        None,
        service(),
        OsFacts.from_row({"OperatingSystemSKU": 4, "BuildNumber": "19045", "ProductType": 1}),
    )
    assert (facts.edition_id, facts.sku, facts.build, facts.product_type) == (None, 4, 22631, 1)
    plan = plan_for(products=[], os_facts=OsFacts(sku=4, build=19045, product_type=1))
    assert plan.windows.install
    assert plan.windows.target.entry.key == ENTERPRISE_GVLK
    assert plan.windows.reason.startswith("no Windows product key is installed")


def test_settings_compare_with_what_the_service_reports():
    svc = service(KeyManagementServiceMachine="KMS1.corp.com", KeyManagementServicePort=0)
    same = plan_for({"kms_host": "kms1.corp.com."}, products=[gvlk_product()], svc=svc)
    assert same.settings == ()
    moved = plan_for({"kms_host": "kms2.corp.com", "kms_port": 1690}, svc=svc)
    assert [(c.name, c.before, c.after) for c in moved.settings] == [
        ("kms_host", "KMS1.corp.com", "kms2.corp.com"),
        ("kms_port", None, 1690),
    ]
    pinned = service(KeyManagementServiceMachine="kms1", KeyManagementServicePort=1690)
    # slmgr /skms without a port clears the pinned port.
    repinned = plan_for({"kms_host": "kms1"}, svc=pinned)
    assert [(c.name, c.after) for c in repinned.settings] == [("kms_port", None)]
    cleared = plan_for({"discovery": True}, svc=pinned)
    assert [(c.name, c.after) for c in cleared.settings] == [("kms_host", None), ("kms_port", None)]
    assert plan_for({"discovery": True}).settings == ()


def test_lookup_domain_and_host_caching_changes():
    svc = service(KeyManagementServiceLookupDomain="corp.com", KeyManagementServiceHostCaching=True)
    plan = plan_for({"lookup_domain": "", "host_caching": False}, svc=svc)
    assert [(c.name, c.before, c.after) for c in plan.settings] == [
        ("lookup_domain", "corp.com", None),
        ("host_caching", True, False),
    ]
    assert plan.settings_after() == {"lookup_domain": None, "host_caching": False}
    assert plan_for({"lookup_domain": "CORP.com"}, svc=svc).settings == ()


def test_office_products_are_planned_by_license_family():
    products = [gvlk_product(), office_product()]
    plan = plan_for({"product": "all"}, products=products)
    assert not plan.windows.install
    assert [p.target.entry.edition for p in plan.office] == ["Office LTSC Professional Plus 2021"]
    assert plan.office[0].install
    office_only = plan_for({"product": "office"}, products=products)
    assert office_only.windows is None
    assert application_ids(Scope.OFFICE) == OFFICE_APP_IDS
    assert application_ids(Scope.ALL) == (WINDOWS_APP_ID, *OFFICE_APP_IDS)


def test_office_refusals():
    with pytest.raises(RefusedError, match="nor through the Office Software Protection Platform"):
        plan_for({"product": "office"}, products=[product()])
    assert plan_for({"product": "all"}, products=[product()]).office == ()
    retail = office_product("Office21ProPlus2021R_Retail", ProductKeyChannel="Retail")
    with pytest.raises(RefusedError, match="Microsoft 365 Apps"):
        plan_for({"product": "office"}, products=[retail])


def test_explicit_office_key_picks_its_product_among_several():
    products = [
        office_product("Office19ProPlus2019VL_MAK_AE"),
        office_product("Office16ProPlusVL_MAK", ID="x"),
    ]
    plan = plan_for(
        {"product": "office", "key": "XQNVK-8JYDB-WJ9W3-YJ8YR-WFG99"}, products=products
    )
    assert [p.product.license_family for p in plan.office] == ["Office16ProPlusVL_MAK"]
    with pytest.raises(KmsInputError, match="cannot be matched to exactly one"):
        plan_for(
            {"product": "office", "key": LAB_MAK, "allow_unpublished_key": True},
            products=products,
        )


def test_locate_finds_the_new_row_after_an_install():
    plan = plan_for()
    converted = gvlk_product(ID="other-row")
    assert locate(plan.windows, [product(PartialProductKey=None), converted]) is converted
    kept = plan_for(products=[gvlk_product()])
    assert locate(kept.windows, [gvlk_product()]).id == gvlk_product().id


# Activation outcomes and the task result ----------------------------------------------------


def test_count_message_uses_the_counts_when_known_and_says_where_they_are_otherwise():
    known = act.count_message(11, 25)
    assert "counts 11 of the 25 machines needed: 14 more" in known
    unknown = act.count_message(None, 25)
    assert "needs 25 distinct machines" in unknown
    assert "event 12289" in unknown
    assert unknown.startswith("0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)")


def test_required_count_from_the_product_else_by_kind():
    windows = Target(ProductKey(PRO_GVLK), gvlk.find_by_key(PRO_GVLK))
    server = Target(
        ProductKey("VDYBN-27WPP-V4HQT-9VMD4-VMK7H"),
        gvlk.find_by_key("VDYBN-27WPP-V4HQT-9VMD4-VMK7H"),
    )
    assert act.required_count(windows, None) == 25
    assert act.required_count(server, None) == 5
    assert act.required_count(windows, gvlk_product(RequiredClientCount=25)) == 25
    assert act.required_count(Target(ProductKey(LAB_MAK), None), None) is None
    below = act.below_threshold("Pro", windows, None, "kms1:1688 (pinned)")
    assert below.to_dict() == {
        "state": "below_threshold",
        "product": "Pro",
        "message": f"Pro: {act.count_message(None, 25)}",
        "hresult": "0xC004F038",
        "current_count": None,
        "required_count": 25,
        "missing": None,
        "kms_host": "kms1:1688 (pinned)",
    }


def test_timed_out_activation_is_decided_by_the_product_read_back():
    ran = act.timed_out("Pro", gvlk_product(LicenseStatus=1), None)
    assert ran.state is act.State.ACTIVATED
    unknown = act.timed_out("Pro", gvlk_product(LicenseStatus=2), None)
    assert unknown.state is act.State.UNKNOWN
    assert unknown.failed
    assert "reads OOBGrace afterwards" in unknown.message


def test_failed_activation_names_the_host_and_the_fix():
    failed = act.failed("Pro", 0xC004F074, "", "kms9:1688 (pinned)")
    assert failed.message == (
        "Activating Pro failed (KMS host: kms9:1688 (pinned)): "
        "0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE)"
    )
    # The task's msg adds what to do, short; the meaning and whole advice are keys of their own.
    result = build_result(_outcome("warn", failed), diff=False)
    assert result["msg"] == f"{failed.message}. What to do: {SHORT_ADVICE[0xC004F074]}"
    assert len(result["msg"]) < 400
    assert result["hresult"] == "0xC004F074"


def _outcome(policy: str, state: act.Activation) -> Outcome:
    request = parse_request({"below_threshold": policy})
    plan = make_plan(request, service(), [gvlk_product(LicenseStatus=2)])
    outcome = Outcome(request, Reading(service(), [gvlk_product(LicenseStatus=2)]), plan, False)
    outcome.products = list(outcome.reading.products)
    outcome.activations = [(plan.windows, state)]
    return outcome


@pytest.mark.parametrize(
    ("policy", "failed", "warned"),
    [("fail", True, False), ("warn", False, True), ("ignore", False, False)],
)
def test_below_threshold_policy(policy, failed, warned):
    target = Target(ProductKey(PRO_GVLK), gvlk.find_by_key(PRO_GVLK))
    state = act.below_threshold("Pro", target, None, None)
    result = build_result(_outcome(policy, state), diff=False)
    assert result.get("failed", False) is failed
    assert ("warnings" in result) is warned
    assert result["activation"]["state"] == "below_threshold"
    assert "diff" not in result
    if failed:
        assert result["hresult"] == "0xC004F038"


def test_other_activation_failures_always_fail_the_task():
    state = act.failed("Pro", 0xC004F042, "", None)
    result = build_result(_outcome("ignore", state), diff=True)
    assert result["failed"] is True
    assert result["hresult"] == "0xC004F042"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["kms_client"]["gvlk"]["key"] == PRO_GVLK
    assert result["kms_client"]["product"]["partial_product_key"] == "T83GX"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
@pytest.mark.reliability("bad_input")
def test_kms_host_normalisation_never_raises_anything_but_input_errors(text):
    field = "kms_host"
    try:
        normalize_kms_host(text)
    except KmsInputError as error:
        field = error.field
    assert field == "kms_host"


def test_a_host_pinned_on_the_product_itself_is_reported():
    own = gvlk_product(KeyManagementServiceMachine="old-kms", KeyManagementServicePort=1690)
    plan = plan_for({"kms_host": "kms1"}, products=[own])
    assert plan.warnings == (
        "Windows(R), Professional edition has its own KMS host old-kms:1690 (set for this "
        "product only), which overrides kms_host and discovery for it; clear it with "
        "slmgr /ckms 11111111-2222-3333-4444-555555555555.",
    )
    assert plan_for({}, products=[own]).warnings == ()
