"""The runner's ``--reclaim`` half: its options, and ``notebooks/reclaim_seats.ipynb`` run as an
attempt of its own (run by a person, never by cron; docs/reclaim.md §6).

A reclaim is an attempt folder ``runs/<date>/<NN>-<HHMMSS>/`` of kind ``reclaim``, under the run
lock like any run, numbered with the day's other attempts: its notebook, plan, ``run.log``,
``alerts.json`` and the notebook's ``reclaim.json`` (what the terminal shows) are all in it. It
never becomes the day's ``LATEST`` (:data:`seatlib.history.attempts.APART`), so nothing of it
lands in a daily attempt and ``--check`` never counts it.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from ..core import config as cfg

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("seatlib.run.runner")

EXIT_OK, EXIT_STAGE_FAILED, EXIT_CONFIG = 0, 1, 2
NOTEBOOK = "reclaim_seats"
#: The ledger's stage of the notebook (the attempt's own row is ``run``).
STAGE = "reclaim"
#: Errors raised in the notebook that mean "refused, nothing changed": exit 2, as a bad usage
#: (``Refused`` is the engine's refusal of a stale plan or of a limit; a ConfigError too).
REFUSALS = frozenset({"ConfigError", "Refused"})
_CHANGES = ("approve", "approve_file", "remove", "reactivate")


def add_reclaim_args(p: argparse.ArgumentParser) -> None:
    """Add the reclaim's options (``--reclaim``, ``--approve`` ... ``--override-limit``) to the
    runner's parser."""
    g = p.add_argument_group("reclaim (run by a person, never by cron; see docs/reclaim.md)")
    g.add_argument("--reclaim", action="store_true",
                   help="plan freeing seats from the latest gold; a dry run unless --execute")
    g.add_argument("--approve", metavar="IDS", default="",
                   help="client ids to deactivate, e.g. 1003,1007")
    g.add_argument("--approve-file", metavar="FILE", default="",
                   help="a copy of a plan file (runs/<date>/<attempt>/reclaim_plan.csv) with "
                        "approve = yes on the rows to deactivate")
    g.add_argument("--remove", metavar="IDS", default="",
                   help="client ids whose users to REMOVE (permanent); only for users whose "
                        "deactivation left Zoho's seat counter unchanged")
    g.add_argument("--reactivate", metavar="IDS", default="",
                   help="client ids whose users this tool deactivated, to activate again")
    g.add_argument("--execute", action="store_true",
                   help="make the calls (default: a dry run that changes nothing); needs "
                        "--approver and --reason")
    g.add_argument("--approver", metavar="NAME", default="",
                   help="who approved the change (recorded in every trail entry)")
    g.add_argument("--reason", metavar="TEXT", default="",
                   help="why: a ticket id or words (recorded in every trail entry)")
    g.add_argument("--override-limit", action="store_true",
                   help="with --execute: go past [reclaim] max_users / max_share or a gold day "
                        "let through by --allow-drop")
    g.add_argument("--show-emails", action="store_true",
                   help="show addresses unmasked in the plan file, the notebook and the terminal")


def check_reclaim_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """argparse's error (exit 2, the options named) for every combination docs/reclaim.md
    refuses, before any lock or kernel."""
    own = ("approve", "approve_file", "remove", "reactivate", "execute", "approver", "reason",
           "override_limit", "show_emails")
    given = [_flag(n) for n in own if getattr(args, n)]
    if given and not args.reclaim:
        p.error(f"{', '.join(given)} only go with --reclaim")
    if args.reclaim and (args.backfill or args.stage or args.allow_drop):
        p.error("--reclaim runs on its own; do not combine it with --backfill, --stage or "
                "--allow-drop")
    if args.approve and args.approve_file:
        p.error("give either --approve IDS or --approve-file FILE, not both")
    if args.remove and (args.approve or args.approve_file):
        p.error("--remove is a run of its own (permanent, after a second look); do not combine "
                "it with --approve or --approve-file")
    today = datetime.now(timezone.utc).date()
    if args.reclaim and args.date is not None and args.date != today:
        p.error(f"--reclaim acts on Zoho as it is now and plans from the latest gold day; it "
                f"takes no --date other than today ({today} UTC)")
    if args.reactivate and (args.approve or args.approve_file or args.remove):
        p.error("--reactivate undoes; do not combine it with --approve, --approve-file or "
                "--remove")
    if args.approve_file:
        path = Path(args.approve_file).expanduser()
        if not path.is_file():
            p.error(f"--approve-file: {args.approve_file} is not a file")
        args.approve_file = str(path.resolve())  # the kernel runs in the repository folder
    if args.execute and not any(getattr(args, n) for n in _CHANGES):
        p.error("--execute needs --approve IDS, --approve-file FILE, --remove IDS or "
                "--reactivate IDS: nothing is changed in Zoho without a person's approval")
    blank = [_flag(n) for n in ("approver", "reason")
             if getattr(args, n) and not getattr(args, n).strip()]
    if blank:
        p.error(f"{' and '.join(blank)} must not be blank")
    missing = [f"{_flag(n)} {m}" for n, m in (("approver", "NAME"), ("reason", "TEXT"))
               if not getattr(args, n).strip()]
    if args.execute and missing:
        p.error(f"--execute needs {' and '.join(missing)}: who approved the change and why go "
                f"into every trail entry")
    if args.override_limit and not args.execute:
        p.error("--override-limit only goes with --execute (a dry run has no limit to pass)")


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def reclaim_parameters(day: date, config_path: str, args: argparse.Namespace,
                       attempt_dir: Path) -> dict:
    """The parameters ``reclaim_seats.ipynb`` gets (no secret among them: papermill saves them
    in the notebook). ``attempt_dir`` is absolute, as the kernel runs in the repository."""
    return {"run_date": day.isoformat(), "config_path": config_path,
            "attempt_dir": str(Path(attempt_dir).resolve()),
            "approve": args.approve_file or args.approve, "remove": args.remove,
            "reactivate": args.reactivate, "execute": bool(args.execute),
            "approver": args.approver.strip(), "reason": args.reason.strip(),
            "override_limit": bool(args.override_limit),
            "show_emails": bool(args.show_emails)}


