"""A reclaim through the runner is an attempt of its own (docs/reclaim.md §6): its folder, ledger
rows, durable copy and terminal, the day's LATEST and ``--check`` untouched, under the run lock.

The reclaim's notebook is a stand-in here (the real one's parameters cell, then a cell that
writes what the engine writes: the plan, ``reclaim.json``, an alert, or an error), so the
runner's half is tested whatever the engine does; tests/e2e/test_reclaim_demo.py runs the real
one on the demo.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from seatlib.core import config as cfg
from seatlib.history import health, attempts as history, ledger
from seatlib.run import runner
from seatlib.core.config import REPO_ROOT
from seatlib.systems.lake import Lake
from seatlib.history.alerts import read_alerts

DAY = datetime.now(timezone.utc).date()  # a reclaim works on today

#: What the stand-in does after its parameters, by ``reason``: the engine's files, then
#: "refuse" raises the engine's refusal, "fail" an error after the summary was written.
STAND_IN = '''
import json, pathlib
from seatlib.history import alerts
from seatlib.core.config import load_settings
from seatlib.core.errors import ConfigError

out = pathlib.Path(attempt_dir)
assert out.is_absolute() and out.is_dir(), out
(out / "reclaim_plan.csv").write_text("row_id,email,approve\\nr1,a***@one.example,\\n")
(out / "reclaim.json").write_text(json.dumps({"lines": [
    f"plan: 1 row(s), 1 seat_held_by_ex_client ({'EXECUTE' if execute else 'dry run'})",
    "  r1  ana@one.example  1003",
    f"approved by {approver or '-'}: {reason or '-'}"]}))
if execute and reason not in ("fail", "refuse"):
    alerts.record(load_settings(config_path), "seat-monitor: 1 user(s) deactivated in Zoho",
                  "Clients 1003.", level="info", payload={}, folder=out)
if reason == "refuse":
    raise ConfigError("the plan changed: make a new one (row r1)")
if reason == "fail":
    raise RuntimeError("boom in the reclaim")
'''


def stand_in_notebooks(folder: Path) -> Path:
    """``folder`` holding a ``reclaim_seats.ipynb`` with the real notebook's parameters cell."""
    real = nbformat.read(runner.NOTEBOOKS_DIR / "reclaim_seats.ipynb", as_version=4)
    [params] = [c for c in real.cells if "parameters" in c.metadata.get("tags", [])]
    nb = nbformat.v4.new_notebook(metadata=real.metadata)
    nb.cells = [params, nbformat.v4.new_code_cell(STAND_IN)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "reclaim_seats.ipynb")
    return folder


