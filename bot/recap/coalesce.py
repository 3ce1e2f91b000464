"""Concurrent recap requests for one guild coalesce into one run (issue #13).

A recap run loads the window, segments and indexes it once, whatever the number of members;
twenty members asking at once cost twenty runs without this, one or two with it. Requests
with the same guild, window length and visibility (``public_in``) join the *open* batch of
their key: the batch starts on the next loop turn when no run of that key is in flight, else
when that run ends, so at most one run per key is running and one is filling. The batch's
window ends at the latest ``until`` among its requests (they differ by the moments they were
asked; a request whose ``until`` is more than ``SLACK`` away starts a batch of its own).

Each request waits on the batch behind :func:`asyncio.shield`: a caller that gives up (an
interaction that timed out) does not cancel its neighbours' run. An exception reaches every
request of the batch, as it would have reached each alone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

SLACK = dt.timedelta(seconds=30)

Key = tuple[int, dt.timedelta, int | None]
Run = Callable[..., Awaitable[Any]]


@dataclass(slots=True)
class _Batch:
    until: dt.datetime
    members: set[int] = field(default_factory=set)
    done: asyncio.Future[dict[int, Any]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RecapCoalescer:
    """Joins concurrent ``recap`` requests into ``run(..., member_ids=[...])`` calls."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._open: dict[Key, _Batch] = {}
        self._busy: dict[Key, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def recap(
        self,
        guild_id: int,
        member_id: int,
        since: dt.datetime,
        until: dt.datetime,
        public_in: int | None,
    ) -> Any:
        """This member's recap, from a run shared with whoever asked at the same time."""
        key: Key = (guild_id, until - since, public_in)
        batch = self._open.get(key)
        if batch is None or abs(until - batch.until) > SLACK:
            batch = self._open[key] = _Batch(until)
            batch.done.add_done_callback(_retrieve)
            task = asyncio.get_running_loop().create_task(self._flush(key, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        batch.members.add(member_id)
        batch.until = max(batch.until, until)
        recaps = await asyncio.shield(batch.done)
        return recaps[member_id]

    async def _flush(self, key: Key, batch: _Batch) -> None:
        await asyncio.sleep(0)  # let requests of this same loop turn join
        while (previous := self._busy.get(key)) is not None:
            await asyncio.wait([previous])  # one run per key at a time; this batch keeps filling
        if self._open.get(key) is batch:
            del self._open[key]
        me = asyncio.current_task()
        assert me is not None
        self._busy[key] = me
        guild_id, length, public_in = key
        try:
            result = await self._run(
                guild_id,
                batch.until - length,
                batch.until,
                member_ids=sorted(batch.members),
                public_in=public_in,
            )
            batch.done.set_result(result.recaps)
        except asyncio.CancelledError:
            batch.done.cancel()
            raise
        except Exception as exc:  # every request of the batch gets it
            batch.done.set_exception(exc)
        finally:
            if self._busy.get(key) is me:
                del self._busy[key]


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a batch's exception as seen even when every caller gave up waiting."""
    if not future.cancelled():
        future.exception()
