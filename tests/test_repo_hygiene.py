"""Meta-tests: file sizes, layering, extensions load, no committed data or secrets."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from bot.app.client import EXTENSIONS

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    p for top in ("bot", "cogs", "tests", "testing", "bench") for p in (REPO / top).rglob("*.py")
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_python_files_stay_under_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_bot_never_imports_cogs():
    offenders = [p for p in (REPO / "bot").rglob("*.py") if "cogs" in _imports(p)]
    assert offenders == []


@pytest.mark.parametrize("name", EXTENSIONS)
def test_every_extension_has_setup(name):
    module = importlib.import_module(name)
    assert callable(getattr(module, "setup", None))


def test_shared_data_is_not_copied_into_the_repo():
    exports = [
        p for p in REPO.rglob("*.json") if ".venv" not in p.parts and "ethglobal" in p.name.lower()
    ]
    assert exports == []
