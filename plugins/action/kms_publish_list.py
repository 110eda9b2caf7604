# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_publish_list``: read the host's values, plan, write, restart sppsvc.

Only what the task manages is read, so a converged run costs one request per managed value.
Nothing is written before everything is read and planned. When a write or the restart fails, the
values already written are put back: otherwise the next run would find the registry converged
while sppsvc never read it, and would never restart it.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    Plan,
    apply_plan,
    expected_records,
    make_plan,
    read_disable,
    read_host_facts,
    read_host_list,
    registry_advice,
    restore,
)
from ansible_collections.volact.kms.plugins.module_utils.windows import service as wmi_service
from ansible_collections.volact.kms.plugins.module_utils.windows.registry import (
    Registry,
    RegistryError,
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
        registry = Registry(context.session)
        desired = context.request
        wanted = args["disable_publishing"]
        state = args["state"]
        try:
            host_list = read_host_list(registry) if desired is not None else None
            disable = read_disable(registry) if wanted is not None else None
            change = make_plan(host_list, desired, state, disable, wanted)
            if host_list is None and (change.changed or context.diff):
                # Not managed, but the records and the diff need it: read it now it matters.
                host_list = read_host_list(registry)
                change = make_plan(host_list, None, state, disable, wanted)
        except RegistryError as error:
            raise KmsError(f"reading failed: {error} {registry_advice(error.code)}") from None

        result = report(change, list_read=host_list is not None)
        if change.changed or context.diff:
            records, warning = expected_records(change, read_host_facts(context.session))
            result["srv_records"] = records
            if warning:
                context.warn(warning)
        if context.diff:
            result["diff"] = diff(change)
        mode = args["restart_service"]
        restart = mode != "never"
        result.update(restarted=False, restart_required=False)
        if not change.changed and mode == "always":
            # A handler's restart: nothing to write, but sppsvc restarts all the same.
            result["changed"] = True
            if not context.check_mode:
                failure = write(context, registry, change, True, float(args["restart_timeout"]))
                if failure is not None:
                    return {**result, **failure}
                result["restarted"] = True
            return result
        if not change.changed or context.check_mode:
            return result
        failure = write(context, registry, change, restart, float(args["restart_timeout"]))
        if failure is not None:
            return {**result, **failure}
        result.update(restarted=restart, restart_required=not restart)
        return result


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


def diff(change: Plan) -> dict[str, Any]:
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
        "before_header": VALUE_PATH,
        "after_header": VALUE_PATH,
    }


def write(
    context: Context, registry: Registry, change: Plan, restart: bool, timeout: float
) -> dict[str, Any] | None:
    """Write and restart sppsvc; on failure put back what was written and say what happened."""
    written: list[str] = []
    stage = WRITE
    try:
        apply_plan(registry, change, written)
        if restart:
            stage = RESTART
            wmi_service.restart(context.session, timeout=timeout)
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
