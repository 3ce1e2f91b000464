"""The bundled sample community for ``hearth demo``: one week at the "Kitchen Table" server.

Eight friends learn Japanese and cook together, writing in English and Japanese (see README.md
beside this file). :func:`build_exports` returns the week as DiscordChatExporter (DCE) JSON
exports, one per channel or thread, ready for the DCE importer. As DCE writes them:

- text channels have type ``GuildTextChat``; threads and forum posts ``GuildPublicThread``, and
  in a thread's export ``channel.categoryId``/``channel.category`` hold the PARENT channel's id
  and name (a text channel for a thread, the ``GuildForum`` channel #recipes for a forum post);
- a thread started from a message has that message's id, and the parent channel gets a
  ``ThreadCreated`` message ("Started a thread.") whose ``reference.channelId`` is the thread id;
  a forum post's id is the id of its first message;
- a reply has ``reference.messageId`` and also mentions the replied-to author unless the reply
  was sent without a ping, as Discord does; other mentions are in the text and in ``mentions``;
- every id is a snowflake whose time matches the message's ``timestamp``.

The messages fall on six consecutive UTC days starting at the first midnight at or after
``now - 7 days``, so every message lies between ``now - 7 days`` and ``now - 1 hour`` and the
output is the same for the same ``now``.
"""

import datetime as dt

from bot.sample.builder import Export, MentionStyle, expand
from bot.sample.script_channels import GENERAL, STUDY
from bot.sample.script_threads import BOOK, MISO, OKONOMIYAKI, POTLUCK, STARTER

__all__ = ["DEMO_MEMBERS", "build_exports"]

#: Usernames (DCE ``author.name``) whose recaps ``hearth demo`` shows side by side.
DEMO_MEMBERS = (
    "maya",  # organiser in nearly every conversation: many threads, many replies to her
    "noor",  # quiet reader with 3 messages: her recap is mentions, replies and a question waiting
)

SCRIPTS = {
    "general": GENERAL,
    "study": STUDY,
    "book": BOOK,
    "potluck": POTLUCK,
    "okonomiyaki": OKONOMIYAKI,
    "miso": MISO,
    "starter": STARTER,
}


def build_exports(now: dt.datetime, *, mentions: MentionStyle = "raw") -> list[Export]:
    """Return the sample week ending at ``now`` as DCE JSON exports, one per channel or thread.

    ``now`` must be timezone-aware. With ``mentions="raw"`` (the default) mentions appear in the
    text as Discord sends them (``<@id>``, ``<@&id>``, ``<#id>``); with ``"dce"`` they appear as
    DCE's JSON exporter renders them (``@Nickname``, ``@Role``, ``#channel``).
    """
    return expand(SCRIPTS, now, mentions)
