"""The reclaim through the runner and papermill on the demo: plan, dry run, approved run, and
the next extract seeing the seats freed."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.history import attempts as history, ledger
from seatlib.run import reclaim as reclaim_cli, runner
from seatlib.run.demo import check_against_truth
from seatlib.systems.lake import Lake
from seatlib.history import trail

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
    (["--reclaim", "--remove", "1003", "--approve", "1003"], "--remove is a run of its own"),
    (["--reclaim", "--date", "2026-01-05"], "it takes no --date other than today"),
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


def _plan(attempt) -> list[dict]:
    return list(csv.DictReader(open(attempt / "reclaim_plan.csv", encoding="utf-8")))


def _approve(attempt, tmp_path, row_ids: set[str]):
    """A person's copy of the attempt's plan, ``yes`` on ``row_ids``, under another name."""
    rows = _plan(attempt)
    path = tmp_path / "approved by Ana.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({**r, "approve": "yes" if r["row_id"] in row_ids else ""} for r in rows)
    return str(path)


def _active(settings) -> dict[str, bool]:
    """The demo simulator's users after the demo's recorded changes (by address)."""
    import json

    changes = json.loads((Path(settings.demo_dir) / "zoho_changes.json").read_text())
    return {c["email"]: c["action"] for c in changes}


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
    assert printed[0].startswith("plan p") and "serving only ex-clients" in printed[0]
    block = printed[printed.index(f"outputs of the reclaim of {day} (attempt {attempt.name}, "
                                  f"dry run, succeeded):"):]
    assert block[1:] == [
        f"  notebook   {attempt}/reclaim_seats.ipynb", f"  plan       {attempt}/reclaim_plan.csv",
        f"  log        {attempt}/run.log", "  alerts     none recorded",
        f"  truth      {pg_home}/truth/{day}.json  (the simulator's expected statuses)"]
    assert {"attempt.json", "reclaim_seats.ipynb", "reclaim_plan.csv", "reclaim.json", "run.log",
            ".stored"} <= {p.name for p in attempt.iterdir()}
    plan = _plan(attempt)
    assert all("***@" in r["email"] for r in plan) and not any(r["approve"] for r in plan)
    ex = [r for r in plan if r["reason"] == "ex_client" and ";" not in r["clients"]][:2]
    assert len(ex) == 2
    assert os.readlink(out / "latest") == daily.name == (out / "LATEST").read_text().strip()
    assert {p.name: p.read_bytes() for p in daily.iterdir() if p.is_file()} == kept
    assert (tmp_path / "runs" / "last-success.json").read_bytes() == success  # --check's
    assert not (out / "reclaim.log").exists() and not (out / "reclaim_plan.csv").exists()

    lake = Lake(settings.lake_url)
    rows = ledger.read(lake)
    mine = rows[rows["attempt_folder"] == attempt.name]
    assert mine[["stage", "kind", "outcome"]].values.tolist() == [
        ["reclaim", "reclaim", "ok"], ["run", "reclaim", "ok"]]
    durable = history.durable(settings)
    for name in ("reclaim_seats.ipynb", "attempt.json", "reclaim_plan.csv"):
        assert durable.read_bytes(f"{day}/{attempt.name}/{name}") == (attempt / name).read_bytes()
    assert durable.read_bytes(f"{day}/LATEST").decode().strip() == daily.name

    # a copy of the plan with yes on one row deactivates that row's user, nobody else's
    approved = _approve(attempt, tmp_path, {ex[0]["row_id"]})
    assert runner.main(demo + ["--reclaim", "--approve-file", approved]) == 0  # dry run
    assert [e["kind"] for e in trail.read_trail(lake)] == ["dry_run"]
    assert runner.main(demo + ["--reclaim", "--approve-file", approved, "--execute",
                               "--approver", "Ana Souza", "--reason", "TICKET-4821"]) == 0
    summary = trail.trail_summary(lake, day)
    assert summary[["deactivated", "seats_freed"]].values.tolist() == [[1, 1]]
    assert summary["who"].iloc[0].startswith("Ana Souza (")

    # by client id, then undo it
    ids = ex[1]["clients"]
    assert runner.main(demo + ["--reclaim", "--approve", ids, "--execute", "--approver", "Ana",
                               "--reason", "T-2"]) == 0
    assert runner.main(demo + ["--reclaim", "--reactivate", ids, "--execute", "--approver",
                               "Ana", "--reason", "the client came back"]) == 0
    assert list(_active(settings).values()).count("activate") == 1
    assert len(_reclaim_attempts(out)) == 5  # plan, dry run, execute, by ids, undo

    assert runner.main(demo + ["--stage", "extract", "silver", "gold"]) == 0
    gold = _gold(settings)
    assert gold[ex[0]["clients"]]["status"] == "released"  # freed
    assert gold[ids]["status"] == "seat_held_by_ex_client"  # given back
    assert _used(settings, day) == used - 1
    assert check_against_truth(settings, day) == []  # the truth follows the demo's reclaims


@pytest.mark.slow
def test_demo_reclaim_refusals_through_the_runner(tmp_path, pg_home, capsys):
    """What must change nothing, with exit 2: executing nothing approved, a plan whose client
    paid again, a mass of users over the limit; with exit 1, a trail that cannot be written."""
    config = str(safe_demo_config(tmp_path, pg_home, history_days=1))
    settings = cfg.load_settings(config, env={})
    day = datetime.now(timezone.utc).date()
    demo = ["--demo", "--config", config]
    assert runner.main(demo) == 0
    out = tmp_path / "runs" / day.isoformat()
    execute = ["--execute", "--approver", "Ana", "--reason", "T-9"]
    assert runner.main(demo + ["--reclaim", "--approve", ",,,"] + execute) == 2
    assert runner.main(demo + ["--reclaim"]) == 0
    attempt = _reclaim_attempts(out)[-1]
    plan = _plan(attempt)
    one = next(r for r in plan if r["reason"] == "ex_client" and ";" not in r["clients"])
    approved = _approve(attempt, tmp_path, {r["row_id"] for r in plan})  # the whole list

    # the client paid again after the plan: the company's answer now says so (the demo
    # lays the world's company over its database every run, so its query is what changes)
    paid = Path(config).with_name("paid-again.toml")
    paid.write_text(Path(config).read_text().replace(
        "SELECT client_id, bi_module_active AS module_active",
        f"SELECT client_id, (bi_module_active OR client_id = {int(one['clients'])}) "
        f"AS module_active"))
    capsys.readouterr()
    assert runner.main(["--demo", "--config", str(paid), "--reclaim", "--approve-file",
                        approved] + execute) == 2
    text = capsys.readouterr().out
    assert "REFUSED: the plan changed: make a new one" in text and one["row_id"] in text
    assert not (pg_home / "zoho_changes.json").exists()  # nothing changed in Zoho

    rest = [r for r in plan if r["row_id"] != one["row_id"]]
    assert len(rest) > 10  # more than [reclaim] max_users
    approved = _approve(attempt, tmp_path, {r["row_id"] for r in rest})
    assert runner.main(demo + ["--reclaim", "--approve-file", approved] + execute) == 2
    assert "over the limit" in capsys.readouterr().out
    assert not (pg_home / "zoho_changes.json").exists()

    trail_dir = Path(settings.lake_url) / "reclaim" / "trail"
    shutil.rmtree(trail_dir)
    trail_dir.write_text("a file where the trail's folder should be")
    two = _approve(attempt, tmp_path, {rest[0]["row_id"]})
    assert runner.main(demo + ["--reclaim", "--approve-file", two] + execute) == 1
    assert not (pg_home / "zoho_changes.json").exists()  # no call without its trail entry
