"""What a user sees on the console of ``hearth run``: a short banner, then only what matters."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.test_cli import hearth
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.e2e


async def test_start_banner_and_no_library_noise(discord_double, tmp_path):
    proc = BotProcess(discord_double, tmp_path / "hearth.db", tmp_path / "bot.log")
    proc.start()
    try:
        for _ in range(300):
            if "digest" in proc.log() and "Hearth is running" in proc.log():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # let the scheduler arm and log whatever it logs
    finally:
        assert proc.stop() == 0
    log = proc.log()
    # discord.py's voice warnings (Hearth has no voice) and APScheduler's "Added job" lines
    for noise in ("PyNaCl", "davey", "Added job", "Adding job", "Scheduler started"):
        assert noise not in log, f"{noise!r} in the log:\n{log}"
    banner = [line for line in log.splitlines() if "Hearth is running" in line]
    assert len(banner) == 1, log
    assert "1 guild" in banner[0] and "hearth.db" in banner[0] and "extractive" in banner[0]
    assert "no digest channel yet (an admin runs /hearth setup)" in log, log
    assert discord_double.token not in log


async def test_health_is_ok_while_connected_and_not_after_stop(discord_double, tmp_path):
    db = tmp_path / "hearth.db"
    proc = BotProcess(discord_double, db, tmp_path / "bot.log")
    proc.start()
    try:
        for _ in range(300):
            if "Hearth is running" in proc.log():
                break
            await asyncio.sleep(0.05)
        for _ in range(100):  # the first beat follows READY
            healthy = hearth("health", "--db", str(db))
            if healthy.returncode == 0:
                break
            await asyncio.sleep(0.05)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert healthy.stdout.startswith("ok: Hearth (pid ") and "connected to Discord" in (
            healthy.stdout
        )
    finally:
        assert proc.stop() == 0
    gone = hearth("health", "--db", str(db))
    assert gone.returncode == 1 and gone.stdout.startswith(
        f"unhealthy: no Hearth is running on {db}"
    )


async def test_discord_failing_at_login_is_one_line_and_temporary(discord_double, tmp_path):
    discord_double.fail_next("GET", "/users/@me", status=503)
    proc = BotProcess(discord_double, tmp_path / "hearth.db", tmp_path / "bot.log")
    proc.start()
    assert proc.proc is not None
    assert await asyncio.to_thread(proc.proc.wait, 60) == 75  # EX_TEMPFAIL: try again
    last = proc.log().strip().splitlines()[-1]
    where = f"127.0.0.1:{discord_double.port}"
    assert last == f"hearth: Discord at {where} answered HTTP 503 at login: try again later"
    assert "Traceback" not in proc.log()
