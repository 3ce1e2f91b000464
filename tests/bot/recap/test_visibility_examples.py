"""Discord's permission algorithm over stored facts: hand-made examples."""

from __future__ import annotations

import dataclasses

from bot.models import Overwrite
from bot.recap.visibility import (
    ADMINISTRATOR,
    MANAGE_THREADS,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    can_read,
    common_readable,
    digest_channels,
    readable_channels,
)
from tests.bot.recap.test_visibility import GID, READ, channel, facts, member

# --- examples -------------------------------------------------------------------------------


def test_overwrite_order_everyone_then_roles_then_member():
    deny_all = Overwrite(GID, "role", deny=VIEW_CHANNEL)
    role_allows = Overwrite(5, "role", allow=VIEW_CHANNEL)
    member_denies = Overwrite(2, "member", deny=VIEW_CHANNEL)
    f = facts(
        [channel(10, "text", None, deny_all, role_allows, member_denies)],
        roles={5: 0},
        members={1: (), 2: (5,), 3: (5,)},
    )
    assert not can_read(f, 1, 10)  # @everyone denied
    assert can_read(f, 3, 10)  # a role allow beats the @everyone deny
    assert not can_read(f, 2, 10)  # the member overwrite comes last


def test_role_allow_beats_role_deny_of_another_role():
    f = facts(
        [
            channel(
                10, "text", None, Overwrite(5, "role", deny=READ), Overwrite(6, "role", allow=READ)
            )
        ],
        roles={5: 0, 6: 0},
        members={1: (5, 6), 2: (5,)},
    )
    assert can_read(f, 1, 10)
    assert not can_read(f, 2, 10)


def test_view_without_history_is_not_readable():
    f = facts([channel(10)], everyone=VIEW_CHANNEL)
    assert readable_channels(f, 1) == frozenset()


def test_owner_and_administrator_read_everything():
    lock = Overwrite(GID, "role", deny=READ)
    chans = [channel(10, "text", None, lock), channel(11, "private_thread", 10)]
    f = facts(chans, roles={7: ADMINISTRATOR}, members={1: (), 2: (7,), 3: ()}, owner=3)
    assert readable_channels(f, 1) == frozenset()
    assert readable_channels(f, 2) == {10, 11}
    assert readable_channels(f, 3) == {10, 11}


def test_threads_follow_their_parent_and_private_threads_need_membership():
    lock = Overwrite(GID, "role", deny=VIEW_CHANNEL)
    mod = Overwrite(9, "role", allow=MANAGE_THREADS)
    chans = [
        channel(10, "text", None, mod),
        channel(11, "thread", 10),
        channel(12, "private_thread", 10),
        channel(20, "forum", None, lock),
        channel(21, "forum_post", 20),
    ]
    f = facts(chans, roles={9: 0}, members={1: (), 2: (), 3: (9,)}, threads={12: {2}})
    assert readable_channels(f, 1) == {10, 11}
    assert readable_channels(f, 2) == {10, 11, 12}
    assert readable_channels(f, 3) == {10, 11, 12}  # MANAGE_THREADS in the parent


def test_unknown_deleted_orphan_and_absent_fail_closed():
    chans = [
        channel(10),
        dataclasses.replace(channel(11), deleted=True),
        channel(12, "thread", 99),  # parent never stored
        channel(13, "thread", None),
    ]
    f = facts(chans, members={1: ()}, extra=[member(4, left=True)])
    assert readable_channels(f, 1) == {10}
    assert not can_read(f, 1, 555)
    assert readable_channels(f, 4) == frozenset()  # left the guild
    assert readable_channels(f, 77) == frozenset()  # never a member


def test_category_overwrites_are_not_inherited():
    # Discord copies a category's overwrites onto synced channels; we read the channel's own.
    chans = [
        channel(5, "category", None, Overwrite(GID, "role", deny=READ)),
        channel(10, "text", 5),
    ]
    assert readable_channels(facts(chans), 1) >= {10}


def test_digest_channels_is_what_every_reader_of_the_digest_channel_can_read():
    secret = Overwrite(GID, "role", deny=VIEW_CHANNEL)
    chans = [
        channel(10),
        channel(11, "text", None, secret, Overwrite(5, "role", allow=VIEW_CHANNEL)),
        channel(12, "text", None, secret, Overwrite(5, "role", allow=VIEW_CHANNEL)),
    ]
    f = facts(
        chans,
        roles={5: 0},
        members={1: (5,), 2: (5,), 3: ()},
        extra=[member(8, bot=True), member(9, left=True)],
    )
    assert digest_channels(f, 10) == {10}  # member 3 reads #10 but not #11/#12
    assert digest_channels(f, 12) == {10, 11, 12}  # only role 5 reads #12
    assert digest_channels(f, None) == {10}


def test_a_digest_reader_who_may_only_view_still_counts():
    # @everyone may view #10 but not read its history; role 5 reads #10 and #11. A member
    # without role 5 sees the digest when it is posted, so #11 must stay out of it.
    chans = [
        channel(
            10,
            "text",
            None,
            Overwrite(GID, "role", deny=READ_MESSAGE_HISTORY),
            Overwrite(5, "role", allow=READ_MESSAGE_HISTORY),
        ),
        channel(
            11,
            "text",
            None,
            Overwrite(GID, "role", deny=VIEW_CHANNEL),
            Overwrite(5, "role", allow=VIEW_CHANNEL),
        ),
    ]
    f = facts(chans, roles={5: 0}, members={1: (5,), 2: ()})
    assert digest_channels(f, 10) == frozenset()  # member 2 can read nothing at all here
    assert common_readable(f, []) == frozenset()
