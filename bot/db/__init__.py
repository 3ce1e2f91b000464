"""The SQLite store: the only package that contains SQL.

``Store.open(path)`` gives one long-lived connection with a repository per concern. Writes
that must land together go through ``async with store.transaction():``; repository methods
never commit on their own, so a batch of gateway events is one transaction.

Reads that decide who may see what go through ``async with store.read() as db:``: one read
transaction on a separate read-only connection (WAL), so every query inside it sees the same
committed state, never the middle of a write transaction on the writer's connection (where a
channel's overwrites are deleted before the new ones are inserted). An in-memory database has
no second connection; there the snapshot holds the write lock instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence

import aiosqlite

from bot.db.channels import ChannelRepository
from bot.db.connection import (
    StoreError,
    atomically,
    check_writable,
    connect,
    connect_reader,
    explain,
    in_db_thread,
    is_temporary,
    read_transaction,
    schema_version,
    shares_file,
    transaction,
)
from bot.db.cursors import CursorRepository
from bot.db.deliveries import DeliveryRepository
from bot.db.guilds import GuildRepository
from bot.db.llm_usage import LlmUsageRepository
from bot.db.members import MemberRepository
from bot.db.messages import MessageRepository, Step, run_steps
from bot.db.privacy import PrivacyRepository
from bot.db.recap import RecapRepository
from bot.db.retention import RetentionRepository
from bot.db.search import SearchRepository
from bot.db.stats import StatsRepository

__all__ = [
    "READERS",
    "ReadView",
    "Store",
    "StoreError",
    "check_writable",
    "explain",
    "is_temporary",
]

READERS = 2  # read-only connections: concurrent snapshots beyond this wait their turn


class ReadView:
    """The repositories over one connection: what ``Store.read()`` yields."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.trace: Callable[[str], object] | None = None
        self.guilds = GuildRepository(conn)
        self.channels = ChannelRepository(conn)
        self.members = MemberRepository(conn)
        self.messages = MessageRepository(conn)
        self.stats = StatsRepository(conn)
        self.recap = RecapRepository(conn)
        self.cursors = CursorRepository(conn)
        self.deliveries = DeliveryRepository(conn)
        self.llm_usage = LlmUsageRepository(conn)
        self.privacy = PrivacyRepository(conn)
        self.retention = RetentionRepository(conn)
        self.search = SearchRepository(conn)


class Store(ReadView):
    """One database: the writer's connection, a write lock, the repositories and a pool of
    read-only connections for consistent snapshots."""

    def __init__(self, conn: aiosqlite.Connection, path: str, *, readers: int = READERS) -> None:
        super().__init__(conn)
        self.path = path
        self._write_lock = asyncio.Lock()
        self._max_readers = max(1, readers) if shares_file(path) else 0
        self._readers: list[ReadView] = []  # idle, opened on first use
        self._reader_count = 0
        self._reader_free = asyncio.Condition()
        self._trace: Callable[[str], object] | None = None

    @classmethod
    async def open(cls, path: str, *, create: bool = True) -> Store:
        """Open (creating unless ``create`` is False, and migrating) the database at ``path``."""
        return cls(await connect(path, create=create), path)

    async def close(self) -> None:
        """Close the connections and their worker threads."""
        readers, self._readers = self._readers, []
        for reader in readers:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await reader.conn.close()
        await self.conn.close()

    async def schema_version(self) -> int:
        """The applied migration number."""
        return await schema_version(self.conn)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction; concurrent writers on this store wait their turn."""
        async with self._write_lock, transaction(self.conn):
            yield

    async def run_steps(self, steps: Sequence[Step]) -> None:
        """The archive writer's batch of new messages, history checkpoints and authors, in
        order, as one write transaction in one call to the database thread. Cancelling the
        caller does not stop it: the batch lands whole or not at all, and a writer that
        flushes it again is idempotent."""
        async with self._write_lock:
            await in_db_thread(self.conn, atomically, run_steps, steps)

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it (after a forget, so deleted
        rows do not stay readable in the -wal file); False if a reader kept it from finishing."""
        async with self._write_lock, self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        return row is not None and row[0] == 0

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        """Call ``callback`` with every statement run on any of the store's connections."""
        self._trace = callback
        await self.conn.set_trace_callback(callback)  # type: ignore[arg-type]  # None clears

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[ReadView]:
        """One consistent, read-only snapshot of the committed state.

        Writes inside it fail (the connection is ``query_only``). Keep it short: load what a
        decision needs, then compute outside it.
        """
        if not self._max_readers:  # :memory: — no second connection can see this database
            async with self._write_lock:
                yield self
            return
        reader = await self._take_reader()
        if reader.trace is not self._trace:
            await reader.conn.set_trace_callback(self._trace)  # type: ignore[arg-type]
            reader.trace = self._trace
        try:
            async with read_transaction(reader.conn):
                yield reader
        except BaseException:
            await self._drop_reader(reader)
            raise
        await self._give_back(reader)

    async def _take_reader(self) -> ReadView:
        async with self._reader_free:
            while not self._readers and self._reader_count >= self._max_readers:
                await self._reader_free.wait()
            if self._readers:
                return self._readers.pop()
            self._reader_count += 1
        try:
            return ReadView(await connect_reader(self.path))
        except BaseException:
            async with self._reader_free:
                self._reader_count -= 1
                self._reader_free.notify()
            raise

    async def _give_back(self, reader: ReadView) -> None:
        async with self._reader_free:
            self._readers.append(reader)
            self._reader_free.notify()

    async def _drop_reader(self, reader: ReadView) -> None:
        """After an error the connection may be mid-transaction: close it, open anew later."""
        if reader.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await reader.conn.close()
            async with self._reader_free:
                self._reader_count -= 1
                self._reader_free.notify()
        else:
            await self._give_back(reader)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
