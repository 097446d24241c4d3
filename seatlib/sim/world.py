"""A deterministic demo world: a SaaS company reselling Zoho Analytics (white label) over time.

The world answers three questions for any date, always the same way for the same seed:

* :meth:`World.zoho_state` - what Zoho Analytics shows at 06:00 UTC that day (workspaces, their
  admins and users, the organisation's users and seats, the audit Access Log);
* :meth:`World.company_rows` - the company's ``app.clients`` table at that instant;
* :meth:`World.truth` - the gold the pipeline should produce, derived from the world's own facts.

How the world is built
----------------------
* **Clients** arrive after :data:`ORIGIN` (about 100 a year). Everything about client ``n`` (id,
  name, admin, contract date, churn, engagement, quirks) comes from its own RNG,
  ``random.Random(f"{seed}:client:{n}")``; only its arrival date also depends on the clients before
  it (arrivals are a cumulative sum of gaps), and clients are always generated in order 0, 1, 2...
* **Seats** are a causal event simulation (workspace creations, cancellations, re-contracts, the
  support team's cleanups) processed in time order. It is extended lazily, month by month, and an
  extension never changes what was already simulated, so the state for a day does not depend on
  which days were asked before.
* **Accesses** are drawn per (entity, calendar month) with ``random.Random(f"{seed}:access:...")``
  and then filtered by the simulated seat state (an inactive user cannot open a dashboard).

Nothing reads the clock: every instant is derived from the seed and the requested date.

Tuning note: with ~100 arrivals a year and 70 seats, Little's law caps the number of paying clients
holding a seat at ~50, so the module's mean tenure must be a few months (most clients try the module
and cancel). The churn parameters (in :mod:`seatlib.sim.population`) are tuned for that, which is
the setting the project describes: seats saturate, ex-clients hold seats, new clients wait.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .population import (ACCESS_TIME_FORMAT, AUDIT_START, AUDIT_WORKSPACE, CLEANUP_DELAY_DAYS,
                         CLEANUP_GRACE_DAYS, CLEANUP_SHARE, CLEANUP_TIME, ORG_ID, ORG_NAME, ORIGIN,
                         OTHER_ORG_ID, OWNER_EMAIL, PARTNER_ORG_ID, PORTAL_DOMAIN, PROFILE_RATES,
                         RUN_TIME, SPECIAL_ID_BASE, SUPPORT_EMAIL, SUPPORT_RATE, USER_AGENTS,
                         WS_ID_BASE, Client, Population, Special, Workspace, at_utc)
from .state import AccessRow, SimUser, SimWorkspace, ZohoState

__all__ = ["AUDIT_START", "ORIGIN", "World", "main"]

_CLIENT_ID_RE = re.compile(r"^\s*(\d+)")


# --- Small helpers --------------------------------------------------------------------------------
def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _access_time(rng: random.Random) -> time:
    """When a Brazilian user opens a dashboard, in UTC: mostly office hours, some evenings."""
    r = rng.random()
    if r < 0.85:
        secs = rng.randrange(11 * 3600, 22 * 3600)
    elif r < 0.95:
        secs = rng.randrange(22 * 3600, 24 * 3600)
    else:  # late evening in Brazil is after midnight UTC: before the 06:00 run of the same day
        secs = rng.randrange(0, 3 * 3600)
    return time(secs // 3600, secs % 3600 // 60, secs % 60)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass
class _Stream:
    """The logged accesses, in time order, plus per-workspace admin access times for the truth."""

    rows: list[AccessRow] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    admin_times: dict[str, list[datetime]] = field(default_factory=dict)  # workspace_id -> times
    done_until: date = AUDIT_START  # first day of the first month not generated yet


class World:
    """The demo world for one seed.

    Args:
        seed: every fact of the world derives from it.
        seats_allocated: Zoho user seats of the plan (Enterprise 50 + 20 add-on).
    """

    def __init__(self, seed: int = 42, *, seats_allocated: int = 70):
        self.seed = seed
        self.seats_allocated = seats_allocated
        self.org_id = ORG_ID
        self.org_name = ORG_NAME
        self.owner_email = OWNER_EMAIL
        self.support_email = SUPPORT_EMAIL
        digest = hashlib.sha256(f"seat-monitor-demo:{seed}".encode()).hexdigest()
        # Fake but Zoho-shaped, and obviously fake ("SIMDEMO"/"simdemo") if one ever leaks.
        self.demo_client_id = "1000.SIMDEMO" + digest[:24].upper()
        self.demo_client_secret = "simdemo-secret-" + digest[24:56]
        self.demo_refresh_token = "1000.simdemo." + digest[:32] + "." + digest[32:64]

        self._population = Population(seed)
        self._clients: list[Client] = []
        self._no_module = self._population.no_module_clients()
        self._specials = Population.specials()

        # Seat simulation state; events strictly before _sim_until have been applied.
        self._heap: list[tuple] = []
        self._sim_until = at_utc(ORIGIN - timedelta(days=60), time(0))
        self._user_role: dict[str, str] = {}  # insertion order = order users were added
        self._user_added: list[tuple[datetime, str]] = []
        self._user_hist: dict[str, tuple[list[datetime], list[bool]]] = {}
        self._seats_used = 0
        self._ws_log: list[Workspace] = []  # in creation order
        self._ws_times: list[datetime] = []
        self._module_on: dict[int, bool] = {}
        self._waiting: dict[int, datetime] = {}  # client n -> since when it waits for a seat
        self._cleanup_at: datetime | None = None
        self._cleanups: list[datetime] = []  # when the support team cleaned up
        self._stream = _Stream()

        staff_added = at_utc(ORIGIN - timedelta(days=30), time(12))
        self._add_user(OWNER_EMAIL, "Organization Admin", staff_added, force_active=True)
        self._add_user(SUPPORT_EMAIL, "User", staff_added, force_active=True)
        for k, sp in enumerate(self._specials):
            heapq.heappush(self._heap, (sp.workspace.created_at, 2, -1 - k, "special", k))

    # ---------------------------------------------------------------------------------------------
    # Public API
    # ---------------------------------------------------------------------------------------------
    def as_of(self, day: date) -> datetime:
        """The instant a run for ``day`` sees: ``day`` at 06:00:00 UTC."""
        return at_utc(day, RUN_TIME)

    def zoho_state(self, day: date) -> ZohoState:
        """What Zoho Analytics serves at :meth:`as_of` ``(day)``.

        The access log holds every logged access with ``AUDIT_START <= accessed_at < as_of``.
        """
        at = self.as_of(day)
        self._ensure(day)
        workspaces = tuple(self._served_workspace(ws, at) for ws in self._workspaces_at(at))
        staff = (self.owner_email, self.support_email)
        users = tuple(SimUser(email=e, active=self._active(e, at), role=self._user_role[e],
                              domain="" if e in staff else PORTAL_DOMAIN)
                      for t, e in self._user_added if t < at)
        k = bisect.bisect_left(self._stream.times, at)
        return ZohoState(
            org_id=self.org_id, org_name=self.org_name, as_of=at, owner_email=self.owner_email,
            workspaces=self._foreign_workspaces() + workspaces, users=users,
            seats_allocated=self.seats_allocated, access_log=tuple(self._stream.rows[:k]),
            add_ons="Additional Users (20)", access_time_format=ACCESS_TIME_FORMAT,
            client_portal=True,
        )

    def _foreign_workspaces(self) -> tuple[SimWorkspace, ...]:
        """Workspaces of other organisations that GET /workspaces lists first: the account's own
        trial org with its own audit workspace (owned), and a partner's workspace shared with
        it, named like a client's. Neither belongs in the pipeline (§4)."""
        created = _ms(at_utc(ORIGIN - timedelta(days=90), time(12)))
        return (
            SimWorkspace(workspace_id="2200000000000001000", name=AUDIT_WORKSPACE,
                         created_ms=created, created_by=self.owner_email, owned=True,
                         org_id=OTHER_ORG_ID),
            SimWorkspace(workspace_id="2300000000000002000", name="0042 - Parceiro Externo",
                         created_ms=created, created_by="bi@parceiro.example",
                         admins=("bi@parceiro.example",), owned=False, org_id=PARTNER_ORG_ID),
        )

    def company_rows(self, day: date) -> list[dict]:
        """The company's ``app.clients`` table at :meth:`as_of` ``(day)``, ordered by client id.

        Module clients appear once they contracted; ``bi_module_since`` is the start of the current
        (or last) module period. Clients that never had the module exist from the origin, with
        ``bi_module_active`` False and ``bi_module_since`` None.
        """
        at = self.as_of(day)
        self._ensure_clients(at)
        rows = []
        if day >= ORIGIN:
            rows += [{"client_id": cid, "name": name, "bi_module_active": False,
                      "bi_module_since": None} for cid, name in self._no_module]
        rows += [{"client_id": c.client_id, "name": c.name, "bi_module_active": c.module_active(at),
                  "bi_module_since": c.module_since(at)}
                 for c in self._clients if c.contract_at < at]
        rows.sort(key=lambda r: r["client_id"])
        return rows

    def truth(self, day: date, inactive_days: int = 30) -> dict:
        """The gold the pipeline must produce for ``day``, from the world's own facts.

        Args:
            day: the snapshot date.
            inactive_days: a paying client with a seat is "inactive" when idle for more days.

        Returns:
            ``{"snapshot_date": "YYYY-MM-DD", "clients": [...], "capacity": {...}}``.

            ``clients`` has one row per non-audit workspace and one per module client without a
            workspace, sorted by client id (None last). A row holds ``client_id`` (leading digits
            of the workspace name), ``workspace_id``, ``workspace_name``, ``admin_emails`` (lower
            case, sorted), ``seat_held`` (an admin is an active user), ``module_active`` (None when
            the client is not a module client), ``last_access_at`` (ISO-8601 with ``+00:00``, the
            latest logged access by an admin), ``days_since_last_access`` and ``status``.
            Workspaces of unknown clients, and module clients without a workspace, are
            "unmatched"; the other statuses follow :func:`_status`, idle days falling back to the
            workspace's age when no access was logged.

            ``capacity`` counts seats: used and free, distinct active admin emails over all rows
            (``seats_held_by_clients``) and per status, ``seats_other = used - held_by_clients``
            and the number of "paying_without_user" rows.
        """
        at = self.as_of(day)
        self._ensure(day)
        companies = {c.client_id: c for c in self._clients if c.contract_at < at}
        rows = [self._workspace_row(ws, day, companies, inactive_days)
                for ws in self._workspaces_at(at) if ws.name != AUDIT_WORKSPACE]
        with_workspace = {r["client_id"] for r in rows if r["status"] != "unmatched"}
        for cid, c in companies.items():
            if cid not in with_workspace:
                rows.append({"client_id": cid, "workspace_id": None, "workspace_name": None,
                             "admin_emails": [], "seat_held": False,
                             "module_active": c.module_active(at), "last_access_at": None,
                             "days_since_last_access": None, "status": "unmatched",
                             "_active_admins": []})
        rows.sort(key=lambda r: (r["client_id"] is None, r["client_id"] or 0,
                                 r["workspace_name"] or ""))
        capacity = self._capacity(rows, at)
        for r in rows:
            del r["_active_admins"]
        return {"snapshot_date": day.isoformat(), "clients": rows, "capacity": capacity}

    def _workspace_row(self, ws: Workspace, day: date, companies: dict[int, Client],
                       inactive_days: int) -> dict:
        """The truth row of one workspace, with its ``_active_admins`` for the capacity."""
        at = self.as_of(day)
        m = _CLIENT_ID_RE.match(ws.name)
        cid = int(m.group(1)) if m else None
        client = companies.get(cid) if cid is not None else None
        admins = sorted(set(ws.admins))
        active_admins = [e for e in admins if self._active(e, at)]
        last = self._last_admin_access(ws, at)
        days_since = (day - last.date()).days if last is not None else None
        row = {
            "client_id": cid, "workspace_id": ws.workspace_id, "workspace_name": ws.name,
            "admin_emails": admins, "seat_held": bool(active_admins),
            "module_active": client.module_active(at) if client else None,
            "last_access_at": last.isoformat() if last is not None else None,
            "days_since_last_access": days_since,
        }
        if client is None:
            row["status"] = "unmatched"
        else:
            idle = days_since if days_since is not None else (day - ws.created_at.date()).days
            row["status"] = _status(row["module_active"], row["seat_held"], idle, inactive_days)
        row["_active_admins"] = active_admins
        return row

    def _capacity(self, rows: list[dict], at: datetime) -> dict:
        """The truth's seat counts over its ``rows`` (which still carry ``_active_admins``)."""

        def held(status: str | None = None) -> int:
            return len({e for r in rows if status in (None, r["status"])
                        for e in r["_active_admins"]})

        used = sum(1 for e in self._user_role if self._active(e, at)
                   and self._user_role[e] != "Viewer")
        return {
            "seats_allocated": self.seats_allocated, "seats_used": used,
            "seats_free": self.seats_allocated - used, "seats_held_by_clients": held(),
            "seats_held_by_ex_clients": held("seat_held_by_ex_client"),
            "seats_held_by_inactive_clients": held("inactive"),
            "seats_held_unmatched": held("unmatched"), "seats_other": used - held(),
            "paying_without_user": sum(1 for r in rows if r["status"] == "paying_without_user"),
        }

    def cleanups_before(self, day: date) -> list[datetime]:
        """When the support team ran its manual cleanups, up to :meth:`as_of` ``(day)``.

        Handy to narrate the demo (seats drop right after each cleanup).
        """
        at = self.as_of(day)
        self._ensure(day)
        return [t for t in self._cleanups if t < at]

    def summary(self, day: date, inactive_days: int = 30) -> str:
        """A short human summary of :meth:`truth` for ``day``."""
        # Imported here: contracts pulls in pandas, which the simulator itself does not need.
        from ..contracts import STATUSES

        t = self.truth(day, inactive_days)
        counts = Counter(r["status"] for r in t["clients"])
        cap = t["capacity"]
        n_ws = sum(1 for r in t["clients"] if r["workspace_id"] is not None)
        lines = [f"seat-monitor demo world, seed {self.seed}, as of {self.as_of(day).isoformat()}",
                 f"gold rows: {len(t['clients'])} ({n_ws} workspaces, audit excluded)"]
        lines += [f"  {s:<24}{counts.get(s, 0):>5}" for s in STATUSES]
        lines.append(f"seats: {cap['seats_used']}/{cap['seats_allocated']} used, "
                     f"{cap['seats_free']} free")
        lines += [f"  {k:<32}{v:>4}" for k, v in cap.items()
                  if k not in ("seats_allocated", "seats_used", "seats_free")]
        return "\n".join(lines)

    def _ensure_clients(self, until: datetime) -> None:
        """Generate clients (and queue their events) until one contracts at or after ``until``."""
        while not self._clients or self._clients[-1].contract_at < until:
            c = self._population.client(len(self._clients))
            self._clients.append(c)
            self._module_on[c.n] = False
            heapq.heappush(self._heap, (c.contract_at, 1, c.n, "contract", c.n))
            heapq.heappush(self._heap, (c.workspace.created_at, 2, c.n, "workspace", c.n))
            if c.cancel_at is not None:
                heapq.heappush(self._heap, (c.cancel_at, 0, c.n, "cancel", c.n))
            if c.recontract_at is not None:
                heapq.heappush(self._heap, (c.recontract_at, 1, c.n, "recontract", c.n))

    # ---------------------------------------------------------------------------------------------
    # Seat simulation (causal, extended lazily)
    # ---------------------------------------------------------------------------------------------
    def _ensure(self, day: date) -> None:
        """Simulate seats and accesses through the end of ``day``'s month.

        Working in whole months keeps the access generation simple (one RNG per entity and month),
        and because the simulation is causal the extra days change nothing already computed.
        """
        end = _next_month(day)
        if self._sim_until < at_utc(end, time(0)):
            self._run_until(at_utc(end, time(0)))
        s = self._stream
        while s.done_until < end:
            self._generate_month(s.done_until)
            s.done_until = _next_month(s.done_until)

    def _run_until(self, until: datetime) -> None:
        self._ensure_clients(until)
        while self._heap and self._heap[0][0] < until:
            t, _, _, kind, arg = heapq.heappop(self._heap)
            if kind == "special":
                sp = self._specials[arg]
                for email in sp.new_users:
                    self._add_user(email, "User", t)
                self._log_workspace(sp.workspace)
            elif kind == "contract":
                self._module_on[arg] = True
            elif kind == "workspace":
                c = self._clients[arg]
                for email in c.workspace.admins:
                    self._add_user(email, "User", t, never_active=c.never_accepts)
                self._log_workspace(c.workspace)
                self._refresh_waiting(c, t)
            elif kind == "cancel":
                self._module_on[arg] = False
                self._waiting.pop(arg, None)
            elif kind == "recontract":
                c = self._clients[arg]
                self._module_on[arg] = True
                # Support re-opens the client's access at once if a seat is free.
                if not self._holds_seat(c) and not c.never_accepts and self._has_free_seat():
                    self._set_active(c.workspace.admins[0], True, t)
                self._refresh_waiting(c, t)
            elif kind == "cleanup":
                self._cleanup(t)
            self._maybe_schedule_cleanup(t)
        self._sim_until = until

    def _log_workspace(self, ws: Workspace) -> None:
        self._ws_log.append(ws)
        self._ws_times.append(ws.created_at)

    def _add_user(self, email: str, role: str, t: datetime, *, force_active: bool = False,
                  never_active: bool = False) -> None:
        """Zoho's add-user: active if a seat is free, otherwise added inactive (no error)."""
        self._user_role[email] = role
        self._user_added.append((t, email))
        self._user_hist[email] = ([], [])
        active = force_active or (not never_active and self._has_free_seat())
        self._set_active(email, active, t)

    def _set_active(self, email: str, active: bool, t: datetime) -> None:
        times, values = self._user_hist[email]
        was = values[-1] if values else False
        if values and was == active:
            return
        times.append(t)
        values.append(active)
        self._seats_used += int(active) - int(was)

    def _has_free_seat(self) -> bool:
        return self._seats_used < self.seats_allocated

    def _current(self, email: str) -> bool:
        values = self._user_hist[email][1]
        return bool(values) and values[-1]

    def _holds_seat(self, c: Client) -> bool:
        return any(self._current(e) for e in c.workspace.admins)

    def _refresh_waiting(self, c: Client, t: datetime) -> None:
        """Track clients that pay but cannot log in for lack of a seat (they open tickets).

        Admins who never accepted the invitation open no ticket, so they do not count.
        """
        if self._module_on[c.n] and not c.never_accepts and not self._holds_seat(c):
            self._waiting.setdefault(c.n, t)
        else:
            self._waiting.pop(c.n, None)

    def _maybe_schedule_cleanup(self, t: datetime) -> None:
        if self._waiting and self._cleanup_at is None:
            when = at_utc(t.date() + timedelta(days=CLEANUP_DELAY_DAYS), CLEANUP_TIME)
            self._cleanup_at = when
            heapq.heappush(self._heap, (when, 3, 0, "cleanup", None))

    def _cleanup(self, t: datetime) -> None:
        """The support team's manual cleanup.

        They deactivate the admins of ~75% of the ex-clients that cancelled more than the grace
        period ago (each picked by its own RNG for this cleanup), then activate the admins of
        waiting paying clients, oldest first, while seats allow.
        """
        self._cleanup_at = None
        self._cleanups.append(t)
        grace = t - timedelta(days=CLEANUP_GRACE_DAYS)
        for c in self._clients:
            if (c.n in self._module_on and not self._module_on[c.n] and c.cancel_at is not None
                    and c.cancel_at <= grace and c.workspace.created_at < t
                    and self._holds_seat(c)):
                pick = random.Random(f"{self.seed}:cleanup:{t.date().isoformat()}:{c.n}")
                if pick.random() < CLEANUP_SHARE:
                    for email in c.workspace.admins:
                        self._set_active(email, False, t)
        for n, _since in sorted(self._waiting.items(), key=lambda kv: (kv[1], kv[0])):
            if not self._has_free_seat():
                break
            c = self._clients[n]
            self._set_active(c.workspace.admins[0], True, t)
            self._refresh_waiting(c, t)

    # ---------------------------------------------------------------------------------------------
    # Access log
    # ---------------------------------------------------------------------------------------------
    def _generate_month(self, month: date) -> None:
        """Append the logged accesses of one calendar month (UTC), in time order."""
        start, end = at_utc(month, time(0)), at_utc(_next_month(month), time(0))
        batch: list[tuple[datetime, str, str, AccessRow]] = []
        for c in self._clients:
            if c.workspace.created_at < end:
                batch += self._client_month(c, month)
        for k, sp in enumerate(self._specials):
            if sp.workspace.created_at < end and sp.visitors:
                batch += self._special_month(k, sp, month)
        batch = [b for b in batch if start <= b[0] < end]
        batch.sort(key=lambda b: (b[0], b[1], b[2]))
        s = self._stream
        for t, ws_id, email, row in batch:
            s.rows.append(row)
            s.times.append(t)
            ws = self._ws_by_id(ws_id)
            if email in ws.admins:
                s.admin_times.setdefault(ws_id, []).append(t)

    def _ws_by_id(self, ws_id: str) -> Workspace:
        num = int(ws_id)
        if num >= WS_ID_BASE + 1000:
            return self._clients[(num - WS_ID_BASE) // 1000 - 1].workspace
        return self._specials[(num - SPECIAL_ID_BASE) // 1000].workspace

    def _client_month(self, c: Client, month: date) -> list[tuple]:
        rng = random.Random(f"{self.seed}:access:{c.n}:{month.isoformat()}")
        ws = c.workspace
        out = []
        nxt = _next_month(month)
        # Only days on which an access is possible draw from the RNG, so walking just the
        # client's windows gives the same stream as walking every day.
        for lo, hi in c.access_windows():
            day, last = max(month, lo), min(nxt, hi) if hi is not None else nxt
            while day < last:
                paying = c.paying_on(day)
                rate = self._client_rate(c, day, paying)
                if day.weekday() >= 5:
                    rate *= 0.25
                if rate and rng.random() < rate:
                    for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
                        two = len(ws.admins) > 1 and rng.random() < 0.3
                        who = ws.admins[-1] if two else ws.admins[0]
                        out.append(self._access(rng, day, ws, who, c.ips, c.user_agent))
                if paying and rng.random() < SUPPORT_RATE:
                    out.append(self._access(rng, day, ws, SUPPORT_EMAIL, ("187.45.10.20",),
                                            USER_AGENTS[0]))
                day += timedelta(days=1)
        # An access only happens if the user holds an active seat at that instant.
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]

    @staticmethod
    def _client_rate(c: Client, day: date, paying: bool) -> float:
        """Chance that the client's admin opens the workspace on ``day`` (before weekends)."""
        if paying:
            if c.dormant_from is not None and day >= c.dormant_from:
                return 0.0
            rate = PROFILE_RATES[c.profile]
            if c.cancel_at is not None and c.recontract_at is None and \
                    c.cancel_at.date() - timedelta(days=30) <= day:
                rate *= 0.4  # interest fades in the month before cancelling
            return rate
        return 0.3 if c.peek_days else 0.0  # an ex-client peeking while the seat lasts

    def _special_month(self, k: int, sp: Special, month: date) -> list[tuple]:
        rng = random.Random(f"{self.seed}:access:special{k}:{month.isoformat()}")
        ws = sp.workspace
        out = []
        day, last = max(month, ws.created_at.date()), _next_month(month)
        while day < last:
            for email, rate in sp.visitors:
                if day.weekday() < 5 and rng.random() < rate:
                    out.append(self._access(rng, day, ws, email, ("187.45.10.20",),
                                            USER_AGENTS[0]))
            day += timedelta(days=1)
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]

    @staticmethod
    def _access(rng: random.Random, day: date, ws: Workspace, email: str,
                ips: tuple[str, ...], agent: str) -> tuple[datetime, str, str, AccessRow]:
        t = at_utc(day, _access_time(rng))
        _vid, view, vtype = rng.choice(ws.views) if ws.views else ("", "Dashboard", "Dashboard")
        row = AccessRow(accessed_at=t, accessed_by=email, workspace_name=ws.name, view_name=view,
                        view_type=vtype, ip_address=rng.choice(ips), user_agent=agent)
        return t, ws.workspace_id, email, row

    # ---------------------------------------------------------------------------------------------
    # Reading the simulated state at an instant
    # ---------------------------------------------------------------------------------------------
    def _active(self, email: str, at: datetime) -> bool:
        """Whether ``email`` is an active user at ``at`` (changes strictly before ``at`` count)."""
        hist = self._user_hist.get(email)
        if hist is None:
            return False
        i = bisect.bisect_left(hist[0], at) - 1
        return i >= 0 and hist[1][i]

    def _workspaces_at(self, at: datetime) -> list[Workspace]:
        return self._ws_log[:bisect.bisect_left(self._ws_times, at)]

    def _served_workspace(self, ws: Workspace, at: datetime) -> SimWorkspace:
        users = ((self.owner_email, "Account Admin", True),) + tuple(
            (shown, "Workspace Admin", self._active(email, at))
            for email, shown in zip(ws.admins, ws.admins_display))
        return SimWorkspace(workspace_id=ws.workspace_id, name=ws.name,
                            created_ms=_ms(ws.created_at), created_by=self.owner_email,
                            admins=ws.admin_list, users=users, views=ws.views, owned=True)

    def _last_admin_access(self, ws: Workspace, at: datetime) -> datetime | None:
        times = self._stream.admin_times.get(ws.workspace_id, [])
        i = bisect.bisect_left(times, at)
        return times[i - 1] if i else None


