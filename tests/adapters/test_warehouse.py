"""seatlib.systems.warehouse (and seatlib.systems.db's connecting) against a real PostgreSQL (seatlib.sim.postgres), and
through pgbouncer with redshift_connector; the Redshift-only SQL is checked as generated text."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pandas as pd
import pytest

from seatlib.systems import warehouse
from seatlib.core.config import DatabaseSettings
from seatlib.core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS, coerce
from seatlib.systems.db import Connection, parse_redshift_dsn
from seatlib.core.errors import ConfigError, DataQualityError, WarehouseError
from seatlib.systems.warehouse import (
    CAPACITY_TABLE, CAPACITY_VIEW, LEDGER_LATEST_VIEW, LEDGER_TABLE, STATUS_LATEST_VIEW,
    STATUS_TABLE, CopySource, PostgresDialect, RedshiftDialect, Warehouse, connect,
)
from tests.fixtures.warehouse import DAY1, DAY2, ROLE, capacity_frame, ledger_frame, status_frame
from tests.fixtures.pg import free_port


def table_rows(wh: Warehouse, schema: str, table: str) -> pd.DataFrame:
    contract = GOLD_STATUS if table == STATUS_TABLE else GOLD_CAPACITY
    key = ", ".join(contract.key)
    return wh.fetch_frame(f"SELECT {', '.join(contract.columns)} FROM {schema}.{table} "
                          f"ORDER BY {key}")


def scalar(wh: Warehouse, sql: str, params=None):
    return wh.fetch_frame(sql, params).iloc[0, 0]


STATUS_INDEX = f"{STATUS_TABLE}_snapshot_date_idx"
CAPACITY_INDEX = f"{CAPACITY_TABLE}_snapshot_date_idx"
LEDGER_INDEX = f"{LEDGER_TABLE}_snapshot_date_idx"


def day_indexes(wh: Warehouse, schema: str) -> dict[str, str]:
    """The indexes of ``schema``'s tables, name -> definition."""
    frame = wh.fetch_frame("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s",
                           (schema,))
    return dict(zip(frame["indexname"], frame["indexdef"]))


# ---------------------------------------------------------------------------------------------
# Schema: creation, idempotence, additive migration, views.
# ---------------------------------------------------------------------------------------------


