"""seatlib.systems.zoho against the real local simulator (HTTP on 127.0.0.1): happy paths, OAuth,
retries, limits, exports and error translation."""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import threading
import time
from datetime import datetime, timezone

import pytest
import requests

from seatlib.core.errors import ZohoAuthError, ZohoError
from seatlib.sim.server import SimLimits
from seatlib.sim.state import SimWorkspace
from seatlib.systems.zoho import Admin, Resource, User, Workspace, ms_to_utc
from tests.fixtures.zoho import (AUDIT_WORKSPACE, ORG_ID, WS_ALPHA, WS_AUDIT, WS_BETA, WS_DELTA,
                                 WS_GAMMA, build_zoho_state, settings_for)

LAST_ACCESS_SQL = ('SELECT "Workspace Name" AS workspace_name, "Accessed By" AS user_email, '
                   'MAX("Accessed Time") AS last_access_at FROM "Access Log" '
                   'GROUP BY "Workspace Name", "Accessed By"')


# -- happy paths -------------------------------------------------------------------------------

def test_list_workspaces_owned_and_shared_with_audit(zoho_client):
    workspaces = zoho_client.list_workspaces()
    by_id = {w.workspace_id: w for w in workspaces}
    assert set(by_id) == {WS_ALPHA, WS_BETA, WS_GAMMA, WS_DELTA, WS_AUDIT}
    assert by_id[WS_ALPHA] == Workspace(WS_ALPHA, "1001 - Alpha Ltda", 1735689600000,
                                        "bi@reseller.example", True, ORG_ID)
    assert by_id[WS_DELTA].owned is False
    assert by_id[WS_AUDIT].name == AUDIT_WORKSPACE
    assert [w.owned for w in workspaces] == sorted((w.owned for w in workspaces), reverse=True)


def test_list_workspaces_deduplicates_by_id(sim_factory, make_zoho_client):
    state = build_zoho_state()
    twin = dataclasses.replace(state.workspaces[0], owned=False)  # listed owned and shared
    sim = sim_factory(dataclasses.replace(state, workspaces=state.workspaces + (twin,)))
    workspaces = make_zoho_client(settings=settings_for(sim)).list_workspaces()
    assert [w.workspace_id for w in workspaces].count(WS_ALPHA) == 1
    assert next(w for w in workspaces if w.workspace_id == WS_ALPHA).owned is True


def test_list_orgs_and_default_org_when_org_id_is_empty(zoho_sim, make_zoho_client, caplog):
    client = make_zoho_client(org_id="")
    orgs = client.list_orgs()
    assert len(orgs) == 1 and orgs[0].org_id == ORG_ID and orgs[0].is_default
    assert orgs[0].workspace_count == 4  # numberOfworkspaces: the owned ones
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        assert len(client.list_users()) == 8
        client.list_workspaces()
    assert client.org_id == ORG_ID
    assert zoho_sim.stats["requests"]["GET /restapi/v2/orgs"] == 2  # list_orgs + one resolution
    assert "using the default organisation 671712892" in caplog.text


def test_workspace_admins_sources(zoho_client):
    assert zoho_client.workspace_admins(WS_ALPHA) == (["ana@alpha.example"], "admins")
    assert zoho_client.workspace_admins(WS_BETA) == (["bob@beta.example"], "users_fallback")
    assert zoho_client.workspace_admins(WS_GAMMA) == ([], "none")
    assert zoho_client.workspace_admins(WS_DELTA) == (["dan@delta.example"], "admins")


@pytest.mark.parametrize("shape", ["list", "members", "missing"])
def test_workspace_admins_accepts_every_empty_shape(sim_factory, make_zoho_client, shape):
    sim = sim_factory(empty_admins_shape=shape)
    client = make_zoho_client(settings=settings_for(sim))
    assert client.workspace_admins(WS_BETA) == (["bob@beta.example"], "users_fallback")
    assert client.workspace_admins(WS_GAMMA) == ([], "none")


def test_workspace_users(zoho_client):
    users = zoho_client.workspace_users(WS_BETA)
    assert User("bea@beta.example", False, "User") in users
    assert User("bi@reseller.example", True, "Account Admin") in users


def test_admins_for_many_workspaces_bounded_concurrency(sim_factory, make_zoho_client, caplog):
    state = build_zoho_state()
    extra = tuple(SimWorkspace(str(1767024000000090000 + n), f"{2000 + n} - Client {n}",
                               1735689600000, "bi@reseller.example",
                               admins=(f"admin{n}@client.example",) if n % 3 else ())
                  for n in range(40))
    # 45 workspaces need ~60 calls: over the real-time 60/min limit, so limits are off here
    sim = sim_factory(dataclasses.replace(state, workspaces=state.workspaces + extra),
                      limits=SimLimits(enabled=False))
    sim.add_fault(r"/admins$", "latency", times=None, seconds=0.02)  # let threads overlap
    client = make_zoho_client(settings=settings_for(sim, max_concurrency=3))
    ids = [w.workspace_id for w in client.list_workspaces()]
    seen = []
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        result = client.admins_for(ids, progress=lambda done, total: seen.append((done, total)))
    assert list(result) == ids
    assert result[WS_BETA] == ([Admin("bob@beta.example")], "users_fallback")
    assert result["1767024000000090001"] == ([Admin("admin1@client.example")], "admins")
    assert result["1767024000000090003"] == ([], "none")
    assert seen[-1] == (45, 45) and len(seen) == 45
    assert 1 < sim.stats["max_in_flight"] <= 3
    # fast work logs no progress, only the closing line
    assert caplog.text.count("workspace admins") == 1
    assert "zoho: workspace admins: 45/45 in " in caplog.text


