"""The demo world's truth: the gold the pipeline must produce for a day, from the world's facts.

:class:`seatlib.sim.world.World` hands the oracle a :class:`Facts` snapshot of what it knows
for one instant: every workspace of the organisation by id (today's name, its admins, its
admins' latest access *by id*), every user once (active, role, the domains it is listed under),
the company's module clients, and the Access Log rows the pipeline must leave out. The oracle
never reads what the simulator serves, and it is written apart from gold's code (nothing of
:mod:`seatlib.stages.gold` is imported): two readings of one rule book that the demo compares
(:func:`seatlib.run.demo.check_against_truth`).

The rule book is docs/seats.md (one seat is one Zoho user): :func:`truth_by_user`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

#: The client id: the leading digits of a workspace name ("1234 - ACME" -> 1234).
CLIENT_ID_RE = re.compile(r"^\s*(\d+)")


@dataclass(frozen=True)
class WorkspaceFact:
    """One workspace of the organisation (the audit workspace left out) as the world knows it."""

    workspace_id: str
    name: str  # the name it bears at the instant
    created_at: datetime
    admins: tuple[str, ...]  # lower case, sorted, distinct
    last_admin_access: datetime | None  # by workspace id, whatever name the log gave it


@dataclass(frozen=True)
class UserFact:
    """One Zoho user (one address), however many times ``GET /users`` lists it."""

    email: str  # lower case
    active: bool
    role: str
    domains: tuple[str, ...] = ()  # the domainName of each listing, sorted


@dataclass(frozen=True)
class Facts:
    """What the world knows at one instant, for the oracle."""

    day: date
    as_of: datetime
    seats_allocated: int
    workspaces: tuple[WorkspaceFact, ...]  # in creation order
    users: tuple[UserFact, ...]  # in the order they were added
    module: dict[int, bool]  # the company's module clients (contracted): id -> module active
    staff: frozenset[str] = frozenset()  # the reseller's own addresses (owner, support)
    workspace_owners: frozenset[str] = frozenset()  # created_by of the workspaces
    access_future: int = 0  # served Access Log rows stamped after the instant
    access_without_address: int = 0  # (workspace name, "") groups of the served Access Log
    extra: dict = field(default_factory=dict)
    #: inactive users still counted in the seats used (a demo deactivation that kept its seat,
    #: seatlib.sim.users): in Zoho's counter, never in the seat ledger
    seat_keepers: frozenset[str] = frozenset()


def client_id_of(name: str, max_digits: int | None = None) -> int | None:
    """The client id in a workspace name; None without one or, given ``max_digits``, when it
    has more digits than that (it would not fit a BIGINT: never rounded or wrapped)."""
    m = CLIENT_ID_RE.match(name)
    if m is None or (max_digits is not None and len(m.group(1).lstrip("0") or "0") > max_digits):
        return None
    return int(m.group(1))


def status_of(module_active: bool, seat_held: bool, idle_days: int, inactive_days: int) -> str:
    """The status of a client matched to a workspace (or of a client, from all its rows)."""
    if not module_active:
        return "seat_held_by_ex_client" if seat_held else "released"
    if not seat_held:
        return "paying_without_user"
    return "inactive" if idle_days > inactive_days else "active"


def sort_rows(rows: list[dict]) -> None:
    rows.sort(key=lambda r: (r["client_id"] is None, r["client_id"] or 0,
                             r["workspace_name"] or ""))


# --- The rules before issue 20: one seat per workspace row ---------------------------------------
#: A client id with more digits does not fit the warehouse's BIGINT: the row is unmatched.
MAX_ID_DIGITS = 18
#: The roles of the reseller's own administrators (compared in lower case).
STAFF_ROLES = frozenset({"organization admin", "account admin"})
#: The seat users' categories, in the order the first that applies is chosen.
CATEGORIES = ("staff", "client", "unmatched", "ex_client", "no_workspace")


@dataclass(frozen=True)
class _Seats:
    """Who administers what, read once from the facts."""

    users: dict[str, UserFact]  # the seat users: active, not a viewer; by address
    client_of: dict[str, int | None]  # workspace id -> its client id (None: none, or too long)
    serves: dict[str, set[int]]  # address -> the known clients whose workspaces it administers
    unmatched_admins: set[str]  # addresses administering a workspace of no known client
    staff: set[str]  # the seat users in category staff


def truth_by_user(facts: Facts, inactive_days: int = 30, *,
                  staff_emails: tuple[str, ...] | None = None,
                  staff_domains: tuple[str, ...] | None = None) -> dict:
    """The gold of docs/seats.md for ``facts``: seats counted per Zoho user.

    Args:
        facts: the world's facts at the day's instant.
        inactive_days: a paying client holding a seat is "inactive" when idle for more days.
        staff_emails, staff_domains: ``[reclaim] staff_emails`` / ``staff_domains``; None: the
            world's own staff addresses (``facts.staff``) and no domain.

    Returns:
        ``{"snapshot_date", "clients", "capacity", "ledger"}``:

        ``clients``: one row per workspace (the audit workspace left out) and one per module
        client without a workspace, sorted by client id (None last), then name. Each row:
        ``client_id`` (None without one or past 18 digits), ``workspace_id``,
        ``workspace_name`` (today's), ``admin_emails``, ``seat_held`` / ``seats_held`` (its
        admins who are seat users outside staff), ``module_active`` (None: not a known client),
        ``last_access_at`` (ISO, by workspace id, whatever name the log used),
        ``days_since_last_access`` (never below 0), ``status`` (the row's rule),
        ``client_status`` (the client's, from all its rows), ``seats_reclaimable`` (admins in
        category ``ex_client``), ``admin_shared`` and ``shared_with`` (the other known clients
        its seat-user admins serve, sorted).

        ``ledger``: one entry per seat user, sorted by address: ``email``, ``domains``,
        ``role``, ``category``, ``clients`` / ``paying_clients`` (sorted ids), ``shared``
        (serves two clients or more), ``reclaimable`` (category ``ex_client``).

        ``capacity``: the columns of docs/seats.md's capacity row the world can know.
    """
    seats = _seats(facts, staff_emails, staff_domains)
    ledger = [_ledger_entry(u, seats, facts) for u in sorted(seats.users.values(),
                                                               key=lambda u: u.email)]
    category = {e["email"]: e["category"] for e in ledger}
    rows = [_user_row(ws, facts, seats, category, inactive_days) for ws in facts.workspaces]
    with_workspace = {r["client_id"] for r in rows if r["module_active"] is not None}
    rows += [_no_workspace_row(cid, on) for cid, on in facts.module.items()
             if cid not in with_workspace]
    client_status = _client_statuses(rows, inactive_days)
    for r in rows:
        r["client_status"] = ("unmatched" if r["status"] == "unmatched"
                              else client_status[r["client_id"]])
        del r["_idle"]
    sort_rows(rows)
    return {"snapshot_date": facts.day.isoformat(), "clients": rows,
            "capacity": _user_capacity(facts, ledger, client_status), "ledger": ledger}


def _seats(facts: Facts, staff_emails: tuple[str, ...] | None,
           staff_domains: tuple[str, ...] | None) -> _Seats:
    users = {u.email: u for u in facts.users if u.active and "viewer" not in u.role.lower()}
    emails = set(facts.staff) if staff_emails is None else {e.lower() for e in staff_emails}
    domains = {d.lower().lstrip("@") for d in staff_domains or ()}
    staff = {e for e, u in users.items()
             if u.role.lower() in STAFF_ROLES or e in facts.workspace_owners or e in emails
             or e.rsplit("@", 1)[-1] in domains}
    client_of = {ws.workspace_id: client_id_of(ws.name, MAX_ID_DIGITS) for ws in facts.workspaces}
    serves: dict[str, set[int]] = {}
    unmatched: set[str] = set()
    for ws in facts.workspaces:
        cid = client_of[ws.workspace_id]
        for email in ws.admins:
            if cid in facts.module:
                serves.setdefault(email, set()).add(cid)
            else:
                unmatched.add(email)
    return _Seats(users, client_of, serves, unmatched, staff)


def _ledger_entry(user: UserFact, seats: _Seats, facts: Facts) -> dict:
    """One seat user: the first category that applies (docs/seats.md, *Seat users*)."""
    clients = sorted(seats.serves.get(user.email, ()))
    paying = [c for c in clients if facts.module[c]]
    if user.email in seats.staff:
        category = "staff"
    elif paying:
        category = "client"  # a shared user serving a paying client: never freed
    elif user.email in seats.unmatched_admins:
        category = "unmatched"
    elif clients:
        category = "ex_client"
    else:
        category = "no_workspace"
    return {"email": user.email, "domains": list(user.domains), "role": user.role,
            "category": category, "clients": clients, "paying_clients": paying,
            "shared": len(clients) >= 2, "reclaimable": category == "ex_client"}


def _user_row(ws: WorkspaceFact, facts: Facts, seats: _Seats, category: dict[str, str],
              inactive_days: int) -> dict:
    """The row of one workspace; ``_idle`` (days idle) is kept for the client's status."""
    cid = seats.client_of[ws.workspace_id]
    module = facts.module.get(cid) if cid is not None else None
    seat_admins = [e for e in ws.admins if e in seats.users]
    holders = [e for e in seat_admins if category[e] != "staff"]
    last = ws.last_admin_access
    days_since = max(0, (facts.day - last.date()).days) if last is not None else None
    idle = days_since if days_since is not None else max(0, (facts.day - ws.created_at.date()).days)
    shared_with = sorted({c for e in seat_admins for c in seats.serves.get(e, ())} - {cid})
    return {
        "client_id": cid, "workspace_id": ws.workspace_id, "workspace_name": ws.name,
        "admin_emails": list(ws.admins), "seat_held": bool(holders), "seats_held": len(holders),
        "module_active": module,
        "last_access_at": last.isoformat() if last is not None else None,
        "days_since_last_access": days_since,
        "status": ("unmatched" if module is None
                   else status_of(module, bool(holders), idle, inactive_days)),
        "seats_reclaimable": sum(1 for e in seat_admins if category[e] == "ex_client"),
        "admin_shared": bool(shared_with), "shared_with": shared_with, "_idle": idle,
    }


def _no_workspace_row(cid: int, module: bool) -> dict:
    """A module client without any workspace: unmatched (check the name or the database)."""
    return {"client_id": cid, "workspace_id": None, "workspace_name": None, "admin_emails": [],
            "seat_held": False, "seats_held": 0, "module_active": module,
            "last_access_at": None, "days_since_last_access": None, "status": "unmatched",
            "seats_reclaimable": 0, "admin_shared": False, "shared_with": [], "_idle": None}


def _client_statuses(rows: list[dict], inactive_days: int) -> dict[int, str]:
    """Each known client's status from all its workspaces: a seat held in any of them, idle
    days the least over those that hold one (over all when none does: docs/seats.md,
    *client_status*)."""
    by_client: dict[int, list[dict]] = {}
    for r in rows:
        if r["status"] != "unmatched":
            by_client.setdefault(r["client_id"], []).append(r)
    out = {}
    for cid, mine in by_client.items():
        held = [r for r in mine if r["seat_held"]]
        out[cid] = status_of(mine[0]["module_active"], bool(held),
                             min(r["_idle"] for r in (held or mine)), inactive_days)
    return out


def _user_capacity(facts: Facts, ledger: list[dict], client_status: dict[int, str]) -> dict:
    """docs/seats.md's capacity row, as far as the world can know it (no ``overrides``)."""
    count = {c: sum(1 for e in ledger if e["category"] == c) for c in CATEGORIES}
    used = sum(1 for u in facts.users if "viewer" not in u.role.lower()
               and (u.active or u.email in facts.seat_keepers))
    idle_holders = sum(1 for e in ledger if e["category"] == "client" and all(
        client_status.get(c) == "inactive" for c in e["paying_clients"]))
    return {
        "seats_allocated": facts.seats_allocated, "seats_used": used,
        "seats_free": facts.seats_allocated - used,
        "usage_share": used / facts.seats_allocated if facts.seats_allocated else None,
        "seat_users": len(ledger), "seats_held_by_clients": count["client"],
        "seats_held_by_ex_clients": count["ex_client"],
        "seats_held_unmatched": count["unmatched"], "seats_staff": count["staff"],
        "seats_no_workspace": count["no_workspace"],
        "seats_other": count["staff"] + count["no_workspace"],
        "seats_held_by_inactive_clients": idle_holders,
        "seats_shared": sum(1 for e in ledger if e["shared"]),
        "seats_counter_gap": used - len(ledger),  # 0: the world's counter does not lag
        "paying_without_user": sum(1 for s in client_status.values()
                                   if s == "paying_without_user"),
        "access_future": facts.access_future,
        "access_without_address": facts.access_without_address,
        "access_ambiguous": 0,  # no two workspaces ever bear one name at once in the world
    }
