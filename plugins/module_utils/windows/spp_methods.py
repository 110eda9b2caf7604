# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Software Protection methods we call, each one WS-Man request (kms-facts.md §2.6).

SPP reports failures as faults carrying the HRESULT (wsman-wire.md §1.6, §5.7), which the session
raises as :class:`WsmanFault`. The fault's exact form is unconfirmed (§7), and a host might as
well answer the method with the HRESULT as its ``ReturnValue``: that raises :class:`MethodFailed`,
a :class:`WsmanFault` with the same ``hresult``, so every caller handles both alike. Messages
about a failed step come from the HRESULT (:func:`failure_text`), never from the wire form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows import hresult
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import brief
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    ACTIVATE_TIMEOUT,
    PRODUCT_CLASS,
    SERVICE_CLASS,
    Product,
    Service,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    Surface,
    surface_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.response import MethodResult
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession


class MethodFailed(WsmanFault):
    """An SPP method answered with a non-zero ``ReturnValue`` instead of a fault: the same error
    as a fault with that HRESULT (``hresult``, its explanation and advice)."""

    def __init__(self, method: str, code: int) -> None:
        self.method = method
        super().__init__(
            message=f"{method} answered ReturnValue {code}", hresult_code=code & 0xFFFFFFFF
        )

    @property
    def what_happened(self) -> str:
        return f"{self.method} failed: {hresult.describe(self.hresult)}"

    @property
    def what_to_do(self) -> str:
        return ""  # hresult.describe already says it

    def __str__(self) -> str:
        return self.what_happened


def failure_text(error: Exception) -> str:
    """What a failed SPP call says: the HRESULT with its name and what to do, short
    (windows/hresult_brief.py; its meaning and whole advice go to the result's other keys), when the
    error carries one, whatever form it came in (a fault with a WSManFault or an MSFT_WmiError
    detail, or a ReturnValue); else the error itself."""
    code = error.hresult if isinstance(error, WsmanFault) else None
    return str(error) if code is None else brief(code)


@dataclass(frozen=True)
class Setting:
    """A KMS setting: the method that changes it, its parameter, and the property to read back."""

    method: str
    parameter: str | None
    prop: str
    cim_type: str
    inverted: bool = False  # Disable…(true) turns the property off
    host_only: bool = False  # slmgr applies it only on a KMS host (kms-facts.md §1.9)
    clear_method: str | None = None

    def argument(self, value: Any) -> Any:
        return (not value) if self.inverted else value


# Host settings take effect when sppsvc restarts (slmgr: "a KMS reboot is needed", §5.8).
HOST_SETTINGS: Mapping[str, Setting] = {
    "listening_port": Setting(
        "SetKeyManagementServiceListeningPort",
        "PortNumber",
        "KeyManagementServiceListeningPort",
        "uint32",
        host_only=True,
        clear_method="ClearKeyManagementServiceListeningPort",
    ),
    "dns_publishing": Setting(
        "DisableKeyManagementServiceDnsPublishing",
        "DisablePublishing",
        "KeyManagementServiceDnsPublishing",
        "boolean",
        inverted=True,
        host_only=True,
    ),
    "low_priority": Setting(
        "EnableKeyManagementServiceLowPriority",
        "EnableLowPriority",
        "KeyManagementServiceLowPriority",
        "boolean",
        host_only=True,
    ),
    "activation_interval": Setting(
        "SetVLActivationInterval",
        "ActivationInterval",
        "VLActivationInterval",
        "uint32",
        host_only=True,
    ),
    "renewal_interval": Setting(
        "SetVLRenewalInterval", "RenewalInterval", "VLRenewalInterval", "uint32", host_only=True
    ),
}

# Client settings (slmgr /skms, /skms-domain, /skhc) apply at once.
CLIENT_SETTINGS: Mapping[str, Setting] = {
    "kms_host": Setting(
        "SetKeyManagementServiceMachine",
        "MachineName",
        "KeyManagementServiceMachine",
        "string",
        clear_method="ClearKeyManagementServiceMachine",
    ),
    "kms_port": Setting(
        "SetKeyManagementServicePort",
        "PortNumber",
        "KeyManagementServicePort",
        "uint32",
        clear_method="ClearKeyManagementServicePort",
    ),
    # UNCONFIRMED method names in a Microsoft document (kms-facts.md §2.6): used by slmgr
    # /skms-domain; Windows 8 / Server 2012 and later (windows/versions.py).
    "lookup_domain": Setting(
        "SetKeyManagementServiceLookupDomain",
        "LookupDomain",
        "KeyManagementServiceLookupDomain",
        "string",
        clear_method="ClearKeyManagementServiceLookupDomain",
    ),
    "host_caching": Setting(
        "DisableKeyManagementServiceHostCaching",
        "DisableCaching",
        "KeyManagementServiceHostCaching",
        "boolean",
        inverted=True,
    ),
}


