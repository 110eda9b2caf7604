# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Putting the host key in (``state=present``) and taking it out (``state=absent``).

slmgr.vbs's order (wsman-wire.md §4.3): InstallProductKey, RefreshLicenseStatus, then the
``KeyManagementServiceVersion`` value; Activate on the product the key went into. To retire a
host, the edition's GVLK goes in first, so the machine is never left without a Windows key.
"""

from __future__ import annotations

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.office_steps import OfficeSteps
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    VERSION_VALUE,
    client_gvlk,
    fault_message,
    holder,
    host_products,
    installed_host_product,
    is_host_product,
    masked_partial,
    not_a_host_key_message,
)
from ansible_collections.volact.kms.plugins.module_utils.licensing.keys import ProductKey
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import Registry
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import Product
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    OperationTimedOut,
    WsmanFault,
)

GVLK_CHANNEL = "Volume:GVLK"


class KeySteps(OfficeSteps):
    """The host key steps of a run."""

    # state=present -----------------------------------------------------------------------------
    def _present(self, key: ProductKey) -> None:
        host = installed_host_product(self.products, key)
        office = self.request.office
        if host is None:
            if office is not None:
                self._office_licenses(office)  # its release's license files first
            self.installing = True
            self._plan(f"install the KMS host key {key.masked}")
            self.predicted["host_key"] = key.masked
            if not self.check:
                host = self._install(key)
                if office is not None:
                    self._office_product(office, host)  # activated under its activation ID
            self.restart_needed = True
        if self.request.activate and (host is None or not host.licensed):
            self._plan("activate the KMS host key online")
            self.predicted["activated"] = True
            if host is not None and not self.check:
                self._activate(key, host)

    def _install(self, key: ProductKey) -> Product:
        try:
            self.spp.install_product_key(key)
        except WsmanFault as fault:
            self.changed = False
            self.changes.clear()
            raise self._stop(
                fault_message(f"InstallProductKey of {key.masked}", fault.hresult, str(fault)),
                fault.hresult,
            ) from None
        self._refresh()
        self._read_spp()
        found = holder(self.products, key)
        if found is None:
            raise self._stop(
                f"InstallProductKey of {key.masked} succeeded, but no licensing product shows "
                "the key's last group afterwards; check the host's licensing state "
                "(slmgr /dlv all) before running again."
            )
        # Judged by the channel, not IsKeyManagementServiceMachine: that flag may only turn 1
        # once sppsvc restarts (host_key.installed_host_product), which this run does later.
        if not is_host_product(found):
            raise self._stop(not_a_host_key_message(key, found))
        try:
            registry = Registry(self.session, self.svc.surface.registry_key)
            registry.set(VERSION_VALUE, "REG_SZ", self.svc.version)
        except (WsmanFault, KmsError) as error:
            self._error(f"writing the registry value {VERSION_VALUE} failed: {error}")
        return found

    def _activate(self, key: ProductKey, host: Product) -> None:
        step = f"Activate of the KMS host key {key.masked} ({host.name})"
        self.stale = True
        try:
            self.spp.activate(host)
        except OperationTimedOut as fault:
            # The call may have run (wsman-wire.md §5.2): read the product again and say what is.
            self._read_spp()
            again = next((p for p in self.products if p.id == host.id), None)
            if again is not None and again.licensed:
                self.warn(
                    f"{step} timed out, but the product reads Licensed afterwards: the "
                    "activation went through."
                )
                return
            status = again.status_name if again is not None else "gone"
            self._error(
                f"{step} timed out, and the product reads {status} afterwards: the host key is "
                "not activated. Run the task again; online activation reaches Microsoft's "
                "activation servers over the internet, so check the host's internet access "
                "(proxy, firewall) if it keeps timing out.",
                fault.hresult,
            )
        except WsmanFault as fault:
            self._error(fault_message(step, fault.hresult, str(fault)), fault.hresult)

    # state=absent ------------------------------------------------------------------------------
    def _absent(self) -> None:
        key = self.request.key
        targets = [p for p in host_products(self.products) if key is None or p.holds(key)]
        if not targets:
            return
        windows = next((p for p in targets if p.is_windows), None)
        chosen = None
        if windows is not None:
            try:
                chosen = client_gvlk(windows, self.svc)
            except KmsInputError as error:
                raise self._stop(
                    f"cannot return the machine to a KMS client, so the host key stays: {error}"
                ) from None
        self.absent_targets = [p.id for p in targets]
        for product in targets:
            self._plan(f"remove the KMS host key {masked_partial(product.partial_key)}")
        self.predicted["host_key"] = None
        if chosen is not None:
            self._plan(f"install the GVLK of {chosen.label} (KMS client setup key)")
            self.predicted["windows_channel"] = GVLK_CHANNEL
        if self.check:
            self.restart_needed = True
            return
        if chosen is not None:
            # The GVLK goes in first: it replaces the host key, so the machine is never left
            # without a Windows key if a later step fails.
            try:
                self.spp.install_product_key(ProductKey.parse(chosen.key))
            except WsmanFault as fault:
                self.changed = False
                self.changes.clear()
                raise self._stop(
                    fault_message(
                        f"InstallProductKey of the GVLK of {chosen.label}",
                        fault.hresult,
                        str(fault),
                    ),
                    fault.hresult,
                ) from None
            self._refresh()
        self.restart_needed = True
        self._read_spp()
        remaining = {p.id: p for p in host_products(self.products)}
        for target in targets:
            product = remaining.get(target.id)
            if product is None:
                continue
            self.stale = True
            try:
                self.spp.uninstall_product_key(product)
            except WsmanFault as fault:
                self._error(
                    fault_message(
                        f"UninstallProductKey of {product.name}", fault.hresult, str(fault)
                    ),
                    fault.hresult,
                )
        try:
            Registry(self.session, self.svc.surface.registry_key).delete(VERSION_VALUE)
        except (WsmanFault, KmsError) as error:
            self._error(f"deleting the registry value {VERSION_VALUE} failed: {error}")
