"""The archive writer: gateway events in, batched SQLite transactions out.

Listeners translate Discord objects into plain records and hand them to :class:`ArchiveWriter`,
which queues them in arrival order and applies a whole batch in one transaction, when the
batch is full or after a short interval, and once more on shutdown. If a flush fails (disk
full, database locked for too long) the batch stays queued and is retried; nothing is
dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.db import Store, explain
from bot.db.messages import Step
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    ReactionRecord,
    RoleRecord,
)

log = logging.getLogger(__name__)

Apply = Callable[[Store], Awaitable[object]]


@dataclass(slots=True)
class _Op:
    kind: str
    apply: Apply
    messages: Sequence[MessageRecord] = ()
    advance: bool = False  # live message from a gap-free session: move the cursor too
    step: Step | None = None  # applied as this instead of ``apply`` (cursor, authors)


class ArchiveWriter:
    """Queue of archive writes, flushed as one transaction per batch."""

    def __init__(self, store: Store, *, max_batch: int = 500, interval: float = 0.5) -> None:
        self.store = store
        self.max_batch = max_batch
        self.interval = interval
        # A plain MessageRecord is a new message (the hot path: no wrapper); others are _Op.
        self._ops: list[_Op | MessageRecord] = []
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()  # the flusher finished a round (landed or failed)
        self._flusher_failed = False
        self._failing: int | None = None  # ops landed when flushes began to fail
        self._said: tuple[str, float] = ("", 0.0)  # the failure last logged, and when
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self.flushed_batches = 0
        self._queued = 0  # ops ever queued
        self._landed = 0  # ops ever committed (they land in order)
        # (guild id, user id) -> newest message id forgotten: never stored again from history
        self._forgotten: dict[tuple[int, int], int] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background flusher."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hearth-archive-flusher")

    async def stop(self) -> None:
        """Stop the flusher and write whatever is queued."""
        if self._task is not None:
            # Asked, not cancelled: a cancel could land half-way through a batch, or be lost
            # in wait_for when the wake-up arrives at the same moment (Python < 3.12).
            self._stopping = True
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._stopping = False
        while await self.flush():
            pass

    async def drain(self) -> None:
        """Land every write queued before this call (``flush`` lands one batch at most)."""
        target = self._queued
        while self._landed < target:
            await self.flush()

    def forgotten(self, guild_id: int, user_id: int, up_to_id: int) -> None:
        """A member's messages up to ``up_to_id`` were forgotten: history read before (a
        running backfill, a late edit) must not store them again."""
        key = (guild_id, user_id)
        self._forgotten[key] = max(self._forgotten.get(key, 0), up_to_id)

    def _keep(self, record: MessageRecord) -> bool:
        return record.id > self._forgotten.get((record.guild_id, record.author_id), 0)

    async def backpressure(self) -> None:
        """Let a producer (backfill, import) wait while the queue is long, keeping memory flat.

        With the flusher running, the producer waits for it instead of flushing itself, so it
        goes on building records while a batch is in SQLite's thread (two cores both busy).
        After a failed flush the producer flushes itself, and gets the error."""
        while self.pending >= self.max_batch * 4:
            if self._task is None or self._task.done() or self._flusher_failed:
                await self.flush()
                self._flusher_failed = False
                continue
            self._progress.clear()
            self._wake.set()
            await self._progress.wait()

    async def _run(self) -> None:
        try:
            await self._rounds()
        finally:  # however the flusher ends, a producer waiting on it wakes and re-checks
            self._progress.set()

    async def _rounds(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            if self._stopping:
                return
            self._wake.clear()
            try:
                while await self.flush() and self.pending >= self.max_batch:
                    self._progress.set()
            except Exception as exc:  # keep the queue, try again after the interval
                self._flusher_failed = True
                self._report(exc)
                self._progress.set()
                await asyncio.sleep(self.interval)
            else:
                if self._failing is not None:
                    log.info(
                        "archive writes resumed: %s landed", _writes(self._landed - self._failing)
                    )
                    self._failing = None
            self._progress.set()

    def _report(self, exc: Exception) -> None:
        """Log a failed flush: a bug with its traceback; the disk (full, locked, read-only) as
        one line, repeated only when its reason changes or a minute has passed."""
        if self._failing is None:
            self._failing = self._landed
        kept = f"{_writes(len(self._ops))} kept for retry"
        if not isinstance(exc, sqlite3.OperationalError):
            log.exception("archive flush failed; %s", kept)
            return
        why, now = explain(exc, self.store.path), time.monotonic()
        if why != self._said[0] or now - self._said[1] >= 60:
            self._said = (why, now)
            log.error("archive flush failed: %s; %s", why, kept)

    @property
    def pending(self) -> int:
        """Writes queued and not yet committed."""
        return len(self._ops)

    async def flush(self) -> int:
        """Apply every queued write in one transaction; returns how many writes landed."""
        async with self._flush_lock:
            ops = self._ops[: max(self.max_batch, 1) * 4]
            if not ops:
                return 0
            plan = _plan(ops, self._keep if self._forgotten else None)
            steps = [item for item in plan if isinstance(item, Step)]
            if len(steps) == len(plan):  # messages, checkpoints, authors (backfill, live)
                await self.store.run_steps(steps)  # one hop
            else:
                async with self.store.transaction():
                    await _apply(self.store, plan)
            del self._ops[: len(ops)]
            self._landed += len(ops)
            self.flushed_batches += 1
            return len(ops)

    def _put(self, op: _Op) -> None:
        self._ops.append(op)
        self._queued += 1
        if len(self._ops) >= self.max_batch:
            self._wake.set()

    # -- events ---------------------------------------------------------------------------
    def messages(self, records: Sequence[MessageRecord], *, advance_cursor: bool = False) -> None:
        """New messages (live or from history)."""
        for record in records:  # one queued write each; runs are merged again at flush
            self.message(record, advance_cursor=advance_cursor)

    def message(self, record: MessageRecord, *, advance_cursor: bool = False) -> None:
        """One new message (the hot path: one append, nothing allocated)."""
        self._ops.append(_Op("messages", _noop, (record,), True) if advance_cursor else record)
        self._queued += 1
        if len(self._ops) >= self.max_batch:
            self._wake.set()

    def cursor(self, channel_id: int, last_id: int) -> None:
        """History of ``channel_id`` is complete up to ``last_id`` once what is queued lands."""
        self._put(_Op("cursor", _noop, step=Step(cursor=(channel_id, last_id))))

    def edit(self, record: MessageRecord) -> None:
        """A message was edited; one we never stored (we were away) is stored now."""
        edited_at = record.edited_at
        if edited_at is None:  # an embed unfurled, not a user edit
            return

        async def apply(s: Store) -> None:
            # Stored only if unknown, and never a forgotten message.
            edited = await s.messages.edit(record.id, record.content, edited_at, record.mentions)
            if not edited and self._keep(record):
                await s.messages.insert_many([record])

        self._put(_Op("edit", apply))

    def delete(self, message_ids: Sequence[int]) -> None:
        """Messages were deleted (one or a bulk delete)."""
        ids = list(message_ids)
        self._put(_Op("delete", lambda s: s.messages.delete(ids)))

    def reaction_add(self, reaction: ReactionRecord) -> None:
        """A reaction was added."""
        self._put(_Op("reaction", lambda s: s.messages.add_reactions([reaction])))

    def reaction_remove(self, reaction: ReactionRecord) -> None:
        """A reaction was removed."""
        self._put(_Op("unreact", lambda s: s.messages.remove_reaction(reaction)))

    def reactions_clear(self, message_id: int, emoji: str | None = None) -> None:
        """All reactions (or one emoji's) were cleared."""
        self._put(_Op("clear", lambda s: s.messages.clear_reactions(message_id, emoji)))

    def guild(self, guild: GuildRecord, roles: Sequence[RoleRecord] | None = None) -> None:
        """A guild became available or changed."""

        async def apply(s: Store) -> None:
            await s.guilds.upsert(guild)
            if roles is not None:
                await s.guilds.replace_roles(guild.id, roles)

        self._put(_Op("guild", apply))

    def role(self, role: RoleRecord, *, deleted: bool = False) -> None:
        """A role was created, changed or deleted."""
        if deleted:
            self._put(_Op("role", lambda s: s.guilds.delete_role(role.id)))
        else:
            self._put(_Op("role", lambda s: s.guilds.upsert_role(role)))

    def channel(self, channel: ChannelRecord, member_ids: Sequence[int] = ()) -> None:
        """A channel, thread or forum post was created or changed."""

        async def apply(s: Store) -> None:
            await s.guilds.ensure(channel.guild_id)
            await s.channels.upsert(channel)
            if member_ids:
                await s.channels.add_thread_members(channel.id, member_ids)

        self._put(_Op("channel", apply))

    def channel_deleted(self, channel_id: int) -> None:
        """A channel or thread was deleted: its messages' content goes too."""
        self._put(_Op("channel_deleted", lambda s: s.channels.mark_deleted(channel_id)))

    def thread_member(self, thread_id: int, user_id: int, *, joined: bool) -> None:
        """Someone joined or left a thread."""
        if joined:
            self._put(
                _Op("thread_member", lambda s: s.channels.add_thread_members(thread_id, [user_id]))
            )
        else:
            self._put(
                _Op("thread_member", lambda s: s.channels.remove_thread_member(thread_id, user_id))
            )

    def thread_members_replaced(self, thread_id: int, user_ids: Sequence[int]) -> None:
        """A fresh member list of a thread replaces what is stored (empty: nobody known)."""
        ids = list(user_ids)
        self._put(
            _Op("thread_members", lambda s: s.channels.replace_thread_members(thread_id, ids))
        )

    def members(self, records: Sequence[MemberRecord]) -> None:
        """Members joined, changed (name, roles) or were seen in a guild snapshot."""
        if records:
            rows = list(records)

            async def apply(s: Store) -> None:
                for guild_id in {m.guild_id for m in rows}:
                    await s.guilds.ensure(guild_id)
                await s.members.upsert_many(rows)

            self._put(_Op("members", apply))

    def authors(self, records: Sequence[MemberRecord]) -> None:
        """Authors seen in history: keep their names without marking them present."""
        if records:
            rows = list(records)
            self._put(_Op("authors", _noop, step=Step(authors=rows)))

    def member_left(self, guild_id: int, user_id: int, at: dt.datetime) -> None:
        """A member left or was removed."""
        self._put(_Op("member_left", lambda s: s.members.mark_left(guild_id, user_id, at)))


def _writes(n: int) -> str:
    return f"{n:,} write" if n == 1 else f"{n:,} writes"


def _plan(
    ops: Sequence[_Op | MessageRecord], keep: Callable[[MessageRecord], bool] | None
) -> list[Step | _Op]:
    """``ops`` in order, runs of consecutive messages merged into one step (messages that
    ``keep`` refuses, forgotten ones, dropped; None: keep them all) with the cursor moves of
    live ones after it; an op the database thread can run itself (cursor, authors) becomes
    its step, any other stays an op."""
    plan: list[Step | _Op] = []
    run: list[MessageRecord] = []
    advance: dict[int, int] = {}

    def drain() -> None:
        if run:
            plan.append(Step(messages=list(run)))
            run.clear()
        plan.extend(Step(cursor=item) for item in advance.items())
        advance.clear()

    for op in ops:
        if type(op) is MessageRecord:
            if keep is None or keep(op):
                run.append(op)
            continue
        assert isinstance(op, _Op)
        if op.kind == "messages":
            run.extend(op.messages if keep is None else [m for m in op.messages if keep(m)])
            if op.advance:
                for m in op.messages:
                    advance[m.channel_id] = max(advance.get(m.channel_id, 0), m.id)
            continue
        drain()
        plan.append(op if op.step is None else op.step)
    drain()
    return plan


async def _noop(_: Store) -> None:
    return None


async def _apply(store: Store, plan: Sequence[Step | _Op]) -> None:
    """A plan with ops the database thread cannot run, one awaited statement at a time."""
    for item in plan:
        if isinstance(item, _Op):
            await item.apply(store)
            continue
        if item.messages:
            await store.messages.insert_many(item.messages, touch=True)  # one hop
        if item.cursor is not None:
            await store.cursors.advance(*item.cursor)
        if item.authors:
            await store.members.ensure_many(item.authors)
