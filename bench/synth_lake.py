"""A synthetic lake of N clients and D days, deterministic from a seed, for the history benchmark.

What it writes (the layout of :mod:`seatlib.lake` and :mod:`seatlib.gold_history`):

* gold for every day: ``gold/seat_status/<day>.csv`` (N rows), ``gold/seat_capacity/<day>.csv``,
  the daily summary, the by-client Parquet (one file per bucket and month, written directly)
  and the carried-forward since-state of the last synthetic day;
* bronze and silver for the last two days, built from a client model and run through the real
  ``silver.run`` and ``gold.run`` (no stage reads older bronze or silver: silver and gold read
  their day, the guards and the report's quality panel the day before);
* the warehouse (optional ``--dsn``): every gold day loaded with ``COPY`` (the load stage
  compares with the warehouse's day before and replaces a day; Power BI reads it all).

The model: each client keeps one status and changes it with probability ``CHANGE`` a day (to a
status drawn from ``MIX``); a status fixes the module, the seat and the idle days. Vectorised
with numpy and pyarrow: a (days x clients) int8 matrix of statuses, one Arrow table a day.

Run from the repository root::

    .venv/bin/python bench/synth_lake.py --clients 5000 --days 1095 --lake /tmp/lake [--dsn ...]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from seatlib import gold_history  # noqa: E402
from seatlib.contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES  # noqa: E402
from seatlib.lake import Lake, bronze_key, gold_key  # noqa: E402

#: Share of clients in each status on the first day, and of the statuses they change to.
MIX = {"active": 0.62, "inactive": 0.10, "seat_held_by_ex_client": 0.07,
       "paying_without_user": 0.04, "released": 0.15, "unmatched": 0.02}
CHANGE = 0.004  # a client changes status about every 250 days
STAFF = 5  # active users who administer no workspace
HELD = np.array([s in ("active", "inactive", "seat_held_by_ex_client", "unmatched")
                 for s in STATUSES])
MODULE = np.array([s in ("active", "inactive", "paying_without_user") for s in STATUSES])
FIRST_ID = 1000


def status_matrix(clients: int, days: int, seed: int) -> np.ndarray:
    """(days, clients) status indices into STATUSES: each day a few clients change."""
    rng = np.random.default_rng(seed)
    p = np.array([MIX[s] for s in STATUSES])
    start = rng.choice(len(STATUSES), size=clients, p=p).astype(np.int8)
    changed = rng.random((days, clients)) < CHANGE
    changed[0] = True
    values = rng.choice(len(STATUSES), size=(days, clients), p=p).astype(np.int8)
    values[0] = start
    idx = np.where(changed, np.arange(days)[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    return np.take_along_axis(values, idx, axis=0), idx


class Clients:
    """The static columns of every client, as Arrow arrays built once."""

    def __init__(self, n: int, start: date):
        ids = np.arange(FIRST_ID, FIRST_ID + n, dtype=np.int64)
        self.ids = ids
        self.client_id = pa.array(ids)
        self.ws = pa.array([f"{10**14 + i}" for i in ids])
        self.name = pa.array([f"{i} - Client {i}" for i in ids])
        self.email = pa.array([f"admin@client{i}.example" for i in ids])
        created = datetime.combine(start - timedelta(days=400), datetime.min.time(), timezone.utc)
        self.created = created
        self.created_text = pa.array([created.strftime("%Y-%m-%d %H:%M:%S")] * n)
        rng = np.random.default_rng(n)
        self.recent = rng.integers(0, 20, n)  # idle days of an active client
        self.stale = rng.integers(45, 400, n)  # idle days of an inactive one


def gold_table(c: Clients, day: date, status: np.ndarray) -> pa.Table:
    """One day's gold rows as text-ready Arrow columns (the CSV the gold stage writes)."""
    held = HELD[status]
    module = MODULE[status]
    unmatched = status == STATUSES.index("unmatched")
    idle = np.where(status == STATUSES.index("inactive"), c.stale, c.recent)
    last = np.datetime64(day) - idle.astype("timedelta64[D]")
    last_text = np.datetime_as_string(last, unit="D").astype(object) + " 09:30:00"
    n = len(status)
    return pa.table({
        "snapshot_date": pa.array([day.isoformat()] * n),
        "client_id": c.client_id, "workspace_id": c.ws, "workspace_name": c.name,
        "workspace_created_at": c.created_text, "admin_email": c.email,
        "seat_held": pa.array(held), "seats_held": pa.array(held.astype(np.int64)),
        "last_access_at": pa.array(last_text), "days_since_last_access": pa.array(idle),
        "module_active": pa.array(module, mask=unmatched),
        "status": pa.array(np.array(STATUSES, dtype=object)[status]),
        "reclaimable": pa.array(status == STATUSES.index("seat_held_by_ex_client")),
    })


