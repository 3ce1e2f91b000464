"""Who is in the sample community and where they talk: guild, roles, members, channels, threads.

Every id is a snowflake derived from a fixed creation date, so ids never change between runs.
Members are keyed by their Discord username (DCE ``author.name``).
"""

import datetime as dt
from dataclasses import dataclass

from bot.sample.snowflake import snowflake


def _at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


GUILD_NAME = "Kitchen Table"
GUILD_ID = snowflake(_at(2023, 9, 3, 19, 12))


@dataclass(frozen=True)
class Role:
    """A server role, as DCE lists it on a member."""

    name: str
    color: str | None
    position: int
    created: dt.datetime

    @property
    def id(self) -> str:
        """The role's snowflake."""
        return snowflake(self.created, 1)


@dataclass(frozen=True)
class Member:
    """A server member: ``name`` is the username, ``nickname`` the name shown in the server."""

    name: str
    nickname: str
    roles: tuple[str, ...]
    created: dt.datetime

    @property
    def id(self) -> str:
        """The user's snowflake."""
        return snowflake(self.created, 2)


@dataclass(frozen=True)
class Channel:
    """A channel or category; ``kind`` is the channel type as DCE writes it."""

    name: str
    kind: str
    category: str | None
    topic: str | None
    created: dt.datetime

    @property
    def id(self) -> str:
        """The channel's snowflake."""
        return snowflake(self.created, 3)


@dataclass(frozen=True)
class Thread:
    """A public thread or forum post.

    ``starter`` is the label of the message in ``parent`` that the thread was started from; as in
    Discord, such a thread's id is that message's id. A forum post has no starter: its id is the id
    of its own first message.
    """

    name: str
    parent: str
    starter: str | None = None


ROLES = {
    "host": Role("Host", "#E67E22", 3, _at(2023, 9, 3, 19, 20)),
    "cooks": Role("Cooks", "#E91E63", 2, _at(2023, 9, 3, 19, 21)),
    "study": Role("Study Group", "#3498DB", 1, _at(2023, 9, 3, 19, 22)),
}

MEMBERS = {
    m.name: m
    for m in (
        Member("maya", "Maya", ("host", "cooks", "study"), _at(2018, 5, 14, 9, 31)),
        Member("aiko", "Aiko", ("cooks", "study"), _at(2019, 2, 2, 23, 5)),
        Member("kenji", "けんじ", ("cooks",), _at(2017, 11, 20, 13, 44)),
        Member("tom", "Tom", ("cooks",), _at(2020, 4, 9, 18, 2)),
        Member("priya", "Priya", ("cooks", "study"), _at(2019, 8, 30, 7, 15)),
        Member("lucas", "Lucas", ("study",), _at(2021, 1, 17, 21, 38)),
        Member("noor", "Noor", ("cooks", "study"), _at(2020, 10, 1, 10, 10)),
        Member("sam", "Sam", (), _at(2022, 6, 25, 16, 27)),
    )
}

CATEGORIES = {
    "table": Channel("The Table", "GuildCategory", None, None, _at(2023, 9, 3, 19, 13)),
    "learning": Channel("Learning", "GuildCategory", None, None, _at(2023, 9, 3, 19, 14)),
    "cooking": Channel("Cooking", "GuildCategory", None, None, _at(2023, 9, 3, 19, 15)),
}

CHANNELS = {
    "general": Channel(
        "general",
        "GuildTextChat",
        "table",
        "Anything and everything. Say hi!",
        _at(2023, 9, 3, 19, 16),
    ),
    "study": Channel(
        "study",
        "GuildTextChat",
        "learning",
        "日本語の勉強: questions, homework, 今日の一文",
        _at(2023, 9, 3, 19, 17),
    ),
    "recipes": Channel(
        "recipes",
        "GuildForum",
        "cooking",
        "One post per dish. Photos encouraged.",
        _at(2023, 9, 4, 8, 40),
    ),
}

THREADS = {
    "book": Thread("Book club: キッチン (Kitchen)", "general", starter="book"),
    "potluck": Thread("Potluck planning", "general", starter="potluck"),
    "okonomiyaki": Thread("Okonomiyaki for the potluck (Osaka style)", "recipes"),
    "miso": Thread("自家製味噌の仕込み", "recipes"),
    "starter": Thread("Starter #3 (RIP #1 and #2)", "recipes"),
}
