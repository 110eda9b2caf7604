# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_adba_object``: the forest over LDAP from the controller, the online
activation over the task's own WS-Man connection (module_utils/adba)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.adba.directory import (
    Directory,
    LdapSettings,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import (
    AdbaRequest,
    parse_request,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.run import (
    AdbaMethodError,
    InstallationIdNeeded,
    run,
)
from ansible_collections.volact.kms.plugins.modules.kms_adba_object import (
    ARGUMENT_SPEC,
    SPEC_OPTIONS,
)
from ansible_collections.volact.kms.plugins.plugin_utils.windows_action import (
    Context,
    WindowsAction,
)


@dataclass(frozen=True)
class _Parsed:
    request: AdbaRequest
    ldap: LdapSettings


class ActionModule(WindowsAction):
    argument_spec = ARGUMENT_SPEC
    spec_options = SPEC_OPTIONS

    _host = "the host"

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        # Messages name the host as the inventory does.
        self._host = str((task_vars or {}).get("inventory_hostname") or "the host")
        return super().run(tmp, task_vars)

    def validate(self, args: Mapping[str, Any]) -> _Parsed:
        return _Parsed(parse_request(args), LdapSettings.from_args(dict(args)))

    def execute(self, context: Context) -> dict[str, Any]:
        parsed: _Parsed = context.request
        host = self._host
        directory = Directory(parsed.ldap)
        try:
            return run(
                directory,
                context.session,
                parsed.request,
                check_mode=context.check_mode,
                want_diff=context.diff,
                host=host,
                warn=context.warn,
            )
        except InstallationIdNeeded as error:
            return {"failed": True, "msg": str(error), "installation_id": error.installation_id}
        except AdbaMethodError as error:
            result = {"failed": True, "msg": str(error), "hresult": f"0x{error.hresult:08X}"}
            if error.what_to_do:  # ADBA's own advice before the catalog's general one
                result["what_to_do"] = error.what_to_do
            return result
        finally:
            directory.close()
