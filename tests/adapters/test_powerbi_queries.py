"""The warehouse answers every query the Power BI model makes, on a real PostgreSQL.

A small gold fixture (two days, with a gap day between them that the model's date table must
still have) is loaded through :meth:`seatlib.systems.warehouse.Warehouse.load_day`; then, for each
model table that reads the warehouse, the query its Power Query folds to (``SELECT <the model's
columns> FROM <schema>.<relation>``) runs as the read-only ``powerbi`` role over TCP, with the
password ``--serve`` would print, and must return every column with a value of the model's type.
The view's real columns (``information_schema``) must be exactly the model's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pandas as pd
import psycopg
import pytest

from seatlib.run import demo
from seatlib.history import ledger
from seatlib.systems import warehouse
from seatlib.core.config import DatabaseSettings
from seatlib.core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS
from seatlib.powerbi.model import build_model
from seatlib.sim import postgres

DAYS = (dt.date(2026, 5, 1), dt.date(2026, 5, 3))  # 2 May missing: the date table fills it

#: Python values psycopg returns for each logical type.
PY_TYPES = {"date": dt.date, "int": int, "str": str, "datetime": dt.datetime, "bool": bool,
            "float": float}
#: PostgreSQL's information_schema.columns.data_type for each logical type.
PG_TYPES = {"date": "date", "int": "bigint", "str": "character varying",
            "datetime": "timestamp without time zone", "bool": "boolean",
            "float": "double precision"}

#: Columns PostgreSQL types wider than the model: SUM(bigint) is numeric there (Redshift: bigint).
#: Power Query's Int64.Type converts them; a CAST in warehouse.view_definitions would end this.
WIDER = {(warehouse.CAPACITY_VIEW, "seats_reclaimable"): ("numeric", decimal.Decimal)}

_STATUS_ROWS = [  # client_id, workspace, status, seats held, idle days, module active
    (7001, "w1", "active", 1, 2, True),
    (7002, "w2", "inactive", 1, 45, True),
    (7003, "w3", "seat_held_by_ex_client", 2, 90, False),
    (7004, "w4", "paying_without_user", 0, None, True),
]


_LEDGER_ROWS = [{  # a failed gold stage, and its attempt's own row: every column filled somewhere
    "run_date": DAYS[-1], "attempt": 1, "stage": stage, "kind": "daily",
    "started_at": dt.datetime(2026, 5, 3, 6, 15), "finished_at": dt.datetime(2026, 5, 3, 6, 16),
    "duration_s": 61.5, "outcome": "failed", "error": "DataQualityError: zoho_users dropped",
    "guards": "refused: zoho_users dropped", "alerts": "[failure] stage gold FAILED",
    "code_version": "0.1.0+abc", "attempt_folder": "01-061500"} for stage in ("gold", "run")]


def gold_day(day: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One day of gold: four client workspaces (one of each actionable status), capacity and
    the seat ledger; every column filled somewhere."""
    records = [{
        "snapshot_date": day, "client_id": cid, "workspace_id": ws,
        "workspace_name": f"{cid} - Client {ws}",
        "workspace_created_at": pd.Timestamp("2025-01-01T00:00:00Z"),
        "admin_email": f"admin@{ws}.example", "seat_held": held > 0, "seats_held": held,
        "last_access_at": None if idle is None else pd.Timestamp(day, tz="UTC")
        - pd.Timedelta(days=idle),
        "days_since_last_access": idle, "module_active": module, "status": status,
        "reclaimable": status == "seat_held_by_ex_client", "client_status": status,
        "seats_reclaimable": held if status == "seat_held_by_ex_client" else 0,
        "admin_shared": ws == "w3", "shared_with": "7001" if ws == "w3" else None,
        "note": "shared with 7001, which pays" if ws == "w3" else None,
    } for cid, ws, status, held, idle, module in _STATUS_ROWS]
    status = pd.DataFrame.from_records(records, columns=list(GOLD_STATUS.columns))
    capacity = pd.DataFrame([dict(zip(GOLD_CAPACITY.columns, (
        day, 70, 70, 0, 4, 2, 1, 0, 64, 1, 1.0, 70, 64, 0, 1, 0, 1, 3, 0,
        "seat_status (gold of ...): a drop (allowed by --allow-drop)")))])
    seats = pd.DataFrame([dict(zip(GOLD_LEDGER.columns, (
        day, email, "bi.brand.example", "User", category, clients, paying, 1, shared,
        category == "ex_client", "why", pd.Timestamp(day, tz="UTC"))))
        for email, category, clients, paying, shared in (
            ("admin@w1.example", "client", "7001; 7003", "7001", True),
            ("admin@w3.example", "ex_client", "7003", None, False))])
    return status, capacity, seats


