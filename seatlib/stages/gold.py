"""Stage 3, silver -> gold: one row per client workspace per day with its seat status, the
seat ledger (one row per Zoho user holding a seat) and a capacity row. The rules:
docs/seats.md; who holds a seat and why: :mod:`seatlib.stages.seats`; which workspace an Access Log
row belongs to: :mod:`seatlib.stages.access`.

Grain: one row per (client, workspace). A client in the company database without a workspace
gets a row with empty workspace fields, and a workspace whose name carries no known client id
gets a row with status ``unmatched`` (shown, never dropped). Each row carries its own status and
the client's (``client_status``, the same on all of a client's rows).

Statuses (``inactive_days`` from the settings, default 30):

============================  =====================================================
status                        when
============================  =====================================================
``released``                  module inactive and no active admin seat
``paying_without_user``       module active, no active admin seat
``inactive``                  module active, seat held, idle for > inactive_days
``active``                    module active, seat held, recent access
``seat_held_by_ex_client``    module inactive, seat held (reclaimable unless shared)
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
from dataclasses import dataclass
from datetime import date

import pandas as pd

from . import access as access_rules
from ..core import config as cfg
from . import gold_history, seats
from ..core.contracts import (
    GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS, check_unique, coerce, fill_added,
)
from ..core.errors import DataQualityError
from .guards import check_gold, client_status_of
from ..systems.lake import GOLD_LATEST_KEY, Lake, days_in, gold_key
from ..core.privacy import formula_safe
from ..core.values import MAX_ID_DIGITS
from . import StageOptions
from ..systems import Systems

log = logging.getLogger(__name__)


def client_ids(names: pd.Series, settings: cfg.Settings) -> pd.Series:
    """The client id in each workspace name (first group of the configured pattern), or NA
    (also for an id of more than :data:`MAX_ID_DIGITS` digits: never wrapped or rounded)."""
    return _parse_ids(names, settings)[0]


def _parse_ids(names: pd.Series, settings: cfg.Settings) -> tuple[pd.Series, pd.Series]:
    """(client id or NA, why there is none) for each workspace name."""
    pattern = settings.client_id_regex()
    if pattern.groups < 1:
        raise DataQualityError(f"[zoho] client_id_pattern {pattern.pattern!r} has no group")
    found = names.astype("string").str.extract(pattern, expand=False)
    if isinstance(found, pd.DataFrame):
        found = found.iloc[:, 0]
    found = found.astype("string").str.strip()
    digits = found.str.fullmatch(r"\d+").fillna(False).astype(bool)
    long = digits & (found.str.lstrip("0").str.len() > MAX_ID_DIGITS).fillna(False)
    ok = digits & ~long
    # Python ints on the way: a masked assignment into Int64 may pass through float64, which
    # rounds an 18-digit id
    ids = pd.Series(pd.array([int(t) if k else pd.NA for t, k in zip(found.tolist(), ok.tolist())],
                             dtype="Int64"), index=names.index)
    why = pd.Series(pd.NA, index=names.index, dtype="string")
    why[~digits] = "no client id in the workspace name ([zoho] client_id_pattern)"
    why[long] = ("client id " + found[long] + f" has more than {MAX_ID_DIGITS} digits: "
                 "too long to be an id")
    return ids, why


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


def workspaces_of(admins: pd.DataFrame, module: pd.DataFrame, settings: cfg.Settings
                ) -> pd.DataFrame:
    """One row per client workspace (the audit and other excluded ones left out): today's
    name, creation, admins, client id (or why none) and whether the company knows the client."""
    ws = (admins.groupby("workspace_id", sort=True, dropna=False)
          .agg(workspace_name=("workspace_name", "first"),
               workspace_created_at=("workspace_created_at", "first"))
          .reset_index())
    ws = ws[~ws["workspace_name"].isin(settings.zoho.excluded_workspaces)].reset_index(drop=True)
    ws.insert(3, "admin_email", admin_emails(admins, ws["workspace_id"]))
    ws["client_id"], ws["id_note"] = _parse_ids(ws["workspace_name"], settings)
    ws["matched"] = ws["client_id"].isin(set(module["client_id"].dropna())).astype(bool)
    return ws


def pairs_of(admins: pd.DataFrame, ws: pd.DataFrame, module: pd.DataFrame) -> pd.DataFrame:
    """One row per (client workspace, admin address) with the client, known or not."""
    pairs = admins[["workspace_id", "admin_email"]].dropna().drop_duplicates()
    pairs = pairs.merge(ws[["workspace_id", "client_id", "matched"]], on="workspace_id")
    return pairs.merge(module[["client_id", "module_active"]], on="client_id", how="left")


def classify(df: pd.DataFrame, day: date, inactive_days: int) -> pd.Series:
    """The status of each row of a frame with matched, module_active, seat_held, idle_days."""
    status = pd.Series("unmatched", index=df.index, dtype="string")
    m = df["matched"].fillna(False).astype(bool)
    module = df["module_active"].fillna(False).astype(bool)
    seat = df["seat_held"].fillna(False).astype(bool)
    idle = df["idle_days"]
    stale = (idle.isna() | (idle > inactive_days)).fillna(True).astype(bool)
    status[m & ~module & ~seat] = "released"
    status[m & module & ~seat] = "paying_without_user"
    status[m & module & seat & stale] = "inactive"
    status[m & module & seat & ~stale] = "active"
    status[m & ~module & seat] = "seat_held_by_ex_client"
    return status


def client_statuses(rows: pd.DataFrame, day: date, inactive_days: int) -> pd.Series:
    """Each row's client status (docs/seats.md): the client holds a seat if any of its rows
    does, its idle days are the least over its rows that hold one (over all of them when none
    does), and :func:`classify` gives one status;
    ``unmatched`` rows keep ``unmatched``. Also reads a gold day written before the column
    existed (its idle days from ``days_since_last_access`` or the workspace's age)."""
    idle = rows["idle_days"] if "idle_days" in rows else _idle_of(rows, day)
    seat = rows["seat_held"].fillna(False).astype(bool)
    per = pd.DataFrame({"client_id": rows["client_id"], "seat_held": seat,
                        "idle_days": idle, "held_idle": idle.where(seat),
                        "matched": rows["status"].ne("unmatched")
                        if "matched" not in rows else rows["matched"]})
    known = per[per["matched"].astype(bool) & per["client_id"].notna()]
    agg = known.groupby("client_id").agg(seat_held=("seat_held", "any"),
                                         idle_days=("idle_days", "min"),
                                         held_idle=("held_idle", "min"))
    # a workspace nobody can open (no seat) says nothing of the client's use: a second
    # workspace made yesterday must not make an idle client look active
    agg["idle_days"] = agg["held_idle"].where(agg["seat_held"], agg["idle_days"])
    module = rows.dropna(subset=["client_id"]).groupby("client_id")["module_active"].first()
    agg = agg.assign(matched=True, module_active=module.reindex(agg.index))
    agg["status"] = classify(agg, day, inactive_days)
    out = rows["client_id"].map(agg["status"]).astype("string")
    return out.where(per["matched"].astype(bool) & rows["client_id"].notna(), "unmatched")


def _idle_of(rows: pd.DataFrame, day: date) -> pd.Series:
    snap = pd.Timestamp(day)
    created = rows["workspace_created_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    age = (snap - created).dt.days.astype("Int64")
    return rows["days_since_last_access"].fillna(age)


def _days_to(day: date, times: pd.Series) -> pd.Series:
    """Whole days from each time (UTC) to ``day``, never below 0 (a time from after the day
    is a clock error somewhere, not a client who will log in tomorrow)."""
    when = times.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    return (pd.Timestamp(day) - when).dt.days.astype("Int64").clip(lower=0)


@dataclass
class GoldDay:
    """What gold builds for one day."""

    status: pd.DataFrame  # GOLD_STATUS: one row per client workspace
    capacity: pd.DataFrame  # GOLD_CAPACITY: one row
    ledger: pd.DataFrame  # GOLD_LEDGER: one row per seat user
    ambiguous: pd.DataFrame  # names of the Access Log tied to no workspace, with candidates


def build_frames(silver: dict[str, pd.DataFrame], day: date, settings: cfg.Settings
                 ) -> GoldDay:
    """Join the day's silver frames into gold (docs/seats.md).

    ``silver`` holds the five sources and, when the lake has it, ``workspace_names`` (the
    names history as known by the day); without it the Access Log is joined on today's names.
    """
    admins = silver["zoho_workspace_admins"]
    module = silver["module_status"][["client_id", "module_active"]]
    ws = workspaces_of(admins, module, settings)
    pairs = pairs_of(admins, ws, module)
    owners = set(admins["created_by"].dropna().astype("string").str.strip().str.lower())
    seat = seats.build(silver["zoho_users"], pairs, owners, settings.reclaim)
    names = silver.get("workspace_names")
    if names is None:
        names = access_rules.today_names(admins, day)
    # no access can be later than the day's end (plus the tolerance): a clock error on Zoho's
    # side that the export did not leave out is left out here
    latest = (pd.Timestamp(day, tz="UTC") + pd.Timedelta(days=1)
              + pd.Timedelta(minutes=settings.zoho.future_tolerance_minutes))
    seen = access_rules.attribute(silver["zoho_last_access"], names, admins, latest=latest,
                                  client_ids=lambda names: client_ids(names, settings))

    last = seen.rows.merge(pairs[["workspace_id", "admin_email"]],
                           left_on=["workspace_id", "user_email"],
                           right_on=["workspace_id", "admin_email"])
    ws["last_access_at"] = _latest(last, "workspace_id", ws["workspace_id"])
    per_ws = seats.workspace_seats(seat, ws.set_index("workspace_id")["client_id"],
                                   module.set_index("client_id")["module_active"])
    ws = ws.merge(per_ws, on="workspace_id", how="left")
    rows = _rows(ws, module, day, settings)
    status = coerce(rows[GOLD_STATUS.names], GOLD_STATUS, f"gold of {day}")
    status = status.sort_values(["client_id", "workspace_id"], na_position="last",
                                kind="stable").reset_index(drop=True)
    check_unique(status, GOLD_STATUS, f"gold of {day}")
    ledger = _ledger(seat.ledger, seen.rows, day)
    capacity = _capacity(status, ledger, silver["zoho_seats"], seen.counts, day, settings)
    return GoldDay(status, capacity, ledger, seen.ambiguous)


def _rows(ws: pd.DataFrame, module: pd.DataFrame, day: date, settings: cfg.Settings
          ) -> pd.DataFrame:
    """The gold rows: client workspaces joined with the company's clients (a client without a
    workspace gets a row of its own), each with its row status and its client status."""
    rows = ws.merge(module, on="client_id", how="outer", indicator=True)
    rows["matched"] = rows["_merge"].eq("both")  # module has no empty ids: NA never matches
    for col in ("seats_held", "seats_reclaimable"):
        rows[col] = rows[col].fillna(0).astype("Int64")
    rows["admin_shared"] = rows["admin_shared"].fillna(False).astype(bool)
    rows["seat_held"] = rows["seats_held"] > 0
    rows["days_since_last_access"] = _days_to(day, rows["last_access_at"])
    rows["idle_days"] = rows["days_since_last_access"].fillna(
        _days_to(day, rows["workspace_created_at"]))
    rows["status"] = classify(rows, day, settings.inactive_days)
    rows["client_status"] = client_statuses(rows, day, settings.inactive_days)
    rows["reclaimable"] = rows["seats_reclaimable"] > 0
    why = rows["id_note"].astype("string")
    unknown = rows["client_id"].notna() & rows["_merge"].eq("left_only")
    why[unknown] = ("client " + rows.loc[unknown, "client_id"].astype("string")
                    + " is not in the company database's answer")
    why[rows["_merge"].eq("right_only")] = "the client has no workspace in Zoho"
    rows["note"] = why.where(rows["status"].eq("unmatched"), rows["note"].astype("string"))
    rows["snapshot_date"] = day.isoformat()
    return rows


def _latest(times: pd.DataFrame, by: str, keys: pd.Series) -> pd.Series:
    """The latest ``last_access_at`` of ``times`` per ``by``, for each of ``keys`` (NaT where
    none), typed UTC even when there is no time at all."""
    latest = times.groupby(by)["last_access_at"].max()
    values = latest.reindex(keys.to_numpy()).to_numpy(dtype="datetime64[us]", na_value=None) \
        if len(latest) else [pd.NaT] * len(keys)
    return pd.Series(pd.to_datetime(values, utc=True), index=keys.index).astype(
        "datetime64[us, UTC]")


def _ledger(ledger: pd.DataFrame, seen: pd.DataFrame, day: date) -> pd.DataFrame:
    """The seat ledger's rows, with each user's latest access to any workspace."""
    out = ledger.assign(snapshot_date=day.isoformat(),
                        last_access_at=_latest(seen, "user_email", ledger["email"]))
    return coerce(out[GOLD_LEDGER.names], GOLD_LEDGER, f"gold seat ledger of {day}")


def _capacity(status: pd.DataFrame, ledger: pd.DataFrame, seats_frame: pd.DataFrame,
              counts: dict[str, int], day: date, settings: cfg.Settings) -> pd.DataFrame:
    users = seats_frame[seats_frame["resource_name"] == settings.zoho.seat_resource]
    if len(users) != 1:
        raise DataQualityError(
            f"zoho_seats of {day}: expected one {settings.zoho.seat_resource!r} resource in "
            f"GET /restapi/v2/resources, found {len(users)}")
    allocated = int(users["allocated"].iloc[0])
    used = int(users["used"].iloc[0])
    n = ledger["category"].value_counts()
    clients = status.dropna(subset=["client_id"]).drop_duplicates("client_id")
    idle_clients = set(clients.loc[clients["client_status"] == "inactive", "client_id"])
    paying = ledger.loc[ledger["category"] == "client", "paying_clients"].dropna()
    idle_seats = sum(1 for ids in paying
                     if {int(c) for c in ids.split("; ")} <= idle_clients)
    row = {
        "snapshot_date": day.isoformat(),
        "seats_allocated": allocated,
        "seats_used": used,
        "seats_free": allocated - used,
        "seats_held_by_clients": int(n.get("client", 0)),
        "seats_held_by_ex_clients": int(n.get("ex_client", 0)),
        "seats_held_by_inactive_clients": idle_seats,
        "seats_held_unmatched": int(n.get("unmatched", 0)),
        "seats_other": int(n.get("staff", 0)) + int(n.get("no_workspace", 0)),
        "paying_without_user": int((clients["client_status"] == "paying_without_user").sum()),
        "usage_share": round(used / allocated, 4) if allocated else float("nan"),
        "seat_users": len(ledger),
        "seats_staff": int(n.get("staff", 0)),
        "seats_no_workspace": int(n.get("no_workspace", 0)),
        "seats_shared": int(ledger["shared"].sum()),
        "seats_counter_gap": used - len(ledger),
        **{k: int(counts.get(k, 0)) for k in (access_rules.FUTURE, access_rules.NO_ADDRESS,
                                              access_rules.AMBIGUOUS)},
        "overrides": None,
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
    return {c.name: c for c in (GOLD_STATUS, GOLD_CAPACITY, GOLD_LEDGER)}[table]


def read_day(lake: Lake, table: str, day: date) -> pd.DataFrame:
    """One gold day of ``table``, typed; a file from before a column was added reads it empty."""
    contract = _contract(table)
    key = gold_key(table, day)
    df = lake.read_csv(key, dtype=str, keep_default_na=False)
    return coerce(fill_added(df, contract), contract, lake.uri(key))


def read_history(lake: Lake, table: str = GOLD_STATUS.name,
                 until: date | None = None) -> pd.DataFrame:
    """Every gold day of a table up to ``until`` (inclusive), typed, oldest first."""
    contract = _contract(table)
    days = [d for d in days_in(lake, f"gold/{table}/") if until is None or d <= until]
    frames = [read_day(lake, table, d) for d in days]
    if not frames:
        return coerce(pd.DataFrame(columns=contract.names), contract, f"gold/{table}")
    return pd.concat(frames, ignore_index=True)


def previous_client_status(lake: Lake, day: date, settings: cfg.Settings
                           ) -> pd.DataFrame | None:
    """By client id, the client status and module on the latest gold day before ``day`` (None:
    there is none, the lake's first day): what the change guard compares the day with. A day
    from before ``client_status`` existed gets it from its rows by the same rule."""
    earlier = [d for d in days_in(lake, f"gold/{GOLD_STATUS.name}/") if d < day]
    if not earlier:
        return None
    rows = read_day(lake, GOLD_STATUS.name, earlier[-1])
    if rows["client_status"].isna().any():
        rows = rows.assign(client_status=rows["client_status"].fillna(
            client_statuses(rows, earlier[-1], settings.inactive_days)))
    return client_status_of(rows)


def read_silver(lake: Lake, day: date) -> dict[str, pd.DataFrame]:
    """The day's silver sources, and its names history where silver keeps one."""
    from . import silver as silver_stage

    frames = silver_stage.read(lake, day)
    frames["workspace_names"] = silver_stage.read_names(lake, day)
    return frames


def run(day: date, systems: Systems, options: StageOptions = StageOptions()) -> GoldDay:
    """Rebuild gold for ``day`` from that day's silver and write it (and the latest file)."""
    lake = systems.lake
    built = build_frames(read_silver(lake, day), day, systems.settings)
    overrides = check_gold(lake, day, built.status, built.capacity, systems.settings,
                           allow_drop=options.allow_drop,
                           before=previous_client_status(lake, day, systems.settings))
    if overrides:  # the day's own record of what --allow-drop let through (the reclaim reads it)
        built.capacity["overrides"] = pd.array([" | ".join(overrides)], dtype="string")
    status, capacity = built.status, built.capacity
    # The order makes a kill at any point safe: the compact history first (what the report
    # and the client notebook read), the day's CSVs after it, the capacity CSV last. The daily
    # run's catch-up rebuilds a day with bronze and no capacity CSV, so a day cut short is
    # rebuilt whole by the next run, not left with a history that lacks it.
    days = gold_history.put_day(lake, day, status, capacity)
    lake.write_bytes(gold_key(GOLD_STATUS.name, day), to_csv_bytes(status))
    lake.write_bytes(gold_key(GOLD_LEDGER.name, day), to_csv_bytes(built.ledger))
    if day >= max(days, default=day):  # a back-filled older day must not replace the latest table
        lake.write_bytes(GOLD_LATEST_KEY, to_csv_bytes(formula_safe(status)))  # for Excel
    lake.write_bytes(gold_key(GOLD_CAPACITY.name, day), to_csv_bytes(capacity))
    log.info("gold %s: %d rows, %s; %d seat users %s", day, len(status),
             status["status"].value_counts().to_dict(), len(built.ledger),
             built.ledger["category"].value_counts().to_dict())
    if len(built.ambiguous):
        log.warning("gold %s: Access Log names tied to no workspace (two workspaces bore them): "
                    "%s", day, "; ".join(f"{n!r} ({ids})" for n, ids in zip(
                        built.ambiguous["workspace_name"], built.ambiguous["workspace_ids"])))
    return built
