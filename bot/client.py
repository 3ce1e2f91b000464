"""The Discord client: wires settings, the store and the extensions together."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.archive import ArchiveWriter
from bot.db import Store
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.archive",)


def intents() -> discord.Intents:
    """Guilds, members, messages with content, reactions. Members and content are privileged."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.guild_messages = True
    wanted.message_content = True
    wanted.guild_reactions = True
    wanted.dm_messages = True
    return wanted


def point_at(api_base: str, gateway_url: str) -> None:
    """Send REST and gateway traffic to the configured endpoints (a proxy or a test double)."""
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class HearthBot(commands.Bot):
    """Hearth's bot: one store, one archive writer, the cogs in :data:`EXTENSIONS`."""

    store: Store
    writer: ArchiveWriter

    def __init__(
        self, settings: Settings, *, extensions: tuple[str, ...] = EXTENSIONS, **options: Any
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            max_messages=1000,
            **options,
        )
        self.settings = settings
        self.extension_names = extensions
        point_at(settings.discord_api_base, settings.discord_gateway_url)

    async def setup_hook(self) -> None:
        """Open the store, start the writer, load the cogs, sync slash commands if changed."""
        self.store = await Store.open(self.settings.db_path)
        self.writer = ArchiveWriter(self.store)
        self.writer.start()
        for name in self.extension_names:
            await self.load_extension(name)
        await self.sync_commands()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync the command tree when it differs from what was last synced (rate limits)."""
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        if not force and await self.store.cursors.get_meta("command_tree") == digest:
            return False
        synced = await self.tree.sync()
        async with self.store.transaction():
            await self.store.cursors.set_meta("command_tree", digest)
        log.info("synced %d application commands", len(synced))
        return True

    async def on_ready(self) -> None:
        """Log who we are (the token never is)."""
        user = self.user
        log.info(
            "connected as %s (%s) in %d guilds", user, user.id if user else "?", len(self.guilds)
        )

    async def close(self) -> None:
        """Flush pending writes and close the store, then disconnect."""
        if self.is_closed():
            return
        try:
            for name in list(self.extensions):
                await self.unload_extension(name)
            if hasattr(self, "writer"):
                await self.writer.stop()
        finally:
            if hasattr(self, "store"):
                await self.store.close()
            await super().close()


async def start_bot(settings: Settings, token: str, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set or the connection fails for good; always flush on the way out."""
    bot = HearthBot(settings)
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="hearth-bot")
            stopper = asyncio.create_task(stop.wait(), name="hearth-stop")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if runner in done:
                runner.result()
            else:
                log.info("shutting down: flushing pending writes")
                await bot.close()
                await runner
    except discord.LoginFailure:
        raise SettingsError(
            "DISCORD_TOKEN was rejected by Discord: copy the token again from the Developer "
            "Portal (Bot > Reset Token)"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise SettingsError(
            "Discord refused the privileged intents: enable 'Server Members Intent' and "
            "'Message Content Intent' for the bot in the Developer Portal (Bot > Privileged "
            "Gateway Intents)"
        ) from None
