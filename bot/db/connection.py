"""Open the SQLite store: one long-lived aiosqlite connection, WAL, migrations."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")

MEMORY = ":memory:"

BUSY_SECONDS = 5  # how long a write waits for another process's transaction to end

# Every read-write connection (bench/ingest.py's baselines use the same).
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}",
    # Deleted rows are overwritten with zeros, so forgotten text does not linger in free
    # pages (builds without SQLITE_SECURE_DELETE leave them readable otherwise).
    "PRAGMA secure_delete=ON",
)


class StoreError(Exception):
    """The database cannot be opened or migrated; the message says which file and why.
    ``temporary``: it may pass by itself (locked by another process)."""

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


def migrations() -> list[tuple[int, str, str]]:
    """The bundled migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("bot.db").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations are not numbered 1..n: {versions}")
    return found


# SQLite's primary result codes (the low byte of an extended code) that a user can act on.
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def is_temporary(exc: sqlite3.Error) -> bool:
    """Whether the error may pass by itself: the database was busy (locked)."""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in (_BUSY, _LOCKED)


def explain(exc: sqlite3.Error, path: str) -> str:
    """One line saying what went wrong with the database at ``path`` and what to do."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return (
            f"database {path} is locked: another process kept it busy for {BUSY_SECONDS} s "
            "(an import, a backup, or a tool holding a transaction); try again when it is done"
        )
    if code == _READONLY:
        return read_only(path)
    if code == _FULL:
        return f"the disk holding database {path} is full: free some space and try again"
    if code == _IOERR:
        return f"disk I/O error on database {path} (is its disk full, failing or gone?)"
    if code in (_CORRUPT, _NOTADB):
        return f"{path} is not a usable Hearth database ({exc}); restore a backup"
    if code == _CANTOPEN and Path(path).is_dir():
        return f"{path} is a folder: give the database file, e.g. {Path(path) / 'hearth.db'}"
    if code == _CANTOPEN and shares_file(path) and not writable(path):
        return read_only(path)
    return f"cannot use database {path}: {exc}"


def read_only(path: str) -> str:
    """The line for a database that may not be written."""
    return (
        f"database {path} is read-only (file permissions or a read-only file system): "
        "Hearth must write it, and the -wal and -shm files beside it"
    )


def writable(path: str) -> bool:
    """Whether this process may write ``path`` and create files beside it (SQLite's WAL
    and shared-memory files); ``os.access`` honours read-only mounts and root alike."""
    folder = Path(path).parent
    if Path(path).exists() and not os.access(path, os.W_OK):
        return False
    while not folder.exists() and folder != folder.parent:  # created on first use
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK)


def check_writable(path: str) -> None:
    """Raise :class:`StoreError` now if ``path`` can't be written, before any work starts
    (the bot would otherwise connect to Discord and fail on its first write)."""
    if shares_file(path) and not Path(path).is_dir() and not writable(path):
        raise StoreError(read_only(path))


def _exists(path: str) -> bool:
    """Whether the database file is there (``:memory:`` and URIs: always, as far as we know)."""
    return not shares_file(path) or Path(path).exists()


def _preflight(path: str) -> None:
    """Open the file once with the stdlib first. When aiosqlite's own connect fails, its
    worker thread outlives the event loop (the stop it queues is awaited by nobody) and
    prints a 'RuntimeError: Event loop is closed' traceback after the one-line error."""
    sqlite3.connect(path).close()


def _create_private(path: str) -> None:
    """Create the database file with mode 0600 before SQLite does (its default is 0644)."""
    if path == MEMORY or path.startswith("file:"):
        return
    target = Path(path)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)


async def connect(path: str, *, create: bool = True) -> aiosqlite.Connection:
    """Open ``path``, set the pragmas and apply pending migrations; with ``create`` False a
    missing file is an error (a read-only command must not create one from a typo)."""
    if not create and not _exists(path):
        raise StoreError(f"no database at {path} (hearth import or hearth run creates one)")
    if create:
        check_writable(path)
    try:
        _create_private(path)
        _preflight(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(explain(exc, path), temporary=is_temporary(exc)) from None
    except OSError as exc:
        raise StoreError(f"cannot open database {path}: {exc.strerror or exc}") from None
    try:
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        await migrate(conn)
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise StoreError(explain(exc, path), temporary=is_temporary(exc)) from None
    except BaseException:
        await conn.close()
        raise
    return conn


def shares_file(path: str) -> bool:
    """Whether a second connection to ``path`` sees the same database (not ``:memory:``)."""
    return path != MEMORY and not path.startswith("file:") and path != ""


async def connect_reader(path: str) -> aiosqlite.Connection:
    """A read-only connection to an existing, migrated database (for snapshots)."""
    try:  # no preflight: readers open after the store's own connection succeeded
        conn = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open database {path} for reading: {exc}") from None
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA query_only=ON")
        await conn.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    except BaseException:
        await conn.close()
        raise
    return conn


@contextlib.asynccontextmanager
async def read_transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """BEGIN … COMMIT around reads: in WAL mode every query inside sees one snapshot, the
    state committed when the first of them ran."""
    await conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await conn.execute("COMMIT")


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The version recorded in ``PRAGMA user_version``."""
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration newer than ``user_version`` in one transaction."""
    current = await schema_version(conn)
    pending = [m for m in migrations() if m[0] > current]
    if current > len(migrations()):
        raise StoreError(
            f"database schema version {current} is newer than this Hearth knows "
            f"({len(migrations())}); upgrade Hearth"
        )
    if not pending:
        return current
    await conn.execute("BEGIN IMMEDIATE")
    try:
        for version, name, sql in pending:
            log.info("applying migration %s", name)
            # executescript would COMMIT first; run statements one by one inside our transaction.
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={version:d}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    return pending[-1][0]


def _statements(sql: str) -> list[str]:
    """Split a migration into complete statements (sqlite3.complete_statement aware)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete statement in migration: {buffer.strip()[:60]}")
    return statements


