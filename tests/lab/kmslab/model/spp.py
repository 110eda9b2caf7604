"""The Software Protection Platform: SoftwareLicensingService and SoftwareLicensingProduct state
and methods (kms-facts §2.6, wsman-wire §4.1-§4.3).

Key installation, activation and the KMS host role live here; the settings methods live in
spp_settings.py; the host's count in kms.py; the client's search for a host in kms_client.py.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from kmslab.model import kms_client, license_packs
from kmslab.model.catalog import HOST_KEY_GROUPS, OFFICE_APP_IDS, HostKeyGroup
from kmslab.model.dns import SrvRecord, normalize_name
from kmslab.model.errors import HResult, SppFault, hresult_text
from kmslab.model.events import KMS_CLIENT_REQUEST, SRV_PUBLISH_FAILED, SRV_PUBLISHED
from kmslab.model.keys import KeyKind, LabKey, is_well_formed
from kmslab.model.kms import KmsHostState, KmsRequest, KmsResponse
from kmslab.model.licenses import (
    EVAL_PERIOD,
    KeyState,
    LicenseSku,
    LicenseStatus,
    office_host_sku,
)
from kmslab.model.registry import reg_sz
from kmslab.model.settings import (
    BACKUP_PRODUCT_KEY,
    DEFAULT_ACTIVATION_INTERVAL,
    DEFAULT_RENEWAL_INTERVAL,
    ClientSettings,
    HostSettings,
    parse_publish_list,
    read_client_settings,
    read_host_settings,
)
from kmslab.model.spp_settings import KmsSettingsMethods

if TYPE_CHECKING:
    from kmslab.model.machine import Machine


class SoftwareProtection(KmsSettingsMethods):
    def __init__(
        self, machine: Machine, skus: list[LicenseSku], packs: frozenset[str] = frozenset()
    ) -> None:
        """``packs``: the Office volume license packs already installed (license_packs.py): an
        Office KMS host row is served only once its pack's license file is in."""
        self.machine = machine
        # (pack, part) license files installed with InstallLicense, or with the machine.
        self.licenses: set[tuple[str, str]] = {
            (pack, part) for pack in packs for part in ("license", "pkeyconfig")
        }
        self.skus = [sku for sku in skus if self._licensed(sku)]
        self.keys: dict[str, KeyState] = {}  # SKU id -> the key installed in that row
        self.configured = HostSettings()
        self.effective: HostSettings | None = None  # None while sppsvc is stopped
        self.client = ClientSettings()
        self.product_clients: dict[str, ClientSettings] = {}
        self.host_caching = True
        self.discovered: tuple[str, int] | None = None
        self.client_intervals = (DEFAULT_ACTIVATION_INTERVAL, DEFAULT_RENEWAL_INTERVAL)
        self.host_state = KmsHostState()
        self.serving = False  # the KMS host role as of the last sppsvc start
        # When IsKeyManagementServiceMachine turns 1 after InstallProductKey of a host key: at
        # once (True), or only once sppsvc has started with the key in (False). No source says
        # which (the /ipk note only says to restart sppsvc, kms-facts §2.6), so this is a lab
        # variant (``kms_flag_after_install``, kmslab/variants.py).
        self.kms_flag_immediate = machine.variants["kms_flag_after_install"] == "immediate"
        self.host_key_at_start = False  # a host key was in when sppsvc last started

    def _licensed(self, sku: LicenseSku) -> bool:
        """Whether ``sku``'s license is installed: always, except an Office KMS host row."""
        office_host = sku.group is not None and sku.application_id in OFFICE_APP_IDS
        return not office_host or (sku.group, "license") in self.licenses

    # InstallLicense (slmgr /ilc) -----------------------------------------------------------------
    def install_license(self, text: str) -> int:
        """SLS.InstallLicense(License = the file's text) (older-windows-office-adba §1.3, §3).

        The lab knows only its own fake files (license_packs.py): the KMS host license adds the
        Office host row, where this OS can host that version (catalog.HOST_KEY_GROUPS); the key
        configuration lets the host key install. Anything else: E_INVALIDARG (lab choice)."""
        found = license_packs.recognise(text)
        if found is None:
            raise SppFault(HResult.E_INVALIDARG, "not a license file the lab knows")
        self.licenses.add(found)
        pack, part = found
        group = HOST_KEY_GROUPS[pack]
        if part == "license" and self.machine.image.token in group.hosts:
            row = office_host_sku(group)
            if all(sku.id != row.id for sku in self.skus):
                self.skus.append(row)
        return 0

    def _pack_missing(self, key: LabKey) -> int | None:
        """The refusal of an Office host key whose pack is not (fully) installed, or None: the
        variant ``office_host_key_without_pack`` (license_packs.py)."""
        group = HOST_KEY_GROUPS.get(key.group or "")
        if group is None or group.application_id not in OFFICE_APP_IDS:
            return None
        if self.machine.image.token not in group.hosts:
            return None  # the OS rules decide (_misfit)
        if {(group.handle, "license"), (group.handle, "pkeyconfig")} <= self.licenses:
            return None
        return int(self.machine.variants["office_host_key_without_pack"], 16)

    # Queries -----------------------------------------------------------------------------------
    def sku(self, sku_id: str) -> LicenseSku:
        for sku in self.skus:
            if sku.id.casefold() == sku_id.casefold():
                return sku
        raise KeyError(sku_id)

    def keyed(self) -> list[tuple[LicenseSku, KeyState]]:
        return [(sku, self.keys[sku.id]) for sku in self.skus if sku.id in self.keys]

    def status(self, sku: LicenseSku) -> LicenseStatus:
        state = self.keys.get(sku.id)
        return state.status(self.machine.clock.now()) if state else LicenseStatus.UNLICENSED

    @property
    def holds_host_key(self) -> bool:
        """A host key (CSVLK) is installed in some row; it need not be activated."""
        return any(state.key.kind is KeyKind.CSVLK for _sku, state in self.keyed())

    @property
    def is_kms_host(self) -> bool:
        """IsKeyManagementServiceMachine, the one place that decides it (service and host product
        rows alike): 1 while a host key is installed, either from InstallProductKey on
        (``kms_flag_immediate``) or only from the next sppsvc start on. Removing the key clears it
        at once in both forms."""
        if not self.holds_host_key:
            return False
        return self.kms_flag_immediate or self.host_key_at_start

    def host_keys(self) -> list[tuple[HostKeyGroup, bool]]:
        now = self.machine.clock.now()
        return [
            (HOST_KEY_GROUPS[sku.group], state.status(now) is LicenseStatus.LICENSED)
            for sku, state in self.keyed()
            if sku.group is not None
        ]

    # InstallProductKey / UninstallProductKey / ClearProductKeyFromRegistry ---------------------
    def install_product_key(self, text: str) -> int:
        """SLS.InstallProductKey (slmgr /ipk).

        The key must be one the lab knows (else 0xC004F050, "invalid product key") and must fit
        a license installed on this OS; which error a misfit gets is decided by `_misfit`.
        """
        key = self.machine.keys.lookup(text) if is_well_formed(text) else None
        if key is None:
            raise SppFault(HResult.SL_E_INVALID_PRODUCT_KEY, "malformed key, or unknown to the lab")
        missing = self._pack_missing(key)
        if missing is not None:
            raise SppFault(missing, f"{key!r}: its Office volume license pack is not installed")
        sku = next((sku for sku in self.skus if sku.accepts(key)), None)
        if sku is None:
            raise SppFault(self._misfit(key), f"{key!r} does not fit {self.machine.image.handle}")
        self.put_key(sku, key)
        return 0

    def _misfit(self, key: LabKey) -> int:
        """Why a known key fits no license on this machine.

        Host keys (§4.2): an OS that lacks the update a group needs -> that update's documented
        error (KB968912 on Server 2008: 0xC004F050); a group newer than the OS -> 0xC004F015
        ("the license is not installed", the case of a Windows 10 CSVLK on 2012 R2 without the
        update); a group the OS is simply wrong for (older group on a newer OS, client key on a
        server, server key on a client, Azure Edition) -> 0xC004F050. Other keys (lab rule):
        the same product family but another edition -> 0xC004F069 (SKU mismatch); another
        product altogether -> 0xC004E016 (invalid for this product).
        """
        image = self.machine.image
        if key.kind is KeyKind.CSVLK:
            group = HOST_KEY_GROUPS[key.group or ""]
            update = group.needs_update(image.token, self.machine.updates)
            if update is not None:
                return update.missing  # KB968912: 0xC004F050 (catalog.KB968912)
            right_kind = group.host_kind is None or (
                group.host_kind is image.kind and image.can_host_kms
            )
            if right_kind and group.generation > image.generation:
                return HResult.SL_E_PRODUCT_SKU_NOT_INSTALLED
            return HResult.SL_E_INVALID_PRODUCT_KEY
        if any(
            sku.family == key.family and sku.application_id == key.application_id
            for sku in self.skus
        ):
            return HResult.SL_E_MISMATCHED_PRODUCT_SKU
        return HResult.SL_E_PKEY_INVALID_CONFIG

    def put_key(self, sku: LicenseSku, key: LabKey) -> KeyState:
        """Install ``key`` into ``sku``'s row, taking any other key out of the same slot."""
        for other in self.skus:
            if other.slot == sku.slot:
                self.keys.pop(other.id, None)
        state = self.keys[sku.id] = KeyState.installed(key, self.machine.clock.now())
        if sku.slot == "windows":
            self.machine.registry.put(self.machine.spp_key, BACKUP_PRODUCT_KEY, reg_sz(key.key))
        self._forget_started_host_key()
        return state

    def _forget_started_host_key(self) -> None:
        """Once no host key is left, a later one waits for the next start again (is_kms_host)."""
        if not self.holds_host_key:
            self.host_key_at_start = False

    def uninstall_product_key(self, sku_id: str) -> int:
        """SLP.UninstallProductKey (slmgr /upk); 0xC004F014 when the row has no key."""
        sku = self.sku(sku_id)
        if self.keys.pop(sku.id, None) is None:
            raise SppFault(HResult.SL_E_PKEY_NOT_INSTALLED, f"{sku.name} has no product key")
        if sku.slot == "windows":
            self.machine.registry.drop(self.machine.spp_key, BACKUP_PRODUCT_KEY)
        self._forget_started_host_key()
        return 0

    def clear_product_key_from_registry(self) -> int:
        """SLS.ClearProductKeyFromRegistry (slmgr /cpky): the key no longer readable in clear."""
        self.machine.registry.drop(self.machine.spp_key, BACKUP_PRODUCT_KEY)
        return 0

    def refresh_license_status(self) -> int:
        """SLS.RefreshLicenseStatus: the lab derives status from the clock on every read."""
        return 0

    # Activate ----------------------------------------------------------------------------------
    def activate(self, sku_id: str) -> int:
        """SLP.Activate (slmgr /ato): KMS for a GVLK, online activation for other keys."""
        sku = self.sku(sku_id)
        state = self.keys.get(sku.id)
        if state is None:
            raise SppFault(HResult.SL_E_PKEY_NOT_INSTALLED, f"{sku.name} has no product key")
        now = self.machine.clock.now()
        state.last_attempt = now
        if state.key.kind is KeyKind.GVLK:
            kms_client.activate(self, sku, state)
            return 0
        if state.licensed_at is not None and state.status(now) is LicenseStatus.LICENSED:
            return 0  # already activated for good: nothing to ask Microsoft (lab rule)
        network = self.machine.network
        authority = network.authority if network else self.machine.authority
        code = authority.activate(state.key, self.machine.hardware_id)
        if code:
            state.last_hresult = code
            raise SppFault(code, f"online activation of {state.key!r} refused")
        state.grant(now, EVAL_PERIOD if state.key.kind is KeyKind.EVAL else None)
        return 0

    # The KMS host role -------------------------------------------------------------------------
    def serve_kms(self, request: KmsRequest) -> KmsResponse:
        """Answer one client request and log event 12290 (§2.5)."""
        hresult, count = self.host_state.decide(request, self.host_keys())
        settings = self.effective or self.configured
        self.machine.events.write(
            KMS_CLIENT_REQUEST,
            request.time,
            MinCount=request.threshold,
            ClientMachineID=request.cmid,
            Client=request.client,
            LicenseState=request.status.name,
            CurrentCount=count,
            Result=hresult_text(hresult),
        )
        return KmsResponse(
            hresult,
            count,
            settings.activation_interval,
            settings.renewal_interval,
            self.machine.fqdn,
            settings.listening_port,
        )

    def current_count(self, application_id: str) -> int:
        return self.host_state.count(application_id, self.machine.clock.now())

    # sppsvc start / stop -----------------------------------------------------------------------
    def on_start(self) -> None:
        """sppsvc started: reload settings from the registry; a KMS host starts serving and, with
        publishing on, publishes its SRV records (§2.2, §2.4)."""
        registry = self.machine.registry
        self.configured = self.effective = read_host_settings(registry, self.machine.spp_key)
        self.client = read_client_settings(registry, self.machine.spp_key)
        self.product_clients = {
            sku.id: read_client_settings(
                registry, f"{self.machine.spp_key}\\{sku.application_id}\\{sku.id}"
            )
            for sku in self.skus
        }
        self.host_key_at_start = self.holds_host_key
        self.serving = self.is_kms_host
        if self.serving and self.effective.dns_publishing:
            self.publish_srv_records()

    def on_stop(self) -> None:
        self.effective = None
        self.serving = False

    def publish_srv_records(self) -> list[tuple[SrvRecord, bool]]:
        """The home domain at priority 0 and weight 0 (always, §2.3) and each DnsDomainPublishList
        entry with its priority and weight, one publish per domain (the records of one publish
        replace the host's records in that domain). 12294 per record published, 12293 per record
        refused and per entry that does not parse.

        A listed home domain is the variant ``home_domain_record``: "The KMS home domain is always
        used" (§2.3) does not say which priority and weight win when the list names it too
        (unconfirmed). ``replaced``: only the listed record; ``kept``: the 0/0 record beside it."""
        settings = self.effective or self.configured
        machine = self.machine
        now = machine.clock.now()
        targets, bad = parse_publish_list(settings.publish_list)
        home = normalize_name(machine.domain)
        listed = {t.domain: (t.priority, t.weight) for t in targets}
        domains: dict[str, list[tuple[int, int]]] = {home: [(0, 0)]}
        for domain, numbers in listed.items():
            kept = domain == home and machine.variants["home_domain_record"] == "kept"
            domains[domain] = [(0, 0), numbers] if kept and numbers != (0, 0) else [numbers]
        results = []
        for domain, pairs in domains.items():
            records = [
                SrvRecord(domain, machine.fqdn, settings.listening_port, priority, weight)
                for priority, weight in pairs
            ]
            ok = machine.network.publish(records) if machine.network else False
            for record in records:
                event = SRV_PUBLISHED if ok else SRV_PUBLISH_FAILED
                machine.events.write(
                    event,
                    now,
                    Domain=domain,
                    Target=record.target,
                    Port=record.port,
                    Priority=record.priority,
                    Weight=record.weight,
                )
                results.append((record, ok))
        for entry in bad:
            machine.events.write(SRV_PUBLISH_FAILED, now, Domain=entry, Reason="malformed entry")
        return results

    def background_tick(self) -> None:
        """Automatic KMS client attempts: every VLActivationInterval while not activated, every
        VLRenewalInterval once activated (§2.9). Errors are swallowed, as a background task's
        would be; they show in LicenseStatusReason and the event log."""
        now = self.machine.clock.now()
        activation, renewal = self.client_intervals
        for sku, state in self.keyed():
            if state.key.kind is not KeyKind.GVLK:
                continue
            licensed = state.status(now) is LicenseStatus.LICENSED
            wait = timedelta(minutes=renewal if licensed else activation)
            if state.last_attempt is None or now - state.last_attempt >= wait:
                with contextlib.suppress(SppFault):
                    self.activate(sku.id)
