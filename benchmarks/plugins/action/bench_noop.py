"""The benchmark's floor task: an action plugin that does nothing, on the host's own connection.

ansible-core does everything it does for any task before ``run`` is called: it forks a worker,
templates the task and the host's variables, loads the connection plugin the inventory names
(winrm here) and resolves its options, and loads this action plugin; afterwards it sends the
result back to the strategy and the callbacks. This plugin adds only ``ActionBase.run`` (which
every volact.kms action plugin calls too) and returns ``ok``: what remains is the cost of a task
to ansible-core itself. Unlike ``ansible.builtin.meta: noop`` it runs per host; unlike ``debug``
it prints nothing and is never skipped, so the callback does the same work as for our modules.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: Any = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        result["changed"] = False
        return result
