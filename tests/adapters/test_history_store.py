"""The run history's durable copy on S3 (moto's server over HTTP) and the ledger in a real
PostgreSQL warehouse."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime

import pandas as pd

from seatlib.history import attempts as history, ledger
from seatlib.core.config import DatabaseSettings, Settings
from seatlib.systems.lake import Lake
from seatlib.run.session import Session
from seatlib.systems.warehouse import connect

DAY = date(2026, 11, 29)


def _settings(tmp_path, runs_url: str) -> Settings:
    s = Settings(lake_url=str(tmp_path / "lake"), runs_dir=str(tmp_path / "runs"))
    return dataclasses.replace(s, runs=dataclasses.replace(s.runs, url=runs_url))


def _attempt_with_files(session: Session, day: date, stage: str = "gold") -> history.Attempt:
    attempt = session.attempt(day)
    (attempt.folder / "03_gold.ipynb").write_text('{"cells": []}')
    (attempt.folder / "run.log").write_text("a log\n")
    rec = session.recorder(day)
    rec.start(stage)
    rec.end(stage, ["zoho_users: 134 rows against 303 (allowed by --allow-drop)"])
    return attempt


def test_every_attempt_is_written_to_s3_and_read_back(tmp_path, s3_lake_url):
    settings = _settings(tmp_path, f"{s3_lake_url}/runs")
    firsts = []
    for _ in range(2):
        session = Session(settings, "stages")
        firsts.append(_attempt_with_files(session, DAY))
        assert session.finish(0, None) == 0
    s3 = Lake(f"{s3_lake_url}/runs")
    keys = s3.list(f"{DAY}/")
    for attempt in firsts:
        for name in ("03_gold.ipynb", "attempt.json"):
            assert s3.read_bytes(f"{DAY}/{attempt.name}/{name}") == \
                (attempt.folder / name).read_bytes()
        assert f"{DAY}/{attempt.name}/run.log" in keys
    assert s3.read_bytes(f"{DAY}/LATEST").decode().strip() == firsts[-1].name
    assert [a.number for a in firsts] == [1, 2]


def test_a_history_that_cannot_be_stored_fails_the_run_with_an_alert(tmp_path, s3_env):
    settings = _settings(tmp_path, "s3://no-such-bucket-seatmon/runs")
    session = Session(settings, "stages")
    attempt = _attempt_with_files(session, DAY)
    assert session.finish(0, None) == 1
    [alert] = json.loads((attempt.folder / "alerts.json").read_text())
    assert alert["level"] == "failure" and "NOT STORED" in alert["title"]
    assert "no-such-bucket-seatmon" in alert["body"]
    assert history.pending(settings.runs_dir) == [attempt.folder]  # tried again next run


def test_the_ledger_loads_idempotently_with_a_freshness_view(tmp_path, pg_dsn):
    settings = _settings(tmp_path, "")
    session = Session(settings, "daily")
    _attempt_with_files(session, DAY, "report")
    rows = session.recorder(DAY).finish(failed=False)
    db = DatabaseSettings(dsn=pg_dsn)
    with connect(db) as wh:
        wh.execute("CREATE SCHEMA IF NOT EXISTS ledger_test")
        for _ in range(2):  # loading again changes nothing
            assert ledger.load(wh, "ledger_test", rows, max_age_hours=30) == 2
        got = wh.fetch_frame("SELECT run_date, attempt, stage, outcome, guards, kind "
                             "FROM ledger_test.pipeline_runs ORDER BY stage")
        assert list(got["stage"]) == ["report", "run"] and set(got["outcome"]) == {"ok"}
        assert "(allowed by --allow-drop)" in got["guards"].iloc[0]
        fresh = wh.fetch_frame("SELECT * FROM ledger_test.v_pipeline_freshness")
    assert list(fresh.columns) == list(ledger.FRESHNESS_COLUMNS)
    assert fresh["latest_day"].iloc[0] == DAY
    assert 0 <= fresh["age_hours"].iloc[0] < 1 and not bool(fresh["is_stale"].iloc[0])
    older = rows.assign(finished_at=pd.Timestamp(datetime(2026, 1, 1)))
    with connect(db) as wh:
        ledger.load(wh, "ledger_test", older, max_age_hours=30)
        assert bool(wh.fetch_scalar("SELECT is_stale FROM ledger_test.v_pipeline_freshness"))
        assert wh.fetch_scalar("SELECT COUNT(*) FROM ledger_test.pipeline_runs") == 2
