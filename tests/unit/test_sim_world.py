"""The demo world: deterministic, realistic enough, and its truth agrees with its own Zoho state.

The truth is re-derived here from what :meth:`World.zoho_state` and :meth:`World.company_rows`
serve (the pipeline's view), so a disagreement between the world's internal facts and what it
serves shows up as a failure.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from seatlib.core.contracts import STATUSES
from seatlib.sim.world import AUDIT_START, ORIGIN, World, main

DAY = date(2026, 11, 29)
RECENT = [date(2026, 9, 1) + timedelta(days=i) for i in range(122)]  # Sep-Dec 2026
CLIENT_ID = re.compile(r"^\s*(\d+)")


def _utc_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).date()


@pytest.fixture(scope="module")
def world() -> World:
    return World(42)


@pytest.fixture(scope="module")
def recent_truths(world: World) -> dict[date, dict]:
    return {d: world.truth(d) for d in RECENT}


# --- Determinism ----------------------------------------------------------------------------------
def test_same_seed_same_world_whatever_was_asked_before():
    fresh = World(42)
    state, rows, truth = fresh.zoho_state(DAY), fresh.company_rows(DAY), fresh.truth(DAY)

    later_first = World(42)  # asks a later day first: the simulation runs further ahead
    later_first.truth(date(2027, 6, 30))
    earlier_first = World(42)  # walks up from an early day
    for d in (date(2024, 1, 10), date(2025, 2, 3), DAY - timedelta(days=1)):
        earlier_first.zoho_state(d)
    for w in (later_first, earlier_first):
        assert w.zoho_state(DAY) == state
        assert w.company_rows(DAY) == rows
        assert w.truth(DAY) == truth
    assert fresh.zoho_state(DAY) == state  # asking twice changes nothing


def test_seed_changes_the_world_and_the_credentials():
    a, b = World(42), World(7)
    assert a.company_rows(DAY) != b.company_rows(DAY)
    assert (a.demo_client_id, a.demo_refresh_token) != (b.demo_client_id, b.demo_refresh_token)
    assert World(42).demo_client_secret == a.demo_client_secret
    assert "SIMDEMO" in a.demo_client_id and "simdemo" in a.demo_refresh_token


def test_as_of_is_the_start_of_the_day_utc():
    at = World().as_of(DAY)
    assert (at.hour, at.minute, at.second, at.utcoffset()) == (0, 0, 0, timedelta(0))
    assert at.date() == DAY


def own(state) -> list:
    """The organisation's own workspaces (the world also lists two of other organisations)."""
    return [ws for ws in state.workspaces if ws.org_id in ("", state.org_id)]


# --- Population -----------------------------------------------------------------------------------
def test_other_organisations_portal_domains_and_date_format(world: World):
    """What the world serves for issue #15: other organisations' workspaces listed first (one of
    them an audit workspace of the same name), portal users, the documented date format."""
    state = world.zoho_state(DAY)
    foreign = [ws for ws in state.workspaces if ws not in own(state)]
    assert state.workspaces[:2] == tuple(foreign)
    assert {ws.org_id for ws in foreign} == {"700000999888", "700000123456"}
    assert [ws.owned for ws in foreign] == [True, False]
    assert foreign[0].name == "Zoho Analytics Audits"
    assert any(ws.name == "Zoho Analytics Audits" for ws in own(state))
    assert state.client_portal and state.access_time_format == "dd MMM, yyyy HH:mm:ss"
    domains = {u.email: u.domain for u in state.users}
    assert domains["bi.admin@seatco.example"] == "" == domains["analytics@seatco.example"]
    assert {d for e, d in domains.items() if not e.endswith("@seatco.example")} == {
        "bi.seatco.example"}


