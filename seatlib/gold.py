"""Stage 3, silver -> gold: one row per client per day with its seat status, and a capacity row.

Grain: one row per (client, workspace). Normally a client has one workspace; a client in the
company database without a workspace gets a row with empty workspace fields, and a workspace
whose name carries no known client id gets a row with status ``unmatched`` (shown, never dropped).

Statuses (``inactive_days`` from the settings, default 30):

============================  =====================================================
status                        when
============================  =====================================================
``released``                  module inactive and no active admin seat
``paying_without_user``       module active, no active admin seat
``inactive``                  module active, seat held, idle for > inactive_days
``active``                    module active, seat held, recent access
``seat_held_by_ex_client``    module inactive, seat held (reclaimable)
``unmatched``                 workspace without a known client, or client without a workspace
============================  =====================================================

"Idle" is the days since the last logged access by one of the workspace's admins; where no
access was ever logged, the days since the workspace was created (so a new client is not
flagged before it had the chance to log in).
"""

from __future__ import annotations

import io
import itertools
import logging
import operator
from datetime import date

import pandas as pd

from . import config as cfg
from . import gold_history
from .contracts import GOLD_CAPACITY, GOLD_STATUS, check_unique, coerce
from .errors import DataQualityError
from .guards import check_gold
from .lake import GOLD_LATEST_KEY, Lake, days_in, gold_key
from .privacy import formula_safe
from .stages import StageOptions
from .systems import Systems

log = logging.getLogger(__name__)


def client_ids(names: pd.Series, settings: cfg.Settings) -> pd.Series:
    """The client id in each workspace name (first group of the configured pattern), or NA."""
    pattern = settings.client_id_regex()
    if pattern.groups < 1:
        raise DataQualityError(f"[zoho] client_id_pattern {pattern.pattern!r} has no group")
    found = names.astype("string").str.extract(pattern, expand=False)
    if isinstance(found, pd.DataFrame):
        found = found.iloc[:, 0]
    return pd.to_numeric(found, errors="coerce").astype("Int64")


def admin_emails(admins: pd.DataFrame, workspace_ids: pd.Series) -> pd.Series:
    """The admin e-mails of each of ``workspace_ids``: distinct, sorted, "; "-joined; NA when a
    workspace has none. Aligned with ``workspace_ids`` (same index).

    Joined on plain lists, one sorted pass: a Python function per pandas group would cost a
    Series per workspace (about a second at 5,000 workspaces). ``workspace_id`` is required in
    silver, so a row without one has no workspace to join into.
    """
    pairs = (admins[["workspace_id", "admin_email"]].dropna().drop_duplicates()
             .sort_values(["workspace_id", "admin_email"], kind="stable"))
    rows = zip(pairs["workspace_id"].tolist(), pairs["admin_email"].tolist())
    joined = {wid: "; ".join(email for _, email in group)
              for wid, group in itertools.groupby(rows, key=operator.itemgetter(0))}
    return pd.Series([joined.get(wid, pd.NA) for wid in workspace_ids.tolist()],
                     index=workspace_ids.index, dtype="string")


def _workspaces(admins: pd.DataFrame, users: pd.DataFrame, access: pd.DataFrame,
                settings: cfg.Settings) -> pd.DataFrame:
    """One row per client workspace with its admins, seats and last access."""
    admins = admins[~admins["workspace_name"].isin(settings.zoho.excluded_workspaces)]
    active = set(users.loc[users["active"].fillna(False), "email"].dropna())
    a = admins.copy()
    a["is_active"] = a["admin_email"].isin(active) & a["admin_email"].notna()

    # latest access to the workspace by one of its own admins
    # a row without an address (a public visitor) is nobody's admin; merged, NA would meet NA
    acc = access[access["user_email"].notna()].rename(columns={"user_email": "admin_email"})
    a = a.merge(acc[["workspace_name", "admin_email", "last_access_at"]],
                on=["workspace_name", "admin_email"], how="left")

    ws = (a.groupby("workspace_id", sort=True, dropna=False)
            .agg(workspace_name=("workspace_name", "first"),
                 workspace_created_at=("workspace_created_at", "first"),
                 seats_held=("is_active", "sum"),
                 last_access_at=("last_access_at", "max"))
            .reset_index())
    ws.insert(3, "admin_email", admin_emails(a, ws["workspace_id"]))
    ws["client_id"] = client_ids(ws["workspace_name"], settings)
    # seat holders, for the capacity row (distinct addresses: one user holds one seat)
    holders = a.loc[a["is_active"], ["workspace_id", "admin_email"]]
    ws.attrs["holders"] = holders
    return ws


def classify(df: pd.DataFrame, day: date, inactive_days: int) -> pd.Series:
    """The status of each row of a frame with matched, module_active, seat_held, idle_days."""
    status = pd.Series("unmatched", index=df.index, dtype="string")
    m = df["matched"]
    module = df["module_active"].fillna(False).astype(bool)
    seat = df["seat_held"].astype(bool)
    idle = df["idle_days"]
    stale = idle.isna() | (idle > inactive_days)
    status[m & ~module & ~seat] = "released"
    status[m & module & ~seat] = "paying_without_user"
    status[m & module & seat & stale.fillna(True)] = "inactive"
    status[m & module & seat & ~stale.fillna(True)] = "active"
    status[m & ~module & seat] = "seat_held_by_ex_client"
    return status


