"""The block every run ends with: where its page, notebooks, to-do list and log are (and the
demo's truth), only files that are there, the same shape for a daily run, a back-fill and a
reclaim (seatlib.run.outputs)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.history import attempts as history
from seatlib.run import outputs, runner
from seatlib.reclaim.flow import read_lines
from seatlib.run.session import Session
from seatlib.stages import STAGES

DAY = date(2026, 11, 29)
NOTEBOOK = {stage.name: stage.notebook for stage in STAGES}


def settings(tmp_path: Path) -> cfg.Settings:
    return cfg.Settings(lake_url=str(tmp_path / "lake"), runs_dir=str(tmp_path / "runs"),
                        demo_dir=str(tmp_path / "demo"))


def attempt(session: Session, day: date, stages: list[str], failed: str = "",
            kind: str | None = None) -> Path:
    """An attempt as the runner leaves it: a notebook per stage run, the report's files when the
    report ran, the ledger's outcome of each stage."""
    a = session.attempt(day, kind)
    rec = session.recorder(day, kind)
    for stage in stages:
        rec.start(stage)
        (a.folder / f"{NOTEBOOK[stage]}.ipynb").write_text("{}")
        rec.end(stage, [], "DataQualityError: no" if stage == failed else "")
        if stage == failed:
            break
    if "report" in stages and not failed:
        (a.folder / "report.html").write_text("<html>")
        (a.folder / "actions.csv").write_text("Action\n")
    (a.folder / "run.log").write_text("log\n")
    return a.folder


def test_a_demo_day_that_succeeded(tmp_path):
    s = settings(tmp_path)
    session = Session(s, "daily")
    folder = attempt(session, DAY, ["extract", "silver", "gold", "load", "report"])
    (tmp_path / "demo" / "truth").mkdir(parents=True)
    (tmp_path / "demo" / "truth" / f"{DAY}.json").write_text("{}")
    assert outputs.run_block(session, s, DAY, 0, demo=True) == [
        f"outputs of {DAY} (attempt {folder.name}, succeeded):",
        f"  page       {folder}/report.html",
        f"  notebooks  {folder}/  (01_extract … 05_report)",
        f"  to-do      {folder}/actions.csv",
        f"  log        {folder}/run.log",
        f"  truth      {tmp_path}/demo/truth/{DAY}.json  (the simulator's expected statuses)"]


def test_a_failed_stage_names_what_was_not_written_and_why(tmp_path):
    s = settings(tmp_path)
    session = Session(s, "daily")
    folder = attempt(session, DAY, ["extract", "silver", "gold", "load", "report"], failed="gold")
    assert outputs.run_block(session, s, DAY, 1, demo=False) == [
        f"outputs of {DAY} (attempt {folder.name}, FAILED at gold):",
        "  page       not written: the run failed at gold",
        f"  notebooks  {folder}/  (01_extract … 03_gold)",
        "  to-do      not written: the run failed at gold",
        f"  log        {folder}/run.log"]


def test_stages_without_the_report_and_a_run_that_stopped_before_any(tmp_path):
    s = settings(tmp_path)
    session = Session(s, "stages")
    folder = attempt(session, DAY, ["gold", "load"])
    lines = outputs.run_block(session, s, DAY, 0, demo=False)
    assert lines[1:4] == ["  page       not written: the report stage was not run (the page "
                          "comes from it)",
                          f"  notebooks  {folder}/  (03_gold, 04_load)",
                          "  to-do      not written: the report stage was not run (the to-do "
                          "list comes from it)"]
    session = Session(s, "daily")
    session.attempt(DAY + timedelta(days=1))
    lines = outputs.run_block(session, s, DAY + timedelta(days=1), 1, demo=True)
    assert lines[0].endswith("FAILED, exit 1; see the log):")
    assert lines[2] == ("  notebooks  not written: the run stopped before its first stage "
                        "(see the log)")
    assert lines[4] == "  log        not written (see the run's stderr)"
    assert lines[5] == (f"  truth      none for {DAY + timedelta(days=1)} (the demo had not "
                        f"served that day)")


def test_catch_up_days_are_one_line(tmp_path):
    s = settings(tmp_path)
    session = Session(s, "daily")
    late = attempt(session, DAY - timedelta(days=2), ["silver", "gold", "load", "report"],
                   kind="catch-up")
    folder = attempt(session, DAY, ["extract", "silver", "gold", "load", "report"])
    lines = outputs.run_block(session, s, DAY, 0, demo=False)
    assert lines[1] == f"  page       {folder}/report.html"
    assert lines[-1] == f"  other days {late}/  (catch-up)"


def test_a_backfill_shows_its_last_rebuilt_day_and_the_log_of_its_last(tmp_path):
    s = settings(tmp_path)
    session = Session(s, "backfill")
    days = [DAY - timedelta(days=n) for n in (3, 2, 1)]
    log_attempt = session.attempt(DAY)  # the runner's log; the day itself has no bronze
    (log_attempt.folder / "run.log").write_text("log\n")
    folders = [attempt(session, d, ["silver", "gold", "load", "report"]) for d in days]
    assert outputs.run_block(session, s, DAY, 0, demo=False, backfill=[days[0], DAY]) == [
        f"outputs of the back-fill {days[0]}..{DAY} (succeeded):",
        f"  page       {folders[-1]}/report.html",
        f"  notebooks  {folders[-1]}/  (02_silver … 05_report)",
        f"  to-do      {folders[-1]}/actions.csv",
        f"  log        {log_attempt.folder}/run.log",
        f"  other days 2 attempts, {folders[0]}/ … {folders[1]}/"]


