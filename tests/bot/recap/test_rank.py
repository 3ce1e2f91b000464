"""Ranking: reasons, unanswered questions, what waits for a member, and what it costs."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import ChannelRecord, Mention, MessageRecord
from bot.recap import rank as rank_module
from bot.recap.index import ANSWER_WINDOW, build_index, unanswered
from bot.recap.rank import (
    RankConfig,
    answerable,
    circle_of,
    inferred_interests,
    interest_from_text,
    plan_digest,
    plan_member,
    unanswered_in,
    waiting_for,
)
from bot.recap.segment import segment

GID = 1000
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
WEEK = T0 + dt.timedelta(days=7)
CHANNELS = {
    10: ChannelRecord(10, GID, "text", "general"),
    11: ChannelRecord(11, GID, "text", "secret"),
    12: ChannelRecord(12, GID, "thread", "plans", parent_id=10),
}
NAMES = {1: "Ana", 2: "Bo", 3: "Cy", 4: "Di", 5: "Ed"}


def msg(
    i,
    author,
    minute,
    content="hello there",
    *,
    channel=10,
    reply=None,
    users=(),
    roles=(),
    everyone=False,
):
    mentions = [Mention("user", u) for u in users] + [Mention("role", r) for r in roles]
    if everyone:
        mentions.append(Mention("everyone", 0))
    return MessageRecord(
        id=i,
        guild_id=GID,
        channel_id=channel,
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=minute),
        content=content,
        reply_to_id=reply,
        mentions=tuple(mentions),
    )


def index_of(messages, reactions=(), lookback=()):
    return build_index(
        segment(messages, CHANNELS, NAMES),
        T0,
        WEEK,
        reactions=reactions,
        lookback=lookback,
    )


def reasons(plan, index, key):
    for item in plan.items:
        if index.convs[item.conv].segment.key == key:
            return item.reasons
    return ()


def codes(plan, index, key):
    return [r.code for r in reasons(plan, index, key)]


# --- unanswered questions ----------------------------------------------------------------------


def test_question_answered_by_a_reply():
    q = msg(1, 1, 0, "does anyone know a good vet?")
    assert unanswered([q, msg(2, 2, 1, "Dr Lee", reply=1)]) == []


def test_question_answered_by_addressing_the_asker():
    q = msg(1, 1, 0, "does anyone know a good vet?")
    later = msg(2, 3, 1, "totally unrelated", reply=None)
    other = msg(3, 2, 90, "try Dr Lee", users=[1])
    assert unanswered([q, msg(9, 1, 0.5, "my cat is sick"), other]) == []
    assert unanswered([q, msg(4, 2, 2, "see above", reply=9), later]) == []


def test_question_answered_to_the_room_within_the_window():
    q = msg(1, 1, 0, "who is coming friday?")
    assert unanswered([q, msg(2, 2, 5, "me")]) == []
    late = msg(3, 2, ANSWER_WINDOW.total_seconds() / 60 + 1, "me")
    assert unanswered([q, late]) == [q]


def test_question_not_answered_by_the_asker_or_by_talk_addressed_elsewhere():
    q = msg(1, 1, 0, "is the server up?")
    own = msg(2, 1, 1, "anyone?")
    elsewhere = msg(3, 2, 2, "nice photo", users=[4])
    assert unanswered([q, own, elsewhere]) == [q, own]
    assert unanswered([msg(5, 1, 0, "statement, not a question")]) == []


# --- reasons -----------------------------------------------------------------------------------


def test_reasons_for_replies_mentions_roles_everyone_and_reactions():
    messages = [
        msg(1, 1, 0, "does anyone have a ladder I could borrow?"),
        msg(2, 2, 1, "I do, come by", reply=1),
        msg(3, 3, 2, "hey <@4> and <@&77>", users=[4], roles=[77], everyone=True),
    ]
    index = index_of(messages, reactions=[(2, 5)])
    everyone = frozenset({10})
    ana = plan_member(index, 1, readable=everyone, names=NAMES)
    assert codes(ana, index, "10:1")[:2] == ["answered", "took_part"]
    assert "Bo replied to your question" in [r.text for r in reasons(ana, index, "10:1")]
    di = plan_member(index, 4, readable=everyone, names=NAMES)
    assert codes(di, index, "10:3")[:2] == ["mentioned", "everyone"]
    assert "Cy mentioned you" in [r.text for r in reasons(di, index, "10:3")]
    ed = plan_member(index, 5, readable=everyone, roles=[77], role_names={77: "gardeners"})
    assert {"role", "everyone"} <= set(codes(ed, index, "10:3"))
    assert "reacted" in codes(ed, index, "10:1")
    assert "@gardeners was mentioned" in [r.text for r in reasons(ed, index, "10:3")]
    assert plan_member(index, 5, readable=frozenset(), roles=[77]).items == ()


def test_circle_topics_and_new_since_last_seen():
    messages = [
        msg(1, 1, 0, "sourdough starter smells weird"),
        msg(2, 2, 1, "feed your sourdough starter twice", reply=1),
        msg(3, 1, 2, "my sourdough loaf collapsed again"),
        msg(4, 2, 3, "sourdough needs patience", reply=3),
        msg(10, 2, 600, "anyone tried the new climbing gym?"),
        msg(11, 3, 601, "yes! the climbing gym is great", reply=10),
        msg(20, 4, 1200, "board games on friday"),
        msg(21, 5, 1201, "board games yes", reply=20),
    ]
    index = index_of(messages)
    assert circle_of(index, 1, 8, frozenset({10})) == [2]
    readable = frozenset({10})
    plan = plan_member(
        index,
        1,
        readable=readable,
        names=NAMES,
        declared=[interest_from_text("board games")],
        last_seen=T0 + dt.timedelta(minutes=900),
    )
    by_key = {index.convs[i.conv].segment.key: i for i in plan.items}
    gym, games = by_key["10:10"], by_key["10:20"]
    assert gym.reasons[0].code == "circle"
    assert "with Bo, people you talk with often" in [r.text for r in gym.reasons]
    assert "about board games" in [r.text for r in games.reasons]
    assert "new" in [r.code for r in games.reasons] and "new" not in [r.code for r in gym.reasons]


def test_inferred_interests_are_distinctive_words_of_ones_own_messages():
    messages = [msg(i, 1, i * 100, f"ramen tonight number {i}") for i in range(1, 4)]
    messages += [msg(10 + i, 2, i * 100 + 50, f"weather chat {i}") for i in range(1, 9)]
    messages += [msg(30, 3, 2000, "best ramen in town is downtown")]
    index = index_of(messages)
    words = [i.label for i in inferred_interests(index, 1, 5)]
    assert "ramen" in words and "weather" not in words and "chat" not in words
    plan = plan_member(index, 3, readable=frozenset({10}), names=NAMES)
    assert plan.interests == ()  # one message: nothing is inferred from a single use


def test_talking_to_oneself_is_not_news():
    index = index_of([msg(1, 1, 0, "note to self")])
    assert plan_member(index, 1, readable=frozenset({10})).items == ()


# --- waiting for you, questions you could answer, digest ---------------------------------------


def test_waiting_for_you_until_answered_or_acknowledged():
    messages = [
        msg(1, 1, 0, "lunch?"),
        msg(2, 2, 1, "sure", reply=1),
        msg(3, 3, 2, "<@1> see this", users=[1]),
        msg(4, 4, 3, "<@1> and this", users=[1], channel=11),
        msg(5, 5, 4, "<@1> acked", users=[1]),
    ]
    index = index_of(messages, reactions=[(5, 1)])
    assert [p.message.id for p in waiting_for(index, 1, frozenset({10}), 5)] == [3, 2]
    assert [p.message.id for p in waiting_for(index, 1, frozenset({10, 11}), 5)] == [4, 3, 2]
    answered = index_of([*messages, msg(6, 1, 10, "back!")], reactions=[(5, 1)])
    assert [p.message.id for p in waiting_for(answered, 1, frozenset({10, 11}), 5)] == [4]


def test_questions_you_could_answer_by_interest_or_circle():
    messages = [
        msg(1, 2, 0, "chat with ana", users=[1]),
        msg(2, 1, 1, "hi bo", reply=1),
        msg(3, 2, 200, "how do I repair a bike chain?"),
        msg(4, 3, 400, "what is a good sourdough flour?"),
        msg(5, 4, 600, "what is a good sourdough flour?", channel=11),
    ]
    index = index_of(messages)
    sourdough = interest_from_text("sourdough")
    found = answerable(
        index, 1, frozenset({10}), circle_of(index, 1, 8, frozenset({10})), [sourdough], 5
    )
    assert {p.message.id for p in found} == {3, 4}
    plan = plan_member(index, 1, readable=frozenset({10}), declared=[sourdough])
    assert {p.message.id for p in plan.questions} == {3, 4}
    assert all(p.message.id != 5 for p in plan.questions)  # unreadable channel


def test_digest_plan_and_unanswered_keep_to_its_channels():
    messages = [
        msg(1, 1, 0, "big plans"),
        msg(2, 2, 1, "yes", reply=1),
        msg(3, 3, 2, "and more", reply=2),
        msg(4, 1, 10, "secret stuff?", channel=11),
        msg(5, 2, 11, "secret reply", channel=11, reply=4),
        msg(6, 4, 20, "is anyone around?", channel=12),
    ]
    index = index_of(messages)
    ranked = plan_digest(index, frozenset({10, 12}))
    assert [index.convs[r.conv].segment.key for r in ranked] == ["10:1"]
    assert ranked[0].reasons[0].text == "lively: 3 messages from 3 people"
    assert [p.message.id for p in unanswered_in(index, frozenset({10, 12}))] == [6]


def test_member_ranking_touches_only_related_conversations(monkeypatch: pytest.MonkeyPatch):
    messages = []
    for n in range(2000):  # 2,000 conversations among other people
        base = n * 60
        messages.append(msg(10 * n + 1, 2 + n % 3, base, f"topic{n} talk"))
        messages.append(
            msg(10 * n + 2, 2 + (n + 1) % 3, base + 1, f"topic{n} more", reply=10 * n + 1)
        )
    messages.append(msg(999_991, 1, 5, "me here", reply=1))
    messages.sort(key=lambda m: m.created_at)
    index = index_of(messages)
    calls = []
    original = rank_module.score_conversation

    def counting(*args, **kwargs):
        calls.append(args[1].index)
        return original(*args, **kwargs)

    monkeypatch.setattr(rank_module, "score_conversation", counting)
    config = RankConfig(global_top=5, per_source=5)
    plan = plan_member(index, 1, readable=frozenset({10}), config=config)
    bound = (
        len(index.related[1])
        + config.global_top
        + config.per_source * (len(plan.circle) + len(plan.interests))
    )
    assert len(index.convs) == 2000
    assert len(calls) <= bound < 50