@contextlib.asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error (a cancelled BEGIN or a failed
    COMMIT included), so the connection is never left inside a transaction."""
    try:
        await conn.execute("BEGIN IMMEDIATE")
        yield conn
        await conn.execute("COMMIT")
    except BaseException:
        # Always queue the ROLLBACK: a cancelled BEGIN may still be waiting in aiosqlite's
        # queue (in_transaction is False now, True once it runs). The queue is in order, so
        # the ROLLBACK runs after it; with no transaction open it fails, harmlessly.
        with contextlib.suppress(sqlite3.Error):
            await conn.execute("ROLLBACK")
        raise


def in_db_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: object) -> Awaitable[T]:
    """Run ``fn(db, *args)`` on ``conn``'s own thread, ``db`` being its ``sqlite3.Connection``.

    One round trip for work that would otherwise await once per statement (the archive
    writer's batch: two lookups and three ``executemany`` calls). aiosqlite offers no public
    call for this (its maintainer agreed it would be faster: omnilib/aiosqlite#19), so this is
    the one place that uses its private ``_execute`` and ``_conn``, unchanged from 0.17 to
    0.22; ``pyproject.toml`` caps the version and ``tests/bot/test_in_db_thread.py`` pins
    the behaviour, so an aiosqlite that changes them fails the tests, not a user's bot.
    """
    run: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute  # untyped in aiosqlite
    return run(lambda: fn(conn._conn, *args))


def atomically(db: sqlite3.Connection, fn: Callable[..., T], *args: object) -> T:
    """``fn(db, *args)`` between BEGIN IMMEDIATE and COMMIT, on the database thread (for
    :func:`in_db_thread`); ROLLBACK on any error, so nothing of it lands half-way."""
    db.execute("BEGIN IMMEDIATE")
    try:
        out = fn(db, *args)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return out
