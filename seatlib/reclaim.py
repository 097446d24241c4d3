"""Freeing seats in Zoho, safely: a plan from gold, a person's approval, then the calls.

Nothing here runs from cron. ``notebooks/reclaim_seats.ipynb`` (``run_daily.sh --reclaim``) calls:

1. :func:`plan`: candidates from the latest gold, ordered by reason (seats held by ex-clients
   first, then paying clients idle for more than ``[reclaim] inactive_days``), longest idle
   first. Never proposed: exempt clients and addresses, workspaces younger than
   ``[reclaim] grace_days``, the reseller's staff (``staff_domains``, ``staff_emails``, the
   workspace owners, organisation admins). A client whose module is active is listed but only
   acted on when named explicitly (``--approve`` with its id, or ``approve = yes`` typed into
   its row of the plan file).
2. :func:`select`: the approved rows (client ids, or a plan file with ``approve`` = yes).
3. :func:`execute`: reads today's ``/users`` and ``/resources``; skips users already inactive
   (or no longer members); groups the rest by domain (one call per portal domain, at most
   ``batch_size`` addresses); with ``execute=False`` (the default) records the calls it would
   make and changes nothing; else makes them (8114 splits a batch, :mod:`seatlib.zoho.users`),
   reading the seat counter after each call, then ``/users`` and ``/resources`` again, and
   says for each user what happened. Every step is written to the trail (:mod:`seatlib.trail`).
4. Removal (``DELETE /users``, permanent) is a separate action with its own approval, offered
   only for users whose deactivation left Zoho's seat counter where it was (§10: whether
   deactivation frees a seat is unverified), see :func:`removal_selection`.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from . import config as cfg
from .contracts import GOLD_LEDGER, GOLD_STATUS, coerce
from .errors import ConfigError, LakeError, ZohoError
from .lake import GOLD_LATEST_KEY, gold_key
from .privacy import formula_safe, mask_email, mask_frame
from .systems import Systems
from .trail import Actor, TrailWriter, read_trail, seat_kept
from .zoho.users import REFUSALS, CallResult, batches, portal_domain

log = logging.getLogger(__name__)

EX_CLIENT, INACTIVE = "seat_held_by_ex_client", "inactive"
PLAN_COLUMNS = ["rank", "client_id", "workspace_id", "workspace_name", "email", "domain",
                "days_idle", "reason", "module_active", "approve"]
YES = frozenset({"yes", "y", "true", "1", "x"})
#: Roles that are the reseller's own administrators, never a client's seat.
STAFF_ROLES = frozenset({"organization admin", "account admin"})


@dataclass
class Plan:
    """The candidates of one day and who was left out, with why."""

    day: date  # the gold day it was made from
    candidates: pd.DataFrame  # PLAN_COLUMNS
    exempt: pd.DataFrame  # client_id, email, why

    def to_csv(self, *, show: bool = False) -> bytes:
        """The plan for Excel: addresses masked unless ``show``, every cell formula-safe."""
        return safe_csv(mask_frame(self.candidates, show=show))


def safe_csv(df: pd.DataFrame) -> bytes:
    """``df`` as CSV for a spreadsheet: empty cells for missing values, formulas neutralised
    (:func:`seatlib.privacy.formula_safe`)."""
    out = io.StringIO()
    formula_safe(df.astype("object").where(df.notna(), "")).to_csv(
        out, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return out.getvalue().encode("utf-8")


# -- the plan -------------------------------------------------------------------------------------

def build_plan(gold: pd.DataFrame, users: pd.DataFrame, admins: pd.DataFrame, day: date,
               settings: cfg.ReclaimSettings, ledger: pd.DataFrame | None = None) -> Plan:
    """The plan from one gold day, its seat ledger and that day's silver ``zoho_users`` and
    ``zoho_workspace_admins`` (pure: a function of its inputs).

    With the ledger (docs/seats.md) a seat is proposed for an ex-client only when its user
    serves ex-clients alone, and for an idle paying client only when every paying client its
    user serves is idle: a consultant who also serves a paying client is never proposed. A gold
    day from before the ledger has none; its shared admins are found from its rows instead.
    """
    serving = _serving(gold) if ledger is None else ledger.set_index("email")
    active = users[users["active"].fillna(False).astype(bool)]
    # Zoho's domainName of each user (silver zoho_users.domain; absent in silver written
    # before the column existed)
    domains = active["domain"] if "domain" in active else [None] * len(active)
    domain_of = dict(zip(active["email"].str.lower(), domains))
    roles = users.set_index(users["email"].str.lower())["role"].astype("string").str.lower()
    owners = set(admins["created_by"].dropna().astype(str).str.lower())
    rows, exempt = [], []
    least_idle = _least_idle(gold, day)
    for g in gold.to_dict("records"):
        why_row, reason, idle = _row_reason(g, day, settings, least_idle)
        if reason is None:
            continue
        for email in _emails(g["admin_email"]):
            if email not in domain_of:
                continue  # not an active user: holds no seat
            why = (why_row or _staff_or_exempt(email, roles.get(email), owners, settings)
                   or _shared(email, reason, serving, gold))
            if why:
                exempt.append({"client_id": g["client_id"], "email": email, "why": why})
                continue
            domain = domain_of.get(email)
            rows.append({"client_id": g["client_id"], "workspace_id": g["workspace_id"],
                         "workspace_name": g["workspace_name"], "email": email,
                         "domain": None if pd.isna(domain) else domain, "days_idle": idle,
                         "reason": reason, "module_active": _true(g["module_active"]),
                         "approve": "" if _true(g["module_active"]) else "yes"})
    cand = pd.DataFrame(rows, columns=PLAN_COLUMNS[1:])
    cand["_order"] = cand["reason"].map({EX_CLIENT: 0, INACTIVE: 1})
    cand = cand.sort_values(["_order", "days_idle", "client_id", "email"],
                            ascending=[True, False, True, True], na_position="last",
                            kind="stable").drop(columns="_order").reset_index(drop=True)
    cand.insert(0, "rank", range(1, len(cand) + 1))
    cand["days_idle"] = cand["days_idle"].astype("Int64")
    cand["client_id"] = cand["client_id"].astype("Int64")
    return Plan(day, cand, pd.DataFrame(exempt, columns=["client_id", "email", "why"]))


def _idle(g: dict, day: date) -> tuple[int | None, int | None]:
    """(idle days, workspace age) of one gold row: idle since creation when never accessed."""
    created = g["workspace_created_at"]
    age = None if pd.isna(created) else (day - created.date()).days
    idle = g["days_since_last_access"]
    return (age if pd.isna(idle) else int(idle)), age


def _least_idle(gold: pd.DataFrame, day: date) -> dict[int, int]:
    """Each client's idle days: the least over its workspaces (docs/seats.md, one answer per
    client), so a client busy in one workspace is never idle because of another."""
    out: dict[int, int] = {}
    for g in gold.dropna(subset=["client_id"]).to_dict("records"):
        idle = _idle(g, day)[0]
        if idle is not None:
            cid = int(g["client_id"])
            out[cid] = min(out.get(cid, idle), idle)
    return out


def _row_reason(g: dict, day: date, s: cfg.ReclaimSettings, least_idle: dict[int, int]
                ) -> tuple[str, str | None, Any]:
    """(why the whole client is exempt or "", the reason it is a candidate or None, idle days)."""
    idle, age = _idle(g, day)
    client_idle = (least_idle.get(int(g["client_id"]), idle) if not pd.isna(g["client_id"])
                   else idle)
    if g["status"] == EX_CLIENT:
        reason = EX_CLIENT
    elif (_true(g["module_active"]) and _true(g["seat_held"]) and client_idle is not None
          and client_idle > s.inactive_days):
        reason = INACTIVE
    else:
        return "", None, idle
    if pd.isna(g["client_id"]):
        return "", None, idle
    if int(g["client_id"]) in s.exempt_clients:
        return "client exempt ([reclaim] exempt_clients)", reason, idle
    if age is not None and age < s.grace_days:
        return f"workspace created {age} day(s) ago ([reclaim] grace_days = {s.grace_days})", \
            reason, idle
    return "", reason, idle


def _serving(gold: pd.DataFrame) -> pd.DataFrame:
    """A stand-in ledger from gold rows (a day from before the seat ledger): each admin's
    clients and which of them pay; a client with the module and no status is counted paying."""
    rows = []
    for g in gold.dropna(subset=["client_id"]).to_dict("records"):
        for email in _emails(g["admin_email"]):
            rows.append({"email": email, "client_id": int(g["client_id"]),
                         "pays": _true(g["module_active"])})
    df = pd.DataFrame(rows, columns=["email", "client_id", "pays"])
    fmt = (lambda ids: "; ".join(str(i) for i in sorted(set(ids))) or None)
    out = df.groupby("email").agg(clients=("client_id", fmt),
                                  paying_clients=("client_id", lambda s: fmt(
                                      s[df.loc[s.index, "pays"]])))
    return out


def _shared(email: str, reason: str | None, serving: pd.DataFrame, gold: pd.DataFrame) -> str:
    """Why a candidate's seat must stay because its user serves others too, or ""."""
    if email not in serving.index:
        return ""
    paying = serving.at[email, "paying_clients"]
    paying = [] if paying is None or pd.isna(paying) else [int(c) for c in str(paying).split("; ")]
    if reason == EX_CLIENT and paying:
        return (f"shared seat: also serves paying client(s) {', '.join(map(str, paying))}; "
                f"deactivating it would lock them out")
    if reason == INACTIVE and len(paying) > 1:
        status = gold.dropna(subset=["client_id"]).drop_duplicates("client_id").set_index(
            "client_id")["client_status" if "client_status" in gold else "status"]
        busy = [c for c in paying if status.get(c) not in (INACTIVE, None)]
        if busy:
            return (f"shared seat: also serves paying client(s) {', '.join(map(str, busy))} "
                    f"that are not idle")
    return ""


