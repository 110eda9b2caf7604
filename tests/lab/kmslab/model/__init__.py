"""A readable model of the Windows Software Protection Platform and its neighbours.

Start from :class:`~kmslab.model.fleet.Fleet` (machines sharing a clock, keys, DNS) or a lone
:class:`~kmslab.model.machine.Machine`; the front end talks to ``machine.cim``. Each rule lives in
a named method whose docstring cites its source in ``shared/reference`` (see tests/lab/README.md).
"""

from __future__ import annotations

from kmslab.model.catalog import OFFICE_APP_ID, WINDOWS_APP_ID
from kmslab.model.clock import LabClock
from kmslab.model.dns import InMemoryDns, SrvRecord
from kmslab.model.errors import CimError, CimErrorKind, HResult, LabTimeout, SppFault
from kmslab.model.fleet import Fleet
from kmslab.model.images import IMAGES, OFFICE_SUITES
from kmslab.model.keys import KeyKind, KeyTable, default_key_table
from kmslab.model.licenses import LicenseStatus
from kmslab.model.machine import Machine
from kmslab.model.views import snapshot

__all__ = [
    "IMAGES",
    "OFFICE_APP_ID",
    "OFFICE_SUITES",
    "WINDOWS_APP_ID",
    "CimError",
    "CimErrorKind",
    "Fleet",
    "HResult",
    "InMemoryDns",
    "KeyKind",
    "KeyTable",
    "LabClock",
    "LabTimeout",
    "LicenseStatus",
    "Machine",
    "SppFault",
    "SrvRecord",
    "default_key_table",
    "snapshot",
]
