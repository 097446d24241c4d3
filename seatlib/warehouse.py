"""The warehouse for Power BI: the gold tables and their views, on PostgreSQL or Redshift.

One interface for PostgreSQL (the demo and the tests: psycopg) and Amazon Redshift (production:
redshift_connector); connecting, transactions and driver errors are :mod:`seatlib.db`'s. The SQL is
written once, in the subset both speak; what only Redshift has —
``COPY ... FROM 's3://...' IAM_ROLE``, late-binding views (``WITH NO SCHEMA BINDING``), sort keys —
lives in :class:`RedshiftDialect`, next to its plain :class:`PostgresDialect` twin. The dialect
follows the *server* (``SELECT version()``), not the driver, so redshift_connector talking to
PostgreSQL through pgbouncer (the tests) uses PostgreSQL's SQL.

Every driver error is turned into a :class:`~seatlib.errors.WarehouseError` naming the operation and
the table or query; input that breaks a contract raises :class:`~seatlib.errors.DataQualityError`
before anything is written. Passwords are never logged nor put in a message. The company
database (module status) is :mod:`seatlib.company`'s.

Typical use::

    with warehouse.connect(config.database_settings()) as wh:
        wh.ensure_schema("seat_monitor")
        wh.load_day("seat_monitor", run_date, gold_status, gold_capacity)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from .config import DatabaseSettings
from .contracts import (GOLD_CAPACITY, GOLD_STATUS, TYPES, Contract, check_columns, check_not_null,
                        check_unique, to_python)
from .db import Connection, Params, connect as connect_database
from .errors import DataQualityError, WarehouseError
from .values import is_identifier

log = logging.getLogger(__name__)

#: Gold tables in the warehouse, with the contract each one holds.
STATUS_TABLE = "seat_status_daily"
CAPACITY_TABLE = "seat_capacity_daily"
TABLES: dict[str, Contract] = {STATUS_TABLE: GOLD_STATUS, CAPACITY_TABLE: GOLD_CAPACITY}
#: Views for Power BI (see docs/powerbi.md).
STATUS_LATEST_VIEW = "v_seat_status_latest"
CAPACITY_VIEW = "v_seat_capacity"

#: Rows per multi-row INSERT statement (13 columns x 500 = 6,500 parameters, well under the limits).
BATCH_ROWS = 500

_S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/\S+")
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]+")

#: Columns wider than the default VARCHAR(256).
WIDE_COLUMNS: dict[str, str] = {"admin_email": "VARCHAR(4096)"}  # "; "-joined list of emails

def column_type(column: str, logical: str) -> str:
    """The SQL type of a contract column (``admin_email`` is wider than other strings)."""
    return WIDE_COLUMNS.get(column) or TYPES[logical].sql_type


def _literal(text: str) -> str:
    """A single-quoted SQL string literal (for the few statements that take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# Dialects: the only place that knows SQL which differs between PostgreSQL and Redshift.
# --------------------------------------------------------------------------------------------


class Dialect:
    """What differs between the servers; everything else in this module is shared SQL.

    Attributes:
        name: ``"postgres"`` or ``"redshift"``.
        supports_s3_copy: whether :meth:`copy_from_s3` can be used.
    """

    name = "generic"
    supports_s3_copy = False

    def table_options(self, contract: Contract) -> str:
        """Text after ``CREATE TABLE t (...)`` (distribution, sort key)."""
        raise NotImplementedError

    def create_view(self, qualified_name: str, select_sql: str) -> str:
        """The ``CREATE VIEW`` statement for a Power BI view."""
        raise NotImplementedError

    def copy_from_s3(self, table: str, columns: Sequence[str], s3_url: str, iam_role: str) -> str:
        """The statement loading one CSV file from S3 into ``table``."""
        raise NotImplementedError


class PostgresDialect(Dialect):
    """Plain PostgreSQL (the demo and the tests)."""

    name = "postgres"
    supports_s3_copy = False

    def table_options(self, contract: Contract) -> str:
        """Nothing: PostgreSQL has no distribution or sort keys."""
        return ""

    def create_view(self, qualified_name: str, select_sql: str) -> str:
        """A plain (schema-bound) view."""
        return f"CREATE VIEW {qualified_name} AS\n{select_sql}"

    def copy_from_s3(self, table: str, columns: Sequence[str], s3_url: str, iam_role: str) -> str:
        """PostgreSQL cannot read S3.

        Raises:
            WarehouseError: always; load through INSERT (no ``copy_from``) instead.
        """
        raise WarehouseError(f"COPY from S3 ({s3_url}) needs Redshift; this warehouse is "
                             f"PostgreSQL: call load_day without copy_from")


class RedshiftDialect(Dialect):
    """Amazon Redshift: sort key on the day, late-binding views, COPY from S3 with an IAM role."""

    name = "redshift"
    supports_s3_copy = True

    def table_options(self, contract: Contract) -> str:
        """Distribution chosen by Redshift; rows sorted by day (every query filters on it)."""
        return " DISTSTYLE AUTO SORTKEY (snapshot_date)"

    def create_view(self, qualified_name: str, select_sql: str) -> str:
        """A late-binding view: it survives the tables below it being altered or re-created."""
        return f"CREATE VIEW {qualified_name} AS\n{select_sql}\nWITH NO SCHEMA BINDING"

    def copy_from_s3(self, table: str, columns: Sequence[str], s3_url: str, iam_role: str) -> str:
        """``COPY`` one CSV file (a header row, then ``columns`` in that order) from S3.

        Empty and blank fields become NULL; timestamps are parsed by Redshift ('auto').

        Raises:
            WarehouseError: the URL is not ``s3://bucket/key`` or the role is not an IAM role ARN.
        """
        if not _S3_URL.fullmatch(s3_url):
            raise WarehouseError(f"COPY source {s3_url!r} is not an s3://bucket/key URL")
        if not _ROLE_ARN.fullmatch(iam_role):
            raise WarehouseError(f"COPY IAM role {iam_role!r} is not an IAM role ARN "
                                 f"(arn:aws:iam::<account>:role/<name>); set REDSHIFT_IAM_ROLE")
        return (f"COPY {table} ({', '.join(columns)}) FROM {_literal(s3_url)} "
                f"IAM_ROLE {_literal(iam_role)} CSV IGNOREHEADER 1 TIMEFORMAT 'auto' "
                f"EMPTYASNULL BLANKSASNULL")


def dialect_for_version(version: str) -> Dialect:
    """The dialect of a server from its ``SELECT version()`` text (Redshift names itself there)."""
    return RedshiftDialect() if "redshift" in version.lower() else PostgresDialect()


# --------------------------------------------------------------------------------------------
# Generated SQL shared by both dialects.
# --------------------------------------------------------------------------------------------


def create_table_sql(dialect: Dialect, schema: str, table: str, contract: Contract) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a gold table; ``snapshot_date`` is NOT NULL."""
    cols = ",\n  ".join(
        f"{c} {column_type(c, t)}" + (" NOT NULL" if c == "snapshot_date" else "")
        for c, t in contract.columns.items())
    return (f"CREATE TABLE IF NOT EXISTS {schema}.{table} (\n  {cols}\n)"
            f"{dialect.table_options(contract)}")


def view_definitions(schema: str) -> dict[str, str]:
    """The SELECT of each Power BI view, by view name.

    * ``v_seat_status_latest``: the rows of ``seat_status_daily`` for its latest ``snapshot_date``.
    * ``v_seat_capacity``: ``seat_capacity_daily`` over time, plus ``seats_used_pct`` (0-100,
      NULL when nothing is allocated), ``seats_reclaimable`` (seats held by rows flagged
      ``reclaimable`` that day) and ``workspaces_reclaimable`` (how many such rows).
    """
    status_cols = ", ".join(GOLD_STATUS.columns)
    capacity_cols = ", ".join(f"c.{col}" for col in GOLD_CAPACITY.columns)
    return {
        STATUS_LATEST_VIEW: (
            f"SELECT {status_cols}\n"
            f"FROM {schema}.{STATUS_TABLE}\n"
            f"WHERE snapshot_date = (SELECT MAX(snapshot_date) FROM {schema}.{STATUS_TABLE})"
        ),
        CAPACITY_VIEW: (
            f"SELECT {capacity_cols},\n"
            f"  CAST(CASE WHEN c.seats_allocated > 0\n"
            f"            THEN 100.0 * c.seats_used / c.seats_allocated END AS DOUBLE PRECISION)"
            f" AS seats_used_pct,\n"
            f"  COALESCE(r.seats_reclaimable, 0) AS seats_reclaimable,\n"
            f"  COALESCE(r.workspaces_reclaimable, 0) AS workspaces_reclaimable\n"
            f"FROM {schema}.{CAPACITY_TABLE} c\n"
            f"LEFT JOIN (\n"
            f"  SELECT snapshot_date,\n"
            f"    SUM(CASE WHEN reclaimable THEN COALESCE(seats_held, 0) ELSE 0 END)"
            f" AS seats_reclaimable,\n"
            f"    SUM(CASE WHEN reclaimable THEN 1 ELSE 0 END) AS workspaces_reclaimable\n"
            f"  FROM {schema}.{STATUS_TABLE}\n"
            f"  GROUP BY snapshot_date\n"
            f") r ON r.snapshot_date = c.snapshot_date"
        ),
    }


def insert_sql(table: str, columns: Sequence[str], types: Sequence[str], n_rows: int) -> str:
    """A multi-row ``INSERT ... VALUES`` with ``%s`` parameters, each cast to its column type.

    The casts make the statement independent of how a driver types its parameters (psycopg and
    redshift_connector differ) and of all-NULL columns.
    """
    row = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row] * n_rows)


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
    return rows


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
    """Open the warehouse described by ``db`` (see :func:`seatlib.db.connect` for the DSNs,
    Redshift with a password or IAM, and SSL).

    Args:
        db: the settings, usually from :func:`seatlib.config.database_settings`.
        dialect: force a dialect; by default it follows the server's ``version()``.

    Raises:
        ConfigError: the DSN is malformed.
        WarehouseError: the connection failed; the message names host and database (never the
            password).
    """
    wh = Warehouse(connect_database(db), iam_role=db.iam_role)
    try:
        version = str(wh.fetch_frame("SELECT version() AS v").iloc[0, 0])
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
        """Run a query and return its rows as a DataFrame (column names as the server gives them).

        Raises:
            WarehouseError: the query failed.
        """
        return self._db.fetch_frame(sql, params)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- warehouse schema ----------------------------------------------------------------------

    def ensure_schema(self, schema: str) -> list[str]:
        """Create or migrate the gold schema, in one transaction.

        Creates the schema and the tables when missing; adds (ALTER TABLE ADD COLUMN, nullable) any
        contract column a table lacks, never dropping a column or a row; then (re)creates the views
        whose definition changed (late-binding on Redshift). Running it again is a no-op.

        Returns:
            What was done, e.g. ``["created table seat_monitor.seat_status_daily", ...]``; empty
            when nothing changed.

        Raises:
            WarehouseError: ``schema`` is not a plain identifier, or a statement failed (rolled back).
        """
        schema = _identifier(schema, "schema")
        actions: list[str] = []
        with self._db.transaction(f"ensure_schema({schema})") as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table, contract in TABLES.items():
                cur.execute("SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = %s AND table_name = %s", (schema, table))
                existing = {str(r[0]).lower() for r in cur.fetchall()}
                if not existing:
                    cur.execute(create_table_sql(self.dialect, schema, table, contract))
                    actions.append(f"created table {schema}.{table}")
                    continue
                for col, logical in contract.columns.items():
                    if col not in existing:
                        cur.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {col} "
                                    f"{column_type(col, logical)}")
                        actions.append(f"added column {schema}.{table}.{col}")
                extra = sorted(existing - set(contract.columns))
                if extra:
                    log.warning("%s.%s has columns outside the contract (kept, loaded as NULL): %s",
                                schema, table, extra)
            cur.execute("SELECT c.relname, d.description FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "LEFT JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = 0 "
                        "WHERE n.nspname = %s AND c.relkind = 'v'", (schema,))
            tags = {str(name): str(desc or "") for name, desc in cur.fetchall()}
            for view, select_sql in view_definitions(schema).items():
                create = self.dialect.create_view(f"{schema}.{view}", select_sql)
                tag = _view_tag(create)
                if tags.get(view) == tag:
                    continue
                if view in tags:
                    cur.execute(f"DROP VIEW {schema}.{view}")
                cur.execute(create)
                cur.execute(f"COMMENT ON VIEW {schema}.{view} IS {_literal(tag)}")
                actions.append(f"{'re-created' if view in tags else 'created'} view {schema}.{view}")
        for action in actions:
            log.info("ensure_schema: %s", action)
        return actions

    # -- loading -------------------------------------------------------------------------------

    def load_day(self, schema: str, snapshot_date: dt.date | str, status: pd.DataFrame,
                 capacity: pd.DataFrame, *, copy_from: Mapping[str, str] | None = None
                 ) -> LoadResult:
        """Replace one day of both gold tables, atomically.

        In one transaction, for each table: stage the rows in a temporary table (multi-row
        INSERTs of :data:`BATCH_ROWS` rows, or on Redshift ``COPY`` from S3), DELETE the day from
        the target, INSERT it from the staging table. Any failure rolls everything back, so the
        day stays as it was. Re-loading a day gives the same rows; other days are untouched.

        Args:
            schema: the warehouse schema (made by :meth:`ensure_schema`).
            snapshot_date: the day; every row must carry it.
            status: the gold status rows (GOLD_STATUS columns, any order).
            capacity: the gold capacity row(s) (GOLD_CAPACITY columns).
            copy_from: Redshift only: ``{"status": "s3://.../seat_status/<day>.csv",
                "capacity": "s3://...", "iam_role": "arn:aws:iam::...:role/..."}`` (``iam_role``
                defaults to ``DatabaseSettings.iam_role``). The CSV files hold the same rows as the
                frames, with a header row and the contract's columns in contract order; the
                frames are still checked, and the staged row counts must match them.

        Returns:
            The rows inserted and replaced per table.

        Raises:
            DataQualityError: a frame breaks its contract (columns, types, empty required values,
                a row of another day, a repeated key); nothing was written.
            WarehouseError: a statement failed (naming table, day and step); rolled back.
        """
        schema = _identifier(schema, "schema")
        day = _as_date(snapshot_date)
        plan = [(table, TABLES[table], day_rows(df, TABLES[table], day))
                for table, df in ((STATUS_TABLE, status), (CAPACITY_TABLE, capacity))]
        sources = self._copy_sources(copy_from) if copy_from is not None else None

        result = LoadResult(day)
        at = _LoadStep(STATUS_TABLE)
        with self._db.transaction(f"load of {schema} for {day}") as cur:
            try:
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
                     sources: Mapping[str, str] | None) -> tuple[int, int]:
        """In the open transaction: stage ``rows`` (INSERT, or COPY from ``sources``), delete the
        day from ``at.table``, insert it from the staging table. Returns (replaced, inserted)."""
        table = at.table
        stage = f"seatmon_stage_{table}"
        at.step = "create staging table"
        cur.execute(f"DROP TABLE IF EXISTS {stage}")
        cur.execute(f"CREATE TEMP TABLE {stage} (LIKE {schema}.{table})")
        if sources is None:
            at.step = "insert into staging table"
            self._stage_rows(cur, stage, contract, rows)
        else:
            at.step = "COPY from S3 into staging table"
            source = sources["status" if table == STATUS_TABLE else "capacity"]
            cur.execute(self.dialect.copy_from_s3(stage, list(contract.columns), source,
                                                  sources["iam_role"]))
            self._check_staged(cur, stage, day, len(rows), source)
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
        """INSERT ``rows`` into the staging table, :data:`BATCH_ROWS` rows per statement."""
        columns = list(contract.columns)
        types = [column_type(c, t) for c, t in contract.columns.items()]
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

    def _copy_sources(self, copy_from: Mapping[str, str]) -> dict[str, str]:
        if not self.dialect.supports_s3_copy:
            raise WarehouseError(f"copy_from (COPY from S3) needs Redshift; {self.target} is "
                                 f"{self.dialect.name}: call load_day without copy_from")
        iam_role = copy_from.get("iam_role") or self._iam_role
        missing = [k for k in ("status", "capacity") if not copy_from.get(k)]
        missing += [] if iam_role else ["iam_role"]
        if missing:
            raise WarehouseError(f"copy_from needs 'status' and 'capacity' S3 URLs and an "
                                 f"'iam_role' (or REDSHIFT_IAM_ROLE); missing: {missing}")
        return {"status": copy_from["status"], "capacity": copy_from["capacity"],
                "iam_role": iam_role}


def _identifier(name: str, what: str) -> str:
    if not is_identifier(name):
        raise WarehouseError(f"{what} name {name!r} is not a plain identifier")
    return name.lower()

