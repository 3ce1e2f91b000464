"""``hearth backup``: a consistent copy, safe while the bot writes, never half a file."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from tests.bot.test_cli import hearth
from tests.bot.test_cli_storage import stored

DATA = Path(__file__).resolve().parents[1] / "data"


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "h.db"
    assert hearth("import", str(DATA / "dce_minimal.json"), "--db", str(db)).returncode == 0
    return db


def test_backup_is_a_complete_private_single_file(tmp_path):
    db = _db(tmp_path)
    out = hearth("backup", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    copy = tmp_path / "copy.db"
    assert out.stdout.strip().startswith(f"backed up {db} to {copy}: 4 messages, schema ")
    assert stored(copy) == 4
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it holds the community's messages
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")]


def test_backup_while_another_writer_holds_a_transaction(tmp_path):
    db = _db(tmp_path)
    with sqlite3.connect(db, isolation_level=None) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM messages")  # not committed: the backup must not see it
        out = hearth("backup", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
        conn.execute("ROLLBACK")
    assert out.returncode == 0, out.stderr
    assert stored(tmp_path / "copy.db") == 4


def test_backup_into_a_folder_names_the_file_by_time(tmp_path):
    db = _db(tmp_path)
    folder = tmp_path / "backups"
    folder.mkdir()
    out = hearth("backup", str(folder), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (made,) = folder.iterdir()
    assert made.name.startswith("hearth-") and made.suffix == ".db" and stored(made) == 4


def test_backup_replaces_an_older_backup_whole(tmp_path):
    db = _db(tmp_path)
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"an older backup")
    assert hearth("backup", str(copy), "--db", str(db), cwd=tmp_path).returncode == 0
    assert stored(copy) == 4


def test_backup_problems_are_one_line(tmp_path):
    missing = hearth("backup", str(tmp_path / "c.db"), "--db", str(tmp_path / "no.db"))
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == f"hearth: no database at {tmp_path / 'no.db'} (hearth import or hearth run creates one)"
    )
    db = _db(tmp_path)
    nowhere = tmp_path / "absent" / "c.db"
    out = hearth("backup", str(nowhere), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (
        out.stderr.strip()
        == f"hearth: cannot write the backup {nowhere}: its folder does not exist"
    )
    same = hearth("backup", str(db), "--db", str(db), cwd=tmp_path)
    assert same.returncode == 2 and "is the database itself" in same.stderr
    assert stored(db) == 4


def test_backup_does_not_migrate_the_database(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # an older Hearth's file: schema 1 of n
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY)")
        conn.execute("PRAGMA user_version=1")
    out = hearth("backup", str(tmp_path / "copy.db"), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for path in (db, tmp_path / "copy.db"):
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_damaged_source_is_named_not_the_copy(tmp_path):
    db = tmp_path / "h.db"
    db.write_bytes(b"not a database at all " * 200)
    copy = tmp_path / "copy.db"
    out = hearth("backup", str(copy), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().startswith(f"hearth: {db} is not a usable Hearth database"), out
    assert not copy.exists() and not list(tmp_path.glob(".copy*"))
