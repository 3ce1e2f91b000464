"""The Discord client: wires settings, the store and the extensions together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.db import Store
from bot.delivery.content import RecapContent
from bot.delivery.scheduler import HearthScheduler
from bot.delivery.service import (
    DeliveryError,
    DeliveryService,
    DMClosedError,
    Embeds,
    TransientDeliveryError,
)
from bot.errors import CliError, TemporaryError
from bot.ingest import retention
from bot.ingest.writer import ArchiveWriter
from bot.models import Place
from bot.recap import RecapService
from bot.recap.summarize.backend import build_recaps, close_recaps
from bot.services.archive import ArchiveService
from bot.services.guild_config import GuildConfigService
from bot.services.members import MemberService
from bot.services.privacy import PrivacyService
from bot.settings import Settings, SettingsError, public_host
from bot.timeutil import snowflake_at, utcnow

log = logging.getLogger(__name__)

EXTENSIONS: tuple[str, ...] = ("cogs.archive", "cogs.members", "cogs.privacy", "cogs.admin")


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
    recaps: RecapService
    delivery: DeliveryService
    scheduler: HearthScheduler
    privacy: PrivacyService
    members: MemberService
    guild_config: GuildConfigService

    def __init__(
        self,
        settings: Settings,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
        clock: Callable[[], dt.datetime] = utcnow,
        dm_interval: float = 0.25,
        **options: Any,
    ) -> None:
        # Hearth never joins voice: discord.py's warnings about its voice libraries
        # (PyNaCl, davey) would greet every start for nothing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
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
        self.clock = clock
        self.dm_interval = dm_interval
        self._caught_up = False
        self._catch_up: asyncio.Task[None] | None = None
        point_at(settings.discord_api_base, settings.discord_gateway_url)

    async def setup_hook(self) -> None:
        """Open the store, start the writer, load the cogs, sync slash commands if changed."""
        self.store = await Store.open(self.settings.db_path)
        self.writer = ArchiveWriter(self.store)
        self.writer.start()
        self.recaps = build_recaps(self.store, self.settings)
        self.delivery = DeliveryService(
            self.store,
            RecapContent(self.recaps, post_empty=self.settings.post_empty_digests),
            DiscordPublisher(self),
            clock=self.clock,
            dm_interval=self.dm_interval,
        )
        self.privacy = PrivacyService(
            self.store, flush=self.writer.drain, forgotten=self.writer.forgotten
        )
        # What cogs ask for: they never reach the store themselves.
        self.members = MemberService(self.store, recaps=self.recaps)
        self.archive = ArchiveService(self.store)
        self.guild_config = GuildConfigService(
            self.store, on_change=self._settings_changed, flush=self.writer.flush
        )
        self.scheduler = HearthScheduler(
            self.store,
            self.delivery,
            clock=self.clock,
            daily_jobs=[("retention purge", self._purge)],
            present=lambda guild_id: self.get_guild(guild_id) is not None,
        )
        self.scheduler.start()
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

    async def _purge(self, guild_id: int) -> int:
        return await retention.purge(self.store, guild_id, self.clock())

    async def on_hearth_backfill_done(self) -> None:
        """History is complete: catch up on deliveries missed while down, once per process."""
        if self._caught_up:
            return
        self._caught_up = True
        self._catch_up = asyncio.create_task(self._run_all_now(), name="hearth-catch-up")

    async def _run_all_now(self) -> None:
        for guild in self.guilds:
            try:
                await self.scheduler.run_now(guild.id)
            except Exception:  # one guild's trouble must not stop the others' catch-up
                log.exception("catch-up for guild %s failed", guild.id)

    async def on_ready(self) -> None:
        """Log who we are (the token never is) and arm every guild's schedule."""
        for guild in self.guilds:
            await self.scheduler.arm(guild.id)
        await self._banner()

    async def _banner(self, most: int = 10) -> None:
        """What a user wants to see at start: who, where the data is, which summarizer,
        and when each guild's next digest goes out (the first ``most`` guilds)."""
        user, n = self.user, len(self.guilds)
        log.info(
            "Hearth is running as %s (%s) in %d guild%s · database %s · summarizer %s",
            user,
            user.id if user else "?",
            n,
            "" if n == 1 else "s",
            self.settings.db_path,
            self.settings.summarizer,
        )
        for guild in self.guilds[:most]:
            settings = await self.guild_config.get(guild.id)
            at = self.scheduler.next_run(guild.id)
            if settings.digest_channel_id is None:
                when = "no digest channel yet (an admin runs /hearth setup)"
            elif at is None:
                when = "no digest scheduled (check /hearth status)"
            else:
                when = f"next digest {at:%a %Y-%m-%d %H:%M %Z}"
            log.info("  %s: %s", guild.name, when)
        if n > most:
            log.info("  … and %d more guilds", n - most)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a guild: no more deliveries there."""
        self.scheduler.disarm(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new guild gets its schedule."""
        await self.scheduler.arm(guild.id)

    async def _settings_changed(self, guild_id: int) -> None:
        try:
            await self.on_guild_settings_changed(guild_id)
        except Exception:  # the settings are stored; rescheduling is the scheduler's problem
            log.exception("on_guild_settings_changed(%s) failed", guild_id)

    async def on_guild_settings_changed(self, guild_id: int) -> None:
        """Admins changed the schedule: re-arm the guild's jobs."""
        await self.scheduler.arm(guild_id)

    async def close(self) -> None:
        """Flush pending writes and close the store, then disconnect."""
        if self.is_closed():
            return
        try:
            for name in list(self.extensions):
                await self.unload_extension(name)
            if self._catch_up is not None:
                self._catch_up.cancel()
                await asyncio.gather(self._catch_up, return_exceptions=True)
            if hasattr(self, "scheduler"):
                self.scheduler.shutdown()
            if hasattr(self, "writer"):
                await self.writer.stop()
            if hasattr(self, "recaps"):
                await close_recaps(self.recaps)
        finally:
            if hasattr(self, "store"):
                await self.store.close()
            await super().close()


