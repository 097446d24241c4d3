"""The reclaim through the runner and papermill on the demo: plan, dry run, approved run, and
the next extract seeing the seats freed."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest

from seatlib import config as cfg
from seatlib import reclaim_cli, runner, trail
from seatlib.lake import Lake

from tests.fixtures.demo import safe_demo_config


def test_reclaim_parameters_match_the_runner():
    import papermill as pm

    args = runner.parse_args(["--reclaim", "--approve", "1003,1007", "--execute"])
    passed = reclaim_cli.reclaim_parameters(datetime.now(timezone.utc).date(), "c.toml", args)
    params = pm.inspect_notebook(str(runner.NOTEBOOKS_DIR / "reclaim_seats.ipynb"))
    assert set(params) == set(passed)
    assert params["execute"]["default"] == "False"  # a dry run unless told
    assert passed["approve"] == "1003,1007" and passed["execute"] is True


@pytest.mark.parametrize("argv, message", [
    (["--execute", "--reclaim"], "nothing is changed in Zoho without a person's approval"),
    (["--approve", "1003"], "only go with --reclaim"),
    (["--reclaim", "--approve", "1", "--approve-file", "x.csv"], "not both"),
    (["--reclaim", "--stage", "gold"], "runs on its own"),
])
def test_reclaim_usage_errors_exit_2(argv, message, capsys):
    assert runner.main(argv) == 2
    assert message in capsys.readouterr().err


def _gold(settings) -> dict[str, dict]:
    path = f"{settings.lake_url}/gold/seat_status_latest.csv"
    return {r["client_id"]: r for r in csv.DictReader(open(path, encoding="utf-8"))}


def _used(settings, day) -> int:
    path = f"{settings.lake_url}/gold/seat_capacity/{day.isoformat()}.csv"
    return int(next(csv.DictReader(open(path, encoding="utf-8")))["seats_used"])


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
    daily = {p.name: p.stat().st_mtime_ns for p in (out / "latest").glob("0*.ipynb")}
    assert len(daily) == 5

    capsys.readouterr()
    assert runner.main(demo + ["--reclaim"]) == 0  # the plan only
    assert capsys.readouterr().out.splitlines() == [
        f"outputs of the reclaim of {day} (dry run, succeeded):",
        f"  notebook   {out}/reclaim_seats.ipynb",
        f"  plan       {out}/reclaim_plan.csv",
        f"  log        {out}/reclaim.log",
        f"  truth      {pg_home}/truth/{day}.json  (the simulator's expected statuses)"]
    plan = list(csv.DictReader(open(out / "reclaim_plan.csv", encoding="utf-8")))
    ex = [r["client_id"] for r in plan if r["reason"] == "seat_held_by_ex_client"][:2]
    assert len(ex) == 2 and all("***@" in r["email"] for r in plan)  # masked
    assert (out / "reclaim_seats.ipynb").exists()
    assert {p.name: p.stat().st_mtime_ns for p in (out / "latest").glob("0*.ipynb")} == daily  # no stage ran

    lake = Lake(settings.lake_url)
    assert runner.main(demo + ["--reclaim", "--approve", ",".join(ex)]) == 0
    assert [e["kind"] for e in trail.read_trail(lake)] == ["dry_run"]
    assert {ex[0], ex[1]} <= {c for c, r in _gold(settings).items()
                              if r["status"] == "seat_held_by_ex_client"}

    assert runner.main(demo + ["--reclaim", "--approve", ",".join(ex), "--execute"]) == 0
    summary = trail.trail_summary(lake, day)
    assert summary[["deactivated", "seats_freed"]].values.tolist() == [[2, 2]]
    assert (pg_home / "zoho_changes.json").exists()

    assert runner.main(demo + ["--stage", "extract", "silver", "gold"]) == 0
    gold = _gold(settings)
    assert gold[ex[0]]["status"] == gold[ex[1]]["status"] == "released"
    assert _used(settings, day) == used - 2
