"""Benchmark: is the whole daily run flat with the history, close to its floor, and within memory?

For each size (clients) and history length (days) it builds a synthetic lake and warehouse
(``bench/synth_lake.py``: gold of every day, the compact history, bronze and silver of the last
two days, every gold day COPYed into an embedded PostgreSQL) whose last day is today (UTC), and
the stand-ins the extract reads that day from, built from the same client model: a Zoho
Analytics simulator (``seatlib.sim.server.ZohoSimulator``, one workspace per client) and the
company's ``app.clients`` table in the same PostgreSQL. Then it times the runner
(``python -m seatlib.run.runner``, one papermill kernel per stage) running that day's five
notebooks, ``--stage extract silver gold load report``, ``--repeat`` times, median. The floor is
the same runner executing empty notebooks (a parameters cell only) for the same five stages: kernel
start-up, the imports the runner pays once and papermill's own work, nothing of the pipeline.

The simulator runs with its limits off and the client's ``[zoho] calls_per_minute = 0``: Zoho's
rate limit (60 calls a minute, so ~12 minutes for the ~720 workspaces whose admins are due on a
day) is the subject of ``bench/bench_extract.py``, which measures it separately. The simulator
serves from this process, so its CPU time (shown) shares the machine with the run.

Why today: the extract refuses any other day unless replay is allowed, and the runner allows it
only with ``--demo``, which brings the demo's own stand-ins and history. The model does not
depend on the date; only which workspaces are due in the rolling admins refresh does (a CRC of
the workspace id against the day, so about 1/7 of them on any day).

Figures: wall seconds per case (median, min, max), the peak RSS of the largest process of the
run (``/usr/bin/time -f %M``), the seconds of each stage (the runner's "<stage> done in X s" in
``runs/<day>/<attempt>/run.log``, median), the API calls of one extract, and the ratios::

    flat  = run(clients, longest history) / run(clients, shortest history)
    floor = run(clients, longest history) / empty notebooks

Each case also checks that the extract wrote the synthetic bronze again, byte for byte, and that
gold of the day gives every status as many clients as the model.
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
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import synth_lake  # noqa: E402

from seatlib.core import config as cfg  # noqa: E402
from seatlib.core.contracts import SOURCES  # noqa: E402
from seatlib.run.demo import seed_company  # noqa: E402
from seatlib.systems.lake import bronze_key  # noqa: E402
from seatlib.sim.postgres import start_postgres  # noqa: E402
from seatlib.sim.server import SimLimits, ZohoSimulator  # noqa: E402
from seatlib.stages import NAMES, STAGES  # noqa: E402

#: The stand-in's OAuth client (any values: the simulator accepts the ones it was given).
SECRETS = {"ZOHO_CLIENT_ID": "1000.SYNTHETIC", "ZOHO_CLIENT_SECRET": "synthetic-secret",
           "ZOHO_REFRESH_TOKEN": "1000.synthetic-refresh-token"}

#: The runner with its notebooks folder pointed elsewhere (for the floor: empty notebooks).
RUNNER_WITH_NOTEBOOKS = (
    "import sys; from pathlib import Path; import seatlib.run.runner as r; "
    "r.NOTEBOOKS_DIR = Path(sys.argv[1]); sys.exit(r.main(sys.argv[2:]))")

#: What the runner logs at the end of each stage (seatlib.run.runner.execute_notebook).
STAGE_DONE = re.compile(r"\b(\d\d_\w+) done in ([\d.]+) s")


def write_config(work: Path, lake: Path) -> Path:
    """The demo's settings with this case's lake and runs folder, the client's limiter off."""
    text = (ROOT / "config" / "demo.toml").read_text()
    for old, new in (('url = "var/demo/lake"', f'url = "{lake}"'),
                     ('dir = "var/demo/runs"', f'dir = "{work / "runs"}"')):
        if text.count(old) != 1:  # else the bench would write into the repository's var/demo
            raise SystemExit(f"config/demo.toml: no {old!r} line to move")
        text = text.replace(old, new)
    text, n = re.subn(r"(?m)^calls_per_minute = .*$", "calls_per_minute = 0", text)
    if n != 1:
        raise SystemExit("config/demo.toml: no [zoho] calls_per_minute line to set to 0")
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


