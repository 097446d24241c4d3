"""The report's runs section: freshness at the top, yesterday's gap, the ledger's table."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

from seatlib.history import attempts as history, ledger
from seatlib.stages.report import runs as report_runs
from seatlib.core.config import Settings
from seatlib.systems.lake import Lake, bronze_key, gold_key
from seatlib.run.session import Session

DAY = date(2026, 11, 29)


def _settings(tmp_path) -> Settings:
    return Settings(lake_url=str(tmp_path / "lake"), runs_dir=str(tmp_path / "runs"))


def test_a_missing_yesterday_without_bronze_is_said_at_the_top(tmp_path):
    settings = _settings(tmp_path)
    lake = Lake(settings.lake_url)
    lake.write_bytes(gold_key("seat_capacity", DAY - timedelta(days=2)), b"x")
    lake.write_bytes(gold_key("seat_capacity", DAY), b"x")
    p = report_runs.panel(lake, settings, DAY)
    [note] = p.notes
    assert f"Yesterday ({DAY - timedelta(days=1)}) is missing and has no bronze" in note
    assert "Zoho keeps no past state" in note
    top = report_runs.banner(p)
    assert "age is unknown" in top and "#d62728" in top  # no extract recorded: a warning
    lake.write_bytes(bronze_key("zoho_users", DAY - timedelta(days=1)), b"x")
    assert "--backfill 2026-11-28 2026-11-28" in report_runs.panel(lake, settings, DAY).notes[0]
    lake.write_bytes(gold_key("seat_capacity", DAY - timedelta(days=1)), b"x")
    assert report_runs.panel(lake, settings, DAY).notes == []


def test_the_current_attempts_extract_dates_the_data_and_the_ledger_is_tabled(tmp_path):
    settings = _settings(tmp_path)
    lake = Lake(settings.lake_url)
    earlier = Session(settings, "stages")
    rec = earlier.recorder(DAY)
    rec.start("gold")
    rec.end("gold", ["zoho_users: a drop (allowed by --allow-drop)"], "LakeError: no silver")
    ledger.write(lake, earlier.attempt(DAY), rec.finish(failed=True))
    started = datetime.now(timezone.utc) - timedelta(hours=2)
    current = history.begin(settings, DAY, "daily", now=started)
    (current.folder / "01_extract.ipynb").write_text("{}")
    p = report_runs.panel(lake, dataclasses.replace(settings), DAY)
    assert 1.9 < p.age_hours < 2.1 and not p.stale
    assert "2.0 hours old when this page was made (limit 30 h" in report_runs.banner(p)
    table = p.attempts()
    assert list(table["Outcome"]) == ["failed"] and table["Guards fired"].iloc[0] == 1
    assert "LakeError: no silver" in report_runs.section(p)
    stale = dataclasses.replace(settings, runs=dataclasses.replace(settings.runs,
                                                                   max_age_hours=1.0))
    assert report_runs.panel(lake, stale, DAY).stale
