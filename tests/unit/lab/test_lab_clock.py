"""The lab clock and every rule that moves with it: grace, 180-day validity, 30-day CMID window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from kmslab.model.clock import LAB_EPOCH, LabClock, minutes_until
from kmslab.model.keys import KeyKind, LabKey
from kmslab.model.kms import CmidCache
from kmslab.model.licenses import KMS_VALIDITY, KeyState, LicenseStatus

GVLK = LabKey("NPPR9-FWDCX-D2C8J-H872K-2YT43", KeyKind.GVLK, "app", "family", "Enterprise")
MAK = LabKey("BCDFG-HJKMP-QRTVW-XY234-6789B", KeyKind.MAK, "app", "family", "Enterprise")


def test_clock_starts_at_the_epoch_and_only_moves_forward() -> None:
    clock = LabClock()
    assert clock.now() == LAB_EPOCH
    assert clock.advance(days=1, hours=2, minutes=3) == LAB_EPOCH + timedelta(
        days=1, hours=2, minutes=3
    )
    assert clock.advance(timedelta(minutes=1)) == LAB_EPOCH + timedelta(days=1, minutes=124)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(days=-1)


def test_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="UTC"):
        LabClock(datetime(2025, 1, 1))  # naive on purpose


def test_minutes_until_floors_and_never_goes_negative() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert minutes_until(start, start + timedelta(minutes=90, seconds=59)) == 90
    assert minutes_until(start, start - timedelta(days=1)) == 0


def test_a_new_key_has_thirty_days_of_grace_then_notification() -> None:
    state = KeyState.installed(GVLK, LAB_EPOCH)
    assert state.status(LAB_EPOCH) is LicenseStatus.OOB_GRACE
    assert state.grace_remaining(LAB_EPOCH) == 30 * 24 * 60
    late = LAB_EPOCH + timedelta(days=29, hours=23)
    assert state.grace_remaining(late) == 60
    expired = LAB_EPOCH + timedelta(days=30)
    assert state.status(expired) is LicenseStatus.NOTIFICATION
    assert state.grace_remaining(expired) == 0


def test_kms_activation_is_valid_for_180_days_then_out_of_tolerance_then_notification() -> None:
    state = KeyState.installed(GVLK, LAB_EPOCH)
    state.grant(LAB_EPOCH, KMS_VALIDITY)
    assert state.status(LAB_EPOCH) is LicenseStatus.LICENSED
    assert state.grace_remaining(LAB_EPOCH) == 180 * 24 * 60
    day_179 = LAB_EPOCH + timedelta(days=179)
    assert state.status(day_179) is LicenseStatus.LICENSED
    assert state.grace_remaining(day_179) == 24 * 60
    day_180 = LAB_EPOCH + timedelta(days=180)
    assert state.status(day_180) is LicenseStatus.OOT_GRACE
    assert state.grace_remaining(day_180) == 30 * 24 * 60
    assert state.status(LAB_EPOCH + timedelta(days=210)) is LicenseStatus.NOTIFICATION


def test_a_permanent_activation_reports_no_remaining_grace() -> None:
    state = KeyState.installed(MAK, LAB_EPOCH)
    state.grant(LAB_EPOCH, None)
    much_later = LAB_EPOCH + timedelta(days=3650)
    assert state.status(much_later) is LicenseStatus.LICENSED
    assert state.grace_remaining(much_later) == 0


def test_a_cmid_counts_for_thirty_days_after_it_was_last_seen() -> None:
    cache = CmidCache()
    assert cache.record("a", LAB_EPOCH, 25) == 1
    assert cache.record("b", LAB_EPOCH + timedelta(days=10), 25) == 2
    assert cache.count(LAB_EPOCH + timedelta(days=29, hours=23)) == 2
    assert cache.count(LAB_EPOCH + timedelta(days=30)) == 1  # "a" left the 30-day window
    assert cache.count(LAB_EPOCH + timedelta(days=40)) == 0


def test_seeing_a_cmid_again_refreshes_it_without_counting_it_twice() -> None:
    cache = CmidCache()
    cache.record("a", LAB_EPOCH, 5)
    assert cache.record("a", LAB_EPOCH + timedelta(days=20), 5) == 1
    assert cache.count(LAB_EPOCH + timedelta(days=45)) == 1


def test_the_cache_keeps_twice_the_highest_threshold_it_was_asked_for() -> None:
    cache = CmidCache()
    for n in range(12):  # servers only: threshold 5, so at most 10 are kept
        cache.record(f"server-{n}", LAB_EPOCH + timedelta(minutes=n), 5)
    assert cache.count(LAB_EPOCH + timedelta(hours=1)) == 10
    assert "server-0" not in cache.seen  # the oldest went first
    assert "server-11" in cache.seen
    for n in range(60):  # a client OS asks: threshold 25, so up to 50
        cache.record(f"client-{n}", LAB_EPOCH + timedelta(hours=1, minutes=n), 25)
    assert cache.count(LAB_EPOCH + timedelta(hours=2)) == 50
    assert cache.capacity(LAB_EPOCH + timedelta(hours=2)) == 50
