"""Import DiscordChatExporter (DCE) JSON exports, streaming: ``{"guild", "channel", "messages"}``.

Files are parsed with ijson a chunk at a time, so memory stays flat however large the export.
Messages are written ``batch_size`` at a time, one transaction each: on an error the committed
batches stay, the pending one is not written, and importing again is harmless (idempotent).

What an export cannot tell is not written: roles get their names (so ``<@&id>`` renders) but
no permission bits and no holders (a guess would corrupt who may see what), and members get
no presence (``ensure_many``).
A guild known only from exports gets an @everyone role that can read, since its exported
channels evidently were readable; the live snapshot replaces it when the bot connects. As
in the live archive, bots' messages are skipped. Known channels are only filled in, never
renamed or revived; a channel the store marked deleted gets none of its messages back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.db import Store, explain, is_temporary
from bot.ingest.dce_stream import ExportFormatError, Items, file_items
from bot.models import (
    ChannelRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    ReactionRecord,
    RoleRecord,
)
from bot.timeutil import parse_iso

log = logging.getLogger(__name__)

# fmt: off
_CHANNEL_KINDS: dict[str, Any] = {
    "GuildTextChat": "text", "GuildNews": "news", "GuildForum": "forum",
    "GuildCategory": "category", "GuildVoiceChat": "voice", "GuildStageVoice": "voice",
    "GuildPublicThread": "thread", "GuildNewsThread": "thread",
    "GuildPrivateThread": "private_thread",
}
# fmt: on
# Where DCE's name differs from discord.py's MessageType name (what the live archive stores).
_MESSAGE_KINDS = {"GuildMemberJoin": "new_member", "ChannelPinnedMessage": "pins_add"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
_ROLE = re.compile(r"<@&(\d{15,20})>")
_EVERYONE = re.compile(r"@(?:everyone|here)\b")

Progress = Callable[[int], None] | None


EXPORTED_READABLE = (1 << 10) | (1 << 16)  # VIEW_CHANNEL | READ_MESSAGE_HISTORY


class ImportStoppedError(Exception):
    """The database failed during an import (full, locked, read-only): the text says why and
    how many messages were stored first (``committed``, whole batches)."""

    def __init__(self, message: str, committed: int, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.committed = committed
        self.temporary = temporary


@dataclass(frozen=True, slots=True)
class ImportResult:
    """One import. ``skipped`` = ``messages - new``: stored before, paused, excluded, bots."""

    file: str
    guild_id: int
    channel_id: int
    channel_name: str
    messages: int
    new: int
    skipped: int
    bytes_read: int = 0

    def line(self) -> str:
        """``file: 520 messages imported, 520 new, 0 skipped, 1 channel``."""
        counts = f"{self.messages} messages imported, {self.new} new, {self.skipped} skipped"
        return f"{self.file}: {counts}, 1 channel"


# A converted message: the record, the users it names (author, mentioned, reactors), reactions.
_Row = tuple[MessageRecord, list[MemberRecord], list[ReactionRecord], list[RoleRecord]]


async def import_file(
    store: Store,
    path: str | Path,
    *,
    progress: Progress = None,
    batch_size: int = 500,
    on_bytes: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one DCE JSON file, streaming. ``progress(n)``: messages read, after each one;
    ``on_bytes(read, total)``: bytes parsed, after each chunk (for a percentage)."""
    source, done = str(path), [0]
    items = file_items(Path(path), source, done, on_bytes)
    result = await _import(store, source, items, progress, batch_size)
    return dataclasses.replace(result, bytes_read=done[0])


async def import_export(
    store: Store,
    export: dict[str, Any],
    *,
    source: str = "<memory>",
    progress: Progress = None,
    batch_size: int = 500,
) -> ImportResult:
    """Import a DCE-shaped dict built in memory (``hearth demo``): same path as files."""
    if not isinstance(export, dict) or not isinstance(export.get("messages"), Iterable):
        raise ExportFormatError(f"{source}: not a DiscordChatExporter export (no 'messages')")
    return await _import(store, source, _dict_items(export), progress, batch_size)


async def _dict_items(export: dict[str, Any]) -> Items:
    yield "guild", export.get("guild")
    yield "channel", export.get("channel")
    for message in export["messages"]:
        yield "message", message


