"""The demo world's hard cases (``World(seed, hard_cases=True)``, issue 20) and its truth by user.

Each case must show on some day of any 60-day window (three windows: the run's own date, the
brief's 2026-12-07 and 2027-06-01); the facts are read from what the world *serves* (what a
pipeline sees), the expectations from the truth (what gold must say, docs/seats.md).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from seatlib.sim.truth import CATEGORIES, client_id_of, status_of
from seatlib.sim.world import World

TODAY = datetime.now(timezone.utc).date()
ENDS = sorted({TODAY, date(2026, 12, 7), date(2027, 6, 1)})
AGENCY = re.compile(r"^(consultoria@bizinsight|bi@dadosconsultoria)\.")
HOLDING = "12345678901234567890 - Holding Grande"
PORTAL, STANDARD = "bi.seatco.example", ""


def window(end: date) -> list[date]:
    return [end - timedelta(days=n) for n in range(59, -1, -1)]


def own(state) -> list:
    return [ws for ws in state.workspaces if ws.org_id in ("", state.org_id)]


@pytest.fixture(scope="module")
def world() -> World:
    return World(42, hard_cases=True)


@pytest.fixture(scope="module")
def days(world: World) -> dict[date, tuple]:
    """(served state, truth) of every day of the three windows."""
    return {d: (world.zoho_state(d), world.truth(d)) for end in ENDS for d in window(end)}


def each_window(days: dict[date, tuple]):
    for end in ENDS:
        yield end, [(d, *days[d]) for d in window(end)]


# --- The cases, each on some day of every window ------------------------------------------------
def test_a_consultant_serves_a_paying_client_and_an_ex_client(days):
    for end, seen in each_window(days):
        both = [d for d, _state, truth in seen if any(
            AGENCY.match(e["email"]) and e["category"] == "client" and e["shared"]
            and set(e["clients"]) - set(e["paying_clients"]) for e in truth["ledger"])]
        assert len(both) >= 45, (end, len(both))  # most days of the window


def test_workspaces_are_renamed_keeping_id_and_client_id(days):
    for end, seen in each_window(days):
        renames = []
        for (_d0, before, _t0), (d, after, _t) in zip(seen, seen[1:]):
            names = {ws.workspace_id: ws.name for ws in own(before)}
            renames += [(d, names[ws.workspace_id], ws.name) for ws in own(after)
                        if names.get(ws.workspace_id, ws.name) != ws.name]
        assert len(renames) >= 2, end
        assert all(client_id_of(old) == client_id_of(new) for _d, old, new in renames)


def test_a_second_workspace_without_a_seat_leaves_its_client_holding_one(days):
    for end, seen in each_window(days):
        found = []
        for d, state, truth in seen:
            for r in truth["clients"]:
                if (r["workspace_name"] or "").endswith(" (Filial)") and \
                        r["status"] == "paying_without_user" and \
                        r["client_status"] in ("active", "inactive"):
                    found.append((d, r["client_id"]))
                    ws = next(w for w in own(state) if w.workspace_id == r["workspace_id"])
                    assert not any(active for _e, role, active in ws.users
                                   if role == "Workspace Admin")
        assert found, end


def test_public_visitors_leave_rows_without_an_address(days):
    for end, seen in each_window(days):
        d, state, truth = seen[-1]
        public = [r for r in state.access_log if r.accessed_by == ""]
        groups = {r.workspace_name for r in public}
        assert public and truth["capacity"]["access_without_address"] == len(groups), end
        assert all(client_id_of(name) is not None for name in groups)


def test_one_user_listed_under_two_domains_takes_one_seat(days):
    for end, seen in each_window(days):
        _d, state, truth = seen[-1]
        listed = Counter(u.email for u in state.users)
        twice = [e for e, n in listed.items() if n == 2]
        assert len(twice) == 1 and AGENCY.match(twice[0]), end
        assert {u.domain for u in state.users if u.email == twice[0]} == {PORTAL, STANDARD}
        assert state.seats_used == len({u.email for u in state.users if u.active})
        assert state.seats_used == truth["capacity"]["seats_used"]
        entry = next(e for e in truth["ledger"] if e["email"] == twice[0])
        assert entry["domains"] == ["analytics.zoho.com", PORTAL]


def test_a_future_access_time_is_served_and_ignored_by_the_truth(days):
    for end, seen in each_window(days):
        futures = 0
        for d, state, truth in seen:
            ahead = [r for r in state.access_log if r.accessed_at > state.as_of]
            assert truth["capacity"]["access_future"] == len(ahead)
            futures += bool(ahead)
            for r in ahead:
                rows = [x for x in truth["clients"] if x["workspace_name"] == r.workspace_name]
                assert rows and r.accessed_by in rows[0]["admin_emails"]
                last = rows[0]["last_access_at"]
                assert last is None or datetime.fromisoformat(last) < state.as_of
        assert futures, end


@pytest.mark.parametrize("due", [date(2025, 9, 2), date(2026, 9, 2)])
def test_the_clock_error_strikes_an_inactive_paying_client(world, due):
    """On the day a clock error is logged (a yearly date, or the first day after it with an
    idle paying client), the row is a year ahead and its workspace's client is inactive."""
    def ahead(d):
        state = world.zoho_state(d)
        return [r for r in state.access_log if r.accessed_at > state.as_of]

    day = next(d for d in (due + timedelta(days=n) for n in range(60))
               if len(ahead(d)) > len(ahead(d - timedelta(days=1))))
    row = ahead(day)[-1]
    assert row.accessed_at - world.as_of(day) > timedelta(days=365)
    hit = next(r for r in world.truth(day)["clients"] if r["workspace_name"] == row.workspace_name)
    assert (hit["module_active"], hit["status"], hit["client_status"]) == (True, "inactive",
                                                                           "inactive")
    assert hit["days_since_last_access"] is None or hit["days_since_last_access"] > 30


