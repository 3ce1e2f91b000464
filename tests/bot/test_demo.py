"""``hearth demo``: the sample community through the importer and the recap engine."""

from __future__ import annotations

import re

from bot.app.demo import run_demo
from bot.settings import Settings


async def test_demo_shows_a_digest_and_two_contrasting_recaps(tmp_path):
    out = await run_demo(Settings(), db_path=str(tmp_path / "demo.db"))
    assert out.count("# Your recap") == 2 and "· digest" in out
    maya, noor = out.split("*What ")[1:3]
    assert maya.startswith("Maya") and noor.startswith("Noor")
    assert maya != noor
    assert "味噌" in out  # Japanese conversations are summarized too
    assert "https://discord.com/channels/" in out
    # Nothing that could ping or leak raw mention syntax.
    assert not re.search(r"<@[!&]?\d+>|@everyone|@here", out)
    assert "Still waiting for an answer" in out
