"""The contract of every data set: its columns, their types and its key.

One place answers "what does this file hold?" for bronze (raw CSV as extracted), silver (typed
history per source) and gold (one row per client per day, and one capacity row per day).
:func:`check_columns` and :func:`check_unique` are the guards the stages call before writing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from . import sources, statuses, values
from .errors import DataQualityError

#: Sources, in extraction order (:mod:`seatlib.core.sources`). Each lands as
#: ``bronze/<source>/<YYYY-MM-DD>.csv``.
SOURCES: tuple[str, ...] = sources.SOURCES

# --------------------------------------------------------------------------------------------
# Logical types: "str", "int", "bool", "datetime" (UTC), "date", "float". One registry says, for
# each, its pandas dtype, its SQL column type and how one value becomes what a driver binds.
# --------------------------------------------------------------------------------------------


def _str_value(value: Any) -> str:
    return str(value)


def _int_value(value: Any) -> int:
    if not values.is_number(value) or value != int(value):
        raise ValueError(f"{value!r} is not an integer")
    return int(value)


def _float_value(value: Any) -> float:
    if not values.is_number(value):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _bool_value(value: Any) -> bool:
    """A bool, or the number 0 or 1; text is not a typed flag (see :func:`to_bool` for text)."""
    flag = None if isinstance(value, str) else values.parse_flag(value)
    if flag is None:
        raise ValueError(f"{value!r} is not a boolean")
    return flag


def _datetime_value(value: Any) -> dt.datetime:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _date_value(value: Any) -> dt.date:
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"{value!r} is not a date")


@dataclass(frozen=True)
class LogicalType:
    """One logical type of the contracts.

    Attributes:
        name: the name contracts use (``"int"``, ...).
        pandas_dtype: the pandas dtype of a column (nullable everywhere, so "missing" stays
            missing).
        sql_type: the column type, in the subset PostgreSQL and Redshift share.
        python_value: one present value -> the plain Python object the drivers bind; raises
            ValueError when the value does not fit.
    """

    name: str
    pandas_dtype: str
    sql_type: str
    python_value: Callable[[Any], Any]


#: Every logical type, by name.
TYPES: dict[str, LogicalType] = {t.name: t for t in (
    LogicalType("date", "date32[pyarrow]", "DATE", _date_value),
    LogicalType("int", "Int64", "BIGINT", _int_value),
    LogicalType("str", "string", "VARCHAR(256)", _str_value),
    LogicalType("datetime", "datetime64[us, UTC]", "TIMESTAMP", _datetime_value),  # UTC, naive in SQL
    LogicalType("bool", "boolean", "BOOLEAN", _bool_value),
    LogicalType("float", "Float64", "DOUBLE PRECISION", _float_value),
)}


def to_python(value: Any, logical: str) -> Any:
    """One value of a column of logical type ``logical`` as the Python object the drivers bind.

    Missing values (None, NaN, NaT, pd.NA) become None; datetimes become naive UTC datetimes.

    Raises:
        ValueError: the value does not fit the logical type, or the type is unknown.
    """
    if values.is_missing(value):
        return None
    if logical not in TYPES:
        raise ValueError(f"unknown logical type {logical!r}")
    return TYPES[logical].python_value(value)


@dataclass(frozen=True)
class Contract:
    name: str
    columns: dict[str, str]  # column -> logical type
    key: tuple[str, ...] = ()
    nullable: frozenset[str] = frozenset()
    #: columns added after files of this contract were first written: an older file without
    #: them reads them as empty (nullable ones) or as their default (:func:`fill_added`)
    added: frozenset[str] = frozenset()
    #: what an older file reads for an added column instead of empty (text, as in a CSV cell)
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.columns)


#: Bronze: what the extract writes, all values as text. Column names are ours (not Zoho's), so a
#: renamed field in Zoho's answer fails the extract, not a later join.
BRONZE: dict[str, Contract] = {
    "zoho_workspace_admins": Contract(
        "zoho_workspace_admins",
        {"workspace_id": "str", "workspace_name": "str", "created_time_ms": "int",
         "created_by": "str", "admin_email": "str", "admin_source": "str",
         "admin_domain": "str",  # the admin group's domainName (client-portal orgs)
         "admins_fetched_on": "date"},  # when Zoho was asked (older: reused, see seatlib.stages.admins)
        key=("workspace_id", "admin_email"),
        nullable=frozenset({"admin_email", "created_by", "created_time_ms", "admin_domain",
                            "admins_fetched_on"}),
        added=frozenset({"admin_domain", "admins_fetched_on"}),
    ),
    "zoho_users": Contract(
        "zoho_users", {"email": "str", "active": "bool", "role": "str",
                       "domain": "str"},  # the user's domainName (client-portal orgs)
        # one row per listing: a user may be listed once per portal domain (§4, UNVERIFIED)
        key=("email", "domain"), nullable=frozenset({"role", "domain"}),
        added=frozenset({"domain"}),
    ),
    "zoho_seats": Contract(
        "zoho_seats",
        {"resource_name": "str", "allocated": "int", "used": "int", "remaining": "int"},
        key=("resource_name",), nullable=frozenset({"remaining"}),
    ),
    "zoho_last_access": Contract(
        "zoho_last_access",
        {"workspace_name": "str",
         "user_email": "str",  # "Accessed By" as Zoho wrote it: empty for a public visitor
         "last_access_at": "str",  # empty when every access of the pair is in the future
         "time_format": "str",  # the dateFormat Zoho declared for "Accessed Time", if any
         "future_accesses": "int"},  # accesses after the cutoff, left out; empty = 0
        key=("workspace_name", "user_email"),
        nullable=frozenset({"user_email", "last_access_at", "time_format", "future_accesses"}),
        added=frozenset({"time_format", "future_accesses"}),
    ),
    "module_status": Contract(
        "module_status", {"client_id": "int", "module_active": "bool"}, key=("client_id",),
    ),
}

#: Silver: typed, lower-cased emails, plus ``snapshot_date``; one Parquet partition per day.
SILVER: dict[str, Contract] = {
    "zoho_workspace_admins": Contract(
        "zoho_workspace_admins",
        {"snapshot_date": "date", "workspace_id": "str", "workspace_name": "str",
         "workspace_created_at": "datetime", "created_by": "str", "admin_email": "str",
         "admin_source": "str", "admin_domain": "str"},
        key=("snapshot_date", "workspace_id", "admin_email"),
        nullable=frozenset({"admin_email", "created_by", "workspace_created_at",
                            "admin_domain"}),
        added=frozenset({"admin_domain"}),
    ),
    "zoho_users": Contract(  # one row per address, its listings merged (seatlib.stages.silver)
        "zoho_users", {"snapshot_date": "date", "email": "str", "active": "bool", "role": "str",
                       "domain": "str",  # the first of domains: one domain, as before
                       "domains": "str"},  # every domain it is listed under, sorted, "; "
        key=("snapshot_date", "email"), nullable=frozenset({"role", "domain", "domains"}),
        added=frozenset({"domain", "domains"}),
    ),
    "zoho_seats": Contract(
        "zoho_seats",
        {"snapshot_date": "date", "resource_name": "str", "allocated": "int", "used": "int",
         "remaining": "int"},
        key=("snapshot_date", "resource_name"), nullable=frozenset({"remaining"}),
    ),
    "zoho_last_access": Contract(
        "zoho_last_access",
        {"snapshot_date": "date", "workspace_name": "str",
         "user_email": "str",  # lower case; missing for a public visitor (not always an address)
         "last_access_at": "datetime",  # missing when every access was in the future
         "future_accesses": "int"},  # accesses left out for being after the extract's cutoff
        key=("snapshot_date", "workspace_name", "user_email"),
        nullable=frozenset({"user_email", "last_access_at"}),
        added=frozenset({"future_accesses"}), defaults={"future_accesses": "0"},
    ),
    "module_status": Contract(
        "module_status", {"snapshot_date": "date", "client_id": "int", "module_active": "bool"},
        key=("snapshot_date", "client_id"),
    ),
}

#: Every (workspace id, name) pair seen in silver ``zoho_workspace_admins`` on the days up to
#: one day, with the first and last of them it was seen: what gold ties the Access Log's
#: workspace names to ids with (docs/seats.md, "Renamed workspaces"). Built by the silver stage
#: from silver, not extracted, so not a source: ``silver/workspace_names/snapshot_date=<day>/``.
WORKSPACE_NAMES = Contract(
    "workspace_names",
    {"workspace_id": "str", "workspace_name": "str", "first_seen": "date", "last_seen": "date"},
    key=("workspace_id", "workspace_name"),
)

#: Statuses of a gold row, in the order the report shows them (:mod:`seatlib.core.statuses`).
STATUSES: tuple[str, ...] = statuses.STATUSES

#: Gold: one row per client workspace per day (plus one per company client without a
#: workspace, and one per unmatched workspace, whose client_id may be empty). docs/seats.md.
GOLD_STATUS = Contract(
    "seat_status",
    {
        "snapshot_date": "date",
        "client_id": "int",
        "workspace_id": "str",
        "workspace_name": "str",
        "workspace_created_at": "datetime",
        "admin_email": "str",  # the admin emails of the workspace, "; "-joined, lower case
        "seat_held": "bool",  # at least one admin is a seat user outside staff
        "seats_held": "int",  # how many of them
        "last_access_at": "datetime",  # latest access to the workspace by one of its admins
        "days_since_last_access": "int",  # empty where no access was ever logged; never < 0
        "module_active": "bool",  # empty where the client is not in the company database
        "status": "str",  # the row's status (its workspace's seat)
        "reclaimable": "bool",  # seats_reclaimable > 0
        "client_status": "str",  # the client's status, the same on all of its rows
        "seats_reclaimable": "int",  # admins whose seat serves only ex-clients (ledger ex_client)
        "admin_shared": "bool",  # an admin holding a seat here serves other clients too
        "shared_with": "str",  # those other clients' ids, "; "-joined
        "note": "str",  # why unmatched, or whose seat it is when not simply the client's
    },
    key=("snapshot_date", "client_id", "workspace_id"),
    nullable=frozenset({"client_id", "workspace_id", "workspace_name", "workspace_created_at",
                        "admin_email", "last_access_at", "days_since_last_access",
                        "module_active", "client_status", "seats_reclaimable", "admin_shared",
                        "shared_with", "note"}),
    added=frozenset({"client_status", "seats_reclaimable", "admin_shared", "shared_with",
                     "note"}),
)

#: Gold capacity: one row per day. The seat categories are the ledger's (docs/seats.md).
GOLD_CAPACITY = Contract(
    "seat_capacity",
    {
        "snapshot_date": "date",
        "seats_allocated": "int",  # Zoho's /resources "users" allocated
        "seats_used": "int",  # Zoho's /resources "users" used
        "seats_free": "int",  # allocated - used
        "seats_held_by_clients": "int",  # seat users in category client (serve a paying client)
        "seats_held_by_ex_clients": "int",  # category ex_client: the reclaimable seats
        "seats_held_by_inactive_clients": "int",  # client users whose paying clients are all idle
        "seats_held_unmatched": "int",  # category unmatched
        "seats_other": "int",  # categories staff + no_workspace
        "paying_without_user": "int",  # clients (by client_status)
        "usage_share": "float",  # used / allocated; empty when nothing is allocated
        "seat_users": "int",  # the ledger's total: distinct seat users
        "seats_staff": "int",
        "seats_no_workspace": "int",
        "seats_shared": "int",  # seat users serving two or more clients
        "seats_counter_gap": "int",  # seats_used - seat_users (Zoho's counter against ours)
        "access_future": "int",  # Access Log accesses left out: after the extract's start
        "access_without_address": "int",  # ...rows whose "Accessed By" is no address
        "access_ambiguous": "int",  # ...rows whose name two workspaces bore
        "overrides": "str",  # guards let through by --allow-drop on this day; empty: none
    },
    key=("snapshot_date",),
    nullable=frozenset({"usage_share", "seat_users", "seats_staff", "seats_no_workspace",
                        "seats_shared", "seats_counter_gap", "access_future",
                        "access_without_address", "access_ambiguous", "overrides"}),
    added=frozenset({"seat_users", "seats_staff", "seats_no_workspace", "seats_shared",
                     "seats_counter_gap", "access_future", "access_without_address",
                     "access_ambiguous", "overrides"}),
)

#: The seat ledger: one row per seat user per day (docs/seats.md).
GOLD_LEDGER = Contract(
    "seat_ledger",
    {
        "snapshot_date": "date",
        "email": "str",  # lower case
        "domains": "str",  # every portal domain it is listed under, "; "-joined
        "role": "str",
        "category": "str",  # staff, client, unmatched, ex_client, no_workspace
        "clients": "str",  # the known clients it serves (ids, "; "-joined)
        "paying_clients": "str",  # those with the module active
        "workspaces": "int",  # client and unmatched workspaces it administers
        "shared": "bool",  # serves two or more clients
        "reclaimable": "bool",  # category ex_client
        "reason": "str",  # why it is, or is not, reclaimable
        "last_access_at": "datetime",  # its latest access to any workspace
    },
    key=("snapshot_date", "email"),
    nullable=frozenset({"domains", "role", "clients", "paying_clients", "last_access_at"}),
)

#: Seat categories of the ledger, in the order they are decided (docs/seats.md).
CATEGORIES: tuple[str, ...] = ("staff", "client", "unmatched", "ex_client", "no_workspace")


def check_columns(df: pd.DataFrame, contract: Contract, where: str) -> None:
    """Fail when a column of the contract is missing; extra columns are a failure too.

    Args:
        where: the file or call the frame came from, for the message.
    """
    missing = [c for c in contract.columns if c not in df.columns]
    extra = [c for c in df.columns if c not in contract.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {extra}")
        raise DataQualityError(
            f"{contract.name} ({where}): {' and '.join(parts)}; expected {contract.names}")


def fill_added(df: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """``df`` with the contract's later-added columns it lacks, empty (a file written before
    they existed), so that older days can still be rebuilt."""
    missing = [c for c in contract.names if c in contract.added and c not in df.columns]
    return df.assign(**{c: contract.defaults.get(c, "") for c in missing}) if missing else df


def check_not_null(df: pd.DataFrame, contract: Contract, where: str) -> None:
    """Fail when a non-nullable column has empty values."""
    for col in contract.columns:
        if col in contract.nullable or col not in df.columns:
            continue
        n = int(df[col].isna().sum())
        if n:
            raise DataQualityError(f"{contract.name} ({where}): column {col!r} has {n} empty value(s)")


def check_unique(df: pd.DataFrame, contract: Contract, where: str) -> None:
    """Fail when the contract's key repeats, naming up to five repeated keys."""
    if not contract.key:
        return
    dup = df.duplicated(list(contract.key), keep=False)
    if dup.any():
        sample = df.loc[dup, list(contract.key)].drop_duplicates().head(5).to_dict("records")
        raise DataQualityError(
            f"{contract.name} ({where}): {int(dup.sum())} rows share a key "
            f"{list(contract.key)}; e.g. {sample}")


