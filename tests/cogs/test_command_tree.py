"""The slash-command tree the bot syncs, checked against Discord's limits.

Discord rejects a whole sync for one bad command (HTTP 400, every command unchanged), so a
name with a capital letter or a 101-character description would silently keep a server on
the old commands. Limits from Discord's docs (Application Commands: "Application Command
Naming", "Application Command Option Structure"): names 1-32 characters, lowercase, letters,
digits, '-' and '_'; descriptions 1-100; at most 25 options and 25 choices; required
options before optional ones; the names, descriptions and choices of one command at most
4,000 characters together.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.interact import command_bot

pytestmark = pytest.mark.e2e

NAME = re.compile(r"^[-_\w]{1,32}$")
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


def _check_name(name: str, where: str) -> list[str]:
    problems = []
    if not NAME.fullmatch(name) or name != name.lower():
        problems.append(f"{where}: name {name!r} is not 1-32 lowercase word characters")
    return problems


def _check_named(entry: dict, where: str) -> tuple[list[str], int]:
    """A command's or option's name and description, and the characters they count."""
    problems = _check_name(entry["name"], where)
    description = entry.get("description", "")
    if not 1 <= len(description) <= 100:
        problems.append(f"{where}: description of {len(description)} characters")
    return problems, len(entry["name"]) + len(description)


def _check_options(options: list[dict], where: str) -> tuple[list[str], int]:
    problems: list[str] = []
    size = 0
    if len(options) > 25:
        problems.append(f"{where}: {len(options)} options (at most 25)")
    names = [o["name"] for o in options]
    if len(names) != len(set(names)):
        problems.append(f"{where}: duplicate option names {names}")
    seen_optional = False
    for option in options:
        at = f"{where} {option['name']}"
        named, named_size = _check_named(option, at)
        problems += named
        size += named_size
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            inner, inner_size = _check_options(option.get("options", []), at)
            problems += inner
            size += inner_size
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{at}: a required option after an optional one")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            problems.append(f"{at}: {len(choices)} choices (at most 25)")
        for choice in choices:
            if not 1 <= len(choice["name"]) <= 100:
                problems.append(f"{at}: choice {choice['name']!r}")
            size += len(choice["name"]) + len(str(choice["value"]))
    return problems, size


async def test_every_synced_command_is_within_discords_limits(discord_double, tmp_path):
    async with command_bot(discord_double, tmp_path):
        commands = discord_double.synced_commands()
    assert commands, "nothing was synced: the test proves nothing"
    names = [c["name"] for c in commands]
    assert len(names) == len(set(names)), names
    problems: list[str] = []
    for command in commands:
        where = f"/{command['name']}"
        named, size = _check_named(command, where)
        inner, inner_size = _check_options(command.get("options", []), where)
        problems += named + inner
        size += inner_size
        if size > 4000:
            problems.append(f"{where}: {size} characters (at most 4,000)")
    assert not problems, "\n".join(problems)
    expected = {"recap", "summary", "about", "dm", "interests", "privacy", "hearth", "digest"}
    assert expected <= set(names), sorted(names)


def test_the_checks_catch_what_discord_rejects():
    bad = [
        {"name": "Days", "description": "x" * 101, "type": 4, "required": False},
        {"name": "when", "description": "ok", "type": 3, "required": True},
        {"name": "when", "description": "", "type": 3, "choices": [{"name": "", "value": 1}]},
    ]
    problems, _ = _check_options(bad, "/recap")
    assert any("name 'Days'" in p for p in problems)
    assert any("description of 101" in p for p in problems)
    assert any("required option after an optional" in p for p in problems)
    assert any("duplicate option names" in p for p in problems)
    assert any("choice ''" in p for p in problems)
