"""A stage that fails sends the operator an alert naming the stage, the error and the notebook."""

import re
from datetime import date

from seatlib.core import config as cfg
from seatlib.run import runner

from tests.fixtures.demo import demo_config
from tests.fixtures.webhook import webhook


def test_a_failing_stage_alerts_the_webhook(tmp_path, monkeypatch):
    settings = cfg.load_settings(demo_config(tmp_path), env={})  # an empty lake: no gold to report
    day = date(2026, 3, 31)
    with webhook() as hook:
        monkeypatch.setenv("SEATLIB_NOTIFY_URLS", hook.url("ops"))
        rc = runner.run_stages(day, ["report"], settings, str(settings.source), demo=True,
                               allow_drop=False)
    assert rc == runner.EXIT_STAGE_FAILED
    [msg] = hook.received
    assert msg["json"]["title"] == "seat-monitor 2026-03-31: stage report FAILED"
    body = msg["json"]["message"]
    assert "LakeError: no gold for 2026-03-31" in body
    assert re.search(rf"{re.escape(settings.runs_dir)}/2026-03-31/01-\d{{6}}/05_report.ipynb", body)
