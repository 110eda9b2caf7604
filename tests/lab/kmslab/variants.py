"""Where no source settles how Windows answers, the lab serves every plausible answer.

Each :class:`Variant` is one detail that Microsoft's documents, the real captures and public code
leave open (``reference/wsman-wire.md`` §7, ``reference/older-windows-office-adba.md`` §6-§7). The
lab's default is the best-sourced value; every other value is a form a real Windows may plausibly
send. The client must pass its scenarios under every value (``tests/integration/test_variants.py``),
so a guess in the client can no longer hide behind a lab that guessed the same way.

    scripts/lab variants                                   # every name, value, default, source
    scripts/lab up --variant registry_missing_value=2      # repeatable

Pure standard library: the model and the WS-Man front end both read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class Variant:
    name: str
    values: tuple[str, ...]
    default: str
    meaning: str  # what the switch changes, one line
    source: str  # where the default comes from; starts with "unconfirmed" where nothing settles it
    # "windows": every Windows module runs under each value (test_variants.py); "adba": only
    # Active Directory-Based Activation reads it (test_kms_adba_object.py runs each value);
    # "act_type": only the activation type reads it (test_activation_type.py runs each value)
    scope: str = "windows"

    @property
    def confirmed(self) -> bool:
        return not self.source.startswith(UNCONFIRMED)


CATALOG: tuple[Variant, ...] = (
    Variant(
        "registry_missing_value",
        ("1", "2"),
        "1",
        "StdRegProv Get*Value's ReturnValue for a value missing from an existing key "
        "(a missing key answers 2 under both)",
        "unconfirmed: 1 per a public installer script that observed real Windows; 2 per Wine's "
        "StdRegProv; Microsoft documents only 'a nonzero WinError.h code' "
        "(older-windows-office-adba.md §6)",
    ),
    Variant(
        "null_array",
        ("nil", "omit"),
        "nil",
        "how a NULL or empty array property or out-parameter travels: one element with "
        "xsi:nil, or no element at all",
        "MS-WSMAN 3.1.4.1.26 / 3.2.4.1.12: null arrays are sent once with xsi:nil='true' "
        "(wsman-wire.md §1.5); empty arrays are unconfirmed, probably omitted",
    ),
    Variant(
        "spp_method_failure",
        ("wsmanfault", "wmierror", "returnvalue"),
        "wsmanfault",
        "how an SPP method's HRESULT reaches the client: a WSManFault whose Code is the HRESULT, "
        "an MSFT_WmiError fault detail, or a ReturnValue in the method's output",
        "unconfirmed: the §1.6 fault template of wsman-wire.md (slmgr.vbs reads Err.Number, "
        "so a fault is likely); the MSFT_WmiError shape is capture winrb_wmi_error_v2.xml",
    ),
    Variant(
        "projection_items",
        ("projected", "full"),
        "projected",
        "the items of a WQL projection (SELECT a, b): only the selected properties, or every "
        "property of the class",
        "unconfirmed: no capture of a projection (wsman-wire.md §5 item 5, §7)",
    ),
    Variant(
        "kms_flag_after_install",
        ("immediate", "after_restart"),
        "after_restart",
        "when IsKeyManagementServiceMachine turns 1 after InstallProductKey of a KMS host key: "
        "at once, or only once sppsvc has restarted",
        "unconfirmed: no source says the flag is immediate; Microsoft's note on /ipk says the "
        "Software Protection service should be restarted (kms-facts.md §2.6), so by default the "
        "lab waits for the restart",
    ),
    Variant(
        "home_domain_record",
        ("replaced", "kept"),
        "replaced",
        "a DnsDomainPublishList entry for the host's own domain: published beside the automatic "
        "0/0 record, or in its place",
        "unconfirmed: the registry reference says 'the KMS home domain is always used' "
        "(kms-facts.md §2.3) but not which priority and weight win when it is listed",
    ),
    Variant(
        "ospp_surface",
        ("ospp_vbs", "spp7"),
        "ospp_vbs",
        "the properties of OfficeSoftwareProtectionService / OfficeSoftwareProtectionProduct: "
        "only those ospp.vbs names (spelled ApplicationId), or the Windows 7 "
        "SoftwareLicensingService / SoftwareLicensingProduct surface (LicenseFamily, counts; "
        "ApplicationID)",
        "unconfirmed: no Microsoft class page for OSPP; ospp.vbs (Office 2013, Microsoft's) is "
        "the only source of its property names (older-windows-office-adba.md §2.2)",
    ),
    Variant(
        "ospp_kms_host_scope",
        ("machine", "product"),
        "machine",
        "where OfficeSoftwareProtectionProduct.SetKeyManagementServiceMachine/Port land: in the "
        "OSPP registry root, seen by every Office product, or under that product only",
        "unconfirmed: ospp.vbs /sethst calls the product's method, and Microsoft's Office tools "
        "page says /sethst writes KeyManagementServiceName under the "
        "OfficeSoftwareProtectionPlatform registry key (kms-facts.md §1.9); SPP's product method "
        "is per product (§2.1)",
    ),
    Variant(
        "office_host_key_without_pack",
        ("0xC004F015", "0xC004F050"),
        "0xC004F015",
        "InstallProductKey of an Office KMS host key before that Office version's volume license "
        "files are installed: SL_E_PRODUCT_SKU_NOT_INSTALLED or SL_E_INVALID_PRODUCT_KEY",
        "unconfirmed: Microsoft says to install the Volume License Pack first "
        "(older-windows-office-adba.md §3) but not what fails without it; 0xC004F015 means "
        "'the license is not installed' (kms-facts.md §2.7)",
    ),
    Variant(
        "operation_timeout_cap",
        ("60", "none"),
        "60",
        "the longest OperationTimeout WinRM honours, in seconds: MaxTimeoutms, or no cap",
        "MS-WSMV 3.1.4.1.6: the service caps OperationTimeout at MaxTimeoutms, 60,000 ms by "
        "default",
    ),
    Variant(
        "adba_object_rdn",
        ("name", "skuid"),
        "name",
        "the RDN of the activation object DoActiveDirectoryOnlineActivation writes: CN=<the "
        "activation object name>, or CN=<the CSVLK's SKU ID> with the name in displayName only",
        "unconfirmed: slmgr.vbs /del-ao builds CN=<name> from the name it is given and /ao-list "
        "shows displayName (older-windows-office-adba.md §4.3); public slmgr-ps matches the "
        "object's RDN to the name (third-party); no capture of a real object, and no public "
        "/ao-list output or ADSI Edit view showing one was found (docs/adba.md)",
        scope="adba",
    ),
    Variant(
        "adba_second_hop",
        ("0x80072020", "0x80070005"),
        "0x80072020",
        "what DoActiveDirectoryOnlineActivation fails with when the WS-Man logon carries no "
        "credentials to the domain controller (the second hop): ERROR_DS_OPERATIONS_ERROR (the "
        "anonymous LDAP bind's 'operations error') or E_ACCESSDENIED",
        "unconfirmed: ADSI maps LDAP operationsError to 0x80072020 (HRESULT_FROM_WIN32 8224), "
        "what an unauthenticated bind meets in Active Directory; no capture of the SPP method",
        scope="adba",
    ),
    Variant(
        "act_type_precedence",
        ("product", "product_own", "machine"),
        "product",
        "a product's activation type (SetVLActivationTypeEnabled on the product, slmgr /act-type "
        "with an activation ID) beside the machine-wide one (on SoftwareLicensingService, "
        "/act-type without an ID): the product's wins and its VLActivationTypeEnabled shows the "
        "one in force; the product's wins but the property shows only the product's own (0 when "
        "it has none); or the machine-wide one wins and the property shows it",
        "unconfirmed: MS-WMI81 and GO-WMI name the property and the methods on both classes, "
        "SLMGR10 calls them with or without an ID (older-windows-office-adba.md §1.3-§1.6, §4.4); "
        "no source says which one wins or what the product's property shows when both are set. "
        "The default is the per-product override of /skms <host> <activation ID> (kms-facts.md "
        "§2.1)",
        scope="act_type",
    ),
    Variant(
        "ntdomain_dc_name",
        ("dns", "flat"),
        "dns",
        "the form of Win32_NTDomain.DomainControllerName, the DC the machine's locator names: "
        "\\\\dc1.<domain> (DNS-style) or \\\\DC1 (flat)",
        "unconfirmed: DOMAIN_CONTROLLER_INFO (dsgetdc.h) gives the DNS-style name 'if "
        "available', else the flat one; which DsGetDcName flags the WMI provider passes is not "
        "documented",
        scope="adba",
    ),
)

BY_NAME: dict[str, Variant] = {variant.name: variant for variant in CATALOG}


class VariantError(ValueError):
    """A ``--variant`` that names no variant or no value of it; the message lists the choices."""


@dataclass(frozen=True)
class Variants(Mapping[str, str]):
    """The value of every variant in force: the chosen ones, the default for the rest."""

    chosen: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.chosen.items():
            variant = BY_NAME.get(name)
            if variant is None:
                raise VariantError(
                    f"no lab variant is called {name!r}; `scripts/lab variants` lists them: "
                    f"{', '.join(BY_NAME)}"
                )
            if value not in variant.values:
                raise VariantError(
                    f"variant {name} has no value {value!r}; choose one of "
                    f"{', '.join(variant.values)} (default {variant.default})"
                )

    @classmethod
    def parse(cls, items: Iterable[str]) -> Variants:
        """From ``NAME=VALUE`` strings, as ``scripts/lab up --variant`` takes them."""
        chosen: dict[str, str] = {}
        for item in items:
            name, sep, value = item.partition("=")
            if not sep:
                raise VariantError(f"--variant takes NAME=VALUE, got {item!r}")
            chosen[name.strip()] = value.strip()
        return cls(chosen)

    def __getitem__(self, name: str) -> str:
        return self.chosen.get(name, BY_NAME[name].default)

    def __iter__(self) -> Iterator[str]:
        return iter(BY_NAME)

    def __len__(self) -> int:
        return len(BY_NAME)

    def differs(self) -> dict[str, str]:
        """The variants whose value is not the default: what a test or a log line names."""
        return {name: value for name, value in self.items() if value != BY_NAME[name].default}


DEFAULT = Variants()


def matrix(scope: str = "windows") -> list[tuple[str, str]]:
    """Every (name, value) pair of ``scope`` that is not a default: the integration matrix runs
    each one on its own, beside one run of all the defaults."""
    return [
        (v.name, value)
        for v in CATALOG
        if v.scope == scope
        for value in v.values
        if value != v.default
    ]


def describe() -> str:
    """The text of ``scripts/lab variants``."""
    lines = []
    for variant in CATALOG:
        values = " | ".join(
            f"{value} (default)" if value == variant.default else value for value in variant.values
        )
        lines += [f"{variant.name} = {values}", f"    {variant.meaning}"]
        lines.append(f"    source: {variant.source}")
    return "\n".join(lines)
