"""What the store holds about one member of one guild: counts, an export, and forgetting it.

Every table with a user column is covered (``tests/bot/test_privacy.py`` checks it against the
live schema):

====================  ==========================================================  ===========
table                 rows                                                        forget
====================  ==========================================================  ===========
messages              they wrote (with every mention and reaction *on* them)      delete
mentions              of them, in anyone's message                                delete
reactions             they added                                                  delete
thread_members        their thread memberships                                    delete
member_roles          their roles                                                 delete
member_interests      their declared interests                                    delete
deliveries            their DM recaps                                             delete
deliveries.payload    unfinished deliveries' renderings, in their guild           delete
summary_cache         cached summaries of conversations that included them        delete
members               their row (preferences, names)                              delete
channels.owner_id     threads they started (other people wrote in them)           anonymise
guilds.owner_id       the guild they own                                          anonymise
channel_overwrites    per-member permission overwrites set by admins              kept
====================  ==========================================================  ===========

Member overwrites are kept on purpose: they are the server's permission settings, not
something the member said, and deleting a *deny* would widen what recaps show them.

Deleting a message row must not let backfill fetch it again: when a channel has no backfill
cursor its newest stored message stands in for one, so forgetting (or purging) first pins the
cursor at that message. Like every repository this one never commits.
"""

from __future__ import annotations

from typing import Any

import aiosqlite

from bot.db._util import when
from bot.db.deliveries import IN_GUILD
from bot.db.search import merge_index

_MINE = "SELECT id FROM messages WHERE guild_id = ?1 AND author_id = ?2"
# Driven from the member's own rows (reactions_user / mentions_target), each checked against
# its message by primary key: ``message_id IN (every id of the guild)`` read the whole guild.
_ON_GUILD = "EXISTS (SELECT 1 FROM messages m WHERE m.id = {}.message_id AND m.guild_id = ?1)"
_THREADS = "SELECT id FROM channels WHERE guild_id = ?1"
# Cached summaries of this guild that quote the member (``conversation_key`` is
# "<channel id>:<first message id>"; the cache has no guild column of its own).
_QUOTING = (
    "summary_cache WHERE CAST(substr(conversation_key, 1, instr(conversation_key, ':') - 1) "
    "AS INTEGER) IN (SELECT id FROM channels WHERE guild_id = ?1) AND EXISTS (SELECT 1 FROM "
    "json_each(payload, '$.points') p WHERE json_extract(p.value, '$.author_id') = ?2)"
)

# (name, query) pairs of COUNT(*) over ?1 = guild id, ?2 = user id (a numbered parameter
# may go unused: SQLite counts bindings up to the highest number).
_COUNTS: tuple[tuple[str, str], ...] = (
    ("messages", "SELECT COUNT(*) FROM messages WHERE guild_id = ?1 AND author_id = ?2"),
    (
        "reactions",
        "SELECT COUNT(*) FROM reactions WHERE user_id = ?2 AND " + _ON_GUILD.format("reactions"),
    ),
    (
        "mentions",
        "SELECT COUNT(*) FROM mentions WHERE target_type = 'user' AND target_id = ?2 AND "
        + _ON_GUILD.format("mentions"),
    ),
    (
        "thread_members",
        f"SELECT COUNT(*) FROM thread_members WHERE user_id = ?2 AND thread_id IN ({_THREADS})",
    ),
    ("member_roles", "SELECT COUNT(*) FROM member_roles WHERE guild_id = ?1 AND user_id = ?2"),
    (
        "member_interests",
        "SELECT COUNT(*) FROM member_interests WHERE guild_id = ?1 AND user_id = ?2",
    ),
    ("deliveries", "SELECT COUNT(*) FROM deliveries WHERE guild_id = ?1 AND user_id = ?2"),
    (
        "summary_cache",
        "SELECT COUNT(*) FROM " + _QUOTING,
    ),
)


