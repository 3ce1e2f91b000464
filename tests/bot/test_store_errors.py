"""``explain``: a real SQLite error on a database becomes one line a user can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import explain


def _error(fn) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        fn()
    return caught.value


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    return path


def test_locked(tmp_path):
    path = _db(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    line = explain(_error(lambda: other.execute("INSERT INTO t VALUES (1)")), str(path))
    holder.rollback()
    assert line.startswith(f"database {path} is locked: another process kept it busy for 5 s")


def test_read_only(tmp_path):
    path = _db(tmp_path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    line = explain(_error(lambda: conn.execute("INSERT INTO t VALUES (1)")), str(path))
    assert line.startswith(f"database {path} is read-only")


def test_full(tmp_path):
    path = _db(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA max_page_count=3")  # SQLITE_FULL, the code of a full disk
    line = explain(_error(lambda: conn.execute("INSERT INTO t VALUES (zeroblob(100000))")), "x")
    assert line == "the disk holding database x is full: free some space and try again"


def test_not_a_database(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"garbage" * 100)
    line = explain(_error(lambda: sqlite3.connect(path).execute("SELECT 1 FROM t")), str(path))
    assert (
        line == f"{path} is not a usable Hearth database (file is not a database); restore a backup"
    )


def test_a_folder(tmp_path):
    line = explain(_error(lambda: sqlite3.connect(tmp_path)), str(tmp_path))
    assert line == f"{tmp_path} is a folder: give the database file, e.g. {tmp_path / 'hearth.db'}"
