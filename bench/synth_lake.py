"""A synthetic lake of N clients and D days, deterministic from a seed, for the history benchmark.

What it writes (the layout of :mod:`seatlib.systems.lake` and :mod:`seatlib.stages.gold_history`):

* gold for every day: ``gold/seat_status/<day>.csv`` (N rows), ``gold/seat_capacity/<day>.csv``,
  the daily summary, the by-client Parquet (one file per bucket and month, written directly)
  and the carried-forward since-state of the last synthetic day;
* bronze and silver for the last two days, built from a client model and run through the real
  ``silver.run`` and ``gold.run`` (no stage reads older bronze or silver: silver and gold read
  their day, the guards and the report's quality panel the day before);
* the warehouse (optional ``--dsn``): every gold day loaded with ``COPY`` (the load stage
  compares with the warehouse's day before and replaces a day; Power BI reads it all).

What the extract of the last day reads, from the same client model (:func:`last_day`): a
:class:`seatlib.sim.state.ZohoState` (one workspace per client with its admin, the audit
workspace, the users with their active flags, the Access Log, the seat counter) and the
company's ``app.clients`` rows. Extracting that day from them writes the bronze written here,
byte for byte: the bronze is written as the extract writes it (the read-only seat line Zoho
also answers, the Access Log's declared date format, the audit workspace's row without admins,
and ``admins_fetched_on`` as the incremental admins extract of :mod:`seatlib.stages.admins` leaves
it: each workspace's last slot in the rolling refresh; the model's admins change only their active
flag, which does not make the extract ask again). The bronze of
the day before is what that incremental extract starts from (the known admins and users).

The model: each client keeps one status and changes it with probability ``CHANGE`` a day (to a
status drawn from ``MIX``); a status fixes the module, the seat and the idle days. Vectorised
with numpy and pyarrow: a (days x clients) int8 matrix of statuses, one Arrow table a day.

Run from the repository root::

    .venv/bin/python bench/synth_lake.py --clients 5000 --days 1095 --lake /tmp/lake [--dsn ...]
        [--end 2026-11-29]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from seatlib.stages import admins, gold_history  # noqa: E402
from seatlib.core.config import ZohoSettings  # noqa: E402
from seatlib.core.contracts import BRONZE, GOLD_CAPACITY, GOLD_STATUS, STATUSES  # noqa: E402
from seatlib.systems.lake import Lake, bronze_key, gold_key  # noqa: E402
from seatlib.sim.protocol import AUDIT_WORKSPACE  # noqa: E402
from seatlib.sim.state import AccessRow, SimUser, SimWorkspace, ZohoState  # noqa: E402

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
        # one workspace a client, one admin a workspace: the client's status is the row's, and
        # an ex-client's admin serves nobody else (docs/seats.md)
        "client_status": pa.array(np.array(STATUSES, dtype=object)[status]),
        "seats_reclaimable": pa.array((status == STATUSES.index("seat_held_by_ex_client"))
                                      .astype(np.int64)),
        "admin_shared": pa.array(np.zeros(n, dtype=bool)),
        "shared_with": pa.nulls(n, pa.string()), "note": pa.nulls(n, pa.string()),
    })


def capacity_row(day: date, status: np.ndarray, allocated: int) -> dict:
    counts = np.bincount(status, minlength=len(STATUSES))
    held = int(HELD[status].sum())
    used = held + STAFF
    n = {s: int(counts[STATUSES.index(s)]) for s in STATUSES}
    return {"snapshot_date": day.isoformat(), "seats_allocated": allocated, "seats_used": used,
            "seats_free": allocated - used,
            "seats_held_by_clients": n["active"] + n["inactive"],  # the ledger's categories
            "seats_held_by_ex_clients": n["seat_held_by_ex_client"],
            "seats_held_by_inactive_clients": n["inactive"],
            "seats_held_unmatched": n["unmatched"],
            "seats_other": STAFF,
            "paying_without_user": n["paying_without_user"],
            "usage_share": round(used / allocated, 4),
            "seat_users": used, "seats_staff": STAFF, "seats_no_workspace": 0,
            "seats_shared": 0, "seats_counter_gap": 0, "access_future": 0,
            "access_without_address": 0, "access_ambiguous": 0, "overrides": None}


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
        summary.append({**cap, **{f"n_{s}": int(counts[k]) for k, s in enumerate(STATUSES)},
                        **{f"clients_{s}": int(counts[k]) for k, s in enumerate(STATUSES)}})
        if month_parts and day.isoformat()[:7] != month:
            write_months(lake, c, month, month_parts)
            month_parts = []
        month = day.isoformat()[:7]
        month_parts.append((day, matrix[i]))
    write_months(lake, c, month, month_parts)
    write_summary(lake, summary)


def write_summary(lake: Lake, rows: list[dict]) -> None:
    from seatlib.core.contracts import coerce

    df = coerce(pd.DataFrame(rows)[gold_history.SUMMARY.names], gold_history.SUMMARY,
                "synthetic summary")
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


# -- the sources of the last days: their bronze, and the Zoho and company data behind it --------

OWNER = "owner@reseller.example"  # creator of every workspace (not a user: holds no seat)
ORG_ID = "700000001"
AUDIT_ID = str(10**14)  # the audit workspace's id, below every client workspace's
RO_SEATS = 100  # GET /resources also answers the read-only seats (roUsers), none used
ACCESS_FORMAT = "yyyy-MM-dd HH:mm:ss"  # the Access Log's declared dateFormat (ZohoState default)
ACCESS_TIME = "09:30:00"  # every logged access is at this time of day (UTC)


@dataclass
class DaySources:
    """What Zoho and the company database say on ``day``, one array entry per client."""

    day: date
    held: np.ndarray  # the client's admin is an active user (holds a seat)
    module: np.ndarray  # the company database says the module is active
    unmatched: np.ndarray  # the client is missing from the module query's answer
    last: np.ndarray  # datetime64[D]: the day of the admin's latest access
    fetched: np.ndarray  # datetime64[D]: when the incremental extract last asked for the admins
    audit_fetched: np.datetime64  # the same for the audit workspace


def day_sources(c: Clients, day: date, status: np.ndarray,
                refresh_days: int = ZohoSettings.admins_refresh_days) -> DaySources:
    """The sources of ``day`` such that gold gives ``status`` for every client."""
    idle = np.where(status == STATUSES.index("inactive"), c.stale, c.recent)
    fetched = fetched_on([str(w) for w in c.ws.to_pylist()], day, refresh_days)
    return DaySources(day, HELD[status], MODULE[status], status == STATUSES.index("unmatched"),
                      np.datetime64(day) - idle.astype("timedelta64[D]"), fetched,
                      fetched_on([AUDIT_ID], day, refresh_days)[0])


def fetched_on(ids: list[str], day: date, refresh_days: int) -> np.ndarray:
    """The latest day up to ``day`` on which each workspace was due in the rolling refresh of
    :mod:`seatlib.stages.admins` (its fixed slot in every cycle of ``refresh_days``)."""
    if refresh_days <= 0:  # every workspace is asked every day
        return np.full(len(ids), np.datetime64(day))
    back = [(day.toordinal() - admins.slot(i, refresh_days)) % refresh_days for i in ids]
    return np.datetime64(day) - np.array(back, dtype="timedelta64[D]")


def bronze_frames(c: Clients, s: DaySources, allocated: int) -> dict[str, pd.DataFrame]:
    """The five bronze sources of ``s.day`` as the extract writes them (text columns)."""
    n, ms = len(s.held), str(int(c.created.timestamp() * 1000))
    emails = c.email.to_pylist()
    staff = [f"staff{k}@reseller.example" for k in range(STAFF)]
    admins_rows = pd.DataFrame({
        "workspace_id": [AUDIT_ID] + c.ws.to_pylist(),
        "workspace_name": [AUDIT_WORKSPACE] + c.name.to_pylist(),
        "created_time_ms": [ms] * (n + 1), "created_by": [OWNER] * (n + 1),
        "admin_email": [""] + emails, "admin_source": ["none"] + ["admins"] * n,
        "admin_domain": [""] * (n + 1),
        "admins_fetched_on": np.datetime_as_string(np.concatenate(
            [[s.audit_fetched], s.fetched]), unit="D")})
    users = pd.DataFrame({"email": emails + staff,
                          "active": np.where(s.held, "true", "false").tolist() + ["true"] * STAFF,
                          "role": ["User"] * n + ["Administrator"] * STAFF,
                          "domain": [""] * (n + STAFF)})
    used = int(s.held.sum()) + STAFF
    seats = pd.DataFrame({"resource_name": ["roUsers", "users"],
                          "allocated": [str(RO_SEATS), str(allocated)], "used": ["0", str(used)],
                          "remaining": [str(RO_SEATS), str(max(allocated - used, 0))]})
    access = pd.DataFrame({"workspace_name": c.name.to_pylist(), "user_email": emails,
                           "last_access_at": np.char.add(np.datetime_as_string(s.last, unit="D"),
                                                         " " + ACCESS_TIME),
                           "time_format": [ACCESS_FORMAT] * n,
                           "future_accesses": ["0"] * n})  # no clock error in the model
    keep = ~s.unmatched
    module_rows = pd.DataFrame({"client_id": c.ids[keep].astype(str),
                                "module_active": np.where(s.module[keep], "true", "false")})
    return {"zoho_workspace_admins": admins_rows, "zoho_users": users, "zoho_seats": seats,
            "zoho_last_access": access, "module_status": module_rows}


def bronze(lake: Lake, c: Clients, s: DaySources, allocated: int) -> None:
    """Write the bronze of ``s.day`` the way the extract does (same order, same bytes)."""
    from seatlib.stages.extract import in_key_order

    for source, df in bronze_frames(c, s, allocated).items():
        lake.write_csv(bronze_key(source, s.day), in_key_order(df.astype("string"), BRONZE[source]))


def zoho_state(c: Clients, s: DaySources, allocated: int) -> ZohoState:
    """What Zoho serves on ``s.day``: one workspace per client (its admin also listed as a
    "Workspace Admin" user), the audit workspace, the users, the Access Log, the seats."""
    ms = int(c.created.timestamp() * 1000)
    emails, names = c.email.to_pylist(), c.name.to_pylist()
    audit = SimWorkspace(AUDIT_ID, AUDIT_WORKSPACE, ms, OWNER,
                         users=((OWNER, "Account Admin", True),))
    workspaces = (audit,) + tuple(
        SimWorkspace(ws, name, ms, OWNER, admins=(email,),
                     users=((email, "Workspace Admin", bool(held)),))
        for ws, name, email, held in zip(c.ws.to_pylist(), names, emails, s.held))
    users = tuple(SimUser(e, bool(h)) for e, h in zip(emails, s.held)) + tuple(
        SimUser(f"staff{k}@reseller.example", True, "Administrator") for k in range(STAFF))
    access_time = datetime.strptime(ACCESS_TIME, "%H:%M:%S").time()
    access = tuple(AccessRow(datetime.combine(day.astype(date), access_time, timezone.utc),
                             email, name) for day, email, name in zip(s.last, emails, names))
    return ZohoState(org_id=ORG_ID, org_name="Synthetic reseller",
                     as_of=datetime.combine(s.day, datetime.max.time(), timezone.utc),
                     owner_email=OWNER, workspaces=workspaces, users=users,
                     seats_allocated=allocated, ro_seats_allocated=RO_SEATS, access_log=access,
                     access_time_format=ACCESS_FORMAT)


def company_rows(c: Clients, s: DaySources) -> list[dict]:
    """The company's ``app.clients`` rows (as :func:`seatlib.run.demo.seed_company` takes them): a
    client missing from the module query (``bi_module_since`` empty) is unmatched in gold."""
    since = c.created.date()
    return [{"client_id": int(i), "name": f"Client {i}", "bi_module_active": bool(m),
             "bi_module_since": None if u else since}
            for i, m, u in zip(c.ids, s.module, s.unmatched)]


@dataclass
class Model:
    """The synthetic calendar and the statuses of every client on every day."""

    days: list[date]
    matrix: np.ndarray  # (days, clients) status indices
    since_idx: np.ndarray
    clients: Clients
    allocated: int

    def sources(self, i: int, refresh_days: int = ZohoSettings.admins_refresh_days
                ) -> DaySources:
        return day_sources(self.clients, self.days[i], self.matrix[i], refresh_days)

    def counts(self, i: int) -> dict[str, int]:
        """How many clients gold must give each status on day ``i``."""
        counts = np.bincount(self.matrix[i], minlength=len(STATUSES))
        return {s: int(counts[k]) for k, s in enumerate(STATUSES)}


def model(clients: int, days: int, seed: int = 7, end: date | None = None) -> Model:
    end = end or date(2029, 12, 31)
    all_days = [end - timedelta(days=days - 1 - k) for k in range(days)]
    matrix, since_idx = status_matrix(clients, days, seed)
    return Model(all_days, matrix, since_idx, Clients(clients, all_days[0]),
                 int(clients * 1.25) + STAFF)


@dataclass
class LastDay:
    """What the extract of the lake's last day reads, and what gold must then say."""

    day: date
    state: ZohoState  # serve it with seatlib.sim.server.ZohoSimulator
    company: list[dict]  # app.clients rows for seatlib.run.demo.seed_company
    counts: dict[str, int]  # status -> clients, in gold of that day
    seats_used: int


