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

from . import gold
from .contracts import GOLD_CAPACITY, GOLD_STATUS
from .guards import check_load
from .lake import gold_key
from .stages import StageOptions
from .systems import Systems
from .warehouse_copy import copy_sources

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
    db = systems.database
    copy_from = None
    if lake.is_s3 and db.driver == "redshift" and db.iam_role:
        # one-file manifests and the files' own column order (docs/redshift-notes.md §1-§3)
        copy_from = copy_sources(lake, day, region=systems.settings.warehouse_s3_region)
    schema = systems.settings.warehouse_schema
    with systems.warehouse() as wh:
        wh.ensure_schema(schema)
        check_load(day, status, capacity, wh, schema, systems.settings,
                   allow_drop=options.allow_drop, where=lake.uri(gold_key(GOLD_STATUS.name, day)))
        wh.load_day(schema, day, status, capacity, copy_from=copy_from)
        n = wh.fetch_scalar(  # by position: names may come back upper-case (redshift-notes §8)
            f"SELECT COUNT(*) FROM {schema}.seat_status_daily WHERE snapshot_date = %s", (day,))
    result = LoadResult(day, len(status), len(capacity), "copy" if copy_from else "insert", int(n))
    log.info("load %s: %d status rows, %d capacity row(s) via %s; warehouse now holds %d rows "
             "for the day", day, result.status_rows, result.capacity_rows, result.method,
             result.warehouse_rows_for_day)
    return result
