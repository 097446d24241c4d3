"""The reclaim through the runner and papermill on the demo: plan, dry run, approved run, and
the next extract seeing the seats freed."""

from __future__ import annotations

import csv
import os
from datetime import datetime, timezone

import pytest

from seatlib import config as cfg
from seatlib import history, ledger, reclaim_cli, runner, trail
from seatlib.demo import check_against_truth
from seatlib.lake import Lake

from tests.fixtures.demo import safe_demo_config


def test_reclaim_parameters_match_the_runner(tmp_path):
    import papermill as pm

    args = runner.parse_args(["--reclaim", "--approve", "1003,1007", "--execute", "--approver",
                              " Ana Souza ", "--reason", "TICKET-4821", "--override-limit"])
    passed = reclaim_cli.reclaim_parameters(datetime.now(timezone.utc).date(), "c.toml", args,
                                            tmp_path / "runs" / ".." / "runs" / "02-101500")
    params = pm.inspect_notebook(str(runner.NOTEBOOKS_DIR / "reclaim_seats.ipynb"))
    assert list(params) == list(passed) == [
        "run_date", "config_path", "attempt_dir", "approve", "remove", "reactivate", "execute",
        "approver", "reason", "override_limit", "show_emails"]
    assert params["execute"]["default"] == "False"  # a dry run unless told
    assert params["override_limit"]["default"] == "False"
    assert passed["approve"] == "1003,1007" and passed["execute"] is True
    assert (passed["approver"], passed["reason"]) == ("Ana Souza", "TICKET-4821")
    assert passed["attempt_dir"] == str(tmp_path / "runs" / "02-101500")  # absolute, resolved
    assert passed["override_limit"] is True and passed["reactivate"] == ""
    undo = runner.parse_args(["--reclaim", "--reactivate", "1003"])
    assert reclaim_cli.reclaim_parameters(datetime.now(timezone.utc).date(), "c.toml", undo,
                                          tmp_path)["reactivate"] == "1003"


EXECUTE = ["--reclaim", "--approve", "1003", "--execute"]


@pytest.mark.parametrize("argv, message", [
    (["--execute", "--reclaim"], "nothing is changed in Zoho without a person's approval"),
    (["--approve", "1003"], "only go with --reclaim"),
    (["--approver", "Ana"], "--approver only go with --reclaim"),
    (["--reclaim", "--approve", "1", "--approve-file", "x.csv"], "not both"),
    (["--reclaim", "--stage", "gold"], "runs on its own"),
    (EXECUTE, "--execute needs --approver NAME and --reason TEXT"),
    (EXECUTE + ["--approver", "Ana"], "--execute needs --reason TEXT:"),
    (EXECUTE + ["--reason", "T-1"], "--execute needs --approver NAME:"),
    (EXECUTE + ["--approver", "  ", "--reason", "T-1"], "--approver must not be blank"),
    (["--reclaim", "--approve", "1003", "--override-limit"],
     "--override-limit only goes with --execute"),
    (["--reclaim", "--reactivate", "1003", "--approve", "1003"], "--reactivate undoes"),
    (["--reclaim", "--reactivate", "1003", "--remove", "1003"], "--reactivate undoes"),
    (["--reclaim", "--reactivate", "1003", "--execute"], "--execute needs --approver"),
])
def test_reclaim_usage_errors_exit_2(argv, message, capsys):
    assert runner.main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_execution_with_its_approver_and_reason_parses():
    args = runner.parse_args(EXECUTE + ["--approver", "Ana", "--reason", "T-1",
                                        "--override-limit"])
    assert args.execute and args.override_limit and (args.approver, args.reason) == ("Ana", "T-1")
    assert runner.parse_args(["--reclaim", "--reactivate", "1003", "--execute", "--approver",
                              "Ana", "--reason", "came back"]).reactivate == "1003"


def _gold(settings) -> dict[str, dict]:
    path = f"{settings.lake_url}/gold/seat_status_latest.csv"
    return {r["client_id"]: r for r in csv.DictReader(open(path, encoding="utf-8"))}


def _used(settings, day) -> int:
    path = f"{settings.lake_url}/gold/seat_capacity/{day.isoformat()}.csv"
    return int(next(csv.DictReader(open(path, encoding="utf-8")))["seats_used"])


def _reclaim_attempts(day_folder) -> list:
    return [p for p in sorted(day_folder.iterdir())
            if history.read_info(p).get("kind") == "reclaim"]


