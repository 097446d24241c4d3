"""The notebooks themselves: parameters match what the runner passes, sources carry no outputs,
nbval executes the stage notebooks on their defaults (today, against the demo's stand-ins), and
the investigation notebook runs for a real client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.run import runner
from seatlib.stages import STAGES

from tests.fixtures.demo import demo_config

NOTEBOOKS = sorted(runner.NOTEBOOKS_DIR.glob("*.ipynb"))
STAGE_NOTEBOOKS = [runner.NOTEBOOKS_DIR / f"{stage.notebook}.ipynb" for stage in STAGES]
SECRET_NAMES = ("secret", "token", "password", "client_id")


def test_stage_parameters_match_the_runner():
    import papermill as pm

    passed = {"run_date", "config_path", "allow_replay", "allow_drop",
              "full_refresh"}
    for nb in STAGE_NOTEBOOKS:
        params = pm.inspect_notebook(str(nb))
        assert set(params) == passed, nb.name
        assert not any(word in name for name in params for word in SECRET_NAMES)
        assert params["run_date"]["default"] == '""'  # today, when run by hand


def test_investigation_parameters():
    import papermill as pm

    params = pm.inspect_notebook(str(runner.NOTEBOOKS_DIR / "investigate_client.ipynb"))
    assert set(params) == {"client_id", "config_path"}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_sources_are_committed_without_outputs(nb):
    cells = json.loads(nb.read_text())["cells"]
    assert all(not c.get("outputs") and not c.get("execution_count")
               for c in cells if c["cell_type"] == "code")
    assert json.loads(nb.read_text())["metadata"]["kernelspec"]["name"] == "python3"


@pytest.fixture(scope="module")
def demo_today(tmp_path_factory):
    """The demo's stand-ins for today, reachable from kernels through the environment the
    demo hands them (``kernel_env``)."""
    from seatlib.run import demo

    tmp = tmp_path_factory.mktemp("nbval")
    path = demo_config(tmp, history_days=0)
    settings = cfg.load_settings(path, env={})
    today = datetime.now(timezone.utc).date()
    saved = os.environ.get("SEATLIB_CONFIG")
    os.environ["SEATLIB_CONFIG"] = str(path)
    try:
        with demo.DemoEnvironment(settings) as env:
            env.set_day(today)
            yield env, settings, today
    finally:
        if saved is None:
            os.environ.pop("SEATLIB_CONFIG", None)
        else:
            os.environ["SEATLIB_CONFIG"] = saved


@pytest.mark.slow
def test_nbval_runs_the_stage_notebooks_in_order(demo_today):
    env, settings, today = demo_today
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(runner.NOTEBOOKS_DIR), *map(str, STAGE_NOTEBOOKS)],
        cwd=cfg.REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, **env.kernel_env})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    # run by nbval, not by the runner: no attempt folder, so the page is in runs/<date>/
    assert (Path(settings.runs_dir) / today.isoformat() / "report.html").exists()

    # the investigation notebook, for a client the day's gold knows
    import papermill as pm

    from seatlib.stages import gold
    from seatlib.systems.lake import Lake

    status = gold.read_day(Lake(settings.lake_url), "seat_status", today)
    reclaimable = status["reclaimable"].fillna(False).astype(bool)  # not a shared consultant's
    client = int(status.loc[reclaimable & (status["status"] == "seat_held_by_ex_client"),
                            "client_id"].iloc[0])
    out = Path(settings.runs_dir) / "investigate.ipynb"
    pm.execute_notebook(str(runner.NOTEBOOKS_DIR / "investigate_client.ipynb"), str(out),
                        parameters={"client_id": client}, kernel_name="python3",
                        cwd=str(cfg.REPO_ROOT), progress_bar=False)
    text = out.read_text()
    assert "Ex-client holding a seat" in text and "Free the seat" in text
    assert "application/vnd.plotly.v1+json" in text and "text/html" in text
