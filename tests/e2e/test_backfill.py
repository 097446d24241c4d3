"""Back-fill: rebuilding past days from the bronze already in the lake, across a gap.

The demo builds four days (three of history, then the run of the fourth). Then the bronze of the
second day is deleted (a day the pipeline never extracted) along with every silver and gold file
and every warehouse row, and ``run_daily.sh --backfill FIRST LAST`` runs with production
settings: the lake and the demo's PostgreSQL (through ``SEATLIB_DATABASE_URL``), Zoho pointed at
a simulator that counts calls. The days with bronze must come back byte for byte and row for row;
the gap is named in the log, skipped without failing the back-fill, and flagged by the report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from seatlib.core import config as cfg
from seatlib.stages import gold, gold_history, report
from seatlib.history import ledger
from seatlib.run import runner
from seatlib.core.contracts import SOURCES
from seatlib.systems.lake import Lake, bronze_key
from seatlib.sim import postgres as pg
from seatlib.sim.server import SimLimits, ZohoSimulator
from seatlib.systems import Systems
from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config, tree

DAYS = [date(2026, 11, 10) + timedelta(days=n) for n in range(4)]
GAP = DAYS[1]
KEPT = [d for d in DAYS if d != GAP]
SCHEMA = "seat_monitor"


@dataclasses.dataclass
class Backfilled:
    settings: cfg.Settings
    config: Path
    rc: int
    before: dict[str, bytes]  # the lake after the demo run
    after: dict[str, bytes]  # the lake after the back-fill
    rows_before: dict[date, list[tuple]]
    rows_after: dict[date, list[tuple]]
    zoho_calls: int
    log: str
    shown: list[str]  # what the back-fill printed on stdout


def warehouse_rows(dsn: str) -> dict[date, list[tuple]]:
    """Both gold tables' rows, by day."""
    import psycopg

    out: dict[date, list[tuple]] = {}
    with psycopg.connect(dsn) as conn:
        for table in ("seat_status_daily", "seat_capacity_daily"):
            for row in conn.execute(f"SELECT * FROM {SCHEMA}.{table}").fetchall():
                out.setdefault(row[0], []).append((table, row))
    return {d: sorted(rows, key=repr) for d, rows in out.items()}


def production_config(folder: Path, settings: cfg.Settings) -> Path:
    """Settings without the demo: the same lake and runs folder, and the same staff (gold
    counts the reseller's own users apart: docs/seats.md)."""
    path = folder / "production.toml"
    path.write_text(f'[lake]\nurl = "{settings.lake_url}"\n[runs]\ndir = "{settings.runs_dir}"\n'
                    f'[warehouse]\nschema = "{SCHEMA}"\n'
                    f'[reclaim]\nstaff_domains = {list(settings.reclaim.staff_domains)!r}\n'
                    .replace("'", '"'))
    return path


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory) -> Backfilled:
    folder = tmp_path_factory.mktemp("backfill")
    with outside_pytest_tmp() as home, pytest.MonkeyPatch.context() as mp:
        demo_config = safe_demo_config(folder, home, history_days=len(DAYS) - 1)
        assert runner.main(["--demo", "--config", str(demo_config), "--date", DAYS[-1].isoformat()]) == 0
        settings = cfg.load_settings(demo_config, env={})
        lake = Path(settings.lake_url)
        before = tree(lake)

        server = pg.start_postgres(home / "pg")
        rows_before = warehouse_rows(server.dsn())
        # the damage: a day never extracted, the later layers and the warehouse gone
        for source in SOURCES:
            (lake / bronze_key(source, GAP)).unlink()
        shutil.rmtree(lake / "silver")
        shutil.rmtree(lake / "gold")
        import psycopg

        with psycopg.connect(server.dsn()) as conn:
            conn.execute(f"TRUNCATE {SCHEMA}.seat_status_daily, {SCHEMA}.seat_capacity_daily")

        # production settings; Zoho answers (and counts) if anything asks it
        sim = ZohoSimulator(client_id="1000.BACKFILLPROBE", client_secret="backfill-probe-secret",
                            refresh_token="1000.backfill.probe", limits=SimLimits(enabled=False))
        sim.start()
        for name, value in {"ZOHO_API_URL": sim.url, "ZOHO_ACCOUNTS_URL": sim.url,
                            "ZOHO_CLIENT_ID": "1000.BACKFILLPROBE",
                            "ZOHO_CLIENT_SECRET": "backfill-probe-secret",
                            "ZOHO_REFRESH_TOKEN": "1000.backfill.probe",
                            "SEATLIB_DATABASE_URL": server.dsn()}.items():
            mp.setenv(name, value)
        try:
            config = production_config(folder, settings)
            with contextlib.redirect_stdout(io.StringIO()) as shown:
                rc = runner.main(["--backfill", DAYS[0].isoformat(), DAYS[-1].isoformat(),
                                  "--config", str(config)])
            rows_after = warehouse_rows(server.dsn())
            calls = sim.stats["requests_total"] + sim.stats["token_requests"]
        finally:
            sim.stop()
            server.stop()
    log = (Path(settings.runs_dir) / DAYS[-1].isoformat() / "latest" / "run.log").read_text()
    return Backfilled(settings, config, rc, before, tree(lake), rows_before, rows_after, calls, log,
                      shown.getvalue().splitlines())


