"""Alerts through Apprise to a local JSON webhook (delivered by seatlib.systems.notify, recorded
by seatlib.history.alerts); an unreachable channel is named, not fatal, and no secret part of a
channel URL is logged or saved."""

import dataclasses
import io
import json
from datetime import date
from pathlib import Path

from seatlib.history import alerts
from seatlib.core import log as seatlog
from seatlib.core.config import Settings
from seatlib.run.failure import stage_failed

from tests.fixtures.pg import free_port
from tests.fixtures.webhook import webhook

DAY = date(2026, 3, 31)


def settings(tmp_path: Path) -> Settings:
    return dataclasses.replace(Settings(), runs_dir=str(tmp_path / "runs"))


def test_send_to_a_json_webhook_and_record(tmp_path):
    s = settings(tmp_path)
    with webhook() as hook:
        failed = alerts.send(s, "Seats full", "70 of 70 used; free ana@x.com's seat",
                             level="critical", payload={"figures": {"seats_used": 70}, "day": DAY},
                             day=DAY, env={"SEATLIB_NOTIFY_URLS": hook.url("seat-alerts")})
    assert failed == []
    [got] = hook.received
    assert got["path"] == "/seat-alerts" and got["json"]["title"] == "Seats full"
    assert got["json"]["type"] == "failure" and "a***@x.com" in got["json"]["message"]
    [rec] = json.loads((Path(s.runs_dir) / DAY.isoformat() / "alerts.json").read_text())
    assert rec["sent"] is True and rec["payload"]["figures"]["seats_used"] == 70
    assert "ana@" not in json.dumps(rec)


def test_an_unreachable_channel_is_named_without_its_secret(tmp_path):
    s = settings(tmp_path)
    out = io.StringIO()
    seatlog.setup(stream=out)
    dead = f"json://bot:hunter2secret@127.0.0.1:{free_port()}/hook"
    with webhook() as hook:
        failed = alerts.send(s, "t", "b", level="warning", payload={}, day=DAY,
                             env={"SEATLIB_NOTIFY_URLS": f"{dead}, {hook.url()}, bogus://x"})
        assert len(hook.received) == 1  # the good channel still got it
    assert len(failed) == 2 and failed[0].startswith("channel 1 (json://bot:****@127.0.0.1")
    assert failed[1] == "channel 3 (bogus://…)"
    saved = (Path(s.runs_dir) / DAY.isoformat() / "alerts.json").read_text()
    assert "hunter2secret" not in saved + out.getvalue() and "could not be reached" in out.getvalue()
    seatlog.setup()


def test_no_channel_still_records(tmp_path):
    s = settings(tmp_path)
    assert alerts.send(s, "t", "b", level="ok", payload={}, day=DAY, env={}) == []
    [rec] = alerts.read_alerts(Path(s.runs_dir) / DAY.isoformat() / "alerts.json")
    assert rec["sent"] is False and rec["channels"] == []


def test_stage_failure_alert_names_stage_error_and_notebook(tmp_path):
    s = settings(tmp_path)
    with webhook() as hook:
        stage_failed(s, DAY, "gold", "DataQualityError: duplicate key\nmore", "runs/x.ipynb",
                     env={"SEATLIB_NOTIFY_URLS": hook.url()})
    message = hook.received[0]["json"]["message"]
    assert "Stage gold failed" in message and "duplicate key" in message and "more" not in message
    assert "runs/x.ipynb" in message


def test_an_alert_goes_to_the_folder_named_never_to_the_days_latest(tmp_path):
    """A reclaim records its alerts in its own attempt; the day's latest attempt (a daily run's)
    is left as it was."""
    from seatlib.history import attempts as history

    s = settings(tmp_path)
    daily = history.begin(s, DAY, "daily")
    reclaim = history.begin(s, DAY, "reclaim")
    assert alerts.send(s, "freed", "b", level="info", payload={}, day=DAY, env={},
                       folder=reclaim.folder) == []
    assert alerts.record(s, "t", "b", level="failure", payload={}, day=DAY,
                         folder=reclaim.folder) == []
    got = alerts.read_alerts(reclaim.folder / "alerts.json")
    assert [r["title"] for r in got] == ["freed", "t"]
    assert not (daily.folder / "alerts.json").exists()
    alerts.record(s, "daily", "b", level="ok", payload={}, day=DAY)  # the default is unchanged
    assert [r["title"] for r in alerts.read_alerts(daily.folder / "alerts.json")] == ["daily"]
