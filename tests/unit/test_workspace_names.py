"""Silver's ``workspace_names``: every (workspace id, name) pair of the silver admins up to a
day, kept as a chain of daily partitions (``seatlib.stages.silver``: put_names, read_names)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from seatlib.stages.report import quality
from seatlib.stages import silver
from seatlib.core.config import Settings
from seatlib.core.contracts import SILVER, SOURCES, WORKSPACE_NAMES, coerce
from seatlib.systems.lake import Lake, bronze_key, silver_key
from seatlib.systems import Systems

D1 = date(2026, 11, 1)
D2, D3, D4 = (D1 + timedelta(days=n) for n in (1, 2, 3))
NAMES_PREFIX = "silver/workspace_names/"


def admins(day: date, *pairs: tuple[str, str]) -> pd.DataFrame:
    """Silver admins of ``day``: one admin row per (workspace id, name), two for the first."""
    contract = SILVER["zoho_workspace_admins"]
    rows = [{"snapshot_date": day.isoformat(), "workspace_id": wid, "workspace_name": name,
             "admin_email": f"{who}@{wid}.example", "admin_source": "admins"}
            for n, (wid, name) in enumerate(pairs) for who in (("a", "b") if n == 0 else ("a",))]
    return coerce(pd.DataFrame(rows, columns=contract.names), contract, "test admins")


def put_silver(lake: Lake, day: date, *pairs: tuple[str, str], names: bool = True) -> None:
    """The day's silver admins, and (as the silver stage does) its names."""
    df = admins(day, *pairs)
    lake.write_parquet(silver_key("zoho_workspace_admins", day), df)
    if names:
        silver.put_names(lake, day, df)


def rows(df: pd.DataFrame) -> list[tuple]:
    return [(r.workspace_id, r.workspace_name, r.first_seen.isoformat(), r.last_seen.isoformat())
            for r in df.itertuples()]


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake(str(tmp_path / "lake"))


@pytest.fixture
def renamed(lake) -> Lake:
    """Workspace 1 renamed on D3 (Alpha -> Alpha Ltda), workspace 2 new on D2, its name freed
    by workspace 3, which takes it on D3."""
    put_silver(lake, D1, ("1", "Alpha"), ("3", "Beta"))
    put_silver(lake, D2, ("1", "Alpha"), ("2", "Gamma"), ("3", "Beta"))
    put_silver(lake, D3, ("1", "Alpha Ltda"), ("2", "Gamma"), ("3", "Gamma"))
    return lake


def test_each_day_holds_every_pair_seen_up_to_it(renamed):
    assert rows(silver.read_names(renamed, D1)) == [("1", "Alpha", "2026-11-01", "2026-11-01"),
                                                    ("3", "Beta", "2026-11-01", "2026-11-01")]
    assert rows(silver.read_names(renamed, D3)) == [
        ("1", "Alpha", "2026-11-01", "2026-11-02"), ("1", "Alpha Ltda", "2026-11-03", "2026-11-03"),
        ("2", "Gamma", "2026-11-02", "2026-11-03"), ("3", "Beta", "2026-11-01", "2026-11-02"),
        ("3", "Gamma", "2026-11-03", "2026-11-03")]
    assert renamed.exists(silver_key("workspace_names", D3))


def test_the_partition_is_typed_as_its_contract(renamed):
    df = silver.read_names(renamed, D2)
    assert list(df.columns) == WORKSPACE_NAMES.names == [
        "workspace_id", "workspace_name", "first_seen", "last_seen"]
    assert [str(t) for t in df.dtypes] == ["string", "string", "date32[day][pyarrow]",
                                           "date32[day][pyarrow]"]
    assert df["first_seen"].dtype == admins(D1)["snapshot_date"].dtype  # as silver's other dates
    assert isinstance(df["first_seen"].iloc[0], date)


def test_a_back_filled_day_uses_only_what_was_known_by_it_and_carries_forward(renamed):
    """D2 rebuilt with workspace 1 named "Alpha (old)": D2 learns it, D3 keeps it, and D2 knows
    nothing of D3's renames."""
    put_silver(renamed, D2, ("1", "Alpha (old)"), ("2", "Gamma"), ("3", "Beta"))
    assert rows(silver.read_names(renamed, D2)) == [
        ("1", "Alpha", "2026-11-01", "2026-11-01"), ("1", "Alpha (old)", "2026-11-02", "2026-11-02"),
        ("2", "Gamma", "2026-11-02", "2026-11-02"), ("3", "Beta", "2026-11-01", "2026-11-02")]
    assert rows(silver.read_names(renamed, D3))[:2] == [
        ("1", "Alpha", "2026-11-01", "2026-11-01"), ("1", "Alpha (old)", "2026-11-02", "2026-11-02")]


