"""The SQL text of the warehouse: tables, column types, views, and what differs by server.

Everything here is a pure function of its arguments (no connection, no lake):
:mod:`seatlib.systems.warehouse` sends what these functions return. The statements are written
once, in the subset PostgreSQL
and Amazon Redshift share; what only Redshift has (``COPY ... FROM`` a manifest with ``IAM_ROLE``
and ``REGION``, late-binding views, sort keys) lives in :class:`RedshiftDialect`, next to its
plain :class:`PostgresDialect` twin. Each Redshift statement's syntax is checked against the
Amazon Redshift Database Developer Guide; docs/redshift-notes.md cites the pages by section.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Sequence

from ..core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS, TYPES, Contract
from ..core.errors import WarehouseError

#: Gold tables in the warehouse, with the contract each one holds.
STATUS_TABLE = "seat_status_daily"
CAPACITY_TABLE = "seat_capacity_daily"
LEDGER_TABLE = "seat_ledger_daily"
TABLES: dict[str, Contract] = {STATUS_TABLE: GOLD_STATUS, CAPACITY_TABLE: GOLD_CAPACITY,
                               LEDGER_TABLE: GOLD_LEDGER}
#: What each table is called in a load's ``copy_from`` and its messages.
TABLE_KEYS: dict[str, str] = {STATUS_TABLE: "status", CAPACITY_TABLE: "capacity",
                              LEDGER_TABLE: "ledger"}
#: Views for Power BI (see docs/powerbi.md).
STATUS_LATEST_VIEW = "v_seat_status_latest"
CAPACITY_VIEW = "v_seat_capacity"
LEDGER_LATEST_VIEW = "v_seat_ledger_latest"

#: Width in bytes of the text columns that need more than the default VARCHAR(256). Redshift
#: counts VARCHAR(n) in bytes and a UTF-8 character takes up to 4 (docs/redshift-notes.md §7):
#: a workspace name gets 512 characters of any script (Zoho documents no limit we could find);
#: ``admin_email`` is a "; "-joined list of addresses of up to 254 octets each (RFC 5321).
#: The seat ledger's lists and notes name clients (ids of up to 18 digits) and domains.
#: A ledger's client lists hold up to 2,000 ids (seats.MAX_LISTED) of up to 18 digits: 65535,
#: Redshift's widest VARCHAR; ``shared_with`` names at most 100.
VARCHAR_BYTES: dict[str, int] = {"workspace_name": 2048, "admin_email": 4096, "note": 65535,
                                 "shared_with": 4096, "clients": 65535,
                                 "paying_clients": 65535, "domains": 2048, "email": 1024,
                                 "overrides": 8192, "reason": 1024}
DEFAULT_VARCHAR_BYTES = 256  # TYPES["str"].sql_type
#: What a text parameter is cast to in an INSERT: wide enough never to cut (an explicit cast to
#: VARCHAR(n) truncates silently); the column's own width then applies, and errors.
VARCHAR_PARAMETER = "VARCHAR(65535)"

_S3_URL = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]/\S+")
_ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/[\w+=,.@/\-]+")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_UNSAFE_IN_LITERAL = re.compile(r"[\\\x00-\x1f\x7f]")


def varchar_bytes(column: str, logical: str) -> int | None:
    """The width in bytes of a text column (None for a column of another type)."""
    if logical != "str":
        return None
    return VARCHAR_BYTES.get(column, DEFAULT_VARCHAR_BYTES)


def column_type(column: str, logical: str) -> str:
    """The SQL type of a contract column (text columns by their width in bytes)."""
    width = varchar_bytes(column, logical)
    return f"VARCHAR({width})" if width is not None else TYPES[logical].sql_type


def literal(text: str, what: str) -> str:
    """A single-quoted SQL string literal, for the few statements that take no parameters.

    Quotes are doubled. A backslash is refused, not escaped: Redshift reads it as an escape in a
    literal (docs/redshift-notes.md §4) while PostgreSQL with standard strings does not, so no
    spelling means the same on both. Control characters are refused too.

    Raises:
        WarehouseError: ``text`` holds a backslash or a control character (names ``what``).
    """
    if _UNSAFE_IN_LITERAL.search(text):
        raise WarehouseError(f"{what} {text!r} contains a backslash or a control character, which "
                             f"cannot be put safely into a Redshift string literal; rename it")
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CopySource:
    """One gold file for ``COPY``, through a manifest that lists only it.

    Attributes:
        manifest_url: ``s3://bucket/.../<day>.csv.manifest`` (written next to the file).
        data_url: ``s3://bucket/.../<day>.csv``, the one entry of the manifest (for messages).
        columns: the file's header, in the file's order (checked against the contract).
        region: the bucket's AWS region when it is not the cluster's; empty: the same.
    """

    manifest_url: str
    data_url: str
    columns: tuple[str, ...]
    region: str = ""


def manifest_json(urls: Sequence[str]) -> bytes:
    """A COPY manifest listing exactly ``urls``, each mandatory (docs/redshift-notes.md §2)."""
    entries = [{"url": url, "mandatory": True} for url in urls]
    return (json.dumps({"entries": entries}, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# Dialects: the only place that knows SQL which differs between PostgreSQL and Redshift.
# --------------------------------------------------------------------------------------------


class Dialect:
    """What differs between the servers; everything else here is shared SQL.

    Attributes:
        name: ``"postgres"`` or ``"redshift"``.
        supports_s3_copy: whether :meth:`copy_from_s3` can be used.
        widens_in_transaction: whether ``ALTER COLUMN ... TYPE VARCHAR(n)`` may run inside a
            transaction block (Redshift: no, docs/redshift-notes.md §7) and needs the views
            dropped first (PostgreSQL's views bind their columns; Redshift's late-binding ones
            do not).
        table_suffix: text after ``CREATE TABLE t (...)`` (distribution, sort key).
        view_suffix: text after a view's SELECT (late binding).
    """

    name = "generic"
    supports_s3_copy = False
    widens_in_transaction = True
    table_suffix = ""
    view_suffix = ""

    def table_options(self, contract: Contract) -> str:
        """Text after ``CREATE TABLE t (...)``."""
        return self.table_suffix

    def create_view(self, qualified_name: str, select_sql: str) -> str:
        """The ``CREATE VIEW`` statement for a Power BI view."""
        return f"CREATE VIEW {qualified_name} AS\n{select_sql}{self.view_suffix}"

    def copy_from_s3(self, table: str, source: CopySource, iam_role: str) -> str:
        """The statement loading one gold CSV file from S3 into ``table``."""
        raise NotImplementedError

    def day_index_sql(self, schema: str, table: str) -> str | None:
        """The ``CREATE INDEX`` on ``snapshot_date`` of a gold table, or None where the server
        has no indexes (Redshift: the sort key does that work)."""
        return None


class PostgresDialect(Dialect):
    """Plain PostgreSQL (the demo and the tests): no distribution or sort keys, plain views, and
    an index on ``snapshot_date`` in place of the sort key."""

    name = "postgres"

    def copy_from_s3(self, table: str, source: CopySource, iam_role: str) -> str:
        """PostgreSQL cannot read S3.

        Raises:
            WarehouseError: always; load through INSERT (no ``copy_from``) instead.
        """
        raise WarehouseError(f"COPY from S3 ({source.data_url}) needs Redshift; this warehouse is "
                             f"PostgreSQL: call load_day without copy_from")

    def day_index_sql(self, schema: str, table: str) -> str:
        """An index on ``snapshot_date``: a load deletes one day and its guard reads the day
        before, which without it scan the whole history."""
        return f"CREATE INDEX {day_index_name(table)} ON {schema}.{table} (snapshot_date)"


class RedshiftDialect(Dialect):
    """Amazon Redshift: distribution chosen by Redshift and rows sorted by day (every query filters
    on it); late-binding views, which survive the tables below them being altered or re-created;
    COPY from S3 with an IAM role."""

    name = "redshift"
    supports_s3_copy = True
    widens_in_transaction = False
    table_suffix = " DISTSTYLE AUTO SORTKEY (snapshot_date)"
    view_suffix = "\nWITH NO SCHEMA BINDING"

    def copy_from_s3(self, table: str, source: CopySource, iam_role: str) -> str:
        """``COPY`` one CSV file (a header row, then ``source.columns`` in that order) from S3.

        The column list maps the file's fields by position, so it follows the file's header
        (docs/redshift-notes.md §1); ``FROM`` names the manifest, which lists only that file, with
        ``MANIFEST`` (§2), and ``REGION`` when the bucket is in another region (§3). Empty and
        blank fields become NULL; timestamps are parsed by Redshift ('auto').

        Raises:
            WarehouseError: a URL is not ``s3://bucket/key``, the role is not an IAM role ARN,
                the region is not a region name, or a column is not a plain identifier.
        """
        for url in (source.manifest_url, source.data_url):
            if not _S3_URL.fullmatch(url):
                raise WarehouseError(f"COPY source {url!r} is not an s3://bucket/key URL")
        if not _ROLE_ARN.fullmatch(iam_role):
            raise WarehouseError(f"COPY IAM role {iam_role!r} is not an IAM role ARN "
                                 f"(arn:aws:iam::<account>:role/<name>); set REDSHIFT_IAM_ROLE")
        if source.region and not _REGION.fullmatch(source.region):
            raise WarehouseError(f"COPY region {source.region!r} is not an AWS region name "
                                 f"(e.g. eu-west-1); set [warehouse] s3_region")
        bad = [c for c in source.columns if not re.fullmatch(r"[a-z_][a-z0-9_]*", c)]
        if bad or not source.columns:
            raise WarehouseError(f"COPY column list of {source.data_url} is empty or has names "
                                 f"that are not plain identifiers: {bad}")
        region = f" REGION {literal(source.region, 'COPY region')}" if source.region else ""
        return (f"COPY {table} ({', '.join(source.columns)}) "
                f"FROM {literal(source.manifest_url, 'COPY manifest URL')} "
                f"IAM_ROLE {literal(iam_role, 'COPY IAM role')} MANIFEST{region} "
                f"CSV IGNOREHEADER 1 TIMEFORMAT 'auto' EMPTYASNULL BLANKSASNULL")


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


def day_index_name(table: str) -> str:
    """The name of the ``snapshot_date`` index of a gold table (PostgreSQL only)."""
    return f"{table}_snapshot_date_idx"


def widen_column_sql(schema: str, table: str, column: str, width: int) -> str:
    """``ALTER TABLE ... ALTER COLUMN ... TYPE VARCHAR(n)``: the one type change Redshift allows
    (a VARCHAR made longer, docs/redshift-notes.md §7); PostgreSQL takes the same text."""
    return f"ALTER TABLE {schema}.{table} ALTER COLUMN {column} TYPE VARCHAR({width})"


def lock_sql(schema: str, tables: Sequence[str]) -> str:
    """``LOCK TABLE a, b``: both servers take ACCESS EXCLUSIVE locks until the transaction ends
    (docs/redshift-notes.md §5)."""
    return "LOCK TABLE " + ", ".join(f"{schema}.{t}" for t in tables)


def view_definitions(schema: str) -> dict[str, str]:
    """The SELECT of each Power BI view, by view name.

    * ``v_seat_status_latest``: the rows of ``seat_status_daily`` for its latest ``snapshot_date``.
    * ``v_seat_capacity``: ``seat_capacity_daily`` over time, plus ``seats_used_pct`` (0-100,
      NULL when nothing is allocated), ``seats_reclaimable`` (the seat users who serve only
      ex-clients: the capacity row's ``seats_held_by_ex_clients``; on a day from before the
      seat ledger, the seats held by rows flagged ``reclaimable``) and
      ``workspaces_reclaimable`` (rows with a reclaimable seat).
    * ``v_seat_ledger_latest``: the seat ledger of the latest day (one row per seat user).
    """
    status_cols = ", ".join(GOLD_STATUS.columns)
    ledger_cols = ", ".join(GOLD_LEDGER.columns)
    capacity_cols = ", ".join(f"c.{col}" for col in GOLD_CAPACITY.columns)
    return {
        STATUS_LATEST_VIEW: (
            f"SELECT {status_cols}\n"
            f"FROM {schema}.{STATUS_TABLE}\n"
            f"WHERE snapshot_date = (SELECT MAX(snapshot_date) FROM {schema}.{STATUS_TABLE})"
        ),
        LEDGER_LATEST_VIEW: (
            f"SELECT {ledger_cols}\n"
            f"FROM {schema}.{LEDGER_TABLE}\n"
            f"WHERE snapshot_date = (SELECT MAX(snapshot_date) FROM {schema}.{LEDGER_TABLE})"
        ),
        CAPACITY_VIEW: (
            f"SELECT {capacity_cols},\n"
            f"  CAST(CASE WHEN c.seats_allocated > 0\n"
            f"            THEN 100.0 * c.seats_used / c.seats_allocated END AS DOUBLE PRECISION)"
            f" AS seats_used_pct,\n"
            f"  CASE WHEN c.seat_users IS NOT NULL THEN c.seats_held_by_ex_clients\n"
            f"       ELSE COALESCE(r.seats_reclaimable, 0) END AS seats_reclaimable,\n"
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
    """A multi-row ``INSERT ... VALUES`` with ``%s`` parameters, each cast to ``types``.

    The casts make the statement independent of how a driver types its parameters (psycopg and
    redshift_connector differ) and of all-NULL columns. Pass :data:`VARCHAR_PARAMETER` for text:
    an explicit cast to a shorter VARCHAR would cut the value without an error.
    """
    row = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row] * n_rows)


def parameter_type(column: str, logical: str) -> str:
    """The cast of one INSERT parameter (text: :data:`VARCHAR_PARAMETER`)."""
    return VARCHAR_PARAMETER if logical == "str" else column_type(column, logical)
