"""The reclaim in-process, against the simulator and a real company database (docs/reclaim.md):
a plan that is a record, approvals bound to plan and rows and checked again against the facts of
now, the limit, the trail written first, undo, and removal only after a second look."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from seatlib.core.errors import ConfigError
from seatlib.systems.lake import Lake
from seatlib.reclaim import actions, check, flow, plan as plans
from seatlib.history import trail
from seatlib.history.trail import TrailError
from seatlib.sim.state import SimUser
from tests.fixtures.reclaim import DAY, EX_CLIENTS, PAYING_IDLE, PORTAL, build_day

APPROVER = {"approver": "Ana Souza", "reason": "TICKET-1"}


#: The clock the checks read (the plan's age, the gold day's age, the counter's second look):
#: noon of the fixtures' day, so that its gold is a day old, not months.
NOON = datetime(DAY.year, DAY.month, DAY.day, 12, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(check, "utc_now", lambda: NOON)


@pytest.fixture
def day(reclaim_sim, zoho_secrets, pg_dsn, tmp_path):
    return build_day(reclaim_sim, zoho_secrets, pg_dsn, tmp_path)


def request(day, **params) -> flow.Request:
    return flow.request(DAY, str(day.attempt()), **params)


def reclaim(day, **params):
    """One reclaim run as the notebook runs it; returns (plan, rows, outcome, journal)."""
    req = request(day, **params)
    journal = flow.Journal(req.attempt_dir)
    plan = flow.make_plan(day.systems, req, journal)
    flow.second_look(day.systems, req, journal)
    approved, rows = flow.approve(day.systems, req, plan, journal)
    rows = flow.check_rows(day.systems, req, approved, rows, journal)
    return approved, rows, flow.act(day.systems, req, approved, rows, journal), journal


def approve_copy(day, folder: Path, emails: list[str]) -> Path:
    """A person's copy of the run's plan file with yes on the rows of ``emails``."""
    plan = plans.latest(day.systems.lake)
    rows = plan.rows.assign(approve=["yes" if e in emails else "" for e in plan.rows["email"]])
    path = folder / "my approval.csv"
    rows.to_csv(path, index=False)
    return path


def users_state(sim) -> dict[str, bool]:
    return {u.email: u.active for u in sim.state.users}


# -- 1. the plan ---------------------------------------------------------------------------------

def test_the_plan_is_a_record_of_users_none_approved_written_once(day):
    req = request(day)
    plan = flow.make_plan(day.systems, req, flow.Journal(req.attempt_dir))
    assert set(plan.rows["email"]) == {e for e, _ in EX_CLIENTS.values()} | {PAYING_IDLE[1]}
    assert (plan.rows["approve"] == "").all() and plan.rows["row_id"].is_unique
    assert set(plan.rows["plan_id"]) == {plan.plan_id}
    assert plan.rows.set_index("email").at["pia@portal.example", "domains"] == PORTAL
    assert plan.rows.set_index("email").at[PAYING_IDLE[1], "modules"] == f"{PAYING_IDLE[0]}:on"
    lake = day.systems.lake
    stored = lake.read_bytes(f"reclaim/plans/{plan.plan_id}.csv")
    assert b"ana@one.example" in stored  # whole in the lake
    local = (req.attempt_dir / "reclaim_plan.csv").read_bytes()
    assert b"ana@one.example" not in local and b"a***@one.example" in local  # masked in runs/
    again = plans.save(lake, plans.make(lake, DAY, day.systems.settings), None)
    assert again.plan_id == plan.plan_id and again.created_at == plan.created_at
    assert lake.read_bytes(f"reclaim/plans/{plan.plan_id}.csv") == stored  # never rewritten
    with pytest.raises(Exception, match="exists already"):  # the run's own copy neither
        plans.save(lake, plan, req.attempt_dir)


# -- 2. the approval ---------------------------------------------------------------------------------

def test_a_file_approves_exactly_its_yes_rows_whatever_its_name(day, tmp_path):
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["bo@two.example"])
    _, rows, out, _ = reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert list(rows["email"]) == ["bo@two.example"]
    assert out.users["outcome"].tolist() == ["deactivated"]
    state = users_state(day.sim)
    assert not state["bo@two.example"] and state["ana@one.example"] and state["cy@three.example"]


def test_a_module_switched_on_since_the_plan_is_refused_and_nothing_changes(day, tmp_path):
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["ana@one.example", "bo@two.example"])
    day.set_module(c2001=True)  # the client paid again after the plan was made
    with pytest.raises(check.Refused, match=r"the plan changed: make a new one.*a\*\*\*@one.*"
                                            r"now serves paying client\(s\) 2001"):
        reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert day.sim.users.calls == []
    assert all(users_state(day.sim).values())
    [refused] = [e for e in trail.read_trail(day.systems.lake) if e["kind"] == "refused"]
    assert refused["approver"] == "Ana Souza"
    assert "it now serves paying client(s) 2001" in refused["why"][0]


def incremental(day, n_stale: int = 1) -> None:
    """Today's admins bronze as the incremental extract leaves it: some rows reused from an
    earlier fetch (so the reclaim's check must ask Zoho for every workspace's admins now)."""
    path = Path(day.systems.lake.uri("bronze/zoho_workspace_admins/2026-03-10.csv"))
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows.loc[rows.index[:n_stale], "admins_fetched_on"] = "2026-03-07"
    rows.to_csv(path, index=False)


def test_an_admin_added_to_a_paying_clients_workspace_since_the_plan_is_refused(day, tmp_path):
    incremental(day)
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["cy@three.example"])
    state = day.sim.state  # cy becomes an admin of the paying client's workspace too
    paying = next(w for w in state.workspaces if w.name.startswith(str(PAYING_IDLE[0])))
    day.sim.set_state(dataclasses.replace(state, workspaces=tuple(
        dataclasses.replace(w, admins=w.admins + ("cy@three.example",)) if w is paying else w
        for w in state.workspaces)))
    with pytest.raises(check.Refused, match=r"c\*\*\*@three.example\): reason ex_client -> "
                                            r"inactive; modules 2003:off -> 2003:off; 3001:on"):
        reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert day.sim.users.calls == []


def test_the_check_says_what_it_costs_in_calls(day):
    _, _, _, journal = reclaim(day, approve="2001")  # today's extract asked every workspace
    assert "now: 1 API call(s) (the admins from today's full extract)" in "\n".join(journal.lines)
    incremental(day)
    _, _, _, journal = reclaim(day, approve="2001")
    assert "now: 8 API call(s)" in "\n".join(journal.lines)  # /users, /workspaces, 6 /admins


def test_client_ids_approve_the_rows_of_users_serving_only_them(day):
    _, rows, out, _ = reclaim(day, approve="2001,2004")
    assert sorted(rows["email"]) == ["ana@one.example", "pia@portal.example"]
    assert out.dry_run and day.sim.users.calls == []
    with pytest.raises(ConfigError, match="client 9999 is in no row"):
        reclaim(day, approve="9999")


def test_execute_needs_an_approver_a_reason_and_something_approved(day):
    with pytest.raises(ConfigError, match="--approver NAME and --reason TEXT"):
        reclaim(day, approve="2001", execute=True)
    with pytest.raises(check.Refused, match="--execute with nothing approved"):
        reclaim(day, approve=",,,", execute=True, **APPROVER)
    assert day.sim.users.calls == []


# -- 3. the limit -----------------------------------------------------------------------------------

def test_an_execution_over_the_limit_waits_for_override(day, reclaim_sim, zoho_secrets, pg_dsn,
                                                         tmp_path):
    small = build_day(reclaim_sim, zoho_secrets, pg_dsn, tmp_path / "small", max_users=1)
    with pytest.raises(check.Refused, match=r"2 users is more than \[reclaim\] max_users = 1"):
        reclaim(small, approve="2001,2002", execute=True, **APPROVER)
    assert small.sim.users.calls == []
    _, _, out, _ = reclaim(small, approve="2001,2002", execute=True, override_limit=True,
                           **APPROVER)
    assert out.users["outcome"].tolist() == ["deactivated", "deactivated"]


def test_a_gold_day_let_through_by_allow_drop_waits_for_override(day):
    day.set_module(c3001=False)  # the paying client stops: a change the guards may flag
    gold_key = day.systems.lake.uri("gold/seat_capacity/2026-03-10.csv")
    text = Path(gold_key).read_text().splitlines()
    head, row = text[0].split(","), text[1].split(",")
    row[head.index("overrides")] = "seat_status (gold of 2026-03-10): a drop"
    Path(gold_key).write_text("\n".join([text[0], ",".join(row)]) + "\n")
    with pytest.raises(check.Refused, match="let through by --allow-drop"):
        reclaim(day, approve="2002", execute=True, **APPROVER)
    _, _, out, _ = reclaim(day, approve="2002", execute=True, override_limit=True, **APPROVER)
    assert out.users["outcome"].tolist() == ["deactivated"]


# -- 5. the trail first ------------------------------------------------------------------------------

def test_the_intent_is_in_the_trail_before_the_call(day):
    _, _, out, _ = reclaim(day, approve="2001,2004", execute=True, **APPROVER)
    entries = trail.read_trail(day.systems.lake)
    kinds = [e["kind"] for e in entries if e["kind"] != "dry_run"]
    assert kinds == ["start", "intent", "answer", "intent", "answer", "summary"]
    for intent, answer in zip(entries[1::2], entries[2::2]):
        assert intent["at"] <= answer["at"] and intent["config"] == answer["config"]
    assert {e["approver"] for e in entries} == {"Ana Souza"}
    assert {e["reason"] for e in entries} == {"TICKET-1"}
    assert [e["config"].get("domainName") for e in entries if e["kind"] == "intent"] == [
        None, PORTAL]  # one call per domain, the portal user's with its domain


def test_a_trail_that_cannot_be_written_stops_before_any_call(day):
    lake_dir = Path(day.systems.lake.url)
    shutil.rmtree(lake_dir / "reclaim" / "trail", ignore_errors=True)
    (lake_dir / "reclaim").mkdir(exist_ok=True)
    (lake_dir / "reclaim" / "trail").write_text("not a folder")  # nothing can be created in it
    with pytest.raises(TrailError, match="could not be written"):
        reclaim(day, approve="2001", execute=True, **APPROVER)
    assert day.sim.users.calls == []


def test_a_corrupt_trail_object_is_named_and_stops_before_any_call(day):
    lake = day.systems.lake
    lake.create_bytes("reclaim/trail/2026-03-09/20260309T100000000000-bad-0001.json", b"{nope")
    with pytest.raises(TrailError, match=r"20260309T100000000000-bad-0001\.json is not JSON"):
        reclaim(day, approve="2001", execute=True, **APPROVER)
    assert day.sim.users.calls == []


def test_a_call_applied_but_answered_too_late_is_unknown_then_read_back(day):
    day.sim.add_fault(r"/users/inactive$", "timeout", times=None, method="PUT", seconds=1.0,
                      applied=True)
    _, _, out, journal = reclaim(day, approve="2002", execute=True, **APPROVER)
    assert out.users["outcome"].tolist() == [
        "deactivated (Zoho's answer was lost; GET /users shows it done)"]
    entries = trail.read_trail(day.systems.lake)
    answer = next(e for e in entries if e["kind"] == "answer")
    assert answer["answer"]["unknown"] is True
    [state] = [e for e in entries if e["kind"] == "state"]
    assert {u["email"]: u["state"] for u in state["users"]}["bo@two.example"] == "inactive"


# -- 7. undo, 8. removal after a second look, 9. two portals -------------------------------------------

def test_undo_activates_again_the_users_this_tool_deactivated(day):
    reclaim(day, approve="2001", execute=True, **APPROVER)
    assert not users_state(day.sim)["ana@one.example"]
    req = request(day, reactivate="2001", execute=True, **APPROVER)
    out = flow.undo(day.systems, req, flow.Journal(req.attempt_dir))
    assert out.users["outcome"].tolist() == ["activated"]
    assert users_state(day.sim)["ana@one.example"]
    with pytest.raises(ConfigError, match="no user of client\\(s\\) 2003 deactivated"):
        flow.undo(day.systems, request(day, reactivate="2003"), flow.Journal(None))


def test_a_kept_approval_file_does_not_undo_an_undo(day, tmp_path):
    """Executed, undone ("the client came back"), then the same file passed again: refused,
    no call; a decision of now by client id may still deactivate the user again."""
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["bo@two.example"])
    reclaim(day, approve=str(path), execute=True, **APPROVER)
    req = request(day, reactivate="2002", execute=True, **APPROVER)
    flow.undo(day.systems, req, flow.Journal(req.attempt_dir))
    assert users_state(day.sim)["bo@two.example"]
    calls = len(day.sim.users.calls)
    with pytest.raises(check.Refused, match=r"b\*\*\*@two.example\): deactivated under this "
                                            r"plan at .* UTC and active again since"):
        reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert len(day.sim.users.calls) == calls and users_state(day.sim)["bo@two.example"]
    _, _, out, _ = reclaim(day, approve="2002", execute=True, **APPROVER)
    assert out.users["outcome"].tolist() == ["deactivated"]


def test_removal_only_after_a_second_look_at_the_counter_in_a_later_run(day, monkeypatch):
    day.sim.users.deactivation_frees_seat = False  # Zoho's counter keeps the seat
    reclaim(day, approve="2001", execute=True, **APPROVER)
    with pytest.raises(ConfigError, match="remove: refused for client\\(s\\) 2001"):
        actions.removal_users(day.systems.lake, [2001])  # the read right after never counts
    lake = day.systems.lake
    with pytest.raises(ConfigError, match="remove: refused"):  # 59 minutes: not yet
        soon = datetime.now(timezone.utc) + timedelta(minutes=59)
        monkeypatch.setattr(check, "utc_now", lambda: soon)
        reclaim(day)
        actions.removal_users(lake, [2001])
    later = datetime.now(timezone.utc) + timedelta(minutes=61)
    monkeypatch.setattr(check, "utc_now", lambda: later)
    _, _, _, journal = reclaim(day)  # any later reclaim run takes the second look, a plan only
    assert "1 past deactivation call(s): 1 still had not moved it" in "\n".join(journal.lines)
    users = actions.removal_users(lake, [2001])
    assert users["email"].tolist() == ["ana@one.example"]
    out = flow.remove(day.systems, request(day, remove="2001", execute=True, **APPROVER),
                      flow.Journal(None))
    assert out.users["outcome"].tolist() == ["removed"]


def test_a_user_in_two_portals_is_deactivated_in_each(day):
    state = day.sim.state
    twice = SimUser("bo@two.example", True, "User", PORTAL)  # listed under the portal too
    day.sim.set_state(dataclasses.replace(state, users=state.users + (twice,)))
    day.rebuild()
    _, rows, out, _ = reclaim(day, approve="2002", execute=True, **APPROVER)
    calls = [c for c in out.calls]
    assert sorted(c["config"].get("domainName", "") for c in calls) == ["", PORTAL]
    assert out.users["outcome"].tolist() == ["deactivated"]
    assert not any(u.active for u in day.sim.state.users if u.email == "bo@two.example")


# -- 10. what the terminal shows ----------------------------------------------------------------------

def test_every_step_leaves_its_lines_for_the_terminal_masked(day):
    _, _, _, journal = reclaim(day, approve="2001", execute=True, **APPROVER)
    lines = json.loads((journal.folder / "reclaim.json").read_text())["lines"]
    assert lines == journal.lines
    text = "\n".join(lines)
    assert text.startswith("plan p") and "approved: 1 row(s)" in text
    assert "PUT /restapi/v2/users/inactive (standard): 1 user(s): 204" in text
    assert "a***@one.example: deactivated" in text and "ana@one.example" not in text


# -- 11. the report's reclaim section ------------------------------------------------------------------

def test_the_month_counts_users_freed_and_those_back_within_30_days(day):
    from seatlib.history.trail import month_figures

    reclaim(day, approve="2001,2002", execute=True, **APPROVER)
    flow.undo(day.systems, request(day, reactivate="2002", execute=True, **APPROVER),
              flow.Journal(None))
    entries = trail.read_trail(day.systems.lake)
    got = month_figures(entries, DAY, active_now={"ana@one.example"})  # seen active again
    assert got["users_deactivated"] == 2 and got["seats_freed"] == 2
    assert got["reactivated_within_30_days"] == ["ana@one.example", "bo@two.example"]
    later = month_figures(entries, DAY + timedelta(days=40), active_now={"ana@one.example"})
    assert later["reactivated_within_30_days"] == [] and later["users_deactivated"] == 0


# -- 12. what an adversary tried (each once changed Zoho without an approval that held) -----------

def set_user(day, email: str, **changes) -> None:
    """A change made by hand in Zoho's console (a role, a deactivation)."""
    st = day.sim.state
    day.sim.set_state(dataclasses.replace(st, users=tuple(
        dataclasses.replace(u, **changes) if u.email == email else u for u in st.users)))


