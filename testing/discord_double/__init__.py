"""A test double of the Discord API (REST + gateway) that the real discord.py can talk to."""

from .interactions import InteractionRecord
from .rest_core import RecordedRequest, UploadedFile
from .seed import SeededGuild, seed_default_guild
from .server import DiscordDouble

__all__ = [
    "DiscordDouble",
    "InteractionRecord",
    "RecordedRequest",
    "SeededGuild",
    "UploadedFile",
    "seed_default_guild",
]
