"""Admin settings: validation messages, the write, the scheduler hook; recap windows."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import GuildRecord, GuildSettings
from bot.recap.window import WindowError, parse_since, recap_window
from bot.services import guild_config as gc

G = 100
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(0, 0), (6, 6), ("mon", 0), ("Sunday", 6), ("WED", 2), ("3", 3)],
)
def test_weekday_accepts_numbers_and_names(raw, expected):
    assert gc.weekday(raw) == expected


@pytest.mark.parametrize("raw", [7, -1, "Funday", "m", "8"])
def test_weekday_rejects_the_rest(raw):
    with pytest.raises(gc.ConfigError, match="weekday"):
        gc.weekday(raw)


@pytest.mark.parametrize(
    ("call", "raw", "message"),
    [
        (gc.hour, 24, "hour must be 0-23, not 24"),
        (gc.hour, -1, "hour must be 0-23"),
        (gc.timezone, "Mars/Phobos", "unknown timezone 'Mars/Phobos'"),
        (gc.timezone, "JST", "use an IANA name"),
        (gc.timezone, "localtime", "unknown timezone"),
        (gc.timezone, "../../etc/passwd", "unknown timezone"),
        (gc.language, "english", "unknown language 'english'"),
        (gc.language, "e", "use a code such as en"),
        (gc.summarizer, "gpt", "use extractive or openai"),
        (gc.retention_days, 3651, "retention must be 0 (keep everything) or 1-3650"),
        (gc.retention_days, -5, "not -5"),
    ],
)
def test_bad_values_say_what_is_allowed(call, raw, message):
    with pytest.raises(gc.ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(raw)


@pytest.mark.parametrize(
    ("call", "raw", "expected"),
    [
        (gc.timezone, "asia/tokyo", "Asia/Tokyo"),
        (gc.timezone, " Europe/Paris ", "Europe/Paris"),
        (gc.timezone, "UTC", "UTC"),
        (gc.language, "ja", "ja"),
        (gc.language, "pt-BR", "pt-BR"),
        (gc.language, "auto", None),
        (gc.summarizer, "OpenAI", "openai"),
        (gc.summarizer, "default", None),
        (gc.retention_days, 0, None),
        (gc.retention_days, 90, 90),
    ],
)
def test_good_values_are_normalised(call, raw, expected):
    assert call(raw) == expected


def test_validate_checks_everything_and_skips_what_is_not_given():
    assert gc.validate() == {}
    assert gc.validate(digest_weekday="fri", digest_hour=18, retention=0) == {
        "digest_weekday": 4,
        "digest_hour": 18,
        "retention_days": None,
    }
    with pytest.raises(gc.ConfigError, match="Mars/Phobos"):
        gc.validate(digest_hour=8, timezone_name="Mars/Phobos")


def test_timezone_choices_prefer_prefixes_then_cities():
    assert gc.timezone_choices("europe/pa")[0] == "Europe/Paris"
    assert gc.timezone_choices("tokyo") == ["Asia/Tokyo"]
    assert "UTC" in gc.timezone_choices("")
    assert len(gc.timezone_choices("a")) == 25
    assert gc.timezone_choices("Mars/Phobos") == []


def test_describe_and_next_digest_in_the_guilds_timezone():
    settings = GuildSettings(G, digest_weekday=4, digest_hour=18, timezone="Asia/Tokyo")
    text = gc.describe(settings)
    assert text["Digest day"] == "Friday" and text["Digest hour"] == "18:00"
    assert text["Retention"] == "keep everything" and text["Digest channel"] == "not set"
    slot = gc.next_digest(settings, NOW)
    assert slot is not None
    assert slot.at.isoformat() == "2026-11-27T18:00:00+09:00"
    assert gc.next_digest(GuildSettings(G, timezone="Mars/Phobos"), NOW) is None


async def test_update_writes_valid_changes_and_tells_the_scheduler(store):
    changed: list[int] = []

    async def on_change(guild_id: int) -> None:
        changed.append(guild_id)

    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "g"))
    service = gc.GuildConfigService(store, on_change=on_change)
    settings, changes = await service.update(
        G, digest_weekday="Sunday", digest_hour=20, timezone_name="europe/paris"
    )
    assert (settings.digest_weekday, settings.digest_hour, settings.timezone) == (
        6,
        20,
        "Europe/Paris",
    )
    assert set(changes) == {"digest_weekday", "digest_hour", "timezone"} and changed == [G]
    settings, changes = await service.update(G, digest_hour=20)
    assert changes == {} and changed == [G]  # nothing changed: no reschedule
    settings, _ = await service.update(G, retention=30, language_code="ja")
    assert settings.retention_days == 30 and settings.language == "ja"
    settings, _ = await service.update(G, retention=0, language_code="auto")
    assert settings.retention_days is None and settings.language is None


async def test_update_with_one_bad_value_changes_nothing(store):
    service = gc.GuildConfigService(store)
    with pytest.raises(gc.ConfigError, match="Mars/Phobos"):
        await service.update(G, digest_hour=5, timezone_name="Mars/Phobos")
    assert (await service.get(G)).digest_hour == 9


# -- recap windows ---------------------------------------------------------------------------


def test_window_defaults_to_seven_days():
    assert recap_window(NOW) == (NOW - dt.timedelta(days=7), NOW)
    assert recap_window(NOW, days=1)[0] == NOW - dt.timedelta(days=1)


def test_since_is_midnight_in_the_guilds_timezone():
    tokyo = gc.zone("Asia/Tokyo")
    since, until = recap_window(NOW, since="2026-11-20", tz=tokyo)
    assert since == dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC) and until == NOW
    assert parse_since("2026-11-20T18:30+01:00", tokyo).utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "last tuesday"}, "is not an ISO date"),
        ({"since": "2026-13-01"}, "is not an ISO date"),
        ({"since": "2027-01-01"}, "is in the future"),
        ({"since": "2026-01-01"}, "more than 30 days ago"),
        ({"days": 3, "since": "2026-11-20"}, "either days or since"),
        ({"days": 31}, "days must be 1-30"),
    ],
)
def test_bad_windows_say_why(kwargs, message):
    with pytest.raises(WindowError, match=message):
        recap_window(NOW, **kwargs)


def test_since_last_here_is_the_last_message_when_under_a_week_and_over_an_hour():
    from bot.recap.window import since_last_here

    now = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)
    assert since_last_here(now, None) is None
    assert since_last_here(now, now - dt.timedelta(minutes=5)) is None  # just here
    two_days = now - dt.timedelta(days=2)
    assert since_last_here(now, two_days) == two_days
    assert since_last_here(now, now - dt.timedelta(days=7)) is None  # the default week is shorter