class UnsupportedMethod(KmsError):
    """A method the machine's version does not have was about to be sent: a defect in this
    collection (options are refused earlier, windows/versions.py), stopped before the wire."""


class Spp:
    """SPP methods on one machine, each one request, on the instance's key: ``Version`` for the
    service, ``ID`` for a product. Both are "Qualifiers: Key" on every version's class page
    (MS-SLS7, MS-SLP7; the Vista pages too, MS-VISTA @66168cfa).

    ``service`` is the SoftwareLicensingService read (its ``Version`` picks the surface,
    windows/versions.py), or just its Version string. A method the surface lacks raises
    :class:`UnsupportedMethod` unsent."""

    def __init__(self, session: CimSession, service: Service | str) -> None:
        self.session = session
        self.version = service if isinstance(service, str) else service.version
        self.surface: Surface = surface_for(self.version)

    def _service(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        types: Any = None,
        timeout: float | None = None,
    ) -> MethodResult:
        if method not in self.surface.service_methods:
            raise UnsupportedMethod(
                f"{SERVICE_CLASS}.{method} does not exist on {self.surface.name} "
                f"(SoftwareLicensingService {self.version}); nothing was sent."
            )
        result = self.session.invoke(
            SERVICE_CLASS,
            method,
            params,
            {"Version": self.version},
            param_types=types,
            timeout=timeout,
        )
        _check(method, result.return_value)
        return result

    def _product(self, product: Product | str, method: str, timeout: float | None = None) -> None:
        product_id = product if isinstance(product, str) else product.id
        result = self.session.invoke(
            PRODUCT_CLASS, method, None, {"ID": product_id}, timeout=timeout
        )
        _check(method, result.return_value)

    def install_product_key(self, key: ProductKey) -> None:
        self._service("InstallProductKey", {"ProductKey": key.value}, {"ProductKey": "string"})

    def ad_online_activation(self, key: ProductKey, name: str) -> None:
        """Activate the forest with a CSVLK: an activation object ``name`` in Active Directory
        (slmgr /ad-activation-online; Windows 8 / 2012 and later). Windows reaches Microsoft's
        activation servers and the domain controller, so it gets Activate's timeout."""
        self._service(
            "DoActiveDirectoryOnlineActivation",
            {"ProductKey": key.value, "ActivationObjectName": name},
            {"ProductKey": "string", "ActivationObjectName": "string"},
            timeout=ACTIVATE_TIMEOUT,
        )

    def ad_offline_installation_id(self, key: ProductKey) -> str:
        """The installation ID to phone in for activating the forest with a CSVLK (slmgr
        /ad-activation-get-iid). Windows computes it; nothing is stored."""
        result = self._service(
            "GenerateActiveDirectoryOfflineActivationId",
            {"ProductKey": key.value},
            {"ProductKey": "string"},
        )
        found = result.out.get("InstallationID")
        if not found:
            raise KmsError(
                "GenerateActiveDirectoryOfflineActivationId answered without an InstallationID."
            )
        return str(found)

    def ad_offline_deposit(self, key: ProductKey, confirmation_id: str, name: str) -> None:
        """Activate the forest with the confirmation ID Microsoft gave for the installation ID:
        an activation object ``name`` (slmgr /ad-activation-apply-cid). Windows writes to the
        domain controller only, so it gets the activation timeout too."""
        self._service(
            "DepositActiveDirectoryOfflineActivationConfirmation",
            {
                "ProductKey": key.value,
                "ConfirmationID": confirmation_id,
                "ActivationObjectName": name,
            },
            {"ProductKey": "string", "ConfirmationID": "string", "ActivationObjectName": "string"},
            timeout=ACTIVATE_TIMEOUT,
        )

    def refresh_license_status(self) -> None:
        self._service("RefreshLicenseStatus")

    def clear_product_key_from_registry(self) -> None:
        self._service("ClearProductKeyFromRegistry")

    def activate(self, product: Product | str, timeout: float = ACTIVATE_TIMEOUT) -> None:
        """Activate one product (a row as read, or its ID). An :class:`OperationTimedOut` means
        the outcome is unknown: the caller re-reads the product (wsman-wire.md §5.2)."""
        self._product(product, "Activate", timeout)

    def uninstall_product_key(self, product: Product | str) -> None:
        self._product(product, "UninstallProductKey")

    def apply(self, setting: Setting, value: Any) -> None:
        """Set a setting, or clear it (back to Windows' default) when ``value`` is None."""
        if value is None:
            if setting.clear_method is None:
                raise KmsError(f"{setting.prop} has no method that clears it")
            self._service(setting.clear_method)
            return
        if setting.parameter is None:
            self._service(setting.method)
            return
        self._service(
            setting.method,
            {setting.parameter: setting.argument(value)},
            {setting.parameter: setting.cim_type},
        )


def _check(method: str, code: int | None) -> None:
    if code:
        raise MethodFailed(method, code)