def second_look_later(day, monkeypatch, minutes: int = 61) -> None:
    """A plain reclaim run ``minutes`` after the calls: it takes the counter's second look."""
    later = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    monkeypatch.setattr(check, "utc_now", lambda: later)
    reclaim(day)


def test_removal_is_refused_once_the_user_is_active_again_or_its_client_pays(day, monkeypatch):
    day.sim.users.deactivation_frees_seat = False
    reclaim(day, approve="2001,2002", execute=True, override_limit=True, **APPROVER)
    second_look_later(day, monkeypatch)
    flow.undo(day.systems, request(day, reactivate="2001", execute=True, **APPROVER),
              flow.Journal(None))  # undone by the tool: removal no longer takes it
    with pytest.raises(ConfigError, match=r"remove: refused for client\(s\) 2001"):
        flow.remove(day.systems, request(day, remove="2001", execute=True, **APPROVER),
                    flow.Journal(None))
    set_user(day, "bo@two.example", active=True)  # activated again by hand in Zoho
    with pytest.raises(check.Refused, match=r"b\*\*\*@two.example: active again"):
        flow.remove(day.systems, request(day, remove="2002", execute=True, **APPROVER),
                    flow.Journal(None))
    set_user(day, "bo@two.example", active=False)
    day.set_module(c2002=True)  # its client pays again
    with pytest.raises(check.Refused, match=r"serves paying client\(s\) 2002 again"):
        flow.remove(day.systems, request(day, remove="2002", execute=True, **APPROVER),
                    flow.Journal(None))
    assert {"ana@one.example", "bo@two.example"} <= set(users_state(day.sim))  # none removed