def _status(module_active: bool, seat_held: bool, idle_days: int, inactive_days: int) -> str:
    """The gold status of a client matched to a workspace."""
    if not module_active:
        return "seat_held_by_ex_client" if seat_held else "released"
    if not seat_held:
        return "paying_without_user"
    return "inactive" if idle_days > inactive_days else "active"


def main(argv: list[str] | None = None) -> int:
    """``python -m seatlib.sim.world --day 2026-11-29 [--seed 42] --truth|--summary``."""
    p = argparse.ArgumentParser(prog="python -m seatlib.sim.world",
                                description=__doc__.split("\n")[0])
    p.add_argument("--day", required=True, type=date.fromisoformat,
                   help="snapshot date, YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--seats", type=int, default=70, help="seats allocated")
    p.add_argument("--inactive-days", type=int, default=30)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--truth", action="store_true", help="print the expected gold as JSON")
    mode.add_argument("--summary", action="store_true", help="print a short summary (default)")
    args = p.parse_args(argv)
    world = World(args.seed, seats_allocated=args.seats)
    if args.truth:
        json.dump(world.truth(args.day, args.inactive_days), sys.stdout, ensure_ascii=False,
                  indent=1)
        sys.stdout.write("\n")
    else:
        print(world.summary(args.day, args.inactive_days))
    return 0


if __name__ == "__main__":
    sys.exit(main())