"""Test-only action: exercise the protocol core through the task's own connection.

One query, one get, one method call and one call that faults, on the host the task runs for, over
whatever winrm/psrp settings the inventory has. Returns what each step saw and the session's
request count, so a test can hold the wire cost to one request per operation.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.volact.kms.plugins.module_utils.windows import spp
from ansible_collections.volact.kms.plugins.module_utils.wsman.errors import WsmanFault
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession
from ansible_collections.volact.kms.plugins.plugin_utils.wsman_transport import (
    TransportError,
    sender_for,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        try:
            sender = sender_for(self._connection)
        except TransportError as error:
            return {**result, "failed": True, "msg": str(error)}
        steps = {}
        try:
            session = CimSession(sender.send)
            service = spp.read_service(session)
            steps["query"] = {"version": service.version, "requests": session.requests}
            state = session.get("Win32_Service", {"Name": "sppsvc"})
            steps["get"] = {"state": state.get("State"), "requests": session.requests}
            refresh = session.invoke(
                "SoftwareLicensingService",
                "RefreshLicenseStatus",
                None,
                {"Version": service.version},
            )
            steps["invoke"] = {"return_value": refresh.return_value, "requests": session.requests}
            try:
                session.query("SELECT Name FROM Win32_NoSuchClass")
                steps["fault"] = {"raised": False}
            except WsmanFault as fault:
                steps["fault"] = {
                    "raised": True,
                    "hresult": fault.hresult,
                    "subcode": fault.subcode_name,
                    "message": str(fault),
                    "requests": session.requests,
                }
        except (TransportError, WsmanFault) as error:
            return {**result, "failed": True, "msg": str(error), "steps": steps}
        finally:
            sender.close()
        return {**result, "changed": False, "steps": steps, "endpoint": sender.endpoint}
