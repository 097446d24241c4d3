"""A lake written before seats by user (docs/seats.md) keeps working, and its days can be built
again.

``tests/fixtures/lake_v0.tar.gz`` is a lake written by main at 935f0a7, before the seat ledger,
``client_status`` and the compact history's added columns: three demo days (2026-11-17..19) of
bronze, silver, gold and its compact history, made with::

    # config: config/demo.toml with [lake] url, [runs] dir, [demo] dir in /tmp/v0, history_days 3
    with DemoEnvironment(load_settings("/tmp/v0/demo.toml")) as env:
        env.fill_history(date(2026, 11, 20), 3)

Every stage of today reads it, loads it and rebuilds its days; what the old files lack reads
empty (the contracts' ``added`` columns), never a ``KeyError``.
"""

from __future__ import annotations

import dataclasses
import shutil
import tarfile
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from seatlib.core import config as cfg
from seatlib.stages import gold, gold_history, load, report, silver
from seatlib.stages.report import investigate
from seatlib.core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS
from seatlib.systems.lake import Lake, gold_key
from seatlib.stages import StageOptions
from seatlib.systems import Systems

FIXTURE = Path(__file__).parent.parent / "fixtures" / "lake_v0.tar.gz"
DAYS = [date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19)]


@pytest.fixture
def old_lake(tmp_path) -> Path:
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(tmp_path, filter="data")
    return tmp_path / "lake"


@pytest.fixture
def systems(old_lake, pg_dsn, tmp_path) -> Systems:
    settings = dataclasses.replace(
        cfg.Settings(), lake_url=str(old_lake), runs_dir=str(tmp_path / "runs"),
        warehouse_schema=f"up_{uuid.uuid4().hex[:8]}",
        reclaim=cfg.ReclaimSettings(staff_domains=("seatco.example",)))
    return Systems.of(settings, database=cfg.DatabaseSettings(dsn=pg_dsn))


def test_the_old_lake_is_what_main_wrote(old_lake):
    lake = Lake(str(old_lake))
    assert not lake.list("gold/seat_ledger/")
    header = lake.read_bytes(gold_key(GOLD_STATUS.name, DAYS[-1])).split(b"\n")[0].decode()
    assert "client_status" not in header and header.endswith("status,reclaimable")


def test_an_old_lake_is_read_reported_and_loaded_as_it_is(systems):
    lake = systems.lake
    summary = gold_history.read_summary(lake)
    assert list(summary["snapshot_date"]) == DAYS
    assert summary["seat_users"].isna().all() and summary["clients_active"].isna().all()
    rep = report.run(DAYS[-1], systems)  # the day as main built it
    assert rep.seat_categories().empty and rep.counter_line() is None
    assert "Seat users (our ledger)" not in set(rep.key_figures()["Figure"])
    assert len(rep.status_counts()) == 6 and rep.latest["client_status"].notna().all()
    for day in DAYS:
        load.run(day, systems)
    with systems.warehouse() as wh:
        schema = systems.settings.warehouse_schema
        nulls = wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.seat_status_daily "
                                f"WHERE client_status IS NULL")
        rows = wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.seat_status_daily")
        assert nulls == rows > 800  # past days get the new columns empty (3 days of ~300)
        assert wh.fetch_scalar(f"SELECT COUNT(*) FROM {schema}.seat_ledger_daily") == 0


def test_an_old_day_rebuilt_gets_the_ledger_and_the_history_stays_whole(systems):
    lake = systems.lake
    day = DAYS[-1]
    before = gold.read_day(lake, GOLD_STATUS.name, day)
    silver.run(day, systems)  # a back-fill of the day, from its old bronze
    built = gold.run(day, systems)
    assert lake.exists(gold_key(GOLD_LEDGER.name, day))
    assert built.ledger["category"].isin(["staff", "client", "unmatched", "ex_client",
                                          "no_workspace"]).all()
    after = gold.read_day(lake, GOLD_STATUS.name, day)
    assert len(after) == len(before) and after["client_status"].notna().all()
    pd.testing.assert_series_equal(after["status"], before["status"])  # the rows say the same
    summary = gold_history.read_summary(lake)
    assert summary["seat_users"].notna().tolist() == [False, False, True]
    cap = gold.read_day(lake, GOLD_CAPACITY.name, day).iloc[0]
    assert cap["seat_users"] == sum(cap[c] for c in (
        "seats_held_by_clients", "seats_held_by_ex_clients", "seats_held_unmatched",
        "seats_staff", "seats_no_workspace"))
    for d in DAYS:
        load.run(d, systems, StageOptions())
    rep = report.run(day, systems)
    assert not rep.seat_categories().empty and rep.counter_line()
    client = int(after.loc[after["status"] == "active", "client_id"].iloc[0])
    history = investigate.client_history(systems, client)  # old and new rows in one bucket
    assert list(history.rows["snapshot_date"]) == DAYS
    assert history.rows["client_status"].isna().tolist() == [True, True, False]


def test_a_day_after_the_old_ones_is_built_on_top_of_them(systems, old_lake):
    """Its change guard compares with an old day (client status derived from its rows)."""
    lake = systems.lake
    new = date(2026, 11, 20)
    for source in ("zoho_workspace_admins", "zoho_users", "zoho_seats", "zoho_last_access",
                   "module_status"):  # the next day's Zoho answered as the day before's
        shutil.copy(old_lake / "bronze" / source / f"{DAYS[-1]}.csv",
                    old_lake / "bronze" / source / f"{new}.csv")
    silver.run(new, systems)
    built = gold.run(new, systems)
    assert pd.isna(built.capacity["overrides"].iloc[0])  # nothing let through
    assert gold_history.read_summary(lake)["snapshot_date"].iloc[-1] == new


def test_a_status_added_after_the_lake_was_written_keeps_the_lake_working(systems):
    """Adding a status (seatlib.core.statuses) adds its count columns to gold's compact history.
    A summary written before the status existed lacks them (here: as if paying_without_user
    came after this lake): they read as no row and no client, never a ``KeyError``; the report
    reads it as it is, and the next gold run writes the whole summary."""
    lake = systems.lake
    status = "paying_without_user"
    old = gold_history._read(lake, gold_history.SUMMARY_KEY)
    lake.write_bytes(gold_history.SUMMARY_KEY, gold_history._to_parquet(
        old.drop(columns=[f"n_{status}", f"clients_{status}"], errors="ignore")))
    summary = gold_history.read_summary(lake)
    assert (summary[f"n_{status}"] == 0).all() and summary[f"clients_{status}"].isna().all()
    rep = report.build(DAYS[-1], systems)
    counts = rep.status_counts().set_index("Status")
    assert len(counts) == len(gold_history.COUNT_COLUMNS)
    assert set(rep.figures) >= {"capacity", "statuses", "last_access"}
    silver.run(DAYS[-1], systems)
    gold.run(DAYS[-1], systems)  # a rebuilt day: its row counts the status again
    raw = gold_history._read(lake, gold_history.SUMMARY_KEY)
    assert f"n_{status}" in raw.columns
    rebuilt = gold_history.read_summary(lake)
    assert rebuilt[f"n_{status}"].iloc[-1] == (gold.read_day(
        lake, GOLD_STATUS.name, DAYS[-1])["status"] == status).sum()