def _staff_or_exempt(email: str, role: Any, owners: set[str], s: cfg.ReclaimSettings) -> str:
    if email in s.exempt_emails:
        return "address exempt ([reclaim] exempt_emails)"
    if email in s.staff_emails or email.rpartition("@")[2] in s.staff_domains:
        return "reseller staff ([reclaim] staff_emails / staff_domains)"
    if email in owners:
        return "workspace owner (created_by)"
    if isinstance(role, str) and role in STAFF_ROLES:
        return f"organisation role {role!r}"
    return ""


def _true(value: Any) -> bool:
    return False if value is None or pd.isna(value) else bool(value)


def _emails(value: Any) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [e.strip().lower() for e in str(value).split(";") if e.strip()]


def plan(systems: Systems) -> Plan:
    """The plan from the lake's latest gold and the silver of its day.

    Raises:
        LakeError: no gold yet (run the daily pipeline first).
    """
    from . import silver

    lake = systems.lake
    if not lake.exists(GOLD_LATEST_KEY):
        raise LakeError(f"no gold at {lake.uri(GOLD_LATEST_KEY)}: run the daily pipeline "
                        f"(run_daily.sh) before planning a reclaim")
    gold = coerce(lake.read_csv(GOLD_LATEST_KEY, dtype=str, keep_default_na=False),
                  GOLD_STATUS, lake.uri(GOLD_LATEST_KEY))
    day = gold["snapshot_date"].dropna().max()
    frames = silver.read(lake, day, ("zoho_users", "zoho_workspace_admins"))
    seats_key = gold_key(GOLD_LEDGER.name, day)
    ledger = (coerce(lake.read_csv(seats_key, dtype=str, keep_default_na=False), GOLD_LEDGER,
                     lake.uri(seats_key)) if lake.exists(seats_key) else None)
    return build_plan(gold, frames["zoho_users"], frames["zoho_workspace_admins"], day,
                      systems.settings.reclaim, ledger)


