# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_publish_list``: read the host's values, plan, write, restart sppsvc.

Only what the task manages is read, so a converged run costs one request per managed value. Where
StdRegProv answers that a value is missing with 2 (the code of a missing key), one request more
reads SoftwareLicensingService.Version: Windows Vista / Server 2008 keep the values under
``…\\SL`` instead (windows/versions.py), and refuse priority and weight.
Nothing is written before everything is read and planned. When a write or the restart fails, the
values already written are put back: otherwise the next run would find the registry converged
while sppsvc never read it, and would never restart it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.publish.domain_list import (
    PublishEntry,
    parse_domains,
)
from ansible_collections.volact.kms.plugins.module_utils.publish.host import (
    DISABLE_PUBLISHING,
    FIELD,
    VALUE_PATH,
    Dword,
    HostList,
    Plan,
    apply_plan,
    check_entries,
    expected_records,
    make_plan,
    read_disable,
    read_host_facts,
    read_host_list,
    read_version,
    registry_advice,
    restore,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import service as wmi_service
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import (
    Registry,
    RegistryError,
)
from ansible_collections.volact.kms.plugins.module_utils.windows.versions import (
    Surface,
    surface_for,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.modules.kms_publish_list import (
    ARGUMENT_SPEC,
    SPEC_OPTIONS,
)
from ansible_collections.volact.kms.plugins.plugin_utils.transport_errors import TransportError
from ansible_collections.volact.kms.plugins.plugin_utils.windows_action import (
    Context,
    WindowsAction,
)

WRITE = "writing the new values"
RESTART = "restarting sppsvc"


def desired_entries(args: Mapping[str, Any]) -> list[PublishEntry] | None:
    return None if args.get("domains") is None else parse_domains(args["domains"], "domains")


class ActionModule(WindowsAction):
    argument_spec = ARGUMENT_SPEC
    spec_options = SPEC_OPTIONS

    def validate(self, args: Mapping[str, Any]) -> list[PublishEntry] | None:
        # A YAML yes/no passes the argument spec as an int: refuse it like any other non-number.
        if isinstance(args["restart_timeout"], bool) or args["restart_timeout"] < 1:
            raise KmsInputError(
                "restart_timeout",
                f"{args['restart_timeout']} is not a number of seconds.",
                "Give 1 or more (the default is 60).",
            )
        return desired_entries(args)  # every entry is checked before anything is sent

    def execute(self, context: Context) -> dict[str, Any]:
        args = context.args
        found = read_values(context)
        registry, change, host_list = found.registry, found.change, found.host_list
        service = found.service_name(context)
        result = report(change, list_read=host_list is not None)
        if change.changed or context.diff:
            records, warning = expected_records(change, read_host_facts(context.session))
            result["srv_records"] = records
            if warning:
                context.warn(warning)
        if context.diff:
            result["diff"] = diff(change, f"HKLM\\{registry.path}")
        mode = args["restart_service"]
        restart = mode != "never"
        result.update(restarted=False, restart_required=False)
        if not change.changed and mode == "always":
            # A handler's restart: nothing to write, but sppsvc restarts all the same.
            result["changed"] = True
            if not context.check_mode:
                timeout = float(args["restart_timeout"])
                failure = write(context, registry, change, True, timeout, service=service)
                if failure is not None:
                    return {**result, **failure}
                result["restarted"] = True
            return result
        if not change.changed or context.check_mode:
            return result
        timeout = float(args["restart_timeout"])
        failure = write(context, registry, change, restart, timeout, service=service)
        if failure is not None:
            return {**result, **failure}
        result.update(restarted=restart, restart_required=not restart)
        return result


@dataclass
class Found:
    """What :func:`read_values` read: where, the plan, and the Windows version when it was read
    (``surface``; None: the values are in the SoftwareProtectionPlatform key of Windows 7 and
    later)."""

    registry: Registry
    change: Plan
    host_list: HostList | None
    disable: Dword | None
    surface: Surface | None = None

    def service_name(self, context: Context) -> str:
        """The service to restart: slsvc on Windows Vista / Server 2008. A value read with any
        answer but 2 showed the SoftwareProtectionPlatform key, so Windows 7 or later: sppsvc.
        With nothing read, a restart that is due asks the version (one request)."""
        if self.surface is None and self.host_list is None and self.disable is None:
            due = self.change.changed or context.args["restart_service"] == "always"
            if due and not context.check_mode:
                self.surface = surface_for(read_version(context.session))
        return self.surface.spp_service if self.surface is not None else wmi_service.SPPSVC


def read_values(context: Context) -> Found:
    """Read what the task manages and plan. Where StdRegProv says a value is missing with 2
    (also the code of a missing key), the version is read: Windows Vista / Server 2008 keep the
    values under ``…\\SL`` (windows/versions.py) and have no priority and weight."""
    args = context.args
    desired = context.request
    wanted = args["disable_publishing"]
    state = args["state"]
    registry = Registry(context.session)
    surface = None
    try:
        host_list = read_host_list(registry) if desired is not None else None
        disable = read_disable(registry) if wanted is not None else None
        if any(read is not None and read.no_key for read in (host_list, disable)):
            version = read_version(context.session)
            surface = surface_for(version)
            check_entries(desired, version)
            if surface.registry_key != registry.path:
                registry = Registry(context.session, surface.registry_key)
                host_list = read_host_list(registry) if desired is not None else None
                disable = read_disable(registry) if wanted is not None else None
        change = make_plan(host_list, desired, state, disable, wanted)
        if host_list is None and (change.changed or context.diff):
            # Not managed, but the records and the diff need it: read it now it matters.
            host_list = read_host_list(registry)
            change = make_plan(host_list, None, state, disable, wanted)
    except RegistryError as error:
        raise KmsError(f"reading failed: {error} {registry_advice(error.code)}") from None
    return Found(registry, change, host_list, disable, surface)


def entries_out(entries: tuple[PublishEntry, ...]) -> list[dict[str, Any]]:
    return [
        {"name": e.domain, "priority": e.effective_priority, "weight": e.effective_weight}
        for e in entries
    ]


def raw_out(raw: tuple[str, ...] | None) -> list[str] | None:
    return None if raw is None else list(raw)


def report(change: Plan, *, list_read: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"changed": change.changed}
    if list_read:
        result["publish_list"] = {
            "before": entries_out(change.before.entries),
            "after": entries_out(change.after_entries),
            "before_raw": raw_out(change.before.raw),
            "after_raw": raw_out(change.after_raw),
            "malformed": [item.to_dict() for item in change.before.malformed],
        }
    if change.disable_before is not None:
        result["disable_publishing"] = {
            "before": change.disable_before.disabled,
            "after": bool(change.disable_after),
        }
    return result


def diff(change: Plan, path: str = VALUE_PATH) -> dict[str, Any]:
    """Before and after as the registry holds them: the REG_MULTI_SZ strings (null when there is
    no value) and, when managed, the DWORD."""
    before: dict[str, Any] = {FIELD: raw_out(change.before.raw)}
    after: dict[str, Any] = {FIELD: raw_out(change.after_raw)}
    if change.disable_before is not None:
        before[DISABLE_PUBLISHING] = change.disable_before.value
        after[DISABLE_PUBLISHING] = change.disable_after
    return {
        "before": before,
        "after": after,
        "before_header": path,
        "after_header": path,
    }


def write(
    context: Context,
    registry: Registry,
    change: Plan,
    restart: bool,
    timeout: float,
    *,
    service: str = wmi_service.SPPSVC,
) -> dict[str, Any] | None:
    """Write and restart sppsvc (``service``: slsvc on Windows Vista / Server 2008); on failure
    put back what was written and say what happened."""
    written: list[str] = []
    stage = WRITE
    try:
        apply_plan(registry, change, written)
        if restart:
            stage = RESTART
            wmi_service.restart(context.session, service, timeout=timeout)
    except TransportError:
        raise  # the host cannot be reached, so nothing can be put back either
    except KmsError as error:
        return failure(error, stage, registry, change, written)
    return None


def failure(
    error: KmsError, stage: str, registry: Registry, change: Plan, written: list[str]
) -> dict[str, Any]:
    message = f"{stage} failed: {error}"
    if isinstance(error, RegistryError):
        message = f"{message} {registry_advice(error.code)}"
    result: dict[str, Any] = {"failed": True, "changed": False}
    if isinstance(error, WsmanFault) and error.hresult is not None:
        result["hresult"] = f"0x{error.hresult:08X}"
    if written:
        try:
            lost = restore(registry, change, written)
        except KmsError as again:
            lost = list(written)
            message += f" Putting the old values back failed too ({again})."
        if lost:
            message += (
                f" {VALUE_PATH} keeps the new {' and '.join(lost)}, which sppsvc has not read: "
                "restart sppsvc on the host once the cause is fixed (the next run of this task "
                "sees nothing to change)."
            )
        else:
            message += " The values written were put back as they were"
            if stage == RESTART:
                message += (
                    " (sppsvc may be left stopped; Windows starts it again when something needs "
                    "it, and so does the next run)"
                )
            message += "; run the task again once the cause is fixed."
        result.update(changed=bool(lost), rolled_back=not lost)
    result["msg"] = message
    return result
