"""The simulator's user management: deactivate, activate and remove users (§10).

Served paths (CONFIG ``{"emailIds": [...], "domainName": ...}`` in the form body, as Zoho
documents, or in the query string, as Zoho's SDK sends it)::

    PUT    /restapi/v2/users/inactive     deactivate: 204; an inactive user is a no-op
    PUT    /restapi/v2/users/active       activate:   204; 6004 (or 6021) past the seat limit
    DELETE /restapi/v2/users              remove:     204; gone from /users and every workspace

What follows the documentation: at most 1,000 addresses a call; the whole batch fails with
8114 when any one address is not a member, and a portal user (:attr:`SimUser.domain`) is a
member only when addressed with its ``domainName`` (a standard user only without one); a
``domainName`` no user of the org has gives 8060; activating past the plan's seats fails the
whole batch with :attr:`SimUserAdmin.seat_limit_code` (6004, newer docs; 6021, older ones).

Where the documentation is silent or contradicts itself, switches:

* :attr:`SimUserAdmin.deactivation_frees_seat` (default True, the v1 page): a deactivated user's
  seat is freed in ``GET /resources``; False (the okf bundle): the user keeps occupying it
  (:attr:`ZohoState.seat_keepers`) until removed or reactivated.
* Invented here: the Account Admin cannot be deactivated or removed (documented) and is refused
  with 8516 (the code is not documented); more than 1,000 addresses also answer 8516.
* Assumed (UNVERIFIED, no page says): a user listed under two domains (one address, e.g. a
  portal user invited to the standard domain too) is one user: addressed under either
  ``domainName`` it is a member, and a change applies to both listings (one status, one seat).

Each change is handed to :attr:`SimUserAdmin.on_change` (the demo persists them under
``var/demo``, :mod:`seatlib.run.demo`) and replayed onto another day's state by
:func:`apply_changes`, and onto the world's facts for the truth by
:func:`facts_with_changes`. Every call is logged in :attr:`SimUserAdmin.calls`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .protocol import Options, Request, Response, fail, parse_config
from .state import ZohoState
from .truth import Facts

MAX_BATCH = 1000
CODE_INVALID_VALUE = 8516  # the Account Admin, or too many addresses (invented, see above)


@dataclass(frozen=True)
class Change:
    """One user's change of state, as made through the API."""

    email: str  # lower case
    action: str  # "deactivate", "activate" or "remove"
    keeps_seat: bool = False  # deactivated, yet still counted in the seats used

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _replay(changes: list[Change], active: dict[str, bool], keepers: set[str]) -> set[str]:
    """Apply ``changes`` in order to ``active`` (address -> active) and ``keepers``, in place;
    returns the addresses removed. The one reading of a change that both the served state
    (:func:`apply_changes`) and the truth's facts (:func:`facts_with_changes`) follow, so the
    demo's gold and its truth cannot part over a reclaim."""
    removed: set[str] = set()
    for ch in changes:
        if ch.email not in active or ch.email in removed:
            continue
        if ch.action == "remove":
            keepers.discard(ch.email)
            removed.add(ch.email)
        elif ch.action == "activate":
            active[ch.email] = True
            keepers.discard(ch.email)
        elif active[ch.email]:
            active[ch.email] = False
            if ch.keeps_seat:
                keepers.add(ch.email)
    return removed


def apply_changes(state: ZohoState, changes: list[Change]) -> ZohoState:
    """``state`` with ``changes`` applied in order (pure; a no-op for users it does not hold).

    A user listed under two domains is one user: a change applies to each of its listings.
    """
    active = {u.email.lower(): u.active for u in state.users}
    keepers = set(state.seat_keepers)
    removed = _replay(changes, active, keepers)
    users = tuple(u if u.active == active[u.email.lower()]
                  else dataclasses.replace(u, active=active[u.email.lower()])
                  for u in state.users if u.email.lower() not in removed)

    def status(email: str, was: bool) -> bool:
        return active.get(email.lower(), was)

    workspaces = tuple(dataclasses.replace(
        ws, admins=tuple(a for a in ws.admins if a.lower() not in removed),
        users=tuple((e, role, status(e, was)) for e, role, was in ws.users
                    if e.lower() not in removed)) for ws in state.workspaces)
    return dataclasses.replace(state, users=users, workspaces=workspaces,
                               seat_keepers=frozenset(keepers))


def facts_with_changes(facts: Facts, changes: list[Change]) -> Facts:
    """The world's ``facts`` after ``changes`` (pure), for the truth oracle: a deactivated user
    is inactive (and still counted in the seats used when its change ``keeps_seat``), a removed
    one is gone from the users and from every workspace's admins, an activated one is active."""
    if not changes:
        return facts
    active = {u.email: u.active for u in facts.users}
    keepers = set(facts.seat_keepers)
    removed = _replay(changes, active, keepers)
    users = tuple(u if u.active == active[u.email] else
                  dataclasses.replace(u, active=active[u.email])
                  for u in facts.users if u.email not in removed)
    workspaces = tuple(ws if not removed.intersection(ws.admins) else dataclasses.replace(
        ws, admins=tuple(a for a in ws.admins if a not in removed)) for ws in facts.workspaces)
    return dataclasses.replace(facts, users=users, workspaces=workspaces,
                               seat_keepers=frozenset(keepers))