def test_removal_and_reactivation_keep_to_the_limit(day, reclaim_sim, zoho_secrets, pg_dsn,
                                                    tmp_path, monkeypatch):
    small = build_day(reclaim_sim, zoho_secrets, pg_dsn, tmp_path / "small", max_users=1)
    small.sim.users.deactivation_frees_seat = False
    reclaim(small, approve="2001,2002", execute=True, override_limit=True, **APPROVER)
    second_look_later(small, monkeypatch)
    with pytest.raises(check.Refused, match=r"2 users is more than \[reclaim\] max_users = 1"):
        flow.remove(small.systems, request(small, remove="2001,2002", execute=True, **APPROVER),
                    flow.Journal(None))
    with pytest.raises(check.Refused, match="over the limit"):
        flow.undo(small.systems, request(small, reactivate="2001,2002", execute=True,
                                         **APPROVER), flow.Journal(None))
    assert not any(users_state(small.sim)[e] for e in ("ana@one.example", "bo@two.example"))


def test_a_deactivation_whose_counter_read_fails_is_still_on_record_for_undo(day):
    # /resources: check_rows' limit, the one before the calls; the third, after the PUT, drops
    day.sim.add_fault(r"/resources$", "drop", times=1, skip=2)
    _, _, out, _ = reclaim(day, approve="2001", execute=True, **APPROVER)
    assert out.users["outcome"].tolist() == ["deactivated"]
    assert [u["email"] for e in trail.deactivations(trail.read_trail(day.systems.lake))
            for u in e["users"]] == ["ana@one.example"]
    assert actions.undo_users(day.systems.lake, [2001])["email"].tolist() == ["ana@one.example"]


