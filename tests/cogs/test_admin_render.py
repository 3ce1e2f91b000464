"""What /hearth status prints about the next digest."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.delivery.slots import Slot
from cogs.admin.render import slot_text


def slot(at: dt.datetime) -> Slot:
    return Slot("weekly", at, "weekly:2026-11-30")


def test_a_utc_slot_names_its_zone_once():
    text = slot_text(slot(dt.datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("UTC"))))
    assert "(UTC)" in text and "UTC · UTC" not in text


def test_a_named_zone_shows_abbreviation_and_name():
    text = slot_text(slot(dt.datetime(2026, 11, 30, 9, tzinfo=ZoneInfo("Europe/Paris"))))
    assert "(CET · Europe/Paris)" in text
