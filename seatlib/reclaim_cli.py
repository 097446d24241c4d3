"""The runner's ``--reclaim`` half: its options, and ``notebooks/reclaim_seats.ipynb`` run into
``runs/<date>/`` (run by a person, never by cron; an earlier notebook of the day is kept beside
it with its time)."""

from __future__ import annotations

import argparse
import logging
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from . import config as cfg

log = logging.getLogger("seatlib.runner")

EXIT_OK, EXIT_STAGE_FAILED, EXIT_CONFIG = 0, 1, 2


def _reclaim_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reclaim (run by a person, never by cron; see notebooks/"
                             "reclaim_seats.ipynb)")
    g.add_argument("--reclaim", action="store_true",
                   help="plan freeing seats from the latest gold; a dry run unless --execute")
    g.add_argument("--approve", metavar="IDS", default="",
                   help="client ids to deactivate, e.g. 1003,1007")
    g.add_argument("--approve-file", metavar="FILE", default="",
                   help="a plan file (runs/<date>/reclaim_plan.csv) with approve = yes on the "
                        "rows to deactivate")
    g.add_argument("--remove", metavar="IDS", default="",
                   help="client ids whose users to REMOVE (permanent); only for users whose "
                        "deactivation left Zoho's seat counter unchanged")
    g.add_argument("--execute", action="store_true",
                   help="make the calls (default: a dry run that changes nothing)")
    g.add_argument("--show-emails", action="store_true",
                   help="show addresses unmasked in the plan file and the notebook")


def _check_reclaim_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    given = [f"--{n.replace('_', '-')}" for n in ("approve", "approve_file", "remove",
                                                  "execute", "show_emails") if getattr(args, n)]
    if given and not args.reclaim:
        p.error(f"{', '.join(given)} only go with --reclaim")
    if args.reclaim and (args.backfill or args.stage or args.allow_drop):
        p.error("--reclaim runs on its own; do not combine it with --backfill, --stage or "
                "--allow-drop")
    if args.approve and args.approve_file:
        p.error("give either --approve IDS or --approve-file FILE, not both")
    if args.approve_file:
        path = Path(args.approve_file).expanduser()
        if not path.is_file():
            p.error(f"--approve-file: {args.approve_file} is not a file")
        args.approve_file = str(path.resolve())  # the kernel runs in the repository folder
    if args.execute and not (args.approve or args.approve_file or args.remove):
        p.error("--execute needs --approve IDS, --approve-file FILE or --remove IDS: nothing "
                "is changed in Zoho without a person's approval")


def reclaim_parameters(day: date, config_path: str, args: argparse.Namespace) -> dict:
    """The parameters ``reclaim_seats.ipynb`` gets (no secret among them)."""
    return {"run_date": day.isoformat(), "config_path": config_path,
            "approve": args.approve_file or args.approve, "remove": args.remove,
            "execute": bool(args.execute), "show_emails": bool(args.show_emails)}


def run_reclaim(day: date, settings: cfg.Settings, config_path: str, args: argparse.Namespace,
                env: Mapping[str, str] | None = None, *, execute: Callable[..., Path]) -> int:
    """Run ``notebooks/reclaim_seats.ipynb`` into ``runs/<day>/`` (an earlier one of the day is
    kept beside it with its time)."""
    out_dir = Path(settings.runs_dir) / day.isoformat()
    out_dir.mkdir(parents=True, exist_ok=True)
    old = out_dir / "reclaim_seats.ipynb"
    if old.exists():
        stamp = datetime.fromtimestamp(old.stat().st_mtime, timezone.utc).strftime("%H%M%S")
        old.replace(out_dir / f"reclaim_seats.{stamp}.ipynb")
    params = reclaim_parameters(day, config_path, args)
    log.info("reclaim for %s: %s", day, "EXECUTE" if args.execute else "dry run")
    try:
        execute("reclaim_seats", out_dir, params, env)
    except Exception as exc:  # papermill raises PapermillExecutionError
        ename = getattr(exc, "ename", type(exc).__name__)
        log.error("reclaim failed: %s: %s; notebook kept at %s", ename,
                  getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:], old)
        return EXIT_CONFIG if ename == "ConfigError" else EXIT_STAGE_FAILED
    return EXIT_OK
