"""One simulated Windows machine: OS facts, registry, sppsvc, SPP, firewall, events, faults, and
the counters and write log of everything asked of it.

OS facts come from the image and are non-localized (EditionID, OperatingSystemSKU, BuildNumber,
ProductType), except ``Caption``, which is served in the machine's language so tests can prove the
collection never relies on it (kms-facts §3.3).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from kmslab.model.authority import ActivationAuthority
from kmslab.model.catalog import WINDOWS_APP_ID, Kind
from kmslab.model.cim import CimProvider
from kmslab.model.clock import LabClock
from kmslab.model.events import EventLog
from kmslab.model.faults import FaultPlan
from kmslab.model.firewall import Firewall
from kmslab.model.images import LANGUAGE_IDS, OFFICE_SUITES, OsImage, image
from kmslab.model.journal import Journal
from kmslab.model.keys import KeyKind, KeyTable, LabKey, default_key_table, fake_key
from kmslab.model.kms_client import KmsNetwork
from kmslab.model.licenses import (
    EVAL_PERIOD,
    KMS_VALIDITY,
    LicenseSku,
    addon_sku,
    office_skus,
    windows_skus,
)
from kmslab.model.ospp import OSPPSVC, OfficeProtection, license_service
from kmslab.model.registry import (
    CURRENT_VERSION,
    HKEY_LOCAL_MACHINE,
    Registry,
    reg_dword,
    reg_sz,
    spp_key,
)
from kmslab.model.service import Service
from kmslab.model.spp import SoftwareProtection
from kmslab.model.surfaces import Surface, surface_for
from kmslab.variants import DEFAULT as DEFAULT_VARIANTS
from kmslab.variants import Variants

_ID_NAMESPACE = uuid.UUID("0d9b2a5e-3c41-4f7a-8e6b-2f1c7d4a9b30")
TCPIP_PARAMETERS = r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
LEGACY_VERSIONS = ("6.0", "6.1")  # Vista / Server 2008, 7 / Server 2008 R2


def _licensing_service(target: OsImage) -> tuple[str, str, str]:
    """Name, display name and path of the service behind SoftwareLicensingService: sppsvc from
    Windows 7 / 2008 R2 on, slsvc on Vista / Server 2008 (kms-facts §2.5: "On Vista: ...
    slsvc.exe"; the display name "Software Licensing" is a lab value)."""
    if target.version == "6.0":
        return "slsvc", "Software Licensing", r"C:\Windows\system32\SLsvc.exe"
    return "sppsvc", "Software Protection", r"C:\Windows\system32\sppsvc.exe"


class Machine:
    def __init__(
        self,
        name: str,
        os_image: OsImage | str,
        *,
        domain: str = "lab.test",
        language: str = "en-US",
        clock: LabClock | None = None,
        keys: KeyTable | None = None,
        network: KmsNetwork | None = None,
        initial_key: KeyKind | None = None,
        activated: bool | None = None,
        office: Iterable[str] = (),
        addon: bool = False,
        dns_search: Iterable[str] = (),
        cmid: str | None = None,
        address: str | None = None,
        variants: Variants = DEFAULT_VARIANTS,
        updates: Iterable[str] = (),
        license_packs: Iterable[str] = (),
    ) -> None:
        """``initial_key``: the kind of key the machine comes with (default: evaluation for an
        evaluation image, else retail; an image without that channel raises ValueError).
        ``activated``: whether that key is already activated (default: only an evaluation key).
        ``cmid``: give several machines the same CMID to model clones that were not sysprepped
        (§2.9: the count then sticks at 1). ``updates``: KB numbers installed, e.g.
        ``("KB968912",)`` on Server 2008 for the Windows 7 / 2008 R2 host keys (catalog.py).
        ``office``: OFFICE_SUITES handles; each licenses through SPP or OSPP as its version and
        this Windows decide (ospp.license_service). ``license_packs``: the Office volume license
        packs already installed on a KMS host, by host key group (``("office2016",)``,
        license_packs.py); others arrive through InstallLicense."""
        self.name = name
        self.image = image(os_image) if isinstance(os_image, str) else os_image
        self.domain = domain.strip(".").casefold()
        self.fqdn = f"{name}.{self.domain}".casefold()
        self.language = language
        self.dns_search = tuple(dns_search)
        self.address = address
        self.variants = variants
        self.updates = frozenset(update.strip().upper() for update in updates)
        self.clock = clock or LabClock()
        self.keys = keys or default_key_table()
        self.network = network
        self.authority = ActivationAuthority()  # used only without a network (a lone machine)
        self.cmid = cmid or str(uuid.uuid5(_ID_NAMESPACE, f"cmid:{self.fqdn}"))
        self.hardware_id = str(uuid.uuid5(_ID_NAMESPACE, f"hardware:{self.fqdn}"))
        self.online = True
        self.registry = Registry()
        self.events = EventLog()
        self.faults = FaultPlan()
        self.firewall = Firewall()
        self.journal = Journal()
        self.firmware_key: str | None = None  # OA3xOriginalProductKey of an OEM machine
        self.office = tuple(OFFICE_SUITES[handle] for handle in office)
        stacks = {suite.handle: license_service(suite, self.image) for suite in self.office}
        ospp_suites = [suite for suite in self.office if stacks[suite.handle] == "ospp"]
        self.license_packs = frozenset(license_packs)
        self.spp = SoftwareProtection(self, self._skus(addon), self.license_packs)
        self.sppsvc = Service(
            *_licensing_service(self.image),
            self.faults,
            on_start=self.spp.on_start,
            on_stop=self.spp.on_stop,
        )
        # Office 2010, and Office 2013 / 2016 on Windows 7 and older: OSPP and osppsvc.
        self.ospp = OfficeProtection(self, ospp_suites) if ospp_suites else None
        self.osppsvc = (
            Service(*OSPPSVC, self.faults, on_start=self.ospp.on_start, on_stop=self.ospp.on_stop)
            if self.ospp
            else None
        )
        self._seed_registry()
        self._install_initial_key(initial_key, activated)
        if addon:
            self._install_addon()
        self.sppsvc.start_service()  # boot
        if self.osppsvc is not None:
            self.osppsvc.start_mode = "Auto"  # "Automatic (Delayed Start)", KB 2870357
            self.osppsvc.start_service()
        self.cim = CimProvider(self)

    @property
    def spp_key(self) -> str:
        """Where this machine keeps its KMS settings (``...\\SL`` on Vista / Server 2008)."""
        return spp_key(self.image.version)

    def __repr__(self) -> str:
        return f"Machine({self.fqdn}, {self.image.handle})"

    @property
    def services(self) -> list[Service]:
        """Win32_Service instances the lab serves: sppsvc (or slsvc), and osppsvc with OSPP."""
        return [self.sppsvc] + ([self.osppsvc] if self.osppsvc is not None else [])

    @property
    def surface(self) -> Surface:
        """The SPP class members of this Windows version (surfaces.py)."""
        return surface_for(self.image.version)

    # Construction ------------------------------------------------------------------------------
    def _skus(self, addon: bool) -> list[LicenseSku]:
        skus = windows_skus(self.image, self.updates)
        for suite in self.office:
            if license_service(suite, self.image) == "spp":
                skus += office_skus(suite)
        if addon:
            skus.append(addon_sku(self.image, self._addon_key()))
        return skus

    def _addon_key(self) -> LabKey:
        key = fake_key(f"addon:{self.image.family}:{self.image.edition}")
        return self.keys.lookup(key) or self.keys.add(
            LabKey(key, KeyKind.MAK, WINDOWS_APP_ID, f"{self.image.family} ESU", "Add-on")
        )

    def _seed_registry(self) -> None:
        reg = self.registry
        target = self.image
        reg.put(CURRENT_VERSION, "EditionID", reg_sz(target.edition_id))
        reg.put(CURRENT_VERSION, "CurrentBuildNumber", reg_sz(str(target.build)))
        reg.put(CURRENT_VERSION, "CurrentBuild", reg_sz(str(target.build)))
        # Windows 8.1 and later report "6.3" here; Vista / 7 their own "6.0" / "6.1".
        legacy = target.version in LEGACY_VERSIONS
        reg.put(CURRENT_VERSION, "CurrentVersion", reg_sz(target.version if legacy else "6.3"))
        reg.put(CURRENT_VERSION, "ProductName", reg_sz(target.caption_name))  # never localized
        reg.put(CURRENT_VERSION, "DisplayVersion", reg_sz(target.display_version))
        kind = "Server" if target.kind is Kind.SERVER else "Client"
        reg.put(CURRENT_VERSION, "InstallationType", reg_sz(kind))
        if not legacy:  # values of Windows 10 and later; Vista / 7 have none (lab rule)
            major, minor = (int(part) for part in target.version.split("."))
            reg.put(CURRENT_VERSION, "CurrentMajorVersionNumber", reg_dword(major))
            reg.put(CURRENT_VERSION, "CurrentMinorVersionNumber", reg_dword(minor))
        reg.create_key(HKEY_LOCAL_MACHINE, self.spp_key)
        reg.put(TCPIP_PARAMETERS, "Hostname", reg_sz(self.name))
        reg.put(TCPIP_PARAMETERS, "Domain", reg_sz(self.domain))
        reg.put(TCPIP_PARAMETERS, "NV Domain", reg_sz(self.domain))

    def _install_initial_key(self, kind: KeyKind | None, activated: bool | None) -> None:
        kind = kind or (KeyKind.EVAL if self.image.evaluation else KeyKind.RETAIL)
        sku = next(
            (
                s
                for s in self.spp.skus
                if s.slot == "windows" and s.kind is kind and s.group is None
            ),
            None,
        )
        if sku is None:
            raise ValueError(f"{self.image.handle} has no {kind.value} license to start with")
        key = self.keys.for_image(kind, self.image.handle)
        state = self.spp.put_key(sku, key)
        if kind is KeyKind.OEM:
            self.firmware_key = key.key
        if activated if activated is not None else kind is KeyKind.EVAL:
            validity = {KeyKind.EVAL: EVAL_PERIOD, KeyKind.GVLK: KMS_VALIDITY}.get(kind)
            state.grant(self.clock.now(), validity)

    def _install_addon(self) -> None:
        sku = next(s for s in self.spp.skus if s.is_addon)
        state = self.spp.put_key(sku, self._addon_key())
        state.grant(self.clock.now(), None)

    # Views -------------------------------------------------------------------------------------
    def os_properties(self) -> dict[str, object]:
        """Win32_OperatingSystem."""
        target = self.image
        caption = target.caption(self.language)
        return {
            "BuildNumber": str(target.build),
            "Caption": caption,
            "CSName": self.name.upper(),
            "Name": f"{caption}|C:\\Windows|\\Device\\Harddisk0\\Partition2",
            "OperatingSystemSKU": target.sku,
            "OSArchitecture": "64 bits" if self.language == "fr-FR" else "64-bit",
            "OSLanguage": LANGUAGE_IDS.get(self.language, 1033),
            "MUILanguages": [self.language],
            "ProductType": target.product_type,
            "Version": f"{target.version}.{target.build}",
        }

    def computer_system_properties(self) -> dict[str, object]:
        """Win32_ComputerSystem: every lab machine is a member of its (DNS) domain. DomainRole 1
        is a member workstation, 3 a member server (Microsoft's Win32_ComputerSystem page)."""
        return {
            "DNSHostName": self.name,
            "Domain": self.domain,
            "DomainRole": 3 if self.image.kind is Kind.SERVER else 1,
            "Name": self.name.upper(),
            "PartOfDomain": True,
            "Workgroup": None,
        }