def test_a_call_zoho_fails_says_so_and_stops(day):
    day.sim.add_fault(r"/users/inactive$", "http", times=None, method="PUT", status=503)
    with pytest.raises(flow.Stopped, match="call 1 of 1 failed"):
        reclaim(day, approve="2001", execute=True, **APPROVER)
    lines = json.loads((day.folder / "01-120000" / "reclaim.json").read_text())["lines"]
    assert any("not deactivated: the call failed" in line for line in lines)
    assert users_state(day.sim)["ana@one.example"]


def test_a_lost_answer_that_took_counts_for_undo_and_lets_the_next_call_go(day):
    day.sim.add_fault(r"/users/inactive$", "timeout", times=1, method="PUT", seconds=1.0,
                      applied=True)
    _, _, out, _ = reclaim(day, approve="2001,2004", execute=True, **APPROVER)
    assert sorted(out.users["outcome"]) == [
        "deactivated", "deactivated (Zoho's answer was lost; GET /users shows it done)"]
    undone = actions.undo_users(day.systems.lake, [2001, 2004])
    assert sorted(undone["email"]) == ["ana@one.example", "pia@portal.example"]


def test_a_user_made_viewer_of_a_client_paying_again_is_refused(day, tmp_path):
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["ana@one.example"])
    day.set_module(c2001=True)
    set_user(day, "ana@one.example", role="Viewer")
    with pytest.raises(check.Refused, match=r"no longer holds one of the plan's seats"):
        reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert day.sim.users.calls == [] and users_state(day.sim)["ana@one.example"]