def build_frames(silver: dict[str, pd.DataFrame], day: date,
                 settings: cfg.Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the day's silver frames into (seat_status, seat_capacity) gold frames."""
    ws = _workspaces(silver["zoho_workspace_admins"], silver["zoho_users"],
                     silver["zoho_last_access"], settings)
    holders = ws.attrs.pop("holders")
    module = silver["module_status"][["client_id", "module_active"]]

    rows = ws.merge(module, on="client_id", how="outer", indicator=True)
    rows["matched"] = rows["_merge"].eq("both")  # module has no empty ids: NA never matches
    rows["seats_held"] = rows["seats_held"].fillna(0).astype("Int64")
    rows["seat_held"] = rows["seats_held"] > 0

    snap = pd.Timestamp(day)
    last_day = rows["last_access_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    rows["days_since_last_access"] = (snap - last_day).dt.days.astype("Int64")
    created = rows["workspace_created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    rows["idle_days"] = rows["days_since_last_access"].fillna((snap - created).dt.days.astype("Int64"))
    rows["status"] = classify(rows, day, settings.inactive_days)
    rows["reclaimable"] = rows["status"].eq("seat_held_by_ex_client")
    rows["snapshot_date"] = day.isoformat()

    status = coerce(rows[GOLD_STATUS.names], GOLD_STATUS, f"gold of {day}")
    status = status.sort_values(["client_id", "workspace_id"], na_position="last",
                                kind="stable").reset_index(drop=True)
    check_unique(status, GOLD_STATUS, f"gold of {day}")

    capacity = _capacity(status, holders, silver["zoho_seats"], day, settings)
    return status, capacity


def _capacity(status: pd.DataFrame, holders: pd.DataFrame, seats: pd.DataFrame, day: date,
              settings: cfg.Settings) -> pd.DataFrame:
    users = seats[seats["resource_name"] == settings.zoho.seat_resource]
    if len(users) != 1:
        raise DataQualityError(
            f"zoho_seats of {day}: expected one {settings.zoho.seat_resource!r} resource in "
            f"GET /restapi/v2/resources, found {len(users)}")
    allocated = int(users["allocated"].iloc[0])
    used = int(users["used"].iloc[0])
    by_ws = status.dropna(subset=["workspace_id"]).set_index("workspace_id")["status"]
    h = holders.assign(status=holders["workspace_id"].map(by_ws))

    def distinct(mask) -> int:
        return int(h.loc[mask, "admin_email"].nunique())

    held = distinct(h["status"].notna())
    row = {
        "snapshot_date": day.isoformat(),
        "seats_allocated": allocated,
        "seats_used": used,
        "seats_free": allocated - used,
        "seats_held_by_clients": held,
        "seats_held_by_ex_clients": distinct(h["status"] == "seat_held_by_ex_client"),
        "seats_held_by_inactive_clients": distinct(h["status"] == "inactive"),
        "seats_held_unmatched": distinct(h["status"] == "unmatched"),
        "seats_other": used - held,
        "paying_without_user": int((status["status"] == "paying_without_user").sum()),
        "usage_share": round(used / allocated, 4) if allocated else float("nan"),
    }
    return coerce(pd.DataFrame([row]), GOLD_CAPACITY, f"gold capacity of {day}")


# -- files ---------------------------------------------------------------------------------------

def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Gold CSV: booleans as true/false, times as naive UTC ``YYYY-MM-DD HH:MM:SS``, empty = NULL.

    The same text loads into Redshift with ``COPY ... CSV TIMEFORMAT 'auto' EMPTYASNULL``.
    """
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.map({True: "true", False: "false"}).astype("string")
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")
        else:
            out[col] = s.astype("string")
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n", na_rep="")
    return buf.getvalue().encode("utf-8")


def _contract(table: str):
    return {GOLD_STATUS.name: GOLD_STATUS, GOLD_CAPACITY.name: GOLD_CAPACITY}[table]


def read_day(lake: Lake, table: str, day: date) -> pd.DataFrame:
    contract = _contract(table)
    key = gold_key(table, day)
    df = lake.read_csv(key, dtype=str, keep_default_na=False)
    return coerce(df, contract, lake.uri(key))


def read_history(lake: Lake, table: str = GOLD_STATUS.name,
                 until: date | None = None) -> pd.DataFrame:
    """Every gold day of a table up to ``until`` (inclusive), typed, oldest first."""
    contract = _contract(table)
    days = [d for d in days_in(lake, f"gold/{table}/") if until is None or d <= until]
    frames = [read_day(lake, table, d) for d in days]
    if not frames:
        return coerce(pd.DataFrame(columns=contract.names), contract, f"gold/{table}")
    return pd.concat(frames, ignore_index=True)


def run(day: date, systems: Systems, options: StageOptions = StageOptions()
        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild gold for ``day`` from that day's silver and write it (and the latest file)."""
    from . import silver as silver_stage

    lake = systems.lake
    frames = silver_stage.read(lake, day)
    status, capacity = build_frames(frames, day, systems.settings)
    check_gold(lake, day, status, capacity, systems.settings, allow_drop=options.allow_drop)
    # The order makes a kill at any point safe: the compact history first (what the report
    # and the client notebook read), the day's CSVs after it, the capacity CSV last. The daily
    # run's catch-up rebuilds a day with bronze and no capacity CSV, so a day cut short is
    # rebuilt whole by the next run, not left with a history that lacks it.
    days = gold_history.put_day(lake, day, status, capacity)
    lake.write_bytes(gold_key(GOLD_STATUS.name, day), to_csv_bytes(status))
    if day >= max(days, default=day):  # a back-filled older day must not replace the latest table
        lake.write_bytes(GOLD_LATEST_KEY, to_csv_bytes(formula_safe(status)))  # for Excel
    lake.write_bytes(gold_key(GOLD_CAPACITY.name, day), to_csv_bytes(capacity))
    log.info("gold %s: %d rows, %s", day, len(status),
             status["status"].value_counts().to_dict())
    return status, capacity
