"""kms_host_key's pure logic: the options, which product holds the host key, the GVLK to return
to, the settings plan and its read-back, the facts and the diff (masked)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    HOST_ONLY,
    SettingChange,
    client_gvlk,
    current_settings,
    fault_message,
    holder,
    host_facts,
    host_products,
    installed_host_product,
    not_a_host_key_message,
    not_taken,
    parse_request,
    plan_settings,
    view,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing import gvlk
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import (
    KEY_ALPHABET,
    ProductKey,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import firewall as wmi_firewall
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    Service,
)

HOST_KEY = "TFV89-99GCG-RYBPM-Q29WG-VXG7D"  # lab-style fake, not a real key
OTHER_KEY = "BCDFG-HJKMP-QRTVW-XY234-VXG7D"  # same last group, another key
WS2022_STANDARD_GVLK = "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"


def product(**overrides) -> Product:
    base = {
        "ID": "7f2a4e10-0000-4000-8000-000000000001",
        "Name": "Windows(R), ServerStandard edition",
        "Description": "Windows(R) Operating System, VOLUME_KMS_WS22 channel",
        "ApplicationID": WINDOWS_APP_ID,
        "LicenseFamily": "ServerStandard",
        "PartialProductKey": "VXG7D",
        "ProductKeyChannel": "Volume:CSVLK",
        "LicenseIsAddon": False,
        "LicenseStatus": 1,
        "GracePeriodRemaining": 0,
        "IsKeyManagementServiceMachine": 1,
        "KeyManagementServiceCurrentCount": 27,
        "RequiredClientCount": 25,
    }
    return Product.from_row({**base, **overrides})


def service(**overrides) -> Service:
    base = {
        "Version": "10.0.20348.1",
        "IsKeyManagementServiceMachine": 1,
        "KeyManagementServiceCurrentCount": 27,
        "RequiredClientCount": 25,
        "KeyManagementServiceListeningPort": 1688,
        "KeyManagementServiceDnsPublishing": True,
        "KeyManagementServiceLowPriority": False,
        "KeyManagementServiceHostCaching": True,
        "VLActivationInterval": 120,
        "VLRenewalInterval": 10080,
        "KeyManagementServiceTotalRequests": 40,
        "KeyManagementServiceFailedRequests": 2,
        "KeyManagementServiceLicensedRequests": 30,
        "KeyManagementServiceOOBGraceRequests": 8,
    }
    return Service.from_row({**base, **overrides})


# Options ---------------------------------------------------------------------------------------


def test_a_request_keeps_only_the_settings_given():
    pasted = " tfv89\u201399gcg\u2013rybpm\u2013q29wg\u2013vxg7d "  # en dashes, lower case
    request = parse_request({"key": pasted, "listening_port": 1690, "firewall": True})
    assert request.key == ProductKey(HOST_KEY)
    assert request.state == "present"
    assert (request.activate, request.restart_service) == (True, "auto")
    assert request.settings == {"listening_port": 1690}
    assert request.host_settings == {"listening_port": 1690}
    assert request.firewall is True


def test_a_published_gvlk_is_refused_as_a_client_key():
    with pytest.raises(KmsInputError) as caught:
        parse_request({"key": WS2022_STANDARD_GVLK})
    assert caught.value.field == "key"
    assert str(caught.value) == (
        "key: the value (XXXXX-XXXXX-XXXXX-XXXXX-VMK7H) is the published GVLK of Windows Server "
        "2022 Standard: a GVLK is a KMS *client* key; a host needs your CSVLK from the Volume "
        "Licensing Service Center. Give the KMS host key (CSVLK) of your volume license agreement."
    )


def test_a_malformed_key_is_refused_masked():
    with pytest.raises(KmsInputError) as caught:
        parse_request({"key": "AB0DE-FGHJK-MPQRT-VWXY2-34678"})
    assert caught.value.field == "key"
    assert "XXXXX-XXXXX-XXXXX-XXXXX-34678" in str(caught.value)
    assert "AB0DE" not in str(caught.value)


def test_state_present_needs_a_key_and_absent_does_not():
    with pytest.raises(KmsInputError, match=r"^key: is required with state=present"):
        parse_request({"state": "present"})
    request = parse_request({"state": "absent", "host_caching": False, "firewall": False})
    assert (request.key, request.settings) == (None, {"host_caching": False})


@pytest.mark.parametrize("option", HOST_ONLY)
def test_host_settings_make_no_sense_with_state_absent(option):
    value = True if option in ("dns_publishing", "low_priority") else 60
    with pytest.raises(KmsInputError) as caught:
        parse_request({"state": "absent", option: value})
    assert caught.value.field == option
    assert "state=absent removes the host key" in str(caught.value)


@pytest.mark.parametrize(
    ("option", "good", "bad"),
    [
        ("listening_port", (1, 65535), (0, 65536)),
        ("activation_interval", (15, 43200), (14, 43201)),
        ("renewal_interval", (15, 43200), (14, 43201)),
    ],
)
def test_ranges_are_checked_at_both_ends(option, good, bad):
    for value in good:
        assert parse_request({"key": HOST_KEY, option: value}).settings == {option: value}
    for value in bad:
        with pytest.raises(KmsInputError) as caught:
            parse_request({"key": HOST_KEY, option: value})
        assert caught.value.field == option
        assert f"{value} is outside {good[0]}-{good[1]}" in str(caught.value)


# Products --------------------------------------------------------------------------------------


def test_the_host_key_counts_only_on_a_kms_host_product_with_its_last_group():
    key = ProductKey(HOST_KEY)
    host = product()
    assert installed_host_product([host], key) == host
    # Same five characters on a KMS client row: another key, not installed.
    client = product(ProductKeyChannel="Volume:GVLK", IsKeyManagementServiceMachine=0)
    assert installed_host_product([client], key) is None
    # A CSVLK row whose IsKeyManagementServiceMachine is still 0 holds the host key all the same:
    # no source says the flag turns 1 at InstallProductKey rather than at the next sppsvc start
    # (kms-facts.md §2.6), so the channel decides, not the flag.
    waiting = product(IsKeyManagementServiceMachine=0)
    assert installed_host_product([waiting], key) == waiting
    # The Description alone says CSVLK where ProductKeyChannel is not served (older Windows).
    older = product(ProductKeyChannel=None, IsKeyManagementServiceMachine=0)
    assert installed_host_product([older], key) == older
    assert installed_host_product([product(PartialProductKey="T83GX")], key) is None
    assert installed_host_product([], key) is None


def test_the_holder_prefers_the_host_product_and_ignores_add_ons():
    key = ProductKey(OTHER_KEY)
    addon = product(ID="a", LicenseIsAddon=True)
    office_mak = product(
        ID="b", ApplicationID=OFFICE_APP_IDS[0], ProductKeyChannel="Volume:MAK", Description=""
    )
    host = product(ID="c")
    assert holder([addon, office_mak, host], key) == host
    assert holder([addon, office_mak], key) == office_mak
    assert holder([addon], key) is None


def test_host_products_list_windows_before_office():
    office = product(ID="o", ApplicationID=OFFICE_APP_IDS[0], PartialProductKey="PQR78")
    windows = product(ID="w")
    client = product(ID="g", ProductKeyChannel="Volume:GVLK", Description="")
    assert host_products([office, client, windows]) == [windows, office]


def test_a_key_that_lands_on_another_channel_is_explained():
    text = not_a_host_key_message(ProductKey(HOST_KEY), product(ProductKeyChannel="Volume:MAK"))
    assert text.startswith(
        "the key XXXXX-XXXXX-XXXXX-XXXXX-VXG7D was installed into Windows(R), ServerStandard "
        "edition with license channel Volume:MAK: it is not a KMS host key (CSVLK)"
    )
    assert HOST_KEY not in text


@pytest.mark.parametrize(
    ("family", "version", "expected"),
    [
        ("ServerStandard", "10.0.20348.1", WS2022_STANDARD_GVLK),
        ("ServerDatacenter", "10.0.17763.1", gvlk.lookup("Windows Server 2019", "Datacenter").key),
        ("ServerStandard", "10.0.26100.1", gvlk.lookup("Windows Server 2025", "Standard").key),
    ],
)
def test_the_gvlk_to_return_to_comes_from_license_family_and_build(family, version, expected):
    chosen = client_gvlk(product(LicenseFamily=family), service(Version=version))
    assert chosen.key == expected


def test_no_gvlk_for_an_unknown_build_is_an_error_on_state():
    with pytest.raises(KmsInputError) as caught:
        client_gvlk(product(), service(Version="10.0.99999.1"))
    assert caught.value.field == "state"
    assert "build 99999" in str(caught.value)


# Settings --------------------------------------------------------------------------------------


def test_only_the_settings_that_differ_are_planned():
    wanted = {"listening_port": 1688, "dns_publishing": False, "renewal_interval": 10080}
    assert plan_settings(service(), wanted) == [SettingChange("dns_publishing", True, False)]
    # A machine that is not a host reports port 0: the host will listen on the default 1688.
    unset = service(KeyManagementServiceListeningPort=0, IsKeyManagementServiceMachine=0)
    assert current_settings(unset)["listening_port"] == 1688
    assert plan_settings(unset, {"listening_port": 1688}) == []
    change = plan_settings(service(), {"host_caching": False})[0]
    assert change.setting.method == "DisableKeyManagementServiceHostCaching"
    assert change.setting.argument(False) is True
    assert change.needs_restart is False
    assert plan_settings(service(), {"low_priority": True})[0].needs_restart is True


def test_a_setting_not_reported_after_the_restart_is_named():
    changes = [
        SettingChange("listening_port", 1688, 1690),
        SettingChange("low_priority", False, True),
    ]
    after = service(KeyManagementServiceLowPriority=True)
    assert not_taken(after, changes) == ["listening_port (set to 1690, the host reports 1688)"]
    assert (
        not_taken(
            service(
                KeyManagementServiceListeningPort=1690, **{"KeyManagementServiceLowPriority": True}
            ),
            changes,
        )
        == []
    )


def test_fault_messages_explain_the_hresult():
    refused = fault_message("SetVLRenewalInterval", 0xC004F016, "")
    assert refused.startswith("SetVLRenewalInterval failed: 0xC004F016 (SL_E_NOT_SUPPORTED)")
    assert "Set host settings after the host key" in refused
    limit = fault_message("Activate", 0xC004C008, "")
    assert limit.startswith("Activate failed: 0xC004C008 (SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED): ")
    assert "at most 6 computers, each at most 10 times" in limit
    old_os = fault_message("InstallProductKey", 0xC004F015, "")
    assert "the host OS does not know this host key yet" in old_os
    assert fault_message("Enable", None, "the rule is gone") == "Enable failed: the rule is gone"


# Facts and diff --------------------------------------------------------------------------------


def test_facts_are_the_dlv_picture():
    facts = host_facts(service(), [product()])
    assert facts["partial_product_key"] == "VXG7D"
    assert (facts["channel"], facts["license_status_name"]) == ("Volume:CSVLK", "Licensed")
    assert (facts["current_count"], facts["required_count"]) == (27, 25)
    assert facts["listening_port"] == 1688
    assert facts["requests"] == {
        "total": 40,
        "failed": 2,
        "unlicensed": None,
        "licensed": 30,
        "oob_grace": 8,
        "oot_grace": None,
        "non_genuine_grace": None,
        "notification": None,
    }
    assert facts["host_keys"] == ["XXXXX-XXXXX-XXXXX-XXXXX-VXG7D"]


def test_facts_of_a_machine_that_is_no_host():
    plain = service(
        IsKeyManagementServiceMachine=0,
        KeyManagementServiceCurrentCount=4294967295,
        KeyManagementServiceListeningPort=0,
    )
    facts = host_facts(plain, [product(ProductKeyChannel="Retail", Description="")])
    assert facts["is_kms_host"] is False
    assert (facts["partial_product_key"], facts["current_count"]) == (None, None)
    assert facts["listening_port"] is None
    assert facts["host_keys"] == []


def test_the_diff_shows_only_what_the_task_manages():
    shown = view(product(), current_settings(service()), ["low_priority"], firewall=False)
    assert shown == {
        "host_key": "XXXXX-XXXXX-XXXXX-XXXXX-VXG7D",
        "activated": True,
        "low_priority": False,
        "firewall_rule_enabled": False,
    }
    retired = view(None, {}, [], windows_channel="Volume:GVLK", with_activation=False)
    assert retired == {"host_key": None, "windows_channel": "Volume:GVLK"}


_GROUP = st.text(alphabet=KEY_ALPHABET, min_size=5, max_size=5)


@settings(max_examples=60, deadline=None)
@given(st.lists(_GROUP, min_size=5, max_size=5))
def test_no_output_carries_more_than_the_last_group(groups):
    text = "-".join(groups)
    if gvlk.is_published_gvlk(text):
        return
    request = parse_request({"key": text.lower(), "listening_port": 1690})
    assert request.key is not None
    assert text not in repr(request)
    row = product(PartialProductKey=groups[-1])
    outputs = (
        str(host_facts(service(), [row])),
        str(view(row, current_settings(service()), request.settings)),
        not_a_host_key_message(request.key, row),
    )
    for output in outputs:
        assert text not in output
        assert "-".join(groups[:4]) not in output


def test_the_firewall_rule_is_read_by_its_instance_id_with_enabled_as_uint16():
    # The four CIM_PolicyRule keys come with it (older-windows-office-adba.md §7.2).
    assert wmi_firewall.rule_wql() == (
        "SELECT InstanceID, DisplayName, Enabled, Profiles, CreationClassName, PolicyRuleName, "
        "SystemCreationClassName, SystemName FROM MSFT_NetFirewallRule "
        "WHERE InstanceID = 'SPPSVC-In-TCP'"
    )
    row = {"InstanceID": "SPPSVC-In-TCP", "DisplayName": "Key Management Service (TCP-In)"}
    assert wmi_firewall.FirewallRule.from_row({**row, "Enabled": 1, "Profiles": 3}).enabled
    off = wmi_firewall.FirewallRule.from_row({**row, "Enabled": 2, "Profiles": 3})
    assert off.to_dict() == {
        "name": "SPPSVC-In-TCP",
        "display_name": "Key Management Service (TCP-In)",
        "enabled": False,
        "profiles": 3,
    }
