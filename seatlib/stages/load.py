"""Stage 4, gold -> warehouse: replace one day of the history and capacity tables.

The warehouse module does the work in one transaction (stage, delete the day, insert); this
stage reads the day's gold files and chooses the path: ``COPY`` from S3 on Redshift when the lake
is on S3 and ``REDSHIFT_IAM_ROLE`` is set; otherwise the rows are sent through the connection
(``COPY ... FROM STDIN`` on psycopg, batched inserts on redshift_connector), reported as
``method="insert"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import pandas as pd

from . import gold
from ..core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS
from .guards import check_load, client_status_of
from ..systems.lake import gold_key
from . import StageOptions
from ..systems import Systems
from ..systems.warehouse_copy import copy_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    day: date
    status_rows: int
    capacity_rows: int
    method: str  # "copy" (from S3) or "insert" (rows sent by the driver, COPY FROM STDIN included)
    warehouse_rows_for_day: int


def run(day: date, systems: Systems, options: StageOptions = StageOptions()) -> LoadResult:
    """Load ``day`` from gold into the warehouse, replacing that day only."""
    lake = systems.lake
    status = gold.read_day(lake, GOLD_STATUS.name, day)
    capacity = gold.read_day(lake, GOLD_CAPACITY.name, day)
    ledger = (gold.read_day(lake, GOLD_LEDGER.name, day)  # none for a day from before it
              if lake.exists(gold_key(GOLD_LEDGER.name, day)) else None)
    db = systems.database
    copy_from = None
    if lake.is_s3 and db.driver == "redshift" and db.iam_role:
        # one-file manifests and the files' own column order (docs/redshift-notes.md §1-§3)
        copy_from = copy_sources(lake, day, region=systems.settings.warehouse_s3_region)
    schema = systems.settings.warehouse_schema
    with systems.warehouse() as wh:
        wh.ensure_schema(schema)
        # a gold day from before client_status is loaded as it is (the column empty, docs/seats.md);
        # its guard reads the status its rows imply
        check_load(day, _with_client_status(status, day, systems.settings.inactive_days),
                   capacity, wh, schema, systems.settings,
                   allow_drop=options.allow_drop, where=lake.uri(gold_key(GOLD_STATUS.name, day)),
                   before=previous_client_status(wh, schema, day, systems.settings.inactive_days))
        wh.load_day(schema, day, status, capacity, ledger, copy_from=copy_from)
        n = wh.fetch_scalar(  # by position: names may come back upper-case (redshift-notes §8)
            f"SELECT COUNT(*) FROM {schema}.seat_status_daily WHERE snapshot_date = %s", (day,))
    result = LoadResult(day, len(status), len(capacity), "copy" if copy_from else "insert", int(n))
    log.info("load %s: %d status rows, %d capacity row(s) via %s; warehouse now holds %d rows "
             "for the day", day, result.status_rows, result.capacity_rows, result.method,
             result.warehouse_rows_for_day)
    return result


def _with_client_status(status: pd.DataFrame, day: date, inactive_days: int) -> pd.DataFrame:
    """Gold rows with ``client_status`` (a day from before the column gets it from its rows)."""
    if status["client_status"].notna().all() or status.empty:
        return status
    missing = status["client_status"].isna()
    derived = gold.client_statuses(status, day, inactive_days)
    return status.assign(client_status=status["client_status"].where(~missing, derived))


def previous_client_status(wh, schema: str, day: date, inactive_days: int
                           ) -> pd.DataFrame | None:
    """By client id, the client status and module on the warehouse's latest day before ``day``
    (None when it has none): what the load's change guard compares the day with."""
    cols = ("snapshot_date, client_id, workspace_id, workspace_created_at, seat_held, "
            "days_since_last_access, module_active, status, client_status")
    rows = wh.fetch_frame(
        f"SELECT {cols} FROM {schema}.seat_status_daily WHERE snapshot_date = "
        f"(SELECT MAX(snapshot_date) FROM {schema}.seat_status_daily WHERE snapshot_date < %s)",
        (day,))
    if rows.empty:
        return None
    earlier = pd.Timestamp(rows["snapshot_date"].iloc[0]).date()
    typed = rows.assign(
        client_id=pd.to_numeric(rows["client_id"]).astype("Int64"),
        workspace_created_at=pd.to_datetime(rows["workspace_created_at"], utc=True),
        days_since_last_access=pd.to_numeric(rows["days_since_last_access"]).astype("Int64"),
        seat_held=rows["seat_held"].astype("boolean"),
        module_active=rows["module_active"].astype("boolean"),
        status=rows["status"].astype("string"), client_status=rows["client_status"].astype("string"))
    return client_status_of(_with_client_status(typed, earlier, inactive_days))
