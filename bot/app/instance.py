"""One bot process per database: a second ``hearth run`` on the same file refuses to start.

Two processes on one database would both send every digest and DM recap: each one's ledger
row says "sending" and neither can tell the other is alive. The lock is an exclusive
``flock`` on ``<database>.lock`` held for the life of the process. The kernel releases it when
the process ends however it ends (SIGKILL, a power cut), so no stale lease is ever left to
expire or to break by hand. The file itself stays: removing it would let a third process lock
a new file while the second still holds the old one.

It guards the bot (``hearth run``) only: imports and the read-only commands may run beside
it; SQLite orders their writes. ``flock`` is advisory and, on some network file systems, local
to one machine: keep the database on a local disk (SQLite's own advice for WAL).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from bot.db.connection import MEMORY
from bot.errors import CliError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class AlreadyRunningError(CliError):
    """Another Hearth process holds the database; the message names it."""


def lock_path(db_path: str) -> Path | None:
    """Where the lock of ``db_path`` lives: beside the file it names, symlinks resolved
    (None: an in-memory database, which no second process can share)."""
    path = db_path
    if path.startswith("file:"):  # an SQLite URI: the path is before the query
        path = unquote(path[5:].partition("?")[0].partition("#")[0])
        if path.startswith("//"):  # file://[localhost]/abs/path
            path = "/" + path[2:].partition("/")[2]
    if path in ("", MEMORY) or "mode=memory" in db_path:
        return None
    return Path(os.path.realpath(path) + ".lock")


STALE_SECONDS = 120  # no beat for this long: unhealthy (the bot beats every 30 s)


class Lease:
    """The held lock. ``beat`` records that the bot is connected to Discord, for
    ``hearth health`` (a container's healthcheck) to read without touching the database."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def beat(self, at: float) -> None:
        """Write ``pid`` and the time of this beat into the lock file."""
        data = f"{os.getpid()}\n{int(at)}\n".encode("ascii")
        os.pwrite(self.fd, data, 0)
        os.ftruncate(self.fd, len(data))


def health(db_path: str, now: float) -> tuple[bool, str]:
    """Whether a bot holds ``db_path``'s lock and beat within :data:`STALE_SECONDS`."""
    path = lock_path(db_path)
    if path is None or fcntl is None:
        return False, f"{db_path} has no lock file to read (an in-memory database)"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False, f"no Hearth is running on {db_path}"
    except OSError as exc:
        return False, f"cannot read the lock {path}: {exc.strerror}"
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: a bot is running
            text = os.pread(fd, 64, 0).decode("ascii", "replace").split()
        else:
            return False, f"no Hearth is running on {db_path}"
    finally:
        os.close(fd)
    pid = text[0] if text else "unknown"
    if len(text) < 2 or not text[1].isdigit():
        return False, f"Hearth (pid {pid}) has not connected to Discord yet"
    ago = int(now - int(text[1]))
    if ago > STALE_SECONDS:
        return False, f"Hearth (pid {pid}) last connected to Discord {ago} s ago"
    return True, f"Hearth (pid {pid}) connected to Discord {ago} s ago"


def _lock(fd: int, tries: int = 20) -> None:
    """LOCK_EX, waiting up to a second: ``hearth health`` holds a shared lock for an instant
    to see whether a bot runs, and a start at that moment must not mistake it for one."""
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == tries - 1:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def single_instance(db_path: str) -> Iterator[Lease | None]:
    """Hold the database's lock while the body runs, or raise :class:`AlreadyRunningError`."""
    path = lock_path(db_path)
    if path is None or fcntl is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise CliError(f"cannot take the lock {path} for {db_path}: {exc.strerror}") from None
    try:
        try:
            _lock(fd)
        except BlockingIOError:
            # "pid\nbeat": the pid alone (the beat is for hearth health)
            held = os.pread(fd, 64, 0).decode("ascii", "replace").split()
            holder = held[0] if held else "unknown"
            raise AlreadyRunningError(
                f"another Hearth (pid {holder}) is already running on {db_path}; stop it first "
                "(two would both send every digest), or give this one its own HEARTH_DB"
            ) from None
        except OSError as exc:  # ENOLCK, EOPNOTSUPP: some network file systems
            raise CliError(
                f"cannot take the lock {path} for {db_path}: {exc.strerror} (keep the "
                "database on a local disk)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield Lease(fd)
    finally:
        os.close(fd)  # releases the lock
