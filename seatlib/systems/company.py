"""The company database: which clients have the BI module (the "module status" query).

The query is configured (``[company] module_status_query``); it runs in a READ ONLY transaction on
either driver (psycopg or redshift_connector, see :mod:`seatlib.systems.db`), so a misconfigured
query that writes (``DELETE ... RETURNING``) is refused by the server. Its answer is checked before
anyone uses it: the two columns, no empty or repeated ``client_id``, a flag spelled as a boolean.

Typical use::

    status = CompanyDatabase(config.database_settings()).module_status(settings.module_status_query)
"""

from __future__ import annotations

import logging

import pandas as pd

from ..core.config import DatabaseSettings
from ..core.contracts import TYPES, to_python
from .db import READ_ONLY_SQLSTATE, connect, short_sql, sqlstate
from ..core.errors import CompanyDatabaseError, DataQualityError
from ..core.values import MAX_ID_DIGITS, is_missing, parse_flag

log = logging.getLogger(__name__)

#: The columns the module-status query must return (others are ignored).
MODULE_STATUS_COLUMNS = ("client_id", "module_active")


class CompanyDatabase:
    """The company database, reached with ``db``; each call opens and closes its connection."""

    def __init__(self, db: DatabaseSettings):
        self._settings = db

    def module_status(self, sql: str) -> pd.DataFrame:
        """Run the configured module-status query, read-only, and check its answer.

        Args:
            sql: a SELECT returning at least ``client_id`` and ``module_active`` (other columns
                are ignored).

        Returns:
            Exactly the columns ``client_id`` (Int64) and ``module_active`` (boolean), one row per
            client.

        Raises:
            CompanyDatabaseError: the connection or the query failed, or the query tried to
                write (the message names the query); a :class:`~seatlib.core.errors.WarehouseError`.
            DataQualityError: a column is missing, a client_id is empty, not an integer or
                repeated, or a flag is not one of true/false/t/f/1/0/yes/no/y/n.
        """
        where = f"module status query {short_sql(sql, 200)}"
        with connect(self._settings, error=CompanyDatabaseError) as conn:
            try:
                raw = conn.fetch_frame(sql, what=where, read_only=True)
            except CompanyDatabaseError as exc:
                if sqlstate(exc.__cause__) != READ_ONLY_SQLSTATE:
                    raise
                raise CompanyDatabaseError(
                    f"{exc}; the module status query runs in a read-only transaction and may "
                    f"only read: make [company] module_status_query a SELECT") from exc.__cause__
        out = check_module_status(raw, where)
        log.info("module status: %d clients, %d active", len(out), int(out["module_active"].sum()))
        return out


def check_module_status(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """The checked ``client_id`` (Int64) and ``module_active`` (boolean) of a query's rows.

    Column names are compared in lower case; other columns are dropped.

    Raises:
        DataQualityError: see :meth:`CompanyDatabase.module_status`; the message starts with
            ``where``.
    """
    raw = raw.copy()
    raw.columns = [str(c).lower() for c in raw.columns]
    for col in MODULE_STATUS_COLUMNS:
        if col not in raw.columns:
            raise DataQualityError(f"{where}: missing column {col!r}; the query returned "
                                   f"columns {list(raw.columns)} (alias it: ... AS {col})")
    client_ids = _client_ids(raw["client_id"].astype(object), where)
    fits = [abs(c) < 10 ** MAX_ID_DIGITS for c in client_ids]
    if not all(fits):  # no workspace name can carry it either (docs/seats.md): never matched
        long_ids = [c for c, ok in zip(client_ids, fits) if not ok]
        log.warning("%s: %d client id(s) of more than %d digits left out (no workspace can "
                    "match them): %s", where, len(long_ids), MAX_ID_DIGITS, long_ids[:5])
        raw = raw[fits].reset_index(drop=True)
        client_ids = [c for c, ok in zip(client_ids, fits) if ok]
    out = pd.DataFrame({"client_id": pd.array(client_ids, dtype=TYPES["int"].pandas_dtype)})
    dup = out["client_id"].duplicated(keep=False)
    if dup.any():
        repeated = sorted(set(out.loc[dup, "client_id"].tolist()))
        raise DataQualityError(f"{where}: {len(repeated)} client_id(s) appear more than once: "
                               f"{repeated[:10]}")
    flags = _flags(client_ids, raw["module_active"].astype(object), where)
    out["module_active"] = pd.array(flags, dtype=TYPES["bool"].pandas_dtype)
    return out


def _client_ids(ids: pd.Series, where: str) -> list[int]:
    """Each id as an int: integer text (spaces allowed) or an integral number."""
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
    return client_ids


def _flags(client_ids: list[int], values: pd.Series, where: str) -> list[bool]:
    """Each ``module_active`` as a bool (:func:`seatlib.core.values.parse_flag`'s spellings)."""
    flags = []
    for cid, value in zip(client_ids, values):
        if is_missing(value):
            raise DataQualityError(f"{where}: module_active is empty for client_id {cid}")
        flag = parse_flag(value)
        if flag is None:
            raise DataQualityError(f"{where}: module_active {value!r} for client_id {cid} is "
                                   f"not a boolean (true/false, t/f, 1/0, yes/no, y/n)")
        flags.append(flag)
    return flags
