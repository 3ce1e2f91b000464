"""Catch up on what was said while the bot was away.

For each readable, tracked channel and active thread, read ``history(after=cursor)`` oldest
first and queue the messages; the cursor moves with them in the same transactions. Re-running
is harmless: inserts are idempotent and the cursor never moves back.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable

import discord

from bot.ingest.writer import ArchiveWriter
from bot.models import MemberRecord
from bot.services.archive import ArchiveService
from bot.timeutil import snowflake_at, utcnow
from cogs.archive import convert

log = logging.getLogger(__name__)

PROGRESS_EVERY = 5.0  # seconds between progress log lines
CURSOR_EVERY = 200  # messages between cursor checkpoints


def _loggable(
    guild: discord.Guild, extra: Iterable[discord.Thread] = ()
) -> Iterable[discord.TextChannel | discord.Thread]:
    yield from guild.text_channels
    for thread in guild.threads:
        if not thread.archived:
            yield thread
    yield from extra  # threads that archived while the bot was away


async def backfill_guild(
    guild: discord.Guild,
    archive: ArchiveService,
    writer: ArchiveWriter,
    *,
    days: int,
    on_channel_done: set[int] | None = None,
    extra: Iterable[discord.Thread] = (),
) -> int:
    """Backfill every tracked channel of ``guild`` (and ``extra`` threads); returns how many
    messages were read."""
    await writer.flush()
    tracked = await archive.tracked(guild.id)
    total = 0
    last_log = time.monotonic()
    for channel in _loggable(guild, extra):
        if channel.id not in tracked or not convert.can_read(channel):
            continue
        cursor = await archive.cursor(channel.id)
        if cursor is None:
            if days <= 0:
                if on_channel_done is not None:
                    on_channel_done.add(channel.id)
                continue
            cursor = snowflake_at(utcnow() - dt.timedelta(days=days))
        read = 0
        last_id = cursor
        authors: dict[int, discord.abc.User] = {}
        try:
            async for message in channel.history(
                after=discord.Object(id=cursor), limit=None, oldest_first=True
            ):
                last_id = message.id
                read += 1
                if not message.author.bot:
                    record = convert.message_record(message)
                    if record is not None:
                        writer.message(record)
                        authors[message.author.id] = message.author
                if read % CURSOR_EVERY == 0:
                    _checkpoint(writer, guild, channel.id, last_id, authors)
                    await writer.backpressure()
                if time.monotonic() - last_log >= PROGRESS_EVERY:
                    last_log = time.monotonic()
                    log.info("backfill %s #%s: %d messages so far", guild.name, channel.name, read)
        except discord.Forbidden:
            log.info("backfill skipped #%s: no access", channel.name)
            continue
        except discord.HTTPException as exc:
            log.warning(
                "backfill of #%s stopped at %s: %s; will resume", channel.name, last_id, exc
            )
            _checkpoint(writer, guild, channel.id, last_id, authors)
            continue
        _checkpoint(writer, guild, channel.id, last_id, authors)
        if on_channel_done is not None:
            on_channel_done.add(channel.id)
        total += read
        if read:
            log.info("backfill %s #%s: %d messages caught up", guild.name, channel.name, read)
    await writer.flush()
    return total


def _checkpoint(
    writer: ArchiveWriter,
    guild: discord.Guild,
    channel_id: int,
    last_id: int,
    authors: dict[int, discord.abc.User],
) -> None:
    """Queue the authors seen and the cursor behind the messages already queued."""
    writer.authors(
        [MemberRecord(guild.id, u.id, u.name, u.display_name, u.bot) for u in authors.values()]
    )
    authors.clear()
    writer.cursor(channel_id, last_id)
