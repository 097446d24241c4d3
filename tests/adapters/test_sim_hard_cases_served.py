"""The hard cases as the simulator serves them over HTTP (plain requests, no seatlib.systems.zoho):
a user listed under two domains, one seat for it, renamed and second workspaces, public
visitors and a future time in the Access Log export."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime

import pytest

from seatlib.sim.truth import client_id_of
from seatlib.sim.world import World
from tests.adapters.test_sim_server import Api, wait_for_job
from tests.fixtures.zoho import start_sim

DAY = date(2026, 12, 7)
SQL = ('SELECT "Workspace Name" AS workspace_name, "Accessed By" AS user_email, '
       'MAX("Accessed Time") AS last_access_at, COUNT(*) AS n '
       'FROM "Access Log" GROUP BY "Workspace Name", "Accessed By"')


@pytest.fixture(scope="module")
def world() -> World:
    return World(42, hard_cases=True)


@pytest.fixture
def served(world, zoho_secrets):
    sim = start_sim(world.zoho_state(DAY), zoho_secrets)
    api = Api(sim, zoho_secrets, org=world.org_id)
    yield sim, api
    api.close()
    sim.stop()


def test_a_user_under_two_domains_is_listed_twice_and_takes_one_seat(served, world):
    sim, api = served
    users = api.get("/users").json()["data"]["users"]
    twice = [e for e, n in Counter(u["emailId"] for u in users).items() if n > 1]
    assert twice == ["consultoria@bizinsight.com.br"]
    assert sorted(u["domainName"] for u in users if u["emailId"] == twice[0]) == [
        "analytics.zoho.com", "bi.seatco.example"]
    seats = {r["resourceName"]: r["resourceUsage"]
             for r in api.get("/resources").json()["data"]["resourceDetails"]}
    active = {u["emailId"] for u in users if u["status"] is True}
    assert int(seats["users"]["used"]) == len(active) == world.truth(DAY)["capacity"]["seats_used"]

    # one user: deactivated under either domain, both listings go, one seat is freed
    resp = api.session.put(f"{sim.url}/restapi/v2/users/inactive", headers={
        "Authorization": f"Zoho-oauthtoken {api.token}", "ZANALYTICS-ORGID": world.org_id},
        data={"CONFIG": json.dumps({"emailIds": [twice[0]], "domainName": ""})}, timeout=5)
    assert resp.status_code == 204
    after = api.get("/users").json()["data"]["users"]
    assert [u["status"] for u in after if u["emailId"] == twice[0]] == [False, False]
    seats = {r["resourceName"]: r["resourceUsage"]
             for r in api.get("/resources").json()["data"]["resourceDetails"]}
    assert int(seats["users"]["used"]) == len(active) - 1


def test_workspaces_renamed_second_and_twenty_digit(served, world):
    _sim, api = served
    listed = api.get("/workspaces").json()["data"]["ownedWorkspaces"]
    names = {w["workspaceId"]: w["workspaceName"] for w in listed}
    assert "12345678901234567890 - Holding Grande" in names.values()
    plain = {ws.workspace_id: ws.name for ws in World(42).zoho_state(DAY).workspaces}
    renamed = [(plain[i], n) for i, n in names.items() if i in plain and plain[i] != n]
    assert renamed and all(client_id_of(a) == client_id_of(b) for a, b in renamed)
    second = [i for i, n in names.items() if n.endswith(" (Filial)")]
    assert second
    for ws_id in second:
        admins = api.get(f"/workspaces/{ws_id}/admins").json()["data"]["workspaceAdmins"]
        users = api.get(f"/workspaces/{ws_id}/users").json()["data"]["users"]
        members = [m for group in admins for m in group["adminMembers"]]
        assert all(u["status"] is False for u in users if u["role"] == "Workspace Admin")
        assert len(members) <= 1
    truth = world.truth(DAY)
    served_by = next(e["clients"] for e in truth["ledger"]
                     if e["email"] == "consultoria@bizinsight.com.br")
    for r in [r for r in truth["clients"] if r["client_id"] in served_by
              and not r["workspace_name"].endswith(" (Filial)")][:5]:
        users = api.get(f"/workspaces/{r['workspace_id']}/users").json()["data"]["users"]
        assert ("consultoria@bizinsight.com.br", "Workspace Admin") in {
            (u["emailId"], u["role"]) for u in users}


def test_the_export_has_public_visitors_and_a_future_time(served, world):
    _sim, api = served
    audit = next(w["workspaceId"] for w in api.get("/workspaces").json()["data"]["ownedWorkspaces"]
                 if w["workspaceName"] == "Zoho Analytics Audits" and w["orgId"] == world.org_id)
    job = api.get(f"/bulk/workspaces/{audit}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv"}).json()["data"]["jobId"]
    wait_for_job(api, audit, job)
    text = api.get(f"/bulk/workspaces/{audit}/exportjobs/{job}/data").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    public = [r for r in rows if r[1] == ""]
    capacity = world.truth(DAY)["capacity"]
    assert len(public) == capacity["access_without_address"] > 0
    times = [datetime.strptime(r[2], "%d %b, %Y %H:%M:%S") for r in rows]
    ahead = [t for t in times if t > world.as_of(DAY).replace(tzinfo=None)]
    assert len(ahead) == capacity["access_future"] == 1
