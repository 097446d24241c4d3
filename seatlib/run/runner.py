"""The cron entry point behind ``run_daily.sh``: stages in order through papermill.

::

    run_daily.sh [--date YYYY-MM-DD] [--demo] [--stage NAME ...] [--allow-drop] [--full-refresh] [--config FILE]
    run_daily.sh --backfill FROM TO [--demo] [--config FILE]
    run_daily.sh --reclaim [--approve IDS | --approve-file FILE | --reactivate IDS] [--remove IDS]
                 [--execute --approver NAME --reason TEXT [--override-limit]]
                 [--show-emails] [--demo] [--config FILE]
    run_daily.sh --demo --serve [--serve-host ADDR] [--serve-port PORT]   then serve the warehouse
    run_daily.sh --demo --stop-serving

Each stage notebook runs in its own kernel and is saved as
``runs/<date>/<attempt>/NN_stage.ipynb`` (``runs/`` is the ``[runs] dir``: production's, or the
demo's ``var/demo/runs/``, never both); the first failing stage stops the run (its notebook, with
papermill's error banner, is kept); a reclaim is an attempt of its own, kind ``reclaim``
(:mod:`seatlib.run.reclaim`). A lock (``runs/.lock``) stops a second run, a reclaim included,
from starting while one runs; the kernel dies with the runner, so a killed run leaves nothing
running behind it. Secrets are never parameters: kernels inherit them from this process's
environment. Every run that started ends by printing where its outputs are
(:mod:`seatlib.run.outputs`).

Extract only runs for today (UTC): Zoho keeps no past state, so a past ``--date`` with the
extract stage is refused at once (exit 2) unless ``--demo``, whose simulator replays past days.
``--backfill`` rebuilds the later stages of past days from their bronze; days without bronze are
skipped with a warning and do not fail the back-fill (it fails when a day fails, or when no day
of the range has bronze).

``--serve`` (demo only) keeps the demo's PostgreSQL listening on TCP after the run, for Power BI
Desktop; the lock is released first, so serving never blocks the next run (docs/powerbi.md).

Exit codes: 0 success, 1 a stage failed, 2 bad usage or configuration, 3 another run in progress.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import re
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping, Sequence

from ..core import config as cfg
from . import execution, kernels
from ..core.errors import ConfigError, RunInProgressError, SeatlibError
from ..history.lock import run_lock
from ..core import log as seatlog
from .reclaim import add_reclaim_args, check_reclaim_args, run_reclaim
from .session import Session, catch_up, run_kind
from ..stages import NAMES, REBUILD, STAGES
from ..systems import Systems

log = logging.getLogger("seatlib.run.runner")

EXIT_OK, EXIT_STAGE_FAILED, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3

NOTEBOOKS_DIR = cfg.REPO_ROOT / "notebooks"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; argparse exits with 2 (and a message) on bad usage."""
    p = argparse.ArgumentParser(prog="run_daily.sh", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="exit codes: 0 success, 1 stage failed, 2 bad usage or "
                                       "configuration, 3 another run in progress")
    p.add_argument("--date", type=_day, default=None,
                   help="UTC day to process (default: today, UTC)")
    p.add_argument("--demo", action="store_true",
                   help="run on the embedded defaults: Zoho simulator, local lake, embedded PostgreSQL")
    p.add_argument("--stage", nargs="+", choices=NAMES, metavar="NAME",
                   help=f"run only these stages, in pipeline order ({', '.join(NAMES)})")
    p.add_argument("--backfill", nargs=2, type=_day, metavar=("FROM", "TO"),
                   help="rebuild silver, gold, load and report for FROM..TO from the bronze "
                        "already in the lake (no extract); days without bronze are reported")
    p.add_argument("--allow-drop", action="store_true",
                   help="let an empty extract, or one that shrank past the guard, through")
    p.add_argument("--full-refresh", action="store_true",
                   help="extract: ask Zoho for every workspace's admins, not only the new, "
                        "changed and due ones ([zoho] admins_refresh_days)")
    p.add_argument("--config", default=None, help="settings file (default: $SEATLIB_CONFIG or "
                                                  "config/seat-monitor.toml; config/demo.toml with --demo)")
    p.add_argument("--check", action="store_true",
                   help="for monitoring: exit 0 with the age of the latest successful daily run, "
                        "1 when older than [runs] max_age_hours or a run hangs; takes no lock")
    p.add_argument("--now", default=os.environ.get("SEATLIB_NOW", ""), metavar="TIME",
                   help="with --check: the time to judge the age at (ISO, UTC; default "
                        "$SEATLIB_NOW or the clock)")
    add_reclaim_args(p)
    _serve_args(p)
    args = p.parse_args(argv)
    check_reclaim_args(p, args)
    _check_serve_args(p, args)
    if args.backfill and (args.date or args.stage):
        p.error("--backfill takes a range of its own; do not combine it with --date or --stage")
    if args.backfill and args.backfill[0] > args.backfill[1]:
        p.error("--backfill FROM must not be after TO")
    return args


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serve", action="store_true",
                   help="with --demo: after the run, keep the demo's PostgreSQL listening on TCP "
                        "for Power BI Desktop or any SQL client, until Ctrl-C or --stop-serving "
                        "(the run lock is released first)")
    p.add_argument("--serve-host", default="127.0.0.1", metavar="ADDR",
                   help="listen address for --serve (default 127.0.0.1; 0.0.0.0 opens it to the "
                        "network, where only the powerbi role can log in, with its password)")
    p.add_argument("--serve-port", type=int, default=None, metavar="PORT",
                   help="TCP port for --serve (default 55432)")
    p.add_argument("--stop-serving", action="store_true",
                   help="with --demo: stop a --serve session (runs nothing else)")


