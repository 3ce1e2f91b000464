"""Digest times in the guild's timezone, across DST changes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.delivery.slots import ScheduleError, last_slot, next_slot, zone
from bot.models import GuildSettings

UTC = dt.UTC


def settings(tz: str, weekday: int = 0, hour: int = 9) -> GuildSettings:
    return GuildSettings(1, digest_weekday=weekday, digest_hour=hour, timezone=tz)


def test_local_hour_is_kept_across_us_dst_end():
    s = settings("America/New_York")  # Mondays 09:00 local
    before = next_slot(s, dt.datetime(2026, 10, 27, tzinfo=UTC))  # Mon Nov 2, after DST ends
    assert before.at.astimezone(UTC) == dt.datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    earlier = next_slot(s, dt.datetime(2026, 10, 20, tzinfo=UTC))
    assert earlier.at.astimezone(UTC) == dt.datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    assert before.at.hour == earlier.at.hour == 9


def test_skipped_local_time_runs_at_the_next_valid_moment():
    s = settings("Europe/Berlin", weekday=6, hour=2)  # Sunday 02:00 does not exist on Mar 29
    slot = next_slot(s, dt.datetime(2026, 3, 25, tzinfo=UTC))
    assert slot.at.astimezone(UTC) == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert slot.period == "weekly:2026-03-29"


def test_timezone_without_dst_and_with_half_hour_offset():
    tokyo = next_slot(settings("Asia/Tokyo", 4, 18), dt.datetime(2026, 11, 23, tzinfo=UTC))
    assert tokyo.at.astimezone(UTC) == dt.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    india = next_slot(settings("Asia/Kolkata", 0, 9), dt.datetime(2026, 11, 23, tzinfo=UTC))
    assert india.at.astimezone(UTC) == dt.datetime(2026, 11, 23, 3, 30, tzinfo=UTC)


def test_daily_cadence():
    s = settings("Europe/London", hour=7)
    slot = next_slot(s, dt.datetime(2026, 11, 23, 8, tzinfo=UTC), "daily")
    assert slot.at.astimezone(UTC) == dt.datetime(2026, 11, 24, 7, tzinfo=UTC)
    assert slot.period == "daily:2026-11-24" and slot.since == slot.at - dt.timedelta(days=1)


@pytest.mark.parametrize("name", ["JST", "Tokyo", "Mars/Olympus", "", "../etc/passwd"])
def test_bad_timezone_is_a_clear_error(name):
    with pytest.raises(ScheduleError, match="IANA"):
        zone(name)


@given(
    now=st.datetimes(
        min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    tz=st.sampled_from(
        ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo"]
    ),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
)
def test_last_slot_is_the_latest_not_after_now(now, tz, weekday, hour):
    s = settings(tz, weekday, hour)
    last = last_slot(s, now)
    nxt = next_slot(s, last.at)
    assert last.at <= now < nxt.at
    assert dt.timedelta(days=6) < nxt.at - last.at < dt.timedelta(days=8)
    assert last.at.astimezone(zone(tz)).weekday() == weekday


def test_no_week_is_skipped_across_spring_forward():
    # APScheduler 3.11's CronTrigger answers 2025-03-17 here (agronholm/apscheduler#529).
    s = settings("America/New_York", weekday=0, hour=0)
    slot = next_slot(s, dt.datetime(2025, 3, 8, tzinfo=UTC))
    assert slot.at.astimezone(UTC) == dt.datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
