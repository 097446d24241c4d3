"""The demo world's audit Access Log: who opened which workspace when, generated month by month.

Accesses are drawn per (entity, calendar month) with ``random.Random(f"{seed}:access:...")`` and
then filtered by the simulated seat state (an inactive user cannot open a dashboard). The log
does not simulate seats itself: :class:`AccessLog` is handed what it needs to know of them by
:class:`seatlib.sim.world.World` (whether a user is active, a workspace by id, a workspace's
admins), so it depends on nothing above it.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable

from .population import (
    AUDIT_START, PROFILE_RATES, SUPPORT_EMAIL, SUPPORT_RATE, USER_AGENTS, Client, Special,
    Workspace, at_utc,
)
from .state import AccessRow

#: One generated access: (when, workspace id, who, the logged row).
Access = tuple[datetime, str, str, AccessRow]


def access_time(rng: random.Random) -> time:
    """When a Brazilian user opens a dashboard, in UTC: mostly office hours, some evenings."""
    r = rng.random()
    if r < 0.85:
        secs = rng.randrange(11 * 3600, 22 * 3600)
    elif r < 0.95:
        secs = rng.randrange(22 * 3600, 24 * 3600)
    else:  # late evening in Brazil is after midnight UTC: seen by the next day's run
        secs = rng.randrange(0, 3 * 3600)
    return time(secs // 3600, secs % 3600 // 60, secs % 60)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def access(rng: random.Random, day: date, ws: Workspace, email: str,
           ips: tuple[str, ...], agent: str) -> Access:
    """One access to ``ws`` by ``email`` on ``day``, logged under the workspace's first name
    (:meth:`AccessLog.append` gives it the name it bore at that instant)."""
    t = at_utc(day, access_time(rng))
    _vid, view, vtype = rng.choice(ws.views) if ws.views else ("", "Dashboard", "Dashboard")
    row = AccessRow(accessed_at=t, accessed_by=email, workspace_name=ws.name, view_name=view,
                    view_type=vtype, ip_address=rng.choice(ips), user_agent=agent)
    return t, ws.workspace_id, email, row


@dataclass
class _Stream:
    """The logged accesses, in time order, plus per-workspace admin access times for the truth."""

    rows: list[AccessRow] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    admin_times: dict[str, list[datetime]] = field(default_factory=dict)  # workspace_id -> times
    #: logged workspace names with rows of no address (public visitors) -> the first such row
    no_address: dict[str, datetime] = field(default_factory=dict)
    done_until: date = AUDIT_START  # first day of the first month not generated yet


class AccessLog:
    """The accesses the Access Log holds, generated a calendar month (UTC) at a time.

    Args:
        seed: the world's seed.
        clients: the world's clients (the world's own list: it grows as clients arrive).
        specials: the special workspaces and their visitors.
        active: whether a user is active at an instant.
        workspace: a workspace by id.
        admins: a workspace's admins (lower case) as the truth knows them.
    """

    def __init__(self, seed: int, clients: list[Client], specials: list[Special],
                 active: Callable[[str, datetime], bool], workspace: Callable[[str], Workspace],
                 admins: Callable[[Workspace], tuple[str, ...]]):
        self._seed = seed
        self._clients = clients
        self._specials = specials
        self._active = active
        self._workspace = workspace
        self._admins = admins
        self._stream = _Stream()

    @property
    def done_until(self) -> date:
        """The first day of the first month not generated yet."""
        return self._stream.done_until

    def rows_before(self, at: datetime) -> tuple[AccessRow, ...]:
        """Every logged access strictly before ``at``, in time order."""
        k = bisect.bisect_left(self._stream.times, at)
        return tuple(self._stream.rows[:k])

    def last_admin_access(self, ws_id: str, at: datetime) -> datetime | None:
        """The latest access to workspace ``ws_id`` by one of its admins strictly before ``at``."""
        times = self._stream.admin_times.get(ws_id, [])
        i = bisect.bisect_left(times, at)
        return times[i - 1] if i else None

    def without_address_before(self, at: datetime) -> int:
        """How many (workspace name, "Accessed By") groups an export grouping the rows logged
        before ``at`` returns with an empty "Accessed By" (public visitors)."""
        return sum(1 for first in self._stream.no_address.values() if first < at)

    def month_batch(self, month: date) -> list[Access]:
        """The accesses of the clients and the special workspaces in ``month``, unsorted."""
        end = at_utc(next_month(month), time(0))
        batch: list[Access] = []
        for c in self._clients:
            if c.workspace.created_at < end:
                batch += self._client_month(c, month)
        for k, sp in enumerate(self._specials):
            if sp.workspace.created_at < end and sp.visitors:
                batch += self._special_month(k, sp, month)
        return batch

    def append(self, month: date, batch: list[Access],
               name_at: Callable[[str, datetime], str] | None = None) -> None:
        """Log ``batch`` (the accesses of ``month``, the next month not generated) in time order.

        ``name_at(workspace id, instant)`` gives the name a workspace bore at an instant, for
        the worlds whose workspaces are renamed: the Access Log names workspaces, not ids.
        """
        start, end = at_utc(month, time(0)), at_utc(next_month(month), time(0))
        batch = [b for b in batch if start <= b[0] < end]
        batch.sort(key=lambda b: (b[0], b[1], b[2]))
        s = self._stream
        for t, ws_id, email, row in batch:
            if name_at is not None and row.workspace_name:
                name = name_at(ws_id, t)
                if name != row.workspace_name:
                    row = AccessRow(t, row.accessed_by, name, row.view_name, row.view_type,
                                    row.ip_address, row.user_agent)
            s.rows.append(row)
            s.times.append(t)
            if not row.accessed_by:
                s.no_address.setdefault(row.workspace_name, t)
            if email and email in self._admins(self._workspace(ws_id)):
                s.admin_times.setdefault(ws_id, []).append(t)
        s.done_until = next_month(month)

    def _client_month(self, c: Client, month: date) -> list[Access]:
        rng = random.Random(f"{self._seed}:access:{c.n}:{month.isoformat()}")
        ws = c.workspace
        out = []
        nxt = next_month(month)
        # Only days on which an access is possible draw from the RNG, so walking just the
        # client's windows gives the same stream as walking every day.
        for lo, hi in c.access_windows():
            day, last = max(month, lo), min(nxt, hi) if hi is not None else nxt
            while day < last:
                paying = c.paying_on(day)
                rate = client_rate(c, day, paying)
                if day.weekday() >= 5:
                    rate *= 0.25
                if rate and rng.random() < rate:
                    for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
                        two = len(ws.admins) > 1 and rng.random() < 0.3
                        who = ws.admins[-1] if two else ws.admins[0]
                        out.append(access(rng, day, ws, who, c.ips, c.user_agent))
                if paying and rng.random() < SUPPORT_RATE:
                    out.append(access(rng, day, ws, SUPPORT_EMAIL, ("187.45.10.20",),
                                      USER_AGENTS[0]))
                day += timedelta(days=1)
        # An access only happens if the user holds an active seat at that instant.
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]

    def _special_month(self, k: int, sp: Special, month: date) -> list[Access]:
        rng = random.Random(f"{self._seed}:access:special{k}:{month.isoformat()}")
        ws = sp.workspace
        out = []
        day, last = max(month, ws.created_at.date()), next_month(month)
        while day < last:
            for email, rate in sp.visitors:
                if day.weekday() < 5 and rng.random() < rate:
                    out.append(access(rng, day, ws, email, ("187.45.10.20",), USER_AGENTS[0]))
            day += timedelta(days=1)
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]


def client_rate(c: Client, day: date, paying: bool) -> float:
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