@pytest.mark.postgres_only  # ::regclass
def test_ensure_schema_creates_typed_tables_and_views_then_is_a_no_op(wh: Warehouse):
    name = f"gold_{uuid.uuid4().hex[:8]}"
    actions = wh.ensure_schema(name)
    assert actions == [f"created schema {name}",
                       f"created table {name}.{STATUS_TABLE}", f"created index {name}.{STATUS_INDEX}",
                       f"created table {name}.{CAPACITY_TABLE}", f"created index {name}.{CAPACITY_INDEX}",
                       f"created table {name}.{LEDGER_TABLE}", f"created index {name}.{LEDGER_INDEX}",
                       f"created view {name}.{STATUS_LATEST_VIEW}",
                       f"created view {name}.{LEDGER_LATEST_VIEW}", f"created view {name}.{CAPACITY_VIEW}"]
    types = wh.fetch_frame("SELECT column_name, data_type, character_maximum_length AS n "
                           "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                           (name, STATUS_TABLE)).set_index("column_name")
    assert list(types.index) == list(GOLD_STATUS.columns)
    assert types.loc["snapshot_date", "data_type"] == "date"
    assert types.loc["client_id", "data_type"] == "bigint"
    assert types.loc["workspace_created_at", "data_type"] == "timestamp without time zone"
    assert types.loc["admin_email", "n"] == 4096 and types.loc["workspace_name", "n"] == 2048
    assert types.loc["reclaimable", "data_type"] == "boolean"
    usage = scalar(wh, "SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
                       "AND table_name = %s AND column_name = 'usage_share'", (name, CAPACITY_TABLE))
    assert usage == "double precision"

    oids = "SELECT %s::regclass::oid, %s::regclass::oid"
    before = wh.fetch_frame(oids, (f"{name}.{STATUS_LATEST_VIEW}", f"{name}.{CAPACITY_VIEW}"))
    assert wh.ensure_schema(name) == []
    after = wh.fetch_frame(oids, (f"{name}.{STATUS_LATEST_VIEW}", f"{name}.{CAPACITY_VIEW}"))
    pd.testing.assert_frame_equal(before, after)  # views kept (and with them their grants)


@pytest.mark.postgres_only  # pg_indexes, DROP INDEX, enable_seqscan
def test_ensure_schema_indexes_snapshot_date_on_new_and_existing_tables(wh: Warehouse):
    name = f"gold_{uuid.uuid4().hex[:8]}"
    assert {f"created index {name}.{STATUS_INDEX}",
            f"created index {name}.{CAPACITY_INDEX}"} <= set(wh.ensure_schema(name))
    indexes = day_indexes(wh, name)
    assert set(indexes) == {STATUS_INDEX, CAPACITY_INDEX, LEDGER_INDEX}
    assert indexes[STATUS_INDEX].endswith(f"ON {name}.{STATUS_TABLE} USING btree (snapshot_date)")
    assert wh.ensure_schema(name) == []

    # a warehouse made before the index: it is added, rows kept, and the day's DELETE uses it
    wh.load_day(name, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    wh.execute(f"DROP INDEX {name}.{STATUS_INDEX}")
    assert wh.ensure_schema(name) == [f"created index {name}.{STATUS_INDEX}"]
    assert set(day_indexes(wh, name)) == {STATUS_INDEX, CAPACITY_INDEX, LEDGER_INDEX}
    assert wh.ensure_schema(name) == []
    assert scalar(wh, f"SELECT COUNT(*) FROM {name}.{STATUS_TABLE}") == 4
    with wh.transaction("explain") as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # a 4-row table is otherwise scanned
        cur.execute(f"EXPLAIN DELETE FROM {name}.{STATUS_TABLE} WHERE snapshot_date = %s", (DAY1,))
        plan = "\n".join(str(row[0]) for row in cur.fetchall())
    assert STATUS_INDEX in plan


def test_ensure_schema_adds_a_missing_column_back_and_keeps_rows(wh: Warehouse, schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    wh.execute(f"ALTER TABLE {schema}.{STATUS_TABLE} DROP COLUMN reclaimable CASCADE")  # drops views
    wh.execute(f"ALTER TABLE {schema}.{CAPACITY_TABLE} DROP COLUMN seats_other CASCADE")
    actions = wh.ensure_schema(schema)
    assert f"added column {schema}.{STATUS_TABLE}.reclaimable" in actions
    assert f"added column {schema}.{CAPACITY_TABLE}.seats_other" in actions
    assert f"created view {schema}.{STATUS_LATEST_VIEW}" in actions
    assert scalar(wh, f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE}") == 4
    assert scalar(wh, f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE} WHERE reclaimable IS NULL") == 4
    assert scalar(wh, f"SELECT COUNT(*) FROM {schema}.{CAPACITY_TABLE}") == 1
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))  # loads into it again
    assert scalar(wh, f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE} WHERE reclaimable") == 1


def test_ensure_schema_rejects_an_unsafe_schema_name(wh: Warehouse):
    with pytest.raises(WarehouseError, match="not a plain identifier"):
        wh.ensure_schema("gold; DROP TABLE x")


def test_views_answer_the_latest_day_and_capacity_over_time(wh: Warehouse, schema: str):
    before_ledger = capacity_frame(DAY1, used=40).assign(seat_users=None)  # a day from before
    wh.load_day(schema, DAY1, status_frame(DAY1, 4), before_ledger)
    wh.load_day(schema, DAY2, status_frame(DAY2, 6, seats=2), capacity_frame(DAY2, used=45),
                ledger_frame(DAY2))
    latest = wh.fetch_frame(f"SELECT * FROM {schema}.{STATUS_LATEST_VIEW}")
    assert list(latest.columns) == list(GOLD_STATUS.columns)
    assert len(latest) == 6 and set(latest["snapshot_date"]) == {DAY2}
    cap = wh.fetch_frame(f"SELECT * FROM {schema}.{CAPACITY_VIEW} ORDER BY snapshot_date")
    assert list(cap.columns) == list(GOLD_CAPACITY.columns) + [
        "seats_used_pct", "seats_reclaimable", "workspaces_reclaimable"]
    assert cap["snapshot_date"].tolist() == [DAY1, DAY2]
    assert cap["seats_used_pct"].tolist() == pytest.approx([80.0, 90.0])
    # reclaimable rows: i % 3 == 1 among the client rows -> day 1: i=1; day 2: i=1,4
    assert cap["workspaces_reclaimable"].tolist() == [1, 2]
    # day 1 has no ledger: the seats of its reclaimable rows; day 2: the ledger's ex-client
    # users (the capacity row's seats_held_by_ex_clients), never a sum over rows
    assert cap["seats_reclaimable"].tolist() == [1, 2]
    seats = wh.fetch_frame(f"SELECT * FROM {schema}.{LEDGER_LATEST_VIEW} ORDER BY email")
    assert list(seats.columns) == list(GOLD_LEDGER.columns)
    assert seats["email"].tolist() == ["c@agency.example", "g@gone.example", "p@pays.example"]
    assert seats["category"].tolist() == ["client", "ex_client", "client"]
    assert seats["shared"].tolist() == [True, False, False]


def test_capacity_view_gives_null_pct_when_nothing_is_allocated(wh: Warehouse, schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1, used=0, allocated=0))
    assert pd.isna(scalar(wh, f"SELECT seats_used_pct FROM {schema}.{CAPACITY_VIEW}"))