def start_zoho(state) -> ZohoSimulator:
    """The Zoho stand-in serving ``state``, limits off (see the module's docstring)."""
    return ZohoSimulator(state, client_id=SECRETS["ZOHO_CLIENT_ID"],
                         client_secret=SECRETS["ZOHO_CLIENT_SECRET"],
                         refresh_token=SECRETS["ZOHO_REFRESH_TOKEN"],
                         limits=SimLimits(enabled=False)).start()


def run_env(dsn: str, sim: ZohoSimulator | None = None) -> dict:
    """The runner's environment (its kernels inherit it): the database, and Zoho's address,
    organisation and credentials when a simulator is given."""
    env = {**os.environ, "SEATLIB_DATABASE_URL": dsn, "PYTHONPATH": str(ROOT)}
    if sim is not None:
        env.update(SECRETS, ZOHO_API_URL=sim.url, ZOHO_ACCOUNTS_URL=sim.url,
                   ZOHO_ORG_ID=sim.state.org_id)
    return env


def run_logs(runs: Path, day: date) -> set[Path]:
    """Every attempt's ``run.log`` of ``day`` (the ``latest`` link left out)."""
    folder = runs / day.isoformat()
    return {p for p in folder.glob("*/run.log") if not p.parent.is_symlink()}


def stage_seconds(log: Path) -> dict[str, float]:
    """Seconds of each stage that finished, from the runner's log (notebook name -> s)."""
    return {m[1]: float(m[2]) for m in STAGE_DONE.finditer(log.read_text(errors="replace"))}


def still_today(day: date) -> None:
    """The extract runs only for today (UTC): stop if the lake's day is no longer today."""
    today = datetime.now(timezone.utc).date()
    if today != day:
        raise SystemExit(f"the UTC day changed during the benchmark ({day} -> {today}): the "
                         f"extract would refuse {day}; run it again")


def timed(cmd: list[str], env: dict, runs: tuple[Path, date] | None = None) -> dict:
    """One run: wall seconds, peak RSS in MB of its largest process, the seconds of each stage
    (when ``runs`` = (runs folder, day) names where the runner logs) and this process's CPU
    seconds meanwhile (the simulator's threads).

    The peak comes from ``/usr/bin/time -f %M`` around the command: the figure of this
    process's own ``wait4`` would include the pages of the forked copy of this (large, after
    building a lake) process before it executes the command.
    """
    before = run_logs(*runs) if runs else set()
    cpu, start = time.process_time(), time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "PEAK-RSS-KB %M", *cmd], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err[-3000:]}")
    peak = [line for line in err.splitlines() if line.startswith("PEAK-RSS-KB ")][-1]
    stages: dict[str, float] = {}
    for log in (run_logs(*runs) - before) if runs else ():
        stages.update(stage_seconds(log))
    if runs and len(stages) != len(STAGES):
        raise SystemExit(f"only {sorted(stages)} of the {len(STAGES)} stages are logged as done")
    return {"wall": wall, "peak": int(peak.split()[1]) / 1024, "stages": stages, "cpu": cpu}


def measure(cmd: list[str], env: dict, repeat: int, runs: tuple[Path, date] | None = None,
            day: date | None = None) -> dict:
    """``repeat`` runs of ``cmd``: median, min and max wall seconds, the largest peak RSS, the
    median seconds of each stage and of this process's CPU (``day``: the extract's day)."""
    results = []
    for _ in range(repeat):
        if day is not None:
            still_today(day)
        results.append(timed(cmd, env, runs))
    walls = [r["wall"] for r in results]
    stages = {name: statistics.median(r["stages"][name] for r in results)
              for name in results[0]["stages"]}
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "peak_rss_mb": max(r["peak"] for r in results), "runs": repeat, "stages": stages,
            "bench_cpu_s": statistics.median(r["cpu"] for r in results)}