class PrivacyRepository:
    """Per-member counts, export and deletion across every table that names a user."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _scalar(self, query: str, args: tuple[object, ...]) -> int:
        async with self.conn.execute(query, args) as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def _rows(self, query: str, args: tuple[object, ...]) -> list[dict[str, Any]]:
        async with self.conn.execute(query, args) as cur:
            return [dict(r) async for r in cur]

    # -- status and export -------------------------------------------------------------------

    async def counts(self, guild_id: int, user_id: int) -> dict[str, int]:
        """How many rows of each kind the store holds about the member."""
        return {name: await self._scalar(q, (guild_id, user_id)) for name, q in _COUNTS}

    async def mentions_by_channel(self, guild_id: int, user_id: int) -> dict[int, int]:
        """How often the member is mentioned, by channel (to count only readable ones)."""
        async with self.conn.execute(
            "SELECT m.channel_id, COUNT(*) FROM mentions x JOIN messages m ON m.id = x.message_id "
            "WHERE m.guild_id = ?1 AND x.target_type = 'user' AND x.target_id = ?2 "
            "GROUP BY m.channel_id",
            (guild_id, user_id),
        ) as cur:
            return {channel_id: n async for channel_id, n in cur}

    async def export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """Everything stored about the member, as plain JSON values (times in ISO 8601)."""
        args = (guild_id, user_id)
        members = await self._rows(
            "SELECT user_id, name, display_name, is_bot, joined_at, left_at, last_seen_at, "
            "dm_opt_in, dm_cadence, logging_paused FROM members "
            "WHERE guild_id = ?1 AND user_id = ?2",
            args,
        )
        messages = await self._rows(
            "SELECT m.id, m.channel_id, c.name AS channel_name, m.created_at, m.edited_at, "
            "m.content, m.reply_to_id, m.kind, m.attachments, m.pinned, m.deleted "
            "FROM messages m LEFT JOIN channels c ON c.id = m.channel_id "
            "WHERE m.guild_id = ?1 AND m.author_id = ?2 ORDER BY m.id",
            args,
        )
        reactions = await self._rows(
            "SELECT r.message_id, m.channel_id, r.emoji FROM reactions r "
            "JOIN messages m ON m.id = r.message_id WHERE m.guild_id = ?1 AND r.user_id = ?2 "
            "ORDER BY r.message_id, r.emoji",
            args,
        )
        mentions = await self._rows(
            "SELECT x.message_id, m.channel_id, m.created_at FROM mentions x "
            "JOIN messages m ON m.id = x.message_id WHERE m.guild_id = ?1 "
            "AND x.target_type = 'user' AND x.target_id = ?2 ORDER BY x.message_id",
            args,
        )
        threads = await self._rows(
            "SELECT t.thread_id, c.name FROM thread_members t JOIN channels c "
            "ON c.id = t.thread_id WHERE c.guild_id = ?1 AND t.user_id = ?2 ORDER BY t.thread_id",
            args,
        )
        roles = await self._rows(
            "SELECT r.role_id, COALESCE(g.name, '') AS name FROM member_roles r "
            "LEFT JOIN roles g ON g.id = r.role_id WHERE r.guild_id = ?1 AND r.user_id = ?2 "
            "ORDER BY r.role_id",
            args,
        )
        interests = await self._rows(
            "SELECT topic, created_at FROM member_interests WHERE guild_id = ?1 AND user_id = ?2 "
            "ORDER BY created_at, topic",
            args,
        )
        deliveries = await self._rows(
            "SELECT period, status, created_at, updated_at FROM deliveries "
            "WHERE guild_id = ?1 AND user_id = ?2 ORDER BY created_at",
            args,
        )
        owned = await self._rows(
            "SELECT id, name, kind FROM channels WHERE guild_id = ?1 AND owner_id = ?2 ORDER BY id",
            args,
        )
        return {
            "guild_id": guild_id,
            "user_id": user_id,
            "member": _times(members[0]) if members else None,
            "messages": [_times(m) for m in messages],
            "reactions": reactions,
            "mentions_of_you": [_times(m) for m in mentions],
            "thread_memberships": threads,
            "threads_started": owned,
            "roles": roles,
            "interests": [_times(i) for i in interests],
            "dm_deliveries": [_times(d) for d in deliveries],
        }

    # -- forget: one method per concern, each returning counts by table ----------------------

    async def forget_summaries(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Cached summaries that quote them or cover a conversation they took part in.

        Conversation keys are ``"<channel id>:<first message id>"``: a conversation that
        included their message started in that channel at or before it. Run before
        :meth:`forget_messages`, which removes the evidence. A few summaries of other
        conversations go too; they are recomputed when next needed.
        """
        spans = await self._rows(
            "SELECT channel_id, MAX(id) AS last_id FROM messages WHERE guild_id = ? "
            "AND author_id = ? GROUP BY channel_id",
            (guild_id, user_id),
        )
        cur = await self.conn.execute("DELETE FROM " + _QUOTING, (guild_id, user_id))
        removed = cur.rowcount
        for span in spans:
            prefix = f"{span['channel_id']}:"
            cur = await self.conn.execute(
                "DELETE FROM summary_cache WHERE substr(conversation_key, 1, ?) = ? "
                "AND CAST(substr(conversation_key, ?) AS INTEGER) <= ?",
                (len(prefix), prefix, len(prefix) + 1, span["last_id"]),
            )
            removed += cur.rowcount
        return {"summary_cache": removed}

    async def forget_messages(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Their messages, with every mention and reaction on them."""
        args = (guild_id, user_id)
        await pin_cursors(self.conn, _MINE, args)
        mentions = await self.conn.execute(
            f"DELETE FROM mentions WHERE message_id IN ({_MINE})", args
        )
        reactions = await self.conn.execute(
            f"DELETE FROM reactions WHERE message_id IN ({_MINE})", args
        )
        n_mentions, n_reactions = mentions.rowcount, reactions.rowcount
        messages = await self.conn.execute(
            "DELETE FROM messages WHERE guild_id = ? AND author_id = ?", args
        )
        if messages.rowcount:  # the triggers dropped their words; no old segment keeps them
            await merge_index(self.conn)
        return {
            "messages": messages.rowcount,
            "mentions": n_mentions,
            "reactions": n_reactions,
        }

    async def forget_mentions(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Mentions of them in other people's messages (the messages stay)."""
        cur = await self.conn.execute(
            "DELETE FROM mentions WHERE target_type = 'user' AND target_id = ?2 AND "
            + _ON_GUILD.format("mentions"),
            (guild_id, user_id),
        )
        return {"mentions": cur.rowcount}

    async def forget_reactions(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Reactions they added to other people's messages."""
        cur = await self.conn.execute(
            "DELETE FROM reactions WHERE user_id = ?2 AND " + _ON_GUILD.format("reactions"),
            (guild_id, user_id),
        )
        return {"reactions": cur.rowcount}

    async def forget_threads(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Thread memberships (deleted) and threads they started (owner cleared)."""
        members = await self.conn.execute(
            f"DELETE FROM thread_members WHERE user_id = ?2 AND thread_id IN ({_THREADS})",
            (guild_id, user_id),
        )
        owned = await self.conn.execute(
            "UPDATE channels SET owner_id = NULL WHERE guild_id = ? AND owner_id = ?",
            (guild_id, user_id),
        )
        return {"thread_members": members.rowcount, "channels": owned.rowcount}

    async def forget_member(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Roles, interests, DM deliveries, ownership of the guild and the member row.

        A member who paused logging keeps a bare row with only that flag: forgetting must not
        silently start storing their messages again.
        """
        args = (guild_id, user_id)
        paused = await self._scalar(
            "SELECT logging_paused FROM members WHERE guild_id = ? AND user_id = ?", args
        )
        counts: dict[str, int] = {}
        for table in ("member_roles", "member_interests", "deliveries"):
            cur = await self.conn.execute(
                f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", args
            )
            counts[table] = cur.rowcount
        cur = await self.conn.execute(
            "UPDATE guilds SET owner_id = NULL WHERE id = ? AND owner_id = ?", args
        )
        counts["guilds"] = cur.rowcount
        cur = await self.conn.execute(
            "DELETE FROM members WHERE guild_id = ? AND user_id = ?", args
        )
        counts["members"] = cur.rowcount
        # An unfinished delivery's rendering may quote them: a resume renders afresh.
        await self.conn.execute(IN_GUILD.format("?"), (guild_id,))
        if paused:
            await self.conn.execute(
                "INSERT INTO members (guild_id, user_id, logging_paused) VALUES (?, ?, 1)", args
            )
        return counts


async def pin_cursors(conn: aiosqlite.Connection, doomed: str, args: tuple[object, ...]) -> None:
    """Make sure backfill resumes after every ``doomed`` message (a subquery).

    The messages are still on Discord: a channel whose cursor is behind them (or that has none
    yet) would fetch and store them again. Each such channel's cursor moves to its newest
    doomed message, never back.
    """
    await conn.execute(
        "INSERT INTO backfill_cursors (channel_id, last_id) "
        f"SELECT channel_id, MAX(id) FROM messages WHERE id IN ({doomed}) GROUP BY channel_id "
        "ON CONFLICT(channel_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)",
        args,
    )


_TIME_KEYS = frozenset(
    {"joined_at", "left_at", "last_seen_at", "created_at", "edited_at", "updated_at"}
)
_FLAG_KEYS = frozenset({"is_bot", "dm_opt_in", "logging_paused", "pinned", "deleted"})


def _times(row: dict[str, Any]) -> dict[str, Any]:
    """Stored milliseconds to ISO 8601 strings and 0/1 flags to booleans."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in _TIME_KEYS:
            moment = when(value)
            out[key] = moment.isoformat() if moment else None
        elif key in _FLAG_KEYS:
            out[key] = bool(value)
        else:
            out[key] = value
    return out
