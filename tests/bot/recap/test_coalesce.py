"""Concurrent recaps for one guild share a run; results are what each would get alone."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.db import Store
from bot.recap import RecapService
from bot.recap.coalesce import RecapCoalescer
from tests.bot.recap.test_service import GID, SINCE, UNTIL, FakeSummarizer, seed


def _runs(caplog: pytest.LogCaptureFixture) -> int:
    return sum(1 for r in caplog.records if r.getMessage().startswith("recap run guild="))


async def test_concurrent_recaps_share_a_run_and_match_single_runs(
    store: Store, caplog: pytest.LogCaptureFixture
):
    await seed(store)
    service = RecapService(store, FakeSummarizer())
    members = [1, 2, 3, 4, 5] * 4
    with caplog.at_level(logging.INFO, logger="bot.recap.service"):
        together = await asyncio.gather(*(service.recap(GID, m, SINCE, UNTIL) for m in members))
    assert _runs(caplog) <= 2  # twenty requests, at most one running and one filling
    for member, recap in zip(members, together, strict=True):
        alone = (await service.run(GID, SINCE, UNTIL, member_ids=[member])).recaps[member]
        assert recap.member_id == member and recap.items == alone.items
        assert recap.waiting_for_you == alone.waiting_for_you


async def test_requests_arriving_during_a_run_join_the_next_one(
    store: Store, caplog: pytest.LogCaptureFixture
):
    await seed(store)
    service = RecapService(store, FakeSummarizer())
    with caplog.at_level(logging.INFO, logger="bot.recap.service"):
        first = asyncio.ensure_future(service.recap(GID, 1, SINCE, UNTIL))
        await asyncio.sleep(0.001)  # the first run is under way
        later = [asyncio.ensure_future(service.recap(GID, m, SINCE, UNTIL)) for m in (2, 3, 4)]
        await asyncio.gather(first, *later)
    assert _runs(caplog) == 2


async def test_a_caller_giving_up_does_not_cancel_the_others(store: Store):
    await seed(store)
    service = RecapService(store, FakeSummarizer())
    quitter = asyncio.ensure_future(service.recap(GID, 1, SINCE, UNTIL))
    stayer = asyncio.ensure_future(service.recap(GID, 2, SINCE, UNTIL))
    await asyncio.sleep(0)
    quitter.cancel()
    assert (await stayer).member_id == 2


async def test_a_failure_reaches_every_request_of_the_batch():
    calls: list[list[int]] = []

    async def failing_run(guild_id, since, until, *, member_ids, public_in):
        calls.append(member_ids)
        raise RuntimeError("database is locked")

    coalescer = RecapCoalescer(failing_run)
    results = await asyncio.gather(
        *(coalescer.recap(GID, m, SINCE, UNTIL, None) for m in (1, 2, 3)), return_exceptions=True
    )
    assert calls == [[1, 2, 3]]
    assert all(isinstance(r, RuntimeError) for r in results), results