def run_reclaim(day: date, settings: cfg.Settings, config_path: str, args: argparse.Namespace,
                env: Mapping[str, str] | None = None, *, session: "Session",
                execute: Callable[..., Path]) -> int:
    """Run ``notebooks/reclaim_seats.ipynb`` into the session's attempt of ``day`` (kind
    ``reclaim``), with its ledger row; the caller ends the session (:meth:`Session.finish`).

    Returns:
        EXIT_OK; EXIT_CONFIG when the notebook refused (:data:`REFUSALS`); else
        EXIT_STAGE_FAILED (the notebook is kept with its error, and the failure recorded in the
        attempt's own ``alerts.json``).
    """
    attempt, rec = session.attempt(day), session.recorder(day)
    params = reclaim_parameters(day, config_path, args, attempt.folder)
    notebook = attempt.folder / f"{NOTEBOOK}.ipynb"
    log.info("reclaim for %s: %s, attempt %s", day, "EXECUTE" if args.execute else "dry run",
             attempt.name)
    rec.start(STAGE)
    try:
        execute(NOTEBOOK, attempt.folder, params, env)
    except Exception as exc:  # papermill raises PapermillExecutionError; kernels can die too
        ename = getattr(exc, "ename", type(exc).__name__)
        reason = getattr(exc, "evalue", None) or str(exc).strip()
        first = (str(reason).strip().splitlines() or ["(no message)"])[0][:300]
        log.error("reclaim failed: %s: %s; notebook kept at %s", ename, first, notebook)
        _alert_failure(settings, day, f"{ename}: {first}", notebook, attempt.folder,
                       execute=bool(args.execute))
        rec.end(STAGE, [], f"{ename}: {first}")
        return EXIT_CONFIG if ename in REFUSALS else EXIT_STAGE_FAILED
    rec.end(STAGE, [])
    return EXIT_OK


def _alert_failure(settings: cfg.Settings, day: date, error: str, notebook: Path, folder: Path,
                   *, execute: bool) -> None:
    """An execution that failed may have changed Zoho half-way: the channels hear of it. A dry
    run changed nothing and its person is at the terminal: recorded only. Either way in the
    reclaim's own ``alerts.json``, never a daily attempt's; an alert never changes the exit."""
    from ..history import alerts as alert_record

    mode = "EXECUTE" if execute else "dry run"
    title = f"seat-monitor {day}: reclaim ({mode}) FAILED"
    body = (f"The reclaim of {day} ({mode}) failed: {error}\nNotebook (with the error): "
            f"{notebook}\nThe trail in the lake (reclaim/trail/{day}/) says which calls were "
            f"made before it stopped.")
    payload = {"kind": "reclaim_failure", "day": day.isoformat(), "execute": execute,
               "error": error, "notebook": str(notebook)}
    try:
        if execute:
            alert_record.send(settings, title, body, level="failure", day=day, payload=payload,
                              folder=folder)
        else:
            alert_record.record(settings, title, body, level="failure", day=day,
                                payload=payload, folder=folder,
                                note="not sent: a dry run changes nothing")
    except Exception as exc:  # noqa: BLE001
        log.error("could not record the reclaim's failure alert: %s", type(exc).__name__)
