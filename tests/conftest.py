"""Shared fixtures: real SQLite files in a temporary directory, never mocks of SQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.db import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
REAL_EXPORT = SHARED_DATA / "ethglobal-agentic-chat.dce.json"

T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
async def store(tmp_path: Path):
    """A migrated store in a fresh file."""
    s = await Store.open(str(tmp_path / "hearth.db"))
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def real_export() -> Path:
    """The shared real DiscordChatExporter export; skipped where ../shared/data is absent."""
    if not REAL_EXPORT.exists():
        pytest.skip("../shared/data is not present")
    return REAL_EXPORT


from testing.discord_double.fixtures import (  # noqa: E402 - fixtures
    discord_double,  # noqa: F401
    swallowed_errors,  # noqa: F401
)
