"""The ``hearth`` command as a user runs it: a real process, clear one-line errors."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys

import pytest


def hearth(
    *args: str, env: dict[str, str] | None = None, cwd=None, preexec_fn=None
) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTH_"))}
    base.pop("OPENAI_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        cwd=cwd,
        preexec_fn=preexec_fn,
    )


def test_run_without_token_is_one_clear_line(tmp_path):
    out = hearth("run", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("hearth: DISCORD_TOKEN is not set")
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"  # shape only


def test_a_malformed_token_is_one_line_before_anything_starts(tmp_path):
    out = hearth("run", env={"DISCORD_TOKEN": "not-a-token"}, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "hearth: DISCORD_TOKEN does not look like a bot token (three parts joined by dots): "
        "copy it again from the Developer Portal (Bot > Reset Token)"
    ]
    assert not list(tmp_path.iterdir())  # no database, no lock: nothing started


def test_discord_out_of_reach_at_login_is_one_line(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api/v10"
    out = hearth("run", env={"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": api}, cwd=tmp_path)
    assert out.returncode == 75 and "Traceback" not in out.stderr, out.stderr  # EX_TEMPFAIL
    *logged, last = out.stderr.strip().splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\d [\d:,]+ INFO ", line) for line in logged), logged
    assert last.startswith(f"hearth: cannot reach Discord at 127.0.0.1:{port}: "), last
    assert TOKEN not in out.stderr
    with_password = {"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": f"http://u:hunter2@{api[7:]}"}
    out = hearth("run", env=with_password, cwd=tmp_path)
    assert out.returncode == 2 and "hunter2" not in out.stderr
    assert out.stderr.startswith("hearth: invalid setting DISCORD_API_BASE: "), out.stderr


def test_bad_setting_is_one_clear_line(tmp_path):
    out = hearth("stats", env={"HEARTH_LOG_LEVEL": "chatty"}, cwd=tmp_path)
    assert out.returncode == 2 and "HEARTH_LOG_LEVEL" in out.stderr
    assert "Traceback" not in out.stderr


def test_openai_without_key_fails_at_start(tmp_path):
    out = hearth("run", env={"DISCORD_TOKEN": TOKEN, "HEARTH_SUMMARIZER": "openai"}, cwd=tmp_path)
    assert out.returncode == 2 and "OPENAI_API_KEY" in out.stderr


def test_stats_on_empty_database(tmp_path):
    db = tmp_path / "h.db"
    asyncio.run(_create(db))
    out = hearth("stats", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "messages" in out.stdout and "nothing stored yet" in out.stdout


async def _create(path) -> None:
    from bot.db import Store

    await (await Store.open(str(path))).close()


@pytest.mark.parametrize(
    "command", [("stats",), ("digest",), ("recap", "--member", "maya")], ids=lambda c: c[0]
)
def test_read_only_commands_never_create_a_database(tmp_path, command):
    # A typo in --db used to create the file and its folders and print an empty archive.
    db = tmp_path / "typo" / "hearht.db"
    out = hearth(*command, "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2, out
    assert out.stderr.strip().splitlines() == [
        f"hearth: no database at {db} (hearth import or hearth run creates one)"
    ]
    assert not db.parent.exists()


@pytest.mark.parametrize("content", [b"garbage" * 50])
def test_unusable_database_is_one_clear_line(tmp_path, content):
    db = tmp_path / "h.db"
    db.write_bytes(content)
    out = hearth("stats", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and str(db) in out.stderr and "Traceback" not in out.stderr


def test_import_digest_and_two_recaps_on_the_real_export(tmp_path, real_export):
    db = str(tmp_path / "x.db")
    first = hearth("import", str(real_export), "--db", db, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("520 messages imported, 520 new, 0 skipped, 1 channel")
    again = hearth("import", str(real_export), "--db", db, cwd=tmp_path)
    assert "0 new, 520 skipped" in again.stdout
    window = ("--since", "2025-01-27", "--until", "2025-02-03", "--db", db)
    digest = hearth("digest", *window, cwd=tmp_path)
    assert digest.returncode == 0, digest.stderr
    assert "· digest" in digest.stdout and "/channels/554623348622098432/" in digest.stdout
    one = hearth("recap", "--member", "member018", *window, cwd=tmp_path)
    two = hearth("recap", "--member", "member036", *window, cwd=tmp_path)
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert "Recap for member018" in one.stdout and "Recap for member036" in two.stdout
    assert one.stdout.split("\n", 3)[3] != two.stdout.split("\n", 3)[3]
    assert "Why:" in one.stdout and "Why:" in two.stdout


def test_digest_hints_when_the_window_is_empty_and_rejects_bad_dates(tmp_path):
    db = str(tmp_path / "x.db")
    data = __import__("pathlib").Path(__file__).parents[1] / "data" / "dce_minimal.json"
    assert hearth("import", str(data), "--db", db, cwd=tmp_path).returncode == 0
    empty = hearth("digest", "--db", db, "--since", "2001-01-01", "--until", "2001-02-01")
    assert empty.returncode == 0 and "The archive spans" in empty.stdout
    bad = hearth("recap", "--member", "x", "--db", db, "--since", "last tuesday")
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr and "Traceback" not in bad.stderr


def test_bare_hearth_without_token_runs_the_demo(tmp_path):
    out = hearth(cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("No DISCORD_TOKEN set: running the offline demo")
    assert "· digest" in out.stdout and out.stdout.count("# Your recap") == 2
    assert not list(tmp_path.iterdir())  # the demo database was temporary


@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_a_bad_date_names_its_flag_and_value(tmp_path, flag):
    out = hearth("digest", flag, "2025-13-45", "--db", str(tmp_path / "h.db"), cwd=tmp_path)
    assert out.returncode == 2
    line = out.stderr.strip()
    assert "\n" not in line and flag in line and "'2025-13-45'" in line and "ISO 8601" in line


def test_digest_for_an_unknown_channel_says_so(tmp_path):
    db = str(tmp_path / "x.db")
    data = __import__("pathlib").Path(__file__).parents[1] / "data" / "dce_minimal.json"
    assert hearth("import", str(data), "--db", db, cwd=tmp_path).returncode == 0
    out = hearth("digest", "--db", db, "--channel", "42", cwd=tmp_path)
    assert out.returncode == 2 and "quiet" not in out.stdout
    assert out.stderr.strip().startswith("hearth: no channel 42 in guild "), out.stderr


def test_a_folder_as_database_is_one_line_every_time(tmp_path):
    # It used to add a "RuntimeError: Event loop is closed" traceback from aiosqlite's
    # thread in about one run in ten (2 of 25 here); fifteen runs catch it most times.
    for _ in range(15):
        out = hearth("stats", "--db", str(tmp_path), cwd=tmp_path)
        assert out.returncode == 2
        assert out.stderr.strip().splitlines() == [
            f"hearth: {tmp_path} is a folder: give the database file, e.g. {tmp_path / 'hearth.db'}"
        ]
