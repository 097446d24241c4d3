"""The run history: every attempt kept, the ledger of a failing stage, --check, the heartbeat,
retention (seatlib.history.attempts, seatlib.history.ledger, seatlib.history.health,
seatlib.run.session)."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from seatlib.history import health, attempts as history, ledger
from seatlib.history.lock import lock_state
from seatlib.run import runner
from seatlib.core.config import load_settings
from seatlib.systems.lake import Lake
from seatlib.history.alerts import read_alerts
from seatlib.run.session import Session
from tests.fixtures.webhook import pinger

DAY = "2026-11-29"


def write_config(tmp_path, extra: str = "") -> str:
    p = tmp_path / "settings.toml"
    p.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{tmp_path / "runs"}"\n{extra}')
    return str(p)


def failing_run(cfg_path: str) -> int:
    """gold without silver: fails in its kernel, load and report are skipped."""
    return runner.main(["--config", cfg_path, "--date", DAY, "--stage", "gold", "load", "report"])


def test_two_attempts_of_a_day_are_both_kept_locally_and_durably(tmp_path):
    cfg_path = write_config(tmp_path)
    assert failing_run(cfg_path) == runner.EXIT_STAGE_FAILED
    assert failing_run(cfg_path) == runner.EXIT_STAGE_FAILED
    day = tmp_path / "runs" / DAY
    attempts = history.attempt_names(p.name for p in day.iterdir())
    assert [a.split("-")[0] for a in attempts] == ["01", "02"]
    for name in attempts:
        assert "no silver for" in (day / name / "03_gold.ipynb").read_text()
        assert "stage gold failed" in (day / name / "run.log").read_text()
        assert json.loads((day / name / "attempt.json").read_text())["attempt"] == int(name[:2])
        assert (day / name / ".stored").exists()
    assert (day / "LATEST").read_text().strip() == attempts[-1]
    assert os.readlink(day / "latest") == attempts[-1]
    durable = Lake(str(tmp_path / "lake" / "runs"))
    for name in attempts:
        for f in ("03_gold.ipynb", "alerts.json", "attempt.json"):
            assert durable.read_bytes(f"{DAY}/{name}/{f}") == (day / name / f).read_bytes()
        stored_log = durable.read_bytes(f"{DAY}/{name}/run.log").decode()
        assert "stage gold failed" in stored_log and "ledger: 4 row(s)" in stored_log
    assert durable.read_bytes(f"{DAY}/LATEST").decode().strip() == attempts[-1]


def test_the_ledger_of_a_failing_stage(tmp_path):
    cfg_path = write_config(tmp_path)
    assert failing_run(cfg_path) == runner.EXIT_STAGE_FAILED
    lake = Lake(str(tmp_path / "lake"))
    [key] = lake.list(ledger.PREFIX)
    assert key.startswith(f"runs_ledger/{DAY}/01-")
    rows = ledger.read(lake).set_index("stage")
    assert list(rows.index) == ["gold", "load", "report", "run"]
    gold = rows.loc["gold"]
    assert gold["outcome"] == "failed" and gold["kind"] == "stages" and gold["attempt"] == 1
    assert gold["error"].startswith("LakeError: zoho_workspace_admins: no silver for 2026-11-29")
    assert "[failure, not sent] seat-monitor 2026-11-29: stage gold FAILED" in gold["alerts"]
    assert gold["duration_s"] > 0 and gold["code_version"].startswith("0.1.0")
    assert list(rows.loc[["load", "report"], "outcome"]) == ["skipped", "skipped"]
    assert rows.loc["run", "outcome"] == "failed" and rows.loc["run", "error"] == gold["error"]
    with pytest.raises(Exception, match="exists already"):  # never rewritten
        lake.create_bytes(key, b"x")


def _settings(tmp_path, **runs):
    s = load_settings(write_config(tmp_path))
    return dataclasses.replace(s, runs=dataclasses.replace(s.runs, **runs))


def _daily_attempt(settings, outcome_error: str = ""):
    session = Session(settings, "daily")
    today = datetime.now(timezone.utc).date()
    rec = session.recorder(today)
    rec.start("report")
    rec.end("report", [], outcome_error)
    return session


def test_heartbeat_goes_out_only_after_a_successful_daily_run(tmp_path, monkeypatch, caplog):
    settings = _settings(tmp_path)
    with pinger() as hc:
        monkeypatch.setenv(health.HEARTBEAT_VAR, hc.url())
        assert _daily_attempt(settings, "LakeError: boom").finish(1, None) == 1
        assert hc.received == []
        assert not (Path(settings.runs_dir) / health.LAST_SUCCESS).exists()
        assert _daily_attempt(settings).finish(0, None) == 0
        assert [r["method"] for r in hc.received] == ["GET"]
        assert hc.received[0]["path"] == "/ping/abc123-secret-token"
        hc.status = 500  # a failing heartbeat is logged and the run stands
        with caplog.at_level(logging.INFO, logger="seatlib"):
            assert _daily_attempt(settings).finish(0, None) == 0
        assert "answered HTTP 500" in caplog.text
        assert "abc123-secret-token" not in caplog.text
        post = _settings(tmp_path, heartbeat_method="POST")
        assert _daily_attempt(post).finish(0, None) == 0
        assert hc.received[-1]["method"] == "POST" and "succeeded" in hc.received[-1]["body"]
    assert "abc123" not in (Path(settings.runs_dir) / health.LAST_SUCCESS).read_text()


def test_the_heartbeat_url_is_redacted_from_the_log(tmp_path, monkeypatch, capsys):
    from seatlib.core import log as seatlog

    monkeypatch.setenv(health.HEARTBEAT_VAR, "https://hc-ping.com/0f1e2d3c-secret-uuid")
    logger = seatlog.setup(stream=None, log_file=tmp_path / "x.log")
    logger.getChild("t").info("calling https://hc-ping.com/0f1e2d3c-secret-uuid now")
    assert "0f1e2d3c-secret-uuid" not in (tmp_path / "x.log").read_text()


def _check(cfg_path: str, now: str, capsys) -> tuple[int, str]:
    rc = runner.main(["--config", cfg_path, "--check", "--now", now])
    return rc, capsys.readouterr().out


def test_check_on_fresh_stale_and_missing_histories(tmp_path, capsys):
    cfg_path = write_config(tmp_path, "max_age_hours = 30\n")
    rc, out = _check(cfg_path, "2026-11-29T07:00:00Z", capsys)
    assert rc == 1 and "no successful daily run" in out
    runs = tmp_path / "runs"  # the one it read: the demo's and production's differ
    assert f"({runs}/last-success.json or {tmp_path}/lake/runs/last-success.json)" in out
    settings = load_settings(cfg_path)
    health.record_success(settings, {"day": DAY, "folder": "01-061500"},
                          datetime(2026, 11, 29, 6, 20, tzinfo=timezone.utc))
    rc, out = _check(cfg_path, "2026-11-29T08:00:00Z", capsys)
    assert rc == 0 and out.startswith("OK:") and "1.7 hours ago" in out and "limit 30" in out
    rc, out = _check(cfg_path, "2026-11-30T12:21:00Z", capsys)
    assert rc == 1 and out.startswith("STALE:") and "30.0 hours ago" in out
    assert "max_age_hours = 30" in out and f"see {runs}/<date>/latest/run.log" in out
    (Path(settings.runs_dir) / health.LAST_SUCCESS).unlink()  # a new instance: the durable copy
    Lake(history.durable_url(settings)).write_bytes(health.LAST_SUCCESS, json.dumps(
        {"day": DAY, "folder": "01-061500", "finished_at": "2026-11-29T06:20:00+00:00"}).encode())
    assert _check(cfg_path, "2026-11-29T08:00:00Z", capsys)[0] == 0
    assert runner.main(["--config", cfg_path, "--check", "--now", "yesterday"]) == 2


def test_check_takes_no_lock_and_reports_running_hung_and_stale_locks(tmp_path, capsys):
    cfg_path = write_config(tmp_path, "hung_hours = 6\n")
    settings = load_settings(cfg_path)
    health.record_success(settings, {"day": DAY, "folder": "01-061500"},
                          datetime(2026, 11, 29, 6, 20, tzinfo=timezone.utc))
    lock = Path(settings.runs_dir) / ".lock"
    with open(lock, "a+") as held:  # a run in progress, as the runner holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write(f"pid {os.getpid()} since 2026-11-29 06:15:00 UTC\n")
        held.flush()
        rc, out = _check(cfg_path, "2026-11-29T08:00:00Z", capsys)
        assert rc == 0 and f"running: pid {os.getpid()}" in out
        rc, out = _check(cfg_path, "2026-11-29T13:00:00Z", capsys)
        assert rc == 1 and "HUNG" in out and "6.8 hours" in out
    lock.write_text("pid 4194999 since 2026-11-29 06:15:00 UTC\n")  # its process is gone
    rc, out = _check(cfg_path, "2026-11-29T08:00:00Z", capsys)
    assert rc == 0 and f"stale lock: {lock} says" in out and "pid 4194999" in out


def test_a_run_after_a_killed_one_reports_and_clears_the_lock_text(tmp_path):
    cfg_path = write_config(tmp_path)
    lock = tmp_path / "runs" / ".lock"
    lock.parent.mkdir()
    lock.write_text("pid 4194999 since 2026-11-29 06:15:00 UTC\n")
    failing_run(cfg_path)
    log = (tmp_path / "runs" / DAY / "latest" / "run.log").read_text()
    assert "the run lock still said 'pid 4194999 since 2026-11-29 06:15:00 UTC'" in log
    assert lock.read_text() == ""  # emptied on the clean exit
    assert lock_state(tmp_path / "runs").state == "free"


def test_retention_keeps_unstored_days_and_the_durable_copy_by_default(tmp_path, caplog):
    settings = _settings(tmp_path, keep_days=10)
    today = date(2026, 11, 29)
    for n, stored in ((30, True), (20, False), (5, True)):
        folder = Path(settings.runs_dir) / (today - timedelta(days=n)).isoformat() / "01-061500"
        folder.mkdir(parents=True)
        (folder / "run.log").write_text("x")
        if stored:
            history.store(settings, folder)
    history.prune(settings, today)
    left = sorted(p.name for p in Path(settings.runs_dir).glob("????-??-??"))
    assert left == ["2026-11-09", "2026-11-24"]  # the unstored one stays, with a warning
    assert "not stored yet; kept" in caplog.text
    durable = history.durable(settings)
    assert durable.exists("2026-10-30/01-061500/run.log")  # durable_keep_days = 0: for ever
    history.prune(dataclasses.replace(settings, runs=dataclasses.replace(
        settings.runs, durable_keep_days=10)), today)
    assert not durable.exists("2026-10-30/01-061500/run.log")
    assert durable.exists("2026-11-24/01-061500/run.log")


def test_numbering_follows_the_durable_copy_on_a_new_instance(tmp_path):
    settings = _settings(tmp_path)
    day = date(2026, 11, 29)
    first = history.begin(settings, day, "daily")
    history.store(settings, first.folder)
    import shutil

    shutil.rmtree(settings.runs_dir)  # the instance was replaced
    second = history.begin(settings, day, "daily")
    assert (first.number, second.number) == (1, 2)


def test_a_reclaim_is_numbered_with_the_day_and_never_becomes_its_latest(tmp_path):
    settings = _settings(tmp_path)
    day = date(2026, 11, 29)
    daily = history.begin(settings, day, "daily")
    reclaim = history.begin(settings, day, "reclaim")
    assert (daily.number, reclaim.number) == (1, 2)
    assert history.read_info(reclaim.folder)["kind"] == "reclaim"
    assert history.latest_attempt(settings.runs_dir, day) == daily.folder
    assert history.day_dir(settings.runs_dir, day) == daily.folder  # the page, the alerts
    assert os.readlink(Path(settings.runs_dir) / DAY / "latest") == daily.name
    history.store(settings, reclaim.folder)
    assert history.durable(settings).read_bytes(f"{DAY}/LATEST").decode().strip() == daily.name
    assert history.begin(settings, day, "stages").number == 3  # after the reclaim


def test_a_reclaim_alone_on_its_day_leaves_the_day_without_a_latest(tmp_path):
    settings = _settings(tmp_path)
    day = date(2026, 11, 29)
    history.begin(settings, day, "reclaim")
    assert history.latest_attempt(settings.runs_dir, day) is None
    assert history.day_dir(settings.runs_dir, day) == Path(settings.runs_dir) / DAY


def test_retention_keeps_a_day_whose_reclaim_is_not_stored(tmp_path):
    """A reclaim's record (its plan, its notebook) is pruned only once it is in the durable
    copy, like any attempt's."""
    settings = _settings(tmp_path, keep_days=10)
    old = date(2026, 10, 1)
    daily = history.begin(settings, old, "daily")
    history.store(settings, daily.folder)
    reclaim = history.begin(settings, old, "reclaim")
    (reclaim.folder / "reclaim_plan.csv").write_text("row_id\n")
    history.prune(settings, date(2026, 11, 29))
    assert (reclaim.folder / "reclaim_plan.csv").is_file()
    history.store(settings, reclaim.folder)
    history.prune(settings, date(2026, 11, 29))
    assert not reclaim.folder.parent.exists()
    assert history.durable(settings).exists(f"2026-10-01/{reclaim.name}/reclaim_plan.csv")


def test_a_reclaim_whose_record_cannot_be_stored_alerts_in_its_own_attempt(tmp_path):
    """The run history's failure alert of a reclaim goes into the reclaim's attempt; the day's
    daily attempt, already stored, is never written to again."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the durable copy should be")
    settings = _settings(tmp_path, url=str(blocked / "runs"))
    day = date(2026, 11, 29)
    daily = history.begin(settings, day, "daily")
    before = sorted(p.name for p in daily.folder.iterdir())
    session = Session(settings, "reclaim")
    rec = session.recorder(day)
    rec.start("reclaim")
    rec.end("reclaim", [])
    assert session.finish(0, None) == 1
    reclaim = session.attempts[day].folder
    [alert] = read_alerts(reclaim / "alerts.json")
    assert "NOT STORED" in alert["title"] and reclaim.name in alert["body"]
    assert sorted(p.name for p in daily.folder.iterdir()) == before