def last_day(clients: int, days: int, seed: int = 7, end: date | None = None,
             refresh_days: int = ZohoSettings.admins_refresh_days) -> LastDay:
    """The Zoho state and company table of the last day of :func:`build`'s lake (same
    arguments), from the same client model as its bronze: extracting that day from them writes
    the bronze :func:`build` wrote."""
    m = model(clients, days, seed, end)
    s = m.sources(days - 1, refresh_days)
    return LastDay(m.days[-1], zoho_state(m.clients, s, m.allocated),
                   company_rows(m.clients, s), m.counts(days - 1), int(s.held.sum()) + STAFF)


def build(lake_dir: str, clients: int, days: int, seed: int = 7, end: date | None = None,
          dsn: str | None = None, settings=None, log=print) -> date:
    """Build the lake; returns its last day (whose bronze and silver are there to re-run)."""
    t0 = time.perf_counter()
    m = model(clients, days, seed, end)
    lake = Lake(lake_dir)
    synthetic = m.days[:-2]
    copy = _copier(dsn, settings) if dsn else None
    write_gold(lake, m.clients, synthetic, m.matrix[:-2], m.allocated, copy=copy)
    write_since(lake, m.clients, synthetic[-1], synthetic, m.matrix[:-2], m.since_idx[:-2])
    log(f"synthetic gold: {clients} clients x {len(synthetic)} days in "
        f"{time.perf_counter() - t0:.1f} s")
    refresh = (settings.zoho if settings is not None else ZohoSettings()).admins_refresh_days
    for i in (days - 2, days - 1):
        bronze(lake, m.clients, m.sources(i, refresh), m.allocated)
    if copy is not None:
        copy.close()
    if settings is not None:
        _run_stages(lake_dir, settings, m.days[-2:], dsn)
    log(f"lake ready in {time.perf_counter() - t0:.1f} s: {lake_dir}")
    return m.days[-1]


