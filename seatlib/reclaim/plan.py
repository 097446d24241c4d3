"""The reclaim's plan: one row per user whose seat could be freed, a record that never changes.

Made from the latest gold day before or on the run date and its seat ledger (docs/seats.md):
users who serve only ex-clients (``ex_client``), then users whose every paying client is idle
(client status ``inactive``) for more than ``[reclaim] inactive_days``. Never proposed: a user
who serves a paying client that is not idle, the reseller's staff, ``exempt_clients``,
``exempt_emails``, and a user of a workspace younger than ``grace_days``.

Each row is an opaque ``row_id`` (a hash of the row's facts), the address, its portal domains,
the clients it serves with the module state of each, the workspaces it administers, the
reason, the days idle and the gold day. The plan's id is a hash of its rows: the same facts on
the same gold day are the same plan. It is written create-only (:func:`save`) to the lake
(``reclaim/plans/<plan id>.csv``, addresses whole, with ``<plan id>.json`` saying when and from
what it was made) and to the reclaim's attempt folder (addresses masked unless shown). **No row
is approved in advance**: ``approve`` is empty on every row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from ..core import config as cfg
from ..core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS
from ..core.errors import ConfigError, LakeError
from ..systems.lake import Lake, days_in, gold_key
from ..core.privacy import formula_safe, mask_frame

log = logging.getLogger(__name__)

PLANS_PREFIX = "reclaim/plans/"
#: The plan's name in the reclaim's attempt folder.
PLAN_FILE = "reclaim_plan.csv"
EX_CLIENT, INACTIVE = "ex_client", "inactive"
#: The columns of a plan, in the order its file shows them.
PLAN_COLUMNS = ["plan_id", "row_id", "email", "domains", "clients", "modules", "workspaces",
                "reason", "days_idle", "gold_day", "approve"]
#: What a row's id is a hash of: the facts a person approves (not the days idle, which grow).
FACTS = ("email", "domains", "clients", "modules", "workspaces", "reason", "gold_day")


@dataclass
class Plan:
    """One plan: its rows (addresses whole), who was left out and why, and its day."""

    plan_id: str
    gold_day: date
    created_at: datetime  # UTC, when the plan was first made
    rows: pd.DataFrame  # PLAN_COLUMNS
    exempt: pd.DataFrame  # email, clients, why
    overrides: str = ""  # what --allow-drop let through on the gold day (its capacity row)

    def csv(self, *, show: bool = False) -> bytes:
        """The plan as a person edits it in a spreadsheet: masked unless ``show``, safe."""
        return safe_csv(mask_frame(self.rows, show=show))

    def by_reason(self) -> dict[str, int]:
        return {r: int((self.rows["reason"] == r).sum()) for r in (EX_CLIENT, INACTIVE)}


def raw_csv(df: pd.DataFrame) -> bytes:
    """``df`` as CSV, values as they are (the lake's record of a plan)."""
    out = io.StringIO()
    df.astype("object").where(df.notna(), "").to_csv(out, index=False, lineterminator="\n",
                                                     quoting=csv.QUOTE_MINIMAL)
    return out.getvalue().encode("utf-8")


def safe_csv(df: pd.DataFrame) -> bytes:
    """``df`` as CSV for a spreadsheet: empty cells for missing values, formulas neutralised."""
    out = io.StringIO()
    formula_safe(df.astype("object").where(df.notna(), "")).to_csv(
        out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return out.getvalue().encode("utf-8")


def _digest(text: str, n: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def with_ids(rows: pd.DataFrame, day: date, overrides: str = "") -> tuple[str, pd.DataFrame]:
    """``rows`` with their ``row_id`` and ``plan_id``: hashes of their facts, the gold day and
    what ``--allow-drop`` let through on it (a plan of a day let through is another plan)."""
    rows = rows.copy()
    rows["row_id"] = ["r" + _digest("|".join(str(r[f]) for f in FACTS), 15)
                      for r in rows.to_dict("records")]
    plan_id = "p" + _digest("\n".join(sorted(rows["row_id"])) + f"|{day.isoformat()}|{overrides}",
                            15)
    rows["plan_id"] = plan_id
    rows["approve"] = ""
    return plan_id, rows[PLAN_COLUMNS].reset_index(drop=True)


# -- building ---------------------------------------------------------------------------------------

def build(ledger: pd.DataFrame, gold: pd.DataFrame, admins: pd.DataFrame, day: date,
          settings: cfg.ReclaimSettings, now: datetime | None = None,
          overrides: str = "") -> Plan:
    """The plan of one gold day (pure: a function of its inputs).

    Args:
        ledger: the day's seat ledger (``gold/seat_ledger/<day>.csv``).
        gold: the day's gold rows (client statuses, module, idle days, workspace ages).
        admins: the day's silver ``zoho_workspace_admins`` (which workspaces each user runs).
    """
    clients = _clients(gold, day)
    runs = _workspaces_of(admins)
    unknown = set(gold.loc[gold["status"] == "unmatched", "workspace_id"].dropna())
    rows, exempt = [], []
    for seat in ledger.to_dict("records"):
        reason = _reason(seat, clients, settings)
        if reason is None:
            continue
        served = _ids(seat["clients"])
        why = _exempt(seat, served, runs.get(seat["email"], []), clients, settings, unknown)
        if why:
            exempt.append({"email": seat["email"], "clients": seat["clients"], "why": why})
            continue
        rows.append({
            "email": seat["email"], "domains": _text(seat["domains"]),
            "clients": "; ".join(map(str, served)),
            "modules": "; ".join(f"{c}:{'on' if clients.get(c, {}).get('module') else 'off'}"
                                 for c in served),
            "workspaces": "; ".join(sorted(w for w, _ in runs.get(seat["email"], []))),
            "reason": reason, "days_idle": min((clients[c]["idle"] for c in served
                                                if c in clients and clients[c]["idle"] is not None),
                                               default=None),
            "gold_day": day.isoformat()})
    frame = pd.DataFrame(rows, columns=[c for c in PLAN_COLUMNS
                                        if c not in ("plan_id", "row_id", "approve")])
    frame["_order"] = frame["reason"].map({EX_CLIENT: 0, INACTIVE: 1})
    frame = frame.sort_values(["_order", "days_idle", "email"], ascending=[True, False, True],
                              na_position="first", kind="stable").drop(columns="_order")
    frame["days_idle"] = frame["days_idle"].astype("Int64")
    plan_id, frame = with_ids(frame, day, overrides or "")
    made = (now or datetime.now(timezone.utc)).replace(microsecond=0)  # as its record says
    return Plan(plan_id, day, made, frame,
                pd.DataFrame(exempt, columns=["email", "clients", "why"]), overrides or "")


def _reason(seat: dict, clients: dict[int, dict], settings: cfg.ReclaimSettings) -> str | None:
    """Why the user's seat could go: it serves ex-clients only, or every paying client it
    serves has been idle for more than ``[reclaim] inactive_days``; None otherwise."""
    if seat["category"] == "ex_client":
        return EX_CLIENT
    if seat["category"] != "client":
        return None
    paying = _ids(seat["paying_clients"])
    idle = [clients.get(c) for c in paying]
    if paying and all(c is not None and c["status"] == "inactive" and c["idle"] is not None
                      and c["idle"] > settings.inactive_days for c in idle):
        return INACTIVE
    return None


def _exempt(seat: dict, served: list[int], runs: list[tuple[str, object]],
            clients: dict[int, dict], s: cfg.ReclaimSettings, unknown: set[str]) -> str:
    if seat["email"] in s.exempt_emails:
        return "address exempt ([reclaim] exempt_emails)"
    if any(ws in unknown for ws, _ in runs):
        return "also runs a workspace of an unknown client: check it first"
    if str(seat.get("clients") or "").rsplit("; ", 1)[-1].startswith("+"):
        return "serves more clients than the ledger lists: free it by hand"
    exempt = [c for c in served if c in s.exempt_clients]
    if exempt:
        return f"client {', '.join(map(str, exempt))} exempt ([reclaim] exempt_clients)"
    young = [c for c in served if clients.get(c, {}).get("age") is not None
             and clients[c]["age"] < s.grace_days]
    if young:
        return (f"a workspace of client {', '.join(map(str, young))} is younger than "
                f"[reclaim] grace_days = {s.grace_days}")
    return ""


def _clients(gold: pd.DataFrame, day: date) -> dict[int, dict]:
    """Per known client: its client status, module, idle days (the least over its seat-holding
    workspaces, as gold's client status) and its youngest workspace's age in days."""
    out: dict[int, dict] = {}
    for g in gold.dropna(subset=["client_id"]).to_dict("records"):
        cid = int(g["client_id"])
        created = g["workspace_created_at"]
        age = None if pd.isna(created) else (day - created.date()).days
        idle = g["days_since_last_access"]
        idle = age if pd.isna(idle) else int(idle)
        c = out.setdefault(cid, {"status": g["client_status"] if not pd.isna(g["client_status"])
                                 else g["status"],
                                 "module": bool(g["module_active"]) if not pd.isna(
                                     g["module_active"]) else False,
                                 "idle": None, "age": None})
        if bool(g["seat_held"]) and idle is not None:
            c["idle"] = idle if c["idle"] is None else min(c["idle"], idle)
        if age is not None:
            c["age"] = age if c["age"] is None else min(c["age"], age)
    return out


def _workspaces_of(admins: pd.DataFrame) -> dict[str, list[tuple[str, object]]]:
    out: dict[str, list[tuple[str, object]]] = {}
    pairs = admins[["workspace_id", "admin_email", "workspace_created_at"]].dropna(
        subset=["admin_email"]).drop_duplicates(["workspace_id", "admin_email"])
    for ws, email, created in pairs.itertuples(index=False):
        out.setdefault(str(email).lower(), []).append((str(ws), created))
    return out


def _ids(value) -> list[int]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return sorted({int(v) for v in str(value).split(";") if v.strip()})


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# -- from the lake ----------------------------------------------------------------------------------

def day_overrides(lake: Lake, day: date) -> str:
    """What ``--allow-drop`` let through on gold ``day`` (its capacity row; "" none), read now."""
    from ..stages import gold as gold_stage

    value = gold_stage.read_day(lake, GOLD_CAPACITY.name, day)["overrides"].iloc[0]
    return "" if pd.isna(value) else str(value)


def latest_gold_day(lake: Lake, until: date) -> date:
    """The latest gold day on or before ``until`` (a day after it is a clock error).

    Raises:
        LakeError: there is none yet (run the daily pipeline first).
    """
    days = [d for d in days_in(lake, f"gold/{GOLD_CAPACITY.name}/") if d <= until]
    if not days:
        raise LakeError(f"no gold up to {until} in {lake.url}: run the daily pipeline "
                        f"(run_daily.sh) before planning a reclaim")
    return days[-1]


def make(lake: Lake, today: date, settings: cfg.Settings) -> Plan:
    """The plan of the latest gold day up to ``today``, from the lake.

    Raises:
        LakeError: no gold yet, or the day has no seat ledger (a gold day from before it:
            rebuild it with ``--backfill D D``).
    """
    from ..stages import gold as gold_stage
    from ..stages import silver

    day = latest_gold_day(lake, today)
    if not lake.exists(gold_key(GOLD_LEDGER.name, day)):
        raise LakeError(f"gold of {day} has no seat ledger ({lake.uri(gold_key(GOLD_LEDGER.name, day))}): "
                        f"it was built before seats were counted by user; rebuild it with "
                        f"`run_daily.sh --backfill {day} {day}` (or run the daily pipeline) first")
    ledger = gold_stage.read_day(lake, GOLD_LEDGER.name, day)
    status = gold_stage.read_day(lake, GOLD_STATUS.name, day)
    capacity = gold_stage.read_day(lake, GOLD_CAPACITY.name, day)
    admins = silver.read(lake, day, ("zoho_workspace_admins",))["zoho_workspace_admins"]
    overrides = capacity["overrides"].iloc[0]
    return build(ledger, status, admins, day, settings.reclaim,
                 overrides="" if pd.isna(overrides) else str(overrides))


def save(lake: Lake, plan: Plan, folder: Path | None, *, show: bool = False) -> Plan:
    """Write the plan create-only to the lake (whole addresses) and to ``folder`` (masked unless
    ``show``). A plan already in the lake under its id is the same plan: it is read back (with
    the time it was first made), never written again.

    Raises:
        LakeError: the lake's plan under this id differs from this one (it cannot: a hash of
            the content), or a write failed.
    """
    key = f"{PLANS_PREFIX}{plan.plan_id}.csv"
    data = raw_csv(plan.rows)  # the lake's copy is the record, for machines: kept raw
    if lake.exists(key):
        if lake.read_bytes(key) != data:
            raise LakeError(f"{lake.uri(key)} holds another plan under the same id; nothing was "
                            f"written")
        plan = read(lake, plan.plan_id)
    else:
        lake.create_bytes(key, data)
        lake.create_bytes(f"{PLANS_PREFIX}{plan.plan_id}.json", json.dumps({
            "plan_id": plan.plan_id, "gold_day": plan.gold_day.isoformat(),
            "created_at": plan.created_at.isoformat(timespec="seconds"),
            "rows": len(plan.rows), "by_reason": plan.by_reason(), "overrides": plan.overrides,
            "exempt": plan.exempt.to_dict("records")}, sort_keys=True, default=str).encode())
    if folder is not None:
        path = Path(folder) / PLAN_FILE
        Lake(str(path.parent)).create_bytes(path.name, plan.csv(show=show))
    return plan


def read(lake: Lake, plan_id: str) -> Plan:
    """A plan of the lake by its id.

    Raises:
        ConfigError: no plan has that id (the file approves a plan that was never made here).
        LakeError: its files cannot be read or are not a plan.
    """
    key = f"{PLANS_PREFIX}{plan_id}.csv"
    if not plan_id.isalnum() or not lake.exists(key):
        raise ConfigError(f"plan {plan_id!r} is not in {lake.uri(PLANS_PREFIX)}: approve a copy "
                          f"of a plan made by `run_daily.sh --reclaim`")
    try:
        meta = json.loads(lake.read_bytes(f"{PLANS_PREFIX}{plan_id}.json"))
        rows = lake.read_csv(key, dtype=str, keep_default_na=False)
        missing = [c for c in PLAN_COLUMNS if c not in rows.columns]
        if missing:
            raise ValueError(f"missing columns {missing}")
        rows = rows[PLAN_COLUMNS].copy()
        rows["days_idle"] = pd.to_numeric(rows["days_idle"].replace("", None)).astype("Int64")
        exempt = pd.DataFrame(meta.get("exempt", []), columns=["email", "clients", "why"])
        return Plan(plan_id, date.fromisoformat(meta["gold_day"]),
                    datetime.fromisoformat(meta["created_at"]), rows, exempt,
                    meta.get("overrides", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise LakeError(f"plan {plan_id} in {lake.uri(PLANS_PREFIX)} cannot be read: {exc}") from None


def latest(lake: Lake) -> Plan:
    """The plan made last (by the time it was made).

    Raises:
        ConfigError: no plan was made yet.
    """
    metas = []
    for key in lake.list(PLANS_PREFIX):
        if key.endswith(".json"):
            try:
                meta = json.loads(lake.read_bytes(key))
                metas.append((meta["created_at"], meta["plan_id"]))
            except (ValueError, KeyError, TypeError):
                raise LakeError(f"{lake.uri(key)} is not a plan's record") from None
    if not metas:
        raise ConfigError("no reclaim plan was made yet: run `run_daily.sh --reclaim` first")
    return read(lake, max(metas)[1])
