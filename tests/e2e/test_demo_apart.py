"""The demo keeps apart from production (issue 19), met as a new user meets it on a checkout
that also runs production: production's daily runs fail (no secrets), then ``./run_daily.sh
--demo`` (the README's first command), then production's ``--check`` and latest page.

The checkout is a folder outside pytest's temporary root (the demo's PostgreSQL lives in it)
read through the repository's own config/demo.toml and config/seat-monitor.example.toml, each
relative folder moved under it as it is under the repository (:func:`rerooted`): if the demo's
folders overlapped production's in those files, they overlap here. Production's lake is a local
folder (the example's is a bucket) and it once succeeded, in January: its last-success.json,
latest page and plotly.min.js are there, as that day left them.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.history import health

from tests.fixtures.demo import outside_pytest_tmp, rerooted, stop_postgres

pytestmark = pytest.mark.slow

TODAY = datetime.now(timezone.utc).date()
#: What production's one good day (in January) left in its runs folder, besides its attempts.
PRODUCTION_PAGE = ('<!doctype html><html><head><meta name="report-day" content="2026-01-14">'
                   '</head><body>production, 2026-01-14</body></html>')
PRODUCTION_PLOTLY = "/* plotly.js as production's January report wrote it */\n"


def clean_env() -> dict[str, str]:
    """This machine's environment without any secret or setting a production run would read."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("ZOHO_", "SEATLIB_", "REDSHIFT_", "AWS_"))}


def run_daily(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(cfg.REPO_ROOT / "run_daily.sh"), *argv], cwd=cfg.REPO_ROOT,
                          env=clean_env(), capture_output=True, text=True, timeout=600)


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones, the lock, symlinks' targets) by its SHA-256."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def attempts(runs: Path) -> list[str]:
    return sorted(p.name for p in (runs / TODAY.isoformat()).iterdir()
                  if re.fullmatch(r"\d{2}-\d{6}", p.name))


@pytest.fixture(scope="module")
def checkout():
    with outside_pytest_tmp() as root:
        prod, demo = root / "seat-monitor.toml", root / "demo.toml"
        example = cfg.REPO_ROOT / "config" / "seat-monitor.example.toml"
        prod.write_text(re.sub(r'(?m)^url = "s3://[^"]*"', 'url = "lake"', example.read_text(),
                               count=1))
        prod.write_text(rerooted(prod, root))
        demo.write_text(rerooted(cfg.DEMO_CONFIG, root, history_days=1))
        production = cfg.load_settings(prod, env={})
        assert production.runs_dir == str(root / "runs")
        assert production.lake_url == str(root / "lake")

        runs = Path(production.runs_dir)
        runs.mkdir()
        health.record_success(production, {"day": "2026-01-14", "attempt": 1,
                                           "folder": "01-061503", "kind": "daily"},
                              datetime(2026, 1, 14, 6, 21, tzinfo=timezone.utc))
        (runs / "latest-report.html").write_text(PRODUCTION_PAGE)
        (runs / "plotly.min.js").write_text(PRODUCTION_PLOTLY)
        failed = [run_daily("--config", str(prod)) for _ in range(2)]

        before = {"runs": digests(runs), "lake": digests(Path(production.lake_url))}
        shown = run_daily("--demo", "--config", str(demo))
        after = {"runs": digests(runs), "lake": digests(Path(production.lake_url))}
        try:
            yield {"root": root, "prod": prod, "demo": demo, "production": production,
                   "failed": failed, "demo_run": shown, "before": before, "after": after}
        finally:
            stop_postgres(root / "var" / "demo" / "pg")


def test_production_fails_without_secrets(checkout):
    for proc in checkout["failed"]:
        assert proc.returncode == 2, proc.stderr[-3000:]
        assert "ZOHO_CLIENT_ID is not set" in proc.stderr
    assert [a[:2] for a in attempts(Path(checkout["production"].runs_dir))] == ["01", "02"]


def test_the_demo_writes_only_under_var_demo(checkout):
    root, proc = checkout["root"], checkout["demo_run"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    demo_runs = root / "var" / "demo" / "runs"
    assert [a[:2] for a in attempts(demo_runs)] == ["01"]  # its own numbering
    for name in ("last-success.json", "latest-report.html", "plotly.min.js", ".lock"):
        assert (demo_runs / name).is_file(), name
    assert (root / "var" / "demo" / "lake" / "runs" / "last-success.json").is_file()
    assert sorted(p.name for p in root.iterdir()) == ["demo.toml", "lake", "runs",
                                                      "seat-monitor.toml", "var"]


def test_the_demo_leaves_productions_files_byte_identical(checkout):
    before, after = checkout["before"], checkout["after"]
    assert len(before["runs"]) > 10 and len(before["lake"]) > 5  # two attempts, stored
    assert after == before


def test_production_check_is_not_ok_and_its_latest_page_is_its_own(checkout):
    proc = run_daily("--check", "--config", str(checkout["prod"]))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("STALE: the latest successful daily run (day 2026-01-14, "
                                  "attempt 01-061503)"), proc.stdout
    runs = Path(checkout["production"].runs_dir)
    assert (runs / "latest-report.html").read_text() == PRODUCTION_PAGE

    demo_check = run_daily("--demo", "--check", "--config", str(checkout["demo"]))
    assert demo_check.returncode == 0, demo_check.stdout + demo_check.stderr
    assert demo_check.stdout.startswith(f"OK: the latest successful daily run (day {TODAY}, "
                                        f"attempt 01-")


def test_productions_next_attempt_counts_only_its_own(checkout):
    runs = Path(checkout["production"].runs_dir)
    assert run_daily("--config", str(checkout["prod"])).returncode == 2
    assert [a[:2] for a in attempts(runs)] == ["01", "02", "03"]
    assert [a[:2] for a in attempts(checkout["root"] / "var" / "demo" / "runs")] == ["01"]


def test_the_demo_says_where_its_outputs_are(checkout):
    root, out = checkout["root"], checkout["demo_run"].stdout.splitlines()
    folder = root / "var" / "demo" / "runs" / TODAY.isoformat() / attempts(
        root / "var" / "demo" / "runs")[0]
    assert out[-6:] == [
        f"outputs of {TODAY} (attempt {folder.name}, succeeded):",
        f"  page       {folder}/report.html",
        f"  notebooks  {folder}/  (01_extract … 05_report)",
        f"  to-do      {folder}/actions.csv",
        f"  log        {folder}/run.log",
        f"  truth      {root}/var/demo/truth/{TODAY}.json  (the simulator's expected statuses)"]
    runs = Path(checkout["production"].runs_dir)
    for proc, name in zip(checkout["failed"], attempts(runs)):
        folder = runs / TODAY.isoformat() / name
        assert proc.stdout.splitlines()[-5:] == [
            f"outputs of {TODAY} (attempt {name}, FAILED at extract):",
            "  page       not written: the run failed at extract",
            f"  notebooks  {folder}/  (01_extract)",
            "  to-do      not written: the run failed at extract",
            f"  log        {folder}/run.log"]
