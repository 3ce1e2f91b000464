"""A small, realistic default guild for tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from . import payloads as p
from . import perms
from .snowflake import utcnow
from .state import DoubleState

BOT_ROLE_PERMISSIONS = (
    perms.VIEW_CHANNEL
    | perms.SEND_MESSAGES
    | perms.SEND_MESSAGES_IN_THREADS
    | perms.EMBED_LINKS
    | perms.ATTACH_FILES
    | perms.READ_MESSAGE_HISTORY
    | perms.ADD_REACTIONS
    | perms.CREATE_PUBLIC_THREADS
    | perms.USE_APPLICATION_COMMANDS
)
STAFF_PERMISSIONS = perms.MANAGE_MESSAGES | perms.MANAGE_THREADS


@dataclass(frozen=True)
class SeededGuild:
    """Ids of everything :func:`seed_default_guild` created."""

    guild_id: int
    owner_id: int
    bot_id: int
    everyone_role_id: int
    staff_role_id: int
    member_role_id: int
    bot_role_id: int
    category_id: int
    general_id: int
    staff_channel_id: int
    forum_id: int
    forum_tag_ids: tuple[int, ...]
    thread_id: int
    #: The five humans: alice (owner, Staff), bob (Staff), carol, dave, erin (Member).
    member_ids: tuple[int, ...]
    staff_ids: tuple[int, ...]

    def member(self, name: str) -> int:
        """Id of a seeded human by name (``"alice"`` ... ``"erin"``)."""
        return self.member_ids[_NAMES.index(name)]


_NAMES = ("alice", "bob", "carol", "dave", "erin")


def seed_default_guild(state: DoubleState, name: str = "Hearth Test Guild") -> SeededGuild:
    """Create the default guild.

    - roles: @everyone (Discord's usual defaults), Staff (manage messages/threads), Member,
      and the bot's managed role;
    - a "Community" category with #general (text), #staff (private: @everyone denied
      VIEW_CHANNEL, Staff and the bot's role allowed) and #ideas (forum with two tags);
    - one public thread "welcome" in #general (owner carol, dave joined);
    - five human members plus the bot; ``member_count`` is 6.
    """
    joined = utcnow() - timedelta(days=30)
    users = [state.add_user(n) for n in _NAMES]
    owner = int(users[0]["id"])
    guild = state.add_guild(name, owner_id=owner)
    gid = guild.id
    staff = state.add_role(gid, "Staff", STAFF_PERMISSIONS, hoist=True, color=0x3498DB)
    member_role = state.add_role(gid, "Member", 0)
    bot_role = state.add_role(
        gid, state.bot_user["username"], BOT_ROLE_PERMISSIONS, managed=True, bot_id=state.bot_id
    )
    staff_id, member_role_id = int(staff["id"]), int(member_role["id"])
    bot_role_id = int(bot_role["id"])
    guild.members[state.bot_id]["roles"] = [str(bot_role_id)]
    for index, data in enumerate(users):
        roles = [staff_id] if index < 2 else [member_role_id]
        state.add_member(gid, int(data["id"]), roles=roles, joined_at=joined)

    category = state.add_channel(gid, "Community", p.GUILD_CATEGORY)
    category_id = int(category["id"])
    general = state.add_channel(gid, "general", parent_id=category_id, topic="Chat")
    staff_channel = state.add_channel(
        gid,
        "staff",
        parent_id=category_id,
        overwrites=[
            p.overwrite(gid, deny=perms.VIEW_CHANNEL),
            p.overwrite(staff_id, allow=perms.VIEW_CHANNEL),
            p.overwrite(bot_role_id, allow=perms.VIEW_CHANNEL),
        ],
    )
    forum = state.add_channel(gid, "ideas", p.GUILD_FORUM, parent_id=category_id)
    tags = [p.forum_tag(state.ids.next(), "question"), p.forum_tag(state.ids.next(), "idea")]
    forum["available_tags"] = tags
    thread = state.add_thread(
        int(general["id"]),
        "welcome",
        owner_id=int(users[2]["id"]),
        members=[int(users[3]["id"])],
    )
    member_ids = tuple(int(u["id"]) for u in users)
    return SeededGuild(
        guild_id=gid,
        owner_id=owner,
        bot_id=state.bot_id,
        everyone_role_id=gid,
        staff_role_id=staff_id,
        member_role_id=member_role_id,
        bot_role_id=bot_role_id,
        category_id=category_id,
        general_id=int(general["id"]),
        staff_channel_id=int(staff_channel["id"]),
        forum_id=int(forum["id"]),
        forum_tag_ids=tuple(int(t["id"]) for t in tags),
        thread_id=int(thread["id"]),
        member_ids=member_ids,
        staff_ids=member_ids[:2],
    )