class SimUserAdmin:
    """The handlers of the user-management paths; they change the simulator's state.

    Args:
        lock: the simulator's lock (a change reads and replaces the state under it).
        get_state: the state served now.
        set_state: replace it.
    """

    def __init__(self, lock: threading.RLock, get_state: Callable[[], ZohoState],
                 set_state: Callable[[ZohoState], None]):
        self._lock = lock
        self._get = get_state
        self._set = set_state
        self.deactivation_frees_seat = True
        self.seat_limit_code = 6004
        self.on_change: Callable[[list[Change]], None] | None = None
        #: every call: {"method", "path", "emails", "domain", "answer"} (answer 204 or a code)
        self.calls: list[dict[str, Any]] = []

    # -- the handlers (Handlers delegates to them by name) --------------------------------
    def put_inactive(self, req: Request, match: re.Match[str], state: ZohoState,
                     opts: Options) -> Response:
        return self._change(req, "deactivate")

    def put_active(self, req: Request, match: re.Match[str], state: ZohoState,
                   opts: Options) -> Response:
        return self._change(req, "activate")

    def delete_users(self, req: Request, match: re.Match[str], state: ZohoState,
                     opts: Options) -> Response:
        return self._change(req, "remove")

    # -- the work -------------------------------------------------------------------------
    def _change(self, req: Request, action: str) -> Response:
        entry: dict[str, Any] = {"method": req.method, "path": req.path, "emails": [],
                                 "domain": None, "answer": 204}
        try:
            emails, domain = self._read(req)
            entry.update(emails=emails, domain=domain)
            with self._lock:
                state = self._get()
                changes = self._changes(state, action, emails, domain)
                if changes:
                    self._set(apply_changes(state, changes))
                    if self.on_change is not None:
                        self.on_change(changes)
        except Exception as exc:
            entry["answer"] = _code_of(exc)
            raise
        finally:
            with self._lock:
                self.calls.append(entry)
        return Response(204, b"", "")

    @staticmethod
    def _read(req: Request) -> tuple[list[str], str | None]:
        config = parse_config(req, required=True)
        emails = config.get("emailIds")
        if emails is None:
            raise fail(8079)
        if not isinstance(emails, list) or not emails or not all(
                isinstance(e, str) and e.strip() for e in emails):
            raise fail(8078, "emailIds must be a non-empty array of e-mail addresses")
        if len(emails) > MAX_BATCH:
            raise fail(CODE_INVALID_VALUE, f"At most {MAX_BATCH} emailIds are allowed")
        domain = config.get("domainName")
        domain = domain.strip().lower() if isinstance(domain, str) and domain.strip() else None
        return [e.strip() for e in emails], domain

    def _changes(self, state: ZohoState, action: str, emails: list[str],
                 domain: str | None) -> list[Change]:
        """The changes a call makes, or the error refusing the whole batch."""
        portals = {(u.domain or "").lower() for u in state.users} - {""}
        if domain is not None and domain not in portals:
            raise fail(8060, "The specified domainName does not exist")
        # a user listed under two domains is a member under either of them
        users = {(u.email.lower(), u.domain or None): u for u in state.users}
        picked = []
        for email in emails:
            user = users.get((email.lower(), domain))
            if user is None:
                raise fail(8114, f"The email id {email} is not a member of this organization")
            if user.email.lower() == state.owner_email.lower() and action != "activate":
                raise fail(CODE_INVALID_VALUE, "The Account Admin cannot be deactivated or "
                                               "removed")
            if all(u.email.lower() != user.email.lower() for u in picked):
                picked.append(user)
        if action == "remove":
            return [Change(u.email.lower(), "remove") for u in picked]
        if action == "activate":
            waking = [u for u in picked if not u.active]
            needed = sum(1 for u in waking if u.email.lower() not in state.seat_keepers
                         and u.role != "Viewer")
            if needed and state.seats_used + needed > state.seats_allocated:
                raise fail(self.seat_limit_code, "User limit exceeded for the plan; "
                                                 "activation refused")
            return [Change(u.email.lower(), "activate") for u in waking]
        keeps = not self.deactivation_frees_seat
        return [Change(u.email.lower(), "deactivate", keeps) for u in picked if u.active]


def _code_of(exc: BaseException) -> int | None:
    """Zoho's code in a refusal (None for a simulator bug)."""
    response = getattr(exc, "response", None)
    try:
        return int(json.loads(response.body)["data"]["errorCode"])
    except (AttributeError, ValueError, KeyError, TypeError):
        return None
