"""The ``hearth`` command as a user runs it: a real process, clear one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def hearth(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HEARTH_"))}
    base.pop("OPENAI_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        cwd=cwd,
    )


def test_run_without_token_is_one_clear_line(tmp_path):
    out = hearth("run", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("hearth: DISCORD_TOKEN is not set")
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bad_setting_is_one_clear_line(tmp_path):
    out = hearth("stats", env={"HEARTH_LOG_LEVEL": "chatty"}, cwd=tmp_path)
    assert out.returncode == 2 and "HEARTH_LOG_LEVEL" in out.stderr
    assert "Traceback" not in out.stderr


def test_openai_without_key_fails_at_start(tmp_path):
    out = hearth("run", env={"DISCORD_TOKEN": "x", "HEARTH_SUMMARIZER": "openai"}, cwd=tmp_path)
    assert out.returncode == 2 and "OPENAI_API_KEY" in out.stderr


def test_stats_on_empty_database(tmp_path):
    out = hearth("stats", "--db", str(tmp_path / "h.db"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "messages" in out.stdout and "nothing stored yet" in out.stdout


@pytest.mark.parametrize("content", [b"garbage" * 50])
def test_unusable_database_is_one_clear_line(tmp_path, content):
    db = tmp_path / "h.db"
    db.write_bytes(content)
    out = hearth("stats", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2 and str(db) in out.stderr and "Traceback" not in out.stderr