def test_admins_for_progress_lines_with_eta_when_slow(sim_factory, make_zoho_client, caplog,
                                                      monkeypatch):
    """Progress appears only after PROGRESS_FIRST_S, then every PROGRESS_EVERY_S or
    PROGRESS_EVERY_SHARE of the work (whichever comes later), each line with an ETA; the
    closing line always. The thresholds are shortened, the workspaces paced by latency."""
    import seatlib.systems.zoho.pacing as zoho

    monkeypatch.setattr(zoho, "PROGRESS_FIRST_S", 0.15)
    monkeypatch.setattr(zoho, "PROGRESS_EVERY_S", 0.05)
    monkeypatch.setattr(zoho, "PROGRESS_EVERY_SHARE", 0.25)
    state = build_zoho_state()
    extra = tuple(SimWorkspace(str(1767024000000090000 + n), f"{2000 + n} - Client {n}",
                               1735689600000, "bi@reseller.example",
                               admins=(f"admin{n}@client.example",)) for n in range(35))
    sim = sim_factory(dataclasses.replace(state, workspaces=state.workspaces + extra),
                      limits=SimLimits(enabled=False))
    sim.add_fault(r"/admins$", "latency", times=None, seconds=0.02)
    client = make_zoho_client(settings=settings_for(sim, max_concurrency=1))
    ids = [w.workspace_id for w in client.list_workspaces()]
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        client.admins_for(ids)
    lines = [r.getMessage() for r in caplog.records if "workspace admins" in r.getMessage()]
    progress, final = lines[:-1], lines[-1]
    assert final.startswith("zoho: workspace admins: 40/40 in ")
    # ~40 x 25 ms = 1 s: the first line after 0.15 s (not at the first workspace), then one
    # per quarter of the work at most
    assert 1 <= len(progress) <= 4
    assert all("ETA" in line and "/40 (" in line for line in progress)
    done = [int(line.split()[3].split("/")[0]) for line in progress]
    assert done[0] >= 4
    assert all(b - a >= 10 for a, b in zip(done, done[1:]))


def test_admins_for_raises_the_first_error(zoho_sim, zoho_client):
    with pytest.raises(ZohoError) as info:
        zoho_client.admins_for([WS_ALPHA, "999", WS_BETA])
    assert info.value.code == 7103
    assert "999" in info.value.call


def test_list_users(zoho_client):
    users = zoho_client.list_users()
    assert len(users) == 8
    assert User("bi@reseller.example", True, "Organization Admin") in users
    assert User("fay@gamma.example", False, "User") in users
    assert User("eve@alpha.example", True, "Viewer") in users


def test_resources(zoho_client):
    resources = {r.name: r for r in zoho_client.resources()}
    # active non-viewers: owner, ana, bob, carl, dan
    assert resources["users"] == Resource("users", 70, 5, 65)
    assert resources["roUsers"] == Resource("roUsers", 100, 1, 99)


def test_export_sql_last_access(zoho_sim, zoho_client):
    text = zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert not text.startswith("\ufeff")
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: (r["workspace_name"],
                                                                   r["user_email"]))
    assert rows == [
        {"workspace_name": "1001 - Alpha Ltda", "user_email": "ana@alpha.example",
         "last_access_at": "2026-03-09 17:05:42"},
        {"workspace_name": "1002 - Beta SA", "user_email": "ana@alpha.example",
         "last_access_at": "2026-02-20 12:00:00"},
        {"workspace_name": "1002 - Beta SA", "user_email": "bob@beta.example",
         "last_access_at": "2026-01-15 08:00:00"},
        {"workspace_name": "1004 - Delta", "user_email": "dan@delta.example",
         "last_access_at": "2026-03-08 23:59:59"},
    ]
    assert zoho_sim.stats["jobs_created"] == 1


def test_export_sql_empty_result_has_header(zoho_client):
    text = zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL.replace(
        "GROUP BY", "WHERE \"Accessed By\" = 'nobody' GROUP BY"))
    assert text.strip() == "workspace_name,user_email,last_access_at"


