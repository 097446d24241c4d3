"""What the company database and the warehouse share: connecting, transactions, driver errors.

Two drivers: psycopg for ``postgresql://`` DSNs (the demo and the tests) and redshift_connector
for Redshift (a ``redshift://`` DSN, or the ``REDSHIFT_*`` settings with a password or IAM; SSL
on). :func:`connect` opens a :class:`Connection`; its :meth:`Connection.transaction` commits on
success, rolls back on error and turns every driver error into the caller's seatlib error
(:class:`~seatlib.core.errors.WarehouseError` by default) naming the operation and the target, with
the passwords scrubbed out. What SQL to send is the business of :mod:`seatlib.systems.company` and
:mod:`seatlib.systems.warehouse`, which sit on top of this module.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

import pandas as pd

from ..core.config import DatabaseSettings
from ..core.errors import ConfigError, WarehouseError
from ..core.log import scrub
from ..core.values import parse_flag

log = logging.getLogger(__name__)

PSYCOPG = "psycopg"
REDSHIFT_CONNECTOR = "redshift_connector"

#: SQLSTATE of "cannot execute ... in a read-only transaction".
READ_ONLY_SQLSTATE = "25006"

Params = Sequence[Any] | Mapping[str, Any] | None


def driver_message(exc: BaseException) -> str:
    """The server's message of a driver error (redshift_connector wraps it in a dict)."""
    if exc.args and isinstance(exc.args[0], dict) and "M" in exc.args[0]:
        return str(exc.args[0]["M"])
    return str(exc).strip() or type(exc).__name__


def sqlstate(exc: BaseException | None) -> str:
    """The SQLSTATE of a driver error ("" when it has none): psycopg's ``sqlstate``, or the
    ``C`` field redshift_connector puts in its dict."""
    code = getattr(exc, "sqlstate", None)
    if code is None and exc is not None and exc.args and isinstance(exc.args[0], dict):
        code = exc.args[0].get("C")
    return str(code or "")


def short_sql(sql: str, limit: int = 80) -> str:
    """``sql`` on one line, cut to ``limit`` characters, quoted: for messages."""
    text = " ".join(sql.split())
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def cursor_frame(cur: Any) -> pd.DataFrame:
    """The rows of an executed cursor as a DataFrame (column names as the server gives them)."""
    if cur.description is None:
        return pd.DataFrame()
    columns = [d[0] for d in cur.description]
    return pd.DataFrame.from_records(list(cur.fetchall()), columns=columns)


class Connection:
    """An open connection through one driver. Use :func:`connect` to make one.

    Attributes:
        target: "<kind> database '<name>' on <host>", for messages.
        driver: :data:`PSYCOPG` or :data:`REDSHIFT_CONNECTOR`.
        error: the seatlib error class driver errors become.
    """

    def __init__(self, conn: Any, *, target: str, driver: str,
                 driver_errors: tuple[type[BaseException], ...], secrets: Iterable[str] = (),
                 error: type[WarehouseError] = WarehouseError):
        self._conn = conn
        self._driver_errors = tuple(driver_errors) + (OSError,)
        self._secrets = tuple(s for s in secrets if s)
        self.target = target
        self.driver = driver
        self.error = error

    def message(self, exc: BaseException) -> str:
        """The driver's message of ``exc``, passwords scrubbed."""
        return scrub(driver_message(exc), self._secrets)

    @contextmanager
    def transaction(self, what: str, *, read_only: bool = False,
                    autocommit: bool = False) -> Iterator[Any]:
        """A cursor in a transaction: commit on success; on error roll back and translate.

        Driver errors (and socket errors) become ``error("<what> failed on <target>: <server
        message>")``; any other exception passes through unchanged, after the rollback.

        Args:
            what: the operation, for the message.
            read_only: run the transaction READ ONLY: the server refuses any write in it.
            autocommit: run outside any transaction block, each statement on its own (for what
                Redshift refuses inside one, docs/redshift-notes.md §7); nothing to roll back.
        """
        if self._conn is None:
            raise self.error(f"{what}: the connection to {self.target} is closed")
        cur = self._conn.cursor()
        try:
            if read_only:
                self._begin_read_only(cur)
            elif autocommit:
                self._conn.autocommit = True
            yield cur
            if not autocommit:
                self._conn.commit()
        except BaseException as exc:
            try:
                if not autocommit:
                    self._conn.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; report the first error
                log.warning("rollback after a failed %s also failed", what)
            if not isinstance(exc, self._driver_errors):
                raise
            raise self.error(f"{what} failed on {self.target}: {self.message(exc)}") from exc
        finally:
            if read_only or autocommit:
                self._end_mode(read_only)
            try:
                cur.close()
            except Exception:  # noqa: BLE001
                pass

    def _begin_read_only(self, cur: Any) -> None:
        """Make the transaction about to start READ ONLY.

        psycopg opens it with ``BEGIN READ ONLY`` when ``read_only`` is set. redshift_connector
        would send its own ``begin transaction`` first (unless in autocommit mode), so it runs in
        autocommit mode for this transaction, which ``BEGIN READ ONLY`` then opens (the syntax of
        Redshift's BEGIN, docs/redshift-notes.md §9) and ``commit()`` (which the driver sends
        even in autocommit mode) ends.
        """
        if self.driver == PSYCOPG:
            self._conn.read_only = True
        else:
            self._conn.autocommit = True
            cur.execute("BEGIN READ ONLY")

    def _end_mode(self, read_only: bool) -> None:
        """Back to ordinary transactions after a read-only or autocommit one."""
        try:
            if read_only and self.driver == PSYCOPG:
                self._conn.read_only = None
            else:
                self._conn.autocommit = False
        except Exception:  # noqa: BLE001 - a broken connection: its next use reports it
            log.warning("could not reset the transaction mode of the connection to %s",
                        self.target)

    def copy_rows(self, cur: Any, table: str, columns: Sequence[str],
                  rows: Iterable[Sequence[Any]]) -> bool:
        """Write ``rows`` (plain Python values, in ``columns`` order) into ``table`` with ``COPY
        ... FROM STDIN``, in the transaction of ``cur``, when the driver can; returns whether
        it did.

        psycopg can: it sends the rows as one stream and converts each value itself (None is
        NULL; dates, datetimes, booleans, numbers and any text, quotes, tabs, newlines,
        backslashes and non-ASCII included). That skips the parsing of long multi-row INSERTs.
        redshift_connector cannot (Redshift's COPY reads only S3 and the like): nothing is
        sent and the caller inserts the rows itself. ``table`` and ``columns`` must be trusted
        identifiers; a failed COPY raises the driver's error, like a failed statement.
        """
        if self.driver != PSYCOPG:
            return False
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return True

    def execute(self, sql: str, params: Params = None, *, autocommit: bool = False) -> int:
        """Run one statement in its own transaction (or, with ``autocommit``, outside any);
        returns the driver's row count.

        Raises:
            WarehouseError (``error``): the statement failed (the message quotes its start).
        """
        with self.transaction(f"statement {short_sql(sql)}", autocommit=autocommit) as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def fetch_frame(self, sql: str, params: Params = None, *, what: str = "",
                    read_only: bool = False) -> pd.DataFrame:
        """Run a query in its own transaction and return its rows as a DataFrame.

        Args:
            what: the operation, for the message (default: "query <its start>").
            read_only: run it in a READ ONLY transaction.

        Raises:
            WarehouseError (``error``): the query failed.
        """
        with self.transaction(what or f"query {short_sql(sql)}", read_only=read_only) as cur:
            cur.execute(sql, params)
            return cursor_frame(cur)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(db: DatabaseSettings, *, error: type[WarehouseError] = WarehouseError) -> Connection:
    """Open a connection described by ``db``.

    * ``postgresql://`` DSN: psycopg (the demo and the tests).
    * ``redshift://user:password@host:port/database[?ssl=false&sslmode=...]`` DSN: redshift_connector
      (``ssl`` defaults to true; ``ssl=false`` only for local tests through pgbouncer).
    * No DSN: redshift_connector with ``host``/``port``/``database``/``user``/``password`` and SSL,
      or IAM authentication (``iam=True``: temporary credentials for ``user`` from boto3's
      credential chain, with ``cluster_identifier`` and ``region``).

    Args:
        db: the settings, usually from :func:`seatlib.core.config.database_settings`.
        error: the seatlib error class failures are reported as.

    Raises:
        ConfigError: the DSN is malformed.
        WarehouseError (``error``): the connection failed; the message names host and database
            (never the password).
    """
    if db.driver == "postgres":
        return _connect_psycopg(db, error)
    return _connect_redshift(db, error)