def test_a_user_deactivated_by_hand_since_the_plan_gets_no_call(day, tmp_path):
    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, ["ana@one.example", "bo@two.example"])
    set_user(day, "ana@one.example", active=False)
    _, rows, out, journal = reclaim(day, approve=str(path), execute=True, **APPROVER)
    assert sorted(rows["email"]) == ["ana@one.example", "bo@two.example"]
    assert dict(zip(out.users["email"], out.users["outcome"])) == {
        "ana@one.example": "no call: already inactive", "bo@two.example": "deactivated"}
    assert "1 approved user(s) already inactive or gone" in "\n".join(journal.lines)


def test_an_idle_client_back_in_a_newer_gold_day_is_refused(day, tmp_path, monkeypatch):
    from seatlib.sim.state import AccessRow

    flow.make_plan(day.systems, request(day), flow.Journal(None))
    path = approve_copy(day, tmp_path, [PAYING_IDLE[1]])
    nxt = DAY + timedelta(days=1)
    st = day.sim.state
    ws = next(w for w in st.workspaces if w.name.startswith(str(PAYING_IDLE[0])))
    day.sim.set_state(dataclasses.replace(
        st, as_of=datetime(2026, 3, 11, 6, tzinfo=timezone.utc),
        access_log=st.access_log + (AccessRow(datetime(2026, 3, 11, 5, tzinfo=timezone.utc),
                                              PAYING_IDLE[1], ws.name),)))
    from seatlib.stages import extract, gold, silver
    from seatlib.stages import StageOptions
    for stage in (extract, silver, gold):
        stage.run(nxt, day.systems, StageOptions(allow_replay=True))
    monkeypatch.setattr(check, "utc_now", lambda: NOON + timedelta(days=1))
    req = flow.request(nxt, str(day.attempt()), approve=str(path), execute=True, **APPROVER)
    journal = flow.Journal(req.attempt_dir)
    approved, rows = flow.approve(day.systems, req, flow.make_plan(day.systems, req, journal),
                                  journal)
    with pytest.raises(check.Refused, match=r"i\*\*\*@idle.example"):
        flow.check_rows(day.systems, req, approved, rows, journal)
    assert day.sim.users.calls == []


