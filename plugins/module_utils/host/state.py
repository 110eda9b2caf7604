# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state one ``kms_host_key`` run carries: what was read, what changed, what failed.

Reading is SoftwareLicensingService, then SoftwareLicensingProduct (Windows and Office rows with a
key, the properties of the service's Windows version), one query each; the steps in
:mod:`host_key_keys` and :mod:`host_key_run` record their changes and errors here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    ABSENT,
    HostKeyRequest,
    SettingChange,
    current_settings,
    fault_message,
    host_products,
    installed_host_product,
    view,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import firewall as wmi_firewall
from ansible_collections.volact.kms.plugins.module_utils.windows.spp import (
    OFFICE_APP_IDS,
    WINDOWS_APP_ID,
    Product,
    Service,
    read_products,
    read_service,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.spp_methods import Spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

APPLICATIONS = (WINDOWS_APP_ID, *OFFICE_APP_IDS)


class Stop(KmsError):
    """Nothing more can be done in this run (the error is already recorded)."""


class RunState:
    """What one run has read, changed and hit; the steps live in the subclasses."""

    def __init__(
        self,
        session: CimSession,
        request: HostKeyRequest,
        *,
        check_mode: bool,
        warn: Callable[[str], None],
    ) -> None:
        self.session = session
        self.request = request
        self.check = check_mode
        self.warn = warn
        self.products: list[Product] = []
        self.service: Service | None = None
        self.rule: wmi_firewall.FirewallRule | None = None
        self.changed = False
        self.changes: list[str] = []
        self.errors: list[tuple[str, int | None]] = []
        self.applied: list[SettingChange] = []
        self.installing = False
        self.restart_needed = False
        self.settings_waiting: list[str] = []  # host settings left until the host role starts
        self.restarted = False
        self.restart_failed = False
        self.stale = False  # SPP state changed since the last read
        self.firewall_after: bool | None = None
        self.predicted: dict[str, Any] = {}
        self.absent_targets: list[str] = []
        self._spp: Spp | None = None

    # Reading -----------------------------------------------------------------------------------
    def _read_spp(self) -> None:
        # The service first: its Version says which product properties this Windows has.
        self.service = read_service(self.session)
        self.products = read_products(self.session, APPLICATIONS, self.service.surface)
        self.stale = False

    @property
    def svc(self) -> Service:
        if self.service is None:
            raise KmsError("SoftwareLicensingService was not read")
        return self.service

    @property
    def spp(self) -> Spp:
        # One for the run: on Windows Vista / Server 2008 it reads the service's identity once.
        if self._spp is None:
            self._spp = Spp(self.session, self.svc)
        return self._spp

    def _windows_channel(self) -> str | None:
        for product in self.products:
            if product.is_windows and product.partial_key and not product.is_addon:
                return product.channel.raw or product.channel.kind.value
        return None

    def _view(self) -> dict[str, Any]:
        present = self.request.state != ABSENT
        hosts = host_products(self.products)
        shown = None
        if present and self.request.key is not None:
            shown = installed_host_product(self.products, self.request.key)
        return view(
            shown or (hosts[0] if hosts else None),
            current_settings(self.svc),
            self.request.settings,
            firewall=self.firewall_after,
            windows_channel=None if present else self._windows_channel(),
            with_activation=present,
        )

    # Recording ---------------------------------------------------------------------------------
    def _plan(self, text: str) -> None:
        self.changed = True
        self.changes.append(text)

    def _error(self, text: str, code: int | None = None) -> None:
        self.errors.append((text, code))

    def _stop(self, text: str, code: int | None = None) -> Stop:
        self._error(text, code)
        return Stop(text)

    # Shared steps ------------------------------------------------------------------------------
    def _refresh(self) -> None:
        # slmgr /ipk refreshes after every install (wsman-wire.md §4.3); a failure here leaves
        # the key in place, so it is reported without stopping the run.
        try:
            self.spp.refresh_license_status()
        except WsmanFault as fault:
            self._error(fault_message("RefreshLicenseStatus", fault.hresult, str(fault)))

    def _read_back(self) -> None:
        """Read the changed state for the result. After a failed restart the read may fail too
        (SPP cannot start): then the result says so rather than failing in a less useful way."""
        if not self.restart_failed:
            self._read_spp()
            return
        try:
            self._read_spp()
        except (WsmanFault, KmsError) as error:
            self.warn(f"the state could not be read back after the failed restart: {error}")
