"""Settings: environment and .env, one clear line per bad setting, secrets never printed."""

from __future__ import annotations

import logging

import pytest

from bot.settings import SettingsError, load_settings, token_user_id

ALL = [
    "DISCORD_TOKEN",
    "HEARTH_DB",
    "HEARTH_SUMMARIZER",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "HEARTH_MODEL",
    "HEARTH_LOG_LEVEL",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "HEARTH_BACKFILL_DAYS",
    "HEARTH_WEEKLY_TOKENS",
    "HEARTH_POST_EMPTY_DIGESTS",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults():
    s = load_settings()
    assert s.db_path == "./hearth.db" and s.summarizer == "extractive"
    assert s.discord_api_base == "https://discord.com/api/v10"
    assert s.discord_token is None


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("HEARTH_DB=/tmp/x.db\nHEARTH_SUMMARIZER=OpenAI\n")
    s = load_settings()
    assert (s.db_path, s.summarizer) == ("/tmp/x.db", "openai")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HEARTH_LOG_LEVEL", "loud"),
        ("HEARTH_SUMMARIZER", "gpt"),
        ("DISCORD_API_BASE", "ftp://x"),
        ("DISCORD_GATEWAY_URL", "http://x"),
        ("OPENAI_BASE_URL", "localhost:11434"),
        ("HEARTH_BACKFILL_DAYS", "-1"),
    ],
)
def test_invalid_setting_names_itself_in_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert name in text and "\n" not in text


def test_secrets_never_reach_logs_or_repr(monkeypatch, caplog):
    monkeypatch.setenv("DISCORD_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SECRET2")
    s = load_settings()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings: %s %r", s, s)
    assert "SECRET" not in caplog.text and "SECRET" not in repr(s)
    assert s.require_token() == SECRET_TOKEN


def test_missing_token_and_key_are_clear(monkeypatch):
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        load_settings().require_token()
    monkeypatch.setenv("HEARTH_SUMMARIZER", "openai")
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        load_settings().require_openai()


def test_env_example_copied_as_is_is_valid(tmp_path):
    example = (__import__("pathlib").Path(__file__).parents[2] / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)
    s = load_settings()
    assert s.discord_token is None and s.weekly_tokens is None and s.db_path == "./hearth.db"


GOOD = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
SECRET_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.SECRET1abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize(
    ("token", "hint"),
    [
        ("not-a-token", "does not look like a bot token"),
        (f"Bot {GOOD}", "without the 'Bot ' in front"),
        (f'"{GOOD}"', "quotes"),
        (f"{GOOD[:30]} {GOOD[30:]}", "space"),
        ("0123456789abcdefABCDEF_-ghijklmn", "client secret"),
        ("1098765432109876543", "application id"),
        ("ab" * 32, "public key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMDEyMw", "bot token"),
    ],
)
def test_a_token_of_the_wrong_shape_is_refused_before_connecting(monkeypatch, token, hint):
    monkeypatch.setenv("DISCORD_TOKEN", token)
    with pytest.raises(SettingsError) as err:
        load_settings().require_token()
    text = str(err.value)
    assert text.startswith("DISCORD_TOKEN ") and hint in text and "\n" not in text
    assert "Reset Token" in text
    assert token.strip('"') not in text and GOOD[-20:] not in text  # never echoed


def test_a_token_names_its_bot_user(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", GOOD)
    settings = load_settings()
    assert settings.require_token() == GOOD
    assert token_user_id(GOOD) == 1098765432109876543
    assert token_user_id("not-a-token") is None
