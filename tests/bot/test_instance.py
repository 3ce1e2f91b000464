"""The single-instance lock of ``hearth run`` (issue #14): every failure one clear line."""

from __future__ import annotations

import os

import pytest

from bot.app.instance import STALE_SECONDS, AlreadyRunningError, health, lock_path, single_instance
from bot.errors import CliError


def second_start(first: str, second: str) -> None:
    """Hold ``first``'s lock and take ``second``'s while it is held."""
    with single_instance(first):
        enter(second)


def enter(db: str) -> None:
    with single_instance(db):
        pass


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path):
    db = str(tmp_path / "hearth.db")
    with pytest.raises(AlreadyRunningError, match=rf"pid {os.getpid()}\b.*{db}"):
        second_start(db, db)
    enter(db)  # released: free again


def test_a_file_uri_locks_the_file_it_names(tmp_path):
    db = tmp_path / "hearth.db"
    assert lock_path(f"file:{db}?mode=rwc") == tmp_path / "hearth.db.lock"
    assert lock_path(f"file://localhost{db}") == tmp_path / "hearth.db.lock"
    assert lock_path(":memory:") is None and lock_path("file:x?mode=memory") is None
    with pytest.raises(AlreadyRunningError):
        second_start(str(db), f"file:{db}?mode=rwc")


def test_a_symlinked_database_shares_one_lock(tmp_path):
    real = tmp_path / "real.db"
    real.touch()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    with pytest.raises(AlreadyRunningError):
        second_start(str(real), str(link))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file modes")
def test_a_lock_that_cannot_be_created_is_one_line(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CliError, match="cannot take the lock"):
            enter(str(folder / "hearth.db"))
    finally:
        folder.chmod(0o700)


def test_a_lock_file_of_another_kind_is_one_line(tmp_path):
    (tmp_path / "hearth.db.lock").mkdir()  # not a file: open() fails with EISDIR
    with pytest.raises(CliError, match="cannot take the lock"):
        enter(str(tmp_path / "hearth.db"))


def test_health_reads_the_lease(tmp_path):
    db = str(tmp_path / "h.db")
    assert health(db, now=1000.0) == (False, f"no Hearth is running on {db}")
    with single_instance(db) as lease:
        assert lease is not None
        ok, line = health(db, now=1000.0)
        assert not ok and line.startswith(
            f"Hearth (pid {os.getpid()}) has not connected to Discord"
        )
        lease.beat(1000.0)
        assert health(db, now=1100.0) == (
            True,
            f"Hearth (pid {os.getpid()}) connected to Discord 100 s ago",
        )
        ok, line = health(db, now=1000.0 + STALE_SECONDS + 1)
        assert not ok and "last connected to Discord 121 s ago" in line
    assert health(db, now=1000.0)[0] is False


def test_a_health_check_reading_the_lock_does_not_stop_a_start(tmp_path):
    # hearth health takes a shared lock for an instant; a start at that moment used to fail
    # with "another Hearth is already running".
    import fcntl
    import threading

    db = str(tmp_path / "h.db")
    path = lock_path(db)
    path.write_text("")
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    threading.Timer(0.3, lambda: os.close(fd)).start()
    with single_instance(db) as lease:
        assert lease is not None
