"""Reconcile what changed while the bot was away (run on every fresh session, before backfill).

A RESUMED session replays what it missed; a new session (READY) does not. Then:

* members absent from the (chunked) member list left meanwhile;
* channels absent from the guild were deleted meanwhile (their content goes, as live);
* threads the store thinks active that are not active any more archived or were deleted:
  each is looked up once (deleted: content goes; archived: stored, its members re-read and
  its history caught up by the backfill);
* the recent window (what a digest or recap can still show) of every readable channel is
  read again: a stored message missing from a complete read was deleted, one whose text
  differs was edited.

Every decision is a queued write, applied in order with live events. An edit only ever moves
a message's text forward (``edited_at``), and a message is only taken as deleted when the read
of its range finished without error, so a failed or partial read never deletes anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import discord

from bot.ingest.writer import ArchiveWriter
from bot.models import THREAD_KINDS
from bot.services.archive import ArchiveService
from bot.timeutil import snowflake_at, utcnow
from cogs.archive import convert

log = logging.getLogger(__name__)

RECHECK_DAYS = 8  # a weekly digest or a 7-day recap shows at most this far back
MAX_RECHECK = 20_000  # messages re-read per channel; past that, no deletion is concluded
MAX_THREAD_LOOKUPS = 200  # threads looked up one by one per guild and session
PROGRESS_EVERY = 5.0


async def reconcile_guild(
    guild: discord.Guild,
    archive: ArchiveService,
    writer: ArchiveWriter,
    *,
    days: int = RECHECK_DAYS,
) -> list[discord.Thread]:
    """Reconcile one guild; returns threads that archived meanwhile (for the backfill)."""
    await writer.drain()  # the snapshot (present members, channels) lands first
    await _absent_members(guild, archive, writer)
    await _deleted_channels(guild, archive, writer)
    recent = await _recently_archived(guild, days)
    archived = await _inactive_threads(guild, archive, writer, recent)
    await writer.drain()
    since = snowflake_at(utcnow() - dt.timedelta(days=max(days, 0)))
    channels: list[discord.TextChannel | discord.Thread] = [
        *guild.text_channels,
        *(t for t in guild.threads if not t.archived),
        *archived,
    ]
    tracked = await archive.tracked(guild.id)
    checked = 0
    for channel in channels:
        if channel.id in tracked and convert.can_read(channel):
            checked += await _recheck(channel, archive, writer, since)
    await writer.drain()
    log.info("reconciled %s: %d recent messages re-read", guild.name, checked)
    return archived


async def _absent_members(
    guild: discord.Guild, archive: ArchiveService, writer: ArchiveWriter
) -> None:
    if not guild.chunked:
        log.warning(
            "member list of %s is incomplete (not chunked): members who left while Hearth "
            "was away stay until they are seen leaving",
            guild.name,
        )
        return
    present = {m.id for m in guild.members}
    stored = await archive.present(guild.id)
    now = utcnow()
    gone = [m.user_id for m in stored if m.user_id not in present]
    for user_id in gone:
        writer.member_left(guild.id, user_id, now)
    if gone:
        log.info("%s: %d members left while Hearth was away", guild.name, len(gone))


async def _deleted_channels(
    guild: discord.Guild, archive: ArchiveService, writer: ArchiveWriter
) -> None:
    present = {c.id for c in guild.channels}
    gone = [
        c.id
        for c in await archive.channels(guild.id)
        if c.kind not in THREAD_KINDS and c.id not in present
    ]
    for channel_id in gone:
        writer.channel_deleted(channel_id)
    if gone:
        log.info("%s: %d channels were deleted while Hearth was away", guild.name, len(gone))


async def _recently_archived(guild: discord.Guild, days: int) -> dict[int, discord.Thread]:
    """Threads archived in the last ``days`` (public, forum posts, and private ones the bot
    is in): GUILD_CREATE lists only active threads, so messages sent in a thread before it
    archived while the bot was away are read from these."""
    cutoff = utcnow() - dt.timedelta(days=max(days, 0))
    found: dict[int, discord.Thread] = {}
    channels: list[discord.TextChannel | discord.ForumChannel] = [
        *guild.text_channels,
        *guild.forums,
    ]
    for channel in channels:
        if not convert.can_read(channel):
            continue
        listings = [channel.archived_threads(limit=None)]
        if isinstance(channel, discord.TextChannel):
            listings.append(channel.archived_threads(private=True, joined=True, limit=None))
        for listing in listings:
            try:
                async for thread in listing:
                    if thread.archive_timestamp < cutoff:
                        break  # newest first (joined private ones: by id, close enough)
                    found[thread.id] = thread
                    if len(found) >= MAX_THREAD_LOOKUPS:
                        return found
            except discord.HTTPException as exc:
                log.info("archived threads of #%s not listed: %s", channel.name, exc)
    return found


async def _inactive_threads(
    guild: discord.Guild,
    archive: ArchiveService,
    writer: ArchiveWriter,
    recent: dict[int, discord.Thread],
) -> list[discord.Thread]:
    """Recently archived threads (stored anew, members re-read) and threads stored as active
    that Discord no longer lists as active (looked up: deleted, or archived)."""
    active = {t.id for t in guild.threads}
    stale = [
        c
        for c in await archive.channels(guild.id)
        if c.kind in THREAD_KINDS and not c.archived and c.id not in active and c.id not in recent
    ]
    archived: list[discord.Thread] = []
    for thread in recent.values():
        await _store_thread(thread, writer)
        archived.append(thread)
    for record in stale[:MAX_THREAD_LOOKUPS]:
        try:
            channel = await guild.fetch_channel(record.id)
        except discord.NotFound:
            writer.channel_deleted(record.id)
            continue
        except discord.HTTPException as exc:  # Forbidden included: cannot follow it any more
            log.info("thread %s could not be looked up (%s): left as it is", record.id, exc)
            if record.kind == "private_thread":
                writer.thread_members_replaced(record.id, [])  # fail closed
            continue
        if isinstance(channel, discord.Thread):
            await _store_thread(channel, writer)
            archived.append(channel)
    if len(stale) > MAX_THREAD_LOOKUPS:
        log.warning("%s: %d threads left to look up next session", guild.name, len(stale))
    return archived


async def _store_thread(thread: discord.Thread, writer: ArchiveWriter) -> None:
    writer.channel(convert.channel_record(thread))
    await refresh_thread_members(thread, writer)


async def refresh_thread_members(thread: discord.Thread, writer: ArchiveWriter) -> None:
    """Replace a private thread's stored members with Discord's list (GET thread-members).

    The list is not in GUILD_CREATE and members may have left while the bot was away. If it
    cannot be read, nobody is known to be in the thread: fail closed, only those who manage
    threads read it until a later list.
    """
    if not thread.is_private():
        return
    try:
        members = await thread.fetch_members()
    except discord.HTTPException as exc:
        log.warning("could not list members of private thread %s: %s", thread.id, exc)
        members = []
    writer.thread_members_replaced(thread.id, [m.id for m in members])


async def _recheck(
    channel: discord.TextChannel | discord.Thread,
    archive: ArchiveService,
    writer: ArchiveWriter,
    since: int,
) -> int:
    """Re-read the stored part of the recent window; apply edits and deletions."""
    cursor = await archive.cursor(channel.id)
    if cursor is None or cursor <= since:
        return 0  # nothing stored in the window yet: the backfill reads it
    stored = await archive.stored(channel.id, since, cursor)
    if not stored:
        return 0
    seen: set[int] = set()
    complete = True
    last_log = time.monotonic()
    try:
        async for message in channel.history(
            after=discord.Object(id=since),
            before=discord.Object(id=cursor + 1),
            limit=MAX_RECHECK,
            oldest_first=True,
        ):
            seen.add(message.id)
            known = stored.get(message.id)
            if known is not None and not message.author.bot and message.edited_at is not None:
                content, edited_at = known
                newer = edited_at is None or edited_at < message.edited_at
                if content != message.content and newer:
                    record = convert.message_record(message)
                    if record is not None:
                        writer.edit(record)
            if time.monotonic() - last_log >= PROGRESS_EVERY:
                last_log = time.monotonic()
                log.info("reconcile #%s: %d messages re-read so far", channel.name, len(seen))
    except discord.HTTPException as exc:
        log.warning("reconcile of #%s stopped (%s): no deletions concluded", channel.name, exc)
        complete = False
    if len(seen) >= MAX_RECHECK:
        complete = False
    if complete:
        deleted = sorted(set(stored) - seen)
        if deleted:
            writer.delete(deleted)
            log.info("reconcile #%s: %d messages deleted meanwhile", channel.name, len(deleted))
    await writer.backpressure()
    return len(seen)
