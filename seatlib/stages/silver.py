"""Stage 2, bronze -> silver: a typed history per source, one Parquet partition per day.

Building a day reads only that day's bronze and replaces only that day's partitions. Every source
is read and checked before any partition is written, so a bad file stops the stage with the
previous silver intact.

After the sources, the day's ``workspace_names`` (:data:`seatlib.core.contracts.WORKSPACE_NAMES`):
every (workspace id, name) pair of the silver admins up to the day, with the first and last day
seen. Each day's is the latest earlier day's combined with the admin days since, so a day costs
one partition read, and a back-fill of a day uses only what was known by it, then carries the
change forward through the later days until one comes out as it was.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Iterable

import pandas as pd

from ..core import config as cfg
from ..core.sources import on
from ..core.contracts import (
    BRONZE, SILVER, SOURCES, WORKSPACE_NAMES, check_unique, coerce, fill_added,
)
from ..core.errors import LakeError
from .guards import check_silver, partition_days
from ..systems.lake import Lake, bronze_key, silver_key
from ..systems.zoho.records import parse_access_time
from . import StageOptions
from ..systems import Systems

log = logging.getLogger(__name__)

ADMINS = "zoho_workspace_admins"
NAMES = WORKSPACE_NAMES.name  # not a source: silver's own, from the admins (see the module)
_PAIR = list(WORKSPACE_NAMES.key)
_SEEN = ("first_seen", "last_seen")


def _lower(s: pd.Series) -> pd.Series:
    """Lower case and stripped; blank is missing (an empty "Accessed By": a public visitor)."""
    out = s.astype("string").str.strip().str.lower()
    return out.mask(out == "")


#: roles that make a listing's role the user's, whatever its other listings say (docs/seats.md)
ADMIN_ROLES = frozenset({"organization admin", "account admin"})


def _users(df: pd.DataFrame) -> pd.DataFrame:
    """One row per lower-cased address: GET /users may list a user once per portal domain,
    and one user holds one seat (docs/seats.md). Its listings merge into: active when any is,
    the first role in a fixed order (an admin role first, then by domain), ``domain`` the
    first domain in sorted order and ``domains`` all of them."""
    df["email"] = _lower(df["email"])
    df["domains"] = df["domain"]
    repeated = df["email"].duplicated(keep=False)
    if not repeated.any():
        return df
    return pd.concat([df[~repeated], _merge_listings(df[repeated])], ignore_index=True)


def _merge_listings(listings: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`_users` for addresses listed more than once (few: a loop is cheap)."""
    role = listings["role"].str.lower()
    order = (listings.assign(_other=~role.isin(ADMIN_ROLES).fillna(True).astype(bool))
             .sort_values(["email", "_other", "domain", "role"], kind="stable",
                          na_position="last"))
    rows = []
    for email, group in order.groupby("email", sort=True):
        domains = sorted(set(group["domain"].dropna()))
        roles = group["role"].dropna()
        rows.append({"email": email, "active": bool(group["active"].fillna(False).any()),
                     "role": roles.iloc[0] if len(roles) else pd.NA,
                     "domain": domains[0] if domains else pd.NA,
                     "domains": "; ".join(domains) if domains else pd.NA})
    return pd.DataFrame(rows, columns=["email", "active", "role", "domain", "domains"])


def _last_access(df: pd.DataFrame, settings: cfg.Settings, where: str) -> pd.DataFrame:
    """Bronze's access rows typed, one per workspace and lower-cased ``Accessed By``.

    Zoho groups by the address as typed, so two spellings of one user meet here: the latest
    access and the sum of future accesses. A missing user (a public visitor) or time (every
    access in the future) is a group of its own, kept for gold to count.
    """
    df["user_email"] = _lower(df["user_email"])
    df["last_access_at"] = parse_access_time(df["last_access_at"], settings.zoho.audit_timezone,
                                             where, declared=df["time_format"])
    df["future_accesses"] = df["future_accesses"].fillna(0)
    return (df.groupby(["workspace_name", "user_email"], as_index=False, sort=True, dropna=False)
              .agg(last_access_at=("last_access_at", "max"),
                   future_accesses=("future_accesses", "sum")))


def transform(source: str, bronze: pd.DataFrame, day: date, settings: cfg.Settings,
              where: str) -> pd.DataFrame:
    """Type one source's bronze frame into its silver contract (adds ``snapshot_date``)."""
    raw = fill_added(bronze, BRONZE[source])
    df = coerce(raw, BRONZE[source], where)
    # the key the extract wrote unique, on its raw text (a file edited since may break it;
    # two spellings Zoho told apart are merged below, not refused)
    check_unique(raw, BRONZE[source], where)
    if source == "zoho_workspace_admins":
        df["admin_email"] = _lower(df["admin_email"])
        df["workspace_created_at"] = pd.to_datetime(df.pop("created_time_ms"), unit="ms", utc=True)
    elif source == "zoho_users":
        df = _users(df)
    elif source == "zoho_last_access":
        df = _last_access(df, settings, where)
    df["snapshot_date"] = day.isoformat()
    contract = SILVER[source]
    df = coerce(df[contract.names], contract, where)
    check_unique(df, contract, where)
    return df.sort_values(list(contract.key), kind="stable", na_position="first").reset_index(drop=True)


def read_bronze(lake: Lake, source: str, day: date) -> pd.DataFrame:
    key = bronze_key(source, day)
    if not lake.exists(key):
        raise LakeError(f"{source}: no bronze for {day} at {lake.uri(key)}; run the extract "
                        f"stage for that day first")
    return lake.read_csv(key, dtype=str, keep_default_na=False)


