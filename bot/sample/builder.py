"""Expand the sample's screenplay scripts into DiscordChatExporter (DCE) JSON exports.

A script is a string with one message per header line::

    d2 19:06 priya #hungry >dead ~3 | Nail polish smell means it's hungry,
      + not dead!
      | (a second line of the same message)
      * 😂 maya lucas

- ``d2 19:06``: day offset from the first UTC midnight of the window, then the UTC time.
- ``#label`` names a message; ``>label`` makes it a reply to that message (same channel).
- ``~N``: edited N minutes later; ``pin``: pinned; ``noping``: reply that does not mention.
- ``!thread KEY``: a "Started a thread." marker; ``!join``: the author joins the server.
- ``+ text`` continues the text (a space only between two ASCII characters), ``| text`` continues
  it on a new line, ``* EMOJI user…`` adds reactions, ``--`` starts a comment line.
- In text, ``<@user>``, ``<@&role>`` and ``<#channel>`` are mentions by key, ``{d5}`` is the
  English weekday name of day 5 and ``{d5:ja}`` the Japanese one.

Script mistakes (unknown names or labels, times out of order) raise ``ValueError``.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.sample.community import (
    CATEGORIES,
    CHANNELS,
    GUILD_ID,
    GUILD_NAME,
    MEMBERS,
    ROLES,
    THREADS,
    Member,
)
from bot.sample.snowflake import dce_time, snowflake

Export = dict[str, Any]
MentionStyle = Literal["raw", "dce"]

_TWEMOJI = "https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/{}.svg"
EMOJI = {
    "☀️": "sunny", "🎉": "tada", "👍": "thumbsup", "😂": "joy", "🙏": "pray",
    "🤯": "exploding_head", "🍜": "ramen", "💪": "muscle", "🍞": "bread", "😭": "sob",
    "👀": "eyes", "👋": "wave", "😊": "blush", "😋": "yum", "🥲": "smiling_face_with_tear",
    "🙌": "raised_hands", "❤️": "heart", "🍲": "stew", "💯": "100", "🔥": "fire",
    "✨": "sparkles", "🐙": "octopus", "🥟": "dumpling", "🫡": "saluting_face",
    "😅": "sweat_smile", "🙋": "raising_hand", "✅": "white_check_mark", "👇": "point_down",
}  # fmt: skip
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))
_UNPLACED = dt.datetime.min.replace(tzinfo=dt.UTC)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HEAD = re.compile(r"d(\d) (\d\d):(\d\d) (\w+)([^|]*)(?:\| (.*))?")
_TOKEN = re.compile(r"<@&(\w+)>|<@(\w+)>|<#(\w+)>|\{d(\d)(:ja)?\}")


@dataclass
class _Line:
    channel: str
    day: int
    hour: int
    minute: int
    author: str
    text: str
    label: str | None = None
    reply_to: str | None = None
    edited_after: int | None = None
    pinned: bool = False
    ping: bool = True
    kind: str = "Default"
    thread: str | None = None
    reactions: list[tuple[str, list[str]]] = field(default_factory=list)
    at: dt.datetime = _UNPLACED
    id: str = ""


def _parse(channel: str, script: str) -> list[_Line]:
    lines: list[_Line] = []
    for raw in script.splitlines():
        row = raw.strip()
        if not row or row.startswith("--"):
            continue
        marker, rest = row[0], row[1:].strip()
        if marker in "+|*" and row[1:2] == " ":
            if not lines:
                raise ValueError(f"{channel}: {row!r} continues no message")
            last = lines[-1]
            if marker == "*":
                emoji, *users = rest.split()
                last.reactions.append((emoji, users))
            elif marker == "|":
                last.text += "\n" + rest
            else:
                joint = " " if last.text[-1:].isascii() and rest[:1].isascii() else ""
                last.text += joint + rest
            continue
        head = _HEAD.fullmatch(row)
        if head is None:
            raise ValueError(f"{channel}: cannot read {row!r}")
        day, hour, minute, author, options, text = head.groups()
        line = _Line(channel, int(day), int(hour), int(minute), author, (text or "").strip())
        _apply_options(line, options.split())
        lines.append(line)
    return lines


def _apply_options(line: _Line, options: list[str]) -> None:
    words = iter(options)
    for word in words:
        if word.startswith("#"):
            line.label = word[1:]
        elif word.startswith(">"):
            line.reply_to, line.kind = word[1:], "Reply"
        elif word.startswith("~"):
            line.edited_after = int(word[1:])
        elif word == "pin":
            line.pinned = True
        elif word == "noping":
            line.ping = False
        elif word == "!join":
            line.kind, line.text = "GuildMemberJoin", "Joined the server."
        elif word == "!thread":
            line.kind, line.text, line.thread = "ThreadCreated", "Started a thread.", next(words)
        else:
            raise ValueError(f"{line.channel}: unknown option {word!r}")


def _user(member: Member, *, roles: bool) -> Export:
    """Return a DCE user object; authors and mentions carry roles, reaction users do not."""
    member_roles = sorted((ROLES[key] for key in member.roles), key=lambda r: -r.position)
    user: Export = {
        "id": member.id,
        "name": member.name,
        "discriminator": "0000",
        "nickname": member.nickname,
        "color": next((r.color for r in member_roles if r.color), None),
        "isBot": False,
    }
    if roles:
        user["roles"] = [
            {"id": r.id, "name": r.name, "color": r.color, "position": r.position}
            for r in member_roles
        ]
    user["avatarUrl"] = None
    return user


def _emoji(char: str) -> Export:
    if char not in EMOJI:
        raise ValueError(f"emoji {char!r} is not in EMOJI")
    points = "-".join(f"{ord(c):x}" for c in char if c != "\ufe0f")
    return {
        "id": "",
        "name": char,
        "code": EMOJI[char],
        "isAnimated": False,
        "imageUrl": _TWEMOJI.format(points),
    }


def _inline_emojis(content: str) -> list[Export]:
    """Emoji used in the text, once each, in order of appearance, as DCE lists them."""
    for char in content:
        if any(lo <= ord(char) <= hi for lo, hi in _EMOJI_RANGES) and not any(
            char in e for e in EMOJI
        ):
            raise ValueError(f"emoji {char!r} in {content!r} is not in EMOJI")
    found = sorted((content.index(e), e) for e in EMOJI if e in content)
    return [_emoji(e) for _, e in found]


def _render(text: str, anchor: dt.datetime, style: MentionStyle) -> tuple[str, list[str]]:
    """Resolve mentions and weekday placeholders; return content and mentioned usernames."""
    mentioned: list[str] = []

    def replace(match: re.Match[str]) -> str:
        role, user, channel, day, ja = match.groups()
        if role:
            return f"<@&{ROLES[role].id}>" if style == "raw" else f"@{ROLES[role].name}"
        if user:
            mentioned.append(user)
            return f"<@{MEMBERS[user].id}>" if style == "raw" else f"@{MEMBERS[user].nickname}"
        if channel:
            return f"<#{CHANNELS[channel].id}>" if style == "raw" else f"#{CHANNELS[channel].name}"
        weekday = (anchor + dt.timedelta(days=int(day))).weekday()
        return "月火水木金土日"[weekday] + "曜日" if ja else _WEEKDAYS[weekday]

    try:
        content = _TOKEN.sub(replace, text)
    except KeyError as err:
        raise ValueError(f"unknown key {err} in {text!r}") from err
    return content, list(dict.fromkeys(mentioned))


def _place(lines: list[_Line], anchor: dt.datetime, now: dt.datetime) -> None:
    """Give every line its timestamp and snowflake; check order and the window."""
    for i, line in enumerate(lines):
        offset = dt.timedelta(
            days=line.day,
            hours=line.hour,
            minutes=line.minute,
            seconds=(23 * i + 7) % 60,
            milliseconds=(367 * i + 41) % 1000,
        )
        line.at = anchor + offset
        if not now - dt.timedelta(days=7) <= line.at <= now - dt.timedelta(hours=1):
            raise ValueError(f"{line.channel} d{line.day}: outside the week before now")
    for rank, line in enumerate(sorted(lines, key=lambda x: x.at)):
        line.id = snowflake(line.at, rank)
    for key in (*CHANNELS, *THREADS):
        times = [x.at for x in lines if x.channel == key]
        if times != sorted(times) or len(set(times)) != len(times):
            raise ValueError(f"{key}: messages are not in time order")


def _check(lines: list[_Line], labels: dict[str, _Line]) -> None:
    joined = {x.author: x.at for x in lines if x.kind == "GuildMemberJoin"}
    for line in lines:
        if not line.text:
            raise ValueError(f"{line.channel} d{line.day}: a message needs text")
        target = labels.get(line.reply_to or "")
        if line.reply_to and (target is None or target.channel != line.channel):
            raise ValueError(f"{line.channel}: no earlier message #{line.reply_to} to reply to")
        for who in (line.author, *(u for _, users in line.reactions for u in users)):
            if who not in MEMBERS:
                raise ValueError(f"{line.channel}: unknown member {who!r}")
            if line.at < joined.get(who, line.at):
                raise ValueError(f"{line.channel}: {who} is active before joining")
        if line.thread and line.thread not in THREADS:
            raise ValueError(f"{line.channel}: unknown thread {line.thread!r}")


def _thread_ids(lines: list[_Line], labels: dict[str, _Line]) -> dict[str, str]:
    """Map thread keys to ids: a starter message's id, or a forum post's first message id."""
    ids: dict[str, str] = {}
    for key, thread in THREADS.items():
        own = [x for x in lines if x.channel == key]
        if thread.starter is None:
            ids[key] = own[0].id
            continue
        starter = labels.get(thread.starter)
        markers = [x for x in lines if x.thread == key]
        if starter is None or starter.channel != thread.parent or len(markers) != 1:
            raise ValueError(f"thread {key}: needs starter #{thread.starter} and one marker")
        if not starter.at < markers[0].at < min((x.at for x in own), default=markers[0].at):
            raise ValueError(f"thread {key}: starter, marker and messages are out of order")
        ids[key] = starter.id
    return ids


def _message(
    line: _Line,
    labels: dict[str, _Line],
    channel_id: str,
    thread_ids: dict[str, str],
    anchor: dt.datetime,
    style: MentionStyle,
) -> Export:
    content, mentioned = _render(line.text, anchor, style)
    target = labels[line.reply_to] if line.reply_to else None
    if target and line.ping and target.author not in (line.author, *mentioned):
        mentioned.append(target.author)  # a reply pings its target, as Discord does by default
    edited = None
    if line.edited_after is not None:
        edited = line.at + dt.timedelta(minutes=line.edited_after, seconds=13)
    message: Export = {
        "id": line.id,
        "type": line.kind,
        "timestamp": dce_time(line.at),
        "timestampEdited": dce_time(edited) if edited else None,
        "callEndedTimestamp": None,
        "isPinned": line.pinned,
        "content": content,
        "author": _user(MEMBERS[line.author], roles=True),
        "attachments": [],
        "embeds": [],
        "stickers": [],
        "reactions": [
            {
                "emoji": _emoji(emoji),
                "count": len(users),
                "users": [_user(MEMBERS[u], roles=False) for u in users],
            }
            for emoji, users in line.reactions
        ],
        "mentions": [_user(MEMBERS[u], roles=True) for u in mentioned],
    }
    if target:
        message["reference"] = {
            "messageId": target.id,
            "channelId": channel_id,
            "guildId": GUILD_ID,
        }
    if line.thread:
        thread_id = thread_ids[line.thread]
        message["reference"] = {"messageId": None, "channelId": thread_id, "guildId": GUILD_ID}
    message["inlineEmojis"] = _inline_emojis(content)
    return message


def _channel(key: str, thread_ids: dict[str, str]) -> Export:
    """Return the ``channel`` object; a thread's category fields name its parent channel."""
    if key in THREADS:
        thread = THREADS[key]
        parent = CHANNELS[thread.parent]
        return {
            "id": thread_ids[key],
            "type": "GuildPublicThread",
            "categoryId": parent.id,
            "category": parent.name,
            "name": thread.name,
            "topic": None,
        }
    channel = CHANNELS[key]
    category = CATEGORIES[channel.category] if channel.category else None
    return {
        "id": channel.id,
        "type": channel.kind,
        "categoryId": category.id if category else None,
        "category": category.name if category else None,
        "name": channel.name,
        "topic": channel.topic,
    }