def write_plan(p: Plan, runs_dir: str | Path, run_date: date, *, show: bool = False) -> Path:
    """``runs/<run date>/reclaim_plan.csv`` (masked unless ``show``)."""
    path = Path(runs_dir) / run_date.isoformat() / "reclaim_plan.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(p.to_csv(show=show))
    tmp.replace(path)
    return path


# -- approval -------------------------------------------------------------------------------------

def select(p: Plan, approve: str | list[int] | None) -> pd.DataFrame:
    """The plan rows a person approved: client ids (``"1003,1007"`` or a list), or the path of
    a plan file whose ``approve`` column says yes on the rows to act on.

    Raises:
        ConfigError: an id or a file row that is not a candidate of today's plan (naming it,
            and why it is left out when it is exempt), or a file that cannot be read.
    """
    if approve is None or (isinstance(approve, str) and not approve.strip()):
        return p.candidates.iloc[0:0]
    if isinstance(approve, str) and (approve.strip().endswith(".csv") or "/" in approve):
        return _select_file(p, Path(approve.strip()))
    ids = parse_ids(approve, "approve")
    known = set(p.candidates["client_id"].dropna().astype(int))
    for cid in ids:
        if cid not in known:
            raise ConfigError(f"approve: client {cid} is not a candidate of the plan of "
                              f"{p.day}: {_why_not(p, cid)}")
    return p.candidates[p.candidates["client_id"].isin(ids)]


