"""The incremental admins extract gives the same gold as a full one, day after day.

Twelve days of the demo world (``World(42)``, 300 workspaces in November 2026) with changes laid on
top that the world alone does not make: a workspace renamed, an admin replaced by a new user, a
second admin added (a new user), an admin deactivated, an admin removed with their user. Each day
is extracted twice against the same simulator state over HTTP, into two lakes: incrementally
(``admins_refresh_days = 7``) and fully (``StageOptions(full_refresh=True)``); silver and gold
run in-process on both and the gold CSVs must be byte-identical every day, while the incremental
extract asks ``/admins`` for a fraction of the workspaces.

The documented limit (an existing active user made admin of another workspace leaves no trace in
``GET /users``) is tested on its own: the incremental gold differs until the workspace's rolling
refresh, at most ``admins_refresh_days`` later.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta

import pandas as pd
import pytest

from seatlib.stages import admins, extract, gold, silver
from seatlib.core.config import Settings, ZohoSecrets, ZohoSettings
from seatlib.systems.lake import Lake, bronze_key, gold_key
from seatlib.sim.server import AUDIT_WORKSPACE, SimLimits, ZohoSimulator
from seatlib.sim.state import SimUser, ZohoState
from seatlib.sim.world import World
from seatlib.stages import StageOptions
from seatlib.systems import Systems
from seatlib.systems.zoho import ZohoClient

START = date(2026, 11, 1)
DAYS = 12  # more than one rolling refresh (REFRESH_DAYS), each change seen on its day
REFRESH_DAYS = 7
TABLES = ("seat_status", "seat_capacity")
INCREMENTAL = StageOptions(allow_replay=True)
FULL = StageOptions(allow_replay=True, full_refresh=True)


def _client_ws(state: ZohoState, k: int):
    return [w for w in state.workspaces if w.name != AUDIT_WORKSPACE and w.admins][k]


def _set_ws(state: ZohoState, ws, **changes) -> ZohoState:
    return dataclasses.replace(state, workspaces=tuple(
        dataclasses.replace(w, **changes) if w.workspace_id == ws.workspace_id else w
        for w in state.workspaces))


def _add_user(state: ZohoState, email: str, like: str) -> ZohoState:
    model = next(u for u in state.users if u.email == like)
    return dataclasses.replace(state, users=state.users + (
        SimUser(email, True, model.role, model.domain),))


def _with_changes(state: ZohoState, day: date) -> ZohoState:
    """The world's state with this test's changes from their day on."""
    offset = (day - START).days
    if offset >= 2:  # a rename
        ws = _client_ws(state, 3)
        state = _set_ws(state, ws, name=ws.name + " (renamed)")
    if offset >= 3:  # the admin replaced by a brand-new user
        ws = _client_ws(state, 5)
        state = _add_user(state, "new.admin@client5.example", ws.admins[0])
        state = _set_ws(state, ws, admins=("new.admin@client5.example",) + ws.admins[1:])
    if offset >= 6:  # a second admin, a new user
        ws = _client_ws(state, 7)
        state = _add_user(state, "second@client7.example", ws.admins[0])
        state = _set_ws(state, ws, admins=ws.admins + ("second@client7.example",))
    if offset >= 8:  # an admin deactivated
        gone = _client_ws(state, 9).admins[0]
        state = dataclasses.replace(state, users=tuple(
            dataclasses.replace(u, active=False) if u.email == gone else u for u in state.users))
    if offset >= 10:  # an admin removed from the workspace, their user deleted
        ws = _client_ws(state, 11)
        gone = ws.admins[0]
        state = _set_ws(state, ws, admins=ws.admins[1:])
        state = dataclasses.replace(state, users=tuple(u for u in state.users if u.email != gone))
    return state


def _settings(sim: ZohoSimulator, lake: str, org_id: str) -> Settings:
    return Settings(lake_url=lake, zoho=ZohoSettings(
        api_url=sim.url, accounts_url=sim.url, org_id=org_id, calls_per_minute=0,
        max_concurrency=4, request_timeout_s=5.0, retry_budget_s=5.0, export_timeout_s=20.0,
        export_poll_s=0.1, admins_refresh_days=REFRESH_DAYS))


def _module_status(world: World, day: date) -> pd.DataFrame:
    rows = world.company_rows(day)
    return pd.DataFrame({"client_id": [str(r["client_id"]) for r in rows],
                         "module_active": ["true" if r["bi_module_active"] else "false"
                                           for r in rows]})


def _build(systems: Systems, sim: ZohoSimulator, day: date, options: StageOptions,
           modules: pd.DataFrame) -> int:
    """Extract, silver and gold of one day; returns the /admins calls the extract made."""
    before = _admin_calls(sim)
    extract.run(day, systems, options, sources=extract.ZOHO_SOURCES)
    systems.lake.write_csv(bronze_key("module_status", day), modules)
    silver.run(day, systems, StageOptions())
    gold.run(day, systems, StageOptions())
    return _admin_calls(sim) - before


def _admin_calls(sim: ZohoSimulator) -> int:
    return sim.stats["requests"].get("GET /restapi/v2/workspaces/{ws}/admins", 0)


def _gold_bytes(lake: Lake, day: date) -> dict[str, bytes]:
    return {t: lake.read_bytes(gold_key(t, day)) for t in TABLES}


def _month(tmp_path, changes, days: int = DAYS):
    """Each day extracted incrementally and fully; yields (day, incremental gold, full gold,
    incremental /admins calls, full /admins calls, incremental admins bronze)."""
    world = World(42)
    secrets = ZohoSecrets("1000.INCR", "incr-secret", f"1000.incr-{uuid.uuid4().hex[:12]}")
    state = changes(world.zoho_state(START), START)
    sim = ZohoSimulator(state, client_id=secrets.client_id, client_secret=secrets.client_secret,
                        refresh_token=secrets.refresh_token,
                        limits=SimLimits(enabled=False, job_seconds=0.05)).start()
    try:
        with ZohoClient(_settings(sim, "x", state.org_id).zoho, secrets,
                        backoff_base_s=0.01) as client:
            lakes = {name: Systems.of(_settings(sim, str(tmp_path / name), state.org_id),
                                      shared_zoho=client) for name in ("incr", "full")}
            for n in range(days):
                day = START + timedelta(days=n)
                sim.set_state(changes(world.zoho_state(day), day))
                modules = _module_status(world, day)
                calls = {name: _build(s, sim, day, INCREMENTAL if name == "incr" else FULL,
                                      modules) for name, s in lakes.items()}
                yield (day, _gold_bytes(lakes["incr"].lake, day),
                       _gold_bytes(lakes["full"].lake, day), calls["incr"], calls["full"],
                       lakes["incr"].lake.read_csv(bronze_key(admins.SOURCE, day), dtype=str,
                                                   keep_default_na=False))
    finally:
        sim.stop()


@pytest.mark.slow
def test_incremental_gives_the_full_gold_every_day(tmp_path):
    incr_calls = full_calls = 0
    reused_days = 0
    for n, (day, incr, full, ci, cf, bronze) in enumerate(_month(tmp_path, _with_changes)):
        assert incr == full, f"gold differs on {day}"
        if n == 0:
            assert ci == cf  # no known admins yet: everything fetched
        else:
            incr_calls += ci
            full_calls += cf
        reused = (bronze["admins_fetched_on"] != day.isoformat()).sum()
        reused_days += bool(reused)
    # rows reused on all days but the first and the two whose new admin is a new user that no
    # known workspace accounts for (then every workspace is fetched)
    assert reused_days == DAYS - 3
    # about one workspace in REFRESH_DAYS a day, plus the new and changed ones
    assert incr_calls < full_calls / 3, (incr_calls, full_calls)


def _promote_existing_user(state: ZohoState, day: date) -> ZohoState:
    """From the third day on, an existing active admin of one workspace is made admin of
    another (whose admins stay otherwise): nothing changes in GET /users."""
    if (day - START).days < 2:
        return state
    donor, target = _client_ws(state, 2), _client_ws(state, 4)
    return _set_ws(state, target, admins=target.admins + (donor.admins[0],))


@pytest.mark.slow
def test_the_documented_limit_is_caught_by_the_rolling_refresh(tmp_path):
    target = _client_ws(World(42).zoho_state(START), 4).workspace_id
    differed, caught = [], None
    for day, incr, full, *_, bronze in _month(tmp_path, _promote_existing_user,
                                              days=2 + REFRESH_DAYS + 1):
        if incr != full:
            differed.append(day)
        elif differed and caught is None:
            caught = day
            row = bronze[bronze["workspace_id"] == target]
            assert set(row["admins_fetched_on"]) == {day.isoformat()}
    assert differed, "the promotion of an existing user should go unseen until the refresh"
    assert caught is not None and (caught - differed[0]).days <= REFRESH_DAYS
