"""The demo's report as people open it: pages and converted notebooks draw every chart offline,
no full address is saved under runs/, the alert reaches a local JSON webhook, and the client
notebook runs for a client that changed status and for one that does not exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.stages import gold
from seatlib.run import runner
from seatlib.systems.lake import Lake

from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config
from tests.fixtures.webhook import webhook

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHARTS = 3  # seats, statuses, days since access


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pages")
    with outside_pytest_tmp() as pg_home, webhook() as hook:
        path = safe_demo_config(tmp, pg_home, history_days=8)
        saved = os.environ.get("SEATLIB_NOTIFY_URLS")
        os.environ["SEATLIB_NOTIFY_URLS"] = hook.url("seats")  # the report kernel inherits it
        try:
            rc = runner.main(["--demo", "--config", str(path)])
        finally:
            os.environ.pop("SEATLIB_NOTIFY_URLS")
            if saved is not None:
                os.environ["SEATLIB_NOTIFY_URLS"] = saved
        settings = cfg.load_settings(path, env={})
        yield rc, settings, path, hook, datetime.now(timezone.utc).date()


def drawn(url: str) -> int:
    """How many plotly charts a page has drawn, in a headless Chromium with no network."""
    return dom(url).count('class="plot-container plotly"')


def dom(url: str) -> str:
    """The page's DOM after its scripts ran, in a headless Chromium with no network."""
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120)
    return out.stdout


def test_the_run_alerts_a_local_webhook_with_the_figures(demo_run):
    rc, settings, _, hook, today = demo_run
    assert rc == 0
    [msg] = hook.received
    assert "CRITICAL" in msg["json"]["title"] and "70 of 70 used" in msg["json"]["title"]
    body = msg["json"]["message"]
    assert "Forecast:" in body and "First seats to free:" in body and "Full since" in body
    assert (Path(settings.runs_dir) / today.isoformat() / "latest" / "alerts.json").exists()


def test_no_full_address_is_saved_under_runs(demo_run):
    _, settings, _, _, today = demo_run
    status = gold.read_day(Lake(settings.lake_url), "seat_status", today)
    addresses = {a for cell in status["admin_email"].dropna() for a in cell.split("; ")}
    assert len(addresses) > 50
    runs = Path(settings.runs_dir)
    leaks = {str(p.relative_to(runs)): [a for a in addresses if a in p.read_text(errors="replace")]
             for p in runs.rglob("*") if p.is_file() and p.name != "plotly.min.js"}
    assert not {k: v for k, v in leaks.items() if v}
    assert re.search(r"\w\*\*\*@", (runs / today.isoformat() / "latest" / "report.html").read_text())


def test_each_executed_notebook_stays_under_one_megabyte(demo_run):
    _, settings, _, _, today = demo_run
    sizes = {p.name: p.stat().st_size for p in (Path(settings.runs_dir) / today.isoformat() / "latest").glob("*.ipynb")}
    assert len(sizes) == 5 and max(sizes.values()) < 1_000_000, sizes


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium; "
                                              ".ci/run installs it)")
def test_pages_and_the_converted_notebook_draw_every_chart_offline(demo_run, tmp_path):
    _, settings, _, _, today = demo_run
    runs = Path(settings.runs_dir)
    assert drawn((runs / today.isoformat() / "latest" / "report.html").as_uri()) == CHARTS
    alone = tmp_path / "attached" / "latest-report.html"  # copied or attached alone
    alone.parent.mkdir()
    shutil.copy(runs / "latest-report.html", alone)
    assert drawn(alone.as_uri()) == CHARTS
    small = tmp_path / "attached" / "report.html"  # the attempt's page, without runs/plotly.min.js
    shutil.copy(runs / today.isoformat() / "latest" / "report.html", small)
    seen = dom(small.as_uri())
    assert seen.count('class="plot-container plotly"') == 0
    # the note drawn in each chart's place (its text is also in each chart's loader script)
    assert seen.count('dashed #999">This chart is drawn with plotly.min.js') == CHARTS
    nb = runs / today.isoformat() / "latest" / "05_report.ipynb"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", str(nb)], check=True,
                   capture_output=True, timeout=300)
    assert drawn(nb.with_suffix(".html").as_uri()) == CHARTS


def test_the_client_notebook_for_a_changed_and_an_unknown_client(demo_run, tmp_path):
    import papermill as pm

    _, settings, path, _, _ = demo_run
    history = gold.read_history(Lake(settings.lake_url), "seat_status")
    counts = history.groupby("client_id")["status"].nunique()
    changed = int(counts[counts > 1].index[0])
    for client, expect in ((changed, "(first day)"), (99999999, "No such client")):
        out = tmp_path / f"client-{client}.ipynb"
        pm.execute_notebook(str(runner.NOTEBOOKS_DIR / "investigate_client.ipynb"), str(out),
                            parameters={"client_id": client, "config_path": str(path)},
                            kernel_name="python3", cwd=str(cfg.REPO_ROOT), progress_bar=False)
        text = out.read_text()
        assert expect in text, client
    assert "application/vnd.plotly.v1+json" in (tmp_path / f"client-{changed}.ipynb").read_text()