async def _import(
    store: Store, source: str, items: Items, progress: Progress, batch_size: int
) -> ImportResult:
    """The shared path: header items, then messages, written ``batch_size`` at a time."""
    header: dict[str, Any] = {}
    channel: ChannelRecord | None = None
    blocked = False
    batch: list[_Row] = []
    read = new = committed = 0
    try:
        async with contextlib.aclosing(items):
            async for kind, value in items:
                if kind != "message":
                    header[kind] = value
                    continue
                if channel is None:
                    channel, blocked = await _write_header(store, source, header)
                read += 1
                row = _message(source, read, value, channel)
                if row is not None and not blocked:
                    batch.append(row)
                if len(batch) >= batch_size:
                    new += await _write_batch(store, channel, batch)
                    batch, committed = [], read
                if progress is not None:
                    progress(read)
        if channel is None:  # an export without messages still records its channel
            channel, blocked = await _write_header(store, source, header)
        new += await _write_batch(store, channel, batch) if batch else 0
        committed = read
        if read and not blocked:  # the whole export is in: a first backfill may start after it
            async with store.transaction():
                await store.cursors.start_at(
                    channel.id, await store.messages.newest_id(channel.id) or 0
                )
    except ExportFormatError as exc:
        exc.committed = committed
        raise
    except sqlite3.Error as exc:  # the disk, not the file: the next file would fail alike
        why = explain(exc, store.path)
        raise ImportStoppedError(
            f"{source}: stopped after {committed:,} messages (those are in; importing "
            f"the file again adds the rest): {why}"
            if committed
            else f"{why} (nothing of {source} was stored)",
            committed,
            temporary=is_temporary(exc),
        ) from None
    log.debug("imported %s: %d messages read, %d new", source, read, new)
    return ImportResult(source, channel.guild_id, channel.id, channel.name, read, new, read - new)


def _snowflake(value: Any, what: str = "id") -> int:
    # Discord ids are positive and fit SQLite's signed 64-bit INTEGER.
    if isinstance(value, bool) or not str(value).isdigit() or not 0 < int(value) < 2**63:
        raise ValueError(f"bad {what} {value!r}")
    return int(value)


async def _write_header(
    store: Store, source: str, header: dict[str, Any]
) -> tuple[ChannelRecord, bool]:
    """Guild, parent and channel in one transaction; also whether the channel was deleted."""
    guild, channel = header.get("guild"), header.get("channel")
    if not isinstance(guild, dict) or not isinstance(channel, dict):
        missing = "channel" if isinstance(guild, dict) else "guild"
        raise ExportFormatError(f"{source}: not a DiscordChatExporter export (no '{missing}')")
    dce_type = str(channel.get("type", ""))
    if dce_type.startswith("Direct") or str(guild.get("id")) == "0":
        raise ExportFormatError(f"{source}: direct-message exports are not supported")
    try:
        guild_id = _snowflake(guild.get("id"), "guild id")
        channel_id = _snowflake(channel.get("id"), "channel id")
        category = channel.get("categoryId")
        parent_id = _snowflake(category, "categoryId") if category else None
    except ValueError as exc:
        raise ExportFormatError(f"{source}: header: {exc}") from None
    kind = _CHANNEL_KINDS.get(dce_type, "other")
    # A thread's categoryId is its parent channel (a forum cannot be told from a text channel).
    parent_kind = "category"
    if kind in ("thread", "private_thread"):
        parent_kind = "news" if dce_type == "GuildNewsThread" else "text"
    name, topic = str(channel.get("name") or ""), str(channel.get("topic") or "") or None
    record = ChannelRecord(
        channel_id, guild_id, kind, name, parent_id, topic, private=kind == "private_thread"
    )
    async with store.transaction():
        await _same_guild(store, source, guild_id, channel_id, parent_id)
        await store.guilds.ensure(guild_id, str(guild.get("name") or ""))
        await store.guilds.ensure_default_role(guild_id, EXPORTED_READABLE)
        if parent_id is not None:
            parent_name = str(channel.get("category") or "")
            await store.channels.ensure(parent_id, guild_id, parent_kind, parent_name)
        stored = await _merge_channel(store, record)
    if stored.deleted:
        log.warning("channel %d was deleted: its messages are not imported", stored.id)
    return record, stored.deleted


async def _same_guild(store: Store, source: str, guild_id: int, *channel_ids: int | None) -> None:
    """Refuse an export whose channel (or parent) is stored under another guild: its messages
    would be invisible from both (visibility is decided per guild)."""
    for channel_id in channel_ids:
        known = await store.channels.get(channel_id) if channel_id is not None else None
        if known is not None and known.guild_id != guild_id:
            raise ExportFormatError(
                f"{source}: channel {channel_id} belongs to guild {known.guild_id} in the "
                f"database, but this export says guild {guild_id}; nothing of it was imported"
            )


async def _merge_channel(store: Store, channel: ChannelRecord) -> ChannelRecord:
    """Insert a channel, or fill only the blanks (name, parent) of a known one."""
    known = await store.channels.get(channel.id)
    if known is None:
        await store.channels.upsert(channel)
        return channel
    name, parent_id = known.name or channel.name, known.parent_id or channel.parent_id
    if (name, parent_id) != (known.name, known.parent_id) and not known.deleted:
        merged = dataclasses.replace(known, name=name, parent_id=parent_id, overwrites=None)
        await store.channels.upsert(merged)
    return known


