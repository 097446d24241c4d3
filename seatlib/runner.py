"""The cron entry point behind ``run_daily.sh``: stages in order through papermill.

::

    run_daily.sh [--date YYYY-MM-DD] [--demo] [--stage NAME ...] [--allow-drop] [--config FILE]
    run_daily.sh --backfill FROM TO [--demo] [--config FILE]

Each stage notebook runs in its own kernel and is saved as ``runs/<date>/NN_stage.ipynb``; the
first failing stage stops the run (its notebook, with papermill's error banner, is kept). A lock
(``runs/.lock``) stops a second run from starting while one runs. Secrets are never parameters:
kernels inherit them from this process's environment.

Exit codes: 0 success, 1 a stage failed, 2 bad usage or configuration, 3 another run in progress.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from . import config as cfg
from .errors import ConfigError, RunInProgressError, SeatlibError
from .log import FORMAT, RedactSecrets

log = logging.getLogger("seatlib.runner")

EXIT_OK, EXIT_STAGE_FAILED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3

#: (stage name, notebook) in run order.
STAGES: tuple[tuple[str, str], ...] = (
    ("extract", "01_extract"),
    ("silver", "02_silver"),
    ("gold", "03_gold"),
    ("load", "04_load"),
    ("report", "05_report"),
)
NOTEBOOKS_DIR = cfg.REPO_ROOT / "notebooks"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="run_daily.sh", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="exit codes: 0 success, 1 stage failed, 2 bad usage or "
                                       "configuration, 3 another run in progress")
    p.add_argument("--date", type=_day, default=None,
                   help="UTC day to process (default: today, UTC)")
    p.add_argument("--demo", action="store_true",
                   help="run on the embedded defaults: Zoho simulator, local lake, embedded PostgreSQL")
    p.add_argument("--stage", nargs="+", choices=[s for s, _ in STAGES], metavar="NAME",
                   help=f"run only these stages, in pipeline order ({', '.join(s for s, _ in STAGES)})")
    p.add_argument("--backfill", nargs=2, type=_day, metavar=("FROM", "TO"),
                   help="rebuild silver, gold, load and report for FROM..TO from the bronze "
                        "already in the lake (no extract); days without bronze are reported")
    p.add_argument("--allow-drop", action="store_true",
                   help="let an empty extract, or one that shrank past the guard, through")
    p.add_argument("--config", default=None, help="settings file (default: $SEATLIB_CONFIG or "
                                                  "config/seat-monitor.toml; config/demo.toml with --demo)")
    args = p.parse_args(argv)
    if args.backfill and (args.date or args.stage):
        p.error("--backfill takes a range of its own; do not combine it with --date or --stage")
    if args.backfill and args.backfill[0] > args.backfill[1]:
        p.error("--backfill FROM must not be after TO")
    return args


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


@contextlib.contextmanager
def run_lock(runs_dir: Path):
    """Hold ``runs/.lock`` for the whole run; raise RunInProgressError if another run has it."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / ".lock"
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise RunInProgressError(f"another run is in progress ({holder}); lock {path}") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing releases the lock, also when the process is killed


def _setup_logging(log_file: Path) -> None:
    root = logging.getLogger("seatlib")
    root.setLevel(logging.INFO)
    root.propagate = False
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(log_file)):
        handler.setFormatter(fmt)
        handler.addFilter(RedactSecrets())
        root.addHandler(handler)


def _ipc_kernel_manager():
    """A kernel manager that talks to the kernel over Unix sockets instead of TCP on loopback:
    nothing listens on a port, and ipykernel's "running over TCP without encryption" warning
    goes away. The socket files live beside the connection file and are removed at shutdown."""
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.transport = "ipc"

    return IPCKernelManager


