"""The databases: the company database (module status) and the warehouse (gold tables for Power BI).

One interface for PostgreSQL (the demo and the tests: psycopg) and Amazon Redshift (production:
redshift_connector). The SQL is written once, in the subset both speak; what only Redshift has —
``COPY ... FROM 's3://...' IAM_ROLE``, late-binding views (``WITH NO SCHEMA BINDING``), sort keys —
lives in :class:`RedshiftDialect`, next to its plain :class:`PostgresDialect` twin. The dialect
follows the *server* (``SELECT version()``), not the driver, so redshift_connector talking to
PostgreSQL through pgbouncer (the tests) uses PostgreSQL's SQL.

Every driver error is turned into a :class:`~seatlib.errors.WarehouseError` naming the operation and
the table or query; input that breaks a contract raises :class:`~seatlib.errors.DataQualityError`
before anything is written. Passwords are never logged nor put in a message.

Typical use::

    with warehouse.connect(config.database_settings()) as wh:
        status = wh.query_module_status(settings.module_status_query)
        ...
        wh.ensure_schema("seat_monitor")
        wh.load_day("seat_monitor", run_date, gold_status, gold_capacity)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from .config import DatabaseSettings
from .contracts import (GOLD_CAPACITY, GOLD_STATUS, TYPES, Contract, check_columns, check_not_null,
                        check_unique, to_python)
from .errors import ConfigError, DataQualityError, WarehouseError
from .values import is_identifier, is_missing, parse_flag

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
    """Open a connection described by ``db``.

    * ``postgresql://`` DSN: psycopg (the demo and the tests).
    * ``redshift://user:password@host:port/database[?ssl=false&sslmode=...]`` DSN: redshift_connector
      (``ssl`` defaults to true; ``ssl=false`` only for local tests through pgbouncer).
    * No DSN: redshift_connector with ``host``/``port``/``database``/``user``/``password`` and SSL,
      or IAM authentication (``iam=True``: temporary credentials for ``user`` from boto3's
      credential chain, with ``cluster_identifier`` and ``region``).

    Args:
        db: the settings, usually from :func:`seatlib.config.database_settings`.
        dialect: force a dialect; by default it follows the server's ``version()``.

    Raises:
        ConfigError: the DSN is malformed.
        WarehouseError: the connection failed; the message names host and database (never the
            password).
    """
    if db.driver == "postgres":
        conn, target, errors = _connect_psycopg(db)
    else:
        conn, target, errors = _connect_redshift(db)
    wh = Warehouse(conn, target=target, driver_errors=errors, iam_role=db.iam_role)
    try:
        version = str(wh.fetch_frame("SELECT version() AS v").iloc[0, 0])
    except BaseException:
        wh.close()
        raise
    wh.dialect = dialect or dialect_for_version(version)
    log.info("connected to %s (%s dialect)", target, wh.dialect.name)
    return wh


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


def _connect_psycopg(db: DatabaseSettings) -> tuple[Any, str, tuple[type[BaseException], ...]]:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        url_password = unquote(urlsplit(db.dsn).password or "")
    except ValueError:
        url_password = ""
    try:
        info = conninfo_to_dict(db.dsn)
    except psycopg.Error as exc:
        raise ConfigError(f"SEATLIB_DATABASE_URL is not a valid postgresql:// DSN: "
                          f"{_scrub(str(exc), url_password)}") from None
    password = str(info.get("password") or url_password)
    target = f"PostgreSQL database {info.get('dbname', '?')!r} on {info.get('host', 'localhost')}"
    try:
        conn = psycopg.connect(db.dsn, autocommit=False, connect_timeout=15,
                               application_name="seat-monitor")
    except psycopg.Error as exc:
        message = _scrub(_scrub(str(exc).strip(), password), db.password)
        raise WarehouseError(f"could not connect to {target}: {message}") from None
    return conn, target, (psycopg.Error,)


def _redshift_dsn(dsn: str) -> dict[str, Any]:
    """``redshift://user:pass@host:port/db?ssl=false`` -> redshift_connector.connect() arguments."""
    parts = urlsplit(dsn)
    try:
        port = parts.port or 5439
    except ValueError:
        raise ConfigError("the redshift:// DSN has an invalid port") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database or not parts.username:
        raise ConfigError("a redshift:// DSN needs user, host and database: "
                          "redshift://user:password@host:5439/database")
    kwargs: dict[str, Any] = dict(host=parts.hostname, port=port, database=database,
                                  user=unquote(parts.username),
                                  password=unquote(parts.password or ""), ssl=True)
    for key, value in parse_qsl(parts.query):
        if key == "ssl":
            ssl = parse_flag(value)
            if ssl is None:
                raise ConfigError(f"redshift:// DSN: ssl={value!r} must be true or false")
            kwargs["ssl"] = ssl
        elif key == "sslmode":
            kwargs["sslmode"] = value
        else:
            raise ConfigError(f"redshift:// DSN: unknown parameter {key!r} (known: ssl, sslmode)")
    return kwargs