def test_ms_to_utc():
    assert ms_to_utc("1548914379156") == datetime(2019, 1, 31, 5, 59, 39, 156000,
                                                  tzinfo=timezone.utc)
    assert ms_to_utc(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert ms_to_utc(" 1000 ") == datetime(1970, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
    for empty in (None, "", "  ", "abc", True, " - "):
        assert ms_to_utc(empty) is None


def test_context_manager_closes(zoho_settings, zoho_secrets):
    from seatlib.systems.zoho import ZohoClient

    with ZohoClient(zoho_settings, zoho_secrets) as client:
        client.list_users()
    with pytest.raises(ZohoError, match="closed"):
        client.list_users()


def test_domain_name_is_never_sent_on_gets(make_zoho_client):
    """domainName is an answer field of these GETs, which take no CONFIG: the simulator refuses
    one with 8080, as Zoho may (docs/zoho-api-notes.md §4)."""
    client = make_zoho_client(domain_name="bi.reseller.example")
    assert len(client.list_users()) == 8
    assert client.workspace_admins(WS_BETA)[1] == "users_fallback"
    assert client.workspace_admins(WS_ALPHA) == (["ana@alpha.example"], "admins")


def test_client_portal_domains_are_kept(sim_factory, make_zoho_client):
    state = build_zoho_state()
    users = tuple(dataclasses.replace(u, domain="bi.reseller.example")
                  if u.email.endswith(("@alpha.example", "@delta.example")) else u
                  for u in state.users)
    sim = sim_factory(state=dataclasses.replace(state, users=users, client_portal=True))
    client = make_zoho_client(settings=settings_for(sim))
    domains = {u.email: u.domain for u in client.list_users()}
    assert domains["ana@alpha.example"] == "bi.reseller.example"
    assert domains["bob@beta.example"] == "analytics.zoho.com"
    assert client.workspace_admin_list(WS_ALPHA) == ([Admin("ana@alpha.example",
                                                            "bi.reseller.example")], "admins")
    # the /users fallback keeps each user's own domainName
    assert client.workspace_admin_list(WS_BETA) == ([Admin("bob@beta.example",
                                                           "analytics.zoho.com")],
                                                    "users_fallback")


def test_other_organisations_workspaces_are_left_out(sim_factory, make_zoho_client, caplog):
    state = build_zoho_state()
    foreign = (SimWorkspace("2200000000000001000", AUDIT_WORKSPACE, 1735689600000, "x@o.example",
                            owned=True, org_id="700000999888"),
               SimWorkspace("2200000000000002000", "7777 - Other", 1735689600000, "x@o.example",
                            admins=("x@o.example",), owned=False, org_id="700000123456"))
    sim = sim_factory(state=dataclasses.replace(state, workspaces=foreign + state.workspaces))
    client = make_zoho_client(settings=settings_for(sim))
    assert {w.org_id for w in client.all_workspaces()} == {ORG_ID, "700000999888",
                                                          "700000123456"}
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        ours = client.list_workspaces()
    assert {w.workspace_id for w in ours} == {WS_ALPHA, WS_BETA, WS_GAMMA, WS_DELTA, WS_AUDIT}
    assert "2 workspace(s) of other organisations (700000123456, 700000999888)" in caplog.text
    # what the filter spares us: the other organisation's workspace refuses our calls
    with pytest.raises(ZohoError) as info:
        client.workspace_admins("2200000000000002000")
    assert info.value.code == 7301


def test_date_format_from_the_table_metadata(sim_factory, make_zoho_client):
    state = dataclasses.replace(build_zoho_state(), access_time_format="MM/dd/yyyy hh:mm:ss a")
    client = make_zoho_client(settings=settings_for(sim_factory(state=state)))
    assert client.date_format(WS_AUDIT, "Access Log", "Accessed Time") == "MM/dd/yyyy hh:mm:ss a"
    assert client.date_format(WS_AUDIT, "Access Log", "Accessed By") == ""  # not a date column
    assert client.date_format(WS_AUDIT, "No Such Table", "Accessed Time") == ""
    text = client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert "03/09/2026 05:05:42 PM" in text  # the export shows times in that format


def test_an_unreadable_date_format_is_refused(sim_factory, make_zoho_client):
    state = dataclasses.replace(build_zoho_state(), access_time_format="EEE dd MMM yyyy z")
    client = make_zoho_client(settings=settings_for(sim_factory(state=state)))
    with pytest.raises(ZohoError) as info:
        client.date_format(WS_AUDIT, "Access Log", "Accessed Time")
    text = str(info.value)
    assert info.value.call.endswith("/metadata") and "'z' cannot be read" in text
    assert "choose another date format" in text


# -- OAuth ---------------------------------------------------------------------------------------

def test_one_token_per_client(zoho_sim, zoho_client):
    zoho_client.list_workspaces()
    zoho_client.list_users()
    zoho_client.resources()
    zoho_client.admins_for([WS_ALPHA, WS_BETA, WS_GAMMA, WS_DELTA])
    zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert zoho_sim.stats["tokens_issued"] == 1
    assert zoho_sim.stats["token_requests"] == 1
    assert zoho_client.tokens_obtained == 1


def test_8535_refreshes_once_then_succeeds(zoho_sim, zoho_client):
    zoho_client.list_users()
    fault = zoho_sim.add_fault(r"/users$", "expired_token", times=1)
    assert len(zoho_client.list_users()) == 8
    assert fault.fired == 1
    assert zoho_sim.stats["tokens_issued"] == 2


def test_8535_twice_is_a_clear_auth_error(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/users$", "expired_token", times=None)
    with pytest.raises(ZohoAuthError) as info:
        zoho_client.list_users()
    err = info.value
    assert err.code == 8535 and err.call == "GET /restapi/v2/users" and err.http_status == 401
    assert "revoked" in str(err) and "data centre" in str(err)
    assert zoho_sim.stats["tokens_issued"] == 2


def test_single_flight_refresh_across_threads(zoho_sim, make_zoho_client):
    client = make_zoho_client(max_concurrency=4)
    client.list_users()
    zoho_sim.invalidate_tokens()  # every thread's next call meets 8535 with the same token
    zoho_sim.add_fault(r"/admins$", "latency", times=None, seconds=0.05)
    client.admins_for([WS_ALPHA, WS_BETA, WS_GAMMA, WS_DELTA, WS_AUDIT])
    assert zoho_sim.stats["tokens_issued"] == 2
    assert client.tokens_obtained == 2


def test_invalid_code_with_http_200_is_auth_error(zoho_sim, make_zoho_client, zoho_secrets):
    bad = dataclasses.replace(zoho_secrets, refresh_token="1000.revoked-refresh-token-zz")
    with pytest.raises(ZohoAuthError) as info:
        make_zoho_client(secrets=bad).list_users()
    err = info.value
    assert err.call == "POST /oauth/v2/token" and err.http_status == 200
    assert "invalid_code" in str(err) and "ZOHO_REFRESH_TOKEN" in str(err)
    assert "revoked-refresh-token-zz" not in str(err)
    assert zoho_sim.stats["token_requests"] == 1  # not retried


def test_invalid_client_is_auth_error(make_zoho_client, zoho_secrets):
    bad = dataclasses.replace(zoho_secrets, client_secret="wrong-secret-value")
    with pytest.raises(ZohoAuthError, match="invalid_client.*ZOHO_CLIENT_SECRET"):
        make_zoho_client(secrets=bad).list_users()


def test_token_endpoint_access_denied(sim_factory, make_zoho_client):
    sim = sim_factory(limits=SimLimits(tokens_per_window=2))
    settings = settings_for(sim)
    make_zoho_client(settings=settings).list_users()
    sim.invalidate_tokens()  # else the next clients would reuse the first one's token
    make_zoho_client(settings=settings).list_users()
    sim.invalidate_tokens()
    with pytest.raises(ZohoAuthError, match="Access Denied.*10 minutes"):
        make_zoho_client(settings=settings).list_users()
    assert sim.stats["token_denied"] == 1


def test_clients_of_one_process_share_the_access_token(zoho_sim, make_zoho_client):
    first, second = make_zoho_client(), make_zoho_client()
    first.list_users()
    second.list_users()
    second.resources()
    assert zoho_sim.stats["token_requests"] == 1
    assert (first.tokens_obtained, second.tokens_obtained) == (1, 0)


def test_a_shared_token_gone_stale_earns_a_fresh_one(zoho_sim, make_zoho_client):
    a, b = make_zoho_client(), make_zoho_client()
    a.list_users()
    b.list_users()  # b holds a's token
    zoho_sim.invalidate_tokens()
    a.list_users()  # a refreshes; the process's token is now a's second one
    zoho_sim.invalidate_tokens()
    # b meets 8535, takes over a's second token, meets 8535 again: that is not the refresh
    # token's fault, so b asks for a token of its own instead of reporting it revoked
    assert len(b.list_users()) == 8
    assert zoho_sim.stats["tokens_issued"] == 3 and b.tokens_obtained == 1


def test_client_refuses_an_eleventh_token_in_ten_minutes(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/users$", "expired_token", times=None)
    # call 1: token, 8535, refresh, 8535 -> auth error (2 tokens); each later call starts with
    # the last (server-side invalid) token, so refreshes once: 1 token. 9 calls = 10 tokens.
    for _ in range(9):
        with pytest.raises(ZohoAuthError, match="revoked"):
            zoho_client.list_users()
    with pytest.raises(ZohoAuthError, match="10 access tokens were already requested"):
        zoho_client.list_users()
    assert zoho_sim.stats["tokens_issued"] == 10
    assert zoho_sim.stats["token_denied"] == 0


def test_legacy_expires_in_milliseconds(sim_factory, make_zoho_client):
    sim = sim_factory(legacy_expires_in=True)
    client = make_zoho_client(settings=settings_for(sim))
    client.list_users()
    left = client._auth.refresh_at - time.monotonic()
    assert 3200 < left <= 3300  # 3600 s minus the 5-minute margin, not 3600000 s


def test_short_token_lifetime_refreshes_before_expiry(sim_factory, make_zoho_client):
    sim = sim_factory(limits=SimLimits(token_ttl_s=1))
    client = make_zoho_client(settings=settings_for(sim))
    client.list_users()
    time.sleep(1.0)
    client.list_users()
    assert sim.stats["tokens_issued"] == 2
    assert sim.stats["errors"].get(8535, 0) == 0  # refreshed ahead, never rejected


# -- retries and errors --------------------------------------------------------------------------

RETRYABLE_FAULTS = {
    "6045-429": ("error", {"code": 6045, "status": 429}),
    "6045-http-200": ("error", {"code": 6045, "status": 200}),
    "6045-v1-shape": ("error", {"code": 6045, "status": 400, "shape": "v1"}),
    "7005-500": ("error", {"code": 7005}),
    "http-503": ("http", {"status": 503}),
    "http-502": ("http", {"status": 502}),
    "timeout": ("timeout", {"seconds": 0.8}),
    "dropped-connection": ("drop", {}),
    "malformed-json": ("malformed", {}),
    "latency": ("latency", {"seconds": 0.2}),
}


@pytest.mark.parametrize("name", list(RETRYABLE_FAULTS))
def test_retryable_faults_recover(zoho_sim, make_zoho_client, name):
    kind, opts = RETRYABLE_FAULTS[name]
    client = make_zoho_client(request_timeout_s=0.5)
    client.list_users()  # token and keep-alive connection in place
    fault = zoho_sim.add_fault(r"/users$", kind, times=2, **opts)
    assert len(client.list_users()) == 8
    assert fault.fired == (1 if kind == "latency" else 2)  # latency is slow, not a failure


def test_retry_after_is_honoured(zoho_sim, make_zoho_client):
    sleeps: list[float] = []
    client = make_zoho_client(sleep=sleeps.append, retry_budget_s=30)
    zoho_sim.add_fault(r"/users$", "error", times=1, code=6045, retry_after=7)
    client.list_users()
    assert len(sleeps) == 1 and 7 <= sleeps[0] < 7.1


def test_retries_stop_at_the_budget(zoho_sim, make_zoho_client):
    sleeps: list[float] = []
    client = make_zoho_client(sleep=sleeps.append, retry_budget_s=5.0, backoff_base_s=1.0,
                              backoff_cap_s=4.0)
    fault = zoho_sim.add_fault(r"/users$", "http", times=None, status=503)
    with pytest.raises(ZohoError) as info:
        client.list_users()
    err = info.value
    assert err.http_status == 503 and "gave up after" in str(err)
    assert sum(sleeps) <= 5.0 and fault.fired == len(sleeps) + 1 >= 2


def test_connection_refused_is_translated(make_zoho_client, zoho_sim):
    client = make_zoho_client(retry_budget_s=0.3)
    zoho_sim.stop()
    with pytest.raises(ZohoError) as info:
        client.list_users()
    assert "Zoho Accounts could not be reached" in str(info.value)
    assert not isinstance(info.value.__cause__, requests.RequestException)


def test_6043_is_not_retried(zoho_sim, zoho_client):
    fault = zoho_sim.add_fault(r"/users$", "error", times=None, code=6043)
    with pytest.raises(ZohoError) as info:
        zoho_client.list_users()
    assert info.value.code == 6043 and "tomorrow" in str(info.value)
    assert fault.fired == 1


def test_daily_units_from_the_sim_limit(sim_factory, make_zoho_client):
    sim = sim_factory(limits=SimLimits(daily_units=3))
    client = make_zoho_client(settings=settings_for(sim))
    for _ in range(3):
        client.list_users()
    with pytest.raises(ZohoError) as info:
        client.list_users()
    assert info.value.code == 6043 and info.value.http_status == 400
    assert sim.stats["units_exceeded"] == 1


@pytest.mark.parametrize("code, words", [(7301, "administrator profile"), (8540, "scope"),
                                         (8083, "ZOHO_ORG_ID")])
def test_4xx_errors_carry_a_hint_and_are_not_retried(zoho_sim, zoho_client, code, words):
    fault = zoho_sim.add_fault(r"/users$", "error", times=None, code=code, status=400)
    with pytest.raises(ZohoError) as info:
        zoho_client.list_users()
    assert info.value.code == code and words in str(info.value)
    assert info.value.call == "GET /restapi/v2/users"
    assert fault.fired == 1


def test_v1_error_shape_is_parsed(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/users$", "error", code=6021, status=400, shape="v1",
                       message="Activating Users not allowed since the users count exceeds")
    with pytest.raises(ZohoError) as info:
        zoho_client.list_users()
    assert info.value.code == 6021
    assert info.value.zoho_message.startswith("Activating Users not allowed")


def test_http_200_error_is_parsed(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/resources$", "error", code=7301, status=200,
                       message="You do not have the permission to do this operation")
    with pytest.raises(ZohoError) as info:
        zoho_client.resources()
    assert (info.value.code, info.value.http_status) == (7301, 200)


def test_wrong_org_and_unknown_workspace(zoho_sim, make_zoho_client):
    client = make_zoho_client(org_id="12345")
    with pytest.raises(ZohoError) as info:
        client.list_users()
    assert info.value.code == 7389 and "ZOHO_ORG_ID" in str(info.value)
    with pytest.raises(ZohoError) as info:
        make_zoho_client().workspace_admins("42")
    assert info.value.code == 7103 and "workspace not found" in str(info.value)


def test_secrets_never_in_exception_text_or_logs(zoho_sim, make_zoho_client, zoho_secrets,
                                                 caplog):
    client = make_zoho_client(retry_budget_s=0.5)
    texts = []
    with caplog.at_level(logging.DEBUG):
        client.list_users()
        token = client._auth.token
        # Zoho echoing secrets back must not leak them either
        zoho_sim.add_fault(r"/users$", "error", code=7301, status=403,
                           message=f"token {token} of client {zoho_secrets.client_id} "
                                   f"secret {zoho_secrets.client_secret}")
        zoho_sim.add_fault(r"/resources$", "expired_token", times=None)
        zoho_sim.add_fault(r"/workspaces$", "error", times=1, code=7005,
                           message=f"internal error for {zoho_secrets.client_secret}")
        zoho_sim.add_fault(r"/workspaces$", "http", times=None, status=500)
        for call in (client.list_users, client.resources, client.list_workspaces):
            with pytest.raises(ZohoError) as info:
                call()
            texts.append(str(info.value))
        for bad in (dataclasses.replace(zoho_secrets, refresh_token="1000.bad-rt-leak-check"),
                    dataclasses.replace(zoho_secrets, client_secret="bad-secret-leak-check")):
            with pytest.raises(ZohoAuthError) as info:
                make_zoho_client(secrets=bad).list_users()
            texts.append(str(info.value))
    everything = "\n".join(texts) + caplog.text
    for secret in (*zoho_secrets.values(), token, "bad-rt-leak-check", "bad-secret-leak-check"):
        assert secret not in everything
    assert "***" in texts[0]
    assert "internal error for ***" in caplog.text  # the retry was logged, scrubbed


# -- rate limiter ----------------------------------------------------------------------------------

def test_rate_limiter_keeps_6045_at_zero(sim_factory, make_zoho_client):
    # A Zoho "minute" of 1.2 s: 60 metadata calls per 1.2 s = 50/s. The client asks 3000/min.
    sim = sim_factory(limits=SimLimits(time_scale=0.02))
    client = make_zoho_client(settings=settings_for(sim, calls_per_minute=3000,
                                                    max_concurrency=4))
    start = time.monotonic()
    for _ in range(40):
        client.list_users()
    client.admins_for([w.workspace_id for w in client.list_workspaces()] * 1)
    threads = [threading.Thread(target=lambda: [client.resources() for _ in range(10)])
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = sim.stats["requests_total"] - sim.stats["token_requests"]
    assert calls > 60  # more than one scaled minute's allowance went through
    assert sim.stats["rate_limited"] == 0
    assert time.monotonic() - start >= (calls - 1) * 60 / 3000  # the pacing held


def test_without_limiter_6045_happens_and_is_retried(sim_factory, make_zoho_client):
    sim = sim_factory(limits=SimLimits(time_scale=0.02))
    client = make_zoho_client(settings=settings_for(sim, calls_per_minute=0))
    for _ in range(70):
        client.list_users()
    assert sim.stats["rate_limited"] >= 1  # the control: the sim limit does bite


# -- bulk export -----------------------------------------------------------------------------------

def test_export_job_failure_1003(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/bulk/", "job_fail")
    with pytest.raises(ZohoError) as info:
        zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert info.value.code == 1003 and "exportjobs" in info.value.call


def test_export_job_that_never_finishes_times_out(zoho_sim, make_zoho_client):
    client = make_zoho_client(export_timeout_s=1.0)
    zoho_sim.add_fault(r"/bulk/", "job_stuck")
    start = time.monotonic()
    with pytest.raises(ZohoError, match="did not finish within 1 s"):
        client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert time.monotonic() - start < 3


def test_export_job_lost_is_recreated_once(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/exportjobs/\d+$", "job_lost")
    assert "ana@alpha.example" in zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert zoho_sim.stats["jobs_created"] == 2


def test_export_job_lost_twice_fails(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/exportjobs/\d+$", "job_lost", times=2)
    with pytest.raises(ZohoError, match="vanished twice"):
        zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)


def test_export_download_expired_is_recreated(zoho_sim, zoho_client):
    zoho_sim.add_fault(r"/exportjobs/\d+/data$", "error", code=8120)  # HTTP 404
    assert "dan@delta.example" in zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert zoho_sim.stats["jobs_created"] == 2


def test_export_7404_is_an_sql_error_not_an_expiry(zoho_sim, zoho_client):
    # 7404 is Zoho's "SQL could not be converted for the engine": never taken for an expiry
    zoho_sim.add_fault(r"/bulk/workspaces/\d+/data$", "error", code=7404, times=None)
    with pytest.raises(ZohoError) as info:
        zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert info.value.code == 7404 and "could not convert it" in str(info.value)
    assert "expired" not in str(info.value) and zoho_sim.stats["jobs_created"] == 0


def test_export_expiry_in_the_sim(sim_factory, make_zoho_client):
    sim = sim_factory(limits=SimLimits(job_seconds=0.05, job_expiry_s=0.0))
    with pytest.raises(ZohoError, match="vanished twice"):
        make_zoho_client(settings=settings_for(sim)).export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert sim.stats["jobs_created"] == 2


def test_export_sql_error(zoho_client):
    with pytest.raises(ZohoError) as info:
        zoho_client.export_sql(WS_AUDIT, 'SELECT "Nope" FROM "Access Log"')
    assert info.value.code == 7403 and "no such column" in info.value.zoho_message
    assert "Nope" in info.value.zoho_message
    assert "access_log_table" in str(info.value)


def test_export_waits_while_five_jobs_run(sim_factory, make_zoho_client, zoho_secrets):
    sim = sim_factory(limits=SimLimits(job_seconds=0.6, max_concurrent_jobs=1))
    client = make_zoho_client(settings=settings_for(sim))
    client.list_users()
    # another job occupies the organisation's only slot
    token = client._auth.token
    requests.get(f"{sim.url}/restapi/v2/bulk/workspaces/{WS_AUDIT}/data",
                 params={"CONFIG": '{"sqlQuery":"select 1","responseFormat":"csv"}'},
                 headers={"Authorization": f"Zoho-oauthtoken {token}",
                          "ZANALYTICS-ORGID": ORG_ID}, timeout=5).raise_for_status()
    assert "bob@beta.example" in client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert sim.stats["job_limit_hits"] >= 1


# -- tolerance toward other servers written from the same documentation ----------------------------
# The docs leave room (numbers as strings or numbers, 204 for nothing, jobCode's type, where the
# token call's parameters go, ...). Each quirk makes the simulator answer the other way; the
# client must read the same facts.

def _facts(client) -> dict:
    """Everything the extract reads, in a comparable form."""
    workspaces = client.list_workspaces()
    text = client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    return {
        "orgs": client.list_orgs(),
        "workspaces": workspaces,
        "admins": client.admins_for([w.workspace_id for w in workspaces]),
        "users": client.list_users(),
        "resources": client.resources(),
        "export": (lambda rows: [rows[0]] + sorted(rows[1:]))(
            [tuple(r) for r in csv.reader(io.StringIO(text))]),
    }


@pytest.mark.parametrize("quirk", ["numbers_as_numbers", "booleans_as_strings", "empty_as_204",
                                   "job_code_numeric", "no_job_code", "csv_semicolon",
                                   "octet_stream", "camel_workspace_count",
                                   "workspace_admins_objects"])
def test_quirks_give_the_same_facts(sim_factory, make_zoho_client, quirk):
    plain = _facts(make_zoho_client(settings=settings_for(sim_factory())))
    sim = sim_factory(quirks={quirk})
    assert _facts(make_zoho_client(settings=settings_for(sim))) == plain
    assert plain["export"][0] == ("workspace_name", "user_email", "last_access_at")
    assert plain["admins"][WS_BETA] == ([Admin("bob@beta.example")], "users_fallback")


def test_204_for_an_empty_workspace_is_an_empty_list(sim_factory, make_zoho_client):
    state = build_zoho_state()
    bare = SimWorkspace("1767024000000060099", "1099 - Bare", 1735689600000, "x@y.example")
    sim = sim_factory(dataclasses.replace(state, workspaces=state.workspaces + (bare,)),
                      quirks={"empty_as_204"})
    client = make_zoho_client(settings=settings_for(sim))
    assert client.workspace_users(bare.workspace_id) == []
    assert client.workspace_admins(bare.workspace_id) == ([], "none")


@pytest.mark.parametrize("api_suffix, accounts_suffix", [
    ("/restapi/v2", "/oauth/v2/token"), ("/restapi/v2/", "/oauth/v2/"), ("/", "")])
def test_urls_with_the_documented_paths_pasted_in(zoho_sim, make_zoho_client, api_suffix,
                                                  accounts_suffix):
    client = make_zoho_client(api_url=zoho_sim.url + api_suffix,
                              accounts_url=zoho_sim.url + accounts_suffix)
    assert len(client.list_users()) == 8
    assert zoho_sim.stats["errors"] == {}


def test_a_server_mounted_under_a_path(sim_factory, make_zoho_client, zoho_secrets):
    sim = sim_factory(base_path="/zoho-standin")
    assert sim.url.endswith("/zoho-standin")
    client = make_zoho_client(settings=settings_for(sim))
    assert len(client.list_users()) == 8
    assert "ana@alpha.example" in client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    # the simulator really serves nothing outside its mount point
    outside = requests.post(f"http://127.0.0.1:{sim.port}/oauth/v2/token", timeout=5,
                            data={"grant_type": "refresh_token"})
    assert outside.status_code == 404


def test_base_url_normalisation():
    from seatlib.systems.zoho.protocol import base_url as _base_url

    api = ("/restapi/v2", "/restapi")
    assert _base_url("analyticsapi.zoho.eu", api) == "https://analyticsapi.zoho.eu"
    assert _base_url(" https://analyticsapi.zoho.eu/RESTAPI/v2/ ", api) == \
        "https://analyticsapi.zoho.eu"
    assert _base_url("http://proxy:8080/zoho/restapi", api) == "http://proxy:8080/zoho"
    assert _base_url("http://proxy:8080/zoho", api) == "http://proxy:8080/zoho"


@pytest.mark.parametrize("where", ["both", "form", "query"])
def test_token_parameters_where_the_server_reads_them(sim_factory, make_zoho_client, caplog,
                                                      where):
    sim = sim_factory(token_params=where)
    client = make_zoho_client(settings=settings_for(sim))
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        assert len(client.list_users()) == 8
        sim.invalidate_tokens()  # a later refresh goes straight to what worked
        assert len(client.list_users()) == 8
    assert client.tokens_obtained == 2
    # the form body first; only a server that did not see it at all is asked in the query string
    assert sim.stats["token_requests"] == (3 if where == "query" else 2)
    assert ("in the query string" in caplog.text) == (where == "query")


def test_credentials_refused_are_not_resent_in_the_query_string(sim_factory, make_zoho_client,
                                                                zoho_secrets):
    sim = sim_factory(token_params="form")
    bad = dataclasses.replace(zoho_secrets, client_secret="wrong-secret")
    with pytest.raises(ZohoAuthError, match="invalid_client"):
        make_zoho_client(settings=settings_for(sim), secrets=bad).list_users()
    assert sim.stats["token_requests"] == 1


def test_token_endpoint_5xx_with_a_json_body_is_retried(zoho_sim, zoho_client):
    fault = zoho_sim.add_fault(r"^/oauth/v2/token$", "http", times=2, status=503,
                               body='{"error":"server_error"}')
    assert len(zoho_client.list_users()) == 8
    assert fault.fired == 2


def test_token_endpoint_429_is_not_retried(zoho_sim, zoho_client):
    fault = zoho_sim.add_fault(r"^/oauth/v2/token$", "http", times=None, status=429, body="")
    with pytest.raises(ZohoAuthError) as info:
        zoho_client.list_users()
    assert "blocks new access tokens for 10 minutes" in str(info.value)
    assert fault.fired == 1


def test_download_url_on_another_host_is_not_followed(sim_factory, make_zoho_client, caplog):
    # e.g. a stand-in echoing the documentation's example host
    sim = sim_factory(download_url_base="https://analyticsapi.zoho.com")
    client = make_zoho_client(settings=settings_for(sim))
    with caplog.at_level(logging.INFO, logger="seatlib.systems.zoho"):
        assert "ana@alpha.example" in client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert "downloadUrl on https://analyticsapi.zoho.com" in caplog.text
    assert sim.stats["requests"][
        "GET /restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}/data"] == 1


def test_a_cut_off_answer_instead_of_the_export_file_is_fetched_again(zoho_sim, zoho_client):
    fault = zoho_sim.add_fault(r"/exportjobs/\d+/data$", "malformed")
    text = zoho_client.export_sql(WS_AUDIT, LAST_ACCESS_SQL)
    assert text.startswith("workspace_name,") and fault.fired == 1


def test_value_readers():
    from seatlib.systems.zoho.protocol import job_code as _job_code
    from seatlib.systems.zoho.records import admin_emails as _admin_emails
    from seatlib.systems.zoho.records import comma_csv as _comma_csv
    from seatlib.systems.zoho.records import int_or_none as _int_or_none

    assert [_int_or_none(v) for v in ("15", 15, 15.0, "15.0", " 7 ", "", None, "n/a", 1.5,
                                      True, "1548914379156")] == \
        [15, 15, 15, 15, 7, None, None, None, None, None, 1548914379156]
    assert _admin_emails([{"adminMembers": ["a@x.io", {"emailId": "b@x.io"}]}, "c@x.io",
                          {"emailId": "d@x.io"}, "e@x.io, f@x.io", None, 3]) == \
        ["a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io"]
    assert _admin_emails({"adminMembers": []}) == [] and _admin_emails(None) == []
    assert _job_code({"jobCode": 1004, "jobStatus": "JOB COMPLETED"}) == ("1004", "JOB COMPLETED")
    assert _job_code({"jobStatus": "job in progress"}) == ("1002", "job in progress")
    assert _job_code({"jobCode": "1003"}) == ("1003", "1003")
    assert _comma_csv('a;b\r\n"x,1";2\r\n') == 'a,b\n"x,1",2\n'
    assert _comma_csv("a\tb\n1\t2\n") == "a,b\n1,2\n"
    assert _comma_csv("a,b\n1;2\n") == "a,b\n1;2\n"  # already commas: untouched
    assert _comma_csv("only\n1\n") == "only\n1\n"