def _check_serve_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.serve or args.stop_serving or args.serve_port or args.serve_host != "127.0.0.1") \
            and not args.demo:
        p.error("--serve, --serve-host, --serve-port and --stop-serving go with --demo")
    if args.stop_serving and (args.serve or args.backfill or args.date or args.stage):
        p.error("--stop-serving runs nothing else")
    if (args.serve or args.stop_serving) and getattr(args, "reclaim", False):
        p.error("--serve and --stop-serving do not go with --reclaim")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def execute_notebook(name: str, out_dir: Path, parameters: dict,
                     env: Mapping[str, str] | None = None, *, warm: bool = False) -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill into ``out_dir``; raises on a failed cell.

    ``env`` is added to the kernel's environment (never a parameter: papermill saves those);
    ``warm``: the kernel comes from the fork server, imports done (seatlib.run.kernels)."""
    pm = execution.import_papermill()

    out = out_dir / f"{name}.ipynb"
    started = time.monotonic()
    pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(cfg.REPO_ROOT), progress_bar=False,
                        log_output=False, engine_name=execution.ENGINE,
                        kernel_manager_class=kernels.ipc_kernel_manager(env, warm=warm))
    log.info("%s done in %.1f s -> %s", name, time.monotonic() - started, out)
    return out


def run_stages(day: date, stages: Sequence[str], settings: cfg.Settings, config_path: str, *,
               demo: bool, allow_drop: bool, env: Mapping[str, str] | None = None,
               session: Session | None = None, full_refresh: bool = False) -> int:
    """Run the named stages for ``day`` in pipeline order, each notebook in its own kernel.

    Args:
        stages: stage names of :data:`STAGES`; the others are skipped.
        config_path: the settings file the notebooks load (never a secret).
        demo: let extract replay a past day (the demo simulator only).
        allow_drop: the operator's override of the empty/drop guards.
        full_refresh: the extract asks Zoho for every workspace's admins.
        env: added to each kernel's environment (the demo's stand-ins), never a parameter.
        session: the run's history (attempt folder ``runs/<date>/<attempt>/``, ledger rows).

    Returns:
        EXIT_OK; EXIT_CONFIG when a stage stopped on a configuration or environment error
        (a ConfigError raised inside its notebook: a missing variable, a bad setting), else
        EXIT_STAGE_FAILED at the first failing stage (its notebook is kept and the
        later stages do not run).
    """
    session = session or Session(settings, "stages")
    out_dir, rec = session.attempt(day).folder, session.recorder(day)
    params = {"run_date": day.isoformat(), "config_path": config_path,
              "allow_replay": demo, "allow_drop": allow_drop,
              "full_refresh": full_refresh}
    warm = settings.runs.warm_kernels
    if warm:
        kernels.fork_server(env)  # starts importing now, while this process imports papermill
    for stage in STAGES:
        if stage.name not in stages:
            continue
        notebook = stage.notebook
        log.info("stage %s for %s", stage.name, day)
        rec.start(stage.name)
        try:
            execute_notebook(notebook, out_dir, params, env, warm=warm)
        except Exception as exc:  # papermill raises PapermillExecutionError; kernels can die too
            relayed = relay_overrides(stage.name, out_dir / f"{notebook}.ipynb")
            reason = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:]
            ename = getattr(exc, "ename", type(exc).__name__)
            log.error("stage %s failed for %s: %s: %s; notebook kept at %s", stage.name, day, ename,
                      reason, out_dir / f"{notebook}.ipynb")
            _alert_failure(settings, day, stage.name, f"{ename}: {_first_line(reason)}",
                           out_dir / f"{notebook}.ipynb")
            refused = [f"refused: {_first_line(reason)}"] if ename == "DataQualityError" else []
            rec.end(stage.name, relayed + refused, f"{ename}: {_first_line(reason)}")
            rec.skip([s.name for s in STAGES[STAGES.index(stage) + 1:] if s.name in stages])
            return EXIT_CONFIG if ename == "ConfigError" else EXIT_STAGE_FAILED
        rec.end(stage.name, relay_overrides(stage.name, out_dir / f"{notebook}.ipynb"))
    return EXIT_OK


_KERNEL_WARNING = re.compile(r" WARNING \S+: (.*)$")


def relay_overrides(stage: str, notebook: Path) -> list[str]:
    """Copy into the run's log what a stage let through by ``--allow-drop``.

    The kernel logs to its notebook's output; only this process writes ``run.log``. Returns the
    lines relayed.
    """
    from ..stages.guards import ALLOWED

    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    relayed = []
    for out in (o for c in cells for o in c.get("outputs", [])):
        text = out.get("text", "")
        for line in ("".join(text) if isinstance(text, list) else str(text)).splitlines():
            if ALLOWED in line:
                found = _KERNEL_WARNING.search(line)
                relayed.append(found.group(1) if found else line.strip())
                log.warning("stage %s let through: %s", stage, relayed[-1])
    return relayed


def _first_line(reason) -> str:
    text = " ".join(reason) if isinstance(reason, list) else str(reason or "")
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def _alert_failure(settings: cfg.Settings, day: date, stage: str, error: str, notebook: Path
                   ) -> None:
    """Tell the operator's channels; an alert never changes the run's outcome."""
    try:
        from .failure import stage_failed

        stage_failed(settings, day, stage, error, str(notebook))
    except Exception as exc:  # noqa: BLE001
        log.error("could not send the failure alert: %s", type(exc).__name__)


def backfill(start: date, end: date, settings: cfg.Settings, config_path: str, *, demo: bool,
             env: Mapping[str, str] | None = None, allow_drop: bool = False,
             session: Session | None = None) -> int:
    """Rebuild silver, gold, load and report for each day of ``start..end`` from its bronze.

    Zoho cannot be asked about a past day, so extract never runs: a day whose bronze is
    incomplete is skipped and named in the log, and the report of every later day lists it as
    missing from the history. Days are independent (each layer is a function of the day and the
    layer below), so a failed day does not stop the ones after it.

    Returns:
        EXIT_OK when every day that has bronze was rebuilt (days without bronze only warn: a gap
        Zoho cannot fill is not a failure of the days around it); EXIT_STAGE_FAILED when a day
        failed, or when no day of the range had bronze to rebuild from.
    """
    from ..stages.extract import missing_bronze

    lake = Systems.lake_for(settings)
    rebuilt: list[date] = []
    failed: list[date] = []
    missing: list[date] = []
    day = start
    while day <= end:
        absent = missing_bronze(lake, day)
        if absent:
            missing.append(day)
            log.warning("backfill: %s skipped: no bronze for %s in %s (Zoho answers only for "
                        "today, so a past day cannot be extracted again)", day,
                        ", ".join(absent), lake.url)
        else:
            rc = run_stages(day, REBUILD, settings, config_path, demo=demo,
                            allow_drop=allow_drop, env=env, session=session)
            if rc == EXIT_CONFIG:  # the same error would stop every later day
                log.error("backfill stopped at %s: a configuration error", day)
                return EXIT_CONFIG
            (rebuilt if rc == EXIT_OK else failed).append(day)
        day += timedelta(days=1)

    log.info("backfill %s..%s: %d day(s) rebuilt, %d failed, %d without bronze", start, end,
             len(rebuilt), len(failed), len(missing))
    if missing:
        log.warning("backfill: %d day(s) without bronze stay missing from the history: %s",
                    len(missing), _days(missing))
    if failed:
        log.error("backfill: %d day(s) failed (see their notebooks in %s): %s", len(failed),
                  settings.runs_dir, _days(failed))
        return EXIT_STAGE_FAILED
    if not rebuilt:
        log.error("backfill: no day of %s..%s has bronze in %s; nothing was rebuilt", start, end,
                  lake.url)
        return EXIT_STAGE_FAILED
    return EXIT_OK


def _days(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)


def _check_start(args: argparse.Namespace, day: date, stages: Sequence[str], runs_dir: Path,
                 log_day: date) -> None:
    """What can be refused before the lock, so a run that cannot start leaves nothing behind:
    a day the extract cannot do, a future day, a runs folder or lock that cannot be used."""
    from . import preflight

    if not args.backfill and not args.demo and not args.reclaim and "extract" in stages:
        from ..stages.extract import check_day

        check_day(day, allow_replay=False)
    preflight.check_dates(args.date, args.backfill, demo=args.demo)
    preflight.check_runs_dir(runs_dir, log_day)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse: 0 for --help, 2 for bad usage
        return int(exc.code or 0)
    config_path = str(cfg.config_path(args.config, demo=args.demo))
    day = args.date or datetime.now(timezone.utc).date()
    try:
        settings = cfg.load_settings(config_path)
    except ConfigError as exc:
        print(f"run_daily: bad configuration: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    stages = args.stage or list(NAMES)
    if args.check:
        from ..history.health import main_check

        return main_check(settings, args.now)
    if args.stop_serving:
        from . import demo

        return demo.stop_serving(settings)
    rc = _run_locked(args, settings, config_path, day, stages)
    if rc != EXIT_OK or not args.serve:
        return rc
    from . import demo

    try:  # the lock is released: a daily run may start while the warehouse is served
        return demo.serve(settings, args.serve_host, args.serve_port or demo.SERVE_PORT)
    except SeatlibError as exc:
        print(f"run_daily: could not serve the demo warehouse: {exc}", file=sys.stderr)
        return EXIT_STAGE_FAILED


def _run_locked(args: argparse.Namespace, settings: cfg.Settings, config_path: str, day: date,
                stages: list[str]) -> int:
    """The run itself: the start-up checks, then under the lock the demo's stand-ins and the
    stages or the back-fill."""
    runs_dir = Path(settings.runs_dir)
    log_day = args.backfill[1] if args.backfill else day
    try:  # refuse now, with the way out, rather than from inside the first notebook
        _check_start(args, day, stages, runs_dir, log_day)
    except ConfigError as exc:
        print(f"run_daily: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    session = None
    try:
        with run_lock(runs_dir) as left:
            kind = run_kind(args, day, stages)
            session = Session(settings, kind)
            _start_log(args, settings, session.attempt(log_day).folder / "run.log", left, day,
                       config_path)
            rc = _under_lock(args, settings, config_path, day, stages, session, kind)
    except RunInProgressError as exc:
        print(f"run_daily: {exc}; not starting a second run", file=sys.stderr)
        return EXIT_LOCKED
    except ConfigError as exc:
        log.error("bad configuration: %s", exc)
        print(f"run_daily: bad configuration: {exc}", file=sys.stderr)
        rc = EXIT_CONFIG
    except SeatlibError as exc:
        log.error("run failed: %s", exc)
        rc = EXIT_STAGE_FAILED
    if session is not None:  # a run that started says where its files are, whatever its end
        _show_outputs(args, settings, day, rc, session)
    return rc


def _show_outputs(args: argparse.Namespace, settings: cfg.Settings, day: date, rc: int,
                  session: Session) -> None:
    from . import outputs

    try:
        if args.reclaim:
            from ..reclaim.flow import read_lines  # the engine writes them, so it reads them

            folder = session.attempt(day).folder
            show = args.show_emails or settings.report.show_emails
            outputs.show(read_lines(folder, show_emails=show)
                         + outputs.reclaim_block(settings, session.attempt(day), rc,
                                                 execute=args.execute, demo=args.demo))
        else:
            outputs.show(outputs.run_block(session, settings, day, rc, demo=args.demo,
                                           backfill=args.backfill))
    except OSError as exc:  # the run's outcome stands; its log names its files
        log.error("could not list the run's outputs: %s: %s", type(exc).__name__, exc)


def _start_log(args: argparse.Namespace, settings: cfg.Settings, log_file: Path, left: str,
               day: date, config_path: str) -> None:
    """The run's log (the attempt's ``run.log``), what it starts with, and the checks that need
    the lock (the client-id pattern against the lake's latest workspaces)."""
    seatlog.setup(stream=sys.stderr, log_file=log_file, show_emails=settings.report.show_emails)
    if left:
        log.warning("the run lock still said '%s': that run did not end cleanly (killed "
                    "or crashed); its lock was released with it and is cleared now", left)
    log.info("run for %s%s, config %s", day if not args.backfill else
             f"{args.backfill[0]}..{args.backfill[1]}", " (demo)" if args.demo else "",
             config_path)
    from .preflight import check_client_id_pattern

    check_client_id_pattern(settings)
    if args.allow_drop:
        log.warning("--allow-drop: the empty, drop and unmatched-share guards of every "
                    "stage let a suspicious day through; each one they let through "
                    "is logged below")


def _under_lock(args: argparse.Namespace, settings: cfg.Settings, config_path: str, day: date,
                stages: list[str], session: Session, kind: str) -> int:
    """The demo's stand-ins (if any), then the reclaim, the back-fill or the day's stages (after
    catching up recent days that have bronze but no gold)."""
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        kernel_env: dict[str, str] = {}
        if args.demo:
            from . import demo

            stand_ins = stack.enter_context(demo.DemoEnvironment(settings))
            kernel_env = stand_ins.kernel_env
            if not args.backfill and not args.reclaim:
                stand_ins.fill_history(day, settings.demo_history_days)
            if not args.backfill:
                stand_ins.set_day(day)  # with the earlier demo reclaims laid over it
        session.store_pending()
        if args.reclaim:
            rc = run_reclaim(day, settings, config_path, args, kernel_env, session=session,
                             execute=execute_notebook)
        elif args.backfill:
            rc = backfill(*args.backfill, settings, config_path, demo=args.demo,
                          env=kernel_env, allow_drop=args.allow_drop, session=session)
        else:
            run = functools.partial(run_stages, settings=settings, config_path=config_path,
                                    demo=args.demo, allow_drop=args.allow_drop,
                                    env=kernel_env, session=session,
                                    full_refresh=args.full_refresh)
            late = catch_up(session, day, lambda d: run(d, REBUILD)) if kind == "daily" \
                else EXIT_OK
            rc = max(run(day, stages), late)
        log.info("run %s in %.0f s", "succeeded" if rc == EXIT_OK else "FAILED",
                 time.monotonic() - started)
        return session.finish(rc, (stand_ins.systems if args.demo else
                                   Systems.from_environment(settings)).warehouse)


if __name__ == "__main__":
    sys.exit(main())