def parse_ids(value: str | list[int], what: str) -> list[int]:
    """Client ids from ``"1003, 1007"`` or a list; ConfigError naming a bad one."""
    items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    ids = []
    for item in items:
        try:
            ids.append(int(str(item).strip()))
        except ValueError:
            raise ConfigError(f"{what}: {str(item).strip()!r} is not a client id (expected "
                              f"numbers separated by commas, e.g. 1003,1007)") from None
    return list(dict.fromkeys(ids))


def _why_not(p: Plan, cid: int) -> str:
    why = p.exempt.loc[p.exempt["client_id"] == cid, "why"]
    if len(why):
        return "; ".join(sorted(set(why)))
    return "it holds no seat to reclaim (see gold/seat_status_latest.csv)"


def _select_file(p: Plan, path: Path) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"approve file {path} could not be read: {exc}") from None
    missing = {"client_id", "email", "approve"} - set(df.columns)
    if missing:
        raise ConfigError(f"approve file {path} lacks the column(s) {sorted(missing)}; start "
                          f"from runs/<date>/reclaim_plan.csv")
    chosen = df[df["approve"].str.strip().str.lower().isin(YES)]
    keep = []
    cand = p.candidates
    for n, row in chosen.iterrows():
        cid, email = row["client_id"].lstrip("'"), row["email"].strip().lower()
        hit = cand[(cand["client_id"].astype("string") == cid)
                   & ((cand["email"] == email) | (cand["email"].map(mask_email) == email))]
        if hit.empty:
            raise ConfigError(f"approve file {path}, line {n + 2}: client {cid} {email} is not "
                              f"a candidate of the plan of {p.day} (the plan changed: make a "
                              f"new one)")
        keep.extend(hit.index)
    return cand.loc[list(dict.fromkeys(keep))]


# -- execution ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What a reclaim did (or, in a dry run, would do)."""

    action: str
    dry_run: bool
    seats_before: dict[str, Any]
    seats_after: dict[str, Any] | None
    users: pd.DataFrame  # client_id, email, domain, before, after, outcome
    calls: list[dict[str, Any]] = field(default_factory=list)  # call, config, answer, seats
    stopped: str = ""  # why the run ended early, if it did

    @property
    def counter_note(self) -> str:
        """What the seat counter did, in plain words."""
        if self.dry_run or self.seats_after is None:
            return "dry run: nothing was changed in Zoho"
        before, after = self.seats_before.get("used"), self.seats_after.get("used")
        changed = int(self.users["outcome"].isin(["deactivated", "removed"]).sum())
        if not changed:
            return f"no user was changed; seats used {before}"
        if before is not None and after is not None and after < before:
            return f"seats used went from {before} to {after}: {before - after} seat(s) freed"
        return (f"seats used stayed at {before} although {changed} user(s) were "
                f"{self.action}d: Zoho's counter did not move, so deactivation does not free "
                f"seats here. Only removal does (permanent, shares revoked): run again with "
                f"--remove <client ids> --execute to remove them")

    def show(self, *, show_emails: bool = False) -> pd.DataFrame:
        return mask_frame(self.users, show=show_emails)


