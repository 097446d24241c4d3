"""seatlib.systems.warehouse against a real PostgreSQL: text widths (no silent cut, bytes as Redshift
counts them), the additive widening of an existing warehouse, the table locks of a load, a loader
that holds rights on its schema only, and results read by position."""

from __future__ import annotations

import threading
import time
import uuid

import pandas as pd
import psycopg
import pytest

from seatlib.core.config import DatabaseSettings
from seatlib.core.errors import DataQualityError, WarehouseError
from seatlib.systems.warehouse import (
    CAPACITY_TABLE, LEDGER_TABLE, STATUS_LATEST_VIEW, STATUS_TABLE, Warehouse, connect,
)
from tests.fixtures.warehouse import DAY1, DAY2, capacity_frame, status_frame

#: 300 characters, of 1, 2, 3 and 4 bytes each in UTF-8: 740 bytes.
LONG_NAME = "1000 " + ("aé€😀" * 73) + "ab€"
#: 2,049 bytes of UTF-8 in 513 characters: one byte too many for VARCHAR(2048).
TOO_WIDE = "😀" * 512 + "x"


def named(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[0, "workspace_name"] = name
    return frame


def stored_name(wh: Warehouse, schema: str) -> str:
    return wh.fetch_scalar(f"SELECT workspace_name FROM {schema}.{STATUS_TABLE} "
                           f"WHERE workspace_id = 'ws0'")


def test_a_300_character_multibyte_name_loads_whole(wh: Warehouse, schema: str):
    assert len(LONG_NAME) == 300 and len(LONG_NAME.encode()) == 740
    wh.load_day(schema, DAY1, named(status_frame(DAY1), LONG_NAME), capacity_frame(DAY1))
    assert stored_name(wh, schema) == LONG_NAME


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_300_character_multibyte_name_loads_whole_through_redshift_connector(
        redshift_dsn: str, wh: Warehouse):
    other = f"gold_rs_{uuid.uuid4().hex[:6]}"
    with connect(DatabaseSettings(dsn=redshift_dsn)) as rs:
        rs.ensure_schema(other)
        rs.load_day(other, DAY1, named(status_frame(DAY1), LONG_NAME), capacity_frame(DAY1))
    assert stored_name(wh, other) == LONG_NAME


def test_a_name_wider_than_its_column_in_bytes_is_refused_naming_the_row(wh: Warehouse,
                                                                          schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    assert len(TOO_WIDE) < 2048 < len(TOO_WIDE.encode())  # PostgreSQL alone would take it
    with pytest.raises(DataQualityError) as err:
        wh.load_day(schema, DAY1, named(status_frame(DAY1, 6), TOO_WIDE), capacity_frame(DAY1))
    text = str(err.value)
    assert "row 0" in text and "'workspace_id': 'ws0'" in text and "'workspace_name'" in text
    assert "2049 bytes" in text and "VARCHAR(2048)" in text and "nothing was written" in text
    assert wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE}") == 4


def _narrow_workspace_name(wh: Warehouse, schema: str) -> None:
    """Make the table as an older seat-monitor made it: workspace_name VARCHAR(256)."""
    wh.execute(f"DROP VIEW {schema}.{STATUS_LATEST_VIEW}")
    wh.execute(f"DROP VIEW {schema}.v_seat_capacity")
    wh.execute(f"ALTER TABLE {schema}.{STATUS_TABLE} ALTER COLUMN workspace_name TYPE VARCHAR(256)")
    wh.execute(f"CREATE VIEW {schema}.{STATUS_LATEST_VIEW} AS SELECT * FROM {schema}.{STATUS_TABLE}")


@pytest.mark.postgres_only  # shrinks a VARCHAR, which Redshift refuses
def test_a_narrower_existing_column_errors_rather_than_cutting(wh: Warehouse, schema: str):
    _narrow_workspace_name(wh, schema)
    with pytest.raises(WarehouseError, match=r"step 'fill the staging table'.*too long"):
        wh.load_day(schema, DAY1, named(status_frame(DAY1), "x" * 300), capacity_frame(DAY1))
    assert wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE}") == 0


@pytest.mark.postgres_only  # shrinks a VARCHAR, which Redshift refuses
def test_ensure_schema_widens_an_existing_column_and_keeps_rows_and_views(wh: Warehouse,
                                                                          schema: str):
    wh.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
    _narrow_workspace_name(wh, schema)
    actions = wh.ensure_schema(schema)
    assert (f"widened column {schema}.{STATUS_TABLE}.workspace_name from VARCHAR(256) to "
            f"VARCHAR(2048)") in actions
    assert f"created view {schema}.{STATUS_LATEST_VIEW}" in actions  # dropped to widen
    width = wh.fetch_scalar("SELECT character_maximum_length FROM information_schema.columns "
                            "WHERE table_schema = %s AND table_name = %s "
                            "AND column_name = 'workspace_name'", (schema, STATUS_TABLE))
    assert width == 2048
    assert wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.{STATUS_LATEST_VIEW}") == 4
    assert wh.ensure_schema(schema) == []
    wh.load_day(schema, DAY1, named(status_frame(DAY1), LONG_NAME), capacity_frame(DAY1))
    assert stored_name(wh, schema) == LONG_NAME


