"""``hearth digest``, ``hearth recap`` and ``hearth ask``: the recap engine over a database,
printed as Markdown."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator

from bot.db import Store
from bot.errors import CliError
from bot.models import Member
from bot.recap import RecapService, render_markdown
from bot.recap.ask import search
from bot.recap.render_answer import render_answer
from bot.recap.render_json import digest_json
from bot.recap.summarize.backend import build_recaps, close_recaps
from bot.settings import Settings
from bot.timeutil import parse_iso, utcnow


def _when(flag: str, value: str) -> dt.datetime:
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise CliError(
            f"{flag} {value!r} is not an ISO 8601 date or time, e.g. 2026-11-23 ({exc})"
        ) from None


def window(args: argparse.Namespace) -> tuple[dt.datetime, dt.datetime]:
    """--since/--until as aware UTC datetimes (a date alone means midnight UTC)."""
    until = _when("--until", args.until) if args.until else utcnow()
    since = _when("--since", args.since) if args.since else until - dt.timedelta(days=7)
    if since >= until:
        raise CliError(f"--since ({since:%Y-%m-%d %H:%M}) must be before --until")
    return since, until


async def _guild(store: Store, wanted: int | None) -> int:
    guilds = await store.guilds.list()
    if wanted is not None:
        if not any(g.id == wanted for g in guilds):
            raise CliError(f"no guild {wanted} in this database (try `hearth stats`)")
        return wanted
    if len(guilds) != 1:
        names = ", ".join(f"{g.id} ({g.name})" for g in guilds) or "none"
        raise CliError(f"pass --guild: this database holds {len(guilds)} guilds: {names}")
    return guilds[0].id


@contextlib.asynccontextmanager
async def _service(store: Store, settings: Settings) -> AsyncIterator[RecapService]:
    """The recap service as the bot builds it, closed after."""
    recaps = build_recaps(store, settings)
    try:
        yield recaps
    finally:
        await close_recaps(recaps)


async def _hint(store: Store, guild_id: int, since: dt.datetime, until: dt.datetime) -> str:
    stats = await store.stats.archive(guild_id)
    if not stats.messages or stats.first_message_at is None or stats.last_message_at is None:
        return "\n_Nothing is stored for this guild yet: run the bot or `hearth import`._"
    if stats.last_message_at < since or stats.first_message_at >= until:
        return (
            f"\n_No messages in this window. The archive spans "
            f"{stats.first_message_at:%Y-%m-%d} to {stats.last_message_at:%Y-%m-%d}: "
            f"try --since {stats.first_message_at:%Y-%m-%d} --until "
            f"{(stats.last_message_at + dt.timedelta(days=1)):%Y-%m-%d}._"
        )
    return ""


async def print_digest(settings: Settings, args: argparse.Namespace, db: str) -> str:
    """The circle digest as Markdown."""
    since, until = window(args)
    async with await Store.open(db, create=False) as store:
        guild_id = await _guild(store, args.guild)
        if args.channel is not None and args.channel not in {
            c.id for c in await store.channels.list(guild_id)
        }:
            raise CliError(f"no channel {args.channel} in guild {guild_id} (try `hearth stats`)")
        async with _service(store, settings) as service:
            digest = await service.digest(guild_id, since, until, channel_id=args.channel)
        if args.json:
            return json.dumps(digest_json(digest), ensure_ascii=False, indent=2)
        return render_markdown(digest) + await _hint(store, guild_id, since, until)


async def print_recap(settings: Settings, args: argparse.Namespace, db: str) -> str:
    """One member's recap as Markdown."""
    since, until = window(args)
    async with await Store.open(db, create=False) as store:
        guild_id = await _guild(store, args.guild)
        member = await _member(store, guild_id, args.member)
        async with _service(store, settings) as service:
            recap = await service.recap(guild_id, member.user_id, since, until)
        head = f"_Recap for {member.label} ({member.user_id})_\n\n"
        return head + render_markdown(recap) + await _hint(store, guild_id, since, until)


async def _member(store: Store, guild_id: int, wanted: str) -> Member:
    found = await store.members.find(guild_id, wanted)
    if not found:
        raise CliError(f"no member {wanted!r} in guild {guild_id}")
    if len(found) > 1:
        ids = ", ".join(str(m.user_id) for m in found)
        raise CliError(f"{wanted!r} matches several members ({ids}): pass an id")
    return found[0]


async def print_answer(args: argparse.Namespace, db: str) -> str:
    """The messages that answer a question, among those the member can read."""
    if args.limit < 1:
        raise CliError(f"--limit must be 1 or more, not {args.limit}")
    async with await Store.open(db, create=False) as store:
        guild_id = await _guild(store, args.guild)
        member = await _member(store, guild_id, args.member)
        answer = await search(store, guild_id, member.user_id, args.question, limit=args.limit)
    return f"_Asked as {member.label} ({member.user_id})_\n\n" + render_answer(answer)
