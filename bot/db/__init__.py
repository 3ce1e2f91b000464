"""The SQLite store: the only package that contains SQL.

``Store.open(path)`` gives one long-lived connection with a repository per concern. Writes
that must land together go through ``async with store.transaction():``; repository methods
never commit on their own, so a batch of gateway events is one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiosqlite

from bot.db.channels import ChannelRepository
from bot.db.connection import StoreError, connect, schema_version, transaction
from bot.db.cursors import CursorRepository
from bot.db.deliveries import DeliveryRepository
from bot.db.guilds import GuildRepository
from bot.db.llm import LlmUsageRepository
from bot.db.members import MemberRepository
from bot.db.messages import MessageRepository
from bot.db.privacy import PrivacyRepository
from bot.db.recap import RecapRepository
from bot.db.retention import RetentionRepository
from bot.db.stats import StatsRepository

__all__ = ["Store", "StoreError"]


class Store:
    """One database: a connection, a write lock and the repositories."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()
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

    @classmethod
    async def open(cls, path: str) -> Store:
        """Open (creating and migrating if needed) the database at ``path``."""
        return cls(await connect(path), path)

    async def close(self) -> None:
        """Close the connection and its worker thread."""
        await self.conn.close()

    async def schema_version(self) -> int:
        """The applied migration number."""
        return await schema_version(self.conn)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction; concurrent writers on this store wait their turn."""
        async with self._write_lock, transaction(self.conn):
            yield

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