@pytest.mark.postgres_only  # pg_locks, ::regclass
def test_a_load_locks_both_tables_before_it_writes(pg_dsn: str, wh: Warehouse, schema: str):
    """A second load waits at its start, holding the first table, instead of interleaving."""
    holder = psycopg.connect(pg_dsn)
    holder.execute(f"LOCK TABLE {schema}.{CAPACITY_TABLE}")  # in an open transaction
    loader = connect(DatabaseSettings(dsn=pg_dsn))
    pid = loader.fetch_scalar("SELECT pg_backend_pid()")
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(
        loader.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))))
    thread.start()
    try:
        locks = pd.DataFrame()
        for _ in range(100):
            locks = wh.fetch_frame("SELECT relation::regclass::text AS rel, mode, granted "
                                   "FROM pg_locks WHERE pid = %s AND relation IS NOT NULL", (pid,))
            if not locks.empty and not locks["granted"].all():
                break
            time.sleep(0.05)
        held = {(r.rel, r.mode, r.granted) for r in locks.itertuples()}
        assert (f"{schema}.{STATUS_TABLE}", "AccessExclusiveLock", True) in held
        assert (f"{schema}.{CAPACITY_TABLE}", "AccessExclusiveLock", False) in held
        assert not done  # (reading the status table now would wait too)
    finally:
        holder.rollback()
        holder.close()
        thread.join(10)
        loader.close()
    assert done and wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.{STATUS_TABLE}") == 4


def test_a_loader_with_rights_on_its_schema_only(pg_server, pg_database: str, pg_dsn: str,
                                                 wh: Warehouse):
    """The schema exists (made by an admin); the loader may use and create in it, but holds no
    CREATE on the database, which CREATE SCHEMA IF NOT EXISTS would ask for."""
    role, schema = f"loader_{uuid.uuid4().hex[:6]}", f"gold_{uuid.uuid4().hex[:6]}"
    wh.execute(f"CREATE ROLE {role} LOGIN")
    wh.execute(f"CREATE SCHEMA {schema}")
    wh.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
    assert not wh.fetch_scalar("SELECT has_database_privilege(%s, current_database(), 'CREATE')",
                               (role,))
    loader_dsn = pg_dsn.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
    with connect(DatabaseSettings(dsn=loader_dsn)) as loader:
        with pytest.raises(WarehouseError, match="permission denied for database"):
            loader.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")  # what ensure_schema did
        # 3 tables, their 3 indexes, 3 views; the schema was there
        assert len(loader.ensure_schema(schema)) == 9
        result = loader.load_day(schema, DAY1, status_frame(DAY1), capacity_frame(DAY1))
        assert result.inserted == {STATUS_TABLE: 4, CAPACITY_TABLE: 1, LEDGER_TABLE: 0}
        assert loader.ensure_schema(schema) == []


def test_results_are_read_by_position_whatever_the_column_names(wh: Warehouse):
    """describe_field_name_in_uppercase would turn "n" into "N"."""
    assert wh.fetch_scalar('SELECT 7 AS "N"') == 7
    with pytest.raises(WarehouseError, match="returned no row"):
        wh.fetch_scalar("SELECT 1 WHERE FALSE")


@pytest.fixture
def upper_case_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a Redshift cluster with describe_field_name_in_uppercase on does to every result:
    the driver reports the column names in upper case (docs/redshift-notes.md §8)."""
    from seatlib.systems import db

    real = db.cursor_frame

    def shouting(cur):
        frame = real(cur)
        return frame.rename(columns=lambda c: str(c).upper())

    monkeypatch.setattr(db, "cursor_frame", shouting)


def test_the_load_guards_read_upper_cased_result_names(wh: Warehouse, schema: str,
                                                        upper_case_names):
    from seatlib.stages import guards, load
    from seatlib.core.config import Settings

    assert list(wh._db.fetch_frame('SELECT 1 AS day').columns) == ["DAY"]  # the driver shouts
    assert list(wh.fetch_frame("SELECT 1 AS day").columns) == ["day"]  # the warehouse does not
    wh.load_day(schema, DAY1, status_frame(DAY1, 6), capacity_frame(DAY1))
    status = status_frame(DAY2, 6)
    before = load.previous_client_status(wh, schema, DAY2, 30)
    assert before is not None and before["client_status"].to_dict() == {
        1000: "active", 1001: "inactive", 1002: "active", 1003: "active", 1004: "inactive"}
    assert guards.check_load(DAY2, status, capacity_frame(DAY2), wh, schema, Settings(),
                             allow_drop=False, where="test", before=before) == []
    with pytest.raises(DataQualityError, match="rows against 6 on 2025-03-01"):
        guards.check_load(DAY2, status.iloc[:1], capacity_frame(DAY2), wh, schema, Settings(),
                          allow_drop=False, where="test", before=before)