# ---------------------------------------------------------------------------------------------
# load_day.
# ---------------------------------------------------------------------------------------------


def test_load_day_inserts_rows_with_nulls_as_null_and_utc_times(wh: Warehouse, schema: str):
    result = wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    assert result.snapshot_date == DAY1
    assert result.inserted == {STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}
    assert result.replaced == {STATUS_TABLE: 0, CAPACITY_TABLE: 0, LEDGER_TABLE: 0}
    t = f"{schema}.{STATUS_TABLE}"
    for col in ("client_id", "workspace_created_at", "admin_email", "last_access_at",
                "days_since_last_access", "module_active"):
        assert scalar(wh, f"SELECT COUNT(*) FROM {t} WHERE {col} IS NULL") == 1, col
    assert scalar(wh, f"SELECT COUNT(*) FROM {t} WHERE admin_email IN ('NaN', 'nan', 'None', '<NA>')") == 0
    assert scalar(wh, f"SELECT COUNT(*) FROM {t} WHERE workspace_name = 'Sandbox' "
                      f"AND client_id IS NULL AND admin_email IS NULL") == 1
    # +02:00 in the frame -> 01:04:05 UTC, stored without time zone
    assert scalar(wh, f"SELECT MIN(workspace_created_at) FROM {t}") == dt.datetime(2024, 1, 2, 1, 4, 5)
    cap = table_rows(wh, schema, CAPACITY_TABLE)
    assert cap.loc[0, "usage_share"] == pytest.approx(0.8) and cap.loc[0, "snapshot_date"] == DAY1