def write_config(tmp_path: Path) -> str:
    p = tmp_path / "settings.toml"
    p.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{tmp_path / "runs"}"\n')
    return str(p)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A production-like settings file, the stand-in notebook, and the day's daily attempt
    already run and stored (with its success record)."""
    monkeypatch.setattr(runner, "NOTEBOOKS_DIR", stand_in_notebooks(tmp_path / "notebooks"))
    monkeypatch.delenv("SEATLIB_NOTIFY_URLS", raising=False)
    config = write_config(tmp_path)
    settings = cfg.load_settings(config)
    daily = history.begin(settings, DAY, "daily")
    (daily.folder / "report.html").write_text("<html>")
    health.record_success(settings, history.read_info(daily.folder), datetime.now(timezone.utc))
    history.store(settings, daily.folder)
    return config, settings, daily


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def reclaim_attempt(settings) -> Path:
    day = Path(settings.runs_dir) / DAY.isoformat()
    [folder] = [p for p in day.iterdir() if history.read_info(p).get("kind") == "reclaim"]
    return folder


@pytest.mark.slow
def test_an_executed_reclaim_is_its_own_attempt_and_tells_the_terminal(setup, capsys):
    config, settings, daily = setup
    runs = Path(settings.runs_dir)
    before = {"daily": files(daily.folder), "success": (runs / "last-success.json").read_bytes()}
    assert runner.main(["--config", config, "--check"]) == 0
    check = capsys.readouterr().out

    assert runner.main(["--config", config, "--reclaim", "--approve", "1003", "--execute",
                        "--approver", "Ana Souza", "--reason", "TICKET-4821"]) == 0
    out = capsys.readouterr().out.splitlines()
    folder = reclaim_attempt(settings)
    assert folder.name.startswith("02-")  # numbered after the day's daily attempt
    assert out == [
        "plan: 1 row(s), 1 seat_held_by_ex_client (EXECUTE)",
        "  r1  a***@one.example  1003",  # masked again on the way to the terminal
        "approved by Ana Souza: TICKET-4821", "",
        f"outputs of the reclaim of {DAY} (attempt {folder.name}, executed, succeeded):",
        f"  notebook   {folder}/reclaim_seats.ipynb",
        f"  plan       {folder}/reclaim_plan.csv",
        f"  log        {folder}/run.log",
        f"  alerts     {folder}/alerts.json"]

    assert set(files(folder)) == {"attempt.json", "reclaim_seats.ipynb", "reclaim_plan.csv",
                                  "reclaim.json", "run.log", "alerts.json", ".stored"}
    assert history.read_info(folder)["kind"] == "reclaim"
    [alert] = read_alerts(folder / "alerts.json")
    assert alert["title"] == "seat-monitor: 1 user(s) deactivated in Zoho"
    executed = json.loads((folder / "reclaim_seats.ipynb").read_text())
    assert executed["metadata"]["papermill"]["parameters"] == {
        "run_date": DAY.isoformat(), "config_path": config, "attempt_dir": str(folder),
        "approve": "1003", "remove": "", "reactivate": "", "execute": True,
        "approver": "Ana Souza", "reason": "TICKET-4821", "override_limit": False,
        "show_emails": False}
    assert "reclaim for" in (folder / "run.log").read_text()

    # the day as the daily run left it: its latest, its files, its success, --check
    day = runs / DAY.isoformat()
    assert (day / "LATEST").read_text().strip() == daily.name
    assert os.readlink(day / "latest") == daily.name
    assert sorted(p.name for p in day.iterdir()) == sorted(["LATEST", "latest", daily.name,
                                                            folder.name])  # no reclaim.log
    assert files(daily.folder) == before["daily"]
    assert (runs / "last-success.json").read_bytes() == before["success"]
    assert runner.main(["--config", config, "--check"]) == 0
    assert capsys.readouterr().out.split(",")[0] == check.split(",")[0]

    lake = Lake(settings.lake_url)
    rows = ledger.read(lake)
    assert rows[["attempt_folder", "stage", "kind", "outcome"]].values.tolist() == [
        [folder.name, "reclaim", "reclaim", "ok"], [folder.name, "run", "reclaim", "ok"]]
    assert "[info, not sent] seat-monitor: 1 user(s) deactivated" in rows["alerts"].iloc[-1]
    durable = history.durable(settings)
    for name in ("reclaim_seats.ipynb", "reclaim_plan.csv", "reclaim.json", "alerts.json",
                 "attempt.json"):
        assert durable.read_bytes(f"{DAY}/{folder.name}/{name}") == (folder / name).read_bytes()
    assert "ledger: 2 row(s)" in durable.read_bytes(f"{DAY}/{folder.name}/run.log").decode()
    assert durable.read_bytes(f"{DAY}/LATEST").decode().strip() == daily.name


@pytest.mark.slow
@pytest.mark.parametrize("argv, reason, rc, sent", [
    (["--execute", "--approver", "Ana"], "fail", 1, True),
    ([], "fail", 1, False),  # a dry run: recorded, not sent
    (["--execute", "--approver", "Ana"], "refuse", 2, True),  # the engine refused: nothing changed
])
def test_a_failed_reclaim_keeps_everything_in_its_own_attempt(setup, capsys, argv, reason, rc,
                                                              sent):
    config, settings, daily = setup
    before = files(daily.folder)
    assert runner.main(["--config", config, "--reclaim", "--approve", "1003", "--reason",
                        reason] + argv) == rc
    folder = reclaim_attempt(settings)
    out = capsys.readouterr().out.splitlines()
    assert out[2] == f"approved by {'Ana' if argv else '-'}: {reason}"  # the summary still shows
    assert out[4].startswith(f"outputs of the reclaim of {DAY} (attempt {folder.name}, ")
    assert out[4].endswith(f"FAILED, exit {rc}):")
    [alert] = read_alerts(folder / "alerts.json")
    assert alert["level"] == "failure" and "reclaim" in alert["title"]
    assert ("EXECUTE" in alert["title"]) == sent and ("note" in alert) != sent
    error = "ConfigError: the plan changed" if reason == "refuse" else "RuntimeError: boom"
    assert error in alert["body"] and str(folder / "reclaim_seats.ipynb") in alert["body"]
    rows = ledger.read(Lake(settings.lake_url)).set_index("stage")
    assert rows.loc["reclaim", "outcome"] == "failed"
    assert rows.loc["reclaim", "error"].startswith(error)
    assert rows.loc["run", "kind"] == "reclaim" and rows.loc["run", "outcome"] == "failed"
    assert files(daily.folder) == before  # nothing of the reclaim in the daily attempt
    assert (folder / ".stored").exists()


def test_a_reclaim_while_another_process_holds_the_lock_exits_3(tmp_path):
    config = write_config(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    with open(runs / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write(f"pid {os.getpid()} since 2026-12-07 06:15:00 UTC\n")
        held.flush()
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "seatlib.run.runner", "--config", config,
                               "--reclaim", "--approve", "1003"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
    assert proc.returncode == runner.EXIT_LOCKED, proc.stderr
    assert f"another run is in progress (pid {os.getpid()} since" in proc.stderr
    assert elapsed < 15
    assert not [p for p in runs.glob("*/*") if p.is_dir()]  # no attempt made