def execute(systems: Systems, rows: pd.DataFrame, *, run_date: date, execute: bool = False,
            action: str = "deactivate", actor: Actor | None = None) -> Outcome:
    """Deactivate (or remove) the users of ``rows``, or only say how (``execute=False``).

    Every call and a final summary go to the trail; a dry run writes one ``dry_run`` entry.
    A failure other than a refusal of a batch's addresses stops the calls still to make; the
    summary then says which users were and were not changed, and a second run finishes the
    rest (users already inactive are skipped).
    """
    trail = TrailWriter(systems.lake, run_date, actor or Actor.current(), not execute)
    wanted = rows[["client_id", "email", "domain"]].drop_duplicates("email")
    with systems.zoho() as zoho:
        live = {u.email.lower(): u for u in zoho.list_users()}
        seats = _seats(zoho, systems.settings)
        users = wanted.assign(before=[_state(live.get(e)) for e in wanted["email"]])
        todo = _todo(users, live, action)
        plan_calls = [{"call": _call_name(action), "domain": d, "emails": list(e)}
                      for d, e in batches(todo, systems.settings.reclaim.batch_size)]
        if not execute:
            trail.write("dry_run", action=action, users=_who(users), calls=plan_calls,
                        seats_before=seats)
            return Outcome(action, True, seats, None,
                           users.assign(after=users["before"], outcome=[
                               _would(action, b) for b in users["before"]]), plan_calls)
        calls, stopped = _run_calls(zoho, systems, trail, action, users, plan_calls, seats)
        live_after = {u.email.lower(): u for u in zoho.list_users()}
        seats_after = _seats(zoho, systems.settings)
    users = users.assign(after=[_state(live_after.get(e)) for e in users["email"]])
    users["outcome"] = [_outcome(action, r, calls) for r in users.to_dict("records")]
    trail.write("summary", action=action, users=_who(users, with_outcome=True),
                seats_before=seats, seats_after=seats_after, stopped=stopped)
    out = Outcome(action, False, seats, seats_after, users, calls, stopped)
    notify_reclaim(out, systems.settings, run_date)
    return out


def calls_frame(out: Outcome) -> pd.DataFrame:
    """One row per call made (or, in a dry run, to be made): call, domain, addresses, Zoho's
    answer, seats used before and after, whether the counter moved."""
    rows = []
    for c in out.calls:
        answer = c.get("answer")
        rows.append({
            "call": c["call"], "domain": c.get("domain", (c.get("config") or {}).get("domainName")),
            "email": "; ".join(c["emails"]),
            "answer": ("not made (dry run)" if answer is None else "204" if answer["ok"]
                       else f"{answer['code']}: {answer['message']}"),
            "seats_used_before": (c.get("seats_before") or {}).get("used"),
            "seats_used_after": (c.get("seats_after") or {}).get("used"),
            "counter_moved": c.get("counter_moved")})
    return pd.DataFrame(rows, columns=["call", "domain", "email", "answer", "seats_used_before",
                                       "seats_used_after", "counter_moved"])


def _run_calls(zoho, systems: Systems, trail: TrailWriter, action: str, users: pd.DataFrame,
               plan_calls: list[dict], seats: dict) -> tuple[list[dict], str]:
    """Make the calls; each one (with the counter read after it) goes to the trail."""
    client_of = dict(zip(users["email"], users["client_id"]))
    calls: list[dict] = []
    counter = {"now": seats}

    def record(result: CallResult) -> None:
        before = counter["now"]
        after = _seats(zoho, systems.settings)
        counter["now"] = after
        moved = _moved(before, after, len(result.emails)) if result.ok else None
        entry = {"call": result.call, "config": result.config, "emails": list(result.emails),
                 "answer": {"ok": result.ok, "code": result.code, "message": result.message},
                 "seats_before": before, "seats_after": after, "counter_moved": moved}
        calls.append(entry)
        trail.write("call", action=action, users=[{"client_id": _int(client_of.get(e)),
                                                   "email": e} for e in result.emails],
                    **{k: v for k, v in entry.items() if k != "emails"})

    for n, c in enumerate(plan_calls):
        try:
            zoho.users.apply(action, c["emails"], c["domain"], on_call=record)
        except ZohoError as exc:
            left = [e for later in plan_calls[n:] for e in later["emails"]]
            trail.write("stopped", action=action, error=str(exc),
                        users=[{"client_id": _int(client_of.get(e)), "email": e} for e in left])
            return calls, str(exc)
    return calls, ""


def _todo(users: pd.DataFrame, live: dict, action: str) -> dict[str | None, list[str]]:
    """Addresses to send, by the domain to send them with (the live record's, else the plan's)."""
    groups: dict[str | None, list[str]] = {}
    for r in users.to_dict("records"):
        needs = r["before"] == "active" if action == "deactivate" else r["before"] != "absent"
        if not needs:
            continue
        user = live[r["email"]]
        domain = portal_domain(getattr(user, "domain", None) or r.get("domain"))
        groups.setdefault(domain, []).append(r["email"])
    return groups


