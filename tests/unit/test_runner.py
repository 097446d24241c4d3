"""The cron entry point: usage errors, configuration errors and the run lock, with exit codes."""

from __future__ import annotations

import fcntl
import importlib
import inspect
import subprocess
import sys
import time

import pytest

from seatlib.run import runner
from seatlib.core.config import REPO_ROOT
from seatlib.stages import REBUILD, STAGES


def write_config(tmp_path, extra: str = "") -> str:
    p = tmp_path / "settings.toml"
    p.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{tmp_path / "runs"}"\n{extra}')
    return str(p)


def test_stage_names_and_order():
    assert [s.name for s in STAGES] == ["extract", "silver", "gold", "load", "report"]
    assert REBUILD == ("silver", "gold", "load", "report")
    for stage in STAGES:
        assert (runner.NOTEBOOKS_DIR / f"{stage.notebook}.ipynb").is_file()
        module = importlib.import_module(f"seatlib.stages.{stage.name}")
        assert list(inspect.signature(module.run).parameters)[:3] == ["day", "systems", "options"]


@pytest.mark.parametrize("argv", [["--date", "2026-13-01"], ["--stage", "bogus"],
                                  ["--backfill", "2026-11-02", "2026-11-01"],
                                  ["--backfill", "2026-11-01", "2026-11-02", "--stage", "gold"]])
def test_bad_usage_exits_2(argv, capsys):
    assert runner.main(argv) == runner.EXIT_CONFIG


def test_help_exits_0(capsys):
    assert runner.main(["--help"]) == 0
    assert "exit codes" in capsys.readouterr().out


def test_bad_configuration_exits_2(tmp_path, capsys):
    cfg_path = write_config(tmp_path, "[gold]\ninactive_days = -1\n")
    assert runner.main(["--config", cfg_path, "--stage", "gold"]) == runner.EXIT_CONFIG
    assert "inactive_days" in capsys.readouterr().err


def test_second_run_exits_3_at_once(tmp_path):
    cfg_path = write_config(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    with open(runs / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "seatlib.run.runner", "--config", cfg_path,
                               "--stage", "gold"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=60)
        elapsed = time.monotonic() - started
    assert proc.returncode == runner.EXIT_LOCKED, proc.stderr
    assert "another run is in progress" in proc.stderr
    assert elapsed < 15


def test_failed_stage_exits_1_and_keeps_its_notebook(tmp_path):
    """gold without silver fails in the kernel; the executed notebook stays with the error."""
    cfg_path = write_config(tmp_path)
    rc = runner.main(["--config", cfg_path, "--date", "2026-11-29", "--stage", "gold", "load"])
    assert rc == runner.EXIT_STAGE_FAILED
    out = tmp_path / "runs" / "2026-11-29" / "latest"
    kept = (out / "03_gold.ipynb").read_text()
    assert "no silver for 2026-11-29" in kept
    assert not (out / "04_load.ipynb").exists()  # the run stopped at the first failure
    assert "stage gold failed" in (out / "run.log").read_text()


@pytest.mark.parametrize("how, imported", [
    ("import papermill", True),  # the control: jsonschema does import it when it is there
    ("from seatlib.run import execution; execution.import_papermill()", False),
])
def test_the_runner_imports_papermill_without_the_iri_validator(tmp_path, how, imported):
    """With JupyterLab in the venv, jsonschema would import rfc3987_syntax (a 2 s grammar build)
    for every run; the runner hides it while papermill imports, and only then."""
    marker = tmp_path / "imported"
    (tmp_path / "rfc3987_syntax.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "def is_valid_syntax(rule, value):\n    return True\n")
    code = (f"import os, sys; sys.path[:0] = [{str(tmp_path)!r}, {str(REPO_ROOT)!r}]\n{how}\n"
            f"print(os.path.exists({str(marker)!r}))\n"
            "import importlib; importlib.import_module('rfc3987_syntax')  # importable afterwards\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path,
                         capture_output=True, text=True).stdout.split()
    assert out == [str(imported)]
    assert marker.exists()  # the last line imported it
