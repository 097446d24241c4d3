"""The reclaim end to end in-process: plan, dry run, execution and removal against the simulator,
with the trail in a real lake folder."""

from __future__ import annotations

import dataclasses

import pytest

from seatlib import config as cfg
from seatlib import reclaim, trail
from seatlib.errors import ConfigError
from seatlib.systems import Systems
from seatlib.trail import Actor
from tests.fixtures.reclaim import (DAY, EX_CLIENTS, PORTAL, with_domains,
                                    write_day)
from tests.fixtures.zoho import settings_for

ME = Actor("tester", "testhost")


@pytest.fixture
def sim(reclaim_sim):
    return reclaim_sim


def systems_for(sim, secrets, lake_dir, **reclaim_overrides) -> Systems:
    # runs_dir too: the default, runs/, is the repository's own, where the alerts would land
    settings = cfg.Settings(zoho=settings_for(sim, retry_budget_s=0.3), lake_url=str(lake_dir),
                            runs_dir=str(lake_dir / "runs"),
                            reclaim=dataclasses.replace(cfg.ReclaimSettings(),
                                                        **reclaim_overrides))
    systems = Systems.of(settings, zoho_secrets=secrets)
    write_day(systems.lake, sim.state)
    return systems


def run(systems, approve, *, execute, action="deactivate"):
    rows = (with_domains(reclaim.select(reclaim.plan(systems), approve))
            if action == "deactivate" else reclaim.removal_selection(systems, approve))
    return reclaim.execute(systems, rows, run_date=DAY, execute=execute, action=action, actor=ME)


def test_a_dry_run_changes_nothing_but_writes_its_record(sim, zoho_secrets, tmp_path):
    systems = systems_for(sim, zoho_secrets, tmp_path)
    before = sim.state
    out = run(systems, "2001,2004", execute=False)
    assert sim.state == before and sim.users.calls == []
    assert out.dry_run and out.seats_after is None
    assert out.calls == [  # one call per domain, in the plan's order (pia idles longest)
        {"call": "PUT /restapi/v2/users/inactive", "domain": PORTAL,
         "emails": ["pia@portal.example"]},
        {"call": "PUT /restapi/v2/users/inactive", "domain": None, "emails": ["ana@one.example"]}]
    [entry] = trail.read_trail(systems.lake)
    assert (entry["kind"], entry["dry_run"], entry["user"], entry["host"]) == (
        "dry_run", True, "tester", "testhost")
    assert entry["seats_before"]["used"] == before.seats_used


def test_an_approved_run_frees_the_seats_and_writes_the_trail(sim, zoho_secrets, tmp_path):
    systems = systems_for(sim, zoho_secrets, tmp_path)
    used = sim.state.seats_used
    out = run(systems, "2001,2004", execute=True)
    assert out.users["outcome"].tolist() == ["deactivated", "deactivated"]
    assert (out.seats_before["used"], out.seats_after["used"]) == (used, used - 2)
    assert "2 seat(s) freed" in out.counter_note
    users = {u.email: u.active for u in sim.state.users}
    assert not users["ana@one.example"] and not users["pia@portal.example"]
    assert users["bo@two.example"]  # not approved, not touched
    entries = trail.read_trail(systems.lake)
    assert [e["kind"] for e in entries] == ["call", "call", "summary"]
    assert entries[0]["config"] == {"emailIds": ["pia@portal.example"], "domainName": PORTAL}
    assert entries[0]["answer"]["ok"] and entries[0]["counter_moved"] is True
    assert (entries[0]["seats_before"]["used"], entries[1]["seats_after"]["used"]) == (
        used, used - 2)
    summary = trail.trail_summary(systems.lake, DAY)
    assert summary[["deactivated", "seats_freed"]].values.tolist() == [[2, 2]]
    again = run(systems, "2001", execute=True)  # safe to repeat: no call at all
    assert again.users["outcome"].tolist() == ["no call: already inactive"]
    assert len(sim.users.calls) == 2


