"""User management over HTTP: seatlib.systems.zoho.users against the simulator (seatlib.sim.users)."""

from __future__ import annotations

import dataclasses
import json

import pytest
import requests

from seatlib.core.errors import ZohoAuthError, ZohoError
from seatlib.sim.users import Change, apply_changes
from tests.fixtures.reclaim import OWNER, PORTAL, reclaim_state
from tests.fixtures.zoho import settings_for


@pytest.fixture
def sim(reclaim_sim):
    return reclaim_sim


@pytest.fixture
def client(sim, make_zoho_client):
    return make_zoho_client(settings=settings_for(sim))


def states(client):
    return {u.email: u.active for u in client.list_users()}


def used(client):
    return next(r.used for r in client.resources() if r.name == "users")


def test_deactivate_answers_204_frees_the_seat_and_is_harmless_to_repeat(client, sim):
    before = used(client)
    [result] = client.users.apply("deactivate", ["ana@one.example", "bo@two.example"], None)
    assert result.ok and result.message == "204 No Content"
    assert used(client) == before - 2
    assert not states(client)["ana@one.example"]
    [again] = client.users.apply("deactivate", ["ana@one.example"], None)
    assert again.ok and used(client) == before - 2
    assert sim.users.calls[0]["emails"] == ["ana@one.example", "bo@two.example"]


def test_8114_in_a_mixed_batch_is_split_until_the_culprit_stands_alone(client, sim):
    seen = []
    results = client.users.apply("deactivate", ["ana@one.example", "ghost@nowhere.example",
                                                "bo@two.example", "cy@three.example"], None,
                                 on_call=seen.append)
    assert seen == results
    assert [(r.emails, r.ok, r.code) for r in results] == [
        (("ana@one.example", "ghost@nowhere.example", "bo@two.example", "cy@three.example"),
         False, 8114),
        (("ana@one.example", "ghost@nowhere.example"), False, 8114),
        (("ana@one.example",), True, None),
        (("ghost@nowhere.example",), False, 8114),
        (("bo@two.example", "cy@three.example"), True, None)]
    assert {e: a for e, a in states(client).items() if e.endswith(("one.example", "two.example",
                                                                    "three.example"))} == {
        "ana@one.example": False, "bo@two.example": False, "cy@three.example": False}


def test_a_portal_user_needs_its_domain(client, sim):
    [without] = client.users.apply("deactivate", ["pia@portal.example"], None)
    assert (without.ok, without.code) == (False, 8114) and states(client)["pia@portal.example"]
    [wrong] = client.users.apply("deactivate", ["pia@portal.example"], "nope.example")
    assert (wrong.ok, wrong.code) == (False, 8060)
    [standard_with_domain] = client.users.apply("deactivate", ["ana@one.example"], PORTAL)
    assert standard_with_domain.code == 8114
    [right] = client.users.apply("deactivate", ["pia@portal.example"], PORTAL)
    assert right.ok and right.config == {"emailIds": ["pia@portal.example"],
                                         "domainName": PORTAL}
    assert not states(client)["pia@portal.example"]


def test_activation_past_the_seat_limit_is_6004_or_6021(client, sim):
    client.users.apply("deactivate", ["ana@one.example"], None)
    sim.set_state(dataclasses.replace(sim.state, seats_allocated=used(client)))
    for code in (6004, 6021):
        sim.users.seat_limit_code = code
        [refused] = client.users.apply("activate", ["ana@one.example"], None)
        assert (refused.ok, refused.code) == (False, code)
    sim.set_state(dataclasses.replace(sim.state, seats_allocated=70))
    [ok] = client.users.apply("activate", ["ana@one.example"], None)
    assert ok.ok and states(client)["ana@one.example"]


def test_switch_deactivated_users_keep_their_seat_until_removed(client, sim):
    sim.users.deactivation_frees_seat = False
    before = used(client)
    client.users.apply("deactivate", ["ana@one.example"], None)
    assert used(client) == before and not states(client)["ana@one.example"]
    [removed] = client.users.apply("remove", ["ana@one.example"], None)
    assert removed.ok and removed.call == "DELETE /restapi/v2/users"
    assert used(client) == before - 1 and "ana@one.example" not in states(client)
    ws = next(w for w in sim.state.workspaces if w.name.startswith("2001"))
    assert ws.admins == () and all(e != "ana@one.example" for e, _, _ in ws.users)


def test_the_account_admin_is_refused(client):
    with pytest.raises(ZohoError, match="8516.*Account Admin"):
        client.users.apply("deactivate", [OWNER], None)


@pytest.mark.parametrize("code", [8535, 7301])
def test_a_refused_scope_names_the_scope_the_reclaim_needs(client, sim, code):
    sim.add_fault(r"/users/inactive$", "error", times=None, method="PUT", code=code)
    with pytest.raises(ZohoAuthError, match=f"code {code}.*ZohoAnalytics.usermanagement.update"):
        client.users.apply("deactivate", ["ana@one.example"], None)
    assert states(client)["ana@one.example"]


def test_config_is_read_from_the_form_body_or_the_query_string(sim, zoho_secrets):
    token = requests.post(f"{sim.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
        "client_secret": zoho_secrets.client_secret,
        "refresh_token": zoho_secrets.refresh_token}).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}", "ZANALYTICS-ORGID": "671712892"}
    config = json.dumps({"emailIds": ["ana@one.example"]})
    form = requests.put(f"{sim.url}/restapi/v2/users/inactive", data={"CONFIG": config},
                        headers=headers)
    query = requests.put(f"{sim.url}/restapi/v2/users/active", params={"CONFIG": config},
                         headers=headers)
    missing = requests.put(f"{sim.url}/restapi/v2/users/inactive", headers=headers)
    assert (form.status_code, form.content, query.status_code) == (204, b"", 204)
    assert missing.json()["data"]["errorCode"] == 8504
    assert [c["answer"] for c in sim.users.calls] == [204, 204, 8504]


def test_changes_replay_onto_another_state():
    state = reclaim_state()
    later = apply_changes(state, [Change("ana@one.example", "deactivate", keeps_seat=True),
                                  Change("bo@two.example", "remove"),
                                  Change("ghost@nowhere.example", "deactivate")])
    users = {u.email: u.active for u in later.users}
    assert users["ana@one.example"] is False and "bo@two.example" not in users
    assert later.seats_used == state.seats_used - 1  # ana keeps her seat, bo's is freed


def test_a_user_listed_under_two_domains_is_addressed_in_either_and_keeps_both_listings(
        sim_factory, make_zoho_client):
    state = reclaim_state()
    ana = next(u for u in state.users if u.email == "ana@one.example")
    twice = dataclasses.replace(ana, domain=PORTAL)
    state = dataclasses.replace(state, users=state.users + (twice,))
    sim = sim_factory(state)
    client = make_zoho_client(settings=settings_for(sim))
    [standard] = client.users.apply("deactivate", ["ana@one.example"], None)
    [portal] = client.users.apply("activate", ["ana@one.example"], PORTAL)
    assert standard.ok and portal.ok
    later = apply_changes(state, [Change("ana@one.example", "deactivate")])
    assert [(u.domain, u.active) for u in later.users if u.email == "ana@one.example"] == [
        (ana.domain, False), (PORTAL, False)]
    assert len(later.users) == len(state.users)
