"""The run ledger: one row per run attempt and stage, in the lake and in the warehouse.

Each attempt's rows are one file, ``runs_ledger/<date>/<attempt folder>.csv``, created once and
never rewritten (:meth:`seatlib.systems.lake.Lake.create_bytes`). Besides one row per stage (``ok``,
``failed``, or ``skipped`` after a failure) every attempt has a row whose stage is ``run``: the
attempt as a whole. Columns: :data:`PIPELINE_RUNS`. The warehouse keeps them in
``<schema>.pipeline_runs`` (replaced by ``(run_date, attempt)``, so loading again changes
nothing), with the view ``v_pipeline_freshness`` (the latest successful daily run and its age)
for Power BI.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

import pandas as pd

from ..core.contracts import Contract
from ..core.errors import LakeError
from ..systems.lake import Lake
from ..systems.warehouse_sql import VARCHAR_PARAMETER, insert_sql, literal

if TYPE_CHECKING:
    from .attempts import Attempt
    from ..systems.warehouse import Warehouse

log = logging.getLogger(__name__)

PREFIX = "runs_ledger/"
TABLE = "pipeline_runs"
FRESHNESS_VIEW = "v_pipeline_freshness"
RUN = "run"  # the stage value of an attempt's own row
PIPELINE_RUNS = Contract(
    TABLE,
    {"run_date": "date", "attempt": "int", "stage": "str", "kind": "str",
     "started_at": "datetime", "finished_at": "datetime", "duration_s": "float",
     "outcome": "str", "error": "str", "guards": "str", "alerts": "str",
     "code_version": "str", "attempt_folder": "str"},
    key=("run_date", "attempt", "stage"),
    nullable=frozenset({"started_at", "finished_at", "duration_s", "error", "guards", "alerts"}),
)
#: Width in bytes of the text columns (cut to fit, never refused).
WIDTHS = {"error": 1024, "guards": 4096, "alerts": 4096}
FRESHNESS_COLUMNS = {"latest_day": "date", "last_success_at": "datetime", "age_hours": "float",
                     "max_age_hours": "float", "is_stale": "bool"}


def key(attempt: "Attempt") -> str:
    return f"{PREFIX}{attempt.day.isoformat()}/{attempt.name}.csv"


class Recorder:
    """Collects an attempt's rows while its stages run."""

    def __init__(self, attempt: "Attempt", version: str):
        self.attempt, self.version = attempt, version
        self.rows: list[dict] = []
        self._alerts_seen = 0
        self._started: tuple[str, datetime, float] | None = None

    def start(self, stage: str) -> None:
        self._started = (stage, datetime.now(timezone.utc), time.monotonic())

    def end(self, stage: str, guards: list[str], error: str = "") -> None:
        """The stage ended (``error``: its first line when it failed)."""
        _, started, t0 = self._started or (stage, datetime.now(timezone.utc), time.monotonic())
        self.rows.append(self._row(stage, started, time.monotonic() - t0,
                                   "failed" if error else "ok", error, guards, self._new_alerts()))
        self._started = None

    def skip(self, stages: list[str]) -> None:
        for stage in stages:
            self.rows.append(self._row(stage, None, None, "skipped", "", [], []))

    def finish(self, failed: bool) -> pd.DataFrame:
        """Add the attempt's own row; returns every row."""
        stages = [r for r in self.rows if r["stage"] != RUN]
        bad = [r for r in stages if r["outcome"] == "failed"]
        outcome = "failed" if bad or (failed and not stages) else ("ok" if stages else "nothing")
        guards = [g for r in stages for g in (r["guards"] or "").split("\n") if g]
        alerts = [a for r in stages for a in (r["alerts"] or "").split("\n") if a]
        alerts += self._new_alerts()
        took = (datetime.now(timezone.utc) - self.attempt.started).total_seconds()
        self.rows.append(self._row(RUN, self.attempt.started, took, outcome,
                                   bad[0]["error"] if bad else "", guards, alerts))
        return frame(self.rows)

    def _row(self, stage, started, took, outcome, error, guards, alerts) -> dict:
        a = self.attempt
        finished = (started + pd.Timedelta(seconds=took)) if started is not None else None
        return {"run_date": a.day, "attempt": a.number, "stage": stage, "kind": a.kind,
                "started_at": started, "finished_at": finished,
                "duration_s": None if took is None else round(took, 1), "outcome": outcome,
                "error": error or None, "guards": "\n".join(guards) or None,
                "alerts": "\n".join(alerts) or None, "code_version": self.version,
                "attempt_folder": a.name}

    def _new_alerts(self) -> list[str]:
        """Titles of the alerts the attempt recorded since the last call ("[level] title")."""
        from .alerts import read_alerts

        records = read_alerts(self.attempt.folder / "alerts.json")
        new, self._alerts_seen = records[self._alerts_seen:], len(records)
        return [f"[{r.get('level')}{'' if r.get('sent') else ', not sent'}] {r.get('title')}"
                for r in new]


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(PIPELINE_RUNS.columns))
    for col in ("started_at", "finished_at"):
        df[col] = pd.to_datetime(df[col], utc=True).dt.tz_localize(None)
    return df