def test_a_plan_from_old_gold_is_refused_by_the_clock_whatever_the_run_date(day, monkeypatch):
    monkeypatch.setattr(check, "utc_now", lambda: NOON + timedelta(days=3))
    with pytest.raises(check.Refused, match="made from gold of 2026-03-10, 3 days before "
                                            "2026-03-13"):
        reclaim(day, approve="2001", execute=True, **APPROVER)  # run_date is still DAY
    assert day.sim.users.calls == []


def test_allow_drop_given_after_the_plan_still_waits_for_override(day):
    flow.make_plan(day.systems, request(day), flow.Journal(None))  # the plan, before the rebuild
    gold_key = day.systems.lake.uri("gold/seat_capacity/2026-03-10.csv")
    text = Path(gold_key).read_text().splitlines()
    head, row = text[0].split(","), text[1].split(",")
    row[head.index("overrides")] = "seat_status (gold of 2026-03-10): a drop"
    Path(gold_key).write_text("\n".join([text[0], ",".join(row)]) + "\n")
    with pytest.raises(check.Refused, match="let through by --allow-drop"):
        reclaim(day, approve="2002", execute=True, **APPROVER)
    assert day.sim.users.calls == []


def test_undo_leaves_alone_a_user_deactivated_by_hand_after_the_tool_undid(day):
    reclaim(day, approve="2001", execute=True, **APPROVER)
    flow.undo(day.systems, request(day, reactivate="2001", execute=True, **APPROVER),
              flow.Journal(None))
    set_user(day, "ana@one.example", active=False)  # by hand, in Zoho's console
    with pytest.raises(ConfigError, match=r"no user of client\(s\) 2001 deactivated"):
        flow.undo(day.systems, request(day, reactivate="2001", execute=True, **APPROVER),
                  flow.Journal(None))
    assert not users_state(day.sim)["ana@one.example"]


