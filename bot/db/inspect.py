"""Read-only looks at a database file for ``hearth doctor``: never migrating, never writing."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from urllib.parse import quote

from bot.db.connection import BUSY_SECONDS


@contextlib.contextmanager
def read_only(path: str) -> Iterator[sqlite3.Connection]:
    """A stdlib connection that cannot write (``mode=ro``), closed after."""
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS)
    try:
        yield conn
    finally:
        conn.close()


def integrity(path: str) -> tuple[str, int]:
    """``PRAGMA quick_check``'s answer ("ok") and the schema version."""
    with read_only(path) as conn:
        check = str(conn.execute("PRAGMA quick_check").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    return check, version


def digest_channels(path: str) -> dict[int, int | None]:
    """Guild id -> its digest channel id (None: not set up)."""
    with read_only(path) as conn:
        rows = conn.execute("SELECT id, digest_channel_id FROM guilds").fetchall()
    return {int(g): (int(c) if c is not None else None) for g, c in rows}
