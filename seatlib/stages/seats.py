"""Who holds a seat: one seat is one Zoho user, counted once, in one category.

The rules are docs/seats.md's. A *seat user* is an active user of ``GET /users`` whose role
is not a viewer's; each is put in the first category that applies:

``staff``
    an organisation or account admin, a workspace owner, or ``[reclaim] staff_emails`` /
    ``staff_domains``;
``client``
    administers a workspace of a client whose module is active;
``unmatched``
    administers a workspace whose client nobody can name;
``ex_client``
    administers only workspaces of known clients that all have the module off: **the only
    reclaimable seats**;
``no_workspace``
    administers no client or unmatched workspace.

A user serving two or more clients is *shared*; serving one that pays puts it in ``client``,
so an ex-client's workspace run by a consultant of a paying client is never offered for
deactivation. :func:`ledger` gives one row per seat user (gold's ``seat_ledger``);
:func:`workspace_seats` gives, per workspace, what its admins' seats are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..core import config as cfg
from ..core.contracts import CATEGORIES  # noqa: F401  (the order they are decided: first that applies)
#: Roles of the reseller's own administrators (compared in lower case).
STAFF_ROLES = frozenset({"organization admin", "account admin"})
#: Why a seat is, or is not, reclaimable, by category (the ledger's ``reason``).
REASONS = {
    "staff": "the reseller's own user: never reclaimed",
    "client": "serves a paying client",
    "unmatched": "administers a workspace whose client is unknown: check it first",
    "ex_client": "serves only ex-clients: free it",
    "no_workspace": "administers no client workspace: look at it by hand",
}


def is_viewer(role: pd.Series) -> pd.Series:
    """Roles that take a read-only seat (Zoho's ``roUsers`` line), not one of the plan's."""
    return role.astype("string").str.lower().str.contains("viewer", regex=False).fillna(False)


def seat_users(users: pd.DataFrame) -> pd.DataFrame:
    """The active users holding one of the plan's seats: ``email``, ``domains``, ``role``.

    ``users`` is silver ``zoho_users`` (one row per address); a frame from before the
    ``domains`` column existed gives each user its one ``domain``.
    """
    active = users["active"].fillna(False).astype(bool) & ~is_viewer(users["role"])
    out = users.loc[active & users["email"].notna()].copy()
    domains = out["domains"] if "domains" in out else out["domain"]
    out["domains"] = domains.astype("string")
    return out[["email", "domains", "role"]].drop_duplicates("email").reset_index(drop=True)


def is_staff(seat: pd.DataFrame, owners: set[str], settings: cfg.ReclaimSettings) -> pd.Series:
    """Which seat users are the reseller's own (docs/seats.md: ``staff``)."""
    email = seat["email"].astype("string")
    domain = email.str.rpartition("@")[2]
    role = seat["role"].astype("string").str.strip().str.lower()
    return (role.isin(STAFF_ROLES).fillna(False) | email.isin(owners)
            | email.isin(set(settings.staff_emails)) | domain.isin(set(settings.staff_domains))
            ).astype(bool)


@dataclass
class Seats:
    """The day's seats: the ledger (one row per seat user) and each admin pair's user."""

    ledger: pd.DataFrame  # email, domains, role, category, clients, paying_clients,
    #                       n_clients, workspaces, shared, reclaimable, reason
    pairs: pd.DataFrame  # workspace_id, admin_email, seat (a seat user outside staff),
    #                      category
    served: dict[str, tuple[list[int], list[int]]]  # seat user -> (its clients, paying ones)


#: A list of client ids kept whole up to this many (a consultant of thousands of clients is
#: told apart, not spelt out); a longer one ends with ``MORE`` and how many more.
MAX_LISTED = 2000
MORE = "+"


def join_ids(ids: list[int], cap: int = MAX_LISTED) -> str | None:
    """``"12; 34"``; None when empty; past ``cap`` ids, ``"...; +N"`` (N more)."""
    if not ids:
        return None
    text = "; ".join(map(str, ids[:cap]))
    return text + (f"; {MORE}{len(ids) - cap}" if len(ids) > cap else "")


def build(users: pd.DataFrame, pairs: pd.DataFrame, owners: set[str],
          settings: cfg.ReclaimSettings) -> Seats:
    """Categorise every seat user from the day's admin pairs.

    Args:
        users: silver ``zoho_users``.
        pairs: one row per (client workspace, admin address): ``workspace_id``,
            ``admin_email``, ``client_id`` (NA when unknown), ``matched`` (the company knows
            the client), ``module_active``.
        owners: the addresses that created a workspace (``created_by``, lower case).
    """
    seat = seat_users(users)
    staff = is_staff(seat, owners, settings)
    mine = pairs[pairs["admin_email"].isin(set(seat["email"]))]
    known = mine[mine["matched"]]
    pays = known["module_active"].fillna(False).astype(bool)
    per = pd.DataFrame(index=pd.Index(seat["email"], name="email"))
    per["paying"] = known[pays].groupby("admin_email")["client_id"].nunique()
    per["unmatched_ws"] = mine[~mine["matched"]].groupby("admin_email")["workspace_id"].nunique()
    per["n_clients"] = known.groupby("admin_email")["client_id"].nunique()
    per["workspaces"] = mine.groupby("admin_email")["workspace_id"].nunique()
    per = per.fillna(0).astype(int)
    category = pd.Series("no_workspace", index=per.index, dtype="string")
    category[per["n_clients"].to_numpy() > 0] = "ex_client"
    category[per["unmatched_ws"].to_numpy() > 0] = "unmatched"
    category[per["paying"].to_numpy() > 0] = "client"
    category[staff.to_numpy()] = "staff"
    served = _served(known, pays, set(seat["email"][~staff.to_numpy()]))
    ledger = seat.assign(
        category=category.to_numpy(),
        clients=pd.array([join_ids(served.get(e, ([], []))[0]) for e in seat["email"]],
                         dtype="string"),
        paying_clients=pd.array([join_ids(served.get(e, ([], []))[1]) for e in seat["email"]],
                                dtype="string"),
        n_clients=per["n_clients"].to_numpy(), workspaces=per["workspaces"].to_numpy())
    # the reseller's own users serve every client by trade: neither shared nor listed
    ledger["shared"] = (ledger["n_clients"] >= 2) & ledger["category"].ne("staff")
    ledger["reclaimable"] = ledger["category"].eq("ex_client")
    ledger["reason"] = ledger["category"].map(REASONS).astype("string")
    ledger = ledger.sort_values("email", kind="stable").reset_index(drop=True)
    by = ledger.set_index("email")
    out = pairs[["workspace_id", "admin_email"]].copy()
    out["category"] = out["admin_email"].map(by["category"]).astype("string")
    out["seat"] = out["category"].notna() & out["category"].ne("staff")
    return Seats(ledger, out, served)


def _served(known: pd.DataFrame, pays: pd.Series, who: set[str]
            ) -> dict[str, tuple[list[int], list[int]]]:
    """Each non-staff seat user's known clients and the paying ones, sorted (one pass)."""
    out: dict[str, tuple[set[int], set[int]]] = {}
    for email, cid, paying in zip(known["admin_email"], known["client_id"], pays):
        if email in who:
            clients, paid = out.setdefault(email, (set(), set()))
            clients.add(int(cid))
            if paying:
                paid.add(int(cid))
    return {e: (sorted(c), sorted(p)) for e, (c, p) in out.items()}


def workspace_seats(seats: Seats, client_of: pd.Series, paying_of: pd.Series) -> pd.DataFrame:
    """Per workspace id with an admin who is a seat user: ``seats_held``,
    ``seats_reclaimable``, ``admin_shared``, ``shared_with`` (the other clients its shared
    admins serve, at most :data:`SHARED_LISTED`) and a ``note`` on whose seat it is when that is
    not simply the client's. One pass over the admin pairs: a consultant of hundreds of
    workspaces costs its pairs, not workspaces times pairs.

    Args:
        client_of: workspace id -> its client id (NA when unknown).
        paying_of: client id -> module active.
    """
    p = seats.pairs[seats.pairs["category"].notna()]
    held = p[p["seat"]]
    out = pd.DataFrame(index=pd.Index(sorted(set(p["workspace_id"])), name="workspace_id"))
    out["seats_held"] = held.groupby("workspace_id").size()
    out["seats_reclaimable"] = held[held["category"].eq("ex_client")].groupby(
        "workspace_id").size()
    out = out.fillna(0).astype(int)
    client_of, paying = client_of.to_dict(), {int(k): bool(v) for k, v in paying_of.items()
                                              if not pd.isna(v)}
    notes: dict[str, list[str]] = {}
    shared: dict[str, set[int]] = {}
    for ws, email, category, seat in sorted(zip(p["workspace_id"], p["admin_email"],
                                                p["category"], p["seat"])):
        own = client_of.get(ws)
        own = None if own is None or pd.isna(own) else int(own)
        part = _note(email, category, seat, own, seats.served.get(email, ([], [])), paying)
        if part:
            notes.setdefault(ws, []).append(part)
        if seat and len(seats.served.get(email, ([], []))[0]) >= 2:
            shared.setdefault(ws, set()).update(
                c for c in seats.served[email][0] if c != own)
    out["admin_shared"] = [bool(shared.get(w)) for w in out.index]
    out["shared_with"] = pd.array([_listed(shared.get(w)) for w in out.index], dtype="string")
    out["note"] = pd.array(["; ".join(notes[w]) if w in notes else None for w in out.index],
                           dtype="string")
    return out.reset_index()


#: How many other clients ``shared_with`` names before it says how many more.
SHARED_LISTED = 100
#: How many paying clients a note names before it says "and N more".
NOTE_NAMES = 3


def _listed(ids: set[int] | None) -> str | None:
    return join_ids(sorted(ids), SHARED_LISTED) if ids else None


def _note(email: str, category: str, seat: bool, own: int | None,
          served: tuple[list[int], list[int]], paying: dict[int, bool]) -> str | None:
    """Whose seat one admin of a workspace holds, in words, when it is not simply the
    client's: the paying clients it also serves (a few by id) and how many ex-clients; an
    admin of an unknown client's workspace; a staff admin."""
    if category == "staff":
        return f"{email} is staff (not the client's seat)"
    if not seat:
        return None
    others = [c for c in served[0] if c != own]
    parts = []
    if others:
        pays = [c for c in others if paying.get(c, False)]
        ex = len(others) - len(pays)
        said = []
        if pays:
            more = len(pays) - NOTE_NAMES
            said.append(f"paying client(s) {', '.join(map(str, pays[:NOTE_NAMES]))}"
                        + (f" and {more} more" if more > 0 else ""))
        if ex:
            said.append(f"{ex} other ex-client(s)")
        parts.append(f"{email} also serves {' and '.join(said)}"
                     + (": its seat stays" if pays else ""))
    if category == "unmatched":
        parts.append(f"{email} also runs a workspace of an unknown client")
    return "; ".join(parts) or None