def _seats(zoho, settings: cfg.Settings) -> dict[str, Any]:
    for r in zoho.resources():
        if r.name == settings.zoho.seat_resource:
            return {"allocated": r.allocated, "used": r.used, "remaining": r.remaining}
    raise ZohoError("GET /restapi/v2/resources", hint=f"no {settings.zoho.seat_resource!r} "
                    f"resource in the answer ([zoho] seat_resource)")


def _moved(before: dict, after: dict, n: int) -> bool | str | None:
    if before.get("used") is None or after.get("used") is None:
        return None
    drop = before["used"] - after["used"]
    return True if drop >= n else (False if drop <= 0 else "partly")


def _state(user: Any) -> str:
    return "absent" if user is None else ("active" if user.active else "inactive")


def _call_name(action: str) -> str:
    from .zoho.users import ACTIONS

    method, path, _ = ACTIONS[action]
    return f"{method} /restapi/v2{path}"


def _would(action: str, before: str) -> str:
    if before == "absent":
        return "no call: not a member of the organisation"
    if action == "deactivate" and before == "inactive":
        return "no call: already inactive"
    return f"would be {action}d"


def _outcome(action: str, r: dict, calls: list[dict]) -> str:
    if r["before"] == "absent":
        return "no call: not a member of the organisation"
    if action == "deactivate" and r["before"] == "inactive":
        return "no call: already inactive"
    done = r["after"] == ("inactive" if action == "deactivate" else "absent")
    if done:
        return f"{action}d"
    refused = [c["answer"] for c in calls if r["email"] in c["emails"] and not c["answer"]["ok"]]
    if refused:
        code = refused[-1]["code"]
        return f"not {action}d: Zoho refused with {code} ({REFUSALS.get(code, refused[-1]['message'])})"
    return f"not {action}d: the run stopped before its call (run again to finish)"


def _who(users: pd.DataFrame, with_outcome: bool = False) -> list[dict]:
    cols = ["client_id", "email", "before"] + (["after", "outcome"] if with_outcome else [])
    return [{k: (_int(v) if k == "client_id" else v) for k, v in r.items()}
            for r in users[cols].to_dict("records")]


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# -- removal --------------------------------------------------------------------------------------

def removal_selection(systems: Systems, remove: str | list[int] | None) -> pd.DataFrame:
    """The users of the named clients that removal may take: those whose executed deactivation
    left the seat counter unchanged (from the trail).

    Raises:
        ConfigError: a named client has no such user (removal refused, saying why).
    """
    if remove is None or (isinstance(remove, str) and not remove.strip()):
        return pd.DataFrame(columns=["client_id", "email", "domain"])
    ids = parse_ids(remove, "remove")
    kept = seat_kept(read_trail(systems.lake))
    rows = [{"client_id": cid, "email": e, "domain": domain}
            for e, (cid, domain) in kept.items() if cid in ids]
    refused = sorted(set(ids) - {r["client_id"] for r in rows})
    if refused:
        raise ConfigError(
            f"remove: refused for client(s) {', '.join(map(str, refused))}: the trail shows no "
            f"deactivation of their users that left Zoho's seat counter unchanged. Removal is "
            f"permanent (shares revoked) and only offered when deactivating did not free the "
            f"seat; deactivate first (--approve <ids> --execute) and look at the counter")
    return pd.DataFrame(rows, columns=["client_id", "email", "domain"])


# -- notify ---------------------------------------------------------------------------------------

def notify_reclaim(out: Outcome, settings: cfg.Settings, day: date) -> bool:
    """Tell the operator's channels (:mod:`seatlib.notify`) what an executed reclaim freed;
    True when every channel took it. A failing channel never fails the reclaim (the calls are
    made and in the trail by now); the message is also recorded in ``runs/<date>/alerts.json``.
    """
    done = out.users[out.users["outcome"].isin(["deactivated", "removed"])]
    if out.dry_run or done.empty:
        return False
    clients = ", ".join(str(c) for c in sorted(set(done["client_id"].dropna().astype(int))))
    title = f"seat-monitor: {len(done)} user(s) {out.action}d in Zoho"
    body = f"Clients {clients}. {out.counter_note}."
    from . import notify

    failed = notify.send(settings, title, body, level="info", day=day,
                         payload={"action": out.action, "clients": clients,
                                  "users": int(len(done)), "counter": out.counter_note})
    if failed:
        log.warning("reclaim: the notification did not reach %s; the reclaim itself is done",
                    ", ".join(failed))
    return not failed