def test_reloading_a_day_gives_the_same_rows_and_other_days_are_untouched(wh: Warehouse, schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    first = table_rows(wh, schema, STATUS_TABLE)
    again = wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    assert again.replaced == {STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}
    pd.testing.assert_frame_equal(table_rows(wh, schema, STATUS_TABLE), first)

    wh.load_day(schema, DAY2, status_frame(DAY2, 6), capacity_frame(DAY2))
    rows = table_rows(wh, schema, STATUS_TABLE)
    pd.testing.assert_frame_equal(rows[rows["snapshot_date"] == DAY1].reset_index(drop=True), first)
    assert (rows["snapshot_date"] == DAY2).sum() == 6
    # a smaller re-load of day 2 replaces day 2 only
    wh.load_day(schema, DAY2, status_frame(DAY2, 2), capacity_frame(DAY2))
    counts = wh.fetch_frame(f"SELECT snapshot_date, COUNT(*) AS n FROM {schema}.{STATUS_TABLE} "
                            f"GROUP BY snapshot_date ORDER BY snapshot_date")
    assert counts["n"].tolist() == [4, 2]


def test_frames_typed_by_the_gold_contract_load_the_same_rows(wh: Warehouse, schema: str):
    """Gold's own dtypes (contracts.coerce: string, Int64, Float64, date32[pyarrow], us UTC)."""
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    status = coerce(status_frame(DAY1), GOLD_STATUS, "test")
    capacity = coerce(capacity_frame(DAY1), GOLD_CAPACITY, "test")
    assert str(status["snapshot_date"].dtype).startswith("date32")
    wh.load_day(schema, DAY1, status, capacity)
    _assert_unchanged(wh, schema, before)


#: Texts COPY's text format and SQL quoting must both carry whole: quotes, semicolons, a
#: newline, a tab, backslashes, COPY's own NULL marker, an empty text and non-ASCII.
TRICKY_TEXTS = ["O'Brien; DROP TABLE x; --", 'say "hi"\nnext line\tand a tab', "\\N",
                "back\\slash \\t", "", "Zürich – 東京 😀", "100% \"quoted\", %s %(x)s"]


def tricky_status(day: dt.date) -> pd.DataFrame:
    """status_frame's rows (NULLs in the last one) with TRICKY_TEXTS, times in several offsets
    and with microseconds, and booleans of both values and NULL."""
    n = len(TRICKY_TEXTS) + 1
    frame = status_frame(day, n)
    frame["workspace_name"] = TRICKY_TEXTS + [None]
    frame["admin_email"] = [f"{t[:20]}; b@x.example" for t in TRICKY_TEXTS] + [None]
    frame["workspace_created_at"] = pd.to_datetime(
        ["2024-01-02T03:04:05.123456+05:30", "2023-12-31T23:59:59-08:00"] * 3
        + ["2024-02-29T00:00:00Z", None], utc=True, format="ISO8601")
    frame["module_active"] = pd.array([True, False, None] * 2 + [False, None], dtype="boolean")
    return frame


def tricky_capacity(day: dt.date) -> pd.DataFrame:
    frame = capacity_frame(day, used=1, allocated=3)
    frame["usage_share"] = [1 / 3]
    return frame


@pytest.fixture
def insert_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg without COPY: the multi-row INSERTs redshift_connector sends."""
    monkeypatch.setattr(Connection, "copy_rows", lambda self, cur, table, columns, rows: False)


def test_psycopg_stages_with_copy_and_loads_the_same_rows_as_inserts(
        wh: Warehouse, schema: str, monkeypatch: pytest.MonkeyPatch):
    copied: list[str] = []
    real_copy = Connection.copy_rows

    def spy_copy(self, cur, table, columns, rows):
        copied.append(table)
        return real_copy(self, cur, table, columns, rows)

    monkeypatch.setattr(Connection, "copy_rows", spy_copy)
    monkeypatch.setattr(warehouse, "insert_sql", None)  # not called on this path
    wh.load_day(schema, DAY1, tricky_status(DAY1), tricky_capacity(DAY1))
    assert copied == [f"seatmon_stage_{STATUS_TABLE}", f"seatmon_stage_{CAPACITY_TABLE}",
                      f"seatmon_stage_{LEDGER_TABLE}"]
    by_copy = _snapshot(wh, schema)
    monkeypatch.undo()

    other = f"gold_{uuid.uuid4().hex[:8]}"
    wh.ensure_schema(other)
    monkeypatch.setattr(Connection, "copy_rows", lambda self, cur, table, columns, rows: False)
    wh.load_day(other, DAY1, tricky_status(DAY1), tricky_capacity(DAY1))
    by_insert = _snapshot(wh, other)
    pd.testing.assert_frame_equal(by_copy[0], by_insert[0])
    pd.testing.assert_frame_equal(by_copy[1], by_insert[1])

    names = by_copy[0].set_index("workspace_id")["workspace_name"]
    assert names.iloc[:-1].tolist() == TRICKY_TEXTS and pd.isna(names.iloc[-1])  # \N stays text
    created = by_copy[0]["workspace_created_at"]
    assert created[0] == dt.datetime(2024, 1, 1, 21, 34, 5, 123456)  # +05:30 -> UTC
    assert created[1] == dt.datetime(2024, 1, 1, 7, 59, 59) and pd.isna(created.iloc[-1])
    assert by_copy[0]["module_active"].tolist()[:3] == [True, False, None]
    assert by_copy[1].loc[0, "usage_share"] == 1 / 3


def test_load_day_batches_inserts(wh: Warehouse, schema: str, monkeypatch: pytest.MonkeyPatch,
                                  insert_path: None):
    statements: list[int] = []
    real = warehouse.insert_sql

    def spy(table, columns, types, n_rows):
        statements.append(n_rows)
        return real(table, columns, types, n_rows)

    monkeypatch.setattr(warehouse, "insert_sql", spy)
    wh.load_day(schema, DAY1, status_frame(DAY1, 1201), capacity_frame(DAY1))
    assert statements == [500, 500, 201, 1]
    assert scalar(wh, f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE}") == 1201


def _snapshot(wh: Warehouse, schema: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return table_rows(wh, schema, STATUS_TABLE), table_rows(wh, schema, CAPACITY_TABLE)


def _assert_unchanged(wh: Warehouse, schema: str, before: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    after = _snapshot(wh, schema)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


@pytest.mark.parametrize("path", ["copy", "insert"])
def test_a_type_violation_mid_load_rolls_everything_back(wh: Warehouse, schema: str, path: str,
                                                         request: pytest.FixtureRequest):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    wh.load_day(schema, DAY2, status_frame(DAY2, 3), capacity_frame(DAY2))
    before = _snapshot(wh, schema)
    if path == "insert":
        request.getfixturevalue("insert_path")
    # status is replaced first; capacity then fails in the database (bigint overflow)
    with pytest.raises(WarehouseError) as err:
        wh.load_day(schema, DAY1, status_frame(DAY1, 7), capacity_frame(DAY1, used=2**63))
    text = str(err.value)
    assert f"{schema}.{CAPACITY_TABLE}" in text and str(DAY1) in text and "rolled back" in text
    assert "step 'fill the staging table'" in text and "out of range" in text
    _assert_unchanged(wh, schema, before)


def test_a_copy_failing_after_some_rows_were_sent_rolls_the_day_back(wh: Warehouse, schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    bad = status_frame(DAY1, 1201)
    bad["seats_held"] = [1] * 1199 + [2**63, 0]  # the last client row overflows BIGINT
    with pytest.raises(WarehouseError) as err:
        wh.load_day(schema, DAY1, bad, capacity_frame(DAY1))
    text = str(err.value)
    assert f"{schema}.{STATUS_TABLE} for {DAY1} failed at step 'fill the staging table'" in text
    assert "out of range" in text and "rolled back" in text
    _assert_unchanged(wh, schema, before)
    assert wh.load_day(schema, DAY1, status_frame(DAY1, 5), capacity_frame(DAY1)).replaced == {
        STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}  # the connection is usable again


@pytest.mark.postgres_only  # ADD CONSTRAINT ... CHECK
def test_a_failure_after_the_delete_leaves_the_day_as_it_was(wh: Warehouse, schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    wh.execute(f"ALTER TABLE {schema}.{CAPACITY_TABLE} ADD CONSTRAINT small CHECK (seats_used < 100)")
    with pytest.raises(WarehouseError, match=r"step 'insert the day'.*small"):
        wh.load_day(schema, DAY1, status_frame(DAY1, 9), capacity_frame(DAY1, used=150, allocated=200))
    _assert_unchanged(wh, schema, before)


def test_an_exception_raised_mid_load_rolls_back(wh: Warehouse, schema: str,
                                                 monkeypatch: pytest.MonkeyPatch):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    real = Warehouse._stage_rows

    def failing(self, cur, stage, contract, rows):
        if contract is GOLD_CAPACITY:
            raise RuntimeError("injected failure")
        return real(self, cur, stage, contract, rows)

    monkeypatch.setattr(Warehouse, "_stage_rows", failing)
    with pytest.raises(WarehouseError, match=f"{CAPACITY_TABLE} for {DAY1}.*injected failure"):
        wh.load_day(schema, DAY1, status_frame(DAY1, 2), capacity_frame(DAY1))
    _assert_unchanged(wh, schema, before)


def _bad(frame: pd.DataFrame, **changes) -> pd.DataFrame:
    frame = frame.copy()
    for col, value in changes.items():
        frame[col] = value
    return frame


@pytest.mark.parametrize("status, capacity, message", [
    (status_frame(DAY1).drop(columns=["status"]), capacity_frame(DAY1), "missing column(s) ['status']"),
    (status_frame(DAY1).assign(extra=1), capacity_frame(DAY1), "unexpected column(s) ['extra']"),
    (status_frame(DAY1), capacity_frame(DAY2), "rows of other day(s) ['2025-03-02']"),
    (pd.concat([status_frame(DAY1), status_frame(DAY1).head(1)]), capacity_frame(DAY1), "share a key"),
    (_bad(status_frame(DAY1), status=None), capacity_frame(DAY1), "'status' has 4 empty value(s)"),
    (_bad(status_frame(DAY1), seats_held=["1", "2", "3", "4"]), capacity_frame(DAY1),
     "column 'seats_held' row 0: '1' is not an integer"),
    (status_frame(DAY1), _bad(capacity_frame(DAY1), usage_share="high"), "'high' is not a number"),
])
def test_load_day_checks_the_frames_before_writing(wh: Warehouse, schema: str, status, capacity, message):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    with pytest.raises(DataQualityError) as err:
        wh.load_day(schema, DAY1, status, capacity)
    assert message in str(err.value)
    _assert_unchanged(wh, schema, before)


def test_load_day_accepts_a_date_string_and_rejects_copy_from_on_postgres(wh: Warehouse, schema: str):
    assert wh.load_day(schema, "2025-03-01", status_frame(DAY1), capacity_frame(DAY1)).inserted
    with pytest.raises(WarehouseError, match="needs Redshift"):
        wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1),
                    copy_from={"status": _source("seat_status"), "capacity": _source("seat_capacity")})


# ---------------------------------------------------------------------------------------------
# Redshift-only SQL, as generated text; routing of COPY.
# ---------------------------------------------------------------------------------------------


def _source(table: str, columns=("snapshot_date", "client_id"), region: str = "") -> CopySource:
    data = f"s3://lake-bucket/gold/{table}/2025-03-01.csv"
    return CopySource(manifest_url=data + ".manifest", data_url=data, columns=tuple(columns),
                      region=region)


def test_redshift_views_are_late_binding_and_tables_sorted_by_day():
    rs, pg = RedshiftDialect(), PostgresDialect()
    select = warehouse.view_definitions("gold")[STATUS_LATEST_VIEW]
    assert rs.create_view(f"gold.{STATUS_LATEST_VIEW}", select).endswith("WITH NO SCHEMA BINDING")
    assert "SCHEMA BINDING" not in pg.create_view(f"gold.{STATUS_LATEST_VIEW}", select)
    table = warehouse.create_table_sql(rs, "gold", STATUS_TABLE, GOLD_STATUS)
    assert table.startswith(f"CREATE TABLE IF NOT EXISTS gold.{STATUS_TABLE} (")
    assert table.endswith(") DISTSTYLE AUTO SORTKEY (snapshot_date)")
    assert "admin_email VARCHAR(4096)" in table and "workspace_name VARCHAR(2048)" in table
    assert "snapshot_date DATE NOT NULL" in table
    assert warehouse.create_table_sql(pg, "gold", STATUS_TABLE, GOLD_STATUS).endswith(")")
    # every view reads its tables schema-qualified (a late-binding view requires it)
    for sql in warehouse.view_definitions("gold").values():
        assert re.search(r"FROM gold\.seat_\w+_daily", sql)
        assert not re.search(r"FROM (?!gold\.)\w+_daily", sql)


def test_dialect_follows_the_server_version():
    redshift = ("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 "
                "20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467")
    assert warehouse.dialect_for_version(redshift).name == "redshift"
    assert warehouse.dialect_for_version("PostgreSQL 18.6 on x86_64-pc-linux-gnu").name == "postgres"


def test_copy_from_runs_copy_into_staging_and_rolls_back_when_it_fails(pg_dsn: str, wh: Warehouse,
                                                                        schema: str):
    """Forcing the Redshift dialect on PostgreSQL: the COPY is sent (and fails there), nothing changes."""
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    before = _snapshot(wh, schema)
    db = DatabaseSettings(dsn=pg_dsn, iam_role=ROLE)
    with connect(db, dialect=RedshiftDialect()) as rs:
        with pytest.raises(WarehouseError) as err:
            rs.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1),
                        copy_from={"status": _source("seat_status", GOLD_STATUS.columns),
                                   "capacity": _source("seat_capacity", GOLD_CAPACITY.columns)})
        assert "step 'COPY from S3 into staging table'" in str(err.value)
        with pytest.raises(WarehouseError, match="missing: \\['capacity'\\]"):
            rs.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1),
                        copy_from={"status": _source("seat_status")})
    _assert_unchanged(wh, schema, before)


# ---------------------------------------------------------------------------------------------
# Connecting.
# ---------------------------------------------------------------------------------------------


def test_connection_failure_names_host_and_database_but_not_the_password(pg_server):
    dsn = (f"postgresql://postgres:s3cret-pw@/no_such_db?host={pg_server.socket_dir}"
           f"&port={pg_server.port}")
    with pytest.raises(WarehouseError) as err:
        connect(DatabaseSettings(dsn=dsn))
    assert "no_such_db" in str(err.value) and str(pg_server.socket_dir) in str(err.value)
    assert "s3cret-pw" not in str(err.value)

    port = free_port()  # nothing listens there
    with pytest.raises(WarehouseError) as err:
        connect(DatabaseSettings(dsn=f"redshift://loader:s3cret-pw@127.0.0.1:{port}/analytics?ssl=false"))
    assert f"'analytics' on 127.0.0.1:{port}" in str(err.value)
    assert "s3cret-pw" not in str(err.value)


def test_redshift_dsn_parsing():
    kwargs = parse_redshift_dsn("redshift://loader:p%40ss@cluster.example.com/analytics?ssl=false")
    assert kwargs == dict(host="cluster.example.com", port=5439, database="analytics",
                          user="loader", password="p@ss", ssl=False)
    assert parse_redshift_dsn("redshift://u:p@h:5440/db")["ssl"] is True
    with pytest.raises(ConfigError, match="unknown parameter 'sslrootcert'"):
        parse_redshift_dsn("redshift://u:p@h/db?sslrootcert=x")
    with pytest.raises(ConfigError, match="needs user, host and database"):
        parse_redshift_dsn("redshift://h:5439/")


# ---------------------------------------------------------------------------------------------
# redshift_connector, through pgbouncer, against the same PostgreSQL.
# ---------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_redshift_connector_through_pgbouncer_loads_the_same_rows(redshift_dsn: str, wh: Warehouse,
                                                                  schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))  # reference, via COPY
    wh.load_day(schema, DAY2, tricky_status(DAY2), tricky_capacity(DAY2))
    other = f"gold_rs_{uuid.uuid4().hex[:6]}"
    with connect(DatabaseSettings(dsn=redshift_dsn)) as rs:
        assert rs.dialect.name == "postgres" and "Redshift database" in rs.target
        assert len(rs.ensure_schema(other)) == 10  # schema, 3 tables, their 3 indexes, 3 views
        assert rs.ensure_schema(other) == []
        result = rs.load_day(other, DAY1, status_frame(DAY1), capacity_frame(DAY1))
        assert result.inserted == {STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}
        assert rs.load_day(other, DAY1, status_frame(DAY1), capacity_frame(DAY1)).replaced == {
            STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}
        rs.load_day(other, DAY2, tricky_status(DAY2), tricky_capacity(DAY2))
        with pytest.raises(WarehouseError):
            rs.load_day(other, DAY1, status_frame(DAY1, 7), capacity_frame(DAY1, used=2**63))
    for table in (STATUS_TABLE, CAPACITY_TABLE):
        pd.testing.assert_frame_equal(table_rows(wh, other, table), table_rows(wh, schema, table))
    assert scalar(wh, f"SELECT COUNT(*) FROM {other}.{STATUS_TABLE} WHERE admin_email IS NULL") == 2