@pytest.mark.slow
def test_demo_reclaim_dry_run_then_execute_then_the_next_extract_sees_it(tmp_path, pg_home,
                                                                         capsys):
    config = str(safe_demo_config(tmp_path, pg_home, history_days=1))
    settings = cfg.load_settings(config, env={})
    day = datetime.now(timezone.utc).date()
    demo = ["--demo", "--config", config]
    assert runner.main(demo) == 0
    used = _used(settings, day)
    out = tmp_path / "runs" / day.isoformat()
    daily = (out / "latest").resolve()
    kept = {p.name: p.read_bytes() for p in daily.iterdir() if p.is_file()}
    assert len([n for n in kept if n.startswith("0")]) == 5
    success = (tmp_path / "runs" / "last-success.json").read_bytes()

    capsys.readouterr()
    assert runner.main(demo + ["--reclaim"]) == 0  # the plan only
    [attempt] = _reclaim_attempts(out)
    assert attempt.name.startswith("02-")
    printed = capsys.readouterr().out.splitlines()
    block = printed[printed.index(f"outputs of the reclaim of {day} (attempt {attempt.name}, "
                                  f"dry run, succeeded):"):]
    assert [block[1], *block[3:]] == [  # the plan's line: tested with a stand-in notebook
        f"  notebook   {attempt}/reclaim_seats.ipynb",
        f"  log        {attempt}/run.log",
        "  alerts     none recorded",
        f"  truth      {pg_home}/truth/{day}.json  (the simulator's expected statuses)"]
    assert {"attempt.json", "reclaim_seats.ipynb", "run.log", ".stored"} <= \
        {p.name for p in attempt.iterdir()}
    assert "reclaim for" in (attempt / "run.log").read_text()
    # the engine writes the plan into the attempt (docs/reclaim.md §1); before it did, into the
    # day's folder
    plan_file = next(p for p in (attempt / "reclaim_plan.csv", out / "reclaim_plan.csv")
                     if p.is_file())
    plan = list(csv.DictReader(open(plan_file, encoding="utf-8")))
    ex = [r["client_id"] for r in plan if r["reason"] == "seat_held_by_ex_client"][:2]
    assert len(ex) == 2 and all("***@" in r["email"] for r in plan)  # masked
    assert os.readlink(out / "latest") == daily.name == (out / "LATEST").read_text().strip()
    assert {p.name: p.read_bytes() for p in daily.iterdir() if p.is_file()} == kept
    assert (tmp_path / "runs" / "last-success.json").read_bytes() == success  # --check's
    assert not (out / "reclaim.log").exists()

    lake = Lake(settings.lake_url)
    rows = ledger.read(lake)
    mine = rows[rows["attempt_folder"] == attempt.name]
    assert mine[["stage", "kind", "outcome"]].values.tolist() == [
        ["reclaim", "reclaim", "ok"], ["run", "reclaim", "ok"]]
    durable = history.durable(settings)
    for name in ("reclaim_seats.ipynb", "attempt.json"):
        assert durable.read_bytes(f"{day}/{attempt.name}/{name}") == (attempt / name).read_bytes()
    assert durable.read_bytes(f"{day}/LATEST").decode().strip() == daily.name

    assert runner.main(demo + ["--reclaim", "--approve", ",".join(ex)]) == 0
    assert [e["kind"] for e in trail.read_trail(lake)] == ["dry_run"]
    assert {ex[0], ex[1]} <= {c for c, r in _gold(settings).items()
                              if r["status"] == "seat_held_by_ex_client"}

    assert runner.main(demo + ["--reclaim", "--approve", ",".join(ex), "--execute",
                               "--approver", "Ana Souza", "--reason", "TICKET-4821"]) == 0
    assert len(_reclaim_attempts(out)) == 3
    summary = trail.trail_summary(lake, day)
    assert summary[["deactivated", "seats_freed"]].values.tolist() == [[2, 2]]
    assert (pg_home / "zoho_changes.json").exists()

    assert runner.main(demo + ["--stage", "extract", "silver", "gold"]) == 0
    gold = _gold(settings)
    assert gold[ex[0]]["status"] == gold[ex[1]]["status"] == "released"
    assert _used(settings, day) == used - 2
    assert check_against_truth(settings, day) == []  # the truth follows the demo's reclaims
