"""A member's data: what is stored (status), a copy (export) and deleting it (forget).

``forget`` follows Red-DiscordBot's data-deletion contract (``redbot/core/bot.py``
``handle_data_deletion_request``): a fan-out over every store concern that holds user-linked
rows, run under a per-user lock, each concern in its own transaction, failures reported by
name rather than hidden. A failed concern leaves the others done; running ``forget`` again
finishes the job (every step is idempotent).

Forgetting deletes what is stored; it does not stop storing. Pausing (``logging_paused``)
does, and survives a forget.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.db import Store
from bot.db.privacy import PrivacyRepository
from bot.models import Member
from bot.recap.load import load_facts
from bot.recap.visibility import readable_channels
from bot.timeutil import snowflake_at, utcnow

log = logging.getLogger(__name__)

Step = Callable[[int, int], Awaitable[dict[str, int]]]
EXPORT_FORMAT = 1


@dataclass(frozen=True, slots=True)
class PrivacyStatus:
    """What the store holds about a member and the choices they made."""

    guild_id: int
    user_id: int
    counts: dict[str, int]
    known: bool  # a members row exists
    logging_paused: bool
    dm_opt_in: bool
    dm_cadence: str
    interests: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForgetReport:
    """Rows removed (or anonymised) per table, and the concerns that failed."""

    counts: dict[str, int] = field(default_factory=dict)
    failed: tuple[str, ...] = ()
    still_paused: bool = False

    @property
    def ok(self) -> bool:
        """Every concern finished."""
        return not self.failed

    @property
    def total(self) -> int:
        """All rows touched."""
        return sum(self.counts.values())


class PrivacyService:
    """Status, export and forget for one member of one guild."""

    def __init__(
        self,
        store: Store,
        *,
        flush: Callable[[], Awaitable[object]] | None = None,
        forgotten: Callable[[int, int, int], None] | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        """``flush`` lands every queued archive write first (``ArchiveWriter.drain``), so
        nothing of theirs arrives late; ``forgotten`` (``ArchiveWriter.forgotten``) keeps
        history read before the forget (a running backfill) from storing it again."""
        self.store = store
        self.repo: PrivacyRepository = store.privacy
        self.flush = flush
        self.forgotten = forgotten
        self.clock = clock
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    def _lock(self, guild_id: int, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault((guild_id, user_id), asyncio.Lock())

    def steps(self) -> list[tuple[str, Step]]:
        """The concerns ``forget`` runs, in order (summaries before the messages they cite)."""
        repo = self.repo
        return [
            ("summaries", repo.forget_summaries),
            ("messages", repo.forget_messages),
            ("mentions", repo.forget_mentions),
            ("reactions", repo.forget_reactions),
            ("threads", repo.forget_threads),
            ("member", repo.forget_member),
        ]

    async def status(self, guild_id: int, user_id: int) -> PrivacyStatus:
        """Counts of what is stored and the member's settings."""
        async with self._lock(guild_id, user_id), self.store.read() as db:
            counts = await db.privacy.counts(guild_id, user_id)
            readable = readable_channels(await load_facts(db, guild_id), user_id)
            mentions = await db.privacy.mentions_by_channel(guild_id, user_id)
            counts["mentions"] = sum(n for c, n in mentions.items() if c in readable)
            member: Member | None = await db.members.get(guild_id, user_id)
            interests = (await db.recap.interests(guild_id)).get(user_id, ())
        return PrivacyStatus(
            guild_id=guild_id,
            user_id=user_id,
            counts=counts,
            known=member is not None,
            logging_paused=bool(member and member.logging_paused),
            dm_opt_in=bool(member and member.dm_opt_in),
            dm_cadence=member.dm_cadence if member else "weekly",
            interests=tuple(interests),
        )

    async def set_paused(self, guild_id: int, user_id: int, paused: bool) -> None:
        """Stop (or resume) storing the member's messages and reactions.

        Queued writes land first, under the old setting: what they sent before pausing is
        kept, and what they sent while paused is dropped even if they resume right away.
        """
        if self.flush is not None:
            await self.flush()
        async with self._lock(guild_id, user_id), self.store.transaction():
            await self.store.guilds.ensure(guild_id)  # the snapshot may not have landed yet
            await self.store.members.set_logging_paused(guild_id, user_id, paused)

    async def export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """Everything stored about the member as JSON-able values."""
        async with self._lock(guild_id, user_id), self.store.read() as db:
            data = await db.privacy.export(guild_id, user_id)
            readable = readable_channels(await load_facts(db, guild_id), user_id)
        # Mentions are other people's words: list only those where the member can read.
        data["mentions_of_you"] = [
            m for m in data["mentions_of_you"] if m["channel_id"] in readable
        ]
        return {
            "format": EXPORT_FORMAT,
            "exported_at": self.clock().isoformat(),
            "note": (
                "Everything Hearth stores about you in this server. Mentions list only where "
                "you were mentioned, in channels you can read; other people's words are theirs."
            ),
            **data,
        }

    async def forget(self, guild_id: int, user_id: int) -> ForgetReport:
        """Delete everything stored about the member in this guild; report what and what not.

        Then checkpoint the WAL (with ``secure_delete`` on, the deleted rows are zeroed in the
        database file, and the truncated WAL no longer holds them)."""
        if self.forgotten is not None:  # everything they wrote until now
            last = snowflake_at(self.clock() + dt.timedelta(milliseconds=1)) - 1
            self.forgotten(guild_id, user_id, last)
        if self.flush is not None:
            try:
                await self.flush()
            except Exception:  # the writer retries on its own; forget what has landed
                log.exception("forget: flushing pending writes failed")
        counts: dict[str, int] = {}
        failed: list[str] = []
        async with self._lock(guild_id, user_id):
            for name, step in self.steps():
                try:
                    async with self.store.transaction():
                        done = await step(guild_id, user_id)
                except Exception:
                    log.exception("forget guild=%s user=%s: %s failed", guild_id, user_id, name)
                    failed.append(name)
                    continue
                for table, n in done.items():
                    counts[table] = counts.get(table, 0) + max(n, 0)
            member = await self.store.members.get(guild_id, user_id)
        if not await self.store.checkpoint():
            log.warning("forget: a reader kept the WAL checkpoint from finishing; it runs again")
        log.info(
            "forget guild=%s user=%s: %d rows, failed=%s",
            guild_id,
            user_id,
            sum(counts.values()),
            failed or "none",
        )
        return ForgetReport(
            counts=counts,
            failed=tuple(failed),
            still_paused=bool(member and member.logging_paused),
        )
