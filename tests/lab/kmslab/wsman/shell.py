# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WinRM cmd shell resource, only as far as Ansible's winrm connection needs it.

The connection plugin opens a cmd shell in ``_connect()`` and deletes it in ``close()``
(spike-notes §2, wsman-wire §3.1), so Create and Delete work. Command, Receive, Send and Signal
answer a fixed ``a:ActionNotSupported`` fault: the lab runs no commands (documented in the README).
Shells count against ``MaxShellsPerUser``; going over it answers the ``w:QuotaLimit`` fault of
capture winrb_wmi_error_v2.xml, which makes leaked shells visible in tests.
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
class ShellTable:
    limit: int = MAX_SHELLS
    open: set[str] = field(default_factory=set)


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
    if len(table.open) >= table.limit:
        raise SoapFault(_quota_fault(table.limit))
    shell_id = str(uuid.uuid4()).upper()
    table.open.add(shell_id)
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
    shell_id = next(
        (value for name, value in call.request.selector_map().items() if name.lower() == "shellid"),
        "",
    )
    if shell_id.upper() not in table.open:
        raise SoapFault(faults.invalid_selectors(call.alias))
    table.open.discard(shell_id.upper())
    # pywinrm 0.5.0 winrm/tests/conftest.py close_shell_response: empty body.
    return envelope(
        prefixes=("s", "a", "w", "p"),
        action=ns.ACTION_DELETE + "Response",
        relates_to=call.request.message_id,
        body="",
    )


def not_supported(call: Call) -> str:
    raise SoapFault(
        faults.action_not_supported(
            call.alias,
            call.request.action,
            "Running commands in a shell is not supported in this lab. ",
        )
    )