def window_start(now: dt.datetime) -> dt.datetime:
    """Day 0 of the scripts: the first UTC midnight at or after ``now`` minus seven days."""
    start = (now - dt.timedelta(days=7)).astimezone(dt.UTC)
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == start else midnight + dt.timedelta(days=1)


def expand(scripts: dict[str, str], now: dt.datetime, style: MentionStyle) -> list[Export]:
    """Turn ``{channel or thread key: script}`` into one DCE export per key, in that order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    anchor = window_start(now)
    lines = [line for key, script in scripts.items() for line in _parse(key, script)]
    _place(lines, anchor, now)
    labels: dict[str, _Line] = {}
    for line in lines:
        if line.label in labels:
            raise ValueError(f"label #{line.label} is used twice")
        if line.label:
            labels[line.label] = line
    _check(lines, labels)
    thread_ids = _thread_ids(lines, labels)
    exports = []
    for key in scripts:
        channel = _channel(key, thread_ids)
        messages = [
            _message(line, labels, channel["id"], thread_ids, anchor, style)
            for line in lines
            if line.channel == key
        ]
        exports.append(
            {
                "guild": {"id": GUILD_ID, "name": GUILD_NAME, "iconUrl": None},
                "channel": channel,
                "dateRange": {"after": None, "before": None},
                "exportedAt": dce_time(now),
                "messages": messages,
                "messageCount": len(messages),
            }
        )
    return exports
