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

from bot.db.connection import StoreError, explain, is_temporary
from bot.db.inspect import read_only


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
        size = dest.stat().st_size
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise StoreError(f"cannot write the backup {dest}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return Backup(source, dest, *made, size=size)


def _copy(source: str, partial: Path, dest: Path) -> tuple[int, int]:
    """Check the source, copy it, check the copy: each error names the file it is about."""
    try:
        with read_only(source) as src:
            check = src.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":  # copying a damaged database would only hide it
                raise StoreError(f"{source} fails its integrity check ({check}): not copied")
            with contextlib.closing(sqlite3.connect(partial)) as out:
                try:
                    src.backup(out)
                    out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                    return _facts(out)
                except sqlite3.Error as exc:
                    raise StoreError(f"backup failed: {explain(exc, str(dest))}") from None
    except sqlite3.Error as exc:
        raise StoreError(explain(exc, source), temporary=is_temporary(exc)) from None


def _facts(out: sqlite3.Connection) -> tuple[int, int]:
    check = out.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise StoreError(f"the copy failed its integrity check ({check}): not kept")
    schema = int(out.execute("PRAGMA user_version").fetchone()[0])
    tables = {r[0] for r in out.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    messages = (
        int(out.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        if "messages" in tables
        else 0
    )
    return messages, schema