def capacity_row(day: date, status: np.ndarray, allocated: int) -> dict:
    counts = np.bincount(status, minlength=len(STATUSES))
    held = int(HELD[status].sum())
    used = held + STAFF
    return {"snapshot_date": day.isoformat(), "seats_allocated": allocated, "seats_used": used,
            "seats_free": allocated - used, "seats_held_by_clients": held,
            "seats_held_by_ex_clients": int(counts[STATUSES.index("seat_held_by_ex_client")]),
            "seats_held_by_inactive_clients": int(counts[STATUSES.index("inactive")]),
            "seats_held_unmatched": int(counts[STATUSES.index("unmatched")]),
            "seats_other": STAFF,
            "paying_without_user": int(counts[STATUSES.index("paying_without_user")]),
            "usage_share": round(used / allocated, 4)}


def csv_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(quoting_style="needed"))
    return buf.getvalue()


def write_gold(lake: Lake, c: Clients, days: list[date], matrix: np.ndarray, allocated: int,
               copy=None) -> None:
    """Gold CSVs, the summary and the by-client months of ``days`` (rows of ``matrix``)."""
    summary, month_parts, month = [], [], None
    for i, day in enumerate(days):
        table = gold_table(c, day, matrix[i])
        data = csv_bytes(table)
        lake.write_bytes(gold_key(GOLD_STATUS.name, day), data)
        cap = capacity_row(day, matrix[i], allocated)
        lake.write_bytes(gold_key(GOLD_CAPACITY.name, day),
                         csv_bytes(pa.Table.from_pylist([cap])))
        if copy is not None:
            copy(data, [cap])
        counts = np.bincount(matrix[i], minlength=len(STATUSES))
        summary.append({**cap, **{f"n_{s}": int(counts[k]) for k, s in enumerate(STATUSES)}})
        if month_parts and day.isoformat()[:7] != month:
            write_months(lake, c, month, month_parts)
            month_parts = []
        month = day.isoformat()[:7]
        month_parts.append((day, matrix[i]))
    write_months(lake, c, month, month_parts)
    write_summary(lake, summary)


def write_summary(lake: Lake, rows: list[dict]) -> None:
    import pandas as pd

    from seatlib.contracts import coerce

    df = pd.DataFrame(rows)
    cap = coerce(df[GOLD_CAPACITY.names], GOLD_CAPACITY, "synthetic summary")
    df = cap.join(df[list(gold_history.COUNT_COLUMNS)].astype("Int64"))
    lake.write_bytes(gold_history.SUMMARY_KEY, gold_history._to_parquet(df))


def write_months(lake: Lake, c: Clients, month: str, parts: list) -> None:
    """One Parquet file per bucket for the month, typed like the gold contract."""
    tables = []
    for day, status in parts:
        t = gold_table(c, day, status)
        tables.append(typed(t))
    table = pa.concat_tables(tables)
    bucket = (np.tile(c.ids, len(parts)) % gold_history.BUCKETS)
    for b in range(gold_history.BUCKETS):
        gold_history._write_bucket(lake, gold_history.by_client_key(b, month),
                                   table.filter(pa.array(bucket == b)))


