"""The demo's truth follows the demo's reclaims: users deactivated through the simulator's API
are laid over the world's facts as over the state served, so the day's gold, made again after
the reclaim, still agrees with the truth file (seatlib.run.demo, seatlib.sim.users)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from seatlib.core import config as cfg
from seatlib.run import demo
from seatlib.stages import extract, gold, silver
from seatlib.stages import StageOptions
from seatlib.systems.zoho.users import portal_domain
from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config

DAY = date(2026, 11, 20)
REPLAY = StageOptions(allow_replay=True)


def truth_of(settings: cfg.Settings, day: date) -> dict:
    return json.loads((Path(settings.demo_dir) / "truth" / f"{day}.json").read_text())


def build(env: demo.DemoEnvironment, day: date) -> list[str]:
    """The day as a demo run makes it (served with the changes so far), then gold against the
    truth file."""
    env.set_day(day)
    extract.run(day, env.systems, REPLAY)
    silver.run(day, env.systems)
    gold.run(day, env.systems, REPLAY)
    return demo.check_against_truth(env.settings, day)


def test_gold_made_again_after_a_demo_reclaim_agrees_with_the_truth(tmp_path):
    with outside_pytest_tmp() as home, \
            demo.DemoEnvironment(cfg.load_settings(safe_demo_config(tmp_path, home))) as env:
        env.fill_history(DAY, 1)
        assert build(env, DAY) == []
        before = truth_of(env.settings, DAY)
        ex = [e for e in before["ledger"] if e["category"] == "ex_client"
              and len(e["domains"]) == 1][:2]
        assert len(ex) == 2
        with env.systems.zoho() as zoho:  # as the reclaim makes its calls
            for entry in ex:
                assert zoho.users.call("deactivate", [entry["email"]],
                                       portal_domain(entry["domains"][0])).ok
        assert [c["email"] for c in env.changes()] == [e["email"] for e in ex]

        assert build(env, DAY) == []  # the day's gold made again: 2 seats fewer, as the truth
        after = truth_of(env.settings, DAY)
        assert after["capacity"]["seats_used"] == before["capacity"]["seats_used"] - 2
        assert {e["email"] for e in before["ledger"]} - {e["email"] for e in after["ledger"]} \
            == {e["email"] for e in ex}