def write(lake: Lake, attempt: "Attempt", rows: pd.DataFrame) -> str:
    """Create the attempt's ledger file (never replacing one); returns its URI."""
    buf = io.StringIO()
    rows.to_csv(buf, index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S")
    lake.create_bytes(key(attempt), buf.getvalue().encode("utf-8"))
    return lake.uri(key(attempt))


def read(lake: Lake, since: date | None = None) -> pd.DataFrame:
    """Every ledger row of the days from ``since`` (all when None), oldest first."""
    parts = []
    for k in lake.list(PREFIX):
        day = k[len(PREFIX):].split("/")[0]
        if since is None or day >= since.isoformat():
            try:
                parts.append(lake.read_csv(k, dtype={"error": str, "guards": str, "alerts": str},
                                           parse_dates=["started_at", "finished_at"]))
            except LakeError as exc:
                log.warning("ledger: %s skipped: %s", k, exc)
    if not parts:
        return frame([])
    out = pd.concat(parts, ignore_index=True)
    out["run_date"] = pd.to_datetime(out["run_date"]).dt.date
    return out.sort_values(["run_date", "attempt"], kind="stable").reset_index(drop=True)


# -- the warehouse ----------------------------------------------------------------------------

def _sql_type(column: str, logical: str) -> str:
    if logical == "str":
        return f"VARCHAR({WIDTHS.get(column, 256)})"
    return {"date": "DATE", "int": "BIGINT", "datetime": "TIMESTAMP",
            "float": "DOUBLE PRECISION", "bool": "BOOLEAN"}[logical]


def _fit(value, column: str):
    """Text cut to its column's width in bytes (UTF-8), at a character boundary."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if column not in PIPELINE_RUNS.columns or PIPELINE_RUNS.columns[column] != "str":
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    limit = WIDTHS.get(column, 256)
    data = str(value).encode("utf-8")
    return data[:limit].decode("utf-8", errors="ignore") if len(data) > limit else str(value)


def freshness_sql(schema: str, dialect: str, max_age_hours: float) -> str:
    """The SELECT of ``v_pipeline_freshness``: one row, the latest successful daily run."""
    now = "GETDATE()" if dialect == "redshift" else \
        "CAST(CURRENT_TIMESTAMP AT TIME ZONE 'UTC' AS TIMESTAMP)"
    age = (f"CAST((EXTRACT(EPOCH FROM {now}) - EXTRACT(EPOCH FROM MAX(finished_at))) / 3600.0 "
           f"AS DOUBLE PRECISION)")
    limit = f"CAST({float(max_age_hours)!r} AS DOUBLE PRECISION)"
    return (f"SELECT MAX(run_date) AS latest_day, MAX(finished_at) AS last_success_at,\n"
            f"  {age} AS age_hours, {limit} AS max_age_hours,\n"
            f"  CASE WHEN MAX(finished_at) IS NULL OR {age} > {limit} THEN TRUE ELSE FALSE END"
            f" AS is_stale\n"
            f"FROM {schema}.{TABLE}\n"
            f"WHERE stage = {literal(RUN, 'stage')} AND outcome = 'ok' AND kind = 'daily'")


def load(wh: "Warehouse", schema: str, rows: pd.DataFrame, *, max_age_hours: float) -> int:
    """Replace the attempts of ``rows`` in ``<schema>.pipeline_runs`` in one transaction (the
    table and the freshness view made when missing); returns the rows inserted."""
    cols = list(PIPELINE_RUNS.columns)
    types = [VARCHAR_PARAMETER if t == "str" else _sql_type(c, t)
             for c, t in PIPELINE_RUNS.columns.items()]
    table = f"{schema}.{TABLE}"
    ddl = ",\n  ".join(f"{c} {_sql_type(c, t)}" + ("" if c in PIPELINE_RUNS.nullable
                                                   else " NOT NULL")
                       for c, t in PIPELINE_RUNS.columns.items())
    view = wh.dialect.create_view(f"{schema}.{FRESHNESS_VIEW}",
                                  freshness_sql(schema, wh.dialect.name, max_age_hours))
    records = [[_fit(v, c) for c, v in zip(cols, r)] for r in rows[cols].itertuples(index=False)]
    attempts = sorted({(r[0], int(r[1])) for r in records})
    with wh.transaction(f"load of {table}") as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (\n  {ddl}\n)")
        for day, number in attempts:
            cur.execute(f"DELETE FROM {table} WHERE run_date = CAST(%s AS DATE) AND attempt = %s",
                        (day, number))
        if records:
            cur.execute(insert_sql(table, cols, types, len(records)),
                        [v for r in records for v in r])
        cur.execute(f"DROP VIEW IF EXISTS {schema}.{FRESHNESS_VIEW}")
        cur.execute(view)
    return len(records)
