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


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")


def imported(path: Path) -> list[str]:
    """Every module ``path`` imports: ``from bot import delivery`` counts as
    ``bot.delivery``, and relative imports are resolved."""
    here = module_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            found.append(base)
            found += [f"{base}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_imports_run_one_way(path):
    name = module_of(path)
    me = level(name)
    assert me is not None
    modules = imported(path)
    upward = [
        module
        for module in modules
        if (other := _known(module)) is not None and other[0] != me[0] and other[1] >= me[1]
    ]
    assert not upward, f"{name} ({me[0]}) imports {upward}: see docs/architecture.md"
    # The doubles, the tests and the benchmarks are not installed: the product never needs them.
    outside = [m for m in modules if m.split(".")[0] in ("tests", "testing", "bench")]
    assert not outside, f"{name} imports {outside}"


def _known(module: str) -> tuple[str, int] | None:
    """``level`` for a module, or None for a name that is not a module of ours (the
    ``Store`` of ``from bot.db import Store`` is looked up as ``bot.db.Store``: skip it)."""
    try:
        return level(module)
    except AssertionError:
        return None


def test_the_root_of_bot_holds_only_the_ground():
    root = sorted(p.stem for p in (REPO / "bot").glob("*.py"))
    assert root == ["__init__", "__main__", "errors", "models", "settings", "timeutil"]


# The archive cog is the ingest stage's gateway adapter: its backfill and reconciliation still
# read the store directly (issue #15: they belong in bot/ingest/). These are the exceptions,
# counted, so a new one fails; every other cog asks a service (bot.members, bot.guild_config,
# bot.privacy, bot.recaps, bot.delivery).
STORE_USES: dict[str, int] = {}  # .store attribute reads allowed in a cog (none)
DB_IMPORTS: set[str] = set()  # cogs that may import bot.db (none)


def _is_store(node: ast.AST) -> bool:
    """``x.store``, or ``getattr(x, "store")`` / ``setattr(x, "store", …)``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "store"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "setattr")
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "store"
    )


def _store_uses(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree) if _is_store(n)]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path", sorted(REPO.glob("cogs/**/*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_cogs_ask_services_never_the_store(path):
    where = str(path.relative_to(REPO))
    uses = _store_uses(ast.parse(path.read_text(encoding="utf-8")))
    assert len(uses) == STORE_USES.get(where, 0), f"{where}: the store at lines {uses}"
    imports_db = [m for m in imported(path) if m == "bot.db" or m.startswith("bot.db.")]
    assert not imports_db or where in DB_IMPORTS, f"{where} imports {imports_db}"
