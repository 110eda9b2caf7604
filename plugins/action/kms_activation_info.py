# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_activation_info``: read the machine's licensing facts, write nothing.

The options are checked before anything is sent; then ``activation_info.gather`` reads (see its
docstring for the requests, in order). Check mode changes nothing because nothing is ever written,
so it returns exactly what a normal run returns, and there is never a diff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ansible_collections.volact.kms.plugins.module_utils.activation.info import Options, gather
from ansible_collections.volact.kms.plugins.modules.kms_activation_info import (
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

    def validate(self, args: Mapping[str, Any]) -> Options:
        return Options.from_args(args)

    def execute(self, context: Context) -> dict[str, Any]:
        facts = gather(context.session, context.request, dt.datetime.now(dt.UTC))
        return {"changed": False, "kms_activation": facts}
