# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_host_key``: check the options, then run on the task's own connection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.host.plan import (
    HostKeyRequest,
    parse_request,
)
from ansible_collections.volact.kms.plugins.module_utils.host.run import run
from ansible_collections.volact.kms.plugins.modules.kms_host_key import (
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

    def validate(self, args: Mapping[str, Any]) -> HostKeyRequest:
        return parse_request(args)

    def execute(self, context: Context) -> dict[str, Any]:
        return run(
            context.session,
            context.request,
            check_mode=context.check_mode,
            want_diff=context.diff,
            warn=context.warn,
        )
