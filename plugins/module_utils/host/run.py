# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ``kms_host_key`` run on one machine: read, compare, change what differs, restart sppsvc
when a change needs it, read back, report.

A converged run only reads: SoftwareLicensingService and SoftwareLicensingProduct (two classes,
two queries; WQL cannot join them) and, when the firewall rule is managed, MSFT_NetFirewallRule
(another namespace, a third query). An option the machine's Windows version cannot honour
(windows/versions.py) fails the task right after the two reads, before anything is written.
Writes follow slmgr.vbs (wsman-wire.md §4.3): InstallProductKey then RefreshLicenseStatus and the
``KeyManagementServiceVersion`` value; Activate on the product; one Set… method per differing
setting. Once a host key is in, a later failure does not stop the
run: the remaining steps and the restart still happen, and the task fails at the end naming the
first failure, so the machine is never left half-configured without saying so.

The host key steps are in :mod:`host_key_keys`, what a run carries in :mod:`host_key_state`; this
file holds the settings, the firewall rule, the restart with its read-back, and the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.host.key_steps import KeySteps
from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    ABSENT,
    HostKeyRequest,
    check_version,
    fault_message,
    host_facts,
    host_products,
    host_role_pending,
    not_a_host_message,
    not_taken,
    plan_settings,
)
from ansible_collections.volact.kms.plugins.module_utils.host.state import Stop
from ansible_collections.volact.kms.plugins.module_utils.windows import firewall as wmi_firewall
from ansible_collections.volact.kms.plugins.module_utils.windows import service as wmi_service
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

PENDING_ROLE = (
    "not set yet: the KMS host key is installed, but the machine does not report the KMS host "
    "role until the Software Protection service (sppsvc) restarts, and it refuses host settings "
    "until then (restart_service is never, so restart_required is true). Run the task again "
    "after the restart (the handler that restarts sppsvc) to set them"
)


