"""The KMS settings methods of SoftwareLicensingService and SoftwareLicensingProduct.

Each method validates, writes the registry value with the documented type (kms-facts §2.2), and
updates the *configured* settings that the WMI properties report. Host settings become *effective*
only when sppsvc restarts (slmgr: "a KMS reboot is needed for this setting to take effect", §1.9);
client settings are used by the next activation straight away.

Host-only methods (§2.6, §1.9: /sprt /sai /sri /sdns /cdns /spri /cpri apply only when a product
has IsKeyManagementServiceMachine = 1; sppwmi: "An error is returned if the method is called and
the machine is not a key management service") fail with SL_E_NOT_SUPPORTED on other machines.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kmslab.model.errors import HResult, SppFault
from kmslab.model.licenses import LicenseSku
from kmslab.model.registry import RegValue, reg_dword, reg_sz
from kmslab.model.settings import (
    DEFAULT_PORT,
    DISABLE_DNS_PUBLISHING,
    ENABLE_KMS_LOW_PRIORITY,
    INTERVAL_RANGE,
    KMS_NAME,
    KMS_PORT,
    LISTENING_PORT,
    LOOKUP_DOMAIN,
    PORT_RANGE,
    VL_ACTIVATION_INTERVAL,
    VL_ACTIVATION_TYPE,
    VL_RENEWAL_INTERVAL,
    ClientSettings,
    HostSettings,
)

if TYPE_CHECKING:
    from kmslab.model.machine import Machine


class KmsSettingsMethods:
    """Mixed into SoftwareProtection (spp.py), which owns the state declared here."""

    machine: Machine
    configured: HostSettings
    client: ClientSettings
    product_clients: dict[str, ClientSettings]
    host_caching: bool
    discovered: tuple[str, int] | None

    @property
    def is_kms_host(self) -> bool:
        raise NotImplementedError

    def sku(self, sku_id: str) -> LicenseSku:
        raise NotImplementedError

    # Helpers -------------------------------------------------------------------------------
    def _host_only(self, method: str) -> None:
        if not self.is_kms_host:
            raise SppFault(HResult.SL_E_NOT_SUPPORTED, f"{method}: this machine is not a KMS host")

    def _write(self, name: str, value: RegValue, path: str | None = None) -> None:
        if self.machine.faults.loses_setting(name):
            return  # injected: the write does not persist (FaultPlan.lose_setting)
        self.machine.registry.put(path or self.machine.spp_key, name, value)

    def _erase(self, name: str, path: str | None = None) -> None:
        self.machine.registry.drop(path or self.machine.spp_key, name)

    @staticmethod
    def _check(value: int, allowed: range, what: str) -> None:
        if value not in allowed:
            raise SppFault(
                HResult.E_INVALIDARG,
                f"{what} {value} is outside {allowed.start}..{allowed.stop - 1}",
            )

    def _product_path(self, sku_id: str) -> str:
        # Per-product overrides live under ...\SoftwareProtectionPlatform\<AppID>\<SKUID> (§2.1).
        return f"{self.machine.spp_key}\\{self.sku(sku_id).application_id}\\{sku_id}"

    # Host settings (slmgr /sprt /sai /sri /cdns /sdns /cpri /spri) ---------------------------
    def set_listening_port(self, port: int) -> int:
        self._host_only("SetKeyManagementServiceListeningPort")
        self._check(port, PORT_RANGE, "port")
        self._write(LISTENING_PORT, reg_sz(str(port)))  # REG_SZ, not a DWORD (§2.2)
        self.configured = replace(self.configured, listening_port=port)
        return 0

    def clear_listening_port(self) -> int:
        self._host_only("ClearKeyManagementServiceListeningPort")
        self._erase(LISTENING_PORT)
        self.configured = replace(self.configured, listening_port=DEFAULT_PORT)
        return 0

    def set_activation_interval(self, minutes: int) -> int:
        self._host_only("SetVLActivationInterval")
        self._check(minutes, INTERVAL_RANGE, "activation interval")
        self._write(VL_ACTIVATION_INTERVAL, reg_dword(minutes))
        self.configured = replace(self.configured, activation_interval=minutes)
        return 0

    def set_renewal_interval(self, minutes: int) -> int:
        self._host_only("SetVLRenewalInterval")
        self._check(minutes, INTERVAL_RANGE, "renewal interval")
        self._write(VL_RENEWAL_INTERVAL, reg_dword(minutes))
        self.configured = replace(self.configured, renewal_interval=minutes)
        return 0

    def disable_dns_publishing(self, disable: bool) -> int:
        self._host_only("DisableKeyManagementServiceDnsPublishing")
        self._write(DISABLE_DNS_PUBLISHING, reg_dword(int(disable)))
        self.configured = replace(self.configured, dns_publishing=not disable)
        return 0

    def enable_low_priority(self, enable: bool) -> int:
        self._host_only("EnableKeyManagementServiceLowPriority")
        self._write(ENABLE_KMS_LOW_PRIORITY, reg_dword(int(enable)))
        self.configured = replace(self.configured, low_priority=enable)
        return 0

    # Client settings (slmgr /skms /ckms /skms-domain /ckms-domain /skhc /ckhc) ----------------
    def disable_host_caching(self, disable: bool) -> int:
        # Kept in SPP state only: the reference names no registry value for it.
        self.host_caching = not disable
        if disable:
            self.discovered = None
        return 0

    def set_kms_machine(self, name: str, sku_id: str | None = None) -> int:
        if not name.strip():
            raise SppFault(HResult.E_INVALIDARG, "MachineName is empty")
        self._client_update(sku_id, KMS_NAME, reg_sz(name), kms_machine=name)
        return 0

    def clear_kms_machine(self, sku_id: str | None = None) -> int:
        self._client_update(sku_id, KMS_NAME, None, kms_machine=None)
        return 0

    def set_kms_port(self, port: int, sku_id: str | None = None) -> int:
        self._check(port, PORT_RANGE, "port")
        self._client_update(sku_id, KMS_PORT, reg_sz(str(port)), kms_port=port)  # REG_SZ (§2.2)
        return 0

    def clear_kms_port(self, sku_id: str | None = None) -> int:
        self._client_update(sku_id, KMS_PORT, None, kms_port=None)
        return 0

    def set_lookup_domain(self, domain: str) -> int:
        if not domain.strip():
            raise SppFault(HResult.E_INVALIDARG, "LookupDomain is empty")
        self._client_update(None, LOOKUP_DOMAIN, reg_sz(domain), lookup_domain=domain)
        return 0

    def clear_lookup_domain(self) -> int:
        self._client_update(None, LOOKUP_DOMAIN, None, lookup_domain=None)
        return 0

    def set_activation_type(self, value: int, sku_id: str | None = None) -> int:
        """SetVLActivationTypeEnabled (slmgr /act-type 1-3; 0 is ClearVLActivationTypeEnabled,
        other values "invalid data": SLMGR10 SetVLActivationType). Windows 8 / 2012 and later."""
        self._check(value, range(1, 4), "ActivationType")
        self._client_update(sku_id, VL_ACTIVATION_TYPE, reg_dword(value), activation_type=value)
        return 0

    def clear_activation_type(self, sku_id: str | None = None) -> int:
        self._client_update(sku_id, VL_ACTIVATION_TYPE, None, activation_type=None)
        return 0

    def _client_update(
        self, sku_id: str | None, name: str, value: RegValue | None, **change: Any
    ) -> None:
        path = self.machine.spp_key if sku_id is None else self._product_path(sku_id)
        if value is None:
            self._erase(name, path)
        else:
            self._write(name, value, path)
        if sku_id is None:
            self.client = replace(self.client, **change)
        else:
            current = self.product_clients.get(sku_id, ClientSettings())
            self.product_clients[sku_id] = replace(current, **change)
