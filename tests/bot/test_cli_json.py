"""``--json`` for ``hearth stats`` and ``hearth digest``: for scripts, one JSON document on
stdout, ids as strings (JavaScript loses digits past 2^53), times in ISO 8601 with offset."""

from __future__ import annotations

import json
from pathlib import Path

from bot.recap import render_markdown
from bot.recap.render_json import digest_json
from tests.bot.recap.test_render import digest, item
from tests.bot.test_cli import hearth

DATA = Path(__file__).resolve().parents[1] / "data"
WINDOW = ("--since", "2026-11-01", "--until", "2026-12-01")


def _db(tmp_path: Path) -> str:
    db = str(tmp_path / "h.db")
    for name in ("dce_minimal.json", "dce_thread.json"):
        assert hearth("import", str(DATA / name), "--db", db).returncode == 0
    return db


def test_stats_json(tmp_path):
    out = hearth("stats", "--json", "--db", _db(tmp_path))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["guilds"] == [{"id": "900000000000000001", "name": "Hearth Test"}]
    assert (data["messages"], data["system_messages"], data["threads"]) == (6, 1, 1)
    assert data["first_message_at"] == "2026-11-16T09:00:00.123000+00:00"
    assert data["busiest_channels"][0] == {"name": "general", "messages": 4}


def test_stats_says_one_thread_in_the_singular(tmp_path):
    out = hearth("stats", "--db", _db(tmp_path))
    assert "(1 thread or forum post)" in out.stdout, out.stdout


def test_digest_json(tmp_path):
    out = hearth("digest", "--json", *WINDOW, "--db", _db(tmp_path))
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["guild"] == {"id": "900000000000000001", "name": "Hearth Test"}
    assert data["window"] == {
        "since": "2026-11-01T00:00:00+00:00",
        "until": "2026-12-01T00:00:00+00:00",
    }
    first, second = data["conversations"]
    assert first["where"] == "#general" and first["thread"] is False
    assert first["url"].startswith("https://discord.com/channels/900000000000000001/")
    assert first["key_messages"][1] == {
        "id": "1100000000000000002",
        "author": "bob",
        "author_id": first["key_messages"][1]["author_id"],
        "text": "Thanks @Alice A.! I will read them tonight.",
    }
    assert second["where"] == "#general › Study group: week 3" and second["thread"] is True
    assert data["activity"]["messages"] == 5 and data["notice"] == ""


def test_digest_json_text_is_plain_not_markdown():
    text = "a_b *c* <@2> see https://example.org/x"
    made = digest([item(1, "plan", text, bullets=("read https://evil.example/p now",))], [], [])
    data = digest_json(made)
    (conv,) = data["conversations"]
    assert conv["key_messages"][0]["text"] == "a_b *c* @Bo see https://example.org/x"
    assert conv["bullets"] == ["read evil.example now"]  # a model's link: its bare domain
    assert json.loads(json.dumps(data)) == data
    assert r"a\_b \*c\*" in render_markdown(made)  # the Markdown view escapes the same text


def test_json_errors_stay_one_line_on_stderr(tmp_path):
    out = hearth("digest", "--json", "--db", str(tmp_path / "none.db"))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("hearth: no database at")
