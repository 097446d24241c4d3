"""Gold's compact history: what the report and the client notebook read instead of every day.

The dated gold CSVs stay what they are (one file a day, loaded into the warehouse, which keeps
the full history for Power BI). Beside them the gold stage keeps three compact forms, each
written as the days are built, so that reading them costs the same at day 1,095 as at day 30:

``gold/seat_daily_summary.parquet``
    One row per day with gold: the capacity row and the number of rows per status
    (``n_active`` … ``n_unmatched``). The report's trend charts, forecast, key figures and
    missing days come from it (about 100 bytes a day).
``gold/seat_status_since/snapshot_date=<day>/part.parquet``
    "In this status since", carried forward: for every (client, workspace) key seen up to the
    day, its latest status, the first day of its current run of that status (``since``), and
    whether that run goes back to the first day of the history (``since_open``, shown "≤").
    A day's state is a function of the latest earlier day's state and the day's gold rows only.
``gold/seat_status_by_client/client_bucket=<NN>/month=<YYYY-MM>/part.parquet``
    The gold rows with a client id, Hive-partitioned by ``client_id % BUCKETS`` and month, so one
    client's history is read from one bucket (a few dozen files) with a predicate, locally or
    on S3. Building a day rewrites that day's month in each bucket (at most 31 days).

Back-fills: rebuilding day D replaces D in the summary and the by-client month, and replaces
D's since-state; every later day's state depends on D's, so the later states are recomputed in
order until one comes out equal to the stored one (from there on nothing changes). A lake built
before these forms existed gets them from its gold CSVs once (:func:`ensure`).
"""

from __future__ import annotations

import io
import logging
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES, Contract, coerce, fill_added
from ..systems.lake import Lake, days_in, gold_key

log = logging.getLogger(__name__)

SUMMARY_KEY = "gold/seat_daily_summary.parquet"
SINCE_PREFIX = "gold/seat_status_since/"
BY_CLIENT_PREFIX = "gold/seat_status_by_client/"
#: Buckets of the by-client store: ``client_id % BUCKETS``.
BUCKETS = 16
#: Rows per status, and clients per client status (docs/seats.md: counts of clients).
COUNT_COLUMNS = tuple(f"n_{s}" for s in STATUSES)
CLIENT_COUNT_COLUMNS = tuple(f"clients_{s}" for s in STATUSES)
#: The summary's contract: the capacity row and the counts, one of each per status of
#: :mod:`seatlib.core.statuses`. A column added later (a new capacity figure, a new status) is
#: ``added``: a summary written before it reads it as its default (a status that did not exist
#: counted no row: 0; its clients: empty), so an existing lake keeps working.
SUMMARY = Contract(
    "seat_daily_summary",
    {**GOLD_CAPACITY.columns, **{c: "int" for c in COUNT_COLUMNS + CLIENT_COUNT_COLUMNS}},
    key=("snapshot_date",),
    nullable=GOLD_CAPACITY.nullable | frozenset(COUNT_COLUMNS + CLIENT_COUNT_COLUMNS),
    added=GOLD_CAPACITY.added | frozenset(COUNT_COLUMNS + CLIENT_COUNT_COLUMNS),
    defaults={**GOLD_CAPACITY.defaults, **{c: "0" for c in COUNT_COLUMNS}},
)
SINCE_COLUMNS = ("client_id", "workspace_id", "status", "since", "since_open", "last_seen")


def since_key(day: date) -> str:
    return f"{SINCE_PREFIX}snapshot_date={day.isoformat()}/part.parquet"


def by_client_key(bucket: int, month: str) -> str:
    return f"{BY_CLIENT_PREFIX}client_bucket={bucket:02d}/month={month}/part.parquet"


def row_key(df: pd.DataFrame) -> pd.Series:
    """The (client, workspace) key of gold rows as one text: ``"1234|ws-id"``, ``"|ws"``, ``"12|"``."""
    return (df["client_id"].astype("string").fillna("") + "|"
            + df["workspace_id"].astype("string").fillna(""))


# -- parquet bytes -------------------------------------------------------------------------------

def _to_parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf, compression="zstd")
    return buf.getvalue()


def _read(lake: Lake, key: str, filters=None, columns=None) -> pd.DataFrame:
    table = pq.read_table(io.BytesIO(lake.read_bytes(key)), filters=filters, columns=columns)
    return table.to_pandas(types_mapper=pd.ArrowDtype).pipe(_pandas_types)