def typed(t: pa.Table) -> pa.Table:
    """The text columns of a synthetic gold table cast to the gold contract's Arrow types."""
    ts = pa.timestamp("us", tz="UTC")
    cols = {
        "snapshot_date": t["snapshot_date"].cast(pa.date32()),
        "workspace_created_at": pa.compute.strptime(t["workspace_created_at"],
                                                    "%Y-%m-%d %H:%M:%S", "us").cast(ts),
        "last_access_at": pa.compute.strptime(t["last_access_at"], "%Y-%m-%d %H:%M:%S",
                                              "us").cast(ts),
    }
    arrays = [cols.get(name, t[name]) for name in t.column_names]
    out = pa.table(arrays, names=t.column_names)
    return out.cast(pa.schema([(f.name, pa.large_string() if f.type == pa.string() else f.type)
                               for f in out.schema]))


def write_since(lake: Lake, c: Clients, day: date, days: list[date], matrix: np.ndarray,
                since_idx: np.ndarray) -> None:
    """The since-state of ``day`` (the last synthetic day): the day of the last change."""
    import pandas as pd

    i = len(days) - 1
    first = since_idx[i]
    since = np.array(days, dtype="datetime64[D]")[first]
    state = pd.DataFrame({
        "client_id": pd.array(c.ids, dtype="Int64"),
        "workspace_id": pd.array(c.ws.to_pylist(), dtype="string"),
        "status": pd.array(np.array(STATUSES, dtype=object)[matrix[i]], dtype="string"),
        "since": pd.array(pd.to_datetime(since).date, dtype="date32[pyarrow]"),
        "since_open": pd.array(first == 0, dtype="boolean"),
        "last_seen": pd.array([day] * len(c.ids), dtype="date32[pyarrow]"),
    })
    lake.write_bytes(gold_history.since_key(day), gold_history._to_parquet(
        gold_history._since_frame(state)))


# -- bronze of the last days --------------------------------------------------------------------

def bronze(lake: Lake, c: Clients, day: date, status: np.ndarray, allocated: int) -> None:
    """The five bronze sources of ``day`` such that gold gives ``status`` for every client."""
    held = HELD[status]
    module = MODULE[status]
    unmatched = status == STATUSES.index("unmatched")
    idle = np.where(status == STATUSES.index("inactive"), c.stale, c.recent)
    n = len(status)
    ms = int(c.created.timestamp() * 1000)
    emails = c.email.to_numpy(zero_copy_only=False)
    admins = pa.table({"workspace_id": c.ws, "workspace_name": c.name,
                       "created_time_ms": pa.array([ms] * n),
                       "created_by": pa.array(["owner@reseller.example"] * n),
                       "admin_email": c.email, "admin_source": pa.array(["admins"] * n),
                       "admin_domain": pa.array([""] * n)})
    staff = [f"staff{k}@reseller.example" for k in range(STAFF)]
    users = pa.table({"email": pa.array(list(emails) + staff),
                      "active": pa.array(list(held) + [True] * STAFF),
                      "role": pa.array(["User"] * n + ["Administrator"] * STAFF),
                      "domain": pa.array([""] * (n + STAFF))})
    last = np.datetime64(day) - idle.astype("timedelta64[D]")
    access = pa.table({"workspace_name": c.name, "user_email": c.email,
                       "last_access_at": pa.array(
                           np.datetime_as_string(last, unit="D").astype(object) + "T09:30:00Z"),
                       "time_format": pa.array([""] * n)})
    used = int(held.sum()) + STAFF
    seats = pa.table({"resource_name": ["users"], "allocated": [allocated], "used": [used],
                      "remaining": [allocated - used]})
    keep = ~unmatched
    module_rows = pa.table({"client_id": c.client_id.filter(pa.array(keep)),
                            "module_active": pa.array(module[keep])})
    for source, table in (("zoho_workspace_admins", admins), ("zoho_users", users),
                          ("zoho_last_access", access), ("zoho_seats", seats),
                          ("module_status", module_rows)):
        lake.write_bytes(bronze_key(source, day), csv_bytes(table))