def _bad(contract: Contract, where: str, col: str, kind: str, bad_values) -> DataQualityError:
    sample = list(dict.fromkeys(str(v) for v in bad_values))[:5]
    return DataQualityError(
        f"{contract.name} ({where}): column {col!r} should be {kind}; bad value(s) {sample}")


def to_bool(series: pd.Series, contract: Contract, where: str) -> pd.Series:
    """Text or numbers to a nullable boolean; unknown spellings fail with the values named."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(TYPES["bool"].pandas_dtype)
    text = series.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype=TYPES["bool"].pandas_dtype)
    out[text.isin(values.TRUE_WORDS).fillna(False)] = True
    out[text.isin(values.FALSE_WORDS).fillna(False)] = False
    bad = text.notna() & (text != "") & out.isna()
    if bad.any():
        raise _bad(contract, where, series.name, "a boolean", series[bad])
    return out


def coerce(df: pd.DataFrame, contract: Contract, where: str) -> pd.DataFrame:
    """Check the columns, then cast each to its contract type; a value that won't cast fails
    with the source, the column and the bad values named. Returns columns in contract order."""
    check_columns(df, contract, where)
    out = {}
    for col, kind in contract.columns.items():
        s = df[col]
        dtype = TYPES[kind].pandas_dtype
        if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            # CSV text: an empty cell is a missing value, whatever the type
            blank = s.astype("string").str.strip() == ""
            if blank.any():
                s = s.mask(blank.fillna(False))
        if kind == "str":
            s = s.astype(dtype).str.strip()
            s = s.mask(s == "")
        elif kind == "int":
            # text through the nullable string dtype: to_numeric then gives Int64, where an
            # object column with a missing value would go through float64 and round an
            # 18-digit client id
            text = (s.astype("string") if s.dtype == object or pd.api.types.is_string_dtype(s.dtype)
                    else s)
            num = pd.to_numeric(text, errors="coerce")
            bad = s.notna() & (num.isna() | (num % 1 != 0))
            if bad.any():
                raise _bad(contract, where, col, "an integer", s[bad])
            s = num.astype(dtype)
        elif kind == "float":
            num = pd.to_numeric(s, errors="coerce")
            bad = s.notna() & num.isna()
            if bad.any():
                raise _bad(contract, where, col, "a number", s[bad])
            s = num.astype(dtype)
        elif kind == "bool":
            s = to_bool(s, contract, where)
        elif kind == "datetime":
            if not isinstance(s.dtype, pd.DatetimeTZDtype):
                parsed = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
                bad = s.notna() & parsed.isna()
                if bad.any():
                    raise _bad(contract, where, col, "an ISO-8601 time", s[bad])
                s = parsed
            s = s.dt.tz_convert("UTC").astype(dtype)
        elif kind == "date":
            parsed = pd.to_datetime(s, errors="coerce", format="ISO8601")
            bad = s.notna() & parsed.isna()
            if bad.any():
                raise _bad(contract, where, col, "a date", s[bad])
            s = parsed.dt.date.astype(dtype)
        else:  # pragma: no cover - contracts are ours
            raise ValueError(kind)
        out[col] = s
    result = pd.DataFrame(out, index=df.index).reset_index(drop=True)
    check_not_null(result, contract, where)
    return result
