"""Token usage of the chat-model summarizer: the rows of ``llm_usage``.

``LlmUsageRepository`` is the SQL; like every repository it never commits. The budget that
reads it lives with the summarizer (``bot/recap/summarize/budget.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.db._util import ms
from bot.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Tokens spent by one guild in one period."""

    calls: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def total(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


class LlmUsageRepository:
    """Rows of ``llm_usage``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def record(
        self,
        guild_id: int,
        period: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        *,
        at: dt.datetime | None = None,
    ) -> None:
        """Add one model call's usage."""
        await self.conn.execute(
            "INSERT INTO llm_usage (guild_id, period, model, prompt_tokens, completion_tokens, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                period,
                model,
                max(0, prompt_tokens),
                max(0, completion_tokens),
                ms(at or utcnow()),
            ),
        )

    async def totals(self, guild_id: int, period: str) -> UsageTotals:
        """Calls and tokens of a guild in a period (zeros when nothing was spent)."""
        async with self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0) "
            "FROM llm_usage WHERE guild_id = ? AND period = ?",
            (guild_id, period),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return UsageTotals(int(row[0]), int(row[1]), int(row[2]))

    async def used(self, guild_id: int, period: str) -> int:
        """Total tokens (prompt + completion) of a guild in a period."""
        return (await self.totals(guild_id, period)).total

    async def delete_before(self, before: dt.datetime) -> int:
        """Remove rows older than ``before``; returns how many went."""
        cur = await self.conn.execute("DELETE FROM llm_usage WHERE created_at < ?", (ms(before),))
        return cur.rowcount
