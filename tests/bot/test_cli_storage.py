"""The database's disk misbehaving under ``hearth``: read-only, locked, full. One line each,
nothing lost, and what was stored is said."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.bot.test_cli import hearth
from tests.bot.test_importer import ALICE, BOB, export, message, write

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = os.geteuid() == 0
TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"  # shape only


def stored(db: Path, *, frozen: bool = False) -> int:
    # A WAL database in a read-only folder opens only as immutable (no -shm to create).
    with sqlite3.connect(f"file:{db}?immutable=1" if frozen else db, uri=frozen) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def freeze(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """``freeze(folder)``: nobody may write in ``folder`` from now on (its permissions for a
    user; for root, whom permissions do not stop, a read-only tmpfs holding a copy)."""
    mounted: list[Path] = []
    chmodded: list[Path] = []

    def freeze(folder: Path) -> None:
        if not ROOT:
            for path in [*folder.iterdir(), folder]:
                path.chmod(0o555 if path.is_dir() else 0o444)
            chmodded.append(folder)
            return
        saved = tmp_path / f"saved-{len(mounted)}"
        shutil.copytree(folder, saved)
        if not _mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)):
            pytest.skip("running as root without mount: no way to make a read-only folder")
        mounted.append(folder)
        shutil.copytree(saved, folder, dirs_exist_ok=True)
        assert _mount("-o", "remount,ro", str(folder))

    yield freeze
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=True)
    for folder in chmodded:
        for path in [folder, *folder.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def _imported(folder: Path) -> Path:
    folder.mkdir()
    db = folder / "h.db"
    assert hearth("import", str(DATA / "dce_minimal.json"), "--db", str(db)).returncode == 0
    return db


def test_import_into_a_read_only_database_is_one_line(tmp_path, freeze):
    db = _imported(tmp_path / "ro")
    freeze(db.parent)
    out = hearth("import", str(DATA / "dce_thread.json"), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 2
    line = one_line(out)
    assert line.startswith(f"hearth: database {db} is read-only"), line
    assert stored(db, frozen=True) == 4


def test_run_on_a_read_only_database_is_one_line(tmp_path, freeze):
    db = _imported(tmp_path / "ro")
    freeze(db.parent)
    env = {"HEARTH_DB": str(db), "DISCORD_TOKEN": TOKEN}
    out = hearth("run", env=env, cwd=tmp_path)
    assert out.returncode == 2
    assert one_line(out).startswith(f"hearth: database {db} is read-only")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """``holder(db)``: another process's write transaction on ``db`` until the test ends."""
    done = threading.Event()
    threads: list[threading.Thread] = []

    def hold(db: Path) -> None:
        ready = threading.Event()

        def run() -> None:
            conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE meta SET value = value WHERE 0")
            ready.set()
            done.wait(60)
            conn.execute("ROLLBACK")
            conn.close()

        threads.append(threading.Thread(target=run, daemon=True))
        threads[-1].start()
        assert ready.wait(10)

    yield hold
    done.set()
    for thread in threads:
        thread.join(10)


def test_import_into_a_locked_database_gives_up_after_5_s_in_one_line(tmp_path, holder):
    db = _imported(tmp_path / "db")
    holder(db)
    started = time.monotonic()
    out = hearth("import", str(DATA / "dce_thread.json"), "--db", str(db), cwd=tmp_path)
    assert time.monotonic() - started >= 4.5  # SQLite's busy timeout, waited for real
    assert out.returncode == 75  # EX_TEMPFAIL: a supervisor may try again, unlike 2
    line = one_line(out)
    assert line.startswith(f"hearth: database {db} is locked"), line
    assert "5 s" in line


def _big_export(path: Path, count: int) -> Path:
    long = "a line long enough to fill pages quickly " * 20
    rows = [message(i, author=(ALICE, BOB)[i % 2], content=f"{i} {long}") for i in range(count)]
    return write(path, export(rows))


def _limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:  # CPython ignores SIGXFSZ: a write past the limit fails, EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.parametrize("disk", ["tmpfs", "file-size-limit"])
def test_a_full_disk_during_import_says_what_was_stored(tmp_path, disk):
    source = _big_export(tmp_path / "big.json", 3000)
    folder = tmp_path / "small"
    folder.mkdir()
    db = folder / "h.db"
    preexec = None
    if disk == "tmpfs":
        if not ROOT or not _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)):
            pytest.skip("a small tmpfs needs root and mount")
    else:
        preexec = _limit_file_size(1 << 20)
    try:
        other = str(DATA / "dce_thread.json")
        out = hearth(
            "import", str(source), other, "--db", str(db), cwd=tmp_path, preexec_fn=preexec
        )
        assert out.returncode == 2
        line = one_line(out)
        kept = stored(db)
        assert 0 < kept < 3000 and kept % 500 == 0  # whole batches, none half-written
        assert line.startswith(f"hearth: {source}: stopped after {kept:,} messages"), line
        assert "full" in line and str(db) in line and line.endswith(f"; not imported: {other}")
        if disk == "tmpfs":
            assert _mount("-o", "remount,size=64m", str(folder))
        again = hearth("import", str(source), "--db", str(db), cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert f"{3000 - kept} new, {kept} skipped" in again.stdout
    finally:
        if disk == "tmpfs":
            subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_disk_does_not_stop_a_digest(tmp_path):
    made = tmp_path / "h.db"
    source = _big_export(tmp_path / "big.json", 3000)
    assert hearth("import", str(source), "--db", str(made)).returncode == 0
    folder = tmp_path / "small"
    folder.mkdir()
    if not ROOT or not _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)):
        pytest.skip("a small tmpfs needs root and mount")
    try:
        db = folder / "h.db"
        shutil.copy(made, db)
        disk = os.statvfs(folder)
        room = 32 << 10  # SQLite's shared-memory file fits; the summary cache does not
        (folder / "pad").write_bytes(bytes(disk.f_bavail * disk.f_frsize - room))
        window = ("--since", "2026-10-25", "--until", "2026-11-08")
        out = hearth("digest", "--db", str(db), *window)
        assert out.returncode == 0, out.stderr
        assert "· digest" in out.stdout and "Traceback" not in out.stderr
        assert (
            "could not cache the summaries of 1 conversation" in out.stderr
            and "is full" in out.stderr
        )
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_truncated_export_says_how_much_was_kept(tmp_path):
    path = write(tmp_path / "cut.json", export([message(i) for i in range(1, 1201)]))
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.index(b'"id": "1200000000000001200"') + 10])
    db = tmp_path / "h.db"
    out = hearth("import", str(path), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 1
    line = one_line(out)
    assert "invalid JSON" in line and line.endswith(
        "the first 1,000 messages are stored; importing the whole file again adds the rest"
    ), line
    assert stored(db) == 1000
