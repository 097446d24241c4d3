"""The warehouse for Power BI: the gold tables and their views, on PostgreSQL or Redshift.

One interface for PostgreSQL (the demo and the tests: psycopg) and Amazon Redshift (production:
redshift_connector); connecting, transactions and driver errors are :mod:`seatlib.systems.db`'s,
the SQL text (tables, views, and what only Redshift has: ``COPY`` through a manifest, late-binding
views, sort keys) is :mod:`seatlib.systems.warehouse_sql`'s. The dialect follows the *server*
(``SELECT version()``), not the driver, so redshift_connector talking to PostgreSQL through
pgbouncer (the tests) uses PostgreSQL's SQL.

Every driver error is turned into a :class:`~seatlib.core.errors.WarehouseError` naming the
operation and the table or query; input that breaks a contract (a text wider than its column
included) raises
:class:`~seatlib.core.errors.DataQualityError` before anything is written. Passwords are never
logged nor put in a message. The company database (module status) is
:mod:`seatlib.systems.company`'s.

Typical use::

    with warehouse.connect(config.database_settings()) as wh:
        wh.ensure_schema("seat_monitor")
        wh.load_day("seat_monitor", run_date, gold_status, gold_capacity)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from ..core.config import DatabaseSettings
from ..core.contracts import Contract, check_columns, check_not_null, check_unique, to_python
from .db import Connection, Params, connect as connect_database
from ..core.errors import DataQualityError, WarehouseError
from ..core.values import is_identifier
from .warehouse_sql import (
    CAPACITY_TABLE, CAPACITY_VIEW, LEDGER_LATEST_VIEW, LEDGER_TABLE, STATUS_LATEST_VIEW,
    STATUS_TABLE, TABLE_KEYS, TABLES, CopySource, Dialect, PostgresDialect, RedshiftDialect,
    column_type, create_table_sql, day_index_name, dialect_for_version, insert_sql, literal,
    lock_sql, parameter_type, varchar_bytes, view_definitions, widen_column_sql,
)

log = logging.getLogger(__name__)

#: Rows per multi-row INSERT statement (13 columns x 500 = 6,500 parameters, well under the limits).
BATCH_ROWS = 500


def _view_tag(sql: str) -> str:
    """The comment stored on a view we made: lets ensure_schema skip re-creating an unchanged view."""
    return "seat-monitor view " + hashlib.sha256(sql.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# Values: pandas -> Python values the drivers send (missing -> None, never the text 'NaN').
# --------------------------------------------------------------------------------------------


def frame_rows(df: pd.DataFrame, contract: Contract, where: str) -> list[tuple[Any, ...]]:
    """The rows of ``df`` in contract column order, as tuples of plain Python values.

    Missing values (None, NaN, NaT, pd.NA) become None; datetimes become naive UTC datetimes.

    Raises:
        DataQualityError: a value does not fit its column's logical type (named, with the value).
    """
    columns = []
    for col, logical in contract.columns.items():
        values = df[col].astype(object).tolist()
        out = []
        for i, value in enumerate(values):
            try:
                out.append(to_python(value, logical))
            except (ValueError, TypeError, OverflowError) as exc:
                raise DataQualityError(f"{contract.name} ({where}): column {col!r} row {i}: {exc} "
                                       f"(expected {logical})") from None
        columns.append(out)
    return list(zip(*columns)) if columns else []


def day_rows(df: pd.DataFrame, contract: Contract, day: dt.date) -> list[tuple[Any, ...]]:
    """The rows of one day's frame, checked against its contract before anything is written.

    Raises:
        DataQualityError: missing or extra columns, empty required values, a repeated key, a value
            of the wrong type, or a row of another day.
    """
    where = f"load of {day}"
    check_columns(df, contract, where)
    check_not_null(df, contract, where)
    check_unique(df, contract, where)
    rows = frame_rows(df, contract, where)
    other = sorted({str(r[0]) for r in rows if r[0] != day})
    if other:
        raise DataQualityError(f"{contract.name} ({where}): rows of other day(s) {other[:5]}; "
                               f"every snapshot_date must be {day}")
    check_widths(rows, contract, where)
    return rows


def check_widths(rows: Sequence[tuple[Any, ...]], contract: Contract, where: str) -> None:
    """Every text fits its column, counted in UTF-8 bytes as Redshift counts VARCHAR(n)
    (docs/redshift-notes.md §7), so a value is never cut and PostgreSQL accepts exactly what
    Redshift does.

    Raises:
        DataQualityError: naming the row (its key), the column, the value's size and the width.
    """
    names = list(contract.columns)
    for i, (col, logical) in enumerate(contract.columns.items()):
        width = varchar_bytes(col, logical)
        if width is None:
            continue
        for n, row in enumerate(rows):
            value = row[i]
            size = len(value.encode("utf-8")) if isinstance(value, str) else 0
            if size > width:
                key = {k: row[names.index(k)] for k in contract.key}
                raise DataQualityError(
                    f"{contract.name} ({where}): row {n} {key}: column {col!r} is {size} bytes "
                    f"of UTF-8 ({len(value)} characters), wider than the warehouse column "
                    f"VARCHAR({width}) (bytes); nothing was written: widen "
                    f"warehouse_sql.VARCHAR_BYTES[{col!r}] or shorten the value at its source")


def _as_date(value: Any) -> dt.date:
    try:
        day = to_python(value, "date")
    except ValueError:
        day = None
    if day is None:
        raise DataQualityError(f"snapshot date {value!r} is not a date")
    return day


# --------------------------------------------------------------------------------------------
# Connecting.
# --------------------------------------------------------------------------------------------


def connect(db: DatabaseSettings, *, dialect: Dialect | None = None) -> Warehouse:
    """Open the warehouse described by ``db`` (see :func:`seatlib.systems.db.connect` for the DSNs,
    Redshift with a password or IAM, and SSL).

    Args:
        db: the settings, usually from :func:`seatlib.core.config.database_settings`.
        dialect: force a dialect; by default it follows the server's ``version()``.

    Raises:
        ConfigError: the DSN is malformed.
        WarehouseError: the connection failed; the message names host and database (never the
            password).
    """
    wh = Warehouse(connect_database(db), iam_role=db.iam_role)
    try:
        version = str(wh.fetch_scalar("SELECT version()"))
    except BaseException:
        wh.close()
        raise
    wh.dialect = dialect or dialect_for_version(version)
    log.info("connected to %s (%s dialect)", wh.target, wh.dialect.name)
    return wh


# --------------------------------------------------------------------------------------------
# The warehouse.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    """What :meth:`Warehouse.load_day` did.

    Attributes:
        snapshot_date: the day loaded.
        inserted: rows now in each table for that day, by table name.
        replaced: rows of that day that were there before (deleted), by table name.
    """

    snapshot_date: dt.date
    inserted: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)


@dataclass
class _LoadStep:
    """Where a load is, for the message when it fails."""

    table: str
    step: str = "start"


class Warehouse:
    """An open connection to PostgreSQL or Redshift. Use :func:`connect` to make one.

    Every public method runs in its own transaction: committed when it returns, rolled back when
    it raises, so no transaction (and no Redshift lock) stays open between calls.

    Attributes:
        dialect: the SQL dialect of the server.
        target: "<kind> database '<name>' on <host>", for messages.
    """

    def __init__(self, connection: Connection, *, iam_role: str = "",
                 dialect: Dialect | None = None):
        self._db = connection
        self._iam_role = iam_role
        self.dialect = dialect or PostgresDialect()

    @property
    def target(self) -> str:
        """"<kind> database '<name>' on <host>", for messages."""
        return self._db.target

    # -- generic -------------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None) -> int:
        """Run one statement in its own transaction; returns the driver's row count.

        Raises:
            WarehouseError: the statement failed (the message quotes its start).
        """
        return self._db.execute(sql, params)

    def fetch_frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a query and return its rows as a DataFrame, its column names in lower case: a
        Redshift cluster with ``describe_field_name_in_uppercase`` on names them in upper case
        (docs/redshift-notes.md §8), and every caller reads them as written in its SQL.

        Raises:
            WarehouseError: the query failed.
        """
        frame = self._db.fetch_frame(sql, params)
        return frame.rename(columns=lambda name: str(name).lower())

    def transaction(self, what: str):
        """A cursor in one transaction (commit on success, roll back and translate on error)."""
        return self._db.transaction(what)

    def fetch_scalar(self, sql: str, params: Params = None) -> Any:
        """The first value of the first row of a query, by position: a cluster with
        ``describe_field_name_in_uppercase`` on names result columns in upper case
        (docs/redshift-notes.md §8), so callers never index results by name.

        Raises:
            WarehouseError: the query failed or returned no row.
        """
        frame = self._db.fetch_frame(sql, params)
        if frame.empty:
            raise WarehouseError(f"query {sql[:80]!r} on {self.target} returned no row")
        return frame.iloc[0, 0]

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- warehouse schema ----------------------------------------------------------------------

    def ensure_schema(self, schema: str) -> list[str]:
        """Create or migrate the gold schema.

        Creates the schema (only when it is missing: ``CREATE SCHEMA IF NOT EXISTS`` would need
        the database-level CREATE privilege even for an existing schema, docs/redshift-notes.md
        §6) and the tables when missing; adds (ALTER TABLE ADD COLUMN, nullable) any contract
        column a table lacks and widens (ALTER COLUMN TYPE VARCHAR(n)) a text column narrower
        than the contract's, never dropping a column or a row; on PostgreSQL creates each
        table's ``snapshot_date`` index when missing (Redshift has its sort key instead); then
        (re)creates the views whose definition changed (late-binding on Redshift). Running it
        again is a no-op.

        All of it is one transaction, except that Redshift cannot widen a column inside one
        (§7): there each widening runs on its own, after the transaction.

        Returns:
            What was done, e.g. ``["created table seat_monitor.seat_status_daily", ...]``; empty
            when nothing changed.

        Raises:
            WarehouseError: ``schema`` is not a plain identifier, or a statement failed (rolled
                back; a widening that failed names the column).
        """
        schema = _identifier(schema, "schema")
        actions: list[str] = []
        with self._db.transaction(f"ensure_schema({schema})") as cur:
            cur.execute("SELECT COUNT(*) FROM pg_namespace WHERE nspname = %s", (schema,))
            if not int(cur.fetchone()[0]):
                cur.execute(f"CREATE SCHEMA {schema}")
                actions.append(f"created schema {schema}")
            widen = self._ensure_tables(cur, schema, actions)
            if widen and self.dialect.widens_in_transaction:
                self._drop_views(cur, schema)  # PostgreSQL's views bind the column's type
                for sql, action in widen:
                    cur.execute(sql)
                    actions.append(action)
                widen = []
            self._ensure_views(cur, schema, actions)
        for sql, action in widen:
            self._db.execute(sql, autocommit=True)
            actions.append(action)
        for action in actions:
            log.info("ensure_schema: %s", action)
        return actions

    def _ensure_tables(self, cur: Any, schema: str, actions: list[str]) -> list[tuple[str, str]]:
        """Create missing tables, add missing columns; returns the widenings still to run."""
        widen = []
        for table, contract in TABLES.items():
            cur.execute("SELECT column_name, character_maximum_length FROM information_schema.columns "
                        "WHERE table_schema = %s AND table_name = %s", (schema, table))
            existing = {str(name).lower(): width for name, width in cur.fetchall()}
            if not existing:
                cur.execute(create_table_sql(self.dialect, schema, table, contract))
                actions.append(f"created table {schema}.{table}")
                self._ensure_day_index(cur, schema, table, actions)
                continue
            self._ensure_day_index(cur, schema, table, actions)
            for col, logical in contract.columns.items():
                want = varchar_bytes(col, logical)
                if col not in existing:
                    cur.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {col} "
                                f"{column_type(col, logical)}")
                    actions.append(f"added column {schema}.{table}.{col}")
                elif want is not None and existing[col] is not None and int(existing[col]) < want:
                    widen.append((widen_column_sql(schema, table, col, want),
                                  f"widened column {schema}.{table}.{col} from "
                                  f"VARCHAR({int(existing[col])}) to VARCHAR({want})"))
            extra = sorted(set(existing) - set(contract.columns))
            if extra:
                log.warning("%s.%s has columns outside the contract (kept, loaded as NULL): %s",
                            schema, table, extra)
        return widen

    def _ensure_day_index(self, cur: Any, schema: str, table: str, actions: list[str]) -> None:
        """Create the table's ``snapshot_date`` index when the dialect has one and it is missing
        (on an existing table this builds it over the whole history, once)."""
        create = self.dialect.day_index_sql(schema, table)
        if create is None:
            return
        name = day_index_name(table)
        cur.execute("SELECT COUNT(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
                    "AND indexname = %s", (schema, table, name))
        if not int(cur.fetchone()[0]):
            cur.execute(create)
            actions.append(f"created index {schema}.{name}")

    @staticmethod
    def _view_tags(cur: Any, schema: str) -> dict[str, str]:
        """The views of ``schema`` with their comment (our tag), by name."""
        cur.execute("SELECT c.relname, d.description FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "LEFT JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = 0 "
                    "WHERE n.nspname = %s AND c.relkind = 'v'", (schema,))
        return {str(name): str(desc or "") for name, desc in cur.fetchall()}

    def _drop_views(self, cur: Any, schema: str) -> None:
        tags = self._view_tags(cur, schema)
        for view in view_definitions(schema):
            if view in tags:
                cur.execute(f"DROP VIEW {schema}.{view}")

    def _ensure_views(self, cur: Any, schema: str, actions: list[str]) -> None:
        tags = self._view_tags(cur, schema)
        for view, select_sql in view_definitions(schema).items():
            create = self.dialect.create_view(f"{schema}.{view}", select_sql)
            tag = _view_tag(create)
            if tags.get(view) == tag:
                continue
            if view in tags:
                cur.execute(f"DROP VIEW {schema}.{view}")
            cur.execute(create)
            cur.execute(f"COMMENT ON VIEW {schema}.{view} IS {literal(tag, 'view comment')}")
            actions.append(f"{'re-created' if view in tags else 'created'} view {schema}.{view}")

    # -- loading -------------------------------------------------------------------------------

    def load_day(self, schema: str, snapshot_date: dt.date | str, status: pd.DataFrame,
                 capacity: pd.DataFrame, ledger: pd.DataFrame | None = None, *,
                 copy_from: Mapping[str, CopySource] | None = None) -> LoadResult:
        """Replace one day of the three gold tables, atomically.

        In one transaction: lock both tables (``LOCK TABLE``: a second load, from any host,
        waits for this one instead of failing with Redshift's serializable isolation error,
        docs/redshift-notes.md §5); then for each table stage the rows in a temporary table
        (``COPY ... FROM STDIN`` through psycopg, multi-row INSERTs of :data:`BATCH_ROWS` rows
        through redshift_connector, or on Redshift ``COPY`` from S3), DELETE
        the day from the target, INSERT it from the staging table. Any failure rolls everything
        back, so the day stays as it was. Re-loading a day gives the same rows; other days are
        untouched.

        Args:
            schema: the warehouse schema (made by :meth:`ensure_schema`).
            snapshot_date: the day; every row must carry it.
            status: the gold status rows (GOLD_STATUS columns, any order).
            capacity: the gold capacity row(s) (GOLD_CAPACITY columns).
            ledger: the seat ledger (GOLD_LEDGER columns); None for a day from before the
                ledger existed (the day's ledger rows are then replaced by none).
            copy_from: Redshift only: ``{"status": CopySource, "capacity": CopySource,
                "ledger": CopySource}`` (``ledger`` absent for a day without one), the
                gold files (with a header row, columns in any order) through their one-file
                manifests (:func:`seatlib.systems.warehouse_copy.copy_sources`). The role is
                ``DatabaseSettings.iam_role``. The frames are still checked, and the staged row
                counts must match them.

        Returns:
            The rows inserted and replaced per table.

        Raises:
            DataQualityError: a frame breaks its contract (columns, types, empty required values,
                a row of another day, a repeated key, a text too wide); nothing was written.
            WarehouseError: a statement failed (naming table, day and step); rolled back.
        """
        schema = _identifier(schema, "schema")
        day = _as_date(snapshot_date)
        if ledger is None:
            ledger = pd.DataFrame(columns=TABLES[LEDGER_TABLE].names)
        plan = [(table, TABLES[table], day_rows(df, TABLES[table], day))
                for table, df in ((STATUS_TABLE, status), (CAPACITY_TABLE, capacity),
                                  (LEDGER_TABLE, ledger))]
        sources = self._copy_sources(copy_from) if copy_from is not None else None

        result = LoadResult(day)
        at = _LoadStep(STATUS_TABLE, "lock the tables")
        with self._db.transaction(f"load of {schema} for {day}") as cur:
            try:
                cur.execute(lock_sql(schema, list(TABLES)))
                for table, contract, rows in plan:
                    at.table = table
                    replaced, inserted = self._replace_day(cur, at, schema, contract, rows, day,
                                                           sources)
                    result.replaced[table], result.inserted[table] = replaced, inserted
            except DataQualityError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever failed, the transaction rolls back
                raise WarehouseError(
                    f"load of {schema}.{at.table} for {day} failed at step '{at.step}' on "
                    f"{self.target}: {self._db.message(exc)}; rolled back, {day} is as it was"
                ) from exc
        log.info("loaded %s: %s (replaced %s)", day, result.inserted, result.replaced)
        return result

    def _replace_day(self, cur: Any, at: _LoadStep, schema: str, contract: Contract,
                     rows: Sequence[tuple[Any, ...]], day: dt.date,
                     sources: Mapping[str, CopySource] | None) -> tuple[int, int]:
        """In the open transaction: stage ``rows`` (:meth:`_stage_rows`, or COPY from
        ``sources``), delete the day from ``at.table``, insert it from the staging table.
        Returns (replaced, inserted)."""
        table = at.table
        stage = f"seatmon_stage_{table}"
        at.step = "create staging table"
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} (LIKE {schema}.{table})")
        if sources is None:
            at.step = "fill the staging table"
            self._stage_rows(cur, stage, contract, rows)
        elif TABLE_KEYS[table] not in sources:  # a day from before the table existed: no file
            at.step = "no file to COPY (a day from before this table)"
        else:
            at.step = "COPY from S3 into staging table"
            source = sources[TABLE_KEYS[table]]
            cur.execute(self.dialect.copy_from_s3(stage, source, self._iam_role))
            self._check_staged(cur, stage, day, len(rows), source.data_url)
        at.step = "delete the day"
        cur.execute(f"DELETE FROM {schema}.{table} WHERE snapshot_date = %s", (day,))
        replaced = max(cur.rowcount, 0)
        at.step = "insert the day"
        cols = ", ".join(contract.columns)
        cur.execute(f"INSERT INTO {schema}.{table} ({cols}) SELECT {cols} FROM {stage}")
        inserted = max(cur.rowcount, 0)
        cur.execute(f"DROP TABLE {stage}")
        return replaced, inserted

    def _stage_rows(self, cur: Any, stage: str, contract: Contract,
                    rows: Sequence[tuple[Any, ...]]) -> None:
        """Write ``rows`` into the staging table: one ``COPY ... FROM STDIN`` where the driver
        has it (psycopg), else multi-row INSERTs of :data:`BATCH_ROWS` rows per statement."""
        columns = list(contract.columns)
        if self._db.copy_rows(cur, stage, columns, rows):
            return
        types = [parameter_type(c, t) for c, t in contract.columns.items()]
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start:start + BATCH_ROWS]
            params = [value for row in batch for value in row]
            cur.execute(insert_sql(stage, columns, types, len(batch)), params)

    @staticmethod
    def _check_staged(cur: Any, stage: str, day: dt.date, expected: int, source: str) -> None:
        """After a COPY: the file must hold exactly the checked frame's rows, all of ``day``."""
        cur.execute(f"SELECT COUNT(*), SUM(CASE WHEN snapshot_date = %s THEN 0 ELSE 1 END) "
                    f"FROM {stage}", (day,))
        count, other = cur.fetchone()
        if int(count) != expected or int(other or 0):
            raise DataQualityError(f"{source}: COPY staged {count} row(s) ({other or 0} of another "
                                   f"day); the checked frame has {expected} row(s) of {day}; "
                                   f"rolled back, {day} is as it was")

    def _copy_sources(self, copy_from: Mapping[str, CopySource]) -> dict[str, CopySource]:
        if not self.dialect.supports_s3_copy:
            raise WarehouseError(f"copy_from (COPY from S3) needs Redshift; {self.target} is "
                                 f"{self.dialect.name}: call load_day without copy_from")
        missing = [k for k in ("status", "capacity")
                   if not isinstance(copy_from.get(k), CopySource)]
        missing += [] if self._iam_role else ["iam_role (REDSHIFT_IAM_ROLE)"]
        if missing:
            raise WarehouseError(f"copy_from needs a CopySource for 'status' and 'capacity' and "
                                 f"an IAM role (REDSHIFT_IAM_ROLE); missing: {missing}")
        return {k: v for k, v in copy_from.items() if k in TABLE_KEYS.values()}


def _identifier(name: str, what: str) -> str:
    if not is_identifier(name):
        raise WarehouseError(f"{what} name {name!r} is not a plain identifier")
    return name.lower()