def test_a_non_member_in_the_batch_does_not_block_the_others(sim, zoho_secrets, tmp_path):
    systems = systems_for(sim, zoho_secrets, tmp_path)
    # without its domain (silver before the fidelity change), the portal user is not a member
    # of the standard organisation: Zoho refuses her (8114) and the other two go through
    rows = reclaim.select(reclaim.plan(systems), "2001,2002,2004")
    out = reclaim.execute(systems, rows, run_date=DAY, execute=True, actor=ME)
    outcomes = dict(zip(out.users["email"], out.users["outcome"]))
    assert outcomes["ana@one.example"] == outcomes["bo@two.example"] == "deactivated"
    assert outcomes["pia@portal.example"] == (
        "not deactivated: Zoho refused with 8114 (not a member of the organisation, or of the "
        "portal domain it was sent with)")
    [call] = [e for e in trail.read_trail(systems.lake) if e["kind"] == "call"][:1]
    assert call["answer"]["code"] == 8114 and len(call["users"]) == 3


def test_a_failure_in_the_middle_then_a_second_run_finishes_the_rest(sim, zoho_secrets,
                                                                    tmp_path):
    systems = systems_for(sim, zoho_secrets, tmp_path, batch_size=1)
    sim.add_fault(r"/users/inactive$", "http", times=None, method="PUT", status=503, skip=1)
    first = run(systems, "2001,2002,2003", execute=True)  # plan order: cy, bo, ana
    assert first.users["email"].tolist() == ["cy@three.example", "bo@two.example",
                                             "ana@one.example"]
    outcomes = first.users["outcome"].tolist()
    assert outcomes[0] == "deactivated"
    assert outcomes[1:] == ["not deactivated: the run stopped before its call (run again to "
                            "finish)"] * 2
    assert "HTTP 503" in first.stopped
    kinds = [e["kind"] for e in trail.read_trail(systems.lake)]
    assert kinds == ["call", "stopped", "summary"]
    sim.clear_faults()
    sent_before = len(sim.users.calls)
    second = run(systems, "2001,2002,2003", execute=True)
    assert second.users["outcome"].tolist() == ["no call: already inactive", "deactivated",
                                                "deactivated"]
    sent = [c["emails"] for c in sim.users.calls[sent_before:]]
    assert sent == [["bo@two.example"], ["ana@one.example"]]  # the done one untouched


def test_when_the_counter_does_not_move_it_says_so_and_offers_removal(sim, zoho_secrets,
                                                                     tmp_path):
    systems = systems_for(sim, zoho_secrets, tmp_path)
    with pytest.raises(ConfigError, match="remove: refused for client.* 2001"):
        reclaim.removal_selection(systems, "2001")
    sim.users.deactivation_frees_seat = False
    used = sim.state.seats_used
    out = run(systems, "2001,2004", execute=True)
    assert out.seats_after["used"] == used
    assert "did not move" in out.counter_note and "--remove" in out.counter_note
    with pytest.raises(ConfigError, match="refused for client.* 2002"):
        reclaim.removal_selection(systems, "2001,2002")  # 2002 was never deactivated
    dry = run(systems, "2001,2004", execute=False, action="remove")
    assert [c["call"] for c in dry.calls] == ["DELETE /restapi/v2/users"] * 2
    assert sim.state.seats_used == used
    removed = run(systems, "2001,2004", execute=True, action="remove")
    assert removed.users["outcome"].tolist() == ["removed", "removed"]
    assert removed.seats_after["used"] == used - 2
    emails = {u.email for u in sim.state.users}
    assert not {"ana@one.example", "pia@portal.example"} & emails


def test_no_gold_yet_is_an_error_naming_what_to_do(tmp_path):
    systems = Systems.of(cfg.Settings(lake_url=str(tmp_path)))
    with pytest.raises(Exception, match="run the daily pipeline"):
        reclaim.plan(systems)


def test_the_trail_is_never_rewritten(tmp_path):
    from seatlib.errors import LakeError
    from seatlib.lake import Lake

    lake = Lake(str(tmp_path))
    lake.create_bytes("reclaim/trail/x.json", b"1")
    with pytest.raises(LakeError, match="exists already"):
        lake.create_bytes("reclaim/trail/x.json", b"2")
    assert lake.read_bytes("reclaim/trail/x.json") == b"1"
    assert lake.list("reclaim/") == ["reclaim/trail/x.json"]
    assert len(EX_CLIENTS) == 4
