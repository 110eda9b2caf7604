# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shape every Windows module's action plugin follows.

Validate the task's arguments against the module file's argument spec (before anything is sent),
open a WS-Man session on the task's own connection, let the module read, plan and (unless in
check mode) apply, and turn every error into a failed task that says what happened and what to
do. The wire cost of the task is reported under ``wsman``. With ``VOLACT_KMS_WIRE_LOG`` set, every
exchange is also written to the wire log (``wire_log.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.number_guard import unusable_number
from ansible_collections.volact.kms.plugins.module_utils.windows.hresult_brief import explanation
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import (
    OperationTimedOut,
    WsmanFault,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession
from ansible_collections.volact.kms.plugins.plugin_utils.wire_log import WireLog, no_log_values
from ansible_collections.volact.kms.plugins.plugin_utils.wsman_transport import (
    TransportError,
    TransportKind,
    sender_for,
)


@dataclass
class Context:
    """What a module's ``execute`` gets: the session and how the task runs."""

    session: CimSession
    args: Mapping[str, Any]
    check_mode: bool
    diff: bool
    request: Any = None  # what ``validate`` parsed from ``args``
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class WindowsAction(ActionBase):
    """Base of the action plugins of ``kms_host_key``, ``kms_client_setup_key``, …"""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    # Set by each subclass from its module file.
    argument_spec: Mapping[str, Any] = {}
    spec_options: Mapping[str, Any] = {}

    def validate(self, args: Mapping[str, Any]) -> Any:
        """Checks across options that an argument spec cannot express; raise KmsInputError.
        What it returns reaches ``execute`` as ``context.request``: parsed once, before the first
        request is sent."""
        return None

    def execute(self, context: Context) -> dict[str, Any]:
        raise NotImplementedError

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # nothing is copied to the host
        # Numbers ansible-core's own int check would crash or spin on (number_guard.py).
        refused = unusable_number(self.argument_spec, self._task.args)
        if refused is not None:
            raise AnsibleActionFail(str(refused))
        _validation, args = self.validate_argument_spec(
            argument_spec=dict(self.argument_spec), **dict(self.spec_options)
        )
        try:
            request = self.validate(args)
        except KmsInputError as error:
            raise AnsibleActionFail(str(error)) from None

        sender = None
        session = None
        log = None
        try:
            sender = sender_for(self._connection)
            settings = sender.settings
            log = self._wire_log(
                task_vars, [*sender.secrets, *no_log_values(self.argument_spec, args)]
            )
            send = functools.partial(sender.send)
            session = CimSession(
                send if log is None else log.wrap(send),
                operation_timeout=settings.operation_timeout,
                max_envelope_size=settings.max_envelope_size,
            )
            context = Context(
                session, args, bool(self._task.check_mode), bool(self._task.diff), request
            )
            result.update(self.execute(context))
            if context.warnings:
                result.setdefault("warnings", []).extend(context.warnings)
        except TransportError as error:
            result.update(msg=str(error), transport_error=error.kind.value)
            # ansible-core counts a result as failed before it looks at unreachable: an unreachable
            # host must not say failed, or the recap and `ignore_unreachable` treat it wrongly.
            if error.kind is TransportKind.UNREACHABLE:
                result["unreachable"] = True
            else:
                result["failed"] = True
        except OperationTimedOut as error:
            result.update(failed=True, msg=str(error), hresult=_hex(error.hresult))
        except WsmanFault as error:
            result.update(failed=True, msg=str(error), hresult=_hex(error.hresult))
            if error.what_to_do:
                result["what_to_do"] = error.what_to_do
        except KmsError as error:
            result.update(failed=True, msg=str(error))
        finally:
            if sender is not None:
                sender.close()
        _explain_failure(result)
        _report_wire(result, session, log)
        return result

    def _wire_log(self, task_vars: Any, secrets: list[str]) -> WireLog | None:
        host = (task_vars or {}).get("inventory_hostname") or "host"
        return WireLog.from_environment(str(host), secrets)


def _explain_failure(result: dict[str, Any]) -> None:
    """A failure with an HRESULT carries its name, its meaning (``details``) and the whole advice
    (``what_to_do``) as keys of their own, for ``-v``, ``register`` and callbacks: ``msg`` stays
    the short paragraph ansible-core prints, in the ``[ERROR]`` line and again in the result."""
    code = result.get("hresult")
    if not result.get("failed") or not code:
        return
    for key, value in explanation(code).items():
        result.setdefault(key, value)


def _report_wire(result: dict[str, Any], session: CimSession | None, log: WireLog | None) -> None:
    """The task's wire cost, and what the wire log could not write."""
    if log is not None and log.problems:
        result.setdefault("warnings", []).extend(log.problems)
    if session is not None:
        result["wsman"] = {
            "requests": session.requests,
            "bytes_sent": session.bytes_sent,
            "bytes_received": session.bytes_received,
        }


def _hex(code: int | None) -> str | None:
    return None if code is None else f"0x{code:08X}"