def test_a_bad_approval_is_said_on_the_terminal(day):
    req = request(day, approve="9999")
    journal = flow.Journal(req.attempt_dir)
    with pytest.raises(ConfigError, match="client 9999 is in no row"):
        flow.approve(day.systems, req, flow.make_plan(day.systems, req, journal), journal)
    lines = json.loads((req.attempt_dir / "reclaim.json").read_text())["lines"]
    assert lines[-1].startswith("REFUSED: approve: client 9999 is in no row")


def test_a_spreadsheets_copy_is_read_and_an_unclear_answer_refused(day, tmp_path):
    plan = flow.make_plan(day.systems, request(day), flow.Journal(None))
    rows = plan.rows.assign(approve=["sim" if e == "bo@two.example" else ""
                                     for e in plan.rows["email"]])
    rows["row_id"] = "'" + rows["row_id"]  # a spreadsheet's text marker
    excel = tmp_path / "aprovação.csv"  # Excel in pt-BR: semicolons, Windows-1252
    excel.write_bytes(rows.to_csv(index=False, sep=";").encode("cp1252"))
    _, approved = check.approved(str(excel), plan, day.systems.lake)
    assert approved["email"].tolist() == ["bo@two.example"]
    rows["approve"] = ["ok?" if e == "ana@one.example" else "" for e in plan.rows["email"]]
    unclear = tmp_path / "unclear.csv"
    rows.to_csv(unclear, index=False, encoding="utf-8-sig")
    line = 2 + plan.rows["email"].tolist().index("ana@one.example")
    with pytest.raises(ConfigError, match=rf"line\(s\) {line} say neither yes nor no"):
        check.approved(str(unclear), plan, day.systems.lake)


def test_a_user_running_an_unknown_clients_workspace_is_left_out(day):
    from seatlib.sim.state import SimWorkspace

    st = day.sim.state
    ms = int(datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    ws = SimWorkspace("1767024000000068888", "Acme Dashboards", ms, st.owner_email,
                      (PAYING_IDLE[1],), ((st.owner_email, "Account Admin", True),
                                          (PAYING_IDLE[1], "Workspace Admin", True)))
    day.sim.set_state(dataclasses.replace(st, workspaces=st.workspaces + (ws,)))
    day.rebuild()
    plan = flow.make_plan(day.systems, request(day), flow.Journal(None))
    assert PAYING_IDLE[1] not in set(plan.rows["email"])
    assert PAYING_IDLE[1] in set(plan.exempt["email"])
    with pytest.raises(ConfigError, match=f"client {PAYING_IDLE[0]} is in no row"):
        reclaim(day, approve=str(PAYING_IDLE[0]), execute=True, **APPROVER)
