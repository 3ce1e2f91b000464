"""Run the bot process until it is stopped (SIGINT/SIGTERM flush pending writes first)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app.instance import single_instance
from bot.db import check_writable
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_bot(settings: Settings) -> int:
    """Connect and serve; returns the process exit status."""
    token = settings.require_token()
    settings.require_openai()
    # Imported here so that `hearth demo` and `hearth import` never load discord.py.
    from bot.app.client import start_bot

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    check_writable(settings.db_path)  # one line now, not a failed write once connected
    with single_instance(settings.db_path) as lease:  # before Discord: a second sends nothing
        await start_bot(settings, token, stop, lease.beat if lease else None)
    log.info("stopped")
    return 0
