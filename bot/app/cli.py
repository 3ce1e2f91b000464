"""The ``hearth`` command line: run the bot, try the demo, import exports, inspect the store."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.db import StoreError, explain, is_temporary
from bot.errors import EX_TEMPFAIL, CliError
from bot.settings import Settings, SettingsError, configure_logging, load_settings

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Personalized recaps for small Discord communities. Without a command: "
        "run the bot when DISCORD_TOKEN is set, otherwise the offline demo.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and run the bot (needs DISCORD_TOKEN)")
    demo = sub.add_parser("demo", help="offline demo on a bundled sample community")
    demo.add_argument("--db", help="keep the demo database at this path (default: temporary)")
    imp = sub.add_parser("import", help="import DiscordChatExporter JSON exports")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    stats = sub.add_parser("stats", help="print what is stored")
    stats.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    stats.add_argument("--json", action="store_true", help="print JSON (ids as strings)")
    doctor = sub.add_parser("doctor", help="check the setup and say what to fix")
    doctor.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    health = sub.add_parser(
        "health", help="exit 0 if a bot runs here and is connected (healthcheck)"
    )
    health.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    backup = sub.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("path", metavar="PATH", help="the copy's file, or a folder to put it in")
    backup.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    digest = sub.add_parser("digest", help="print a circle digest as Markdown")
    recap = sub.add_parser("recap", help="print one member's recap as Markdown")
    recap.add_argument("--member", required=True, help="member id, name or display name")
    ask = sub.add_parser("ask", help="ask the archive: the messages a member can read")
    ask.add_argument("question", help="what to look for, in English or Japanese")
    ask.add_argument("--member", required=True, help="member id, name or display name")
    ask.add_argument("--guild", type=int, help="guild id (optional when only one is stored)")
    ask.add_argument("--limit", type=int, default=5, help="passages to show (default 5)")
    ask.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    for p in (digest, recap):
        p.add_argument("--guild", type=int, help="guild id (optional when only one is stored)")
        p.add_argument("--since", help="start, ISO 8601 (default: a week before --until)")
        p.add_argument("--until", help="end, ISO 8601 (default: now)")
        p.add_argument("--db", help="database path (default: HEARTH_DB or ./hearth.db)")
    digest.add_argument("--channel", type=int, help="digest channel id (who reads it decides)")
    digest.add_argument("--json", action="store_true", help="print JSON (ids as strings)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hearth`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        command = args.command or ("run" if settings.discord_token else "demo")
        quiet = command != "run" and "HEARTH_LOG_LEVEL" not in os.environ
        configure_logging("WARNING" if quiet else settings.log_level)
        if command == "demo" and args.command is None:
            print("No DISCORD_TOKEN set: running the offline demo (see README to run the bot).")
        handler = _COMMANDS[command]
        return handler(settings, args)
    except (SettingsError, StoreError, CliError) as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return EX_TEMPFAIL if getattr(exc, "temporary", False) else 2
    except sqlite3.Error as exc:  # the disk under a command: full, locked, read-only
        print(f"hearth: {explain(exc, _db(settings, args))}", file=sys.stderr)
        return EX_TEMPFAIL if is_temporary(exc) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `hearth digest | head`: the reader left, not an error
        sys.stderr.close()
        return 0


def _db(settings: Settings, args: argparse.Namespace) -> str:
    return getattr(args, "db", None) or settings.db_path


def _sync(coro_fn: Callable[..., Coroutine[Any, Any, int]]) -> Callable[..., int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        return asyncio.run(coro_fn(settings, args))

    return run


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.runner import run_bot

    return await run_bot(settings)


async def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.demo import run_demo

    print(await run_demo(settings, db_path=getattr(args, "db", None)))
    return 0


async def _import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Store
    from bot.ingest.dce_stream import ExportFormatError
    from bot.ingest.importer import ImportStoppedError, import_file

    failed = 0
    async with await Store.open(_db(settings, args)) as store:
        for n, path in enumerate(args.files):
            bar = _Progress(path)
            try:
                result = await import_file(
                    store, path, progress=bar.update, on_bytes=bar.bytes_read
                )
            except ExportFormatError as exc:
                bar.done()
                kept = (
                    f"; the first {exc.committed:,} messages are stored; importing the whole "
                    "file again adds the rest"
                    if exc.committed
                    else ""
                )
                print(f"hearth: {exc}{kept}", file=sys.stderr)
                failed += 1
                continue
            except ImportStoppedError as exc:  # the database, not the file: the rest would fail too
                bar.done()
                rest = args.files[n + 1 :]
                skipped = f"; not imported: {', '.join(rest)}" if rest else ""
                print(f"hearth: {exc}{skipped}", file=sys.stderr)
                return EX_TEMPFAIL if exc.temporary else 2
            bar.done()
            print(result.line())
    return 1 if failed else 0


async def _stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db import Store
    from bot.services.stats import render_stats, stats_json

    async with await Store.open(_db(settings, args), create=False) as store:
        stats, guilds = await store.stats.archive(), await store.guilds.list()
    if args.json:
        print(json.dumps(stats_json(stats, guilds), ensure_ascii=False, indent=2))
    else:
        print(render_stats(stats, guilds))
    return 0


async def _doctor(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.doctor import FAIL, run_doctor

    found = await run_doctor(settings, _db(settings, args))
    for check in found:
        print(check.line())
    return 1 if any(c.level == FAIL for c in found) else 0


def _health(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from bot.app.instance import health

    ok, line = health(_db(settings, args), time.time())
    print(f"{'ok' if ok else 'unhealthy'}: {line}")
    return 0 if ok else 1


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db.backup import backup
    from bot.timeutil import utcnow

    print(backup(_db(settings, args), args.path, utcnow()).line())
    return 0


async def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.render_cli import print_digest

    print(await print_digest(settings, args, _db(settings, args)))
    return 0


async def _recap(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.render_cli import print_recap

    print(await print_recap(settings, args, _db(settings, args)))
    return 0


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.render_cli import print_answer

    print(await print_answer(args, _db(settings, args)))
    return 0


class _Progress:
    """A one-line progress counter on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.shown = False
        self.percent = ""

    def bytes_read(self, done: int, total: int) -> None:
        if total:
            self.percent = f" ({100 * done // total}%)"

    def update(self, count: int) -> None:
        if self.enabled and count % 250 == 0:
            sys.stderr.write(f"\r{self.label}: {count:,} messages read{self.percent}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


_COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "run": _sync(_run),
    "demo": _sync(_demo),
    "import": _sync(_import),
    "stats": _sync(_stats),
    "backup": _backup,
    "health": _health,
    "doctor": _sync(_doctor),
    "digest": _sync(_digest),
    "recap": _sync(_recap),
    "ask": _sync(_ask),
}
