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
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta

from .accesses import AccessLog, next_month
from .population import (ACCESS_TIME_FORMAT, AUDIT_START, AUDIT_WORKSPACE, CLEANUP_DELAY_DAYS,
                         CLEANUP_GRACE_DAYS, CLEANUP_SHARE, CLEANUP_TIME, ORG_ID, ORG_NAME, ORIGIN,
                         OTHER_ORG_ID, OWNER_EMAIL, PARTNER_ORG_ID, PORTAL_DOMAIN, RUN_TIME,
                         SUPPORT_EMAIL, Client, Population, Workspace, at_utc)
from .state import SimUser, SimWorkspace, ZohoState
from .truth import Facts, UserFact, WorkspaceFact, truth_by_workspace

__all__ = ["AUDIT_START", "ORIGIN", "World", "main"]


# --- Small helpers --------------------------------------------------------------------------------
def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


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
        self._ws_by_id: dict[str, Workspace] = {}
        self._access = AccessLog(seed, self._clients, self._specials, self._active,
                                 self._ws_by_id.__getitem__, self._admins)

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
        return ZohoState(
            org_id=self.org_id, org_name=self.org_name, as_of=at, owner_email=self.owner_email,
            workspaces=self._foreign_workspaces() + workspaces, users=users,
            seats_allocated=self.seats_allocated, access_log=self._access.rows_before(at),
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
            :func:`seatlib.sim.truth.truth_by_workspace` of :meth:`facts`: one row per
            workspace and per module client without one, and the capacity.
        """
        return truth_by_workspace(self.facts(day), inactive_days)

    def facts(self, day: date) -> Facts:
        """What the world knows at :meth:`as_of` ``(day)``, for the truth oracles: workspaces by
        id with their admins' latest access, users, the company's module clients."""
        at = self.as_of(day)
        self._ensure(day)
        workspaces = tuple(
            WorkspaceFact(workspace_id=ws.workspace_id, name=ws.name, created_at=ws.created_at,
                          admins=tuple(sorted(set(self._admins(ws)))),
                          last_admin_access=self._access.last_admin_access(ws.workspace_id, at))
            for ws in self._workspaces_at(at) if ws.name != AUDIT_WORKSPACE)
        users = tuple(UserFact(email=e, active=self._active(e, at), role=self._user_role[e])
                      for t, e in self._user_added if t < at)
        module = {c.client_id: c.module_active(at) for c in self._clients if c.contract_at < at}
        return Facts(day=day, as_of=at, seats_allocated=self.seats_allocated,
                     workspaces=workspaces, users=users, module=module,
                     staff=frozenset({self.owner_email, self.support_email}),
                     workspace_owners=frozenset({self.owner_email}))

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
        end = next_month(day)
        if self._sim_until < at_utc(end, time(0)):
            self._run_until(at_utc(end, time(0)))
        log = self._access
        while log.done_until < end:
            month = log.done_until
            log.append(month, log.month_batch(month))

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
        self._ws_by_id[ws.workspace_id] = ws

    def _admins(self, ws: Workspace) -> tuple[str, ...]:
        """The workspace's admins (lower case), as the truth knows them."""
        return ws.admins

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