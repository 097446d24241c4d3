"""The Zoho simulator's own contracts, checked with plain HTTP (no seatlib.systems.zoho): JSON shapes,
OAuth quirks, header and workspace errors, limits, the export job lifecycle and the faults."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from seatlib.sim.protocol import CODE_EXPORT_NOT_INITIATED
from seatlib.sim.server import (
    ACCESS_LOG_TABLE, AUDIT_WORKSPACE, CODE_EXPORT_JOB_NOT_FOUND, CODE_EXPORT_LIMIT,
    CODE_SQL_CONVERSION, CODE_SQL_ERROR, CODE_SQL_NOT_ALLOWED, SimLimits, ZohoSimulator,
    sample_state,
)
from tests.fixtures.zoho import (ORG_ID, WS_ALPHA, WS_AUDIT, WS_BETA, WS_DELTA, build_zoho_state,
                                 start_sim)

SQL = ('SELECT "Workspace Name", "Accessed By", MAX("Accessed Time") AS "Last Access" '
       'FROM "Access Log" GROUP BY "Workspace Name", "Accessed By"')


class Api:
    """A tiny raw client: one token, the org header, CONFIG as URL-encoded JSON."""

    def __init__(self, sim: ZohoSimulator, secrets, org: str | None = ORG_ID):
        self.sim = sim
        self.session = requests.Session()
        body = self.session.post(f"{sim.url}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": secrets.client_id,
            "client_secret": secrets.client_secret,
            "refresh_token": secrets.refresh_token}, timeout=5).json()
        self.token = body["access_token"]
        self.org = org

    def get(self, path: str, *, config=None, org: str | None | bool = True, token=None,
            **kwargs) -> requests.Response:
        headers = {"Authorization": f"Zoho-oauthtoken {token or self.token}"}
        org_id = self.org if org is True else org
        if org_id:
            headers["ZANALYTICS-ORGID"] = org_id
        params = {"CONFIG": json.dumps(config)} if config is not None else None
        kwargs.setdefault("timeout", 5)
        return self.session.get(f"{self.sim.url}/restapi/v2{path}", params=params,
                                headers=headers, **kwargs)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def api(zoho_sim, zoho_secrets):
    client = Api(zoho_sim, zoho_secrets)
    yield client
    client.close()


@pytest.fixture
def sim_with(sim_factory, zoho_secrets):
    """Start a simulator with other options, and a raw API caller for it."""
    def make(state=None, **kwargs):
        sim = sim_factory(state, **kwargs)
        return sim, Api(sim, zoho_secrets)

    return make


def error_of(resp: requests.Response) -> int:
    body = resp.json()
    assert body["status"] == "failure" and body["summary"]
    return body["data"]["errorCode"]


def wait_for_job(api: Api, ws: str, job: str, *, until=("1003", "1004", "1005"),
                 limit: float = 5.0) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        data = api.get(f"/bulk/workspaces/{ws}/exportjobs/{job}").json()["data"]
        if data["jobCode"] in until:
            return data
        time.sleep(0.02)
    raise AssertionError(f"job {job} still {data}")


# -- OAuth ---------------------------------------------------------------------------------------

def test_token_from_query_string_or_form_body(zoho_sim, zoho_secrets):
    params = {"grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
              "client_secret": zoho_secrets.client_secret,
              "refresh_token": zoho_secrets.refresh_token}
    for kwargs in ({"params": params}, {"data": params}):
        resp = requests.post(f"{zoho_sim.url}/oauth/v2/token", timeout=5, **kwargs)
        body = resp.json()
        assert resp.status_code == 200
        assert set(body) == {"access_token", "expires_in", "api_domain", "token_type"}
        assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
        assert body["api_domain"] == "https://www.zohoapis.com"
    assert zoho_sim.stats["tokens_issued"] == 2


def test_token_with_basic_auth_client_credentials(zoho_sim, zoho_secrets):
    resp = requests.post(f"{zoho_sim.url}/oauth/v2/token",
                         auth=(zoho_secrets.client_id, zoho_secrets.client_secret),
                         data={"grant_type": "refresh_token",
                               "refresh_token": zoho_secrets.refresh_token}, timeout=5)
    assert "access_token" in resp.json()


@pytest.mark.parametrize("change, error", [
    ({"refresh_token": "nope"}, "invalid_code"),
    ({"client_id": "nope"}, "invalid_client"),
    ({"client_secret": "nope"}, "invalid_client"),
    ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
])
def test_token_errors_come_with_http_200(zoho_sim, zoho_secrets, change, error):
    form = {"grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
            "client_secret": zoho_secrets.client_secret,
            "refresh_token": zoho_secrets.refresh_token, **change}
    resp = requests.post(f"{zoho_sim.url}/oauth/v2/token", data=form, timeout=5)
    assert resp.status_code == 200 and resp.json() == {"error": error}


def test_token_throttle_blocks_for_the_window(sim_with, zoho_secrets):
    sim, _ = sim_with(limits=SimLimits(tokens_per_window=3, time_scale=0.001))  # window 0.6 s
    form = {"grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
            "client_secret": zoho_secrets.client_secret,
            "refresh_token": zoho_secrets.refresh_token}
    answers = [requests.post(f"{sim.url}/oauth/v2/token", data=form, timeout=5)
               for _ in range(4)]  # the Api helper already took one
    assert ["access_token" in a.json() for a in answers] == [True, True, False, False]
    denied = answers[-1]
    assert denied.status_code == 200 and denied.json()["error"] == "Access Denied"
    assert "too many requests" in denied.json()["error_description"]
    time.sleep(0.7)
    assert "access_token" in requests.post(f"{sim.url}/oauth/v2/token", data=form,
                                           timeout=5).json()
    assert sim.stats["token_denied"] == 2


def test_oldest_token_is_evicted_after_ten(sim_with, zoho_secrets):
    sim, api = sim_with(limits=SimLimits(max_active_tokens=2))
    first = api.token
    for _ in range(2):
        Api(sim, zoho_secrets).close()
    resp = api.get("/users", token=first)
    assert resp.status_code == 401 and error_of(resp) == 8535


def test_legacy_expires_in_shape(sim_with, zoho_secrets):
    sim, _ = sim_with(legacy_expires_in=True)
    body = requests.post(f"{sim.url}/oauth/v2/token", data={
        "grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
        "client_secret": zoho_secrets.client_secret,
        "refresh_token": zoho_secrets.refresh_token}, timeout=5).json()
    assert body["expires_in"] == 3600000 and body["expires_in_sec"] == 3600


def test_expired_access_token(sim_with):
    sim, api = sim_with(limits=SimLimits(token_ttl_s=0.2))
    assert api.get("/users").status_code == 200
    time.sleep(0.3)
    resp = api.get("/users")
    assert resp.status_code == 401 and error_of(resp) == 8535
    assert resp.json()["summary"] == "INVALID_OAUTHTOKEN"


def test_auth_header_required(zoho_sim, api):
    resp = requests.get(f"{zoho_sim.url}/restapi/v2/users",
                        headers={"ZANALYTICS-ORGID": ORG_ID}, timeout=5)
    assert resp.status_code == 401 and error_of(resp) == 8518
    resp = requests.get(f"{zoho_sim.url}/restapi/v2/users", timeout=5,
                        headers={"Authorization": f"Bearer {api.token}",
                                 "ZANALYTICS-ORGID": ORG_ID})
    assert error_of(resp) == 8518  # only "Zoho-oauthtoken" is accepted
    resp = api.get("/users", token="1000.unknown")
    assert resp.status_code == 401 and error_of(resp) == 8535


# -- shapes --------------------------------------------------------------------------------------

def test_orgs_needs_no_org_header(api):
    resp = api.get("/orgs", org=None)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "success" and body["summary"]
    org = body["data"]["orgs"][0]
    assert org["orgId"] == ORG_ID and org["isDefault"] is True
    assert org["numberOfworkspaces"] == 4 and isinstance(org["orgId"], str)


def test_workspaces_shape(api):
    data = api.get("/workspaces").json()["data"]
    owned, shared = data["ownedWorkspaces"], data["sharedWorkspaces"]
    assert [w["workspaceId"] for w in shared] == [WS_DELTA]
    assert AUDIT_WORKSPACE in [w["workspaceName"] for w in owned]
    first = owned[0]
    assert set(first) == {"workspaceId", "workspaceName", "workspaceDesc", "orgId",
                          "createdTime", "createdBy", "isDefault"}
    assert first["createdTime"] == "1735689600000" and first["orgId"] == ORG_ID
    assert [w["workspaceId"] for w in api.get("/workspaces/owned").json()["data"]["workspaces"]
            ] == [w["workspaceId"] for w in owned]
    assert api.get("/workspaces/shared").json()["data"]["workspaces"] == shared


def test_single_workspace_is_an_object(api):
    data = api.get(f"/workspaces/{WS_ALPHA}").json()["data"]
    assert isinstance(data["workspaces"], dict)
    assert data["workspaces"]["workspaceName"] == "1001 - Alpha Ltda"


@pytest.mark.parametrize("shape, expected", [("list", {"workspaceAdmins": []}),
                                             ("members", {"workspaceAdmins":
                                                          [{"adminMembers": []}]}),
                                             ("missing", {})])
def test_admins_shapes(sim_with, shape, expected):
    _, api = sim_with(empty_admins_shape=shape)
    assert api.get(f"/workspaces/{WS_BETA}/admins").json()["data"] == expected
    assert api.get(f"/workspaces/{WS_ALPHA}/admins").json()["data"] == {
        "workspaceAdmins": [{"adminMembers": ["ana@alpha.example"]}]}


def test_workspace_users_views_and_org_users(api):
    users = api.get(f"/workspaces/{WS_BETA}/users").json()["data"]["users"]
    assert {"emailId": "bob@beta.example", "status": True, "role": "Workspace Admin"} in users
    assert {"emailId": "bi@reseller.example", "status": True, "role": "Account Admin"} in users
    views = api.get(f"/workspaces/{WS_AUDIT}/views").json()["data"]["views"]
    assert ACCESS_LOG_TABLE in [v["viewName"] for v in views]
    org_users = api.get("/users").json()["data"]["users"]
    assert len(org_users) == 8 and set(org_users[0]) == {"emailId", "status", "role"}


def test_resources_subscription_orgadmins(api):
    details = api.get("/resources").json()["data"]["resourceDetails"]
    assert details[0] == {"resourceName": "users", "resourceUsage": {
        "allocated": "70", "used": "5", "remaining": "65", "remarks": ""}}
    assert details[1]["resourceName"] == "roUsers"
    assert details[1]["resourceUsage"]["used"] == "1"
    sub = api.get("/subscription").json()["data"]["subscription"]
    assert sub["planName"] == "Enterprise" and sub["trialStatus"] is False
    assert api.get("/orgadmins").json()["data"] == {"orgAdmins": ["bi@reseller.example"]}


def test_set_state_swaps_what_is_served(zoho_sim, api):
    state = build_zoho_state()
    zoho_sim.set_state(dataclasses.replace(state, users=state.users[:2], seats_allocated=50))
    assert len(api.get("/users").json()["data"]["users"]) == 2
    usage = api.get("/resources").json()["data"]["resourceDetails"][0]["resourceUsage"]
    assert usage["allocated"] == "50"


# -- organisation, workspace and path errors -----------------------------------------------------

def test_org_header_errors(api):
    resp = api.get("/users", org=None)
    assert resp.status_code == 400 and error_of(resp) == 8083
    assert error_of(api.get("/workspaces", org=None)) == 8083
    assert error_of(api.get("/users", org="999")) == 7389
    assert error_of(api.get(f"/workspaces/{WS_ALPHA}/admins", org="999")) == 7387


def test_unknown_workspace_and_path(api):
    resp = api.get("/workspaces/123/admins")
    assert resp.status_code == 400 and error_of(resp) == 7103
    assert resp.json()["summary"] == "META_OBJECT_NOT_PRESENT"
    resp = api.get("/nothing/here")
    assert resp.status_code == 404 and error_of(resp) == 9404


def test_malformed_config_is_8504(api):
    resp = api.session.get(f"{api.sim.url}/restapi/v2/bulk/workspaces/{WS_AUDIT}/data",
                           params={"CONFIG": "{not json"}, timeout=5,
                           headers={"Authorization": f"Zoho-oauthtoken {api.token}",
                                    "ZANALYTICS-ORGID": ORG_ID})
    assert resp.status_code == 400 and error_of(resp) == 8504
    assert error_of(api.get(f"/bulk/workspaces/{WS_AUDIT}/data")) == 8504  # missing
    assert error_of(api.get(f"/bulk/workspaces/{WS_AUDIT}/data", config=[1])) == 8504
    assert error_of(api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                            config={"responseFormat": "csv"})) == 8079
    assert error_of(api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                            config={"sqlQuery": SQL, "responseFormat": "json"})) == 8516


def test_config_in_form_body(api):
    resp = api.session.request(
        "GET", f"{api.sim.url}/restapi/v2/bulk/workspaces/{WS_AUDIT}/data",
        data={"CONFIG": json.dumps({"sqlQuery": SQL, "responseFormat": "csv"})}, timeout=5,
        headers={"Authorization": f"Zoho-oauthtoken {api.token}", "ZANALYTICS-ORGID": ORG_ID})
    assert resp.json()["data"]["jobId"].isdigit()


# -- limits --------------------------------------------------------------------------------------

def test_metadata_limit_6045_with_retry_after(sim_with):
    sim, api = sim_with(limits=SimLimits(time_scale=0.01, metadata_per_minute=5))  # 0.6 s
    codes = [api.get("/users").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    resp = api.get("/users")
    assert error_of(resp) == 6045 and resp.headers["Retry-After"] == "1"
    time.sleep(0.65)
    assert api.get("/users").status_code == 200
    assert sim.stats["rate_limited"] == 2


def test_overall_and_bulk_buckets(sim_with):
    sim, api = sim_with(limits=SimLimits(time_scale=0.01, metadata_per_minute=100,
                                         bulk_per_minute=2, overall_per_minute=4))
    bulk = f"/bulk/workspaces/{WS_AUDIT}/exportjobs/1"
    assert [api.get(bulk).status_code for _ in range(3)] == [200, 200, 429]
    assert [api.get("/users").status_code for _ in range(3)] == [200, 200, 429]  # overall 4


def test_rate_limit_status_and_retry_after_switches(sim_with):
    _, api = sim_with(limits=SimLimits(time_scale=0.01, metadata_per_minute=1,
                                       retry_after=False, rate_limit_status=200))
    api.get("/users")
    resp = api.get("/users")
    assert resp.status_code == 200 and error_of(resp) == 6045
    assert "Retry-After" not in resp.headers


def test_daily_units_6043(sim_with):
    sim, api = sim_with(limits=SimLimits(daily_units=2, time_scale=0.0001))  # day = 8.6 s
    assert [api.get("/users").status_code for _ in range(3)] == [200, 200, 400]
    assert error_of(api.get("/users")) == 6043
    assert sim.stats["units_exceeded"] == 2


def test_limits_disabled(sim_with):
    sim, api = sim_with(limits=SimLimits(enabled=False, metadata_per_minute=1, daily_units=1))
    assert all(api.get("/users").status_code == 200 for _ in range(5))
    assert sim.stats["rate_limited"] == 0


# -- export jobs ---------------------------------------------------------------------------------

def test_export_job_lifecycle(sim_with):
    sim, api = sim_with(limits=SimLimits(job_seconds=0.3))
    created = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                      config={"sqlQuery": SQL, "responseFormat": "csv"}).json()
    assert created["summary"] == "Create bulk export job"
    job = created["data"]["jobId"]
    first = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}").json()["data"]
    assert (first["jobCode"], first["jobStatus"]) == ("1001", "JOB NOT INITIATED")
    assert "downloadUrl" not in first
    early = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data")
    assert error_of(early) == CODE_EXPORT_NOT_INITIATED  # 8121: the job has not started
    middle = wait_for_job(api, WS_AUDIT, job, until=("1002",))
    assert middle["jobStatus"] == "JOB IN PROGRESS"
    done = wait_for_job(api, WS_AUDIT, job)
    assert (done["jobCode"], done["jobStatus"]) == ("1004", "JOB COMPLETED")
    assert done["downloadUrl"] == (f"{sim.url}/restapi/v2/bulk/workspaces/{WS_AUDIT}"
                                   f"/exportjobs/{job}/data")
    assert abs(int(done["expiryTime"]) / 1000 - (time.time() + 3600)) < 5
    resp = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data")
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf")
    lines = resp.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Workspace Name,Accessed By,Last Access"
    assert "1001 - Alpha Ltda,ana@alpha.example,2026-03-09 17:05:42" in lines
    assert len([line for line in lines if line]) == 5


def test_export_csv_options(api):
    config = {"sqlQuery": 'SELECT "Accessed By" FROM "Access Log" LIMIT 1',
              "responseFormat": "csv", "includeHeader": False, "recordDelimiter": 1,
              "delimiter": 2}
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data", config=config).json()["data"]["jobId"]
    wait_for_job(api, WS_AUDIT, job)
    content = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data").content
    assert content == "\ufeffana@alpha.example\n".encode("utf-8")


def test_export_in_another_workspace_has_no_access_log(api):
    resp = api.get(f"/bulk/workspaces/{WS_ALPHA}/data",
                   config={"sqlQuery": SQL, "responseFormat": "csv"})
    assert error_of(resp) == CODE_SQL_ERROR


def test_export_extra_tables_from_state(sim_with):
    state = build_zoho_state()
    state.extra["tables"] = {WS_ALPHA: {"Sales": (("Region", "Amount"), [("East", "10")])}}
    _, api = sim_with(state)
    job = api.get(f"/bulk/workspaces/{WS_ALPHA}/data", config={
        "sqlQuery": 'select "Region", "Amount" from "Sales"', "responseFormat": "csv"}
                  ).json()["data"]["jobId"]
    wait_for_job(api, WS_ALPHA, job)
    assert api.get(f"/bulk/workspaces/{WS_ALPHA}/exportjobs/{job}/data"
                   ).content == "\ufeffRegion,Amount\r\nEast,10\r\n".encode()


@pytest.mark.parametrize("sql, code", [
    ('SELECT "Nope" FROM "Access Log"', CODE_SQL_ERROR), ("SELEC 1", CODE_SQL_NOT_ALLOWED),
    ('DELETE FROM "Access Log"', CODE_SQL_NOT_ALLOWED),
    ("select 1; select 2", CODE_SQL_NOT_ALLOWED), ('SELECT * FROM "Activity Log"', CODE_SQL_ERROR),
    ('SELECT "Accessed By" FROM "Access Log" WHERE', CODE_SQL_ERROR),
    ('SELECT NO_SUCH_FN("Accessed By") FROM "Access Log"', CODE_SQL_CONVERSION)])
def test_export_bad_sql(api, sql, code):
    resp = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                   config={"sqlQuery": sql, "responseFormat": "csv"})
    assert resp.status_code == 400 and error_of(resp) == code


def test_export_concurrency_limit(sim_with):
    sim, api = sim_with(limits=SimLimits(job_seconds=0.4))
    config = {"sqlQuery": SQL, "responseFormat": "csv"}
    jobs = [api.get(f"/bulk/workspaces/{WS_AUDIT}/data", config=config) for _ in range(6)]
    assert [r.status_code for r in jobs] == [200] * 5 + [400]
    assert error_of(jobs[-1]) == CODE_EXPORT_LIMIT
    assert sim.stats["job_limit_hits"] == 1
    wait_for_job(api, WS_AUDIT, jobs[0].json()["data"]["jobId"])
    assert api.get(f"/bulk/workspaces/{WS_AUDIT}/data", config=config).status_code == 200


def test_export_expiry(sim_with):
    _, api = sim_with(limits=SimLimits(job_seconds=0.05, job_expiry_s=0.2))
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv"}).json()["data"]["jobId"]
    wait_for_job(api, WS_AUDIT, job, until=("1004",))
    time.sleep(0.3)
    assert api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}").json()["data"][
        "jobCode"] == "1005"
    assert error_of(api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data")
                    ) == CODE_EXPORT_JOB_NOT_FOUND
    assert api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data").status_code == 404


def test_unknown_job_is_1005(api):
    data = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/42").json()["data"]
    assert (data["jobCode"], data["jobStatus"]) == ("1005", "JOB NOT FOUND")


@pytest.mark.parametrize("kind, code", [("job_fail", "1003"), ("job_stuck", "1002")])
def test_job_faults(zoho_sim, api, kind, code):
    zoho_sim.add_fault(r"/bulk/", kind)
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv"}).json()["data"]["jobId"]
    time.sleep(0.2)
    data = wait_for_job(api, WS_AUDIT, job, until=(code,)) if code != "1002" else \
        api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}").json()["data"]
    assert data["jobCode"] == code


def test_job_lost_fault(zoho_sim, api):
    zoho_sim.add_fault(r"/exportjobs/", "job_lost")
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv"}).json()["data"]["jobId"]
    assert api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}").json()["data"][
        "jobCode"] == "1005"


# -- faults --------------------------------------------------------------------------------------

def test_error_fault_shapes_and_counting(zoho_sim, api):
    fault = zoho_sim.add_fault(r"/users$", "error", times=2, code=6045, status=200,
                               retry_after=3)
    resp = api.get("/users")
    assert resp.status_code == 200 and error_of(resp) == 6045
    assert resp.headers["Retry-After"] == "3"
    zoho_sim.clear_faults()
    zoho_sim.add_fault(r"/users$", "error", code=6021, status=400, shape="v1",
                       message="Activating Users not allowed")
    body = api.get("/users").json()
    assert body["response"]["error"] == {"code": 6021, "message": "Activating Users not allowed"}
    assert body["response"]["uri"] == "/restapi/v2/users"
    assert api.get("/users").status_code == 200  # times=1 spent
    assert fault.fired == 1


def test_http_malformed_latency_and_method_faults(zoho_sim, api):
    zoho_sim.add_fault(r"/users$", "http", status=502)
    resp = api.get("/users")
    assert resp.status_code == 502 and resp.headers["Content-Type"].startswith("text/html")
    zoho_sim.add_fault(r"/users$", "malformed")
    with pytest.raises(ValueError):
        api.get("/users").json()
    zoho_sim.add_fault(r"/users$", "latency", seconds=0.3)
    start = time.monotonic()
    assert api.get("/users").status_code == 200
    assert time.monotonic() - start >= 0.3
    zoho_sim.add_fault(r"/users$", "http", method="POST", status=500)
    assert api.get("/users").status_code == 200  # not a POST


def test_drop_and_timeout_faults(zoho_sim, api):
    zoho_sim.add_fault(r"/users$", "drop")
    with pytest.raises(requests.ConnectionError):
        api.get("/users")
    zoho_sim.add_fault(r"/users$", "timeout", seconds=0.5)
    with pytest.raises(requests.Timeout):
        api.get("/users", timeout=0.2)
    assert api.get("/resources").status_code == 200  # the server keeps serving


def test_expired_token_fault_invalidates_the_token(zoho_sim, api):
    zoho_sim.add_fault(r"/users$", "expired_token")
    assert error_of(api.get("/users")) == 8535
    assert error_of(api.get("/resources")) == 8535  # the token is gone for good


def test_token_path_faults(zoho_sim, zoho_secrets):
    zoho_sim.add_fault(r"^/oauth/", "http", status=503)
    assert requests.post(f"{zoho_sim.url}/oauth/v2/token", timeout=5).status_code == 503


def test_bad_fault_arguments(zoho_sim):
    with pytest.raises(ValueError):
        zoho_sim.add_fault("x", "explode")
    with pytest.raises(ValueError):
        zoho_sim.add_fault("x", "error")


# -- answers other servers written from the docs may give (quirks) -------------------------------

def test_quirks_change_the_shapes(sim_with):
    sim, api = sim_with(quirks={"numbers_as_numbers", "booleans_as_strings", "empty_as_204",
                                "job_code_numeric", "csv_semicolon", "octet_stream",
                                "camel_workspace_count", "workspace_admins_objects"},
                        limits=SimLimits(job_seconds=0.05))
    usage = api.get("/resources").json()["data"]["resourceDetails"][0]["resourceUsage"]
    assert usage == {"allocated": 70, "used": 5, "remaining": 65, "remarks": ""}
    assert {u["status"] for u in api.get("/users").json()["data"]["users"]} == {"true", "false"}
    owned = api.get("/workspaces").json()["data"]["ownedWorkspaces"]
    assert isinstance(owned[0]["createdTime"], int)
    org = api.get("/orgs", org=False).json()["data"]["orgs"][0]
    assert "numberOfWorkspaces" in org and "numberOfworkspaces" not in org
    empty = api.get(f"/workspaces/{WS_BETA}/admins")
    assert empty.status_code == 204 and empty.content == b""
    assert api.get(f"/workspaces/{WS_ALPHA}/admins").json()["data"] == {
        "workspaceAdmins": [{"emailId": "ana@alpha.example"}]}
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv", "delimiter": 0}
                  ).json()["data"]["jobId"]
    deadline = time.monotonic() + 5
    while (data := api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}").json()["data"]
           )["jobCode"] != 1004:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert isinstance(data["expiryTime"], int)
    file = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/{job}/data")
    assert file.headers["Content-Type"] == "application/octet-stream"
    assert file.content.startswith(b"Workspace Name;Accessed By;Last Access\r\n")


def test_quirk_without_job_code(sim_with):
    sim, api = sim_with(quirks={"no_job_code"})
    data = api.get(f"/bulk/workspaces/{WS_AUDIT}/exportjobs/123").json()["data"]
    assert data == {"jobId": "123", "jobStatus": "JOB NOT FOUND"}


def test_bad_simulator_options(zoho_secrets):
    common = dict(client_id="a", client_secret="b", refresh_token="c")
    for bad in ({"quirks": {"nope"}}, {"token_params": "header"}, {"base_path": "zoho"},
                {"empty_admins_shape": "odd"}):
        with pytest.raises(ValueError):
            ZohoSimulator(**common, **bad)


@pytest.mark.parametrize("where", ["form", "query"])
def test_token_params_read_from_one_place_only(sim_with, zoho_secrets, where):
    sim, api = sim_with(token_params="both")  # Api takes its token from the form body...
    sim.token_params = where  # ...then the switch applies from the next token call on
    params = {"grant_type": "refresh_token", "client_id": zoho_secrets.client_id,
              "client_secret": zoho_secrets.client_secret,
              "refresh_token": zoho_secrets.refresh_token}
    url = f"{sim.url}/oauth/v2/token"
    by_form = requests.post(url, data=params, timeout=5).json()
    by_query = requests.post(url, params=params, timeout=5).json()
    good, bad = (by_form, by_query) if where == "form" else (by_query, by_form)
    assert "access_token" in good
    assert bad == {"error": "unsupported_grant_type"}


def test_base_path_mounts_everything_under_it(sim_with, zoho_secrets):
    sim, api = sim_with(base_path="/zoho/")
    assert sim.url == f"http://127.0.0.1:{sim.port}/zoho"
    assert api.get("/users").status_code == 200  # Api builds on sim.url
    outside = requests.get(f"http://127.0.0.1:{sim.port}/restapi/v2/users", timeout=5,
                           headers={"Authorization": f"Zoho-oauthtoken {api.token}",
                                    "ZANALYTICS-ORGID": ORG_ID})
    assert outside.status_code == 404 and error_of(outside) == 9404


def test_download_url_base(sim_with):
    sim, api = sim_with(download_url_base="https://analyticsapi.zoho.com",
                        limits=SimLimits(job_seconds=0.05))
    job = api.get(f"/bulk/workspaces/{WS_AUDIT}/data",
                  config={"sqlQuery": SQL, "responseFormat": "csv"}).json()["data"]["jobId"]
    data = wait_for_job(api, WS_AUDIT, job)
    assert data["downloadUrl"] == (f"https://analyticsapi.zoho.com/restapi/v2/bulk/workspaces/"
                                   f"{WS_AUDIT}/exportjobs/{job}/data")


# -- server plumbing -----------------------------------------------------------------------------

def test_stats_and_keep_alive(zoho_sim, api):
    for _ in range(3):
        api.get("/users")
    api.get(f"/workspaces/{WS_ALPHA}/admins")
    stats = zoho_sim.stats
    assert stats["requests"]["GET /restapi/v2/users"] == 3
    assert stats["requests"]["GET /restapi/v2/workspaces/{ws}/admins"] == 1
    assert stats["tokens_issued"] == 1 and stats["units_used"] == 4
    assert stats["max_in_flight"] == 1
    resp = api.get("/users")
    assert resp.raw.version == 11 and "close" not in resp.headers.get("Connection", "")


def test_stop_closes_idle_connections_and_frees_the_port(zoho_secrets):
    sim = start_sim(build_zoho_state(), zoho_secrets)
    api = Api(sim, zoho_secrets)
    api.get("/users")
    port = sim.port
    start = time.monotonic()
    sim.stop()
    assert time.monotonic() - start < 2
    with pytest.raises(requests.ConnectionError):
        api.get("/users")
    with socket.socket() as probe:  # nothing listens any more
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    api.close()


def test_default_state_is_the_sample(zoho_secrets):
    with ZohoSimulator(client_id="a", client_secret="b", refresh_token="c") as sim:
        assert sim.state.org_id == sample_state().org_id
        assert sim.url.startswith("http://127.0.0.1:")


def test_cli_serves_the_sample_state():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from seatlib.core.config import REPO_ROOT as root

    proc = subprocess.Popen([sys.executable, "-m", "seatlib.sim.server", "--port", str(port)],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        token = requests.post(f"http://127.0.0.1:{port}/oauth/v2/token", data={
            "grant_type": "refresh_token", "client_id": "sim-client-id",
            "client_secret": "sim-client-secret", "refresh_token": "sim-refresh-token"},
            timeout=5).json()["access_token"]
        resp = requests.get(f"http://127.0.0.1:{port}/restapi/v2/workspaces", timeout=5,
                            headers={"Authorization": f"Zoho-oauthtoken {token}",
                                     "ZANALYTICS-ORGID": sample_state().org_id})
        assert resp.json()["data"]["ownedWorkspaces"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)
