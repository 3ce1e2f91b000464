"""Issue #14: a failed delivery is retried within its period, with bounded backoff."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

from bot.delivery.scheduler import HearthScheduler
from tests.bot.test_delivery import MONDAY_9, FakeContent, FakePublisher, G, service
from tests.bot.test_delivery_parts import one_guild


async def test_failed_targets_are_retried_with_backoff_then_given_up(store):
    await one_guild(store)
    pub = FakePublisher()
    pub.fail_next = 10_000  # a Discord outage
    now = {"t": MONDAY_9 + dt.timedelta(minutes=1)}
    delivery, clock = service(store, pub, FakeContent(), now=now["t"])
    scheduler = HearthScheduler(store, delivery, clock=lambda: clock["now"])
    await scheduler.run_now(G, ("weekly",))
    waits = []
    for _ in range(10):
        job = scheduler.scheduler.get_job(f"retry:weekly:{G}")
        if job is None:
            break
        waits.append(job.trigger.run_date - clock["now"])
        clock["now"] = job.trigger.run_date
        job.remove()  # a DateTrigger job is gone once it has fired
        await scheduler.retry(G, "weekly")
    assert waits == [dt.timedelta(minutes=m) for m in (5, 15, 45, 135)]  # bounded: 4 retries
    assert {d.status for d in await store.deliveries.list(G)} == {"failed"}
    # The outage ends: the next retry of a new failure delivers.
    pub.fail_next = 0
    clock["now"] += dt.timedelta(minutes=1)
    await scheduler.retry(G, "weekly")
    assert {d.status for d in await store.deliveries.list(G)} == {"sent"}
    assert scheduler.scheduler.get_job(f"retry:weekly:{G}") is None


async def test_a_locked_database_during_a_run_is_retried_too(store):
    await one_guild(store)
    pub = FakePublisher()
    delivery, clock = service(store, pub, FakeContent(), now=MONDAY_9 + dt.timedelta(minutes=1))
    locked = {"now": True}  # every ledger write fails while another process holds the lock
    for name in ("begin", "finish"):
        real = getattr(store.deliveries, name)

        async def write(*args, _real=real, **kwargs):
            if locked["now"]:
                raise sqlite3.OperationalError("database is locked")
            return await _real(*args, **kwargs)

        setattr(store.deliveries, name, write)
    scheduler = HearthScheduler(store, delivery, clock=lambda: clock["now"])
    await scheduler.run_now(G, ("weekly",))
    assert pub.posts == []
    job = scheduler.scheduler.get_job(f"retry:weekly:{G}")
    assert job is not None and job.trigger.run_date - clock["now"] == dt.timedelta(minutes=5)
    locked["now"] = False
    clock["now"] = job.trigger.run_date
    job.remove()
    await scheduler.retry(G, "weekly")
    assert {d.status for d in await store.deliveries.list(G)} == {"sent"}


async def test_a_guild_the_bot_left_gets_nothing_and_is_not_armed_again(store):
    await one_guild(store)
    pub = FakePublisher()
    delivery, clock = service(store, pub, FakeContent(), now=MONDAY_9 + dt.timedelta(minutes=1))
    present = {G}
    scheduler = HearthScheduler(
        store, delivery, clock=lambda: clock["now"], present=lambda g: g in present
    )
    await scheduler.arm(G)
    present.clear()  # kicked while the run waited for its turn
    scheduler.disarm(G)
    assert await scheduler.run_now(G) == []
    assert await scheduler.retry(G, "weekly") is None
    assert pub.posts == [] and await store.deliveries.list(G) == []
    assert scheduler.scheduler.get_jobs() == []


async def test_a_locked_database_is_one_log_line_not_a_traceback(store, caplog):
    # A real lock from another connection: every delivery logged a traceback before.
    await one_guild(store)
    pub = FakePublisher()
    delivery, clock = service(store, pub, FakeContent(), now=MONDAY_9 + dt.timedelta(minutes=1))
    scheduler = HearthScheduler(store, delivery, clock=lambda: clock["now"])
    await store.conn.execute("PRAGMA busy_timeout=50")
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.INFO):
            await scheduler.run_now(G, ("weekly",))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failed and all(r.exc_info is None for r in failed), [r.getMessage() for r in failed]
    assert all(f"database {store.path} is locked" in r.getMessage() for r in failed)
    assert pub.posts == [] and scheduler.scheduler.get_job(f"retry:weekly:{G}") is not None
