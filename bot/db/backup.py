"""``hearth backup``: SQLite's online backup API, safe while the bot runs.

The copy is one consistent snapshot: the backup reads inside one read transaction, and in
WAL mode a reader neither waits for the bot's writes nor sees their uncommitted part. It is
written beside the destination under a temporary name and renamed over it, so a crash or a
full disk leaves the previous backup whole. The source is opened read-only and never
migrated: a backup taken before an upgrade keeps the old schema, to go back to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bot.db.connection import BUSY_SECONDS, StoreError, explain


@dataclass(frozen=True, slots=True)
class Backup:
    """What a backup wrote."""

    source: str
    path: Path
    messages: int
    schema: int
    size: int

    def line(self) -> str:
        """``backed up hearth.db to b.db: 1,234 messages, schema 9, 3.2 MB``."""
        return (
            f"backed up {self.source} to {self.path}: {self.messages:,} messages, "
            f"schema {self.schema}, {self.size / 1e6:.1f} MB"
        )


def destination(target: str, now: dt.datetime) -> Path:
    """``target``, or a file named by time inside it when it is a folder."""
    path = Path(target)
    if path.is_dir():
        return path / f"hearth-{now:%Y%m%d-%H%M%S}.db"
    return path


def backup(source: str, target: str, now: dt.datetime) -> Backup:
    """Copy the database at ``source`` to ``target`` (a file, or a folder to put one in)."""
    if not Path(source).is_file():
        raise StoreError(f"no database at {source} (hearth import or hearth run creates one)")
    dest = destination(target, now)
    if dest.exists() and dest.resolve() == Path(source).resolve():
        raise StoreError(f"{dest} is the database itself: give the backup another path")
    if not dest.parent.is_dir():
        raise StoreError(f"cannot write the backup {dest}: its folder does not exist")
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot write the backup {dest}: {exc.strerror}") from None
    try:
        made = _copy(source, partial, dest)
        os.replace(partial, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return Backup(source, dest, *made, size=dest.stat().st_size)


def _copy(source: str, partial: Path, dest: Path) -> tuple[int, int]:
    uri = f"file:{quote(os.path.abspath(source))}?mode=ro"
    try:
        src = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)
    except sqlite3.Error as exc:
        raise StoreError(explain(exc, source)) from None
    out = sqlite3.connect(partial)
    try:
        try:
            src.backup(out)
        except sqlite3.Error as exc:
            raise StoreError(f"backup failed: {explain(exc, str(dest))}") from None
        out.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        check = out.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"the copy of {source} failed its check ({check}): not kept")
        schema = int(out.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in out.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        messages = (
            int(out.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
            if "messages" in tables
            else 0
        )
    finally:
        out.close()
        src.close()
    return messages, schema
