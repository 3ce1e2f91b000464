"""The model backend's token budget: what each guild may still spend this week.

``StoreUsageSink`` (one transaction per record, over ``bot.db.llm_usage``) and ``MemoryUsage`` are
the two usage sinks; ``TokenBudget`` turns a sink and a weekly limit into "may this
conversation go to the model?".
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.db import Store
from bot.timeutil import utcnow


def usage_period(when: dt.datetime | None = None) -> str:
    """The budget period of ``when`` (default now): its ISO week in UTC, e.g. ``2026-W47``."""
    iso = (when or utcnow()).astimezone(dt.UTC).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


class UsageSink(Protocol):
    """Where token usage goes: one record per model call."""

    async def record(
        self, guild_id: int, model: str, prompt: int, completion: int, *, period: str | None = None
    ) -> None:
        """Add one call's usage (``period`` None: the current week)."""
        ...

    async def used(self, guild_id: int, period: str) -> int:
        """Prompt + completion tokens of a guild in a period."""
        ...


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One model call's usage."""

    guild_id: int
    period: str
    model: str
    prompt_tokens: int
    completion_tokens: int


class MemoryUsage:
    """An in-memory :class:`UsageSink` (tests, ``hearth demo``, benchmarks)."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    async def record(
        self, guild_id: int, model: str, prompt: int, completion: int, *, period: str | None = None
    ) -> None:
        """Append a record."""
        self.records.append(
            UsageRecord(guild_id, period or usage_period(), model, prompt, completion)
        )

    async def used(self, guild_id: int, period: str) -> int:
        """Tokens recorded for a guild in a period."""
        return sum(
            r.prompt_tokens + r.completion_tokens
            for r in self.records
            if r.guild_id == guild_id and r.period == period
        )

    def totals(self) -> tuple[int, int]:
        """(prompt, completion) tokens over every record."""
        return (
            sum(r.prompt_tokens for r in self.records),
            sum(r.completion_tokens for r in self.records),
        )


class StoreUsageSink:
    """A :class:`UsageSink` writing ``llm_usage`` rows, one transaction per call.

    Each record takes the store's write lock: do not summarize inside ``store.transaction()``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = store.llm_usage  # the store's own repository, not a second one

    async def record(
        self, guild_id: int, model: str, prompt: int, completion: int, *, period: str | None = None
    ) -> None:
        """Insert one row."""
        async with self.store.transaction():
            await self.repo.record(guild_id, period or usage_period(), model, prompt, completion)

    async def used(self, guild_id: int, period: str) -> int:
        """Sum of a guild's rows in a period."""
        return await self.repo.used(guild_id, period)


class BudgetExhaustedError(Exception):
    """The guild's weekly token budget cannot cover the next request."""


class TokenBudget:
    """A per-guild weekly token budget over a :class:`UsageSink`.

    ``weekly_limit`` is a number for every guild, a callable giving a guild's limit, or None
    (unlimited). A conversation reserves its estimated cost before its first call, so
    concurrent summaries cannot overshoot together; what is recorded is the reported usage.
    Spent totals are read from the sink once per guild and week, then kept in memory.
    """

    def __init__(
        self,
        sink: UsageSink | None = None,
        weekly_limit: int | Callable[[int], int | None] | None = None,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sink: UsageSink = sink if sink is not None else MemoryUsage()
        self.weekly_limit = weekly_limit
        self.clock = clock
        self._spent: dict[tuple[int, str], int] = {}
        self._reserved: dict[tuple[int, str], int] = {}
        self._lock = asyncio.Lock()

    def limit(self, guild_id: int) -> int | None:
        """The guild's weekly limit, None for unlimited."""
        if callable(self.weekly_limit):
            return self.weekly_limit(guild_id)
        return self.weekly_limit

    async def _load(self, key: tuple[int, str]) -> int:
        if key not in self._spent:
            self._spent[key] = await self.sink.used(*key)
        return self._spent[key]

    async def remaining(self, guild_id: int) -> int | None:
        """Tokens left this week (not counting reservations), None when unlimited."""
        limit = self.limit(guild_id)
        if limit is None:
            return None
        async with self._lock:
            spent = await self._load((guild_id, usage_period(self.clock())))
        return max(0, limit - spent)

    @contextlib.asynccontextmanager
    async def reserve(self, guild_id: int, tokens: int) -> AsyncIterator[None]:
        """Hold ``tokens`` of this week's budget while a summary runs, or raise."""
        limit = self.limit(guild_id)
        key = (guild_id, usage_period(self.clock()))
        if limit is not None:
            async with self._lock:
                spent = await self._load(key)
                if spent + self._reserved.get(key, 0) + tokens > limit:
                    raise BudgetExhaustedError(key[1])
                self._reserved[key] = self._reserved.get(key, 0) + tokens
        try:
            yield
        finally:
            if limit is not None:
                self._reserved[key] -= tokens

    async def record(self, guild_id: int, model: str, prompt_tokens: int, completion: int) -> None:
        """Write one call's usage to the sink and count it against the guild's week."""
        period = usage_period(self.clock())
        async with self._lock:
            await self.sink.record(guild_id, model, prompt_tokens, completion, period=period)
            key = (guild_id, period)
            if key in self._spent:
                self._spent[key] += prompt_tokens + completion
