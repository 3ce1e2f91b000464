"""The one-way rule of docs/architecture.md: a package imports only what stands below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The map, bottom up. Packages of one level (ingest, recap) do not import each other.
LEVELS = {
    "models": 0, "settings": 0, "timeutil": 0, "errors": 0, "sample": 0,
    "db": 1,
    "ingest": 2, "recap": 2,
    "delivery": 3,
    "services": 4,
    "app": 5,
    "__main__": 6,
}  # fmt: skip
COGS = 7


def level(module: str) -> tuple[str, int] | None:
    """(unit, level) of one of our modules: ``bot.recap.rank`` is the unit ``recap``."""
    parts = module.split(".")
    if parts[0] == "cogs":
        return "cogs", COGS
    if parts[0] != "bot":
        return None
    if len(parts) == 1:
        return "bot", 0  # the package itself: its __init__ holds nothing
    if parts[1] not in LEVELS:
        raise AssertionError(f"{module}: bot/{parts[1]} is not on the map in this test")
    return parts[1], LEVELS[parts[1]]


def modules() -> list[Path]:
    return sorted([*REPO.glob("bot/**/*.py"), *REPO.glob("cogs/**/*.py")])


def imported(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_run_one_way(path):
    name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    me = level(name)
    assert me is not None
    upward = [
        module
        for module in imported(path)
        if (other := level(module)) is not None and other[0] != me[0] and other[1] >= me[1]
    ]
    assert not upward, f"{name} ({me[0]}) imports {upward}: see docs/architecture.md"


def test_the_root_of_bot_holds_only_the_ground():
    root = sorted(p.stem for p in (REPO / "bot").glob("*.py"))
    assert root == ["__init__", "__main__", "errors", "models", "settings", "timeutil"]


# The archive cog is the ingest stage's gateway adapter: its backfill and reconciliation still
# read the store directly (issue #15: they belong in bot/ingest/). Every other cog asks a
# service (bot.members, bot.guild_config, bot.privacy, bot.recaps, bot.delivery).
STORE_ALLOWED = ("cogs/archive/",)


@pytest.mark.parametrize(
    "path", sorted(REPO.glob("cogs/**/*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_cogs_ask_services_never_the_store(path):
    where = str(path.relative_to(REPO))
    if where.startswith(STORE_ALLOWED):
        pytest.skip("the archive cog: not moved behind a service yet")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    touches = [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "store"
    ]
    imports_db = [m for m in imported(path) if m == "bot.db" or m.startswith("bot.db.")]
    assert not touches and not imports_db, f"{where}: .store at lines {touches}, {imports_db}"
