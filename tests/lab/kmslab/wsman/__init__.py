# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's WS-Management server: real pywinrm/pypsrp/Ansible clients talk to it as to Windows.

``server.LabServer`` runs the listeners; a ``provider.Provider`` (the Windows model, glued in
later) answers in CIM terms. See README.md in this directory for the wire shapes and their sources.
"""

from __future__ import annotations

from .auth import Account
from .cim import CimType, Property
from .counters import CounterSnapshot, FaultPlan
from .provider import (
    CimError,
    ClassInfo,
    InputParams,
    Instance,
    MethodResult,
    OperationTimedOut,
    Provider,
    find_by_selectors,
)
from .server import LabServer, Machine, MachineSpec, loopback_address
from .service import ServiceConfig, WsmanService

__all__ = [
    "Account",
    "CimError",
    "CimType",
    "ClassInfo",
    "CounterSnapshot",
    "FaultPlan",
    "InputParams",
    "Instance",
    "LabServer",
    "Machine",
    "MachineSpec",
    "MethodResult",
    "OperationTimedOut",
    "Property",
    "Provider",
    "ServiceConfig",
    "WsmanService",
    "find_by_selectors",
    "loopback_address",
]
