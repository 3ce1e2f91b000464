"""Discord's permission algorithm over stored facts, checked against a reference."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import (
    ChannelRecord,
    GuildRecord,
    Member,
    Mention,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.recap.compose import Window, compose_recap
from bot.recap.index import build_index
from bot.recap.rank import plan_member
from bot.recap.segment import segment
from bot.recap.types import KeyMessage, Line, Summary
from bot.recap.visibility import (
    ADMINISTRATOR,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    GuildFacts,
    can_read,
    digest_channels,
    readable_channels,
)

GID = 1000
READ = VIEW_CHANNEL | READ_MESSAGE_HISTORY
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


def member(user_id: int, *, left: bool = False, bot: bool = False) -> Member:
    left_at = T0 if left else None
    return Member(GID, user_id, f"u{user_id}", "", bot, None, left_at, None, False, "weekly", False)


def channel(cid, kind="text", parent=None, *ows: Overwrite) -> ChannelRecord:
    return ChannelRecord(cid, GID, kind, f"c{cid}", parent_id=parent, overwrites=ows)


def facts(channels, *, everyone=READ, roles=None, members=None, owner=None, threads=None, extra=()):
    people = members or {1: ()}
    role_list = [RoleRecord(GID, GID, "@everyone", everyone)]
    role_list += [RoleRecord(r, GID, f"r{r}", p) for r, p in (roles or {}).items()]
    present = [member(u) for u in people] + list(extra)
    guild = GuildRecord(GID, "g", owner)
    return GuildFacts.build(guild, role_list, channels, people, threads or {}, present)


# --- a random guild and an independent reference ---------------------------------------------

BITS = (VIEW_CHANNEL, READ_MESSAGE_HISTORY, MANAGE_THREADS)


@dataclass
class World:
    """A random guild as plain values (what the reference reads)."""

    owner: int | None
    role_perms: dict[int, int]  # includes @everyone (GID)
    member_roles: dict[int, set[int]]
    left: set[int]
    bots: set[int]
    channels: dict[int, tuple[str, int | None, list[Overwrite]]]
    thread_members: dict[int, set[int]] = field(default_factory=dict)

    def facts(self) -> GuildFacts:
        roles = [RoleRecord(r, GID, f"r{r}", p) for r, p in self.role_perms.items()]
        channels = [
            channel(c, kind, parent, *ows) for c, (kind, parent, ows) in self.channels.items()
        ]
        people = [member(u, left=u in self.left, bot=u in self.bots) for u in self.member_roles]
        guild = GuildRecord(GID, "g", self.owner)
        return GuildFacts.build(
            guild, roles, channels, self.member_roles, self.thread_members, people
        )


def reference_can_read(w: World, user: int, channel_id: int, *, history: bool = True) -> bool:
    """Straight from Discord's docs, one permission bit at a time, one channel at a time.

    ``history=False``: whether the member sees new posts there (VIEW_CHANNEL alone).
    """
    if user not in w.member_roles or user in w.left or channel_id not in w.channels:
        return False

    def has(bit: int, cid: int) -> bool:
        if user == w.owner:
            return True
        mine = [GID, *w.member_roles[user]]
        if any(w.role_perms.get(r, 0) & ADMINISTRATOR for r in mine):
            return True
        value = any(w.role_perms.get(r, 0) & bit for r in mine)
        overwrites = w.channels[cid][2]
        for ow in overwrites:
            if ow.target_type == "role" and ow.target_id == GID:
                value = value and not ow.deny & bit
                value = value or bool(ow.allow & bit)
        mine_ows = [o for o in overwrites if o.target_type == "role" and o.target_id in mine[1:]]
        if any(ow.deny & bit for ow in mine_ows):
            value = False
        if any(ow.allow & bit for ow in mine_ows):
            value = True
        for ow in overwrites:
            if ow.target_type == "member" and ow.target_id == user:
                value = value and not ow.deny & bit
                value = value or bool(ow.allow & bit)
        return value

    kind, parent, _ = w.channels[channel_id]
    if kind in ("thread", "private_thread", "forum_post"):
        if parent is None or parent not in w.channels:
            return False
        if not (has(VIEW_CHANNEL, parent) and (not history or has(READ_MESSAGE_HISTORY, parent))):
            return False
        if kind == "private_thread":
            return user in w.thread_members.get(channel_id, set()) or has(MANAGE_THREADS, parent)
        return True
    return has(VIEW_CHANNEL, channel_id) and (not history or has(READ_MESSAGE_HISTORY, channel_id))


masks = st.sets(st.sampled_from(BITS)).map(sum)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    role_ids = list(range(2001, 2001 + draw(st.integers(0, 4))))
    perm = st.one_of(masks, masks.map(lambda m: m | ADMINISTRATOR)) if role_ids else masks
    role_perms = {GID: draw(masks)} | {
        r: draw(st.one_of(masks, masks, masks, perm)) for r in role_ids
    }
    users = list(range(1, draw(st.integers(1, 6)) + 1))
    member_roles = {
        u: set(draw(st.sets(st.sampled_from(role_ids)))) if role_ids else set() for u in users
    }
    targets = [("role", GID)] + [("role", r) for r in role_ids] + [("member", u) for u in users]
    overwrite = st.builds(
        lambda t, a, d: Overwrite(t[1], t[0], a, d), st.sampled_from(targets), masks, masks
    )
    channels: dict[int, tuple[str, int | None, list[Overwrite]]] = {}
    for cid in range(100, 100 + draw(st.integers(1, 4))):
        ows = draw(
            st.lists(overwrite, max_size=4, unique_by=lambda o: (o.target_type, o.target_id))
        )
        channels[cid] = (draw(st.sampled_from(["text", "text", "forum"])), None, ows)
    parents = list(channels)
    thread_members: dict[int, set[int]] = {}
    for tid in range(300, 300 + draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["thread", "private_thread", "forum_post"]))
        channels[tid] = (kind, draw(st.sampled_from(parents)), [])
        thread_members[tid] = set(draw(st.sets(st.sampled_from(users))))
    return World(
        owner=draw(st.sampled_from([None, *users])),
        role_perms=role_perms,
        member_roles=member_roles,
        left=set(draw(st.sets(st.sampled_from(users), max_size=1))),
        bots=set(draw(st.sets(st.sampled_from(users), max_size=1))),
        channels=channels,
        thread_members=thread_members,
    )


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_readable_channels_matches_reference(w: World):
    f = w.facts()
    for user in [*w.member_roles, 999]:
        expected = {c for c in w.channels if reference_can_read(w, user, c)}
        assert readable_channels(f, user) == expected
        assert {c for c in w.channels if can_read(f, user, c)} == expected


@settings(max_examples=200, deadline=None)
@given(worlds(), st.data())
def test_digest_channels_are_readable_by_every_reader(w: World, data: st.DataObject):
    f = w.facts()
    target = data.draw(st.sampled_from([None, *w.channels]))
    shown = digest_channels(f, target)
    # Everyone who will see the digest when it is posted: view alone is enough for that.
    readers = [
        u
        for u in w.member_roles
        if u not in w.left
        and u not in w.bots
        and (target is None or reference_can_read(w, u, target, history=False))
    ]
    for c in shown:
        assert all(reference_can_read(w, u, c) for u in readers)
    if not readers:
        assert shown == frozenset()


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_owner_and_admins_see_every_channel(w: World):
    f = w.facts()
    everything = frozenset(w.channels)
    for user in w.member_roles:
        admin = any(w.role_perms.get(r, 0) & ADMINISTRATOR for r in [GID, *w.member_roles[user]])
        if user not in w.left and (user == w.owner or admin):
            assert readable_channels(f, user) == everything


@settings(max_examples=300, deadline=None)
@given(worlds(), st.data())
def test_removing_a_role_never_widens_what_a_member_reads(w: World, data: st.DataObject):
    # Removing a role can only widen visibility through that role's *deny* overwrites (Discord
    # works that way: see the next test), so we remove roles that deny nothing.
    user = data.draw(st.sampled_from(sorted(w.member_roles)))
    denies = {
        ow.target_id
        for _, _, ows in w.channels.values()
        for ow in ows
        if ow.target_type == "role" and ow.deny
    }
    candidates = sorted(w.member_roles[user] - denies)
    if not candidates:
        return
    role = data.draw(st.sampled_from(candidates))
    before = readable_channels(w.facts(), user)
    w.member_roles[user].discard(role)
    assert readable_channels(w.facts(), user) <= before
    w.thread_members = {t: m - {user} for t, m in w.thread_members.items()}
    assert readable_channels(w.facts(), user) <= before


def test_removing_a_role_with_a_deny_overwrite_can_widen_visibility():
    # Documented Discord behaviour, not a bug: a "muted" role that denies a channel.
    muted = Overwrite(5, "role", deny=VIEW_CHANNEL)
    with_role = facts([channel(10, "text", None, muted)], roles={5: 0}, members={1: (5,)})
    without = facts([channel(10, "text", None, muted)], roles={5: 0}, members={1: ()})
    assert readable_channels(with_role, 1) == frozenset()
    assert readable_channels(without, 1) == {10}


# --- the pipeline never leaks ----------------------------------------------------------------


@st.composite
def worlds_with_messages(draw: st.DrawFn) -> tuple[World, list[MessageRecord]]:
    w = draw(worlds())
    users = sorted(w.member_roles)
    mentions = [Mention("user", u) for u in users] + [Mention("everyone", 0)]
    mentions += [Mention("role", r) for r in w.role_perms if r != GID]
    words = ["game night?", "ramen", "who is coming?", "cats", "help with python?", "ok"]
    messages: list[MessageRecord] = []
    for i in range(draw(st.integers(0, 25))):
        when = T0 + dt.timedelta(minutes=draw(st.integers(0, 3)) + 3 * i)
        where = draw(st.sampled_from([*w.channels, 999]))  # 999: a channel with no row
        author, text = draw(st.sampled_from(users)), draw(st.sampled_from(words))
        reply = draw(st.sampled_from([None, *[m.id for m in messages]]))
        said = tuple(draw(st.lists(st.sampled_from(mentions), max_size=2, unique=True)))
        messages.append(MessageRecord(10_000 + i, GID, where, author, when, text, None, reply))
        messages[-1] = dataclasses.replace(messages[-1], mentions=said)
    return w, messages


def quote(line: Line) -> KeyMessage:
    return KeyMessage(line.message_id, line.author_id, line.author_name, line.content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds_with_messages())
def test_no_unreadable_message_reaches_a_recap(case: tuple[World, list[MessageRecord]]):
    w, messages = case
    f = w.facts()
    names = {u: f"user{u}" for u in w.member_roles}
    segments = segment(messages, f.channels, names)  # everything: the filter is per member
    index = build_index(segments, T0, T0 + dt.timedelta(days=1))
    summaries = {
        s.key: Summary(s.conversation.name, tuple(quote(x) for x in s.conversation.lines), "", "f")
        for s in segments
    }
    window = Window(T0, T0 + dt.timedelta(days=1))
    for user in w.member_roles:
        readable = readable_channels(f, user)
        plan = plan_member(index, user, readable=readable, roles=sorted(w.member_roles[user]))
        recap = compose_recap(
            f, index, plan, summaries, readable=readable, window=window, names=names,
            conversations_by_channel={},
        )  # fmt: skip
        allowed = {m.id for m in messages if reference_can_read(w, user, m.channel_id)}
        shown = {p.message_id for item in recap.items for p in item.summary.points}
        shown |= {r.message_id for r in recap.waiting_for_you}
        shown |= {r.message_id for r in recap.questions_you_could_answer}
        shown |= {item.first_message_id for item in recap.items}
        assert shown <= allowed
        assert all(reference_can_read(w, user, item.channel_id) for item in recap.items)
        assert recap.counts.messages == len(allowed)
