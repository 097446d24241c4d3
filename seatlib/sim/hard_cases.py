"""The hard cases of the demo world (issue 20), on with ``World(seed, hard_cases=True)``.

What a real organisation does that the plain world never did, each case drawn from an RNG
stream of its own (``random.Random(f"{seed}:hard:...")``), so the clients' own streams are the
same with the cases on or off:

* **Consultants** (:data:`AGENCIES`): an agency's user co-administers the workspaces of several
  clients (some pay, most cancel in time), so it serves a paying client and an ex-client at
  once. The support team's cleanup leaves it active while it serves a paying client
  (:meth:`seatlib.sim.world.World._cleanup`) and re-activates it when it gets one again.
* **Renames**: a client's workspace renamed ("1234 - ACME" -> "1234 - ACME Ltda"), same id,
  a few a month. The Access Log keeps the name borne at each access.
* **Second workspaces**: "1234 - ACME (Filial)", created after the first while the client pays,
  with no admin at all or with a new admin who never accepts (an inactive user).
* **Public visitors**: Access Log rows with an empty "Accessed By" in the workspaces of the
  clients that publish a dashboard.
* **A user under two domains**: one consultant is also listed with the standard domain.
* **A future time**: once a year an Access Log row stamped a year ahead (a clock error on
  Zoho's side) for the admin of an inactive paying client.
* **A 20-digit client id**: the workspace "12345678901234567890 - Holding Grande" (:data:`HOLDING`).

Renames and what a pipeline can know
------------------------------------
The Access Log names workspaces, not ids; a pipeline ties a row under an old name to the
workspace only when its lake saw that name (docs/seats.md, *Renamed workspaces*, rules 4-5),
while the truth knows every access by id. A workspace is therefore only renamed when its
admins' latest access is more than :data:`RENAME_QUIET_DAYS` (90) old (and it had one): the
latest access may stay under the old name for ever after, but a pipeline that cannot tie it
(the old name was last borne before its lake's first day) finds the workspace idle since its
creation, longer still, and both readings say "more than ``inactive_days`` idle" for any
``inactive_days`` up to 90. The statuses agree on any lake; ``last_access_at`` differs only
where the lake never saw the old name. Accesses after a rename are logged under the new name.

The future row of a clock error is picked among clients that have cancelled, for good, before
its time comes: when it stops being in the future a pipeline cannot tell it from a real access,
but by then no status depends on the client's last access.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable

from .accesses import Access, AccessLog, access, next_month
from .population import (RUN_TIME, SPECIAL_ID_BASE, USER_AGENTS, Client, Special, Workspace,
                         at_utc)
from .state import AccessRow


@dataclass(frozen=True)
class Agency:
    """A consultancy whose one user co-administers some clients' workspaces."""

    email: str
    joined: date  # its user is added that day (seats are free so early)
    ips: tuple[str, ...]


AGENCIES = (
    Agency("consultoria@bizinsight.com.br", date(2023, 12, 11), ("200.178.33.12",)),
    Agency("bi@dadosconsultoria.com.br", date(2024, 1, 8), ("189.44.120.7", "189.44.120.8")),
)
CONSULTANT_PROB = 0.16  # a client's workspace is co-administered by an agency
CONSULTANT_VISIT_RATE = 0.15  # weekday chance a consultant opens a paying client's workspace
SECOND_WORKSPACE_PROB = 0.08
PUBLIC_PROB = 0.06  # the client publishes a dashboard (visitors log an empty "Accessed By")
PUBLIC_RATE = 0.4  # weekday chance of public views while the client pays
RENAMES_PER_MONTH = (1, 3)
RENAME_QUIET_DAYS = 90
#: One consultant is also listed with the standard domain from this day on.
TWO_DOMAINS = (AGENCIES[0].email, date(2024, 6, 10))
#: Clock errors: the first day one is logged, then one a year; each row is stamped a year ahead.
CLOCK_ERROR_FIRST = date(2024, 9, 2)
CLOCK_ERROR_EVERY = timedelta(days=365)
CLOCK_ERROR_AHEAD = timedelta(days=365, hours=3)
CLOCK_ERROR_IDLE_DAYS = 45  # the client's admins have not opened its workspace for longer
HOLDING_ADMIN = "ti@holdinggrande.com.br"
HOLDING = Special(
    Workspace(workspace_id=str(SPECIAL_ID_BASE + 6 * 1000),
              name="12345678901234567890 - Holding Grande",
              created_at=at_utc(date(2024, 2, 5), time(13, 30)), admins=(HOLDING_ADMIN,),
              admins_display=(HOLDING_ADMIN,), admin_list_empty=False,
              views=((str(SPECIAL_ID_BASE + 6 * 1000 + 1), "Painel do Grupo", "Dashboard"),)),
    new_users=(HOLDING_ADMIN,), visitors=((HOLDING_ADMIN, 0.1),))
