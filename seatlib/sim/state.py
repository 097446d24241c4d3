"""What the Zoho simulator serves at one instant: plain data, no behaviour.

The world model (:mod:`seatlib.sim.world`) produces a :class:`ZohoState` for a date; the HTTP
server (:mod:`seatlib.sim.server`) serves whatever state it currently holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SimWorkspace:
    workspace_id: str  # numeric string, e.g. "1767024000000060001"
    name: str  # e.g. "1234 - ACME Ltda"
    created_ms: int  # epoch milliseconds (served as a string)
    created_by: str  # owner email (the reseller's account)
    admins: tuple[str, ...] = ()  # GET /workspaces/{id}/admins -> adminMembers
    # GET /workspaces/{id}/users -> (email, role, status); role e.g. "Account Admin", "Workspace Admin", "User"
    users: tuple[tuple[str, str, bool], ...] = ()
    views: tuple[tuple[str, str, str], ...] = ()  # (viewId, viewName, viewType)
    owned: bool = True  # listed under ownedWorkspaces (else sharedWorkspaces)
    # orgId of the organisation owning it; "" = the state's own. Another organisation's
    # workspace is listed by GET /workspaces, but its calls fail under the state's org header.
    org_id: str = ""


@dataclass(frozen=True)
class SimUser:
    email: str
    active: bool  # GET /users -> status; an active user holds a seat
    role: str = "User"  # "Organization Admin", "User", "Viewer"
    domain: str = ""  # the client portal it was added through; "" = the standard domain
    # A user may be listed twice, once per domain (the same address, one status, one seat).


@dataclass(frozen=True)
class AccessRow:
    """One row of the audit workspace's Access Log table (docs/zoho-api-notes.md §9)."""

    accessed_at: datetime  # UTC, tz-aware
    accessed_by: str
    workspace_name: str
    view_name: str = "Dashboard"
    view_type: str = "Dashboard"
    ip_address: str = "200.0.0.1"
    user_agent: str = "Mozilla/5.0"


@dataclass(frozen=True)
class ZohoState:
    org_id: str
    org_name: str
    as_of: datetime  # UTC instant the state describes; access rows are all <= as_of
    owner_email: str
    workspaces: tuple[SimWorkspace, ...]
    users: tuple[SimUser, ...]
    seats_allocated: int = 70  # resourceName "users"
    ro_seats_allocated: int = 100  # resourceName "roUsers"
    access_log: tuple[AccessRow, ...] = ()
    plan_name: str = "Enterprise"
    add_ons: str = "Additional Users (20)"
    #: the Access Log's declared ``dateFormat`` for "Accessed Time" (Zoho's Java-style pattern)
    access_time_format: str = "yyyy-MM-dd HH:mm:ss"
    #: the Account Admin is also a Client Portal Admin: users and admin groups carry domainName
    client_portal: bool = False
    extra: dict = field(default_factory=dict)
    #: users deactivated while they keep their seat (the simulator's "counter does not move"
    #: switch, seatlib.sim.users): inactive, yet counted in seats_used
    seat_keepers: frozenset[str] = frozenset()

    @property
    def seats_used(self) -> int:
        """Zoho's ``/resources`` counter: distinct users, so a user listed under two domains
        takes one seat."""
        return len({u.email.lower() for u in self.users if u.role != "Viewer"
                    and (u.active or u.email.lower() in self.seat_keepers)})