def _connect_redshift(db: DatabaseSettings) -> tuple[Any, str, tuple[type[BaseException], ...]]:
    import redshift_connector

    if db.dsn:
        kwargs = _redshift_dsn(db.dsn)
    elif db.iam:
        kwargs = dict(iam=True, db_user=db.user, user="", password="", database=db.database,
                      cluster_identifier=db.cluster_identifier or None, region=db.region or None,
                      host=db.host or None, port=db.port, ssl=True)
    else:
        kwargs = dict(host=db.host, port=db.port, database=db.database, user=db.user,
                      password=db.password, ssl=True)
    password = kwargs.get("password", "")
    host = kwargs.get("host") or kwargs.get("cluster_identifier") or "?"
    target = f"Redshift database {kwargs['database']!r} on {host}:{kwargs['port']}"
    try:
        conn = redshift_connector.connect(application_name="seat-monitor", **kwargs)
    except Exception as exc:  # noqa: BLE001 - redshift_connector, socket, boto3 errors alike
        message = _scrub(_scrub(_driver_message(exc), password), db.password)
        raise WarehouseError(f"could not connect to {target}: {type(exc).__name__}: {message}") from None
    return conn, target, (redshift_connector.Error,)


def _driver_message(exc: BaseException) -> str:
    """The server's message of a driver error (redshift_connector wraps it in a dict)."""
    if exc.args and isinstance(exc.args[0], dict) and "M" in exc.args[0]:
        return str(exc.args[0]["M"])
    return str(exc).strip() or type(exc).__name__


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


