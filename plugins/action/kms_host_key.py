# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_host_key``: check the options, read the license files the task names
(on the controller, as ``copy`` finds its ``src``: the role's or play's ``files`` folder first),
then run on the task's own connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ansible.errors import AnsibleError

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.host.office import read_files
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
        request = parse_request(args)
        if not request.license_paths:
            return request
        return replace(request, license_files=read_files(request.license_paths, self._read))

    def _read(self, path: str) -> bytes:
        """A license file's bytes from the controller; a missing one refused before anything is
        sent."""
        try:
            found = self._find_needle("files", path)
            with open(found, "rb") as handle:
                return handle.read()
        except (AnsibleError, OSError) as error:
            raise KmsInputError(
                "license_files",
                f"{path} cannot be read on the controller: {error}",
                "Give the path of an .xrm-ms file on the controller (absolute, or in the role's "
                "or playbook's files folder).",
            ) from None

    def execute(self, context: Context) -> dict[str, Any]:
        return run(
            context.session,
            context.request,
            check_mode=context.check_mode,
            want_diff=context.diff,
            warn=context.warn,
        )