def test_a_reclaim_names_its_attempts_notebook_plan_log_and_alerts(tmp_path):
    s = settings(tmp_path)
    a = history.begin(s, DAY, "reclaim")
    for name in ("reclaim_seats.ipynb", "run.log", "reclaim_plan.csv"):
        (a.folder / name).write_text("x")
    lines = outputs.reclaim_block(s, a, 0, execute=False, demo=False)
    assert lines == [f"outputs of the reclaim of {DAY} (attempt {a.name}, dry run, succeeded):",
                     f"  notebook   {a.folder}/reclaim_seats.ipynb",
                     f"  plan       {a.folder}/reclaim_plan.csv",
                     f"  log        {a.folder}/run.log",
                     "  alerts     none recorded"]
    (a.folder / "reclaim_plan.csv").unlink()
    (a.folder / "alerts.json").write_text("[]")
    lines = outputs.reclaim_block(s, a, 1, execute=True, demo=True)
    assert lines == [f"outputs of the reclaim of {DAY} (attempt {a.name}, executed, FAILED, "
                     f"exit 1):",
                     f"  notebook   {a.folder}/reclaim_seats.ipynb",
                     "  plan       not written: the reclaim failed before it (see the notebook)",
                     f"  log        {a.folder}/run.log",
                     f"  alerts     {a.folder}/alerts.json",
                     f"  truth      none for {DAY} (the demo had not served that day)"]
    (a.folder / "reclaim_seats.ipynb").unlink()
    assert outputs.reclaim_block(s, a, 1, execute=True, demo=False)[1:3] == [
        "  notebook   not written: the reclaim failed before it (see the log)",
        "  plan       not written: the reclaim failed before it (see the log)"]
    assert outputs.reclaim_block(s, a, 0, execute=True, demo=False)[2] == \
        "  plan       none: this reclaim wrote no plan (see the notebook)"  # e.g. --reactivate


def test_the_reclaims_summary_lines_are_printed_masked_and_harmless(tmp_path):
    summary = tmp_path / "reclaim.json"
    summary.write_text(json.dumps({"lines": [
        "plan 3f9c…: 4 row(s): 3 seat_held_by_ex_client, 1 inactive",
        "  1003  a***@one.example  seat_held_by_ex_client",
        "  1007  bob@two.example  inactive\nsecond line",
        "\x1b[2Jcleared?"], "other": 1}))
    assert read_lines(tmp_path) == [
        "plan 3f9c…: 4 row(s): 3 seat_held_by_ex_client, 1 inactive",
        "  1003  a***@one.example  seat_held_by_ex_client",
        "  1007  b***@two.example  inactive", "second line",  # masked again, split
        "?[2Jcleared?", ""]  # no escape sequence reaches the terminal
    assert "  1007  bob@two.example  inactive" in read_lines(tmp_path,
                                                                        show_emails=True)


@pytest.mark.parametrize("content, says", [
    (None, "reclaim: no summary ({p} was not written; see the notebook)"),
    ("{not json", "reclaim: the summary {p} could not be read (JSONDecodeError); see the notebook"),
    (b"\xff\xfe", "reclaim: the summary {p} could not be read (UnicodeDecodeError); see the "
                  "notebook"),
    ('["a list"]', 'reclaim: the summary {p} has no "lines" list of text; see the notebook'),
    ('{"lines": "one text"}', 'reclaim: the summary {p} has no "lines" list of text; see the '
                              'notebook'),
    ('{"lines": ["ok", 3]}', 'reclaim: the summary {p} has no "lines" list of text; see the '
                             'notebook'),
])
def test_a_missing_or_malformed_summary_is_one_line(tmp_path, content, says):
    path = tmp_path / "reclaim.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert read_lines(tmp_path) == [says.format(p=path), ""]


def test_paths_under_the_repository_are_shown_from_its_root(tmp_path):
    assert cfg.shown_path(cfg.REPO_ROOT / "var" / "demo" / "runs") == "var/demo/runs"
    assert cfg.shown_path(tmp_path / "runs") == str(tmp_path / "runs")


def test_the_runner_prints_the_block_after_a_failed_stage(tmp_path, capsys):
    """gold without silver fails in its kernel; the block is the last thing on stdout."""
    path = tmp_path / "settings.toml"
    path.write_text(f'[lake]\nurl = "{tmp_path / "lake"}"\n[runs]\ndir = "{tmp_path / "runs"}"\n')
    rc = runner.main(["--config", str(path), "--date", DAY.isoformat(), "--stage", "gold",
                      "report"])
    assert rc == runner.EXIT_STAGE_FAILED
    folder = (tmp_path / "runs" / DAY.isoformat() / "latest").resolve()
    assert capsys.readouterr().out.splitlines() == [
        f"outputs of {DAY} (attempt {folder.name}, FAILED at gold):",
        "  page       not written: the run failed at gold",
        f"  notebooks  {folder}/  (03_gold)",
        "  to-do      not written: the run failed at gold",
        f"  log        {folder}/run.log"]
