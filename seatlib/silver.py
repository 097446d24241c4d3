"""Stage 2, bronze -> silver: a typed history per source, one Parquet partition per day.

Building a day reads only that day's bronze and replaces only that day's partitions. Every source
is read and checked before any partition is written, so a bad file stops the stage with the
previous silver intact.
"""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd

from . import config as cfg
from .contracts import BRONZE, SILVER, SOURCES, check_unique, coerce, fill_added
from .errors import LakeError
from .guards import check_silver
from .lake import Lake, bronze_key, silver_key
from .zoho.records import parse_access_time
from .stages import StageOptions
from .systems import Systems

log = logging.getLogger(__name__)

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
    for source in SOURCES:  # read and check everything first...
        where = lake.uri(bronze_key(source, day))
        frames[source] = transform(source, read_bronze(lake, source, day), day,
                                   systems.settings, where)
    check_silver(lake, day, frames, systems.settings, allow_drop=options.allow_drop)
    for source, df in frames.items():  # ...then write
        lake.write_parquet(silver_key(source, day), df)
        log.info("silver %s %s: %d rows", source, day, len(df))
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
