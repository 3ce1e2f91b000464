"""The real discord.py client against the Discord double, over TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands

if TYPE_CHECKING:
    from testing.discord_double.fixtures import SeededDouble

pytestmark = pytest.mark.e2e


def _intents() -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = intents.members = intents.message_content = True
    intents.guild_messages = intents.guild_reactions = intents.dm_messages = True
    return intents


class ConfirmView(discord.ui.View):
    """One button that edits its message."""

    @discord.ui.button(label="Confirm", custom_id="confirm")
    async def confirm(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="confirmed", view=None)


class SmokeClient(discord.Client):
    """A client that records every dispatched event and has a few app commands."""

    def __init__(self) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE
        # before READY (default 2 s, state.py:204).
        super().__init__(intents=_intents(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.seen: list[tuple[str, tuple[Any, ...]]] = []
        self._waiters: list[tuple[str, Callable[..., bool], asyncio.Future[tuple[Any, ...]]]] = []

        @self.tree.command(name="recap", description="Recap the last hours")
        async def recap(interaction: discord.Interaction, hours: int = 24) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(
                f"recap for {hours}h", allowed_mentions=discord.AllowedMentions.none()
            )

        digest = app_commands.Group(name="digest", description="Digests")

        @digest.command(name="now", description="Digest now")
        async def digest_now(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("digest ready", view=ConfirmView())

        self.tree.add_command(digest)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip the default 5 s sleep before a re-IDENTIFY (client.py:611)."""

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        self.seen.append((event, args))
        for name, predicate, future in list(self._waiters):
            if name == event and not future.done() and predicate(*args):
                future.set_result(args)
        super().dispatch(event, *args, **kwargs)

    def count(self, event: str, predicate: Callable[..., bool] = lambda *a: True) -> int:
        """How many times ``event`` was dispatched with matching arguments."""
        return sum(1 for name, args in self.seen if name == event and predicate(*args))

    async def expect(
        self,
        event: str,
        predicate: Callable[..., bool] = lambda *a: True,
        *,
        since: int = 0,
        timeout: float = 3.0,
    ) -> tuple[Any, ...]:
        """The arguments of the first ``event`` (from index ``since``) matching ``predicate``."""
        for name, args in self.seen[since:]:
            if name == event and predicate(*args):
                return args
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
        entry = (event, predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)


@pytest_asyncio.fixture
async def bot(discord_double: SeededDouble) -> AsyncIterator[SmokeClient]:
    """A logged-in, READY client connected to the double; closed afterwards."""
    with discord_double.patch_discord():
        client = SmokeClient()
        await client.login(discord_double.token)
        runner = asyncio.create_task(client.connect())
        try:
            await client.expect("ready", timeout=5)
            yield client
        finally:
            await client.close()
            await asyncio.wait_for(runner, 5)
    assert discord_double.unknown_requests() == []
    assert discord_double.gateway.errors == []


