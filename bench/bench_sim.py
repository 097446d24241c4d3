"""Benchmark: the demo world's answers for 61 consecutive days (what a demo back-fill asks).

What it measures: the wall time of ``World.zoho_state``, ``World.company_rows`` and
``World.truth`` (with the hard cases on, as the demo runs it) for each of 61 days from
``--start``, the total and the slowest single call. The demo's first run asks the world for
these 61 days; the target is that the world never is the slow part of it (under 20 s in all,
no call over 0.5 s on a 2-vCPU machine). This was a test's timing assert once; timings belong
here, not in tests.

Run from the repository root::

    .venv/bin/python bench/bench_sim.py                  # ~5 s
    .venv/bin/python bench/bench_sim.py --repeat 3

Results are recorded in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta

from seatlib.sim.world import World


def one_pass(start: date, days: int) -> tuple[float, float, str]:
    """(total seconds, slowest call seconds, which call) for a fresh world over ``days``."""
    world = World(42, hard_cases=True)
    began, slowest, which = time.perf_counter(), 0.0, ""
    for i in range(days):
        day = start + timedelta(days=i)
        for call in (world.zoho_state, world.company_rows, world.truth):
            t0 = time.perf_counter()
            call(day)
            took = time.perf_counter() - t0
            if took > slowest:
                slowest, which = took, f"{call.__name__}({day})"
    return time.perf_counter() - began, slowest, which


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    ap.add_argument("--days", type=int, default=61)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    runs = [one_pass(args.start, args.days) for _ in range(args.repeat)]
    totals = [r[0] for r in runs]
    slowest = max(runs, key=lambda r: r[1])
    print("| days | passes | total s median (min-max) | slowest call s | slowest call |")
    print("|---:|---:|---:|---:|---|")
    print(f"| {args.days} | {args.repeat} | {statistics.median(totals):.2f} "
          f"({min(totals):.2f}-{max(totals):.2f}) | {slowest[1]:.3f} | {slowest[2]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
