# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Older Windows is a different dialect (issue 14): which queries and methods each version gets,
and each option a version cannot honour refused before anything is written, by name, with the
machine's version and the first version that has it (windows/versions.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ansible_collections.volact.kms.plugins.module_utils.client.apply import converge
from ansible_collections.volact.kms.plugins.module_utils.client.options import parse_request
from ansible_collections.volact.kms.plugins.module_utils.client.setup import (
    needs_registry_port,
    registry_port,
)
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    parse_request as host_request,
)
from ansible_collections.volact.kms.plugins.module_utils.host.run import run as host_run
from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import PublishEntry
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    check_entries,
    role_row,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import spp, versions
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import (
    CLIENT_SETTINGS,
    HOST_SETTINGS,
    Spp,
    UnsupportedMethod,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    MODERN,
    VISTA,
    WIN7,
    UnsupportedOption,
    surface_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import MethodResult

VERSIONS = {VISTA: "6.0.6002.18005", WIN7: "6.1.7601.17514", MODERN: "10.0.19045.1"}
# A KMS client already: the edition, and the last group of its published GVLK (kms-facts §3.1).
CLIENTS = {
    VISTA: ("Business", "2V3X8"),
    WIN7: ("Professional", "GPDD4"),
    MODERN: ("Professional", "T83GX"),
}
EIGHT = "Windows 8 / Windows Server 2012 (SoftwareLicensingService 6.2, build 9200)"
SEVEN = "Windows 7 / Windows Server 2008 R2 (SoftwareLicensingService 6.1, build 7600)"
GVLK_DESCRIPTION = "Windows(R) Operating System, VOLUME_KMSCLIENT channel"


def service_row(surface: versions.Surface, **values: Any) -> dict[str, Any]:
    """A SELECT * row of SoftwareLicensingService with the properties ``surface`` has, plus
    what every real one brings beyond them."""
    row: dict[str, Any] = dict.fromkeys(surface.service_properties)
    row.update(
        Version=VERSIONS[surface],
        IsKeyManagementServiceMachine=0,
        VLActivationInterval=120,
        VLRenewalInterval=10080,
        PolicyCacheRefreshRequired=0,
    )
    if surface is MODERN:
        row["OA3xOriginalProductKey"] = "VK7JG-NPHTM-C97JM-9MPGT-3V66T"  # firmware key of an OEM PC
    row.update(values)
    return row


def product_row(surface: versions.Surface, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(surface.product_properties)
    edition, partial = CLIENTS[surface]
    row.update(
        ID="b71515d9-89a2-4c60-88c8-656fbcca7f3a",
        Name=f"Windows(R), {edition} edition",
        Description=GVLK_DESCRIPTION,
        ApplicationID=spp.WINDOWS_APP_ID,
        LicenseFamily=edition,
        PartialProductKey=partial,
        LicenseIsAddon=False,
        LicenseStatus=1,
    )
    if "ProductKeyChannel" in row:
        row["ProductKeyChannel"] = "Volume:GVLK"
    row.update(values)
    return row


@dataclass
class FakeSession:
    """Answers the SPP queries like a machine of one version; records what is sent."""

    surface: versions.Surface
    service: dict[str, Any] = field(default_factory=dict)
    products: list[dict[str, Any]] = field(default_factory=list)
    registry: dict[str, Any] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    invoked: list[tuple[str, str, Any]] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        self.service = self.service or service_row(self.surface)
        self.products = self.products or [product_row(self.surface)]

    def query(self, wql: str, *, keep: Any = None, **_: Any) -> list[dict[str, Any]]:
        self.requests += 1
        self.queries.append(wql)
        if "FROM SoftwareLicensingService" in wql:
            row = self.service
            if keep is not None:
                row = {k: v for k, v in row.items() if k.lower() in {n.lower() for n in keep}}
            return [row]
        if "FROM SoftwareLicensingProduct" in wql:
            names = wql.split("SELECT ", 1)[1].split(" FROM", 1)[0].split(", ")
            missing = set(names) - set(self.surface.product_properties)
            assert not missing, f"{self.surface.name} has no {missing}"  # WMI would refuse it
            return [{name: row.get(name) for name in names} for row in self.products]
        raise AssertionError(f"unexpected query {wql}")

    def invoke(self, class_name: str, method: str, params: Any = None, *a: Any, **k: Any) -> Any:
        self.requests += 1
        self.invoked.append((class_name, method, params))
        if class_name == "StdRegProv":
            name = params["sValueName"]
            if name in self.registry:
                return MethodResult(0, {"sValue": self.registry[name]})
            return MethodResult(1, {})
        return MethodResult(0, {})


# Queries per version -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "surface"),
    [
        ("6.0.6002.18005", VISTA),
        ("6.0", VISTA),
        ("6.1.7600.16385", WIN7),
        ("6.1.7601.17514", WIN7),
        ("6.2.9200.16384", MODERN),
        ("6.3.9600.16384", MODERN),
        ("10.0.20348.1", MODERN),
        ("6.10.1.1", MODERN),  # a prefix is "6.1" only with its dot
        ("", MODERN),
        (None, MODERN),
    ],
)
def test_the_surface_follows_the_service_version_prefix(version: Any, surface: Any) -> None:
    assert surface_for(version) is surface


def test_the_modern_product_query_is_the_one_always_sent() -> None:
    assert spp.products_wql() == spp.products_wql(surface=MODERN)
    assert (*MODERN.product_properties, *MODERN.adba_properties) == tuple(spp.PRODUCT_TYPES)


def test_only_windows_8_and_later_are_asked_for_adba_properties() -> None:
    """kms_activation_info's read: the ADBA properties join the same query from Windows 8 on,
    and the query of Windows 7 and Vista is unchanged (they lack them: MS-SLP7)."""
    modern = spp.products_wql(surface=MODERN, adba=True)
    assert "ADActivationObjectDN" in modern
    assert "VLActivationTypeEnabled" in modern
    assert "ADActivationObjectDN" not in spp.products_wql(surface=MODERN)
    for old in (WIN7, VISTA):
        assert spp.products_wql(surface=old, adba=True) == spp.products_wql(surface=old)


def test_windows_7_products_are_read_without_product_key_channel() -> None:
    wql = spp.products_wql(surface=WIN7)
    assert "ProductKeyChannel" not in wql
    assert "KeyManagementServiceMachine" in wql  # Windows 7 has the KMS properties (MS-SLP7)
    assert set(WIN7.product_properties) == set(MODERN.product_properties) - {"ProductKeyChannel"}


def test_vista_products_are_read_without_any_kms_property() -> None:
    wql = spp.products_wql(surface=VISTA)
    assert wql.startswith(
        "SELECT ID, Name, Description, ApplicationID, LicenseFamily, PartialProductKey, "
        "LicenseIsAddon, LicenseStatus, LicenseStatusReason, GracePeriodRemaining FROM "
    )
    assert "KeyManagementService" not in wql


def test_the_service_is_read_with_select_star_and_cut_to_what_is_used() -> None:
    session = FakeSession(MODERN)
    service = spp.read_service(session)
    assert session.queries == ["SELECT * FROM SoftwareLicensingService"]
    assert service.surface is MODERN
    assert service.has("KeyManagementServiceLookupDomain")
    # The firmware key SELECT * brings is neither decoded nor kept.
    assert "OA3xOriginalProductKey" not in repr(service)
    assert "3V66T" not in repr(service)


def test_windows_7_reports_which_service_properties_it_lacks() -> None:
    service = spp.read_service(FakeSession(WIN7))
    assert service.surface is WIN7
    assert not service.has("KeyManagementServicePort")
    assert not service.has("KeyManagementServiceLookupDomain")
    assert service.has("KeyManagementServiceHostCaching")


def test_the_channel_of_old_windows_comes_from_the_description() -> None:
    for surface in (VISTA, WIN7):
        [product] = spp.read_products(FakeSession(surface), surface=surface)
        assert product.channel.kind.value == "gvlk"
        assert product.channel.source == "Description"


def test_every_client_read_names_only_what_the_version_has() -> None:
    for surface in (VISTA, WIN7, MODERN):
        session = FakeSession(surface)  # asserts on every product query
        converge(session, parse_request({"activate": False}), check_mode=True)
        assert session.queries[0] == "SELECT * FROM SoftwareLicensingService"
        assert session.queries[1] == spp.products_wql(surface=surface)
        assert session.requests == 2  # the converged cost of every version


# Methods per version -----------------------------------------------------------------------------


def test_a_method_the_version_lacks_is_never_sent() -> None:
    session = FakeSession(VISTA)
    methods = Spp(session, VERSIONS[VISTA])
    for setting in (HOST_SETTINGS["listening_port"], CLIENT_SETTINGS["kms_port"]):
        with pytest.raises(UnsupportedMethod, match="does not exist on Windows Vista"):
            methods.apply(setting, 1690)
    with pytest.raises(UnsupportedMethod, match="nothing was sent"):
        Spp(session, VERSIONS[WIN7]).apply(CLIENT_SETTINGS["lookup_domain"], "corp.example")
    assert session.invoked == []
    Spp(session, VERSIONS[VISTA]).apply(HOST_SETTINGS["activation_interval"], 60)
    assert session.invoked == [
        ("SoftwareLicensingService", "SetVLActivationInterval", {"ActivationInterval": 60})
    ]


def test_each_version_has_the_methods_its_class_page_lists() -> None:
    assert "SetKeyManagementServicePort" not in VISTA.service_methods
    assert "DisableKeyManagementServiceHostCaching" not in VISTA.service_methods
    assert {"SetVLActivationInterval", "SetVLRenewalInterval"} <= VISTA.service_methods
    assert "SetKeyManagementServiceListeningPort" in WIN7.service_methods
    assert "SetKeyManagementServiceLookupDomain" not in WIN7.service_methods
    assert "SetKeyManagementServiceLookupDomain" in MODERN.service_methods
    assert VISTA.spp_service == "slsvc"
    assert WIN7.spp_service == MODERN.spp_service == "sppsvc"
    assert VISTA.registry_key.endswith(r"\CurrentVersion\SL")


# Refusals ----------------------------------------------------------------------------------------


def refused_client(surface: versions.Surface, **options: Any) -> str:
    session = FakeSession(surface)
    with pytest.raises(UnsupportedOption) as caught:
        converge(session, parse_request(options), check_mode=False)
    assert session.invoked == []  # nothing written
    assert session.requests == 1  # the service read that told the version
    return str(caught.value)


@pytest.mark.parametrize("surface", [VISTA, WIN7])
def test_lookup_domain_before_windows_8_is_refused(surface: versions.Surface) -> None:
    message = refused_client(surface, lookup_domain="corp.example")
    assert message.startswith(
        f"lookup_domain: this machine runs {surface.name} (SoftwareLicensingService "
        f"{VERSIONS[surface]}), which has no KMS lookup domain"
    )
    assert f"the first version that has it is {EIGHT}." in message


def test_clearing_a_lookup_domain_where_there_is_none_changes_nothing() -> None:
    session = FakeSession(WIN7)
    outcome = converge(session, parse_request({"lookup_domain": "", "activate": False}), False)
    assert not outcome.changed
    assert session.invoked == []


def test_a_client_port_on_vista_is_refused() -> None:
    message = refused_client(VISTA, kms_host="kms1.corp.example", kms_port=1690)
    assert message.startswith(
        "kms_port: this machine runs Windows Vista / Windows Server 2008 "
        "(SoftwareLicensingService 6.0.6002.18005), which has no client-side KMS port "
        "(SetKeyManagementServicePort)"
    )
    assert f"the first version that has it is {SEVEN}." in message


def test_host_caching_on_vista_is_refused() -> None:
    message = refused_client(VISTA, host_caching=False)
    assert message.startswith("host_caching: this machine runs Windows Vista")
    assert SEVEN in message


def test_vista_pins_a_host_without_a_port() -> None:
    session = FakeSession(VISTA)
    request = parse_request({"kms_host": "kms1.corp.example", "activate": False})
    outcome = converge(session, request, check_mode=False)
    assert [(m, p) for _c, m, p in session.invoked if m.endswith("Machine")] == [
        ("SetKeyManagementServiceMachine", {"MachineName": "kms1.corp.example"})
    ]
    assert outcome.plan.settings_after() == {"kms_host": "kms1.corp.example", "kms_port": None}


def test_windows_7_reads_the_pinned_port_from_the_registry_only_when_it_matters() -> None:
    session = FakeSession(
        WIN7,
        service=service_row(WIN7, KeyManagementServiceMachine="kms1.corp.example"),
        registry={"KeyManagementServicePort": "1690"},
    )
    request = parse_request({"kms_host": "kms1.corp.example", "kms_port": 1690, "activate": False})
    outcome = converge(session, request, check_mode=False)
    assert not outcome.changed  # converged: the registry says 1690
    assert session.requests == 3  # service, products, the port's value
    assert [m for _c, m, _p in session.invoked] == ["GetStringValue"]
    quiet = FakeSession(WIN7)
    converge(quiet, parse_request({"activate": False}), check_mode=False)
    assert quiet.requests == 2


def test_the_registry_port_is_only_used_when_it_is_a_port() -> None:
    assert registry_port("1690") == 1690
    assert registry_port(" 1688 ") == 1688
    for bad in (None, "", "abc", "0", "70000", 1690):
        assert registry_port(bad) is None
    win7 = spp.Service.from_row(service_row(WIN7))
    modern = spp.Service.from_row(service_row(MODERN))
    vista = spp.Service.from_row(service_row(VISTA))
    wants_host = parse_request({"kms_host": "kms1.corp.example"})
    assert needs_registry_port(wants_host, win7)
    assert not needs_registry_port(wants_host, modern)  # the service says it
    assert not needs_registry_port(wants_host, vista)  # no port at all
    assert not needs_registry_port(parse_request({}), win7)


HOST_KEY = "BBBBB-CCCCC-DDDDD-FFFFF-GGGGG"  # well formed, not a published GVLK


def refused_host(surface: versions.Surface, check: bool = False, **options: Any) -> str:
    session = FakeSession(surface)
    request = host_request({"key": HOST_KEY, **options})
    with pytest.raises(UnsupportedOption) as caught:
        host_run(session, request, check_mode=check, want_diff=True, warn=print)
    assert session.invoked == []  # nothing written, nothing else read
    assert session.requests == 2
    return str(caught.value)


@pytest.mark.parametrize(
    ("option", "value", "what"),
    [
        ("listening_port", 1690, "KMS listening port method (SetKeyManagementServiceListeningPort"),
        ("dns_publishing", False, "DNS publishing method (DisableKeyManagementServiceDns"),
        ("low_priority", True, "KMS priority method (EnableKeyManagementServiceLowPriority"),
        ("host_caching", False, "KMS host caching setting (DisableKeyManagementServiceHost"),
    ],
)
@pytest.mark.parametrize("check", [False, True])
def test_host_settings_vista_lacks_are_refused(
    option: str, value: Any, what: str, check: bool
) -> None:
    message = refused_host(VISTA, check, **{option: value})
    assert message.startswith(
        f"{option}: this machine runs Windows Vista / Windows Server 2008 "
        f"(SoftwareLicensingService 6.0.6002.18005), which has no {what}"
    )
    assert f"the first version that has it is {SEVEN}." in message


@pytest.mark.parametrize("surface", [VISTA, WIN7])
@pytest.mark.parametrize("check", [False, True])
def test_the_firewall_option_before_windows_8_is_refused(
    surface: versions.Surface, check: bool
) -> None:
    message = refused_host(surface, check, firewall=True)
    assert message.startswith(
        f"firewall: this machine runs {surface.name} (SoftwareLicensingService "
        f"{VERSIONS[surface]}), which has no MSFT_NetFirewallRule"
    )
    assert f"the first version that has it is {EIGHT}." in message
    assert "open TCP 1688" in message
    assert "Key Management Service exception of Windows Firewall" in message


def test_the_intervals_are_host_settings_vista_has() -> None:
    session = FakeSession(VISTA)
    request = host_request({"key": HOST_KEY, "activation_interval": 60, "renewal_interval": 1440})
    result = host_run(session, request, check_mode=True, want_diff=True, warn=print)
    assert "failed" not in result
    assert "activation_interval: 120 -> 60" in result["changes"]
    assert "restart the Software Licensing service (slsvc)" in result["changes"]
    assert session.invoked == []


def test_priority_and_weight_on_vista_are_refused_by_entry() -> None:
    check_entries([PublishEntry("a.example")], VERSIONS[VISTA])  # a plain domain is fine
    check_entries([PublishEntry("a.example", 10, 50)], VERSIONS[WIN7])
    with pytest.raises(UnsupportedOption) as caught:
        check_entries(
            [PublishEntry("a.example"), PublishEntry("b.example", 10, 50)], VERSIONS[VISTA]
        )
    message = str(caught.value)
    assert message.startswith(
        "domains[1] (b.example): this machine runs Windows Vista / Windows Server 2008 "
        "(SoftwareLicensingService 6.0.6002.18005), which has no priority and weight in "
        "DnsDomainPublishList"
    )
    assert f"the first version that has it is {SEVEN}." in message


def test_the_publish_facts_of_vista_leave_out_what_it_lacks() -> None:
    vista = spp.Service.from_row(service_row(VISTA, IsKeyManagementServiceMachine=1))
    assert role_row(vista) == {"IsKeyManagementServiceMachine": 1}
    win7 = spp.Service.from_row(
        service_row(WIN7, KeyManagementServiceListeningPort=1690, IsKeyManagementServiceMachine=1)
    )
    assert role_row(win7)["KeyManagementServiceListeningPort"] == 1690
