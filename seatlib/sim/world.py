"""A deterministic demo world: a SaaS company reselling Zoho Analytics (white label) over time.

The world answers three questions for any date, always the same way for the same seed:

* :meth:`World.zoho_state` - what Zoho Analytics shows at the start (00:00 UTC) of that day (workspaces, their
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
  and then filtered by the simulated seat state (an inactive user cannot open a dashboard)
  (:mod:`seatlib.sim.accesses`).
* **Hard cases** (``hard_cases=True``, :mod:`seatlib.sim.hard_cases`): consultants shared by
  several clients, renamed workspaces, second workspaces, public visitors, a user under two
  domains, a future access time, a 20-digit client id; each from an RNG stream of its own.
* **Truth** (:mod:`seatlib.sim.truth`): the world hands the oracle its facts (:meth:`World.facts`).

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
from typing import Sequence

from .accesses import AccessLog, next_month
from .hard_cases import AGENCIES, HOLDING, TWO_DOMAINS, HardCases
from .population import (
    ACCESS_TIME_FORMAT, AUDIT_START, AUDIT_WORKSPACE, CLEANUP_DELAY_DAYS, CLEANUP_GRACE_DAYS,
    CLEANUP_SHARE, CLEANUP_TIME, ORG_ID, ORG_NAME, ORIGIN, OTHER_ORG_ID, OWNER_EMAIL,
    PARTNER_ORG_ID, PORTAL_DOMAIN, RUN_TIME, SUPPORT_EMAIL, Client, Population, Workspace, at_utc,
)
from .protocol import STANDARD_DOMAIN
from .state import AccessRow, SimUser, SimWorkspace, ZohoState
from .truth import Facts, UserFact, WorkspaceFact, truth_by_user
from .users import Change, facts_with_changes

__all__ = ["AUDIT_START", "ORIGIN", "World", "main"]


# --- Small helpers --------------------------------------------------------------------------------
def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class World:
    """The demo world for one seed.

    Args:
        seed: every fact of the world derives from it.
        seats_allocated: Zoho user seats of the plan (Enterprise 50 + 20 add-on).
        hard_cases: the world of issue 20 (:mod:`seatlib.sim.hard_cases`: consultants, renames,
            second workspaces, public visitors, a user under two domains, a future access time,
            a 20-digit client id) and its truth by user (docs/seats.md). Off, the world and its
            truth are those of before, byte for byte, for the pipeline that does not follow
            docs/seats.md yet.
    """

    def __init__(self, seed: int = 42, *, seats_allocated: int = 70, hard_cases: bool = False):
        self.seed = seed
        self.seats_allocated = seats_allocated
        self.hard_cases = hard_cases
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
        self._specials = Population.specials() + ([HOLDING] if hard_cases else [])

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
        self._hard = (HardCases(seed, self._clients, self._active, self._access, self._admins)
                      if hard_cases else None)
        self._listings: list[tuple[datetime, str, str]] = []  # second listings: (t, email, domain)

        staff_added = at_utc(ORIGIN - timedelta(days=30), time(12))
        self._add_user(OWNER_EMAIL, "Organization Admin", staff_added, force_active=True)
        self._add_user(SUPPORT_EMAIL, "User", staff_added, force_active=True)
        for k, sp in enumerate(self._specials):
            heapq.heappush(self._heap, (sp.workspace.created_at, 2, -1 - k, "special", k))
        if self._hard is not None:
            for k, agency in enumerate(AGENCIES):
                heapq.heappush(self._heap, (at_utc(agency.joined, time(12)), 2, -100 - k,
                                            "agency", k))
            heapq.heappush(self._heap, (at_utc(TWO_DOMAINS[1], time(12)), 2, -200, "listing",
                                        TWO_DOMAINS[0]))

    # ---------------------------------------------------------------------------------------------
    # Public API
    # ---------------------------------------------------------------------------------------------
    def as_of(self, day: date) -> datetime:
        """The instant a run for ``day`` sees: ``day`` at 00:00:00 UTC (:data:`RUN_TIME`)."""
        return at_utc(day, RUN_TIME)

    def zoho_state(self, day: date) -> ZohoState:
        """What Zoho Analytics serves at :meth:`as_of` ``(day)``.

        The access log holds every logged access with ``AUDIT_START <= accessed_at < as_of``.
        """
        at = self.as_of(day)
        self._ensure(day)
        workspaces = tuple(self._served_workspace(ws, at) for ws in self._workspaces_at(at))
        users = tuple(SimUser(email=e, active=self._active(e, at), role=self._user_role[e],
                              domain=domain) for e, domain in self._listings_at(at))
        log = self._access.rows_before(at)
        if self._hard is not None:  # clock errors last: a SELECT does not rely on the order
            log += tuple(row for _ws, row in self._hard.future_before(at))
        return ZohoState(
            org_id=self.org_id, org_name=self.org_name, as_of=at, owner_email=self.owner_email,
            workspaces=self._foreign_workspaces() + workspaces, users=users,
            seats_allocated=self.seats_allocated, access_log=log,
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

    def truth(self, day: date, inactive_days: int = 30, *,
              staff_emails: tuple[str, ...] | None = None,
              staff_domains: tuple[str, ...] | None = None,
              changes: Sequence[Change] = ()) -> dict:
        """The gold the pipeline must produce for ``day``, from the world's own facts.

        Args:
            day: the snapshot date.
            inactive_days: a paying client with a seat is "inactive" when idle for more days.
            staff_emails, staff_domains: the reseller's own people, as ``[reclaim]`` lists them
                for gold; None: the world's own (the owner and the support address).
            changes: user changes made through the simulator's API up to ``day`` (the demo's
                reclaims), laid over the facts as :func:`seatlib.sim.users.apply_changes` lays
                them over the state served.

        Returns:
            :func:`seatlib.sim.truth.truth_by_user` of :meth:`facts` (docs/seats.md), with or
            without the hard cases in the world.
        """
        return truth_by_user(facts_with_changes(self.facts(day), list(changes)), inactive_days,
                             staff_emails=staff_emails, staff_domains=staff_domains)

    def facts(self, day: date) -> Facts:
        """What the world knows at :meth:`as_of` ``(day)``, for the truth oracles: workspaces by
        id with today's name and their admins' latest access, users once each with their
        domains, the company's module clients, the served log rows a pipeline leaves out."""
        at = self.as_of(day)
        self._ensure(day)
        workspaces = tuple(
            WorkspaceFact(workspace_id=ws.workspace_id, name=self._name_at(ws, at),
                          created_at=ws.created_at, admins=tuple(sorted(set(self._admins(ws)))),
                          last_admin_access=self._access.last_admin_access(ws.workspace_id, at))
            for ws in self._workspaces_at(at) if ws.name != AUDIT_WORKSPACE)
        domains: dict[str, set[str]] = {}
        for email, domain in self._listings_at(at):
            domains.setdefault(email, set()).add(domain or STANDARD_DOMAIN)
        users = tuple(UserFact(email=e, active=self._active(e, at), role=self._user_role[e],
                               domains=tuple(sorted(d))) for e, d in domains.items())
        module = {c.client_id: c.module_active(at) for c in self._clients if c.contract_at < at}
        future = self._hard.future_before(at) if self._hard is not None else []
        return Facts(day=day, as_of=at, seats_allocated=self.seats_allocated,
                     workspaces=workspaces, users=users, module=module,
                     staff=frozenset({self.owner_email, self.support_email}),
                     workspace_owners=frozenset({self.owner_email}),
                     access_future=sum(1 for _ws, row in future if row.accessed_at > at),
                     access_without_address=self._access.without_address_before(at))

    def cleanups_before(self, day: date) -> list[datetime]:
        """When the support team ran its manual cleanups, up to :meth:`as_of` ``(day)``.

        Handy to narrate the demo (seats drop right after each cleanup).
        """
        at = self.as_of(day)
        self._ensure(day)
        return [t for t in self._cleanups if t < at]

    def clock_errors_before(self, day: date) -> list[AccessRow]:
        """The Access Log rows logged with a wrong time (a year ahead), up to :meth:`as_of`
        ``(day)``: a pipeline leaves them out while they are in the future, the truth always."""
        self._ensure(day)
        return [] if self._hard is None else [r for _ws, r in
                                              self._hard.future_before(self.as_of(day))]

    def summary(self, day: date, inactive_days: int = 30) -> str:
        """A short human summary of :meth:`truth` for ``day``."""
        # Imported here: contracts pulls in pandas, which the simulator itself does not need.
        from ..core.contracts import STATUSES

        t = self.truth(day, inactive_days)
        counts = Counter(r["status"] for r in t["clients"])
        cap = t["capacity"]
        n_ws = sum(1 for r in t["clients"] if r["workspace_id"] is not None)
        lines = [f"seat-monitor demo world, seed {self.seed}, as of {self.as_of(day).isoformat()}",
                 f"gold rows: {len(t['clients'])} ({n_ws} workspaces, audit excluded)"]
        lines += [f"  {s:<24}{counts.get(s, 0):>5}" for s in STATUSES]
        lines.append(f"seats: {cap['seats_used']}/{cap['seats_allocated']} used, "
                     f"{cap['seats_free']} free")
        lines += [f"  {k:<32}{v!s:>4}" for k, v in cap.items()
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
            if self._hard is not None:
                second_at = self._hard.plan(c).second_at
                if second_at is not None:
                    heapq.heappush(self._heap, (second_at, 2, c.n, "second", c.n))

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
        log, hard = self._access, self._hard
        while log.done_until < end:
            month = log.done_until
            if hard is None:
                log.append(month, log.month_batch(month))
                continue
            log.append(month, hard.month(month, log.month_batch(month)),
                       lambda ws_id, t: hard.name_at(self._ws_by_id[ws_id], t))
            hard.clock_errors(month)

    def _run_until(self, until: datetime) -> None:
        self._ensure_clients(until)
        while self._heap and self._heap[0][0] < until:
            t, _, _, kind, arg = heapq.heappop(self._heap)
            getattr(self, "_on_" + kind)(t, arg)
            self._maybe_schedule_cleanup(t)
        self._sim_until = until

    # -- the events, by kind ------------------------------------------------------------------
    def _on_special(self, t: datetime, k: int) -> None:
        sp = self._specials[k]
        for email in sp.new_users:
            self._add_user(email, "User", t)
        self._log_workspace(sp.workspace)

    def _on_contract(self, t: datetime, n: int) -> None:
        self._module_on[n] = True

    def _on_workspace(self, t: datetime, n: int) -> None:
        c = self._clients[n]
        for email in c.workspace.admins:
            self._add_user(email, "User", t, never_active=c.never_accepts)
        self._log_workspace(c.workspace)
        self._refresh_waiting(c, t)
        for email in self._admins(c.workspace)[len(c.workspace.admins):]:
            # Support sets the client's consultant up with it (a seat permitting).
            if not self._current(email) and self._has_free_seat():
                self._set_active(email, True, t)

    def _on_cancel(self, t: datetime, n: int) -> None:
        self._module_on[n] = False
        self._waiting.pop(n, None)

    def _on_recontract(self, t: datetime, n: int) -> None:
        c = self._clients[n]
        self._module_on[n] = True
        # Support re-opens the client's access at once if a seat is free.
        if not self._holds_seat(c) and not c.never_accepts and self._has_free_seat():
            self._set_active(c.workspace.admins[0], True, t)
        self._refresh_waiting(c, t)

    def _on_cleanup(self, t: datetime, _arg: None) -> None:
        self._cleanup(t)

    def _on_agency(self, t: datetime, k: int) -> None:
        self._add_user(AGENCIES[k].email, "User", t)

    def _on_listing(self, t: datetime, email: str) -> None:
        """The owner invites a portal user to the standard domain too: two listings, one user."""
        self._listings.append((t, email, ""))

    def _on_second(self, t: datetime, n: int) -> None:
        """A paying client's second workspace; its admin, if any, never accepts."""
        if not self._module_on[n]:
            return
        ws = self._hard.second_workspace(self._clients[n])
        for email in ws.admins:
            self._add_user(email, "User", t, never_active=True)
        self._log_workspace(ws)

    def _log_workspace(self, ws: Workspace) -> None:
        self._ws_log.append(ws)
        self._ws_times.append(ws.created_at)
        self._ws_by_id[ws.workspace_id] = ws

    def _admins(self, ws: Workspace) -> tuple[str, ...]:
        """The workspace's admins (lower case), as the truth knows them: its own, then its
        consultant's."""
        if self._hard is None:
            return ws.admins
        return ws.admins + self._hard.extra_admins(ws.workspace_id)

    def _serves_a_payer(self, email: str) -> bool:
        """Whether a consultant administers the workspace of a client paying now (the support
        team checks before it deactivates anyone)."""
        return any(self._module_on[n] and self._clients[n].workspace.workspace_id in self._ws_by_id
                   for n in self._hard.served.get(email, ()))

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
                    for email in self._admins(c.workspace):
                        if email in c.workspace.admins or not self._serves_a_payer(email):
                            self._set_active(email, False, t)
        for n, _since in sorted(self._waiting.items(), key=lambda kv: (kv[1], kv[0])):
            if not self._has_free_seat():
                break
            c = self._clients[n]
            self._set_active(c.workspace.admins[0], True, t)
            self._refresh_waiting(c, t)
        for agency in AGENCIES if self._hard is not None else ():
            # A consultant serving a paying client again gets its seat back, seats permitting.
            if (agency.email in self._user_hist and not self._current(agency.email)
                    and self._serves_a_payer(agency.email) and self._has_free_seat()):
                self._set_active(agency.email, True, t)

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

    def _name_at(self, ws: Workspace, at: datetime) -> str:
        return ws.name if self._hard is None else self._hard.name_at(ws, at)

    def _listings_at(self, at: datetime) -> list[tuple[str, str]]:
        """``GET /users``'s listings at ``at``: (email, domain; "" = the standard domain), in the
        order added; a user invited under a second domain is listed twice."""
        staff = (self.owner_email, self.support_email)
        listed = [(t, e, "" if e in staff else PORTAL_DOMAIN)
                  for t, e in self._user_added if t < at]
        if self._listings:
            listed = sorted(listed + [x for x in self._listings if x[0] < at], key=lambda x: x[0])
        return [(e, domain) for _t, e, domain in listed]

    def _served_workspace(self, ws: Workspace, at: datetime) -> SimWorkspace:
        admins = self._admins(ws)
        shown = ws.admins_display + admins[len(ws.admins):]
        users = ((self.owner_email, "Account Admin", True),) + tuple(
            (display, "Workspace Admin", self._active(email, at))
            for email, display in zip(admins, shown))
        return SimWorkspace(workspace_id=ws.workspace_id, name=self._name_at(ws, at),
                            created_ms=_ms(ws.created_at), created_by=self.owner_email,
                            admins=() if ws.admin_list_empty else shown, users=users,
                            views=ws.views, owned=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m seatlib.sim.world --day 2026-11-29 [--seed 42] [--hard-cases] --truth``."""
    p = argparse.ArgumentParser(prog="python -m seatlib.sim.world",
                                description=__doc__.split("\n")[0])
    p.add_argument("--day", required=True, type=date.fromisoformat,
                   help="snapshot date, YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--seats", type=int, default=70, help="seats allocated")
    p.add_argument("--inactive-days", type=int, default=30)
    p.add_argument("--hard-cases", action="store_true",
                   help="the world of issue 20 and its truth by user (docs/seats.md)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--truth", action="store_true", help="print the expected gold as JSON")
    mode.add_argument("--summary", action="store_true", help="print a short summary (default)")
    args = p.parse_args(argv)
    world = World(args.seed, seats_allocated=args.seats, hard_cases=args.hard_cases)
    if args.truth:
        json.dump(world.truth(args.day, args.inactive_days), sys.stdout, ensure_ascii=False,
                  indent=1)
        sys.stdout.write("\n")
    else:
        print(world.summary(args.day, args.inactive_days))
    return 0


if __name__ == "__main__":
    sys.exit(main())