def test_the_carry_forward_stops_at_the_first_day_that_comes_out_unchanged(renamed, monkeypatch):
    put_silver(renamed, D4, ("1", "Alpha Ltda"), ("2", "Gamma"), ("3", "Gamma"))
    written: list[str] = []
    write = Lake.write_parquet
    monkeypatch.setattr(Lake, "write_parquet",
                        lambda self, key, df: (written.append(key), write(self, key, df)))
    put_silver(renamed, D2, ("1", "Alpha"), ("2", "Gamma"), ("3", "Beta"))  # as it was
    assert [k for k in written if k.startswith(NAMES_PREFIX)] == [
        silver_key("workspace_names", D2)]  # D3 came out as stored: D3 and D4 not rewritten
    written.clear()
    put_silver(renamed, D1, ("1", "Alpha"), ("3", "Beta"), ("4", "Delta"))  # new on D1
    assert [k for k in written if k.startswith(NAMES_PREFIX)] == [
        silver_key("workspace_names", d) for d in (D1, D2, D3, D4)]
    assert ("4", "Delta", "2026-11-01", "2026-11-01") in rows(silver.read_names(renamed, D4))


def test_a_lake_from_before_gets_the_day_built_from_all_its_silver_days_once(lake, caplog):
    caplog.set_level("INFO", logger="seatlib.stages.silver")
    put_silver(lake, D1, ("1", "Alpha"), names=False)
    put_silver(lake, D2, ("1", "Alpha Ltda"), names=False)
    put_silver(lake, D3, ("1", "Alpha Ltda"), ("2", "Gamma"))
    assert lake.list(NAMES_PREFIX) == [silver_key("workspace_names", D3)]
    assert rows(silver.read_names(lake, D3)) == [
        ("1", "Alpha", "2026-11-01", "2026-11-01"), ("1", "Alpha Ltda", "2026-11-02", "2026-11-03"),
        ("2", "Gamma", "2026-11-03", "2026-11-03")]
    assert "building from 3 silver day(s) of zoho_workspace_admins, once" in caplog.text
    caplog.clear()
    put_silver(lake, D4, ("1", "Alpha Ltda"), ("2", "Gamma"))  # the chain from now on
    assert "building" not in caplog.text
    assert rows(silver.read_names(lake, D4))[1] == ("1", "Alpha Ltda", "2026-11-02", "2026-11-04")


def test_a_back_fill_before_the_first_names_builds_from_the_silver_up_to_it(lake):
    put_silver(lake, D1, ("1", "Alpha"), names=False)
    put_silver(lake, D2, ("1", "Alpha"), names=False)
    put_silver(lake, D3, ("1", "Alpha Ltda"))
    put_silver(lake, D2, ("1", "Alpha"), ("9", "Omega"))  # back-fill of D2
    assert rows(silver.read_names(lake, D2)) == [("1", "Alpha", "2026-11-01", "2026-11-02"),
                                                 ("9", "Omega", "2026-11-02", "2026-11-02")]
    assert ("9", "Omega", "2026-11-02", "2026-11-02") in rows(silver.read_names(lake, D3))


def test_read_names_of_a_day_without_a_partition_builds_it_without_writing(renamed):
    renamed.delete(silver_key("workspace_names", D2))
    before = renamed.list("silver/")
    built = silver.read_names(renamed, D2)
    assert renamed.list("silver/") == before
    assert rows(built) == [("1", "Alpha", "2026-11-01", "2026-11-02"),
                           ("2", "Gamma", "2026-11-02", "2026-11-02"),
                           ("3", "Beta", "2026-11-01", "2026-11-02")]
    after = silver.read_names(renamed, D4)  # after the last day: all that was known
    assert rows(after) == rows(silver.read_names(renamed, D3))
    empty = silver.read_names(renamed, D1 - timedelta(days=1))
    assert empty.empty and list(empty.columns) == WORKSPACE_NAMES.names


# -- through the silver stage --------------------------------------------------------------------

BRONZE = {
    "zoho_users": "email,active,role\na@1.example,true,User\n",
    "zoho_seats": "resource_name,allocated,used,remaining\nusers,70,1,69\n",
    "zoho_last_access": "workspace_name,user_email,last_access_at\n101 - Alpha,,\n",
    "module_status": "client_id,module_active\n101,true\n",
}


def _admins_bronze(name: str) -> str:
    return ("workspace_id,workspace_name,created_time_ms,created_by,admin_email,admin_source\n"
            f"1,{name},1548914379156,owner@r.example,a@1.example,admins\n")


def test_the_silver_stage_writes_the_names_after_the_sources_and_nothing_reads_them_as_one(
        tmp_path):
    settings = Settings(lake_url=str(tmp_path / "lake"))
    systems = Systems.of(settings)
    for day, name in ((D1, "101 - Alpha"), (D2, "101 - Alpha Ltda")):
        for source, text in {**BRONZE, "zoho_workspace_admins": _admins_bronze(name)}.items():
            systems.lake.write_bytes(bronze_key(source, day), text.encode())
        frames = silver.run(day, systems)
    assert set(frames) == set(SOURCES)
    assert systems.lake.list(NAMES_PREFIX) == [silver_key("workspace_names", d) for d in (D1, D2)]
    assert rows(silver.read_names(systems.lake, D2)) == [
        ("1", "101 - Alpha", "2026-11-01", "2026-11-01"),
        ("1", "101 - Alpha Ltda", "2026-11-02", "2026-11-02")]
    assert set(silver.read(systems.lake, D2)) == set(SOURCES)
    capacity = pd.DataFrame([{"seats_used": 1, "seats_held_by_clients": 1}])
    table, notes = quality.panel(systems.lake, D2, capacity, settings)
    assert table["Source"].tolist() == list(SOURCES) and notes == []
    silver.run(D2, systems)  # a re-run of the day: the guards compare the sources only