def test_about_three_hundred_workspaces_by_late_2026(world: World):
    state = world.zoho_state(DAY)
    assert 250 <= len(own(state)) <= 360
    ids = [ws.workspace_id for ws in own(state)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{19}", i) for i in ids)
    assert len({ws.name for ws in own(state)}) == len(own(state))
    assert all(ws.created_by == world.owner_email for ws in own(state))
    assert state.org_id == "671712892" and state.owner_email == "bi.admin@seatco.example"


def test_company_rows(world: World):
    rows = world.company_rows(DAY)
    ids = [r["client_id"] for r in rows]
    assert ids == sorted(set(ids))
    assert all(100 <= i <= 99999 for i in ids)
    no_module = [r for r in rows if r["bi_module_since"] is None]
    assert 50 <= len(no_module) <= 70 and not any(r["bi_module_active"] for r in no_module)
    module = [r for r in rows if r["bi_module_since"] is not None]
    assert all(r["bi_module_since"] < DAY for r in module)
    # Workspace names are "<client_id> - <company name>".
    names = {r["client_id"]: r["name"] for r in rows}
    for ws in own(world.zoho_state(DAY)):
        m = CLIENT_ID.match(ws.name)
        if m and int(m.group(1)) in names:
            assert ws.name == f"{m.group(1)} - {names[int(m.group(1))]}"
    # Clients appear once they contracted.
    early = world.company_rows(date(2024, 1, 15))
    assert len([r for r in early if r["bi_module_since"]]) < len(module)


def test_special_workspaces_and_quirks(world: World):
    state = world.zoho_state(DAY)
    by_name = {ws.name: ws for ws in own(state)}
    audit = by_name["Zoho Analytics Audits"]
    assert ("Access Log", "Table") in {(v[1], v[2]) for v in audit.views}
    assert "Activity Log" in {v[1] for v in audit.views}
    assert sum(1 for n in by_name if not CLIENT_ID.match(n)) >= 3  # audit + internal ones
    active = {u.email for u in state.users if u.active}
    assert "contato@parceiroteste.com.br" in active
    assert {"bi.admin@seatco.example", "analytics@seatco.example"} <= active
    roles = {u.email: u.role for u in state.users}
    assert roles["bi.admin@seatco.example"] == "Organization Admin"

    assert all(u.email == u.email.lower() for u in state.users)
    for ws in own(state):
        assert ws.users[0] == (world.owner_email, "Account Admin", True)
    client_ws = [ws for ws in own(state) if CLIENT_ID.match(ws.name)]
    empty = [ws for ws in client_ws if not ws.admins]
    assert empty and all(any(r == "Workspace Admin" for _, r, _ in ws.users) for ws in empty)
    assert any(a != a.lower() for ws in client_ws for a in ws.admins)  # mixed case in /admins
    assert any(len(ws.admins) > 1 for ws in client_ws)


def test_a_new_client_waits_for_its_workspace(world: World):
    """Between contract and workspace creation the client is in the company DB only."""
    found = False
    for d in RECENT[:40]:
        truth = world.truth(d)
        if any(r["status"] == "unmatched" and r["workspace_id"] is None and r["module_active"]
               for r in truth["clients"]):
            found = True
            break
    assert found


def test_someone_recontracts():
    w = World(42)
    seen_inactive: set[int] = set()
    for d in (date(2024, 1, 1) + timedelta(days=30 * i) for i in range(40)):
        for r in w.company_rows(d):
            if r["bi_module_since"] is None:
                continue
            if not r["bi_module_active"]:
                seen_inactive.add(r["client_id"])
            elif r["client_id"] in seen_inactive:
                return
    pytest.fail("no client re-contracted the module")


# --- Seats ----------------------------------------------------------------------------------------
def test_seats_saturate_but_never_overflow(world: World, recent_truths: dict[date, dict]):
    used = [t["capacity"]["seats_used"] for t in recent_truths.values()]
    assert max(used) <= world.seats_allocated
    assert sum(u >= 60 for u in used) >= 0.8 * len(used)
    ex = [t["capacity"]["seats_held_by_ex_clients"] for t in recent_truths.values()]
    assert min(ex) >= 3 and sum(5 <= e <= 30 for e in ex) >= 0.8 * len(ex)
    pwu = [t["capacity"]["paying_without_user"] for t in recent_truths.values()]
    assert max(pwu) <= 20 and sum(p >= 1 for p in pwu) >= 0.8 * len(pwu)
    for d in (RECENT[0], DAY):
        assert world.zoho_state(d).seats_used == recent_truths[d]["capacity"]["seats_used"]


def test_every_status_appears(recent_truths: dict[date, dict]):
    counts = Counter(r["status"] for r in recent_truths[DAY]["clients"])
    assert set(STATUSES) <= set(counts), counts
    assert counts["released"] > counts["active"]  # the history of ex-clients is kept


def test_seats_used_is_at_least_held_by_clients(recent_truths: dict[date, dict]):
    for t in recent_truths.values():
        cap = t["capacity"]
        assert cap["seats_free"] == cap["seats_allocated"] - cap["seats_used"] >= 0
        assert cap["seats_other"] == cap["seats_staff"] + cap["seats_no_workspace"] >= 2  # staff
        assert 0 <= cap["seats_held_by_inactive_clients"] <= cap["seats_held_by_clients"]
        assert cap["seats_held_by_clients"] + cap["seats_held_by_ex_clients"] <= cap["seats_used"]


# --- Access log -----------------------------------------------------------------------------------
def test_access_log_bounds(world: World):
    state = world.zoho_state(DAY)
    log = state.access_log
    assert len(log) > 1000
    times = [r.accessed_at for r in log]
    assert times == sorted(times)
    assert times[0].date() >= AUDIT_START and times[-1] < state.as_of
    assert all(r.accessed_at.utcoffset() == timedelta(0) for r in log[:50])
    names = {ws.name for ws in own(state)}
    assert {r.workspace_name for r in log} <= names
    assert {r.view_type for r in log} <= {"Dashboard", "Table"}
    # Support opens client workspaces too; those accesses are not the client's.
    assert any(r.accessed_by == "analytics@seatco.example" and CLIENT_ID.match(r.workspace_name)
               for r in log)
    assert world.zoho_state(AUDIT_START).access_log == ()
    assert len(world.zoho_state(date(2024, 6, 1)).access_log) < len(log)


def test_before_the_origin_only_staff_exist():
    state = World(42).zoho_state(ORIGIN - timedelta(days=5))
    assert not own(state) and state.seats_used == 2


# --- Truth agrees with what the world serves ------------------------------------------------------
def _derive(world: World, day: date, inactive_days: int = 30) -> list[dict]:
    """An independent reading of the served state, following the gold rules."""
    state, rows = world.zoho_state(day), world.company_rows(day)
    module = {r["client_id"]: r["bi_module_active"] for r in rows if r["bi_module_since"]}
    staff = {world.owner_email, world.support_email}  # the reseller's own: no client's seat
    active = {u.email.lower() for u in state.users if u.active} - staff
    last: dict[tuple[str, str], object] = {}
    for r in state.access_log:
        key = (r.workspace_name, r.accessed_by.lower())
        last[key] = max(last.get(key, r.accessed_at), r.accessed_at)
    out, matched = [], set()
    for ws in own(state):
        if ws.name == "Zoho Analytics Audits":
            continue
        admins = ws.admins or tuple(e for e, role, _ in ws.users if role == "Workspace Admin")
        admins = sorted({a.lower() for a in admins})
        m = CLIENT_ID.match(ws.name)
        cid = int(m.group(1)) if m else None
        seen = [last[(ws.name, a)] for a in admins if (ws.name, a) in last]
        la = max(seen) if seen else None
        dsl = (day - la.date()).days if la else None
        idle = dsl if dsl is not None else (day - _utc_date(ws.created_ms)).days
        held = any(a in active for a in admins)
        if cid not in module:
            status = "unmatched"
        else:
            matched.add(cid)
            on = module[cid]
            status = (("seat_held_by_ex_client" if held else "released") if not on else
                      "paying_without_user" if not held else
                      "inactive" if idle > inactive_days else "active")
        out.append({"client_id": cid, "workspace_id": ws.workspace_id, "admin_emails": admins,
                    "seat_held": held, "last_access_at": la.isoformat() if la else None,
                    "days_since_last_access": dsl, "status": status})
    out += [{"client_id": c, "workspace_id": None, "admin_emails": [], "seat_held": False,
             "last_access_at": None, "days_since_last_access": None, "status": "unmatched"}
            for c in module if c not in matched]
    return sorted(out, key=lambda r: (r["client_id"] is None, r["client_id"] or 0,
                                      r["workspace_id"] or ""))


@pytest.mark.parametrize("day", [date(2024, 8, 20), date(2025, 6, 2), DAY])
def test_truth_matches_the_served_state(world: World, day: date):
    truth = world.truth(day)
    got = sorted(({k: r[k] for k in ("client_id", "workspace_id", "admin_emails", "seat_held",
                                     "last_access_at", "days_since_last_access", "status")}
                  for r in truth["clients"]),
                 key=lambda r: (r["client_id"] is None, r["client_id"] or 0,
                                r["workspace_id"] or ""))
    assert got == _derive(world, day)


def test_truth_rows_are_self_consistent(world: World, recent_truths: dict[date, dict]):
    truth = recent_truths[DAY]
    assert truth["snapshot_date"] == "2026-11-29"
    created = {ws.workspace_id: _utc_date(ws.created_ms)
               for ws in own(world.zoho_state(DAY))}
    for r in truth["clients"]:
        assert r["admin_emails"] == sorted(e.lower() for e in r["admin_emails"])
        if r["last_access_at"] is None:
            assert r["days_since_last_access"] is None
        if r["workspace_id"] is None or r["module_active"] is None:
            assert r["status"] == "unmatched"
            continue
        idle = r["days_since_last_access"]
        if idle is None:
            idle = (DAY - created[r["workspace_id"]]).days
        expected = (("seat_held_by_ex_client" if r["seat_held"] else "released")
                    if not r["module_active"] else
                    "paying_without_user" if not r["seat_held"] else
                    "inactive" if idle > 30 else "active")
        assert r["status"] == expected, r


def test_capacity_is_consistent_with_rows(world: World, recent_truths: dict[date, dict]):
    """The seat ledger's categories add up to the seat users Zoho's counter counts."""
    for day in (RECENT[0], RECENT[60], DAY):
        truth = recent_truths[day]
        cap, ledger = truth["capacity"], truth["ledger"]
        active = {u.email.lower() for u in world.zoho_state(day).users
                  if u.active and u.role != "Viewer"}
        parts = ("seats_held_by_clients", "seats_held_by_ex_clients", "seats_held_unmatched",
                 "seats_staff", "seats_no_workspace")
        assert sum(cap[p] for p in parts) == cap["seat_users"] == len(ledger) == len(active)
        assert cap["seats_used"] == len(active) and cap["seats_counter_gap"] == 0
        assert cap["seats_held_by_ex_clients"] == sum(e["reclaimable"] for e in ledger)
        clients = {r["client_id"]: r["client_status"] for r in truth["clients"]
                   if r["client_id"] is not None and r["status"] != "unmatched"}
        assert cap["paying_without_user"] == sum(
            s == "paying_without_user" for s in clients.values())


def test_inactive_days_parameter(world: World):
    strict, lax = world.truth(DAY, inactive_days=7), world.truth(DAY, inactive_days=365)
    count = lambda t, s: sum(r["status"] == s for r in t["clients"])  # noqa: E731
    assert count(strict, "inactive") > count(lax, "inactive")


# --- The world as it was before the hard cases ----------------------------------------------------
def _state_doc(state) -> dict:
    """Every field of a served state, spelt out, so a new field with a default does not move the
    digest but a changed value does."""
    s = state
    return {
        "org": [s.org_id, s.org_name, s.as_of.isoformat(), s.owner_email, s.seats_allocated,
                s.ro_seats_allocated, s.plan_name, s.add_ons, s.access_time_format,
                s.client_portal, s.seats_used, sorted(s.seat_keepers)],
        "workspaces": [[w.workspace_id, w.name, w.created_ms, w.created_by, list(w.admins),
                        [list(u) for u in w.users], [list(v) for v in w.views], w.owned, w.org_id]
                       for w in s.workspaces],
        "users": [[u.email, u.active, u.role, u.domain] for u in s.users],
        "access_log": [[r.accessed_at.isoformat(), r.accessed_by, r.workspace_name, r.view_name,
                        r.view_type, r.ip_address, r.user_agent] for r in s.access_log],
    }


def _digest(doc) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


#: (seed, day) -> digests of zoho_state and company_rows (and of the truth, unused since the
#: truth follows the seat rules of docs/seats.md), computed with the code of commit ba55106
#: (before the hard cases existed) with its RUN_TIME set to 00:00 UTC, the instant a day's run
#: sees since (the served states; the company rows did not move): the world without them must
#: not move.
BEFORE_HARD_CASES = {
    (42, "2024-08-20"): ("03ac7d7c27e280af455953d4ee379b705a5cd254a0ca9459325bbd3fd995e9af",
                         "5ca41afbdcbb0f3ff41424a8562babd4bf7637e5f526a3397190d5edc1e981ef",
                         "22761213876fdc8ccf6f0a065f246ef6cd49a3e678803cb849b9a98df9b39824"),
    (42, "2025-06-02"): ("284928acb42c3b2ccb3f9d301a589ca3e413f274a146859c8cde1515c647237e",
                         "6458b590fffca163dd3e5f4b9aa34433e655a704f80a21ecb471b621ce688af1",
                         "3314acfd11ffb9bf5569172786db252ab73cb93b49b8deee970dcc7c523cc37e"),
    (42, "2026-11-29"): ("699c4c529dcaa1bccb2d6d258e1ef1f4006dfa5af093ede85158f425aa37f2bb",
                         "934b16540316052f0bc9ddebe36ade2f21f337bc29a9d8ad01666beca154d509",
                         "d2a8ba1946a54da958f704f17e6501153924ddce4a7402ef41ca0484183c12c8"),
    (42, "2026-12-07"): ("ac82feebb6d95f9b9e3d4095ebb9218e26d78c84c5fd1116e7f38ba6530ca3b4",
                         "6ab0f9a796a4c1d86225b195efae44a2142945e1be5944038229389a34a2bd7a",
                         "de6895e065e2bbb32c14aff002c1857912b0dc06ce9c873191374d6bb440734c"),
    (42, "2027-06-01"): ("b61116dc72428315dcca5b1b018070d40640a79d3e6719919650ad73fb7d2f0e",
                         "49f8b1db6c91aa7f56aeab51d0fd44ea40ff31e9b3a8c9d6e2d2913276111e03",
                         "2e27b11906c7baf1c1aecec8aca937849403fcf22bcd496c6e6089aec1ca5f8a"),
    (7, "2026-12-07"): ("752fe2f2b4a013b4dd9a3db947947424c272db2f1afd16c16f2ed79998d4fa71",
                        "933202e4f754dcdb713d7684919b54b3d7e0e61345941881e2ef429758169c5a",
                        "1ef76097f8795126cbc16361b13af8cedcd268bcfe85976def8c1a1df27be104"),
}


def test_the_world_without_hard_cases_is_the_world_of_before():
    """The extract's fault matrix and the admins' month are tuned on this world: without its
    hard cases it serves byte for byte what it served before them (state and company rows)."""
    worlds: dict[int, World] = {}
    for (seed, day), want in BEFORE_HARD_CASES.items():
        w = worlds.setdefault(seed, World(seed))
        d = date.fromisoformat(day)
        got = (_digest(_state_doc(w.zoho_state(d))), _digest(w.company_rows(d)))
        assert got == want[:2], (seed, day)


# --- CLI (its speed: bench/bench_sim.py) ---------------------------------------------------------
def test_cli(capsys):
    assert main(["--day", "2026-11-29", "--truth"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["snapshot_date"] == "2026-11-29" and out["capacity"]["seats_allocated"] == 70
    assert main(["--day", "2026-11-29", "--summary"]) == 0
    text = capsys.readouterr().out
    assert "seat_held_by_ex_client" in text and "seats:" in text
