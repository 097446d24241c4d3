"""The demo world's truth: the gold the pipeline must produce for a day, from the world's facts.

:class:`seatlib.sim.world.World` hands the oracle a :class:`Facts` snapshot of what it knows
for one instant: every workspace of the organisation by id (today's name, its admins, its
admins' latest access *by id*), every user once (active, role, the domains it is listed under),
the company's module clients, and the Access Log rows the pipeline must leave out. The oracle
never reads what the simulator serves, and it is written apart from gold's code (nothing of
:mod:`seatlib.gold` is imported): two readings of one rule book that the demo compares
(:func:`seatlib.demo.check_against_truth`).

Two rule books:

* :func:`truth_by_workspace` - the rules gold followed before issue 20, one seat per workspace
  row (the world without its hard cases answers with it, byte for byte as before);
* :func:`truth_by_user` - docs/seats.md: one seat is one Zoho user (:mod:`seatlib.sim.seats`).
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
def truth_by_workspace(facts: Facts, inactive_days: int = 30) -> dict:
    """The gold of the rules before issue 20, from ``facts``.

    Returns:
        ``{"snapshot_date": "YYYY-MM-DD", "clients": [...], "capacity": {...}}``.

        ``clients`` has one row per non-audit workspace and one per module client without a
        workspace, sorted by client id (None last). A row holds ``client_id`` (leading digits
        of the workspace name), ``workspace_id``, ``workspace_name``, ``admin_emails`` (lower
        case, sorted), ``seat_held`` (an admin is an active user), ``module_active`` (None when
        the client is not a module client), ``last_access_at`` (ISO-8601 with ``+00:00``, the
        latest logged access by an admin), ``days_since_last_access`` and ``status``.
        Workspaces of unknown clients, and module clients without a workspace, are
        "unmatched"; the other statuses follow :func:`status_of`, idle days falling back to
        the workspace's age when no access was logged.

        ``capacity`` counts seats: used and free, distinct active admin emails over all rows
        (``seats_held_by_clients``) and per status, ``seats_other = used - held_by_clients``
        and the number of "paying_without_user" rows.
    """
    active = {u.email for u in facts.users if u.active}
    rows = [_workspace_row(ws, facts, active, inactive_days) for ws in facts.workspaces]
    with_workspace = {r["client_id"] for r in rows if r["status"] != "unmatched"}
    for cid, on in facts.module.items():
        if cid not in with_workspace:
            rows.append({"client_id": cid, "workspace_id": None, "workspace_name": None,
                         "admin_emails": [], "seat_held": False, "module_active": on,
                         "last_access_at": None, "days_since_last_access": None,
                         "status": "unmatched", "_active_admins": []})
    sort_rows(rows)
    capacity = _capacity(rows, facts)
    for r in rows:
        del r["_active_admins"]
    return {"snapshot_date": facts.day.isoformat(), "clients": rows, "capacity": capacity}


def _workspace_row(ws: WorkspaceFact, facts: Facts, active: set[str],
                   inactive_days: int) -> dict:
    """The row of one workspace, with its ``_active_admins`` for the capacity."""
    day = facts.day
    cid = client_id_of(ws.name)
    known = cid is not None and cid in facts.module
    active_admins = [e for e in ws.admins if e in active]
    last = ws.last_admin_access
    days_since = (day - last.date()).days if last is not None else None
    row = {
        "client_id": cid, "workspace_id": ws.workspace_id, "workspace_name": ws.name,
        "admin_emails": list(ws.admins), "seat_held": bool(active_admins),
        "module_active": facts.module[cid] if known else None,
        "last_access_at": last.isoformat() if last is not None else None,
        "days_since_last_access": days_since,
    }
    if not known:
        row["status"] = "unmatched"
    else:
        idle = days_since if days_since is not None else (day - ws.created_at.date()).days
        row["status"] = status_of(row["module_active"], row["seat_held"], idle, inactive_days)
    row["_active_admins"] = active_admins
    return row


def _capacity(rows: list[dict], facts: Facts) -> dict:
    """The seat counts over ``rows`` (which still carry ``_active_admins``)."""

    def held(status: str | None = None) -> int:
        return len({e for r in rows if status in (None, r["status"])
                    for e in r["_active_admins"]})

    used = sum(1 for u in facts.users if u.active and u.role != "Viewer")
    return {
        "seats_allocated": facts.seats_allocated, "seats_used": used,
        "seats_free": facts.seats_allocated - used, "seats_held_by_clients": held(),
        "seats_held_by_ex_clients": held("seat_held_by_ex_client"),
        "seats_held_by_inactive_clients": held("inactive"),
        "seats_held_unmatched": held("unmatched"), "seats_other": used - held(),
        "paying_without_user": sum(1 for r in rows if r["status"] == "paying_without_user"),
    }