class Warehouse:
    """An open connection to PostgreSQL or Redshift. Use :func:`connect` to make one.

    Every public method runs in its own transaction: committed when it returns, rolled back when
    it raises, so no transaction (and no Redshift lock) stays open between calls.

    Attributes:
        dialect: the SQL dialect of the server.
        target: "<kind> database '<name>' on <host>", for messages.
    """

    def __init__(self, conn: Any, *, target: str, driver_errors: tuple[type[BaseException], ...],
                 iam_role: str = "", dialect: Dialect | None = None):
        self._conn = conn
        self._driver_errors = tuple(driver_errors) + (OSError,)
        self._iam_role = iam_role
        self.target = target
        self.dialect = dialect or PostgresDialect()

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Any]:
        """A cursor in a transaction: commit on success; on error roll back and translate.

        Driver errors (and socket errors) become WarehouseError("<what> failed on <target>:
        <server message>"); any other exception passes through unchanged, after the rollback.
        """
        if self._conn is None:
            raise WarehouseError(f"{what}: the connection to {self.target} is closed")
        cur = self._conn.cursor()
        try:
            yield cur
            self._conn.commit()
        except BaseException as exc:
            try:
                self._conn.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; report the first error
                log.warning("rollback after a failed %s also failed", what)
            if not isinstance(exc, self._driver_errors):
                raise
            raise WarehouseError(f"{what} failed on {self.target}: {_driver_message(exc)}") from exc
        finally:
            try:
                cur.close()
            except Exception:  # noqa: BLE001
                pass

    @staticmethod
    def _frame(cur: Any) -> pd.DataFrame:
        if cur.description is None:
            return pd.DataFrame()
        columns = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(list(cur.fetchall()), columns=columns)

    # -- generic -------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> int:
        """Run one statement in its own transaction; returns the driver's row count.

        Raises:
            WarehouseError: the statement failed (the message quotes its start).
        """
        with self._transaction(f"statement {_short(sql)}") as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def fetch_frame(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
                    ) -> pd.DataFrame:
        """Run a query and return its rows as a DataFrame (column names as the server gives them).

        Raises:
            WarehouseError: the query failed.
        """
        with self._transaction(f"query {_short(sql)}") as cur:
            cur.execute(sql, params)
            return self._frame(cur)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- company database ----------------------------------------------------------------------

    def query_module_status(self, sql: str) -> pd.DataFrame:
        """Run the configured module-status query and check its answer.

        Args:
            sql: a SELECT returning at least ``client_id`` and ``module_active`` (other columns
                are ignored).

        Returns:
            Exactly the columns ``client_id`` (Int64) and ``module_active`` (boolean), one row per
            client.

        Raises:
            WarehouseError: the query failed.
            DataQualityError: a column is missing, a client_id is empty, not an integer or
                repeated, or a flag is not one of true/false/t/f/1/0/yes/no/y/n.
        """
        raw = self.fetch_frame(sql)
        where = f"module status query {_short(sql, 200)}"
        raw.columns = [str(c).lower() for c in raw.columns]
        for col in ("client_id", "module_active"):
            if col not in raw.columns:
                raise DataQualityError(f"{where}: missing column {col!r}; the query returned "
                                       f"columns {list(raw.columns)} (alias it: ... AS {col})")
        ids = raw["client_id"].astype(object)
        empty = ids.map(is_missing)
        if empty.any():
            raise DataQualityError(f"{where}: {int(empty.sum())} row(s) have an empty client_id")
        client_ids = []
        for value in ids:
            try:
                text = value.strip() if isinstance(value, str) else None
                client_ids.append(int(text) if text is not None else to_python(value, "int"))
            except (ValueError, TypeError, OverflowError):
                raise DataQualityError(f"{where}: client_id {value!r} is not an integer") from None
        out = pd.DataFrame({"client_id": pd.array(client_ids, dtype="Int64")})
        dup = out["client_id"].duplicated(keep=False)
        if dup.any():
            repeated = sorted(set(out.loc[dup, "client_id"].tolist()))
            raise DataQualityError(f"{where}: {len(repeated)} client_id(s) appear more than once: "
                                   f"{repeated[:10]}")
        flags = []
        for cid, value in zip(client_ids, raw["module_active"].astype(object)):
            if is_missing(value):
                raise DataQualityError(f"{where}: module_active is empty for client_id {cid}")
            flag = parse_flag(value)
            if flag is None:
                raise DataQualityError(f"{where}: module_active {value!r} for client_id {cid} is "
                                       f"not a boolean (true/false, t/f, 1/0, yes/no, y/n)")
            flags.append(flag)
        out["module_active"] = pd.array(flags, dtype="boolean")
        log.info("module status: %d clients, %d active", len(out), int(out["module_active"].sum()))
        return out

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
        with self._transaction(f"ensure_schema({schema})") as cur:
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
        plan = []
        for table, df in ((STATUS_TABLE, status), (CAPACITY_TABLE, capacity)):
            contract = TABLES[table]
            where = f"load of {day}"
            check_columns(df, contract, where)
            check_not_null(df, contract, where)
            check_unique(df, contract, where)
            rows = frame_rows(df, contract, where)
            other = sorted({str(r[0]) for r in rows if r[0] != day})
            if other:
                raise DataQualityError(f"{contract.name} ({where}): rows of other day(s) {other[:5]}; "
                                       f"every snapshot_date must be {day}")
            plan.append((table, contract, rows))
        sources = self._copy_sources(copy_from) if copy_from is not None else None

        result = LoadResult(day)
        table, step = STATUS_TABLE, "start"
        with self._transaction(f"load of {schema} for {day}") as cur:
            try:
                for table, contract, rows in plan:
                    columns = list(contract.columns)
                    stage = f"seatmon_stage_{table}"
                    step = "create staging table"
                    cur.execute(f"DROP TABLE IF EXISTS {stage}")
                    cur.execute(f"CREATE TEMP TABLE {stage} (LIKE {schema}.{table})")
                    if sources is None:
                        step = "insert into staging table"
                        self._stage_rows(cur, stage, contract, rows)
                    else:
                        step = "COPY from S3 into staging table"
                        key = "status" if table == STATUS_TABLE else "capacity"
                        cur.execute(self.dialect.copy_from_s3(stage, columns, sources[key],
                                                              sources["iam_role"]))
                        self._check_staged(cur, stage, day, len(rows), sources[key])
                    step = "delete the day"
                    cur.execute(f"DELETE FROM {schema}.{table} WHERE snapshot_date = %s", (day,))
                    result.replaced[table] = max(cur.rowcount, 0)
                    step = "insert the day"
                    cols = ", ".join(columns)
                    cur.execute(f"INSERT INTO {schema}.{table} ({cols}) SELECT {cols} FROM {stage}")
                    result.inserted[table] = max(cur.rowcount, 0)
                    cur.execute(f"DROP TABLE {stage}")
            except DataQualityError:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever failed, the transaction rolls back
                raise WarehouseError(
                    f"load of {schema}.{table} for {day} failed at step '{step}' on {self.target}: "
                    f"{_driver_message(exc)}; rolled back, {day} is as it was") from exc
        log.info("loaded %s: %s (replaced %s)", day, result.inserted, result.replaced)
        return result

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


def _short(sql: str, limit: int = 80) -> str:
    text = " ".join(sql.split())
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")