@pytest.fixture(scope="module")
def served(pg_server, pg_dsn, pg_database):
    """A gold schema with the fixture loaded, and the powerbi role's connection details."""
    schema = f"pbi_{uuid.uuid4().hex[:8]}"
    with warehouse.connect(DatabaseSettings(dsn=pg_dsn)) as wh:
        wh.ensure_schema(schema)
        for day in DAYS:
            wh.load_day(schema, day, *gold_day(day))
        ledger.load(wh, schema, ledger.frame(_LEDGER_ROWS), max_age_hours=30)
    password = uuid.uuid4().hex
    role = f"pbi_{uuid.uuid4().hex[:6]}"  # the session's server is shared: no fixed role name
    demo.grant_reader(pg_dsn, schema, role, password)
    postgres.require_password(pg_server, role)
    dsn = (f"postgresql://{role}:{password}@127.0.0.1:{pg_server.tcp_port}/{pg_database}")
    return {"schema": schema, "dsn": dsn, "role": role}


def warehouse_tables():
    return [t for t in build_model().tables if t.relation]


@pytest.mark.parametrize("table", warehouse_tables(), ids=lambda t: t.name)
def test_the_warehouse_answers_the_model_tables_query(served, table):
    cols = [c.name for c in table.columns]
    with psycopg.connect(served["dsn"]) as conn:
        cur = conn.execute(f"SELECT {', '.join(cols)} FROM {served['schema']}.{table.relation}")
        got = [d.name for d in cur.description]
        rows = cur.fetchall()
    assert got == cols
    assert len(rows) == {warehouse.STATUS_LATEST_VIEW: len(_STATUS_ROWS),
                         warehouse.CAPACITY_VIEW: 2, ledger.TABLE: len(_LEDGER_ROWS),
                         warehouse.LEDGER_LATEST_VIEW: 2}.get(
        table.relation, 2 * len(_STATUS_ROWS))
    for c, values in zip(table.columns, zip(*rows)):
        present = [v for v in values if v is not None]
        assert present, f"{table.name}.{c.name} is empty in every row"
        kind = WIDER.get((table.relation, c.name), (None, PY_TYPES[c.logical]))[1]
        assert all(isinstance(v, kind) and (kind is not decimal.Decimal or v == int(v))
                   for v in present), (c.name, present[:2])


@pytest.mark.parametrize("table", warehouse_tables(), ids=lambda t: t.name)
def test_the_relation_has_exactly_the_model_columns_with_their_types(served, table):
    with psycopg.connect(served["dsn"]) as conn:
        have = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (served["schema"], table.relation)).fetchall()
    assert have == [(c.name, WIDER.get((table.relation, c.name), (PG_TYPES[c.logical],))[0])
                    for c in table.columns]


def test_the_latest_view_holds_only_the_last_day(served):
    with psycopg.connect(served["dsn"]) as conn:
        days = conn.execute(f"SELECT DISTINCT snapshot_date FROM {served['schema']}."
                            f"{warehouse.STATUS_LATEST_VIEW}").fetchall()
    assert days == [(DAYS[-1],)]


def test_the_reader_role_is_read_only_and_needs_its_password(served, pg_server, pg_database):
    with psycopg.connect(served["dsn"]) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute(f"DELETE FROM {served['schema']}.{warehouse.STATUS_TABLE}")
    with psycopg.connect(served["dsn"]) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM pg_catalog.pg_authid")
    wrong = served["dsn"].replace(":" + served["dsn"].split(":")[2].split("@")[0] + "@", ":x@")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong).close()


# ---------------------------------------------------------------------------------------------
# run_daily.sh --demo --serve / --stop-serving, on a demo PostgreSQL of its own.
# ---------------------------------------------------------------------------------------------


def test_serve_prints_working_details_and_stop_serving_ends_it(tmp_path, pg_home):
    import subprocess
    import sys

    from seatlib.core import config as cfg
    from tests.fixtures.demo import safe_demo_config
    from tests.fixtures.pg import free_port

    config = safe_demo_config(tmp_path, pg_home)
    settings = cfg.load_settings(config)
    port = free_port()
    code = ("import sys; from seatlib.core import config; from seatlib.run import demo; "
            f"sys.exit(demo.serve(config.load_settings({str(config)!r}), '127.0.0.1', {port}))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=str(cfg.REPO_ROOT))
    try:
        details = {}
        for line in proc.stdout:
            key, _, value = line.partition(" ")
            details[key] = value.strip().split("   ")[0]
            if key == "schema":
                break
        assert details["host"] == "127.0.0.1" and details["port"] == str(port)
        dsn = (f"postgresql://{details['user']}:{details['password']}@{details['host']}:"
               f"{details['port']}/{details['database']}")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("powerbi",)
        assert demo.serving_pid(settings) == proc.pid
        assert demo.stop_serving(settings) == 0
        assert proc.wait(30) == 0
        assert "Stopped serving" in proc.stdout.read()
        assert demo.serving_pid(settings) is None
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn, connect_timeout=2).close()
        assert demo.stop_serving(settings) == 0  # nothing served: says so, exits 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
