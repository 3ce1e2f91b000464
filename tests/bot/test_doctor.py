"""``hearth doctor`` offline: settings, token shape, the database file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db.connection import migrations
from tests.bot.test_cli import hearth

DATA = Path(__file__).resolve().parents[1] / "data"


def test_doctor_offline_warns_and_passes(tmp_path):
    out = hearth("doctor", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "ok    settings: loaded (summarizer extractive, log level INFO)",
        "warn  token: DISCORD_TOKEN is not set: only the demo and the CLI work",
        f"warn  database: no database at {tmp_path / 'none.db'} yet (hearth run creates it)",
        "ok    summarizer: extractive: works offline, no model needed",
    ]
    assert not (tmp_path / "none.db").exists()


def test_doctor_finds_what_is_wrong_with_the_file(tmp_path):
    db = tmp_path / "h.db"
    assert hearth("import", str(DATA / "dce_minimal.json"), "--db", str(db)).returncode == 0
    db.chmod(0o644)
    out = hearth("doctor", "--db", str(db), env={"DISCORD_TOKEN": "Bot abc"}, cwd=tmp_path)
    assert out.returncode == 1
    assert "fail  token: DISCORD_TOKEN must be the token alone" in out.stdout
    assert "is readable by other users (mode 0644)" in out.stdout and "chmod 600" in out.stdout
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={len(migrations()) + 1}")
    newer = hearth("doctor", "--db", str(db), cwd=tmp_path)
    assert newer.returncode == 1 and "fail  database: schema" in newer.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=1")
    older = hearth("doctor", "--db", str(db), cwd=tmp_path)
    assert "warn  database: schema 1 of" in older.stdout and "hearth backup first" in older.stdout
    with sqlite3.connect(db) as conn:  # doctor never migrates
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
