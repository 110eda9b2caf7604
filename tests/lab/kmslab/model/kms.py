"""The KMS host side: the CMID cache, the count, thresholds, request counters.

Rules (kms-facts §4.4, §2.9): the count is the number of distinct client machine IDs (CMIDs) seen
in the last 30 days; the host keeps at most twice the highest threshold it has been asked for (50
once a client OS asks, 10 while only servers and Office ask); a Windows client OS activates once
the count reaches 25, a server OS or Office once it reaches 5, and the count includes the asking
client ("at least four prior activation requests" for Office's 5). Counts are kept per
application (Windows, Office): Office's "maximum count is 10" (§4.3) would be impossible in a
cache shared with 50 Windows clients.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kmslab.model.catalog import PRODUCTS, HostKeyGroup, Kind
from kmslab.model.errors import HResult
from kmslab.model.licenses import LicenseStatus

CLIENT_THRESHOLD = 25
SERVER_THRESHOLD = 5
OFFICE_THRESHOLD = 5
CMID_WINDOW = timedelta(days=30)
CACHE_FACTOR = 2

# KeyManagementService*Requests counters by the client's license state (wsman-wire §4.1).
STATUS_COUNTERS = {
    LicenseStatus.UNLICENSED: "KeyManagementServiceUnlicensedRequests",
    LicenseStatus.LICENSED: "KeyManagementServiceLicensedRequests",
    LicenseStatus.OOB_GRACE: "KeyManagementServiceOOBGraceRequests",
    LicenseStatus.OOT_GRACE: "KeyManagementServiceOOTGraceRequests",
    LicenseStatus.NON_GENUINE_GRACE: "KeyManagementServiceNonGenuineGraceRequests",
    LicenseStatus.NOTIFICATION: "KeyManagementServiceNotificationRequests",
    LicenseStatus.EXTENDED_GRACE: "KeyManagementServiceNotificationRequests",
}
COUNTER_NAMES = (
    "KeyManagementServiceTotalRequests",
    "KeyManagementServiceFailedRequests",
    *dict.fromkeys(STATUS_COUNTERS.values()),
)


def threshold_for(token: str) -> int:
    kind = PRODUCTS[token][0]
    return {Kind.CLIENT: CLIENT_THRESHOLD, Kind.SERVER: SERVER_THRESHOLD}.get(
        kind, OFFICE_THRESHOLD
    )


@dataclass
class CmidCache:
    """Distinct CMIDs seen in the last 30 days, capped at twice the highest threshold seen."""

    seen: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # cmid -> (last, threshold)

    def _expire(self, now: datetime) -> None:
        for cmid, (last, _threshold) in list(self.seen.items()):
            if now - last >= CMID_WINDOW:
                del self.seen[cmid]

    def capacity(self, now: datetime) -> int:
        self._expire(now)
        return CACHE_FACTOR * max((threshold for _last, threshold in self.seen.values()), default=0)

    def record(self, cmid: str, now: datetime, threshold: int) -> int:
        """Count ``cmid`` at ``now`` and return the new count."""
        self._expire(now)
        self.seen[cmid] = (now, threshold)
        excess = len(self.seen) - self.capacity(now)
        if excess > 0:
            for oldest in sorted(self.seen, key=lambda c: self.seen[c][0])[:excess]:
                del self.seen[oldest]
        return len(self.seen)

    def count(self, now: datetime) -> int:
        self._expire(now)
        return len(self.seen)


@dataclass(frozen=True)
class KmsRequest:
    cmid: str
    client: str  # the client's FQDN
    application_id: str
    token: str  # the product the client asks to activate
    sku_id: str
    status: LicenseStatus  # the client's license state when it asks
    time: datetime

    @property
    def threshold(self) -> int:
        return threshold_for(self.token)


@dataclass(frozen=True)
class KmsResponse:
    hresult: int  # 0: activated
    count: int
    activation_interval: int
    renewal_interval: int
    host: str
    port: int

    @property
    def activated(self) -> bool:
        return self.hresult == 0


@dataclass
class KmsHostState:
    """What a KMS host remembers between requests; survives sppsvc restarts."""

    caches: dict[str, CmidCache] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)

    def count(self, application_id: str, now: datetime) -> int:
        cache = self.caches.get(application_id)
        return cache.count(now) if cache else 0

    def decide(self, request: KmsRequest, keys: list[tuple[HostKeyGroup, bool]]) -> tuple[int, int]:
        """The answer to ``request`` given the host's (group, activated) keys: (hresult, count).

        0xC004F041 when none of the host's keys for this application is activated; 0xC004F042
        when no activated key's group covers the product (§2.7, §4.2); otherwise the CMID is
        counted and the client activates once the count reaches its threshold, else 0xC004F038.
        """
        self.counters["KeyManagementServiceTotalRequests"] += 1
        self.counters[STATUS_COUNTERS[request.status]] += 1
        mine = [(group, ok) for group, ok in keys if group.application_id == request.application_id]
        activated = [group for group, ok in mine if ok]
        if mine and not activated:
            hresult = HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED
        elif not any(request.token in group.activates for group in activated):
            hresult = HResult.SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH
        else:
            cache = self.caches.setdefault(request.application_id, CmidCache())
            count = cache.record(request.cmid, request.time, request.threshold)
            enough = count >= request.threshold
            return (0 if enough else HResult.SL_E_VL_NOT_ENOUGH_COUNT), count
        self.counters["KeyManagementServiceFailedRequests"] += 1
        return hresult, self.count(request.application_id, request.time)
