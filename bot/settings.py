"""Process settings, read from the environment and an optional ``.env`` file.

This is the only module that reads configuration. Secrets are :class:`SecretStr`, so their
``repr`` and ``str`` print ``**********`` and they cannot leak through logging by accident.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it and fits on one line."""


class Settings(BaseSettings):
    """Everything Hearth can be configured with. See ``.env.example``."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias="DISCORD_TOKEN")
    db_path: str = Field(default="./hearth.db", validation_alias="HEARTH_DB", min_length=1)
    summarizer: Literal["extractive", "openai"] = Field(
        default="extractive", validation_alias="HEARTH_SUMMARIZER"
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4o-mini", validation_alias="HEARTH_MODEL", min_length=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="HEARTH_LOG_LEVEL"
    )
    backfill_days: int = Field(default=14, validation_alias="HEARTH_BACKFILL_DAYS", ge=0)
    weekly_tokens: int | None = Field(default=None, validation_alias="HEARTH_WEEKLY_TOKENS", gt=0)
    post_empty_digests: bool = Field(default=False, validation_alias="HEARTH_POST_EMPTY_DIGESTS")
    discord_api_base: str = Field(default=DEFAULT_API_BASE, validation_alias="DISCORD_API_BASE")
    discord_gateway_url: str = Field(
        default=DEFAULT_GATEWAY_URL, validation_alias="DISCORD_GATEWAY_URL"
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: object) -> object:
        """``NAME=`` (as copied from .env.example) means "not set", not an empty value."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("summarizer", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("openai_base_url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or None
            if value and not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
        return value

    @field_validator("discord_api_base", mode="after")
    @classmethod
    def _check_api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        parts = urlsplit(value)
        if parts.username or parts.password:  # never echoed: pydantic's msg omits the input
            raise ValueError("must not hold a user or password (the token goes in a header)")
        return value.rstrip("/")

    @field_validator("discord_gateway_url", mode="after")
    @classmethod
    def _check_gateway(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value

    def require_token(self) -> str:
        """The Discord token, or a :class:`SettingsError` saying how to provide one."""
        if self.discord_token is None:
            raise SettingsError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env "
                "(see .env.example), or run `hearth demo` to try Hearth offline"
            )
        token = self.discord_token.get_secret_value()
        problem = token_problem(token)
        if problem:
            raise SettingsError(
                f"DISCORD_TOKEN {problem}: copy it again from the Developer Portal "
                "(Bot > Reset Token)"
            )
        return token

    def require_openai(self) -> None:
        """Fail early when the OpenAI backend is selected without a key."""
        if self.summarizer == "openai" and self.openai_api_key is None:
            raise SettingsError(
                "OPENAI_API_KEY is not set but HEARTH_SUMMARIZER=openai: set the key "
                "(any value for a local server such as Ollama) or use HEARTH_SUMMARIZER=extractive"
            )


def public_host(url: str) -> str:
    """``host[:port]`` of a URL, without credentials, path or query (safe to print)."""
    parts = urlsplit(url)
    host = parts.hostname or "the configured endpoint"
    return f"{host}:{parts.port}" if parts.port else host


_PART = re.compile(r"[A-Za-z0-9_-]+")


def token_user_id(token: str) -> int | None:
    """The bot user id a token's first part encodes (base64 of its digits), or None when
    the token does not have a bot token's shape. Not a secret: Discord shows the id."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_PART.fullmatch(p) for p in parts):
        return None
    if len(parts[1]) < 6 or len(parts[2]) < 27:
        return None
    try:
        head = base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return int(head) if head.isdigit() and 0 < int(head) < 2**64 else None


def token_problem(token: str) -> str | None:
    """What is wrong with a token's shape, in words that never repeat the token."""
    if token_user_id(token) is not None:
        return None
    if token.lower().startswith("bot "):
        return "must be the token alone, without the 'Bot ' in front"
    if token[:1] in "\"'" and token[-1:] in "\"'" and len(token) > 1:
        return "has quotes around it: remove them"
    if token != token.strip() or any(c.isspace() for c in token):
        return "has a space or a line break in it"
    if token.isdigit():
        return "looks like an application id, not the bot token"
    if re.fullmatch(r"[0-9a-f]{64}", token):
        return "looks like the application's public key, not the bot token"
    if "." not in token and len(token) == 32:
        return "looks like the OAuth2 client secret, not the bot token"
    return "does not look like a bot token (three parts joined by dots)"


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ("?",)
        field = str(loc[0])
        env_name = _ENV_NAMES.get(field, field)
        message = first.get("msg", "invalid value")
        raise SettingsError(f"invalid setting {env_name}: {message}") from None


_ENV_NAMES = {
    name: str(info.validation_alias or name).upper() for name, info in Settings.model_fields.items()
}


def configure_logging(level: str) -> None:
    """Plain, timestamped log lines on stderr."""
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # discord.py is chatty at INFO about gateway internals; keep its warnings.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))
    # APScheduler logs every job it adds or runs at INFO; Hearth's own lines say what matters.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    logging.getLogger("apscheduler").setLevel(quiet)