def _run_stages(lake_dir: str, settings, days: list[date], dsn: str | None) -> None:
    """silver, gold (and load) of the last days, in process, through the real stage code."""
    from seatlib.stages import gold, load, silver
    from seatlib.stages import StageOptions
    from seatlib.systems import Systems

    systems = Systems.of(settings, database=_db(dsn) if dsn else None)
    for day in days:
        silver.run(day, systems, StageOptions())
        gold.run(day, systems, StageOptions())
        if dsn:
            load.run(day, systems, StageOptions())


def _db(dsn: str):
    from seatlib.core.config import database_settings

    return database_settings({"SEATLIB_DATABASE_URL": dsn})


class _copier:
    """COPY each synthetic gold day into the warehouse tables as it is written."""

    def __init__(self, dsn: str, settings):
        import psycopg

        from seatlib.systems import warehouse

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
        """Commit, then VACUUM (ANALYZE) the tables: after millions of inserted rows PostgreSQL's
        autovacuum would otherwise scan them in the background while the bench measures."""
        self.conn.commit()
        self.conn.autocommit = True  # VACUUM cannot run inside a transaction
        with self.conn.cursor() as cur:
            for table in ("seat_status_daily", "seat_capacity_daily"):
                cur.execute(f"VACUUM (ANALYZE) {self.schema}.{table}")
        self.conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=5000)
    p.add_argument("--days", type=int, default=1095)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--lake", required=True)
    p.add_argument("--dsn", help="warehouse DSN (postgresql://...) to fill")
    p.add_argument("--end", type=date.fromisoformat, default=None,
                   help="the last day (default 2029-12-31)")
    args = p.parse_args(argv)
    build(args.lake, args.clients, args.days, args.seed, end=args.end, dsn=args.dsn)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