def fresh_database(pg, name: str) -> str:
    """An empty database ``name`` (a rerun in the same ``--work`` must not COPY twice)."""
    import psycopg

    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg.create_database(name)
    return pg.dsn(name)


def read_bronze(lake: Path, day: date) -> dict[str, bytes]:
    return {s: (lake / bronze_key(s, day)).read_bytes() for s in SOURCES}


def check_gold(lake: Path, day: date, last) -> str:
    """Gold of ``day`` against the model: the clients in each status and the seats used."""
    import pandas as pd

    status = pd.read_csv(lake / "gold" / "seat_status" / f"{day}.csv", usecols=["status"])
    got = {k: int(v) for k, v in status["status"].value_counts().items()}
    used = int(pd.read_csv(lake / "gold" / "seat_capacity" / f"{day}.csv")["seats_used"].iloc[0])
    want = {k: v for k, v in last.counts.items() if v}
    if got != want or used != last.seats_used:
        raise SystemExit(f"gold of {day} differs from the model: {got}, seats used {used}; "
                         f"expected {want}, seats used {last.seats_used}")
    return ", ".join(f"{k} {v}" for k, v in last.counts.items()) + f"; seats used {used}"


def build_case(pg, folder: Path, clients: int, days: int, day: date) -> tuple:
    """The case's lake, warehouse and company table; returns (config, dsn, last day, seconds)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    dsn = fresh_database(pg, folder.name)
    config = write_config(folder, folder / "lake")
    settings = cfg.load_settings(config)
    t0 = time.perf_counter()
    synth_lake.build(str(folder / "lake"), clients, days, end=day, dsn=dsn, settings=settings,
                     log=lambda m: print(f"  {m}", file=sys.stderr))
    last = synth_lake.last_day(clients, days, end=day,
                               refresh_days=settings.zoho.admins_refresh_days)
    seed_company(dsn, last.company)
    return config, dsn, last, time.perf_counter() - t0


def case(pg, work: Path, clients: int, days: int, repeat: int, python: str, day: date) -> dict:
    folder = work / f"c{clients}_d{days}"
    config, dsn, last, built = build_case(pg, folder, clients, days, day)
    lake = folder / "lake"
    synthetic = read_bronze(lake, day)
    cmd = [python, "-m", "seatlib.run.runner", "--config", str(config), "--date", day.isoformat(),
           "--stage", *NAMES]
    sim = start_zoho(last.state)
    try:
        result = measure(cmd, run_env(dsn, sim), repeat, (folder / "runs", day), day)
        stats = sim.stats
    finally:
        sim.stop()
    extracted = read_bronze(lake, day)
    result.update(
        clients=clients, days=days, build_s=round(built, 1), lake_mb=round(_size(lake) / 1e6, 1),
        api_calls={k: v / repeat for k, v in stats["requests"].items()},
        api_errors=stats["errors"], gold=check_gold(lake, day, last),
        bronze_same=[s for s in SOURCES if extracted[s] == synthetic[s]],
        notebook=measure(notebook_cmd(python, folder, config), run_env(dsn), repeat))
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


def floor(work: Path, repeat: int, python: str, folder: Path, day: date, env: dict) -> dict:
    """The same runner, the same five stages, on empty notebooks (in the last case's folder)."""
    notebooks = empty_notebooks(work)
    cmd = [python, "-c", RUNNER_WITH_NOTEBOOKS, str(notebooks), "--config",
           str(folder / "bench.toml"), "--date", day.isoformat(), "--stage", *NAMES]
    return measure(cmd, env, repeat, (folder / "runs", day), day)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def print_runs(results: list[dict], empty: dict) -> None:
    print(f"Machine: {os.cpu_count()} CPU, {platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"| clients | days | daily run ({len(STAGES)} notebooks) median s (min-max) | "
          f"peak RSS MB | client notebook s | lake MB | build s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        nb = r["notebook"]
        print(f"| {r['clients']:,} | {r['days']:,} | {r['median_s']:.2f} ({r['min_s']:.2f}-"
              f"{r['max_s']:.2f}) | {r['peak_rss_mb']:.0f} | {nb['median_s']:.2f} "
              f"({nb['min_s']:.2f}-{nb['max_s']:.2f}) | {r['lake_mb']} | {r['build_s']} |")
    print(f"| empty notebooks (same runner, same {len(STAGES)} stages) | | {empty['median_s']:.2f} "
          f"({empty['min_s']:.2f}-{empty['max_s']:.2f}) | {empty['peak_rss_mb']:.0f} | | | |")


def print_stages(results: list[dict], empty: dict) -> None:
    """Seconds of each stage (the runner's log, median), and the simulator's CPU meanwhile."""
    names = [s.notebook for s in STAGES]
    print(f"\n| run | {' | '.join(names)} | sum | simulator CPU s |")
    print("|---|" + "---:|" * (len(names) + 2))
    rows = [(f"{r['clients']:,} x {r['days']:,} days", r) for r in results]
    for label, r in rows + [("empty notebooks", empty)]:
        cells = [f"{r['stages'][n]:.1f}" for n in names]
        cpu = f"{r['bench_cpu_s']:.1f}" if r is not empty else ""
        print(f"| {label} | {' | '.join(cells)} | {sum(r['stages'].values()):.1f} | {cpu} |")


def print_extract(results: list[dict]) -> None:
    """What each case's extract asked the simulator, and how it compared with the model."""
    print("\nZoho simulator: limits off, client calls_per_minute = 0 (Zoho's rate limit is "
          "measured by bench/bench_extract.py)")
    for r in results:
        calls = r["api_calls"]
        api = sum(v for k, v in calls.items() if "/restapi/" in k)
        admins = calls.get("GET /restapi/v2/workspaces/{ws}/admins", 0)
        print(f"- {r['clients']:,} x {r['days']:,} days: {api:g} API calls per extract "
              f"({admins:g} /admins) + {calls.get('POST /oauth/v2/token', 0):g} token; errors "
              f"{r['api_errors'] or 'none'}; bronze identical to the synthetic one: "
              f"{len(r['bronze_same'])}/{len(SOURCES)} sources; gold: {r['gold']}")


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
    day = datetime.now(timezone.utc).date()  # the extract runs only for today
    pg = start_postgres(work / "pg")
    results = []
    try:
        for clients in args.clients:
            for days in sorted(args.days):
                results.append(case(pg, work, clients, days, args.repeat, python, day))
        main_clients = args.clients[0]
        last = [r for r in results if r["clients"] == main_clients]
        folder = work / f"c{main_clients}_d{last[-1]['days']}"
        empty = floor(work, args.repeat, python, folder, day, run_env(pg.dsn(folder.name)))
    finally:
        pg.stop()
    print_runs(results, empty)
    print_stages(results, empty)
    print_extract(results)
    print(f"client notebook flat ratio "
          f"{last[-1]['notebook']['median_s'] / last[0]['notebook']['median_s']:.3f}")
    flat = last[-1]["median_s"] / last[0]["median_s"]
    fl = last[-1]["median_s"] / empty["median_s"]
    peak = max(r["peak_rss_mb"] for r in last)
    for clients in args.clients[1:]:
        rows = [r for r in results if r["clients"] == clients]
        print(f"{clients} clients: flat ratio {rows[-1]['median_s'] / rows[0]['median_s']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"day": day.isoformat(), "cases": results,
                                               "empty": empty}, indent=1))
    print(f"flat-ratio {flat:.3f} floor-ratio {fl:.3f} peak-rss-mb {peak:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
