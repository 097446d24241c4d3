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

from . import config as cfg
from .contracts import CATEGORIES  # noqa: F401  (the order they are decided: first that applies)
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
    #                      category, n_clients, clients


def _ids(values) -> str | None:
    ids = sorted({int(v) for v in values if not pd.isna(v)})
    return "; ".join(str(v) for v in ids) if ids else None


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
    per = pd.DataFrame(index=pd.Index(seat["email"], name="email"))
    per["paying"] = known[known["module_active"].fillna(False).astype(bool)].groupby(
        "admin_email")["client_id"].nunique()
    per["unmatched_ws"] = mine[~mine["matched"]].groupby("admin_email")["workspace_id"].nunique()
    per["n_clients"] = known.groupby("admin_email")["client_id"].nunique()
    per["workspaces"] = mine.groupby("admin_email")["workspace_id"].nunique()
    per = per.fillna(0).astype(int)
    clients = known.groupby("admin_email")["client_id"].agg(_ids)
    paying = known[known["module_active"].fillna(False).astype(bool)].groupby(
        "admin_email")["client_id"].agg(_ids)
    category = pd.Series("no_workspace", index=per.index, dtype="string")
    category[per["n_clients"].to_numpy() > 0] = "ex_client"
    category[per["unmatched_ws"].to_numpy() > 0] = "unmatched"
    category[per["paying"].to_numpy() > 0] = "client"
    category[staff.to_numpy()] = "staff"
    ledger = seat.assign(
        category=category.to_numpy(), clients=seat["email"].map(clients).astype("string"),
        paying_clients=seat["email"].map(paying).astype("string"),
        n_clients=per["n_clients"].to_numpy(), workspaces=per["workspaces"].to_numpy())
    ledger["shared"] = ledger["n_clients"] >= 2
    ledger["reclaimable"] = ledger["category"].eq("ex_client")
    ledger["reason"] = ledger["category"].map(REASONS).astype("string")
    ledger = ledger.sort_values("email", kind="stable").reset_index(drop=True)
    by = ledger.set_index("email")
    out = pairs[["workspace_id", "admin_email"]].copy()
    out["category"] = out["admin_email"].map(by["category"]).astype("string")
    out["seat"] = out["category"].notna() & out["category"].ne("staff")
    out["n_clients"] = out["admin_email"].map(by["n_clients"]).fillna(0).astype(int)
    out["clients"] = out["admin_email"].map(by["clients"]).astype("string")
    return Seats(ledger, out)


def workspace_seats(seats: Seats, client_of: pd.Series, paying_of: pd.Series) -> pd.DataFrame:
    """Per workspace id with an admin who is a seat user: ``seats_held``,
    ``seats_reclaimable``, ``admin_shared``, ``shared_with`` (the other clients its shared
    admins serve) and a ``note`` on whose seat it is when that is not simply the client's.

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
    shared = held[held["n_clients"] >= 2][["workspace_id", "clients"]].copy()
    shared["client"] = shared["clients"].str.split("; ")
    shared = shared.explode("client").dropna(subset=["client"])
    shared["client"] = shared["client"].astype(int)
    own = shared["workspace_id"].map(client_of)
    shared = shared[own.isna() | (shared["client"] != own.fillna(-1).astype("int64"))]
    others = shared.groupby("workspace_id")["client"].agg(lambda c: sorted(set(c)))
    out["admin_shared"] = out.index.isin(others.index)
    out["shared_with"] = pd.Series(out.index.map(
        lambda w: "; ".join(map(str, others[w])) if w in others.index else None),
        index=out.index, dtype="string")
    odd = set(others.index) | set(p.loc[p["category"].isin(["unmatched", "staff"]),
                                        "workspace_id"])
    notes = {w: _note(p[p["workspace_id"] == w], client_of.get(w), paying_of)
             for w in sorted(odd)}
    out["note"] = pd.Series([notes.get(w) for w in out.index], index=out.index, dtype="string")
    return out.reset_index()


#: How many paying clients a note names before it says "and N more".
NOTE_NAMES = 3


def _note(group: pd.DataFrame, own, paying_of: pd.Series) -> str | None:
    """Whose seat the workspace's admins hold, in words, when it is not simply the client's:
    per admin, the paying clients it also serves (a few by id) and how many ex-clients; an
    admin of an unknown client's workspace; a staff admin."""
    parts = []
    for r in group.sort_values("admin_email").itertuples():
        if r.category == "staff":
            parts.append(f"{r.admin_email} is staff (not the client's seat)")
            continue
        clients = "" if pd.isna(r.clients) else str(r.clients)
        others = [int(c) for c in clients.split("; ") if c and
                  (own is None or pd.isna(own) or int(c) != int(own))]
        if r.seat and others:
            paying = [c for c in others if bool(paying_of.get(c, False))]
            ex = len(others) - len(paying)
            said = []
            if paying:
                more = len(paying) - NOTE_NAMES
                said.append(f"paying client(s) {', '.join(map(str, paying[:NOTE_NAMES]))}"
                            + (f" and {more} more" if more > 0 else ""))
            if ex:
                said.append(f"{ex} other ex-client(s)")
            stays = ": its seat stays" if paying else ""
            parts.append(f"{r.admin_email} also serves {' and '.join(said)}{stays}")
        if r.seat and r.category == "unmatched":
            parts.append(f"{r.admin_email} also runs a workspace of an unknown client")
    return "; ".join(parts) if parts else None