def _pandas_types(df: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in df.columns:
        s = df[col]
        kind = str(s.dtype)
        if kind.startswith("date32"):
            out[col] = s
        elif "timestamp" in kind:
            out[col] = s.astype("datetime64[us, UTC]")
        elif kind.startswith("int"):
            out[col] = s.astype("Int64")
        elif kind.startswith("bool"):
            out[col] = s.astype("boolean")
        elif kind.startswith("double"):
            out[col] = s.astype("Float64")
        else:
            out[col] = s.astype("string")
    return pd.DataFrame(out, index=df.index)


# -- the daily summary ---------------------------------------------------------------------------

def summary_row(status: pd.DataFrame, capacity: pd.DataFrame) -> pd.DataFrame:
    """One day's summary row: the capacity row, the rows per status and the clients per
    client status (empty for a gold day from before ``client_status``)."""
    counts = status["status"].value_counts()
    row = capacity.reset_index(drop=True).copy()
    for s, col in zip(STATUSES, COUNT_COLUMNS):
        row[col] = pd.array([int(counts.get(s, 0))], dtype="Int64")
    if "client_status" in status and status["client_status"].notna().any():
        clients = _client_counts(status)
        for s, col in zip(STATUSES, CLIENT_COUNT_COLUMNS):
            row[col] = pd.array([int(clients.get(s, 0))], dtype="Int64")
    else:
        for col in CLIENT_COUNT_COLUMNS:
            row[col] = pd.array([pd.NA], dtype="Int64")
    return row


def _client_counts(status: pd.DataFrame) -> pd.Series:
    """Clients per client status: each client once; rows without a client id are unmatched
    workspaces and count one each."""
    known = status.dropna(subset=["client_id"]).drop_duplicates("client_id")
    counts = known["client_status"].value_counts()
    orphans = int(status["client_id"].isna().sum())
    return counts.add(pd.Series({"unmatched": orphans}), fill_value=0).astype(int)


def read_summary(lake: Lake, until: date | None = None) -> pd.DataFrame:
    """The summary rows up to ``until`` (inclusive), oldest first; empty when there is none."""
    if not lake.exists(SUMMARY_KEY):
        return _empty_summary()
    df = _read(lake, SUMMARY_KEY)
    df = coerce(fill_added(df, SUMMARY)[SUMMARY.names], SUMMARY, lake.uri(SUMMARY_KEY))
    if until is not None:
        df = df[df["snapshot_date"] <= until]
    return df.sort_values("snapshot_date", kind="stable").reset_index(drop=True)


def _empty_summary() -> pd.DataFrame:
    return coerce(pd.DataFrame(columns=SUMMARY.names), SUMMARY, SUMMARY_KEY)


def _write_summary(lake: Lake, summary: pd.DataFrame) -> None:
    lake.write_bytes(SUMMARY_KEY, _to_parquet(
        summary.sort_values("snapshot_date", kind="stable").reset_index(drop=True)))


def put_summary(lake: Lake, day: date, status: pd.DataFrame, capacity: pd.DataFrame) -> None:
    """Replace ``day``'s row of the summary."""
    old = read_summary(lake)
    new = summary_row(status, capacity)
    new = coerce(new[SUMMARY.names], SUMMARY, SUMMARY_KEY)
    _write_summary(lake, pd.concat([old[old["snapshot_date"] != day], new], ignore_index=True))


# -- time in status, carried forward -------------------------------------------------------------

def step_since(prev: pd.DataFrame | None, status: pd.DataFrame, day: date) -> pd.DataFrame:
    """The since-state of ``day`` from the latest earlier day's state (None: first day) and
    ``day``'s gold rows. Keys absent today keep their state, so a client missing for a day and
    back in the same status continues its run (as a scan of its own rows would)."""
    today = status[["client_id", "workspace_id", "status"]].reset_index(drop=True).copy()
    today["last_seen"] = pd.array([day] * len(today), dtype=GOLD_STATUS_DATE)
    if prev is None or prev.empty:
        today["since"] = today["last_seen"]
        today["since_open"] = pd.array([True] * len(today), dtype="boolean")
        return _since_frame(today)
    key, pkey = row_key(today), row_key(prev)
    p = prev.set_index(pkey.to_numpy())
    same = (key.map(p["status"]).astype("string") == today["status"]).fillna(False)
    same = same.astype(bool).to_numpy()
    carried_since = key.map(p["since"].astype(object)).to_numpy(dtype=object)
    carried_open = key.map(p["since_open"].astype(bool)).fillna(False).astype(bool).to_numpy()
    today["since"] = pd.array(_pick(same, carried_since, day), dtype=GOLD_STATUS_DATE)
    today["since_open"] = pd.array(same & carried_open, dtype="boolean")
    kept = prev[~pkey.isin(set(key)).to_numpy()]
    return _since_frame(pd.concat([today, kept], ignore_index=True))


def _pick(same, carried, day: date):
    """``carried`` where ``same``, else ``day`` (numpy, no row loop)."""
    out = np.full(len(same), day, dtype=object)
    out[same] = carried[same]
    return out


GOLD_STATUS_DATE = "date32[pyarrow]"


def _since_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df[list(SINCE_COLUMNS)].astype({
        "client_id": "Int64", "workspace_id": "string", "status": "string",
        "since": GOLD_STATUS_DATE, "since_open": "boolean", "last_seen": GOLD_STATUS_DATE})
    return out.sort_values(["client_id", "workspace_id"], na_position="last",
                           kind="stable").reset_index(drop=True)


def read_since(lake: Lake, day: date) -> pd.DataFrame | None:
    key = since_key(day)
    return _since_frame(_read(lake, key)) if lake.exists(key) else None


def since_text(state: pd.DataFrame) -> pd.Series:
    """"2026-10-11", or "≤ 2026-10-02" where the run goes back to the history's first day,
    indexed by :func:`row_key`."""
    text = state["since"].astype("string")
    text = text.where(~state["since_open"].fillna(False).astype(bool), "≤ " + text)
    return pd.Series(text.to_numpy(), index=row_key(state).to_numpy())


def put_since(lake: Lake, day: date, status: pd.DataFrame, days: list[date]) -> None:
    """Write ``day``'s since-state and bring every later day's state in line with it.

    ``days``: the days with gold, ``day`` included (from the summary).
    """
    earlier = [d for d in days if d < day]
    prev = _state_before(lake, earlier)
    state = step_since(prev, status, day)
    lake.write_bytes(since_key(day), _to_parquet(state))
    for later in (d for d in days if d > day):  # a back-fill: carry the change forward
        rows = read_status_keys(lake, later)
        new = step_since(state, rows, later)
        old = read_since(lake, later)
        if old is not None and old.equals(new):
            break  # the chain is a function of the state: nothing later changes
        lake.write_bytes(since_key(later), _to_parquet(new))
        state = new


def compute_since(lake: Lake, day: date, status: pd.DataFrame, days: list[date]
                  ) -> pd.DataFrame:
    """``day``'s since-state as :func:`put_since` would write it, computed and not written (a
    reader of a lake whose gold predates the since-state: the state is gold's to keep)."""
    earlier = [d for d in days if d < day]
    state = read_since(lake, earlier[-1]) if earlier else None
    if earlier and state is None:
        for d in earlier:
            state = step_since(state, read_status_keys(lake, d), d)
    return step_since(state, status, day)


def _state_before(lake: Lake, earlier: list[date]) -> pd.DataFrame | None:
    """The latest earlier day's state, building the chain from the first day where it is
    missing (a lake from before the compact history)."""
    if not earlier:
        return None
    state = read_since(lake, earlier[-1])
    if state is not None:
        return state
    log.info("gold: building the carried-forward status history from %d gold day(s), once",
             len(earlier))
    state = None
    for d in earlier:
        state = step_since(state, read_status_keys(lake, d), d)
        lake.write_bytes(since_key(d), _to_parquet(state))
    return state


def read_status_keys(lake: Lake, day: date) -> pd.DataFrame:
    """The key and status columns of one day's gold CSV."""
    df = lake.read_csv(gold_key(GOLD_STATUS.name, day), dtype=str, keep_default_na=False,
                       usecols=["client_id", "workspace_id", "status"])
    df = df.replace("", pd.NA)
    return df.astype({"client_id": "Int64", "workspace_id": "string", "status": "string"})


# -- one client's rows ---------------------------------------------------------------------------

def _arrow_rows(status: pd.DataFrame) -> tuple[pa.Table, np.ndarray]:
    """The gold rows with a client id as an Arrow table, and each row's bucket."""
    rows = status[status["client_id"].notna()]
    bucket = (rows["client_id"].astype("int64") % BUCKETS).to_numpy()
    return pa.Table.from_pandas(rows[list(GOLD_STATUS.names)], preserve_index=False), bucket


def _aligned(old: pa.Table, schema: pa.Schema) -> pa.Table:
    """``old`` in ``schema``: a month written before a column was added gets it empty."""
    columns = [old[f.name].cast(f.type) if f.name in old.column_names
               else pa.nulls(old.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _write_bucket(lake: Lake, key: str, table: pa.Table) -> None:
    table = table.sort_by([("client_id", "ascending"), ("snapshot_date", "ascending"),
                           ("workspace_id", "ascending")])
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    lake.write_bytes(key, buf.getvalue())


def put_by_client(lake: Lake, day: date, status: pd.DataFrame) -> None:
    """Replace ``day``'s rows in its month of every bucket (Arrow tables: no per-row Python)."""
    month = day.isoformat()[:7]
    table, bucket = _arrow_rows(status)
    for b in range(BUCKETS):
        key = by_client_key(b, month)
        part = table.filter(pa.array(bucket == b))
        if lake.exists(key):
            old = pq.read_table(io.BytesIO(lake.read_bytes(key)))
            old = old.filter(pc.not_equal(old["snapshot_date"], pa.scalar(day, pa.date32())))
            part = pa.concat_tables([_aligned(old, part.schema), part])
        elif part.num_rows == 0:
            continue
        _write_bucket(lake, key, part)


def _put_months(lake: Lake, frames: list[pd.DataFrame], month: str) -> None:
    """Write a whole month of every bucket at once (the one-time build)."""
    table, bucket = _arrow_rows(pd.concat(frames, ignore_index=True))
    for b in range(BUCKETS):
        part = table.filter(pa.array(bucket == b))
        if part.num_rows:
            _write_bucket(lake, by_client_key(b, month), part)


def read_client(lake: Lake, client_id: int) -> pd.DataFrame:
    """One client's gold rows over every day, oldest first: one bucket's months, by predicate."""
    prefix = f"{BY_CLIENT_PREFIX}client_bucket={int(client_id) % BUCKETS:02d}/"
    frames = [_read(lake, key, filters=[("client_id", "==", int(client_id))])
              for key in lake.list(prefix) if key.endswith(".parquet")]
    frames = [fill_added(f, GOLD_STATUS) for f in frames if len(f)]
    if not frames:
        return coerce(pd.DataFrame(columns=GOLD_STATUS.names), GOLD_STATUS, prefix)
    rows = coerce(pd.concat([f[GOLD_STATUS.names] for f in frames], ignore_index=True),
                  GOLD_STATUS, lake.uri(prefix))
    return rows.sort_values(["snapshot_date", "workspace_id"], kind="stable").reset_index(drop=True)


# -- the day's write, and the one-time build ----------------------------------------------------

def put_day(lake: Lake, day: date, status: pd.DataFrame, capacity: pd.DataFrame
            ) -> list[date]:
    """Keep every compact form in line with ``day``'s gold (called before its CSVs are written);
    returns the days the summary now holds, oldest first."""
    ensure(lake, exclude=day)
    put_summary(lake, day, status, capacity)
    put_by_client(lake, day, status)
    days = list(read_summary(lake)["snapshot_date"])
    put_since(lake, day, status, days)
    return days


def ensure(lake: Lake, exclude: date | None = None) -> None:
    """Build the summary and the by-client store from the gold CSVs when the lake has no
    summary yet (a lake from before the compact history); a no-op afterwards."""
    if lake.exists(SUMMARY_KEY):
        return
    days = [d for d in days_in(lake, f"gold/{GOLD_STATUS.name}/") if d != exclude]
    if not days:
        return
    log.info("gold: building the compact history from %d gold day(s), once", len(days))
    rows, month, frames = [], None, []
    for d in days:
        status = _read_gold(lake, GOLD_STATUS, d)
        rows.append(summary_row(status, _read_gold(lake, GOLD_CAPACITY, d)))
        if frames and d.isoformat()[:7] != month:
            _put_months(lake, frames, month)
            frames = []
        month = d.isoformat()[:7]
        frames.append(status)
    _put_months(lake, frames, month)
    _write_summary(lake, pd.concat(rows, ignore_index=True))


def _read_gold(lake: Lake, contract, day: date) -> pd.DataFrame:
    key = gold_key(contract.name, day)
    df = lake.read_csv(key, dtype=str, keep_default_na=False)
    return coerce(fill_added(df, contract), contract, lake.uri(key))