def test_a_twenty_digit_client_id_is_unmatched_with_an_active_admin(days):
    for end, seen in each_window(days):
        _d, state, truth = seen[-1]
        assert HOLDING in {ws.name for ws in own(state)}
        row = next(r for r in truth["clients"] if r["workspace_name"] == HOLDING)
        assert (row["client_id"], row["status"], row["seat_held"]) == (None, "unmatched", True)
        admin = row["admin_emails"][0]
        assert next(e for e in truth["ledger"] if e["email"] == admin)["category"] == "unmatched"


# --- Renames: the truth knows accesses by workspace id --------------------------------------------
def _admins(ws) -> set[str]:
    listed = ws.admins or tuple(e for e, role, _a in ws.users if role == "Workspace Admin")
    return {a.lower() for a in listed}


def test_after_a_rename_the_latest_access_may_be_under_the_old_name(world, days):
    """The truth's last access of a renamed workspace is its admins' latest row under the old
    name when none came under the new one; it was more than 90 days old at the rename, so a
    pipeline that never saw the old name (idle since creation) reaches the same status for any
    inactive_days up to 90 (hard_cases.py, *Renames and what a pipeline can know*)."""
    checked = 0
    for end, seen in each_window(days):
        for (_d0, before, _t0), (d, state, truth) in zip(seen, seen[1:]):
            old = {ws.workspace_id: ws.name for ws in own(before)}
            wrong = set(world.clock_errors_before(d))
            for ws in own(state):
                if old.get(ws.workspace_id, ws.name) == ws.name:
                    continue
                admins = _admins(ws)
                under = {name: max((r.accessed_at for r in state.access_log if r not in wrong
                                    and r.workspace_name == name and r.accessed_by in admins),
                                   default=None) for name in (old[ws.workspace_id], ws.name)}
                assert under[ws.name] is None  # nobody came under the new name yet
                latest = under[old[ws.workspace_id]]
                assert latest is not None and latest < state.as_of - timedelta(days=90)
                for inactive_days in (7, 30, 90):
                    row = next(r for r in world.truth(d, inactive_days)["clients"]
                               if r["workspace_id"] == ws.workspace_id)
                    assert row["last_access_at"] == latest.isoformat()
                    if row["module_active"] is not None:
                        created = datetime.fromtimestamp(ws.created_ms / 1000, timezone.utc)
                        blind = status_of(row["module_active"], row["seat_held"],
                                          (d - created.date()).days, inactive_days)
                        assert blind == row["status"], (d, ws.name, inactive_days)
                checked += 1
    assert checked >= 6


# --- The truth by user's own rules ---------------------------------------------------------------
def test_categories_add_up_and_no_seat_serving_a_payer_is_reclaimable(days):
    for d, (_state, truth) in days.items():
        cap, ledger = truth["capacity"], truth["ledger"]
        parts = [cap[k] for k in ("seats_held_by_clients", "seats_held_by_ex_clients",
                                  "seats_held_unmatched", "seats_staff", "seats_no_workspace")]
        assert min(parts) >= 0 and sum(parts) == cap["seat_users"] == len(ledger), d
        assert cap["seats_other"] == cap["seats_staff"] + cap["seats_no_workspace"]
        assert cap["seats_counter_gap"] == cap["seats_used"] - cap["seat_users"] == 0
        assert cap["seats_shared"] == sum(e["shared"] for e in ledger)
        assert {e["category"] for e in ledger} <= set(CATEGORIES)
        for e in ledger:
            assert not (e["paying_clients"] and e["reclaimable"]), (d, e)
            assert e["reclaimable"] == (e["category"] == "ex_client")


