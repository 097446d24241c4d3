"""What the runner refuses before any stage: a future day, an unusable runs folder or lock, a
client-id pattern that fits none of the last known workspace names; and the shared plotly.js."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from seatlib.core import config as cfg
from seatlib.stages.report import page as report_page
from seatlib.history import lock
from seatlib.run import runner
from seatlib.core.config import REPO_ROOT
from seatlib.core.errors import ConfigError
from seatlib.systems.lake import Lake, bronze_key

TODAY = datetime.now(timezone.utc).date()
TOMORROW = TODAY + timedelta(days=1)


def write_config(tmp_path, extra: str = "", runs: str | None = None) -> str:
    p = tmp_path / "settings.toml"
    p.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{runs or tmp_path / "runs"}"\n'
                 f'{extra}')
    return str(p)


def test_the_demo_refuses_a_future_date_at_once(tmp_path):
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "seatlib.run.runner", "--demo", "--date",
                           "2099-01-01", "--config", write_config(tmp_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == runner.EXIT_CONFIG, proc.stderr
    assert time.monotonic() - started < 15
    assert "--date 2099-01-01 is in the future" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_production_calls_a_future_day_future(tmp_path, capsys):
    assert runner.main(["--date", TOMORROW.isoformat(), "--config",
                        write_config(tmp_path)]) == runner.EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"cannot extract {TOMORROW}: it is in the future (today is {TODAY} UTC)" in err
    assert "past day" not in err and "--backfill" not in err


def test_a_backfill_into_the_future_is_refused(tmp_path, capsys):
    assert runner.main(["--backfill", TODAY.isoformat(), TOMORROW.isoformat(), "--config",
                        write_config(tmp_path)]) == runner.EXIT_CONFIG
    assert "reaches into the future" in capsys.readouterr().err


def test_a_lock_that_is_a_directory_exits_2_with_its_path(tmp_path, capsys):
    (tmp_path / "runs" / ".lock").mkdir(parents=True)
    rc = runner.main(["--config", write_config(tmp_path), "--date", "2026-11-29", "--stage", "gold"])
    assert rc == runner.EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"the run lock {tmp_path / 'runs' / '.lock'} is not a file; remove it" in err


def test_the_lock_itself_turns_an_os_error_into_a_config_error(tmp_path):
    (tmp_path / ".lock").mkdir()
    with pytest.raises(ConfigError,
                       match=r"cannot open the run lock .*\.lock \(Is a directory\)"):
        with lock.run_lock(tmp_path):
            pass


def test_a_run_that_fails_under_the_lock_clears_its_text(tmp_path):
    """Only a killed run leaves its text: the next run must not call a failed one a crash."""
    with pytest.raises(RuntimeError, match="the stage failed"):
        with lock.run_lock(tmp_path) as left:
            assert left == "" and (tmp_path / ".lock").read_text().startswith("pid ")
            raise RuntimeError("the stage failed")
    assert (tmp_path / ".lock").read_text() == ""
    with lock.run_lock(tmp_path) as left:
        assert left == ""


@pytest.mark.parametrize("where", ["runs", "day"])
def test_a_runs_dir_that_cannot_take_files_exits_2(tmp_path, capsys, where):
    runs = tmp_path / "runs"
    if where == "runs":
        runs.write_text("a file where the folder should be")
    else:
        runs.mkdir()
        (runs / "2026-11-29").write_text("a file where the day's folder should be")
    rc = runner.main(["--config", write_config(tmp_path), "--date", "2026-11-29", "--stage", "gold"])
    assert rc == runner.EXIT_CONFIG
    err = capsys.readouterr().err
    assert "[runs] dir: cannot write to" in err and "Traceback" not in err


def _bronze_names(tmp_path, names: list[str], day: date = date(2026, 11, 28)) -> None:
    df = pd.DataFrame({"workspace_id": [str(i) for i in range(len(names))],
                       "workspace_name": names, "created_time_ms": "", "created_by": "",
                       "admin_email": "", "admin_source": "none"})
    Lake(str(tmp_path / "lake")).write_csv(bronze_key("zoho_workspace_admins", day), df)


def test_a_client_id_pattern_that_fits_no_workspace_exits_2_before_any_stage(tmp_path, capsys):
    _bronze_names(tmp_path, ["1001 - ACME", "1002 - Foo", "Zoho Analytics Audits"])
    config = write_config(tmp_path, "[zoho]\nclient_id_pattern = '^CLIENT-(\\d+)'\n")
    rc = runner.main(["--config", config, "--date", "2026-11-29", "--stage", "gold"])
    assert rc == runner.EXIT_CONFIG
    err = capsys.readouterr().err
    assert ("[zoho] client_id_pattern '^CLIENT-(\\\\d+)' finds no client id in any of the 2 "
            "workspace names of") in err
    assert "['1001 - ACME', '1002 - Foo']" in err  # examples; the excluded audit workspace is not one
    assert not list((tmp_path / "runs").rglob("*.ipynb"))


def test_a_pattern_that_fits_passes_and_an_empty_lake_has_nothing_to_check(tmp_path):
    from seatlib.run import preflight

    settings = cfg.load_settings(write_config(tmp_path, "[zoho]\nclient_id_pattern = '^CLIENT-(\\d+)'\n"))
    preflight.check_client_id_pattern(settings)  # no workspace known yet
    _bronze_names(tmp_path, ["CLIENT-7 x", "other"])
    preflight.check_client_id_pattern(settings)


def test_allowed_guards_in_a_notebook_reach_the_runners_log(tmp_path, caplog):
    line = ("2026-11-29 06:15:02 WARNING seatlib.stages.guards: zoho_users (silver of 2026-11-29): 134 "
            "rows against 303 already there for 2026-11-29, a drop of 56% (limit 30%) "
            "(allowed by --allow-drop)\n")
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "stream", "name": "stdout", "text": ["2026-11-29 INFO x: fine\n", line]}]}]}
    path = tmp_path / "02_silver.ipynb"
    path.write_text(json.dumps(nb))
    with caplog.at_level("WARNING", logger="seatlib.run.runner"):
        relayed = runner.relay_overrides("silver", path)
    assert relayed == [line.split("seatlib.stages.guards: ")[1].strip()]
    assert "stage silver let through: zoho_users (silver of 2026-11-29): 134 rows" in caplog.text
    assert runner.relay_overrides("silver", tmp_path / "missing.ipynb") == []


def test_a_truncated_plotly_js_is_replaced_and_a_good_one_kept(tmp_path):
    import plotly.offline

    want = plotly.offline.get_plotlyjs().encode("utf-8")
    js = tmp_path / "plotly.min.js"
    js.write_bytes(want[: len(want) // 3])  # a run killed while writing it
    assert report_page.ensure_plotly_js(tmp_path) == js
    assert js.read_bytes() == want
    stamp = js.stat().st_mtime_ns
    report_page.ensure_plotly_js(tmp_path)
    assert js.stat().st_mtime_ns == stamp  # a good copy is not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plotly.min.js"]  # no temporary left
