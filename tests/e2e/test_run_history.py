"""The operator's view over a day with a failure: the demo run twice for today with a failing
run in between; every attempt is kept locally and in the lake, the ledger reaches the
warehouse and the report, the heartbeat goes out only for the good runs, and ``--check``
turns STALE once the clock passes ``[runs] max_age_hours``."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.history import health, attempts as history, ledger
from seatlib.run import runner
from seatlib.systems.lake import Lake, silver_key
from tests.fixtures.demo import safe_demo_config
from tests.fixtures.webhook import pinger


def ledger_in_warehouse(settings: cfg.Settings):
    from seatlib.systems import warehouse
    from seatlib.sim import postgres as pg

    server = pg.start_postgres(Path(settings.demo_dir) / "pg")
    with warehouse.connect(cfg.DatabaseSettings(dsn=server.dsn())) as wh:
        return wh.fetch_frame(f"SELECT attempt, stage, kind, outcome, error FROM "
                              f"{settings.warehouse_schema}.{ledger.TABLE} "
                              f"ORDER BY attempt, started_at NULLS LAST, stage")


@pytest.mark.slow
def test_good_failed_good_runs_of_a_day_are_all_kept_and_checked(tmp_path, pg_home, monkeypatch,
                                                                 capsys):
    config = str(safe_demo_config(tmp_path, pg_home))
    settings = cfg.load_settings(config, env={})
    today = datetime.now(timezone.utc).date()
    demo = ["--demo", "--config", config]
    with pinger() as hc:
        monkeypatch.setenv(health.HEARTBEAT_VAR, hc.url())
        assert runner.main(demo) == 0
        Lake(settings.lake_url).delete(silver_key("zoho_users", today))  # gold now fails
        assert runner.main(demo + ["--stage", "gold", "load", "report"]) == 1
        assert runner.main(demo) == 0
    assert [r["method"] for r in hc.received] == ["GET", "GET"]  # the good runs only

    day = Path(settings.runs_dir) / today.isoformat()
    names = history.attempt_names(p.name for p in day.iterdir())
    assert [n[:2] for n in names] == ["01", "02", "03"]
    assert "no silver for" in (day / names[1] / "03_gold.ipynb").read_text()
    assert (day / "latest" / "05_report.ipynb").exists() and (day / "LATEST").read_text() \
        .strip() == names[2]
    durable = Lake(history.durable_url(settings))
    for name in names:
        local = {p.name for p in (day / name).iterdir() if not p.name.startswith(".")}
        stored = {k.rsplit("/", 1)[1] for k in durable.list(f"{today}/{name}/")}
        assert local == stored, name
    assert durable.exists("latest-report.html") and durable.exists(health.LAST_SUCCESS)

    rows = ledger_in_warehouse(settings)
    runs = rows[rows["stage"] == "run"]
    assert list(runs["attempt"]) == [1, 2, 3]
    assert list(runs["outcome"]) == ["ok", "failed", "ok"]
    assert list(runs["kind"]) == ["daily", "stages", "daily"]
    failed = rows[(rows["attempt"] == 2) & (rows["stage"] == "gold")].iloc[0]
    assert failed["outcome"] == "failed" and "no silver for" in failed["error"]

    page = (day / names[2] / "report.html").read_text()
    assert "<h2>Runs</h2>" in page and names[0] in page and names[1] in page
    assert 'src="../../plotly.min.js"' in page and "hours old when this page was made" in page

    finished = datetime.fromisoformat(json.loads(
        (Path(settings.runs_dir) / health.LAST_SUCCESS).read_text())["finished_at"])
    capsys.readouterr()
    assert runner.main(["--config", config, "--check"]) == 0
    assert capsys.readouterr().out.startswith("OK:")
    late = (finished + timedelta(hours=settings.runs.max_age_hours + 1)).isoformat()
    assert runner.main(["--config", config, "--check", "--now", late]) == 1
    assert "STALE" in capsys.readouterr().out
    shutil.rmtree(settings.runs_dir)  # the instance is replaced: the durable copy answers
    assert runner.main(["--config", config, "--check"]) == 0
