"""One invocation of the runner, as the history sees it: its attempts, their ledger, the end.

The runner asks :meth:`Session.attempt` for the folder of each day it runs (one attempt a day,
made on first use); :meth:`Session.recorder` times the stages. :meth:`Session.finish` closes
every attempt in order: the ledger file in the lake, the attempt's files in the durable copy,
the ledger rows in the warehouse; after a successful daily run ``runs/last-success.json`` and
the heartbeat (never after a reclaim, kind ``reclaim``, which otherwise ends like any attempt);
then retention. A history that cannot be stored fails the run (exit 1, a failure
alert); a ledger that cannot reach the warehouse only logs (the lake holds it, and the next run
loads the recent days again).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Sequence

from ..core import config as cfg
from ..history import health, attempts as history, ledger
from ..core.contracts import GOLD_CAPACITY
from ..core.errors import SeatlibError
from ..systems import Systems
from ..systems.lake import Lake

log = logging.getLogger(__name__)

#: The days of ledger files loaded into the warehouse again on each run (self-healing).
RELOAD_DAYS = 7


def run_kind(args, day: date, stages: Sequence[str]) -> str:
    """daily (every stage, today), stages, backfill or reclaim: what the ledger calls a run."""
    from ..stages import NAMES

    if args.reclaim or args.backfill:
        return "reclaim" if args.reclaim else "backfill"
    today = datetime.now(timezone.utc).date()
    return "daily" if list(stages) == list(NAMES) and day == today else "stages"


class Session:
    def __init__(self, settings: cfg.Settings, kind: str, *, now: datetime | None = None):
        self.settings, self.kind = settings, kind
        self.started = now or datetime.now(timezone.utc)
        self.durable = history.durable(settings)
        self.version = history.code_version()
        self.attempts: dict[date, history.Attempt] = {}
        self._recorders: dict[date, ledger.Recorder] = {}

    def attempt(self, day: date, kind: str | None = None) -> history.Attempt:
        if day not in self.attempts:
            self.attempts[day] = history.begin(self.settings, day, kind or self.kind,
                                               lake=self.durable)
        return self.attempts[day]

    def recorder(self, day: date, kind: str | None = None) -> ledger.Recorder:
        if day not in self._recorders:
            self._recorders[day] = ledger.Recorder(self.attempt(day, kind), self.version)
        return self._recorders[day]

    def outcomes(self, day: date) -> dict[str, str]:
        """How each stage of ``day``'s attempt ended (ok, failed, skipped), in run order; empty
        when none ran (what the closing block of :mod:`seatlib.run.outputs` explains a missing file
        by)."""
        rec = self._recorders.get(day)
        rows = rec.rows if rec else []
        return {r["stage"]: r["outcome"] for r in rows if r["stage"] != ledger.RUN}

    def store_pending(self) -> None:
        """Store the attempts an earlier run left unstored (killed, or its store failed)."""
        current = {a.folder for a in self.attempts.values()}
        for folder in history.pending(self.settings.runs_dir):
            if folder not in current:
                try:
                    history.store(self.settings, folder, self.durable)
                except SeatlibError as exc:
                    log.error("history: earlier attempt %s still not stored: %s", folder, exc)

    def finish(self, rc: int, warehouse: Callable[[], object] | None) -> int:
        """Close every attempt; returns ``rc``, or 1 when the history could not be stored."""
        lake = Systems.lake_for(self.settings)
        for day, attempt in self.attempts.items():
            rows = self.recorder(day).finish(failed=rc != 0)
            try:
                log.info("ledger: %d row(s) in %s", len(rows), ledger.write(lake, attempt, rows))
            except SeatlibError as exc:
                rc = max(rc, 1)
                log.error("ledger: the rows of %s attempt %s could not be written: %s", day,
                          attempt.name, exc)
        if warehouse is not None:
            self._load_ledger(lake, warehouse)
        for day, attempt in self.attempts.items():  # last, so the log in it is whole
            try:
                history.store(self.settings, attempt.folder, self.durable)
            except SeatlibError as exc:
                rc = max(rc, 1)
                log.error("history: the record of %s attempt %s could not be stored: %s", day,
                          attempt.name, exc)
                self._alert(day, attempt, str(exc))
        if rc == 0 and self.kind == "daily":
            self._succeeded()
        self._housekeeping()
        return rc

    def _succeeded(self) -> None:
        attempt = next(a for a in self.attempts.values() if a.kind == "daily")
        now = datetime.now(timezone.utc)
        try:
            path = health.record_success(self.settings, history.read_info(attempt.folder), now)
            self.durable.write_bytes(path.name, path.read_bytes())
        except (SeatlibError, OSError) as exc:
            log.error("history: could not record the success: %s", exc)
        took = (now - self.started).total_seconds()
        health.heartbeat(self.settings, f"seat-monitor {attempt.day}: attempt {attempt.name} "
                                        f"succeeded in {took:.0f} s ({self.version})")

    def _load_ledger(self, lake: Lake, warehouse: Callable[[], object]) -> None:
        since = min(self.attempts, default=self.started.date()) - timedelta(days=RELOAD_DAYS)
        try:
            rows = ledger.read(lake, since)
            with warehouse() as wh:
                n = ledger.load(wh, self.settings.warehouse_schema, rows,
                                max_age_hours=self.settings.runs.max_age_hours)
            log.info("ledger: %d row(s) since %s loaded into %s.%s", n, since,
                     self.settings.warehouse_schema, ledger.TABLE)
        except SeatlibError as exc:
            log.error("ledger: not loaded into the warehouse (it stays in the lake; the next "
                      "run loads it): %s", exc)

    def _housekeeping(self) -> None:
        try:
            history.prune(self.settings, self.started.date(), self.durable)
        except (SeatlibError, OSError) as exc:
            log.error("history: retention failed: %s", exc)

    def _alert(self, day: date, attempt: history.Attempt, error: str) -> None:
        from ..history import alerts as alert_record

        alert_record.send(self.settings, f"seat-monitor {day}: run history NOT STORED",
                          f"The record of attempt {attempt.name} (notebooks, log, page) could not "
                          f"be written to {self.durable.url}: {error.splitlines()[0][:300]}\nIt "
                          f"is kept in {attempt.folder}; the next run tries again. The run exits 1.",
                          level="failure", day=day, folder=attempt.folder,
                          payload={"kind": "history_failure", "day": day.isoformat(),
                                   "attempt": attempt.name, "error": error.splitlines()[0][:300]})


def catch_up(session: Session, today: date, rebuild: Callable[[date], int]) -> int:
    """Before the daily run: rebuild the last ``[runs] catch_up_days`` days that have every
    bronze file but no gold (a run that stopped after the extract, a back-fill not done), each
    as its own attempt; name the days that have neither (lost: Zoho keeps no past state).
    Returns 1 when a rebuilt day failed, else 0."""
    from ..core.sources import on
    from ..stages.extract import missing_bronze
    from ..systems.lake import days_in

    lake, failed = Systems.lake_for(session.settings), []
    gold_days = set(days_in(lake, f"gold/{GOLD_CAPACITY.name}/"))
    for n in range(session.settings.runs.catch_up_days, 0, -1):
        day = today - timedelta(days=n)
        if day in gold_days or not gold_days or day < min(gold_days):
            continue  # done, or before the history began
        absent = missing_bronze(lake, day)
        if absent and len(absent) == len(on(day)):
            log.warning("catch-up: %s has no gold and no bronze: the run did not happen that "
                        "day and Zoho keeps no past state, so it stays missing", day)
        elif absent:
            log.warning("catch-up: %s has no gold and lacks bronze for %s; it cannot be "
                        "rebuilt", day, ", ".join(absent))
        else:
            log.warning("catch-up: %s has bronze but no gold: rebuilding it first", day)
            session.attempt(day, "catch-up")
            if rebuild(day) != 0:
                failed.append(day)
    return 1 if failed else 0