def test_rows_and_clients_follow_the_rule_book(days):
    for d, (_state, truth) in days.items():
        rows, ledger = truth["clients"], {e["email"]: e for e in truth["ledger"]}
        by_client: dict[int, set[str]] = {}
        for r in rows:
            assert r["days_since_last_access"] is None or r["days_since_last_access"] >= 0
            assert r["seats_reclaimable"] == sum(ledger.get(a, {}).get("category") == "ex_client"
                                                 for a in r["admin_emails"])
            assert r["admin_shared"] == bool(r["shared_with"])
            assert r["client_id"] not in r["shared_with"]
            if r["status"] == "unmatched":
                assert r["client_status"] == "unmatched"
            else:
                by_client.setdefault(r["client_id"], set()).add(r["client_status"])
        assert all(len(s) == 1 for s in by_client.values()), d
        paying_without = sum(s == {"paying_without_user"} for s in by_client.values())
        assert truth["capacity"]["paying_without_user"] == paying_without


def _ledger_from_served(world: World, d: date) -> dict[str, tuple[str, bool, bool]]:
    """docs/seats.md's seat users read from what the world serves (as a pipeline would):
    address -> (category, shared, reclaimable); staff: the reseller's domain, as the demo's
    ``[reclaim] staff_domains`` says."""
    state, company = world.zoho_state(d), world.company_rows(d)
    module = {r["client_id"]: r["bi_module_active"] for r in company if r["bi_module_since"]}
    seat = {u.email.lower() for u in state.users if u.active and "viewer" not in u.role.lower()}
    staff = {e for e in seat if e.endswith("@seatco.example")}
    staff |= {u.email.lower() for u in state.users if u.role == "Organization Admin"}
    serves: dict[str, set[int]] = {}
    unmatched: set[str] = set()
    for ws in own(state):
        if ws.name == "Zoho Analytics Audits":
            continue
        cid = client_id_of(ws.name, 18)
        for a in _admins(ws):
            if cid in module:
                serves.setdefault(a, set()).add(cid)
            else:
                unmatched.add(a)
    out = {}
    for e in seat:
        clients = serves.get(e, set())
        cat = ("staff" if e in staff else "client" if any(module[c] for c in clients)
               else "unmatched" if e in unmatched else "ex_client" if clients else "no_workspace")
        out[e] = (cat, len(clients) >= 2, cat == "ex_client")
    return out


@pytest.mark.parametrize("d", [date(2025, 7, 15), date(2026, 12, 7), date(2027, 6, 1)])
def test_the_ledger_agrees_with_what_the_world_serves(world, d):
    truth = world.truth(d, staff_emails=(), staff_domains=("seatco.example",))
    got = {e["email"]: (e["category"], e["shared"], e["reclaimable"]) for e in truth["ledger"]}
    assert got == _ledger_from_served(world, d)


def test_the_cleanup_never_deactivates_a_consultant_serving_a_paying_client(world):
    """Only the support team's cleanups deactivate users; it checks a consultant first."""
    checked = 0
    for cleanup in world.cleanups_before(date(2027, 6, 1)):
        before, after = cleanup.date(), cleanup.date() + timedelta(days=1)
        s0, s1 = world.zoho_state(before), world.zoho_state(after)
        paying = {r["client_id"] for r in world.company_rows(after) if r["bi_module_active"]}
        on0 = {u.email for u in s0.users if u.active}
        off1 = {u.email for u in s1.users if not u.active}
        for ws in own(s1):
            cid = client_id_of(ws.name, 18)
            for a in _admins(ws):
                if AGENCY.match(a) and cid in paying:
                    assert not (a in on0 and a in off1), (cleanup, a, ws.name)
                    checked += 1
    assert checked > 100


def test_the_hard_cases_leave_the_clients_own_facts_alone():
    """Every client keeps its own stream: the company's table is the same with the cases on."""
    plain, hard = World(42), World(42, hard_cases=True)
    for d in (date(2024, 8, 20), date(2026, 12, 7)):
        assert hard.company_rows(d) == plain.company_rows(d)
        names = {ws.workspace_id: ws.name for ws in own(plain.zoho_state(d))}
        served = {ws.workspace_id: ws for ws in own(hard.zoho_state(d))}
        assert set(names) < set(served)  # the same workspaces, and more
        assert all(client_id_of(served[i].name) == client_id_of(n) for i, n in names.items())


def test_the_hard_world_is_deterministic_whatever_was_asked_before():
    d = date(2026, 12, 7)
    fresh = World(42, hard_cases=True)
    state, truth = fresh.zoho_state(d), fresh.truth(d)
    later_first = World(42, hard_cases=True)
    later_first.truth(date(2027, 9, 30))
    earlier_first = World(42, hard_cases=True)
    for early in (date(2024, 9, 3), date(2025, 9, 5), d - timedelta(days=1)):
        earlier_first.zoho_state(early)
    for w in (later_first, earlier_first):
        assert w.zoho_state(d) == state and w.truth(d) == truth


def test_no_two_workspaces_ever_bear_one_name(days):
    """So the truth's access_ambiguous is 0: a name is one workspace's, on every day."""
    owner: dict[str, str] = {}
    for d, (state, _truth) in sorted(days.items()):
        names = [ws.name for ws in own(state)]
        assert len(set(names)) == len(names), d
        for ws in own(state):
            assert owner.setdefault(ws.name, ws.workspace_id) == ws.workspace_id, (d, ws.name)