async def test_login_ready_and_cache(bot: SmokeClient, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    guild = bot.get_guild(seed.guild_id)
    assert guild is not None and bot.user is not None
    assert bot.user.id == discord_double.bot_id == bot.application_id
    assert guild.chunked and guild.member_count == len(guild.members) == 6
    alice, carol = guild.get_member(seed.member("alice")), guild.get_member(seed.member("carol"))
    assert alice is not None and carol is not None and alice.nick is None
    assert [r.name for r in alice.roles] == ["@everyone", "Staff"]
    staff = guild.get_channel(seed.staff_channel_id)
    assert isinstance(staff, discord.TextChannel) and staff.category_id == seed.category_id
    assert staff.overwrites_for(guild.default_role).view_channel is False
    assert not staff.permissions_for(carol).view_channel
    assert (
        staff.permissions_for(alice).view_channel and staff.permissions_for(guild.me).view_channel
    )
    forum = guild.get_channel(seed.forum_id)
    assert isinstance(forum, discord.ForumChannel)
    assert [t.name for t in forum.available_tags] == ["question", "idea"]
    assert isinstance(guild.get_channel(seed.category_id), discord.CategoryChannel)
    thread = guild.get_thread(seed.thread_id)
    assert thread is not None and thread.parent_id == seed.general_id
    assert thread.type is discord.ChannelType.public_thread and not thread.archived
    assert [(r.method, r.path) for r in discord_double.requests] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    connect = next(e for e in discord_double.gateway.log if e.kind == "connect")
    assert connect.detail["path"] == "/gateway"
    assert (connect.detail["v"], connect.detail["encoding"]) == ("10", "json")
    # zlib-stream, or zstd-stream when the zstandard module is installed.
    assert connect.detail["compress"] in ("zlib-stream", "zstd-stream")
    assert any(f.get("op") == 1 for f in discord_double.gateway.received)


async def test_message_with_reply_and_mentions(
    bot: SmokeClient, discord_double: SeededDouble
) -> None:
    seed = discord_double.seed
    carol, dave, bob = seed.member("carol"), seed.member("dave"), seed.member("bob")
    first = await discord_double.send_message(seed.general_id, carol, "first")
    reply = await discord_double.send_message(
        seed.general_id,
        dave,
        f"hey <@{bob}> and <@&{seed.staff_role_id}>",
        reply_to=int(first["id"]),
    )
    (message,) = await bot.expect("message", lambda m: m.id == int(reply["id"]))
    assert message.content == f"hey <@{bob}> and <@&{seed.staff_role_id}>"
    assert isinstance(message.author, discord.Member) and message.author.id == dave
    assert message.reference is not None and message.reference.message_id == int(first["id"])
    assert isinstance(message.reference.resolved, discord.Message)
    assert message.reference.resolved.content == "first"
    assert {m.id for m in message.mentions} == {bob, carol}  # a reply pings its author
    assert [r.id for r in message.role_mentions] == [seed.staff_role_id]
    assert message.type is discord.MessageType.reply


async def test_edit_delete_and_reaction_events(
    bot: SmokeClient, discord_double: SeededDouble
) -> None:
    seed, general = discord_double.seed, discord_double.seed.general_id
    carol, dave = seed.member("carol"), seed.member("dave")
    sent = await discord_double.send_message(general, carol, "typo")
    mid = int(sent["id"])
    await bot.expect("message", lambda m: m.id == mid)
    await discord_double.edit_message(general, mid, "fixed")
    before, after = await bot.expect("message_edit", lambda b, a: a.id == mid)
    assert (before.content, after.content) == ("typo", "fixed") and after.edited_at is not None
    await discord_double.add_reaction(general, mid, dave, "🎉")
    reaction, user = await bot.expect("reaction_add")
    assert str(reaction.emoji) == "🎉" and reaction.count == 1 and user.id == dave
    (raw,) = await bot.expect("raw_reaction_add")
    assert raw.member is not None and raw.member.id == dave and raw.message_author_id == carol
    await discord_double.remove_reaction(general, mid, dave, "🎉")
    reaction, user = await bot.expect("reaction_remove")
    assert user.id == dave and reaction.count == 0
    await discord_double.delete_message(general, mid)
    (deleted,) = await bot.expect("message_delete")
    assert deleted.id == mid and discord_double.state.get_message(general, mid) is None
    a = await discord_double.send_message(general, carol, "a")
    b = await discord_double.send_message(general, carol, "b")
    await discord_double.bulk_delete(general, [int(a["id"]), int(b["id"])])
    (bulk,) = await bot.expect("raw_bulk_message_delete")
    assert bulk.message_ids == {int(a["id"]), int(b["id"])}


async def test_thread_and_member_events(bot: SmokeClient, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    carol, dave, erin = seed.member("carol"), seed.member("dave"), seed.member("erin")
    plans = await discord_double.create_thread(seed.general_id, "plans", owner_id=carol)
    (thread,) = await bot.expect("thread_create", lambda t: t.id == int(plans["id"]))
    assert thread.parent_id == seed.general_id and thread.owner_id == carol
    hidden = await discord_double.create_thread(
        seed.general_id, "secret", owner_id=carol, private=True
    )
    post = await discord_double.create_thread(
        seed.forum_id,
        "How do I join?",
        owner_id=dave,
        content="Asking for a friend",
        applied_tags=[seed.forum_tag_ids[0]],
    )
    (forum_thread,) = await bot.expect("thread_create", lambda t: t.id == int(post["id"]))
    assert isinstance(forum_thread.parent, discord.ForumChannel)
    assert [t.name for t in forum_thread.applied_tags] == ["question"]
    (starter,) = await bot.expect("message", lambda m: m.id == int(post["id"]))
    assert starter.channel.id == int(post["id"]) and starter.content == "Asking for a friend"
    assert bot.get_channel(int(hidden["id"])) is None  # private, bot not a member
    await discord_double.add_thread_member(int(plans["id"]), erin)
    (joined,) = await bot.expect("thread_member_join")
    assert joined.id == erin and joined.thread_id == int(plans["id"])
    await discord_double.update_thread(int(plans["id"]), name="plans-2", archived=True)
    _, updated = await bot.expect("thread_update")
    assert updated.name == "plans-2" and updated.archived
    await discord_double.delete_thread(int(post["id"]))
    (gone,) = await bot.expect("raw_thread_delete")
    assert gone.thread_id == int(post["id"])
    joined_member = await discord_double.member_join("frank")
    frank = int(joined_member["user"]["id"])
    (member,) = await bot.expect("member_join")
    assert member.id == frank and member.guild.member_count == 7
    await discord_double.member_update(frank, nick="Frankie", roles=[seed.member_role_id])
    _, after = await bot.expect("member_update")
    assert after.nick == "Frankie" and [r.name for r in after.roles][1:] == ["Member"]
    await discord_double.member_leave(frank)
    (left,) = await bot.expect("member_remove")
    assert left.id == frank


async def test_history_after_returns_offline_messages_oldest_first(
    bot: SmokeClient,
    discord_double: SeededDouble,
) -> None:
    seed, general = discord_double.seed, discord_double.seed.general_id
    anchor = discord_double.add_history(general, seed.member("carol"), "last archived")
    offline = discord_double.seed_history(general, 250, authors=list(seed.member_ids))
    assert int(offline[0]["id"]) < int(anchor["id"])  # seeded earlier: not "after" the anchor
    late = [
        discord_double.add_history(general, seed.member_ids[i % 5], f"late {i}") for i in range(250)
    ]
    channel = bot.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    found = [m async for m in channel.history(limit=None, after=discord.Object(int(anchor["id"])))]
    assert [m.content for m in found] == [f"late {i}" for i in range(250)]
    assert [m.id for m in found] == [int(m["id"]) for m in late]
    pages = discord_double.find_requests("GET", f"/channels/{general}/messages")
    assert [(r.query["limit"], "after" in r.query) for r in pages] == [("100", True)] * 3
    assert bot.count("message") == 0  # nothing was dispatched


async def test_slash_command_defer_followup_and_button(
    bot: SmokeClient,
    discord_double: SeededDouble,
) -> None:
    seed = discord_double.seed
    synced = await bot.tree.sync()
    assert sorted(c.name for c in synced) == ["digest", "recap"]
    assert sorted(c["name"] for c in discord_double.synced_commands()) == ["digest", "recap"]
    record = await discord_double.interaction(
        "recap", user_id=seed.member("carol"), channel_id=seed.general_id, options={"hours": 6}
    )
    followup = await record.wait_for_followup()
    assert record.response_type == 5 and followup["content"] == "recap for 6h"
    assert followup["mentions"] == [] and followup["interaction_metadata"]["name"] == "recap"
    (callback,) = discord_double.find_requests("POST", f"/interactions/{record.id}/*/callback")
    assert callback.query == {"with_response": "1"} and callback.json == {"type": 5}
    (hook,) = discord_double.find_requests("POST", f"/webhooks/{discord_double.application_id}/*")
    assert hook.query["wait"] == "1"
    assert hook.json["allowed_mentions"] == {"parse": []}
    digest = await discord_double.interaction(
        "digest", subcommand="now", user_id=seed.member("dave"), channel_id=seed.general_id
    )
    response = await digest.wait_for_response()
    assert response["type"] == 4 and response["data"]["content"] == "digest ready"
    # The callback reached the double; wait until the bot stored the view it sent along.
    await bot.expect("app_command_completion", lambda _, command: command.name == "now")
    assert digest.original is not None
    click = await discord_double.click_button(
        int(digest.original["id"]),
        "confirm",
        user_id=seed.member("dave"),
        channel_id=seed.general_id,
    )
    await click.wait_for_response()
    assert click.response_type == 7
    stored = discord_double.state.get_message(seed.general_id, int(digest.original["id"]))
    assert stored is not None and stored["content"] == "confirmed" and stored["components"] == []


async def test_429_then_success_is_retried(bot: SmokeClient, discord_double: SeededDouble) -> None:
    general = discord_double.seed.general_id
    discord_double.rate_limit_next("POST", "/channels/*/messages", retry_after=0.2)
    channel = bot.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    started = time.monotonic()
    sent = await channel.send("after a 429")
    assert time.monotonic() - started >= 0.2
    assert discord_double.messages(general)[-1]["id"] == str(sent.id)
    statuses = [r.status for r in discord_double.find_requests("POST", "/channels/*/messages")]
    assert statuses == [429, 200]


async def test_500_then_success_is_retried(bot: SmokeClient, discord_double: SeededDouble) -> None:
    channel = bot.get_channel(discord_double.seed.general_id)
    assert isinstance(channel, discord.TextChannel)
    discord_double.fail_next("POST", "/channels/*/messages", status=500)
    await channel.send("after a 500")
    statuses = [r.status for r in discord_double.find_requests("POST", "/channels/*/messages")]
    assert statuses == [500, 200]


async def test_dms_open_closed_and_incoming(bot: SmokeClient, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    erin, dave = seed.member("erin"), seed.member("dave")
    discord_double.close_dms(erin)
    user = bot.get_user(erin)
    assert user is not None
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("your weekly recap")
    assert caught.value.code == 50007 and caught.value.status == 403
    dave_user = bot.get_user(dave)
    assert dave_user is not None
    await dave_user.send("your weekly recap")
    assert [m["content"] for m in discord_double.dm_messages(dave)] == ["your weekly recap"]
    incoming = await discord_double.send_dm(dave, "stop please")
    (message,) = await bot.expect("message", lambda m: m.id == int(incoming["id"]))
    assert isinstance(message.channel, discord.DMChannel) and message.content == "stop please"


async def test_gateway_drop_resumes_and_replays_exactly_once(
    bot: SmokeClient,
    discord_double: SeededDouble,
) -> None:
    seed = discord_double.seed
    session_id = bot.ws.session_id
    assert await discord_double.drop_gateway() == 1
    missed = [
        await discord_double.send_message(seed.general_id, seed.member("carol"), f"missed {i}")
        for i in range(3)
    ]
    await discord_double.wait_for_session("resume")
    await bot.expect("resumed")
    for item in missed:
        await bot.expect("message", lambda m, item=item: m.id == int(item["id"]))
    live = await discord_double.send_message(seed.general_id, seed.member("dave"), "live")
    await bot.expect("message", lambda m: m.id == int(live["id"]))
    ids = [int(m["id"]) for m in [*missed, live]]
    assert [bot.count("message", lambda m, i=i: m.id == i) for i in ids] == [1, 1, 1, 1]
    assert bot.ws.session_id == session_id and discord_double.identify_count == 1
    resumed = [e for e in discord_double.gateway.log if e.kind == "connect"][-1]
    assert resumed.detail["path"] == "/gateway-resume"  # READY's resume_gateway_url was used


async def test_op7_reconnect_resumes(bot: SmokeClient, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    assert await discord_double.send_reconnect() == 1
    await discord_double.wait_for_session("resume")
    sent = await discord_double.send_message(seed.general_id, seed.member("bob"), "after op 7")
    await bot.expect("message", lambda m: m.id == int(sent["id"]))
    assert discord_double.resume_count == 1 and discord_double.identify_count == 1


async def test_op9_invalid_session(bot: SmokeClient, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    await discord_double.invalidate_session(resumable=True)
    await discord_double.wait_for_session("resume")
    mark = len(bot.seen)
    await discord_double.invalidate_session(resumable=False)
    await discord_double.wait_for_session("identify", count=2)
    await bot.expect("ready", since=mark)
    assert discord_double.identify_count == 2 and discord_double.resume_count == 1
    sent = await discord_double.send_message(seed.general_id, seed.member("bob"), "after op 9")
    await bot.expect("message", lambda m: m.id == int(sent["id"]))
