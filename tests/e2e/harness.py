"""Run the real Hearth bot against the Discord double: in the test's loop, or as a process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.app.client import HearthBot
from bot.db import Store
from bot.settings import Settings
from testing.discord_double.server import DiscordDouble


class FastHearthBot(HearthBot):
    """Hearth with discord.py's test-hostile waits removed (5 s before re-IDENTIFY)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def settings_for(double: DiscordDouble, db_path: Path, **extra: Any) -> Settings:
    """Settings that point the bot at the double and a fresh database."""
    return Settings(
        DISCORD_TOKEN=double.token,
        HEARTH_DB=str(db_path),
        DISCORD_API_BASE=double.api_base,
        DISCORD_GATEWAY_URL=double.gateway_url,
        HEARTH_BACKFILL_DAYS=extra.pop("backfill_days", 30),
        **extra,
    )


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll ``check`` until it is true, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_bot(
    double: DiscordDouble, db_path: Path, **extra: Any
) -> AsyncIterator[FastHearthBot]:
    """A Hearth bot connected to the double, ready and with its first backfill done.

    ``clock``, ``dm_interval`` and ``extensions`` go to the bot; the rest are settings.
    """
    options = {k: extra.pop(k) for k in ("clock", "dm_interval", "extensions") if k in extra}
    bot = FastHearthBot(settings_for(double, db_path, **extra), guild_ready_timeout=0.05, **options)
    await bot.login(double.token)
    runner = asyncio.create_task(bot.connect(reconnect=True))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        archive = bot.get_cog("Archive")
        await eventually(lambda: _backfilled(archive), what="first backfill")
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, 10)


async def _backfilled(archive: Any) -> bool:
    return archive is not None and archive.backfills_done >= 1


async def settle(bot: HearthBot) -> None:
    """Let dispatched events reach the writer, then commit them."""
    await asyncio.sleep(0.05)
    await bot.writer.flush()


async def count(store: Store, sql: str, *args: object) -> int:
    """One integer from the store."""
    async with store.conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


class BotProcess:
    """``python -m bot run`` as a separate process, as a user would start it."""

    def __init__(self, double: DiscordDouble, db_path: Path, log_path: Path) -> None:
        self.double = double
        self.db_path = db_path
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTH_"))}
        return {
            **keep,
            "DISCORD_TOKEN": self.double.token,
            "DISCORD_API_BASE": self.double.api_base,
            "DISCORD_GATEWAY_URL": self.double.gateway_url,
            "HEARTH_DB": str(self.db_path),
            "HEARTH_LOG_LEVEL": "INFO",
            "HEARTH_BACKFILL_DAYS": "30",
        }

    def start(self) -> None:
        """Start the bot process (its log goes to ``log_path``)."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=self.env(),
            stdout=log,
            stderr=log,
            cwd=self.db_path.parent,
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL: no flush, no goodbye."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        """SIGTERM and wait: pending writes are flushed."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        return self.proc.returncode

    def log(self) -> str:
        """Everything the process printed."""
        return self.log_path.read_text(errors="replace")
