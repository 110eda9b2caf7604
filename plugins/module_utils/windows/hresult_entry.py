# Copyright: volact.kms contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HRESULT and its explanation, the categories that group them, and the codes the
collection names in its own logic (the catalog itself is in hresult_licensing and hresult_system).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.volact.kms.plugins.module_utils.errors import KmsInputError

# Categories group codes by where the fix lies.
SUCCESS = "success"
ACTIVATION = "activation"  # a KMS client's activation attempt
KMS_HOST = "kms_host"  # the KMS host itself: host key, host OS updates
PRODUCT_KEY = "product_key"  # installing or choosing a key
MAK = "mak"  # Microsoft's activation servers answering for a MAK
DNS = "dns"
NETWORK = "network"
PERMISSION = "permission"
WMI = "wmi"
WSMAN = "wsman"
WIN32 = "win32"
OTHER = "other"
CATEGORIES = frozenset(
    (SUCCESS, ACTIVATION, KMS_HOST, PRODUCT_KEY, MAK, DNS, NETWORK, PERMISSION, WMI, WSMAN, WIN32)
) | {OTHER}

# Activation thresholds (kms-facts.md §4.4): a KMS host activates client OS once its count of
# distinct machines seen in the last 30 days reaches 25, servers and volume Office at 5.
KMS_THRESHOLD_CLIENT_OS = 25
KMS_THRESHOLD_SERVER_OFFICE = 5

# Codes callers branch on.
S_OK = 0x00000000
E_ACCESSDENIED = 0x80070005
SL_E_VL_NOT_ENOUGH_COUNT = 0xC004F038
SL_E_LUA_ACCESSDENIED = 0xC004F025
ERROR_WSMAN_OPERATION_TIMEDOUT = 0x80338029

_UINT32_MAX = 0xFFFFFFFF
_SIGN_BIT = 0x80000000
# winerror.h: Win32 error codes are 16-bit numbers; HRESULT_FROM_WIN32 puts them in facility 7.
_WIN32_MAX = 0xFFFF
FACILITY_WIN32 = 7


@dataclass(frozen=True)
class HResult:
    """One HRESULT and its explanation; ``symbol`` is "" where Microsoft gives no name."""

    code: int
    symbol: str
    meaning: str
    action: str
    category: str

    def __post_init__(self) -> None:
        if isinstance(self.code, bool) or not isinstance(self.code, int):
            raise KmsInputError("code", f"{self.code!r} is not an integer HRESULT.")
        if not 0 <= self.code <= _UINT32_MAX:
            raise KmsInputError("code", f"{self.code} is outside 0..0xFFFFFFFF.", "Use to_code().")

    @property
    def hex(self) -> str:
        """``0xC004F038``: the form Microsoft's documentation and event logs use."""
        return f"0x{self.code:08X}"

    @property
    def signed(self) -> int:
        """``-1073418184``: the form slmgr.vbs exits with and Windows tools sometimes print."""
        return self.code - (1 << 32) if self.code & _SIGN_BIT else self.code

    @property
    def summary(self) -> str:
        """``0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT): <meaning>``, without the advice."""
        label = f"{self.hex} ({self.symbol})" if self.symbol else self.hex
        return f"{label}: {self.meaning}"

    def __str__(self) -> str:
        return f"{self.summary} What to do: {self.action}"

    def fields(self) -> dict[str, str | None]:
        """The entry as modules return it and the fleet report shows it."""
        return {
            "code": self.hex,
            "symbol": self.symbol or None,
            "meaning": self.meaning,
            "what_to_do": self.action,
            "category": self.category,
        }


FIX_DNS = (
    "Make sure a KMS host publishes _vlmcs._tcp.<domain> SRV records (DNS publishing on, dynamic "
    "updates allowed) or create them by hand pointing at the host on TCP 1688; or set the KMS host "
    "explicitly on the client. With a disjoint namespace, set the client's lookup domain."
)
FIX_ADMIN = (
    "Connect with an account in the host's local Administrators group; over WinRM a local "
    "(non-domain) administrator can lose its admin rights to UAC remote restrictions."
)
