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
own folder (``latest/`` moves with the next run), relative to the repository when under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from . import config as cfg

if TYPE_CHECKING:
    from .history import Attempt
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


def reclaim_block(settings: cfg.Settings, day: date, rc: int, *, execute: bool,
                  started: datetime, demo: bool) -> list[str]:
    """The block of ``run_daily.sh --reclaim``: its notebook, plan and log in ``runs/<day>/``.

    The plan is named only when this reclaim wrote it (a failed one leaves an earlier reclaim's
    plan of the day in place); the notebook of an earlier reclaim was renamed before this one ran.
    """
    folder = Path(settings.runs_dir) / day.isoformat()
    failed = "not written: the reclaim failed before it (see the log)"
    plan = folder / "reclaim_plan.csv"
    fresh = plan.is_file() and _written_since(plan, started)
    what = f"the reclaim of {day} ({'executed' if execute else 'dry run'}, " \
           f"{'succeeded' if rc == 0 else f'FAILED, exit {rc}'})"
    rows = [("notebook", _file(folder / "reclaim_seats.ipynb", failed)),
            ("plan", _shown(plan) if fresh else failed),
            ("log", _file(folder / "reclaim.log"))]
    if demo:
        rows.append(_truth(settings, day))
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


def _written_since(path: Path, started: datetime) -> bool:
    # the file system's clock is coarser than the process's: a second of slack
    return path.stat().st_mtime >= (started - timedelta(seconds=1)).timestamp()
