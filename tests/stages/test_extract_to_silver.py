"""The extract and silver over the simulator for what docs/seats.md asks of their data: Access
Log rows without an address or from the future, and a user ``GET /users`` lists under two
portal domains. A small organisation (``tests/fixtures/zoho.py``) with the case added, the four
Zoho sources extracted over HTTP into a temporary lake, then silver built from that bronze.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from seatlib.stages import extract, silver
from seatlib.core.config import Settings, ZohoSecrets
from seatlib.systems.lake import Lake, bronze_key
from seatlib.sim.server import ZohoSimulator
from seatlib.sim.state import AccessRow, SimUser, ZohoState
from seatlib.stages import StageOptions
from seatlib.systems import Systems
from tests.fixtures.zoho import build_zoho_state, settings_for

#: the simulator's state is of now, so that a row a year ahead is after the extract's start
NOW = datetime.now(timezone.utc).replace(microsecond=0)
DAY = NOW.date()


def _run(sim_factory, zoho_secrets: ZohoSecrets, state: ZohoState, tmp_path) -> Lake:
    """Extract the Zoho sources of ``state`` for today, add a module_status bronze by hand (no
    company database here), build silver; the lake."""
    sim: ZohoSimulator = sim_factory(state)
    settings = Settings(lake_url=str(tmp_path / "lake"), zoho=settings_for(sim))
    systems = Systems.of(settings, zoho_secrets=zoho_secrets)
    extract.run(DAY, systems, StageOptions(allow_replay=True), sources=extract.ZOHO_SOURCES)
    systems.lake.write_bytes(bronze_key("module_status", DAY),
                             b"client_id,module_active\n1001,true\n1002,false\n")
    silver.run(DAY, systems)
    return systems.lake


@pytest.fixture
def seatlib_log(caplog):
    """caplog for the ``seatlib`` loggers (the runner may have turned off their propagation)."""
    logger = logging.getLogger("seatlib")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def _bronze(lake: Lake, source: str) -> pd.DataFrame:
    return lake.read_csv(bronze_key(source, DAY), dtype=str, keep_default_na=False)


def test_a_public_visitor_and_a_future_access_reach_silver_apart(sim_factory, zoho_secrets,
                                                                 tmp_path, seatlib_log):
    state = build_zoho_state()
    year_on = NOW + timedelta(days=365)
    access = state.access_log + (
        AccessRow(NOW - timedelta(hours=2), "", "1001 - Alpha Ltda"),  # a public visitor
        AccessRow(year_on, "ana@alpha.example", "1001 - Alpha Ltda"),  # a clock gone wrong
        AccessRow(year_on, "bob@beta.example", "1002 - Beta SA"))  # bob's only other access
    state = dataclasses.replace(state, as_of=NOW, access_log=access)
    lake = _run(sim_factory, zoho_secrets, state, tmp_path)

    bronze = _bronze(lake, "zoho_last_access").set_index(["workspace_name", "user_email"])
    visitor = bronze.loc[("1001 - Alpha Ltda", "")]
    assert visitor["last_access_at"] == (NOW - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")
    assert visitor["future_accesses"] == "0"
    ana = bronze.loc[("1001 - Alpha Ltda", "ana@alpha.example")]
    assert (ana["last_access_at"], ana["future_accesses"]) == ("2026-03-09 17:05:42", "1")
    assert bronze.loc[("1002 - Beta SA", "bob@beta.example"), "future_accesses"] == "1"
    assert "zoho_last_access: 2 access(es) of 2 workspace/user pair(s) logged after" in seatlib_log.text
    assert "malformed" not in seatlib_log.text  # an empty "Accessed By" is not a bad address

    df = silver.read(lake, DAY, ("zoho_last_access",))["zoho_last_access"]
    assert str(df["future_accesses"].dtype) == "Int64"
    rows = {(r.workspace_name, None if pd.isna(r.user_email) else r.user_email):
            (None if pd.isna(r.last_access_at) else r.last_access_at, r.future_accesses)
            for r in df.itertuples()}
    assert rows[("1001 - Alpha Ltda", None)] == (pd.Timestamp(NOW - timedelta(hours=2)), 0)
    assert rows[("1001 - Alpha Ltda", "ana@alpha.example")] == (
        pd.Timestamp("2026-03-09 17:05:42Z"), 1)
    assert rows[("1002 - Beta SA", "bob@beta.example")] == (pd.Timestamp("2026-01-15 08:00Z"), 1)
    assert int(df["future_accesses"].sum()) == 2


def test_every_access_of_a_pair_in_the_future_leaves_it_without_a_time(sim_factory, zoho_secrets,
                                                                       tmp_path):
    state = build_zoho_state()
    late = AccessRow(NOW + timedelta(minutes=30), "carl@gamma.example", "1003 - Gamma")
    state = dataclasses.replace(state, as_of=NOW, access_log=state.access_log + (late,))
    lake = _run(sim_factory, zoho_secrets, state, tmp_path)

    bronze = _bronze(lake, "zoho_last_access").set_index(["workspace_name", "user_email"])
    carl = bronze.loc[("1003 - Gamma", "carl@gamma.example")]
    assert (carl["last_access_at"], carl["future_accesses"]) == ("", "1")
    df = silver.read(lake, DAY, ("zoho_last_access",))["zoho_last_access"]
    carl = df[df["user_email"] == "carl@gamma.example"].iloc[0]
    assert pd.isna(carl["last_access_at"]) and carl["future_accesses"] == 1


def test_a_user_listed_under_two_domains_is_two_listings_in_bronze_and_one_user_in_silver(
        sim_factory, zoho_secrets, tmp_path):
    state = build_zoho_state()
    gil = (SimUser("gil@portal.example", False, "User", "bi.seatco.example"),
           SimUser("Gil@portal.example", True, "User", "reports.other.example"))
    state = dataclasses.replace(state, as_of=NOW, users=state.users + gil, client_portal=True)
    lake = _run(sim_factory, zoho_secrets, state, tmp_path)

    bronze = _bronze(lake, "zoho_users")
    assert len(bronze) == len(state.users)  # every listing
    assert bronze[bronze["email"].str.lower() == "gil@portal.example"].values.tolist() == [
        ["Gil@portal.example", "true", "User", "reports.other.example"],
        ["gil@portal.example", "false", "User", "bi.seatco.example"]]  # in key order
    users = silver.read(lake, DAY, ("zoho_users",))["zoho_users"].set_index("email")
    assert len(users) == len(state.users) - 1
    assert users.loc["gil@portal.example", ["active", "role", "domain", "domains"]].tolist() == [
        True, "User", "bi.seatco.example", "bi.seatco.example; reports.other.example"]
    assert users.loc["ana@alpha.example", ["domain", "domains"]].tolist() == [
        "analytics.zoho.com"] * 2


def test_users_without_a_repeated_address_land_as_before(sim_factory, zoho_secrets, tmp_path):
    """The key (email, domain) sorts a frame of distinct addresses as (email) did: the same
    bytes as the extract wrote before users could be listed twice."""
    state = dataclasses.replace(build_zoho_state(), as_of=NOW, client_portal=True)
    lake = _run(sim_factory, zoho_secrets, state, tmp_path)
    bronze = _bronze(lake, "zoho_users")
    as_before = bronze.sort_values("email", kind="stable").reset_index(drop=True)
    other = Lake(str(tmp_path / "other"))
    other.write_csv("x.csv", as_before)
    assert lake.read_bytes(bronze_key("zoho_users", DAY)) == other.read_bytes("x.csv")
    assert bronze["email"].tolist() != [u.email for u in state.users]  # it did sort
