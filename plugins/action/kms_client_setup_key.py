# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_client_setup_key``: options checked on the controller, then read, plan,
apply and report over WS-Management (the logic is in module_utils/client_*.py); in check mode,
the SRV records of a client that finds its KMS host in DNS are looked up from the controller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.client.apply import converge
from ansible_collections.volact.kms.plugins.module_utils.client.options import (
    ClientRequest,
    parse_request,
)
from ansible_collections.volact.kms.plugins.module_utils.client.report import build_result
from ansible_collections.volact.kms.plugins.modules.kms_client_setup_key import (
    ARGUMENT_SPEC,
    SPEC_OPTIONS,
)
from ansible_collections.volact.kms.plugins.plugin_utils.windows_action import (
    Context,
    WindowsAction,
)


class ActionModule(WindowsAction):
    argument_spec = ARGUMENT_SPEC
    spec_options = SPEC_OPTIONS

    def validate(self, args: Mapping[str, Any]) -> ClientRequest:
        # Every option check runs here, before the first request (KmsInputError on bad input).
        return parse_request(args)

    def execute(self, context: Context) -> dict[str, Any]:
        outcome = converge(context.session, context.request, context.check_mode)
        if context.check_mode:
            # Would DNS discovery find a host? Imported here: dnspython stays out of the workers
            # of real runs (memory per worker, docs/performance.md).
            from ansible_collections.volact.kms.plugins.module_utils.client.discovery import (  # noqa: PLC0415
                check_discovery,
            )

            check_discovery(context.session, outcome)
        return build_result(outcome, context.diff)
