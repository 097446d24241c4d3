"""Where a run's outputs are: the short block the runner prints on stdout as it ends.

A person who has just run ``run_daily.sh`` (the demo, a back-fill, a reclaim) should not have to
know the layout of the runs folder, nor which of two runs folders (production's ``runs/``, the
demo's ``var/demo/runs/``) this run wrote to. Every run therefore ends with one block of the same
shape::

    outputs of 2026-12-07 (attempt 01-204941, succeeded):
      page       var/demo/runs/2026-12-07/01-204941/report.html
      notebooks  var/demo/runs/2026-12-07/01-204941/  (01_extract … 05_report)
      to-do      var/demo/runs/2026-12-07/01-204941/actions.csv
      log        var/demo/runs/2026-12-07/01-204941/run.log
      truth      var/demo/truth/2026-12-07.json  (the simulator's expected statuses)

It names only files that are there, and says why the others are not; the paths are the attempt's
own folder (``latest/`` moves with the next run), relative to the repository when under it. A
reclaim's block (:func:`reclaim_block`) follows the lines its notebook left for the person at
the terminal (:func:`seatlib.reclaim.flow.read_lines`): the plan's summary, the dry run's calls, the result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..core import config as cfg

if TYPE_CHECKING:
    from ..history.attempts import Attempt
    from .session import Session

REPORT = "report"
#: Label width: the values line up under each other.
_WIDTH = 10


@dataclass(frozen=True)
class _Outcome:
    """What a session's recorder says about one attempt: the stages and how each ended."""

    stages: dict[str, str]  # stage -> ok, failed, skipped
    none_ran: str = "the run stopped before its first stage (see the log)"

    @property
    def failed(self) -> str | None:
        return next((s for s, o in self.stages.items() if o == "failed"), None)

    def missing(self, what: str) -> str:
        """Why a file the report stage writes is not in the attempt."""
        if self.failed:
            return f"not written: the run failed at {self.failed}"
        if self.stages and REPORT not in self.stages:
            return f"not written: the report stage was not run ({what} comes from it)"
        return f"not written: {self.none_ran}"


def run_block(session: "Session", settings: cfg.Settings, day: date, rc: int, *, demo: bool,
              backfill: Sequence[date] | None = None) -> list[str]:
    """The block of a daily run, a run of some stages, or a back-fill (``backfill``: FROM, TO).

    The page, notebooks and to-do list are those of ``day`` (a back-fill: of the last day it
    rebuilt); the log is where the runner wrote it (a back-fill: the attempt of TO). Attempts
    of other days (catch-up, the back-fill's earlier days) are one line.
    """
    attempts = dict(sorted(session.attempts.items()))
    log_attempt = attempts[backfill[1] if backfill else day]
    main = log_attempt
    if backfill:
        paged = [a for a in attempts.values() if (a.folder / "report.html").is_file()]
        main = paged[-1] if paged else log_attempt
    outcome = _Outcome(session.outcomes(main.day), *(
        ["no day of the range was rebuilt (see the log)"] if backfill else []))
    status = _status(rc, outcome, {d: _Outcome(session.outcomes(d)) for d in attempts})
    what = (f"the back-fill {backfill[0]}..{backfill[1]} ({status})" if backfill else
            f"{main.day} (attempt {main.name}, {status})")
    page, todo = main.folder / "report.html", main.folder / "actions.csv"
    rows = [("page", _shown(page) if page.is_file() else outcome.missing("the page")),
            ("notebooks", _notebooks(main.folder) or outcome.missing("notebooks")),
            ("to-do", _shown(todo) if todo.is_file() else outcome.missing("the to-do list")),
            ("log", _file(log_attempt.folder / "run.log"))]
    others = [a for a in attempts.values() if a is not main and _notebook_names(a.folder)]
    if others:
        rows.append(("other days", _others(others)))
    if demo:
        rows.append(_truth(settings, main.day))
    return _block(what, rows)


def reclaim_block(settings: cfg.Settings, attempt: "Attempt", rc: int, *, execute: bool,
                  demo: bool) -> list[str]:
    """The block of ``run_daily.sh --reclaim``: its attempt's notebook, plan, log and alerts.

    The attempt folder is the reclaim's own and new, so whatever is in it is this run's.
    """
    from ..reclaim.plan import PLAN_FILE  # whoever writes the plan names it

    folder = attempt.folder
    notebook = folder / "reclaim_seats.ipynb"
    stopped = "not written: the reclaim failed before it (see " + \
        ("the notebook)" if notebook.is_file() else "the log)")
    what = (f"the reclaim of {attempt.day} (attempt {attempt.name}, "
            f"{'executed' if execute else 'dry run'}, "
            f"{'succeeded' if rc == 0 else f'FAILED, exit {rc}'})")
    alerts = folder / "alerts.json"
    rows = [("notebook", _file(notebook, "not written: the reclaim failed before it (see the "
                                         "log)")),
            ("plan", _file(folder / PLAN_FILE, stopped if rc else
                           "none: this reclaim wrote no plan (see the notebook)")),
            ("log", _file(folder / "run.log")),
            ("alerts", _shown(alerts) if alerts.is_file() else "none recorded")]
    if demo:
        rows.append(_truth(settings, attempt.day))
    return _block(what, rows)


def show(lines: list[str]) -> None:
    """Print the block on stdout (the log goes to stderr and the run's log file)."""
    print("\n".join(lines), flush=True)


def _block(what: str, rows: list[tuple[str, str]]) -> list[str]:
    return [f"outputs of {what}:"] + [f"  {label:<{_WIDTH}} {value}" for label, value in rows]


def _status(rc: int, main: _Outcome, by_day: dict[date, _Outcome]) -> str:
    if rc == 0:
        return "succeeded"
    if main.failed:
        return f"FAILED at {main.failed}"
    failed = [(d, o.failed) for d, o in by_day.items() if o.failed]
    if failed:
        return f"FAILED at {failed[0][1]} of {failed[0][0]}"
    return f"FAILED, exit {rc}; see the log"


def _shown(path: Path, folder: bool = False) -> str:
    return cfg.shown_path(path) + ("/" if folder else "")


def _file(path: Path, missing: str = "not written (see the run's stderr)") -> str:
    return _shown(path) if path.is_file() else missing


def _notebook_names(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.ipynb"))


def _notebooks(folder: Path) -> str:
    names = _notebook_names(folder)
    if not names:
        return ""
    listed = f"{names[0]} … {names[-1]}" if len(names) > 2 else ", ".join(names)
    return f"{_shown(folder, folder=True)}  ({listed})"


def _others(attempts: list["Attempt"]) -> str:
    if len(attempts) == 1:
        a = attempts[0]
        return f"{_shown(a.folder, folder=True)}  ({a.kind})"
    return (f"{len(attempts)} attempts, {_shown(attempts[0].folder, folder=True)} … "
            f"{_shown(attempts[-1].folder, folder=True)}")


def _truth(settings: cfg.Settings, day: date) -> tuple[str, str]:
    path = Path(settings.demo_dir) / "truth" / f"{day.isoformat()}.json"
    return ("truth", f"{_shown(path)}  (the simulator's expected statuses)" if path.is_file()
            else f"none for {day} (the demo had not served that day)")