def _user(ctx: ChannelRecord, user: dict[str, Any]) -> MemberRecord:
    user_id = _snowflake(user["id"], "user id")
    name, nick = str(user.get("name") or ""), str(user.get("nickname") or "")
    return MemberRecord(ctx.guild_id, user_id, name, nick, is_bot=bool(user.get("isBot")))


def _mentions(users: list[MemberRecord], content: str, *, reply: bool) -> tuple[Mention, ...]:
    """Users from DCE's list; roles and @everyone/@here from the text (not in code).

    DCE lists the author a reply pings among a reply's mentions; the live archive (like
    discord.py's ``raw_mentions``) counts only mentions written in the text, and a reply is
    already its own ranking signal. So on replies, keep the users the text names.
    """
    text = _CODE.sub("", content)
    if reply:
        users = [u for u in users if _named(u, text)]
    found = [Mention("user", u.user_id) for u in users]
    found += [Mention("role", int(r)) for r in _ROLE.findall(text)]
    if _EVERYONE.search(text):
        found.append(Mention("everyone", 0))
    return tuple(dict.fromkeys(found))


def _named(user: MemberRecord, text: str) -> bool:
    """Whether the text mentions the user (DCE writes ``@Nickname``; raw ``<@id>`` also)."""
    names = {n for n in (user.name, user.display_name) if n}
    return (
        f"<@{user.user_id}>" in text
        or f"<@!{user.user_id}>" in text
        or any(f"@{n}" in text for n in names)
    )


def _message(source: str, index: int, raw: Any, ctx: ChannelRecord) -> _Row | None:
    """Validate and convert message #index (1-based); None for a bot's message."""
    label = f"message #{index}"
    try:
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        message_id = _snowflake(raw["id"])
        label += f" (id {message_id})"
        author = _user(ctx, raw["author"])
        if author.is_bot:
            return None
        created, edited = raw["timestamp"], raw.get("timestampEdited")
        if not isinstance(created, str) or not isinstance(edited, str | None):
            raise ValueError("a timestamp is not text")
        content = raw.get("content") or ""
        if not isinstance(content, str):
            raise ValueError("content is not text")
        dce_type = str(raw.get("type") or "Default")
        kind = _MESSAGE_KINDS.get(dce_type) or _CAMEL.sub("_", dce_type).lower()
        ref = raw.get("reference") or {}
        mentioned = [_user(ctx, u) for u in raw.get("mentions") or ()]
        reactors: list[MemberRecord] = []
        reactions: list[ReactionRecord] = []
        for reaction in raw.get("reactions") or ():
            emoji = reaction["emoji"]
            key = f"{emoji['name']}:{emoji['id']}" if emoji.get("id") else str(emoji["name"])
            for user in reaction.get("users") or ():
                reactors.append(_user(ctx, user))
                reactions.append(ReactionRecord(message_id, reactors[-1].user_id, key))
        reply_to = started = None
        if kind == "reply" and ref.get("messageId"):
            reply_to = _snowflake(ref["messageId"], "reference.messageId")
        if kind == "thread_created" and ref.get("channelId"):
            started = _snowflake(ref["channelId"], "reference.channelId")
        record = MessageRecord(
            id=message_id,
            guild_id=ctx.guild_id,
            channel_id=ctx.id,
            author_id=author.user_id,
            created_at=parse_iso(created),
            content=content,
            edited_at=parse_iso(edited) if edited else None,
            reply_to_id=reply_to,
            kind=kind,
            started_thread_id=started if started != ctx.id else None,
            attachments=len(raw.get("attachments") or ()),
            pinned=bool(raw.get("isPinned")),
            mentions=_mentions(mentioned, content, reply=kind == "reply"),
        )
        roles = [
            RoleRecord(
                _snowflake(r["id"], "role id"),
                ctx.guild_id,
                str(r.get("name") or ""),
                0,
                int(r.get("position") or 0),
            )
            for u in (raw["author"], *(raw.get("mentions") or ()))
            for r in u.get("roles") or ()
        ]
    except KeyError as exc:
        raise ExportFormatError(f"{source}: {label}: missing {exc}") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise ExportFormatError(f"{source}: {label}: malformed: {exc}") from None
    return record, [author, *mentioned, *reactors], reactions, roles


async def _write_batch(store: Store, ctx: ChannelRecord, rows: list[_Row]) -> int:
    """One transaction: members seen, thread markers, messages, reactions. Returns new."""
    users = {u.user_id: u for _, seen, _, _ in rows for u in seen if u.name}
    async with store.transaction():
        await store.members.ensure_many(users.values())
        await store.guilds.ensure_roles({r.id: r for *_, roles in rows for r in roles}.values())
        for thread_id in {m.started_thread_id for m, *_ in rows if m.started_thread_id}:
            thread = ChannelRecord(thread_id, ctx.guild_id, "thread", parent_id=ctx.id)
            await _merge_channel(store, thread)
        new = await store.messages.insert_many([m for m, *_ in rows])
        await store.messages.add_reactions(r for _, _, reactions, _ in rows for r in reactions)
    return new