class HostKeyRun(KeySteps):
    """One run; :meth:`run` returns the task result."""

    # Settings, firewall, restart ---------------------------------------------------------------
    def _settings(self) -> None:
        wanted = self.request.settings
        if not wanted:
            return
        host_only = self.request.host_settings
        holds_host_key = bool(host_products(self.products))
        will_be_host = self.svc.is_kms_host or holds_host_key or (self.check and self.installing)
        if host_only and not will_be_host:
            raise self._stop(not_a_host_message(host_only))
        pending = bool(host_only) and not self.check and host_role_pending(self.svc, self.products)
        if pending and self.request.restart_service != "never":
            self._start_host_role()
            pending = False
        changes = plan_settings(self.svc, wanted)
        if pending:
            # restart_service=never leaves the restart to a handler, and Windows takes no host
            # setting before it: say so and leave them to the run after the restart, rather than
            # fail a task whose handler would have made them possible.
            waiting = [c for c in changes if c.setting.host_only]
            if waiting:
                self.restart_needed = True
                self.settings_waiting = [c.option for c in waiting]
                self.warn(f"{', '.join(c.option for c in waiting)}: {PENDING_ROLE}.")
                changes = [c for c in changes if not c.setting.host_only]
        for change in changes:
            self._plan(f"{change.option}: {change.before!r} -> {change.after!r}")
            self.predicted[change.option] = change.after
            if self.check:
                self.restart_needed = self.restart_needed or change.needs_restart
                continue
            self.stale = True
            try:
                self.spp.apply(change.setting, change.after)
            except WsmanFault as fault:
                step = f"{change.setting.method} for {change.option}={change.after!r}"
                self._error(fault_message(step, fault.hresult, str(fault)), fault.hresult)
                break
            self.applied.append(change)
            self.restart_needed = self.restart_needed or change.needs_restart

    def _start_host_role(self) -> None:
        """The host key is in, but the service does not report the KMS host role yet (on some
        Windows IsKeyManagementServiceMachine may wait for the next sppsvc start, and slmgr only
        applies host settings on a machine that reports it, wsman-wire.md §4.3): restart sppsvc
        before the host settings, then read again. The restart after the settings still follows
        when they need one. With restart_service=never the host settings wait for the next run
        (``_settings``)."""
        surface = self.svc.surface
        self._plan(f"restart the {surface.service_label} so the host key takes effect")
        try:
            wmi_service.restart(self.session, surface.spp_service)
        except (WsmanFault, KmsError) as error:
            self.restart_failed = True
            code = error.hresult if isinstance(error, WsmanFault) else None
            raise self._stop(
                f"restarting the {surface.service_label} before the host settings "
                f"failed: {error} The host key is stored, but the machine takes host settings "
                f"only once {surface.spp_service} runs with it: fix the cause (System event log), "
                f"start {surface.spp_service}, and run the task again.",
                code,
            ) from None
        self.restarted = True
        self.restart_needed = False  # the key has taken effect; settings may need another one
        self._read_spp()

    def _firewall(self) -> None:
        wanted = self.request.firewall
        if wanted is None or self.rule is None:
            return
        self.firewall_after = self.rule.enabled
        if self.rule.enabled == wanted:
            return
        verb = "enable" if wanted else "disable"
        self._plan(f"{verb} the firewall rule {self.rule.instance_id}")
        if self.check:
            self.predicted["firewall_rule_enabled"] = wanted
            return
        try:
            wmi_firewall.set_enabled(self.session, wanted, self.rule)
        except (WsmanFault, KmsError) as error:
            code = error.hresult if isinstance(error, WsmanFault) else None
            self._error(f"{verb.capitalize()} of the firewall rule failed: {error}", code)
            return
        self.firewall_after = wanted

    def _restart(self) -> None:
        mode = self.request.restart_service
        # "always" is what a handler asks for: one restart per host, whatever this run changed.
        if mode == "never" or (mode == "auto" and not self.restart_needed):
            return
        surface = self.svc.surface
        self._plan(f"restart the {surface.service_label}")
        if self.check:
            return
        try:
            wmi_service.restart(self.session, surface.spp_service)
        except (WsmanFault, KmsError) as error:
            self.restart_failed = True
            code = error.hresult if isinstance(error, WsmanFault) else None
            name = surface.spp_service
            self._error(
                f"restarting the {surface.service_label} failed: {error} The host key and "
                f"settings are stored but take effect only when {name} starts: fix the cause "
                f"(System event log), start {name}, and run the task again.",
                code,
            )
            return
        self.restarted = True
        self._read_spp()
        missed = not_taken(self.svc, [c for c in self.applied if c.needs_restart])
        if missed:
            self._error(
                "sppsvc restarted, but these settings did not take: "
                f"{'; '.join(missed)}. Something puts the old values back (a Group Policy or "
                "another tool writing the SoftwareProtectionPlatform registry key): find it, "
                "then run the task again."
            )
        kept = {p.id for p in host_products(self.products)} & set(self.absent_targets)
        if kept:
            self._error(
                "sppsvc restarted, but the machine still holds the KMS host key it should have "
                "removed; uninstall it with slmgr /upk <activation ID> and run the task again."
            )

    def run(self, want_diff: bool) -> dict[str, Any]:
        self._read_spp()
        # What this Windows version cannot do is refused before anything else is sent.
        check_version(self.request, self.svc)
        if self.request.firewall is not None:
            self.rule = wmi_firewall.read_rule(self.session)
            if self.rule is None:
                raise KmsError(wmi_firewall.missing_rule_message())
            self.firewall_after = self.rule.enabled
        before = self._view()
        try:
            if self.request.state == ABSENT:
                self._absent()
            elif self.request.key is not None:
                self._present(self.request.key)
            self._settings()
        except Stop:
            pass
        if not self.errors or self.changed:
            self._firewall()
        wanted = self.changed or (self.request.restart_service == "always" and not self.errors)
        if wanted and not self.restart_failed:  # one failed restart is enough: it says why
            self._restart()
        if self.stale and not self.check:
            self._read_back()
        after = self._view()
        if self.check:
            after.update({k: v for k, v in self.predicted.items() if k in after})
        return self._result(before, after, want_diff)

    def _result(
        self, before: dict[str, Any], after: dict[str, Any], want_diff: bool
    ) -> dict[str, Any]:
        waiting = self.restart_needed and not self.restarted
        if self.check:
            waiting = self.restart_needed and self.request.restart_service == "never"
        result: dict[str, Any] = {
            "changed": self.changed,
            "changes": list(self.changes),
            "restart_required": waiting,
            "settings_waiting": list(self.settings_waiting),
            "service_restarted": self.restarted,
            "kms_host": host_facts(self.svc, self.products),
        }
        office = self.office_facts()
        if office is not None:
            result["office_host"] = office
        if self.rule is not None:
            result["firewall_rule"] = {
                **self.rule.to_dict(),
                "enabled": self.firewall_after,
            }
        if want_diff:
            result["diff"] = {"before": before, "after": after}
        if self.errors:
            texts = [text for text, _code in self.errors]
            message = texts[0]
            if len(texts) > 1:
                message += " Also: " + " ".join(texts[1:])
            code = next((c for _text, c in self.errors if c is not None), None)
            result.update(failed=True, msg=message)
            if code is not None:
                result["hresult"] = f"0x{code:08X}"
        return result


def run(
    session: CimSession,
    request: HostKeyRequest,
    *,
    check_mode: bool,
    want_diff: bool,
    warn: Callable[[str], None],
) -> dict[str, Any]:
    return HostKeyRun(session, request, check_mode=check_mode, warn=warn).run(want_diff)
