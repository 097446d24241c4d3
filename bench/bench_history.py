"""Benchmark: is the daily run flat with the history, close to its floor, and within memory?

For each size (clients) and history length (days) it builds a synthetic lake and warehouse
(``bench/synth_lake.py``: gold of every day, the compact history, bronze and silver of the last
two days, every gold day COPYed into an embedded PostgreSQL), then times the runner
(``python -m seatlib.runner``, one papermill kernel per stage) re-running the last day:
``--stage silver gold load report``, ``--repeat`` times, median. The floor is the same runner
executing empty notebooks (a parameters cell only) for the same stages: kernel start-up, the
imports the runner pays once and papermill's own work, nothing of the pipeline.

Figures: wall seconds per case (median, min, max), the peak RSS of any process of the run
(``wait4``'s rusage, which covers the reaped kernels), and the ratios::

    flat  = run(clients, longest history) / run(clients, shortest history)
    floor = run(clients, longest history) / empty notebooks

The last line is ``flat-ratio R floor-ratio F peak-rss-mb M`` for ``--clients`` (5,000).

Run from the repository root::

    .venv/bin/python bench/bench_history.py                      # 5,000 clients, 30/365/1,095 days
    .venv/bin/python bench/bench_history.py --clients 50000 --days 1095 --repeat 1   # scale
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import synth_lake  # noqa: E402

from seatlib import config as cfg  # noqa: E402
from seatlib.sim.postgres import start_postgres  # noqa: E402
from seatlib.stages import STAGES  # noqa: E402

REBUILD = ("silver", "gold", "load", "report")

#: The runner with its notebooks folder pointed elsewhere (for the floor: empty notebooks).
RUNNER_WITH_NOTEBOOKS = (
    "import sys; from pathlib import Path; import seatlib.runner as r; "
    "r.NOTEBOOKS_DIR = Path(sys.argv[1]); sys.exit(r.main(sys.argv[2:]))")


def write_config(work: Path, lake: Path) -> Path:
    text = (ROOT / "config" / "demo.toml").read_text()
    text = text.replace('url = "var/demo/lake"', f'url = "{lake}"')
    text = text.replace('dir = "runs"', f'dir = "{work / "runs"}"')
    path = work / "bench.toml"
    path.write_text(text)
    return path


def empty_notebooks(work: Path) -> Path:
    """Each stage's notebook reduced to its parameters cell (same kernel, same parameters)."""
    import nbformat

    out = work / "empty-notebooks"
    out.mkdir(exist_ok=True)
    for stage in STAGES:
        nb = nbformat.read(ROOT / "notebooks" / f"{stage.notebook}.ipynb", as_version=4)
        nb.cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        nbformat.write(nb, out / f"{stage.notebook}.ipynb")
    return out


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the largest process of the run).

    The peak comes from ``/usr/bin/time -f %M`` around the command: the figure of this
    process's own ``wait4`` would include the pages of the forked copy of this (large, after
    building a lake) process before it executes the command.
    """
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "PEAK-RSS-KB %M", *cmd], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err[-3000:]}")
    peak = [line for line in err.splitlines() if line.startswith("PEAK-RSS-KB ")][-1]
    return wall, int(peak.split()[1]) / 1024


def measure(cmd: list[str], env: dict, repeat: int) -> dict:
    runs = [timed(cmd, env) for _ in range(repeat)]
    walls = [w for w, _ in runs]
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "peak_rss_mb": max(m for _, m in runs), "runs": repeat}


def case(pg, work: Path, clients: int, days: int, repeat: int, python: str) -> dict:
    name = f"c{clients}_d{days}"
    lake = work / name / "lake"
    shutil.rmtree(work / name, ignore_errors=True)
    (work / name).mkdir(parents=True)
    pg.create_database(name)
    dsn = pg.dsn(name)
    config = write_config(work / name, lake)
    settings = cfg.load_settings(config)
    t0 = time.perf_counter()
    day = synth_lake.build(str(lake), clients, days, dsn=dsn, settings=settings,
                           log=lambda m: print(f"  {m}", file=sys.stderr))
    built = time.perf_counter() - t0
    env = {**os.environ, "SEATLIB_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT)}
    cmd = [python, "-m", "seatlib.runner", "--config", str(config), "--date", day.isoformat(),
           "--stage", *REBUILD]
    result = measure(cmd, env, repeat)
    result["notebook"] = measure(notebook_cmd(python, work / name, config), env, repeat)
    result.update(clients=clients, days=days, build_s=round(built, 1),
                  lake_mb=round(_size(lake) / 1e6, 1))
    print(f"  {clients} clients x {days} days: {result['median_s']:.2f} s "
          f"(min {result['min_s']:.2f}, max {result['max_s']:.2f}), peak RSS "
          f"{result['peak_rss_mb']:.0f} MB; built in {built:.0f} s", file=sys.stderr)
    return result


def notebook_cmd(python: str, folder: Path, config: Path, client: int = synth_lake.FIRST_ID + 5
                 ) -> list[str]:
    """Open the client notebook for one client (papermill, one kernel), as a person would."""
    return [python, "-m", "papermill", "-k", "python3", "--cwd", str(ROOT), "--no-progress-bar",
            str(ROOT / "notebooks" / "investigate_client.ipynb"), str(folder / "client.ipynb"),
            "-p", "client_id", str(client), "-p", "config_path", str(config)]


def floor(work: Path, repeat: int, python: str, config: Path, day: date, env: dict) -> dict:
    notebooks = empty_notebooks(work)
    cmd = [python, "-c", RUNNER_WITH_NOTEBOOKS, str(notebooks), "--config", str(config),
           "--date", day.isoformat(), "--stage", *REBUILD]
    return measure(cmd, env, repeat)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, nargs="+", default=[5000])
    p.add_argument("--days", type=int, nargs="+", default=[30, 365, 1095])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--work", default=None, help="folder for the lakes (default: a temp folder)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    python = sys.executable
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-history-"))
    work.mkdir(parents=True, exist_ok=True)
    pg = start_postgres(work / "pg")
    results = []
    try:
        for clients in args.clients:
            for days in sorted(args.days):
                results.append(case(pg, work, clients, days, args.repeat, python))
        main_clients = args.clients[0]
        last = [r for r in results if r["clients"] == main_clients]
        name = f"c{main_clients}_d{last[-1]['days']}"
        env = {**os.environ, "SEATLIB_DATABASE_URL": pg.dsn(name), "PYTHONPATH": str(ROOT)}
        settings_path = work / name / "bench.toml"
        day = date(2029, 12, 31)
        empty = floor(work, args.repeat, python, settings_path, day, env)
    finally:
        pg.stop()
    print(f"Machine: {os.cpu_count()} CPU, {platform.machine()}, Python {platform.python_version()}")
    print("| clients | days | run median s (min-max) | peak RSS MB | client notebook s | "
          "lake MB | build s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        nb = r["notebook"]
        print(f"| {r['clients']:,} | {r['days']:,} | {r['median_s']:.2f} ({r['min_s']:.2f}-"
              f"{r['max_s']:.2f}) | {r['peak_rss_mb']:.0f} | {nb['median_s']:.2f} "
              f"({nb['min_s']:.2f}-{nb['max_s']:.2f}) | {r['lake_mb']} | {r['build_s']} |")
    print(f"| empty notebooks | | {empty['median_s']:.2f} ({empty['min_s']:.2f}-"
          f"{empty['max_s']:.2f}) | {empty['peak_rss_mb']:.0f} | | | |")
    print(f"client notebook flat ratio "
          f"{last[-1]['notebook']['median_s'] / last[0]['notebook']['median_s']:.3f}")
    flat = last[-1]["median_s"] / last[0]["median_s"]
    fl = last[-1]["median_s"] / empty["median_s"]
    peak = max(r["peak_rss_mb"] for r in last)
    for clients in args.clients[1:]:
        rows = [r for r in results if r["clients"] == clients]
        print(f"{clients} clients: flat ratio {rows[-1]['median_s'] / rows[0]['median_s']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"cases": results, "empty": empty}, indent=1))
    print(f"flat-ratio {flat:.3f} floor-ratio {fl:.3f} peak-rss-mb {peak:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