def build(lake_dir: str, clients: int, days: int, seed: int = 7, end: date | None = None,
          dsn: str | None = None, settings=None, log=print) -> date:
    """Build the lake; returns its last day (whose bronze and silver are there to re-run)."""
    t0 = time.perf_counter()
    end = end or date(2029, 12, 31)
    all_days = [end - timedelta(days=days - 1 - k) for k in range(days)]
    matrix, since_idx = status_matrix(clients, days, seed)
    c = Clients(clients, all_days[0])
    allocated = int(clients * 1.25) + STAFF
    lake = Lake(lake_dir)
    synthetic = all_days[:-2]
    copy = _copier(dsn, settings) if dsn else None
    write_gold(lake, c, synthetic, matrix[:-2], allocated, copy=copy)
    write_since(lake, c, synthetic[-1], synthetic, matrix[:-2], since_idx[:-2])
    log(f"synthetic gold: {clients} clients x {len(synthetic)} days in "
        f"{time.perf_counter() - t0:.1f} s")
    for i in (days - 2, days - 1):
        bronze(lake, c, all_days[i], matrix[i], allocated)
    if copy is not None:
        copy.close()
    if settings is not None:
        _run_stages(lake_dir, settings, all_days[-2:], dsn)
    log(f"lake ready in {time.perf_counter() - t0:.1f} s: {lake_dir}")
    return all_days[-1]


def _run_stages(lake_dir: str, settings, days: list[date], dsn: str | None) -> None:
    """silver, gold (and load) of the last days, in process, through the real stage code."""
    from seatlib import gold, load, silver
    from seatlib.stages import StageOptions
    from seatlib.systems import Systems

    systems = Systems.of(settings, database=_db(dsn) if dsn else None)
    for day in days:
        silver.run(day, systems, StageOptions())
        gold.run(day, systems, StageOptions())
        if dsn:
            load.run(day, systems, StageOptions())


def _db(dsn: str):
    from seatlib.config import database_settings

    return database_settings({"SEATLIB_DATABASE_URL": dsn})


class _copier:
    """COPY each synthetic gold day into the warehouse tables as it is written."""

    def __init__(self, dsn: str, settings):
        import psycopg

        from seatlib import warehouse

        with warehouse.connect(_db(dsn)) as wh:
            wh.ensure_schema(settings.warehouse_schema)
        self.schema = settings.warehouse_schema
        self.conn = psycopg.connect(dsn, autocommit=False)
        self.status_cols = ", ".join(GOLD_STATUS.names)
        self.cap_cols = ", ".join(GOLD_CAPACITY.names)

    def __call__(self, status_csv: bytes, capacity: list[dict]) -> None:
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {self.schema}.seat_status_daily ({self.status_cols}) FROM STDIN "
                          f"WITH (FORMAT csv, HEADER true)") as cp:
                cp.write(status_csv)
            with cur.copy(f"COPY {self.schema}.seat_capacity_daily ({self.cap_cols}) FROM STDIN "
                          f"WITH (FORMAT csv, HEADER true)") as cp:
                cp.write(csv_bytes(pa.Table.from_pylist(capacity)))

    def close(self) -> None:
        self.conn.commit()
        with self.conn.cursor() as cur:
            cur.execute(f"ANALYZE {self.schema}.seat_status_daily")
        self.conn.commit()
        self.conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=5000)
    p.add_argument("--days", type=int, default=1095)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--lake", required=True)
    p.add_argument("--dsn", help="warehouse DSN (postgresql://...) to fill")
    args = p.parse_args(argv)
    build(args.lake, args.clients, args.days, args.seed, dsn=args.dsn)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
