"""The lab clock: one shared time source that only tests move.

Every rule with a duration (the 30-day CMID window, 180-day KMS validity, grace periods, activation
and renewal intervals) reads this clock and never the wall clock, so a test can cross months in
microseconds and get the same answer every run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A Monday morning; any fixed instant works, a fixed one keeps event logs and snapshots stable.
LAB_EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

# What Windows shows for "no date" in CIM datetimes such as EvaluationEndDate (1601-01-01, the
# FILETIME epoch).
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


class LabClock:
    """Lab time in UTC. It moves only forward, and only when told to."""

    def __init__(self, start: datetime = LAB_EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("the lab clock runs in UTC: pass a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
    ) -> datetime:
        """Move forward and return the new time."""
        step = (delta or timedelta()) + timedelta(days=days, hours=hours, minutes=minutes)
        if step < timedelta():
            # KMS rejects clients whose clock differs from the host's (0xC004F06C, kms-facts §2.7);
            # the lab keeps one clock for everyone and never lets it run backwards.
            raise ValueError("the lab clock only moves forward; build a new fleet to start over")
        self._now += step
        return self._now

    def __repr__(self) -> str:
        return f"LabClock({self._now.isoformat()})"


def minutes_until(now: datetime, end: datetime) -> int:
    """Whole minutes from ``now`` to ``end``, never negative.

    GracePeriodRemaining is reported in minutes (wsman-wire §4.2: slmgr adds it with
    ``DateAdd("n", ...)``).
    """
    if end <= now:
        return 0
    return int((end - now).total_seconds() // 60)