def _connect_psycopg(db: DatabaseSettings, error: type[WarehouseError]) -> Connection:
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
                          f"{scrub(str(exc), [url_password])}") from None
    secrets = (str(info.get("password") or url_password), db.password)
    target = f"PostgreSQL database {info.get('dbname', '?')!r} on {info.get('host', 'localhost')}"
    try:
        conn = psycopg.connect(db.dsn, autocommit=False, connect_timeout=15,
                               application_name="seat-monitor")
    except psycopg.Error as exc:
        raise error(f"could not connect to {target}: {scrub(str(exc).strip(), secrets)}") from None
    return Connection(conn, target=target, driver=PSYCOPG, driver_errors=(psycopg.Error,),
                      secrets=secrets, error=error)


def parse_redshift_dsn(dsn: str) -> dict[str, Any]:
    """``redshift://user:pass@host:port/db?ssl=false`` -> redshift_connector.connect() arguments.

    Raises:
        ConfigError: the DSN lacks user, host or database, or has an unknown parameter.
    """
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


def _redshift_arguments(db: DatabaseSettings) -> dict[str, Any]:
    """redshift_connector.connect() arguments from a DSN, IAM settings or a password."""
    if db.dsn:
        return parse_redshift_dsn(db.dsn)
    if db.iam:
        return dict(iam=True, db_user=db.user, user="", password="", database=db.database,
                    cluster_identifier=db.cluster_identifier or None, region=db.region or None,
                    host=db.host or None, port=db.port, ssl=True)
    return dict(host=db.host, port=db.port, database=db.database, user=db.user,
                password=db.password, ssl=True)


def _connect_redshift(db: DatabaseSettings, error: type[WarehouseError]) -> Connection:
    import redshift_connector

    kwargs = _redshift_arguments(db)
    secrets = (kwargs.get("password", ""), db.password)
    host = kwargs.get("host") or kwargs.get("cluster_identifier") or "?"
    target = f"Redshift database {kwargs['database']!r} on {host}:{kwargs['port']}"
    try:
        conn = redshift_connector.connect(application_name="seat-monitor", **kwargs)
    except Exception as exc:  # noqa: BLE001 - redshift_connector, socket, boto3 errors alike
        message = scrub(driver_message(exc), secrets)
        raise error(f"could not connect to {target}: {type(exc).__name__}: {message}") from None
    return Connection(conn, target=target, driver=REDSHIFT_CONNECTOR,
                      driver_errors=(redshift_connector.Error,), secrets=secrets, error=error)
