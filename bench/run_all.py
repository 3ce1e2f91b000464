"""Run every performance bench (issue 9) and the query-plan test, then summarize the targets.

Each bench runs in its own interpreter, one after another (they would skew each other on a
small machine), with its output streamed as it comes. The summary lists every ``TARGET`` line
the benches printed, MET or MISSED. Exit status is 0 either way: the figures are the point.
About 2-3 minutes on 2 cores.

    python -m bench.run_all [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench.ingest import print_machine

ROOT = Path(__file__).resolve().parent.parent
FULL: list[tuple[str, list[str]]] = [
    ("ingest", ["-m", "bench.ingest"]),
    ("memory", ["-m", "bench.memory"]),
    ("backfill", ["-m", "bench.backfill"]),
    ("latency", ["-m", "bench.latency"]),
    ("loop lag", ["-m", "bench.loop_lag"]),
    ("fan-out", ["-m", "bench.fanout"]),
    (
        "query plans",
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/bot/test_query_plans.py"],
    ),
]
QUICK_ARGS = {
    "ingest": ["--messages", "5000", "--repeat", "3", "--gateway", "1000"],
    "memory": ["--weeks", "4", "--per-week", "10000", "--members", "50"],
    "backfill": ["--messages", "20000"],
    "latency": ["--messages", "3000", "--requests", "10", "--levels", "1,5,20"],
    "loop lag": ["--messages", "3000", "--levels", "1,5,20"],
    "fan-out": ["--guilds", "10,20"],
}


def run(name: str, args: list[str], limit: float) -> tuple[list[str], float, int]:
    """Run one bench, echoing its output; returns its TARGET lines, seconds and exit code."""
    print(f"\n=== {name} ===", flush=True)
    started = time.perf_counter()
    targets: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("TARGET "):
                targets.append(line.strip())
        code = proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = -9
    if name == "query plans":
        passed = code == 0
        targets.append(
            f"TARGET query plans: {'MET' if passed else 'MISSED'} "
            f"(tests/bot/test_query_plans.py {'passed' if passed else 'failed'})"
        )
    return targets, time.perf_counter() - started, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", help="bench names to run (default: all)")
    args = parser.parse_args(argv)
    print_machine()
    summary: list[tuple[str, float, int, list[str]]] = []
    started = time.perf_counter()
    for name, command in FULL:
        if args.only and name not in args.only:
            continue
        extra = QUICK_ARGS.get(name, []) if args.quick else []
        targets, seconds, code = run(name, [*command, *extra], limit=600)
        summary.append((name, seconds, code, targets))
    print("\n=== summary ===")
    for name, seconds, code, targets in summary:
        note = "" if code == 0 else f"  (exit {code})"
        print(f"{name}: {seconds:.0f}s{note}")
        for line in targets or ["  no TARGET line printed"]:
            print(f"  {line}")
    met = sum(1 for *_, t in summary for line in t if ": MET" in line)
    total = sum(len(t) for *_, t in summary)
    print(f"{met}/{total} targets met in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