BEAT_SECONDS = 30


async def _beat(bot: HearthBot, beat: Callable[[float], None]) -> None:
    """Tell ``hearth health`` the bot is connected, every :data:`BEAT_SECONDS`."""
    while True:
        await bot.wait_until_ready()
        if bot.ws is not None and bot.ws.open and not bot.is_closed():
            with contextlib.suppress(OSError):  # a full disk must not stop the bot
                beat(time.time())
        await asyncio.sleep(BEAT_SECONDS)


async def start_bot(
    settings: Settings,
    token: str,
    stop: asyncio.Event,
    beat: Callable[[float], None] | None = None,
) -> None:
    """Run until ``stop`` is set or the connection fails for good; always flush on the way out.
    ``beat(now)`` is called while connected (the lock file's heartbeat)."""
    bot = HearthBot(settings)
    try:
        async with bot:
            runner = asyncio.create_task(_serve(bot, token), name="hearth-bot")
            stopper = asyncio.create_task(stop.wait(), name="hearth-stop")
            beater = asyncio.create_task(_beat(bot, beat), name="hearth-beat") if beat else None
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if beater is not None:
                beater.cancel()
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


async def _serve(bot: HearthBot, token: str) -> None:
    """``bot.start`` in its two steps: a failure to reach Discord at login is one line (once
    connected, discord.py reconnects on its own)."""
    where = public_host(bot.settings.discord_api_base)
    try:
        await bot.login(token)
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        os_error = getattr(exc, "os_error", None)  # aiohttp's own text repeats the URL
        reason = getattr(os_error, "strerror", None) or type(exc).__name__
        raise TemporaryError(
            f"cannot reach Discord at {where}: {reason} (check the network, a proxy, or "
            "DISCORD_API_BASE)"
        ) from None
    except discord.DiscordServerError as exc:
        raise TemporaryError(
            f"Discord at {where} answered HTTP {exc.status} at login: try again later"
        ) from None
    except discord.HTTPException as exc:
        raise CliError(f"Discord at {where} refused the login: HTTP {exc.status}") from None
    await bot.connect()


class DiscordPublisher:
    """Posts rendered embeds through discord.py; the delivery ledger decides what and when."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def _send(
        self, target: discord.abc.Messageable, messages: Embeds, nonce: str
    ) -> tuple[int, ...]:
        ids = []
        for index, embeds in enumerate(messages):
            try:
                sent = await target.send(
                    embeds=[discord.Embed.from_dict(e) for e in embeds],
                    nonce=f"{nonce[:22]}{index:03d}",  # Discord drops a repeat of the same nonce
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.Forbidden as exc:
                if exc.code == 50007:
                    raise DMClosedError from None
                raise DeliveryError(f"forbidden ({exc.code})") from None
            except discord.HTTPException as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise TransientDeliveryError(f"HTTP {exc.status}") from None
                raise DeliveryError(
                    f"HTTP {exc.status} ({exc.code})"
                ) from None  # resending won't help
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TransientDeliveryError(type(exc).__name__) from None
            ids.append(sent.id)
        return tuple(ids)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException as exc:
                raise TransientDeliveryError(f"channel {channel_id}: {exc.status}") from None
        if not isinstance(channel, discord.abc.Messageable):
            raise TransientDeliveryError(f"channel {channel_id} cannot hold messages")
        return channel

    async def _dm_channel(self, user_id: int) -> discord.DMChannel:
        user = self.bot.get_user(user_id)
        try:
            if user is None:
                user = await self.bot.fetch_user(user_id)
            return user.dm_channel or await user.create_dm()
        except discord.HTTPException as exc:
            raise TransientDeliveryError(f"user {user_id}: {exc.status}") from None

    async def post(self, channel_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """Post a digest to a channel."""
        return await self._send(await self._channel(channel_id), messages, nonce)

    async def dm(self, user_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """DM a recap to a member."""
        return await self._send(await self._dm_channel(user_id), messages, nonce)

    async def find_marker(
        self, place: Place, marker: str, *, since: dt.datetime
    ) -> tuple[int, ...]:
        """Messages of ours at ``place`` since ``since`` whose embed footer carries ``marker``.

        Bounded by time, not by count: a busy channel may have moved on by hundreds of
        messages before a crashed delivery is reconciled.
        """
        where = await (
            self._dm_channel(place.id) if place.kind == "dm" else self._channel(place.id)
        )
        found = []
        try:
            after = discord.Object(id=snowflake_at(since - dt.timedelta(minutes=1)))
            async for message in where.history(after=after, limit=None):
                if message.author.id != getattr(self.bot.user, "id", None):
                    continue
                if any(marker in (e.footer.text or "") for e in message.embeds):
                    found.append(message.id)
        except discord.HTTPException as exc:
            raise TransientDeliveryError(f"history: {exc.status}") from None
        return tuple(sorted(found))
