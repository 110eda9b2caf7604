# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restarting ``sppsvc`` through ``Win32_Service``.

KMS host settings and the publish list take effect when the Software Protection service starts
(slmgr: "a KMS reboot is needed", wsman-wire.md §5.8). Stop/StartService return when the control
is accepted, so the state is polled in between (§4.5); StartService answers 10 while the service is
still running, which is why the stop must have finished first.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsError
from ansible_collections.volact.kms.plugins.module_utils.windows.return_codes import (
    is_success,
    service_result,
)
from ansible_collections.volact.kms.plugins.module_utils.wsman.session import CimSession

CLASS = "Win32_Service"
SPPSVC = "sppsvc"


class ServiceError(KmsError):
    """The service did not stop or start as asked."""


def state(session: CimSession, name: str = SPPSVC) -> str:
    return str(session.get(CLASS, {"Name": name}).get("State") or "")


def _control(session: CimSession, name: str, method: str) -> None:
    result = session.invoke(CLASS, method, None, {"Name": name})
    code = result.return_value or 0
    if not is_success(code, method):
        raise ServiceError(f"{method} of {name} failed: {service_result(code)}")


def wait_for(
    session: CimSession,
    wanted: str,
    name: str = SPPSVC,
    *,
    timeout: float = 60.0,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    deadline = time.monotonic() + timeout
    current = state(session, name)
    while current != wanted:
        if time.monotonic() >= deadline:
            raise ServiceError(
                f"{name} is still {current or 'in an unknown state'} after {timeout:g} s "
                f"(waiting for {wanted}); check the System event log on the host."
            )
        sleep(interval)
        current = state(session, name)


def restart(session: CimSession, name: str = SPPSVC, *, timeout: float = 60.0) -> None:
    """Stop the service, wait until it is stopped, start it, wait until it runs."""
    _control(session, name, "StopService")
    wait_for(session, "Stopped", name, timeout=timeout)
    _control(session, name, "StartService")
    wait_for(session, "Running", name, timeout=timeout)
