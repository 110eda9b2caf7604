# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of ``kms_adba_object_info``: the forest's activation objects over LDAP, from the
controller. No WS-Man session: ansible-core's ActionBase alone (WindowsAction opens one on the
task's connection, which this module never needs), so it runs on any host, localhost included."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.volact.kms.plugins.module_utils.adba.directory import (
    Directory,
    LdapSettings,
)
from ansible_collections.volact.kms.plugins.module_utils.adba.objects import check_name
from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError, KmsInputError
from ansible_collections.volact.kms.plugins.module_utils.number_guard import unusable_number
from ansible_collections.volact.kms.plugins.modules.kms_adba_object_info import (
    ARGUMENT_SPEC,
    SPEC_OPTIONS,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True  # it only reads
    _supports_async = False

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp  # nothing is copied anywhere
        refused = unusable_number(ARGUMENT_SPEC, self._task.args)
        if refused is not None:
            raise AnsibleActionFail(str(refused))
        _validation, args = self.validate_argument_spec(
            argument_spec=dict(ARGUMENT_SPEC), **dict(SPEC_OPTIONS)
        )
        try:
            name = None if args.get("name") is None else check_name(args["name"])
            settings = LdapSettings.from_args(dict(args))
        except KmsInputError as error:
            raise AnsibleActionFail(str(error)) from None
        try:
            directory = Directory(settings)
        except KmsError as error:
            return {**result, "failed": True, "msg": str(error)}
        try:
            found = directory.listing()
        except KmsError as error:
            return {**result, "failed": True, "msg": str(error)}
        finally:
            directory.close()
        objects = [entry for entry in found or [] if name is None or entry.named(name)]
        return {
            **result,
            "changed": False,
            "objects": [entry.result() for entry in objects],
            "container": directory.container_dn,
            "container_present": found is not None,
        }