def execute_notebook(name: str, out_dir: Path, parameters: dict) -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``out_dir``; raises on a failed cell."""
    import papermill as pm

    out = out_dir / f"{name}.ipynb"
    started = time.monotonic()
    pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(cfg.REPO_ROOT), progress_bar=False,
                        log_output=False, kernel_manager_class=_ipc_kernel_manager())
    log.info("%s done in %.1f s -> %s", name, time.monotonic() - started, out)
    return out


def run_stages(day: date, stages: list[str], settings: cfg.Settings, config_path: str, *,
               demo: bool, allow_drop: bool) -> int:
    out_dir = Path(settings.runs_dir) / day.isoformat()
    params = {"run_date": day.isoformat(), "config_path": config_path,
              "allow_replay": demo, "allow_drop": allow_drop}
    for stage, notebook in STAGES:
        if stage not in stages:
            continue
        log.info("stage %s for %s", stage, day)
        try:
            execute_notebook(notebook, out_dir, params)
        except Exception as exc:  # papermill raises PapermillExecutionError; kernels can die too
            reason = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:]
            ename = getattr(exc, "ename", type(exc).__name__)
            log.error("stage %s failed for %s: %s: %s; notebook kept at %s", stage, day, ename,
                      reason, out_dir / f"{notebook}.ipynb")
            return EXIT_STAGE_FAILED
    return EXIT_OK


def backfill(start: date, end: date, settings: cfg.Settings, config_path: str, *, demo: bool) -> int:
    from .contracts import SOURCES
    from .lake import Lake, bronze_key

    lake = Lake(settings.lake_url)
    day, rc, missing = start, EXIT_OK, []
    while day <= end:
        if all(lake.exists(bronze_key(s, day)) for s in SOURCES):
            rc = max(rc, run_stages(day, ["silver", "gold", "load", "report"], settings,
                                    config_path, demo=demo, allow_drop=False))
        else:
            missing.append(day)
            log.warning("backfill: no complete bronze for %s; skipped (Zoho cannot be asked "
                        "about a past day)", day)
        day += timedelta(days=1)
    if missing:
        log.warning("backfill: %d day(s) without bronze: %s", len(missing),
                    ", ".join(d.isoformat() for d in missing))
    return rc


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for bad usage
        return int(exc.code or 0)
    config_path = args.config or (str(cfg.DEMO_CONFIG) if args.demo else
                                  os.environ.get("SEATLIB_CONFIG", str(cfg.DEFAULT_CONFIG)))
    day = args.date or datetime.now(timezone.utc).date()
    try:
        settings = cfg.load_settings(config_path)
    except ConfigError as exc:
        print(f"run_daily: bad configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    runs_dir = Path(settings.runs_dir)
    log_day = args.backfill[1] if args.backfill else day
    try:
        with run_lock(runs_dir):
            _setup_logging(runs_dir / log_day.isoformat() / "run.log")
            log.info("run for %s%s, config %s", day if not args.backfill else
                     f"{args.backfill[0]}..{args.backfill[1]}", " (demo)" if args.demo else "",
                     config_path)
            started = time.monotonic()
            with contextlib.ExitStack() as stack:
                if args.demo:
                    from . import demo

                    env = stack.enter_context(demo.DemoEnvironment(settings))
                    if not args.backfill:
                        env.fill_history(day, settings.demo_history_days)
                        env.set_day(day)
                if args.backfill:
                    rc = backfill(*args.backfill, settings, config_path, demo=args.demo)
                else:
                    stages = args.stage or [s for s, _ in STAGES]
                    rc = run_stages(day, stages, settings, config_path, demo=args.demo,
                                    allow_drop=args.allow_drop)
            log.info("run %s in %.0f s", "succeeded" if rc == EXIT_OK else "FAILED",
                     time.monotonic() - started)
            return rc
    except RunInProgressError as exc:
        print(f"run_daily: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    except ConfigError as exc:
        log.error("bad configuration: %s", exc)
        print(f"run_daily: bad configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except SeatlibError as exc:
        log.error("run failed: %s", exc)
        return EXIT_STAGE_FAILED


if __name__ == "__main__":
    sys.exit(main())
