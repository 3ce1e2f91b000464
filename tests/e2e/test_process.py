"""The ``hearth run`` process against the double: SIGKILL mid-stream loses nothing."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.e2e


def stored_ids(db) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM messages ORDER BY id")]


async def wait_for_ids(db, expected: set[int], proc: BotProcess, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if db.exists():
            try:
                if expected <= set(stored_ids(db)):
                    return
            except sqlite3.OperationalError:
                pass  # the bot is creating the schema
        await asyncio.sleep(0.1)
    raise AssertionError(f"messages missing after {timeout}s; bot log:\n{proc.log()[-3000:]}")


async def test_sigkill_while_messages_arrive_then_restart(discord_double, tmp_path):
    seed = discord_double.seed
    gen, carol, dave = seed.general_id, seed.member("carol"), seed.member("dave")
    db = tmp_path / "hearth.db"
    proc = BotProcess(discord_double, db, tmp_path / "bot.log")
    sent: list[int] = []

    async def say(n: int, author: int) -> None:
        for i in range(n):
            msg = await discord_double.send_message(gen, author, f"message {len(sent)} / {i}")
            sent.append(int(msg["id"]))
            await asyncio.sleep(0.01)

    proc.start()
    try:
        await say(5, carol)
        await wait_for_ids(db, set(sent), proc)
        producer = asyncio.create_task(say(60, dave))
        await asyncio.sleep(0.3)  # mid-stream
        proc.kill()
        await producer  # messages keep arriving while the bot is dead
        await say(10, carol)
        proc.start()
        await say(10, dave)  # and after it is back
        await wait_for_ids(db, set(sent), proc)
        assert proc.stop() == 0
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.proc.kill()
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == len(sent)
    assert set(ids) == set(sent)
    assert "Traceback" not in proc.log(), proc.log()
    assert discord_double.token not in proc.log()  # the token is never logged


async def test_a_second_process_on_the_same_database_refuses_to_start(discord_double, tmp_path):
    # Two processes on one database would both send every digest and DM (issue #14, item 6).
    seed = discord_double.seed
    db = tmp_path / "hearth.db"
    first = BotProcess(discord_double, db, tmp_path / "first.log")
    second = BotProcess(discord_double, db, tmp_path / "second.log")
    first.start()
    try:
        msg = await discord_double.send_message(seed.general_id, seed.member("carol"), "hi")
        await wait_for_ids(db, {int(msg["id"])}, first)  # the first one is up and logging
        second.start()
        assert second.proc is not None
        assert await asyncio.to_thread(second.proc.wait, 30) == 2
        lines = [line for line in second.log().splitlines() if line.strip()]
        assert len(lines) == 1, second.log()
        assert lines[0].startswith("hearth: ") and "already running" in lines[0]
        assert str(db) in lines[0] and str(first.proc.pid) in lines[0]  # type: ignore[union-attr]
        assert first.proc is not None and first.proc.poll() is None  # the first one goes on
        later = await discord_double.send_message(seed.general_id, seed.member("dave"), "still")
        await wait_for_ids(db, {int(later["id"])}, first)
        assert first.stop() == 0
        second.start()  # once the first has stopped, the database is free again
        last = await discord_double.send_message(seed.general_id, seed.member("carol"), "again")
        await wait_for_ids(db, {int(last["id"])}, second)
        assert second.stop() == 0
    finally:
        for proc in (first, second):
            if proc.proc and proc.proc.poll() is None:
                proc.proc.kill()


async def test_a_killed_process_leaves_no_lock_behind(discord_double, tmp_path):
    seed = discord_double.seed
    db = tmp_path / "hearth.db"
    proc = BotProcess(discord_double, db, tmp_path / "bot.log")
    proc.start()
    try:
        msg = await discord_double.send_message(seed.general_id, seed.member("carol"), "hi")
        await wait_for_ids(db, {int(msg["id"])}, proc)
        proc.kill()  # SIGKILL: no cleanup ran
        proc.start()
        later = await discord_double.send_message(seed.general_id, seed.member("dave"), "back")
        await wait_for_ids(db, {int(later["id"])}, proc)
        assert proc.stop() == 0
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.proc.kill()