@pytest.mark.slow
def test_a_gap_does_not_fail_the_backfill(backfilled):
    assert backfilled.rc == runner.EXIT_OK, backfilled.log[-3000:]


@pytest.mark.slow
def test_days_with_bronze_are_rebuilt_byte_for_byte(backfilled):
    history = ("runs/", "runs_ledger/")  # the run history grows with every run
    before = {k: v for k, v in backfilled.before.items() if not k.startswith(history)}
    after = {k: v for k, v in backfilled.after.items() if not k.startswith(history)}
    expected = {k: v for k, v in before.items() if GAP.isoformat() not in k}
    assert sorted(after) == sorted(expected)
    # the compact history spans days: where it holds the missing day it differs (checked below)
    compact = {k for k in after if k == gold_history.SUMMARY_KEY
               or k.startswith((gold_history.SINCE_PREFIX, gold_history.BY_CLIENT_PREFIX))}
    assert [k for k in after if k not in compact and after[k] != expected[k]] == []
    assert "gold/seat_status_latest.csv" in after  # the last day's, as before


@pytest.mark.slow
def test_the_compact_history_after_a_gap_is_what_the_remaining_gold_gives(backfilled, tmp_path):
    lake = Lake(backfilled.settings.lake_url)
    summary = gold_history.read_summary(lake)
    assert GAP not in set(summary["snapshot_date"])
    assert list(summary["snapshot_date"]) == [d for d in DAYS if d != GAP]
    rebuilt = tmp_path / "lake"
    shutil.copytree(Path(backfilled.settings.lake_url) / "gold", rebuilt / "gold")
    for key in Lake(str(rebuilt)).list("gold/"):
        if "/seat_status/" not in key and "/seat_capacity/" not in key:
            (rebuilt / key).unlink()
    fresh = Lake(str(rebuilt))
    gold_history.ensure(fresh)
    pd.testing.assert_frame_equal(gold_history.read_summary(fresh), summary)
    last = summary["snapshot_date"].iloc[-1]
    gold_history.put_since(fresh, last, gold.read_day(fresh, "seat_status", last),
                           list(summary["snapshot_date"]))
    pd.testing.assert_frame_equal(gold_history.read_since(fresh, last),
                                  gold_history.read_since(lake, last))
    client = int(gold.read_day(lake, "seat_status", last)["client_id"].dropna().iloc[0])
    pd.testing.assert_frame_equal(gold_history.read_client(fresh, client),
                                  gold_history.read_client(lake, client))


@pytest.mark.slow
def test_each_rebuilt_day_has_a_backfill_attempt_in_the_lake_and_the_ledger(backfilled):
    lake = Lake(backfilled.settings.lake_url)
    for day in KEPT:
        infos = [json.loads(lake.read_bytes(k)) for k in lake.list(f"runs/{day}/")
                 if k.endswith("/attempt.json")]
        assert "backfill" in [i["kind"] for i in infos], day
    rows = ledger.read(lake)
    rebuilt = rows[(rows["kind"] == "backfill") & (rows["stage"] == "run")]
    assert sorted(rebuilt["run_date"]) == sorted(KEPT) and set(rebuilt["outcome"]) == {"ok"}


