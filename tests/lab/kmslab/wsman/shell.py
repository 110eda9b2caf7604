# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WinRM cmd shell resource, only as far as Ansible's winrm connection needs it.

The connection plugin opens a cmd shell in ``_connect()`` and deletes it in ``close()``
(spike-notes §2, wsman-wire §3.1), so Create and Delete work; the commands run in a shell
(Command, Receive, Signal, Send) are in ``shell_command.py``. Shells count against
``MaxShellsPerUser``; going over it answers the ``w:QuotaLimit`` fault of capture
winrb_wmi_error_v2.xml, which makes leaked shells visible in tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from . import faults, faults_wmi
from . import names as ns
from .call import Call
from .faults import Fault, SoapFault
from .soap import envelope

MAX_SHELLS = 30  # the quota quoted by capture winrb_wmi_error_v2.xml
QUOTA_CODE = 0x803381A5  # capture winrb_wmi_error_v2.xml error_Code


@dataclass
class ShellCommand:
    """A command that has run: its output waits for Receive, the record for Signal."""

    stdout: bytes
    stderr: bytes
    exit_code: int  # a DWORD, written as is in rsp:ExitCode
    received: bool = False
    # The stdin received so far by a command that runs once its input ends (the exec wrapper's
    # bootstrap: exec_wrapper.py); None for a command that ran when Command arrived.
    stdin: bytearray | None = None


@dataclass
class ShellTable:
    limit: int = MAX_SHELLS
    shells: dict[str, dict[str, ShellCommand]] = field(default_factory=dict)  # by ShellId

    @property
    def open(self) -> set[str]:
        return set(self.shells)

    def commands(self, call: Call) -> dict[str, ShellCommand]:
        """The commands of the shell the request's ShellId selector names (fault if none)."""
        shell_id = shell_id_of(call)
        if shell_id not in self.shells:
            raise SoapFault(faults.shell_not_found(call.alias, shell_id))
        return self.shells[shell_id]


def shell_id_of(call: Call) -> str:
    selectors = call.request.selector_map().items()
    return next((value for name, value in selectors if name.lower() == "shellid"), "").upper()


def _quota_fault(limit: int) -> Fault:
    # Capture winrb_wmi_error_v2.xml: s:Sender/w:QuotaLimit with an MSFT_WmiError detail.
    base = faults_wmi.provider_wmi_error(
        QUOTA_CODE,
        faults.SERVICE_PREFIX + f"This user is allowed a maximum number of {limit} concurrent "
        "shells, which has been exceeded. Close existing shells or raise the quota for this user. ",
    )
    detail = base.detail.replace(
        '<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">1</p:CIMStatusCode>',
        '<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">27</p:CIMStatusCode>',
    ).replace(
        '<p:error_Category xsi:type="cim:cimUnsignedInt">0</p:error_Category>',
        '<p:error_Category xsi:type="cim:cimUnsignedInt">30</p:error_Category>',
    )
    reason = (
        faults.SERVICE_PREFIX + "The maximum number of concurrent shells for this user has been "
        "exceeded. Close existing shells or raise the quota for this user. "
    )
    return Fault(ns.FAULT_WSMAN, "s:Sender", "w:QuotaLimit", reason, detail)


def create(call: Call, table: ShellTable) -> str:
    call.inject("Create", "shell")
    if len(table.shells) >= table.limit:
        raise SoapFault(_quota_fault(table.limit))
    shell_id = str(uuid.uuid4()).upper()
    table.shells[shell_id] = {}
    # pywinrm 0.5.0 winrm/tests/conftest.py open_shell_response (a test fixture, not a capture).
    body = (
        f"<x:ResourceCreated><a:Address>{escape(call.endpoint)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{ns.SHELL_CMD_URI}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        f"</a:ReferenceParameters></x:ResourceCreated>"
    )
    return envelope(
        prefixes=("s", "a", "x", "w", "rsp", "p"),
        action=ns.ACTION_CREATE + "Response",
        relates_to=call.request.message_id,
        body=body,
    )


def delete(call: Call, table: ShellTable) -> str:
    call.inject("Delete", "shell")
    shell_id = shell_id_of(call)
    if shell_id not in table.shells:
        raise SoapFault(faults.shell_not_found(call.alias, shell_id))
    del table.shells[shell_id]  # its commands go with it, as their processes do
    # pywinrm 0.5.0 winrm/tests/conftest.py close_shell_response: empty body.
    return envelope(
        prefixes=("s", "a", "w", "p"),
        action=ns.ACTION_DELETE + "Response",
        relates_to=call.request.message_id,
        body="",
    )