_LEGAL_SUFFIXES = ((" Ltda", " S.A."), (" ME", " Ltda"), (" EIRELI", " Ltda"),
                   (" & Filhos", " & Filhos Ltda"))


@dataclass(frozen=True)
class ClientPlan:
    """What the hard cases do to one client (drawn once, from the client's own hard stream)."""

    consultant: str | None
    second_at: datetime | None  # its second workspace, if it still pays then
    second_admin: str | None  # that workspace's only admin (never accepts), or none at all
    public: bool


def renamed(name: str) -> str:
    """The name after a change of legal name: "ACME" -> "ACME Ltda", "ACME Ltda" -> "ACME S.A."."""
    for old, new in _LEGAL_SUFFIXES:
        if name.endswith(old):
            return name[:-len(old)] + new
    return name + " Ltda"


def clock_error_days(until: date) -> list[date]:
    """The days a clock error is logged, up to ``until``."""
    out, day = [], CLOCK_ERROR_FIRST
    while day <= until:
        out.append(day)
        day += CLOCK_ERROR_EVERY
    return out


class HardCases:
    """The hard cases' plans and the facts they add to the world.

    Handed what it needs of the world (one way: the world calls it, it never changes seats):

    Args:
        seed: the world's seed.
        clients: the world's clients (its own list, growing).
        active: whether a user is active at an instant.
        access_log: the world's Access Log.
        admins: a workspace's admins as the world knows them.
    """

    def __init__(self, seed: int, clients: list[Client], active: Callable[[str, datetime], bool],
                 access_log: AccessLog, admins: Callable[[Workspace], tuple[str, ...]]):
        self.seed = seed
        self._clients = clients
        self._active = active
        self._log = access_log
        self._admins = admins
        self.plans: dict[int, ClientPlan] = {}
        self.served: dict[str, list[int]] = {a.email: [] for a in AGENCIES}  # agency -> clients
        self._extra_admins: dict[str, tuple[str, ...]] = {}  # workspace id -> co-admins
        self.renames: dict[str, tuple[datetime, str]] = {}  # workspace id -> (when, new name)
        self.future_rows: list[tuple[datetime, str, AccessRow]] = []  # (logged, ws id, row)
        self._clock_due: date | None = None  # a clock error waiting for an idle paying client

    # -- plans ----------------------------------------------------------------------------
    def plan(self, c: Client) -> ClientPlan:
        """Client ``c``'s plan (every draw made whatever the outcome, so the stream is stable)."""
        rng = random.Random(f"{self.seed}:hard:client:{c.n}")
        consult, agency = rng.random() < CONSULTANT_PROB, rng.choice(AGENCIES)
        second, delay = rng.random() < SECOND_WORKSPACE_PROB, rng.randint(20, 150)
        hour, empty, public = rng.randrange(11, 21), rng.random() < 0.5, rng.random() < PUBLIC_PROB
        created = c.workspace.created_at
        consultant = agency.email if consult and agency.joined < created.date() else None
        second_at = (at_utc(created.date() + timedelta(days=delay), time(hour, 10))
                     if second else None)
        domain = c.workspace.admins[0].split("@", 1)[1]
        plan = ClientPlan(consultant, second_at, None if empty else f"filial@{domain}", public)
        self.plans[c.n] = plan
        if consultant is not None:
            self.served[consultant].append(c.n)
            self._extra_admins[c.workspace.workspace_id] = (consultant,)
        return plan

    def extra_admins(self, ws_id: str) -> tuple[str, ...]:
        """The co-admins (consultants) of a workspace, after its own admins."""
        return self._extra_admins.get(ws_id, ())

    def second_workspace(self, c: Client) -> Workspace:
        """Client ``c``'s second workspace (its plan has one)."""
        plan = self.plans[c.n]
        ws_id = int(c.workspace.workspace_id) + 500
        admins = (plan.second_admin,) if plan.second_admin else ()
        views = tuple((str(ws_id + 1 + k), name, vtype)
                      for k, (_vid, name, vtype) in enumerate(c.workspace.views[:2]))
        return Workspace(workspace_id=str(ws_id), name=f"{c.client_id} - {c.name} (Filial)",
                         created_at=plan.second_at, admins=admins, admins_display=admins,
                         admin_list_empty=False, views=views, client_n=c.n)

    def name_at(self, ws: Workspace, at: datetime) -> str:
        """The name ``ws`` bears at ``at``."""
        rename = self.renames.get(ws.workspace_id)
        return rename[1] if rename is not None and at >= rename[0] else ws.name

    # -- the Access Log -------------------------------------------------------------------
    def month(self, month: date, batch: list[Access]) -> list[Access]:
        """``batch`` (the month's accesses) with the consultants' and public visitors' ones; the
        month's renames decided (from the accesses before each)."""
        end = at_utc(next_month(month), time(0))
        started = [c for c in self._clients if c.workspace.created_at < end]
        extra: list[Access] = []
        for k, agency in enumerate(AGENCIES):
            extra += self._consultant_month(k, agency, month, started)
        for c in started:
            if self.plans[c.n].public:
                extra += self._public_month(c, month)
        batch = batch + extra
        self._renames_in(month, batch, started)
        return batch

    def _consultant_month(self, k: int, agency: Agency, month: date,
                          started: list[Client]) -> list[Access]:
        rng = random.Random(f"{self.seed}:hard:consultant:{k}:{month.isoformat()}")
        mine = [c for c in started if self.plans[c.n].consultant == agency.email]
        out = []
        day = month
        while day < next_month(month):
            for c in mine:
                visit = rng.random() < CONSULTANT_VISIT_RATE * (0.2 if day.weekday() >= 5 else 1)
                if visit and c.paying_on(day):
                    a = access(rng, day, c.workspace, agency.email, agency.ips, USER_AGENTS[1])
                    if a[0] >= c.workspace.created_at and self._active(agency.email, a[0]):
                        out.append(a)
            day += timedelta(days=1)
        return out

    def _public_month(self, c: Client, month: date) -> list[Access]:
        rng = random.Random(f"{self.seed}:hard:public:{c.n}:{month.isoformat()}")
        out = []
        day = month
        while day < next_month(month):
            views = rng.random() < PUBLIC_RATE * (0.5 if day.weekday() >= 5 else 1)
            ip = f"{rng.randint(100, 200)}.{rng.randint(1, 254)}.{rng.randint(0, 254)}.9"
            if views and c.paying_on(day):
                out.append(access(rng, day, c.workspace, "", (ip,), rng.choice(USER_AGENTS)))
            day += timedelta(days=1)
        return [a for a in out if a[0] >= c.workspace.created_at]

    def _renames_in(self, month: date, batch: list[Access], started: list[Client]) -> None:
        """A few quiet workspaces renamed in ``month`` (see the module's docstring)."""
        rng = random.Random(f"{self.seed}:hard:rename:{month.isoformat()}")
        days = (next_month(month) - month).days
        opened: dict[str, list[datetime]] = {}  # workspace id -> its admins' accesses this month
        by_id = {c.workspace.workspace_id: c.workspace for c in started}
        for t, ws_id, email, _row in batch:
            if ws_id in by_id and email and email in self._admins(by_id[ws_id]):
                opened.setdefault(ws_id, []).append(t)
        for _ in range(rng.randint(*RENAMES_PER_MONTH)):
            at = at_utc(month + timedelta(days=rng.randrange(days)),
                        time(rng.randrange(12, 20), rng.randrange(60)))
            quiet = [c.workspace for c in started
                     if self._quiet(c.workspace, at, opened.get(c.workspace.workspace_id, []))]
            if quiet:
                ws = quiet[rng.randrange(len(quiet))]
                self.renames[ws.workspace_id] = (at, renamed(ws.name))

    def _quiet(self, ws: Workspace, at: datetime, this_month: list[datetime]) -> bool:
        """Not renamed yet, opened by an admin once, not for :data:`RENAME_QUIET_DAYS`."""
        if ws.workspace_id in self.renames or ws.created_at >= at:
            return False
        if any(t < at for t in this_month):
            return False  # opened this month: not quiet
        last = self._log.last_admin_access(ws.workspace_id, at)
        return last is not None and last < at - timedelta(days=RENAME_QUIET_DAYS)

    # -- clock errors ---------------------------------------------------------------------
    def clock_errors(self, month: date) -> None:
        """Log the clock errors of ``month`` (its accesses are logged already).

        A clock error due on a day strikes the admin of an idle paying client: on that day, or
        on the first day after it that has one (it waits, across months, until one comes).
        """
        due = set(clock_error_days(next_month(month) - timedelta(days=1)))
        day = month
        while day < next_month(month):
            if day in due:
                self._clock_due = day
            if self._clock_due is not None and self._clock_error(day):
                self._clock_due = None
            day += timedelta(days=1)

    def _clock_error(self, day: date) -> bool:
        """Log a clock error on ``day`` if an idle paying client has an admin to strike."""
        run = at_utc(day, RUN_TIME)  # the row is first served to the run of ``day``
        logged, stamp = run - timedelta(hours=3), run + CLOCK_ERROR_AHEAD
        pick = [c for c in self._clients if self._idle_payer(c, logged, stamp)]
        if not pick:
            return False
        c = random.Random(f"{self.seed}:hard:clock:{day.isoformat()}").choice(pick)
        ws = c.workspace
        row = AccessRow(accessed_at=stamp, accessed_by=ws.admins[0],
                        workspace_name=self.name_at(ws, logged), view_name=ws.views[0][1],
                        view_type=ws.views[0][2], ip_address=c.ips[0], user_agent=c.user_agent)
        self.future_rows.append((logged, ws.workspace_id, row))
        return True

    def _idle_payer(self, c: Client, at: datetime, stamp: datetime) -> bool:
        """Pays and holds a seat at ``at``, idle for long, and gone for good before ``stamp``."""
        if c.cancel_at is None or c.recontract_at is not None or c.cancel_at >= stamp:
            return False
        if not c.module_active(at) or not self._active(c.workspace.admins[0], at):
            return False
        idle_since = (self._log.last_admin_access(c.workspace.workspace_id, at)
                      or c.workspace.created_at)
        return idle_since < at - timedelta(days=CLOCK_ERROR_IDLE_DAYS)

    def future_before(self, at: datetime) -> list[tuple[str, AccessRow]]:
        """The clock errors logged before ``at``: (workspace id, row)."""
        return [(ws_id, row) for logged, ws_id, row in self.future_rows if logged < at]