@pytest.mark.slow
def test_the_warehouse_gets_the_same_rows_back(backfilled):
    assert set(backfilled.rows_before) == set(DAYS)
    assert set(backfilled.rows_after) == set(KEPT)
    for day in KEPT:
        assert backfilled.rows_after[day] == backfilled.rows_before[day]


@pytest.mark.slow
def test_the_gap_is_named_in_the_log(backfilled):
    assert (f"backfill: {GAP} skipped: no bronze for {', '.join(SOURCES)} in "
            f"{backfilled.settings.lake_url}" in backfilled.log)
    assert f"1 day(s) without bronze stay missing from the history: {GAP}" in backfilled.log
    assert f"backfill {DAYS[0]}..{DAYS[-1]}: 3 day(s) rebuilt, 0 failed, 1 without bronze" in backfilled.log


@pytest.mark.slow
def test_the_backfill_says_where_its_outputs_are(backfilled):
    runs = Path(backfilled.settings.runs_dir)
    first, middle, last = ((runs / d.isoformat() / "latest").resolve() for d in KEPT)
    assert backfilled.shown == [
        f"outputs of the back-fill {DAYS[0]}..{DAYS[-1]} (succeeded):",
        f"  page       {last}/report.html",
        f"  notebooks  {last}/  (02_silver … 05_report)",
        f"  to-do      {last}/actions.csv",
        f"  log        {last}/run.log",
        f"  other days 2 attempts, {first}/ … {middle}/"]


@pytest.mark.slow
def test_no_extract_and_no_zoho_call(backfilled):
    assert backfilled.zoho_calls == 0
    runs = Path(backfilled.settings.runs_dir)
    for day in KEPT[:-1]:  # history days: notebooks only from the back-fill
        assert sorted(p.name for p in (runs / day.isoformat() / "latest").glob("*.ipynb")) == [
            "02_silver.ipynb", "03_gold.ipynb", "04_load.ipynb", "05_report.ipynb"]
    assert not (runs / GAP.isoformat()).exists()


@pytest.mark.slow
def test_the_report_flags_the_missing_day(backfilled):
    settings = cfg.load_settings(backfilled.config, env={})
    for day in DAYS[2:]:
        assert report.run(day, Systems.of(settings)).missing_days == [GAP]
        html = (Path(settings.runs_dir) / day.isoformat() / "latest" / "report.html").read_text()
        assert f"Days missing from the history: {GAP}" in html
    assert report.run(DAYS[0], Systems.of(settings)).missing_days == []


# -- refusals ------------------------------------------------------------------------------------

def write_config(tmp_path: Path) -> str:
    path = tmp_path / "settings.toml"
    path.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{tmp_path / "runs"}"\n')
    return str(path)


def test_a_reversed_range_is_bad_usage(tmp_path, capsys):
    rc = runner.main(["--backfill", DAYS[-1].isoformat(), DAYS[0].isoformat(),
                      "--config", write_config(tmp_path)])
    assert rc == runner.EXIT_CONFIG
    assert "--backfill FROM must not be after TO" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_a_range_without_any_bronze_fails(tmp_path):
    rc = runner.main(["--backfill", DAYS[0].isoformat(), DAYS[1].isoformat(),
                      "--config", write_config(tmp_path)])
    assert rc == runner.EXIT_STAGE_FAILED
    log = (tmp_path / "runs" / DAYS[1].isoformat() / "latest" / "run.log").read_text()
    assert f"no day of {DAYS[0]}..{DAYS[1]} has bronze in {tmp_path / 'lake'}; nothing was rebuilt" in log
    assert not list((tmp_path / "runs").rglob("*.ipynb"))


def test_extracting_a_past_day_is_refused_at_once(tmp_path, capsys, monkeypatch):
    day = datetime.now(timezone.utc).date() - timedelta(days=3)
    for name in ("ZOHO_API_URL", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    rc = runner.main(["--date", day.isoformat(), "--config", write_config(tmp_path)])
    assert rc == runner.EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"cannot extract {day}: Zoho answers only for today" in err
    assert f"run_daily.sh --backfill {day} {day}" in err
    assert not (tmp_path / "runs").exists()  # refused before the lock, the log and any notebook