def run(day: date, systems: Systems, options: StageOptions = StageOptions()
        ) -> dict[str, pd.DataFrame]:
    """Rebuild silver for ``day`` from that day's bronze and write it; returns the frames."""
    lake = systems.lake
    frames = {}
    for source in on(day):  # read and check everything first (the sources of the day)...
        where = lake.uri(bronze_key(source, day))
        frames[source] = transform(source, read_bronze(lake, source, day), day,
                                   systems.settings, where)
    check_silver(lake, day, frames, systems.settings, allow_drop=options.allow_drop)
    for source, df in frames.items():  # ...then write
        lake.write_parquet(silver_key(source, day), df)
        log.info("silver %s %s: %d rows", source, day, len(df))
    put_names(lake, day, frames[ADMINS])
    return frames


def read(lake: Lake, day: date, sources: tuple[str, ...] = SOURCES) -> dict[str, pd.DataFrame]:
    """Silver partitions of one day, typed."""
    out = {}
    for source in sources:
        key = silver_key(source, day)
        if not lake.exists(key):
            raise LakeError(f"{source}: no silver for {day} at {lake.uri(key)}; run the silver "
                            f"stage for that day first")
        df = lake.read_parquet(key)
        if source == "zoho_users" and "domains" not in df.columns and "domain" in df.columns:
            df = df.assign(domains=df["domain"])  # written before domains: one listing each
        out[source] = coerce(fill_added(df, SILVER[source]), SILVER[source], lake.uri(key))
    return out


# -- the names of workspaces over time ------------------------------------------------------------

def read_names(lake: Lake, day: date) -> pd.DataFrame:
    """Every (workspace id, name) pair seen in the silver admins up to ``day``, with the first
    and last day seen (:data:`~seatlib.core.contracts.WORKSPACE_NAMES`, typed): ``day``'s partition,
    or, when it has none, the same built from the silver at hand without writing it."""
    if lake.exists(silver_key(NAMES, day)):
        return _read_partition(lake, day)
    return _names_on(lake, day)


def put_names(lake: Lake, day: date, admins: pd.DataFrame) -> None:
    """Write ``day``'s names from ``admins`` (its silver admins, just written) and bring every
    later day's names in line with them (see the module)."""
    names = _names_on(lake, day, admins)
    lake.write_parquet(silver_key(NAMES, day), names)
    log.info("silver %s %s: %d rows", NAMES, day, len(names))
    since, admin_days = day, partition_days(lake, ADMINS)  # listed once: S3 lists by the page
    for later in (d for d in partition_days(lake, NAMES) if d > day):  # a back-fill
        names = _combine(names, (_admin_pairs(lake, d) for d in admin_days if since < d <= later))
        if _read_partition(lake, later).equals(names):
            break  # a day's names are a function of the day before's: nothing later changes
        lake.write_parquet(silver_key(NAMES, later), names)
        log.info("silver %s %s: %d rows (carried forward from %s)", NAMES, later, len(names),
                 day)
        since = later


def _names_on(lake: Lake, day: date, admins: pd.DataFrame | None = None) -> pd.DataFrame:
    """``day``'s names: the latest earlier day's combined with the silver admin days after it
    up to ``day`` (``admins`` standing for ``day``'s own when given); all the silver admin days
    up to ``day`` when no earlier day has names (a lake from before them)."""
    earlier = [d for d in partition_days(lake, NAMES) if d < day]
    base = _read_partition(lake, earlier[-1]) if earlier else None
    days = [d for d in partition_days(lake, ADMINS) if (not earlier or d > earlier[-1])
            and d <= day and (admins is None or d != day)]
    if base is None and len(days) > 1:
        log.info("silver %s %s: building from %d silver day(s) of %s, once", NAMES, day,
                 len(days) + (admins is not None), ADMINS)
    pairs = [_admin_pairs(lake, d) for d in days]
    if admins is not None:
        pairs.append(_pairs(admins, day))
    return _combine(base, pairs)


def _admin_pairs(lake: Lake, day: date) -> pd.DataFrame:
    return _pairs(lake.read_parquet(silver_key(ADMINS, day)), day)


def _pairs(admins: pd.DataFrame, day: date) -> pd.DataFrame:
    """The distinct (id, name) pairs of one day's silver admins, seen on ``day``."""
    pairs = admins[_PAIR].astype("string").drop_duplicates()
    return pairs.assign(first_seen=pd.Timestamp(day), last_seen=pd.Timestamp(day))


def _combine(names: pd.DataFrame | None, pairs: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """``names`` with ``pairs`` added: each pair once, its first and last days widened."""
    frames = [] if names is None else [names.astype({c: "datetime64[s]" for c in _SEEN})]
    frames += [p.astype({c: "datetime64[s]" for c in _SEEN}) for p in pairs]
    if not frames:
        return coerce(pd.DataFrame(columns=WORKSPACE_NAMES.names), WORKSPACE_NAMES, NAMES)
    seen = (pd.concat(frames, ignore_index=True).groupby(_PAIR, sort=True)
            .agg(first_seen=("first_seen", "min"), last_seen=("last_seen", "max")).reset_index())
    return coerce(seen, WORKSPACE_NAMES, NAMES)


def _read_partition(lake: Lake, day: date) -> pd.DataFrame:
    key = silver_key(NAMES, day)
    return coerce(lake.read_parquet(key), WORKSPACE_NAMES, lake.uri(key))
