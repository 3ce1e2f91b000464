"""``hearth doctor``: check a setup and say, one line each, what to fix.

Settings, the token's shape, the database (integrity, schema version, writable, private),
then, with a token, what Discord says (the token works, the privileged intents are on, which
guilds have no digest channel yet) and, with the OpenAI backend, whether the model endpoint
answers. Read-only: it never migrates or writes the database, and never prints a secret.
"""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.db import explain
from bot.db.connection import migrations, writable
from bot.db.inspect import digest_channels, integrity
from bot.settings import Settings, public_host, token_problem, token_user_id

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One finding."""

    level: str
    name: str
    detail: str

    def line(self) -> str:
        """``ok    database: schema 9 of 9, quick_check ok, 1.2 MB``."""
        return f"{self.level:<5} {self.name}: {self.detail}"


def check_token(settings: Settings) -> Check:
    """Set and shaped like a bot token (the id it names is public; the token never shown)."""
    if settings.discord_token is None:
        return Check(WARN, "token", "DISCORD_TOKEN is not set: only the demo and the CLI work")
    token = settings.discord_token.get_secret_value()
    problem = token_problem(token)
    if problem:
        return Check(FAIL, "token", f"DISCORD_TOKEN {problem}")
    return Check(OK, "token", f"shaped like a bot token (bot user {token_user_id(token)})")


def check_database(path: str) -> list[Check]:
    """Integrity, schema version, writable, private; read-only, never migrating."""
    if not Path(path).is_file():
        return [Check(WARN, "database", f"no database at {path} yet (hearth run creates it)")]
    try:
        check, version = integrity(path)
    except sqlite3.Error as exc:
        return [Check(FAIL, "database", explain(exc, path))]
    known = len(migrations())
    size = Path(path).stat().st_size / 1e6
    found = []
    if check != "ok":
        found.append(Check(FAIL, "database", f"{path} fails its integrity check: {check}"))
    elif version > known:
        found.append(
            Check(FAIL, "database", f"schema {version} is newer than this Hearth ({known})")
        )
    elif version < known:
        found.append(
            Check(
                WARN,
                "database",
                f"schema {version} of {known}: the next hearth run migrates it "
                "(hearth backup first, to be able to go back)",
            )
        )
    else:
        found.append(Check(OK, "database", f"{path}: schema {version}, intact, {size:.1f} MB"))
    if not writable(path):
        found.append(Check(FAIL, "database", f"{path} is read-only: hearth run must write it"))
    mode = stat.S_IMODE(Path(path).stat().st_mode)
    if mode & 0o077:
        found.append(
            Check(
                WARN,
                "database",
                f"{path} is readable by other users (mode {mode:04o}): it holds the "
                f"community's messages; chmod 600 {path}",
            )
        )
    return found


INTENTS = "Server Members Intent and Message Content Intent"


async def check_discord(
    settings: Settings, token: str, digest_channels: dict[int, int | None]
) -> list[Check]:
    """Log in over REST (no gateway): the token, the privileged intents, the guilds.
    ``digest_channels``: guild id -> digest channel id, as the database has them."""
    import aiohttp
    import discord

    from bot.app.client import point_at

    point_at(settings.discord_api_base, settings.discord_gateway_url)
    client = discord.Client(intents=discord.Intents.none())
    found: list[Check] = []
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            return [
                Check(
                    FAIL, "discord", "Discord rejected DISCORD_TOKEN: reset it (Bot > Reset Token)"
                )
            ]
        user = client.user
        found.append(Check(OK, "discord", f"logged in as {user} ({user.id if user else '?'})"))
        app = await client.application_info()
        flags = app.flags
        members = flags.gateway_guild_members or flags.gateway_guild_members_limited
        content = flags.gateway_message_content or flags.gateway_message_content_limited
        missing = [
            n for n, on in (("Server Members", members), ("Message Content", content)) if not on
        ]
        if missing:
            found.append(
                Check(
                    FAIL,
                    "intents",
                    f"{' and '.join(missing)} {'Intents are' if len(missing) > 1 else 'Intent is'}"
                    f" off: switch on {INTENTS} in the Developer "
                    "Portal (Bot > Privileged Gateway Intents)",
                )
            )
        else:
            found.append(Check(OK, "intents", f"{INTENTS} are on"))
        guilds = [g async for g in client.fetch_guilds(limit=None)]
        found.append(Check(OK if guilds else WARN, "guilds", _guilds_line(len(guilds))))
        for guild in guilds:
            if digest_channels.get(guild.id) is None:
                found.append(
                    Check(
                        WARN,
                        "guild",
                        f"{guild.name} ({guild.id}) has no digest channel yet: an admin runs "
                        "/hearth setup there",
                    )
                )
    except discord.HTTPException as exc:
        found.append(Check(FAIL, "discord", f"Discord answered HTTP {exc.status} ({exc.code})"))
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        os_error = getattr(exc, "os_error", None)  # aiohttp's own text repeats the URL
        reason = getattr(os_error, "strerror", None) or type(exc).__name__
        where = public_host(settings.discord_api_base)
        found.append(Check(FAIL, "discord", f"cannot reach Discord at {where}: {reason}"))
    finally:
        await client.close()
    return found


def _guilds_line(n: int) -> str:
    if n == 0:
        return "the bot is in no guild yet: invite it (see README)"
    return f"the bot is in {n} guild{'' if n == 1 else 's'}"


async def check_model(settings: Settings) -> Check:
    """Whether the OpenAI-compatible endpoint answers (``GET /models``)."""
    if settings.summarizer != "openai":
        return Check(OK, "summarizer", "extractive: works offline, no model needed")
    if settings.openai_api_key is None:
        return Check(FAIL, "summarizer", "HEARTH_SUMMARIZER=openai but OPENAI_API_KEY is not set")
    from bot.recap.summarize.probe import probe_endpoint

    key = settings.openai_api_key.get_secret_value()
    level, detail = await probe_endpoint(key, settings.openai_base_url, settings.model)
    return Check(level, "summarizer", detail)


async def run_doctor(settings: Settings, db: str) -> list[Check]:
    """Every check, in order."""
    found = [
        Check(
            OK,
            "settings",
            f"loaded (summarizer {settings.summarizer}, log level {settings.log_level})",
        ),
        check_token(settings),
    ]
    found += check_database(db)
    if found[1].level == OK and settings.discord_token is not None:
        found += await check_discord(
            settings, settings.discord_token.get_secret_value(), _digest_channels(db)
        )
    found.append(await check_model(settings))
    return found


def _digest_channels(db: str) -> dict[int, int | None]:
    if not Path(db).is_file():
        return {}
    try:
        return digest_channels(db)
    except sqlite3.Error:
        return {}  # check_database said why
