"""End to end: the demo pipeline over three consecutive days, through papermill kernels, checked
against the simulator's truth; then the last day again, which must change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from seatlib.core import config as cfg
from seatlib.run import demo, runner
from seatlib.systems.lake import Lake
from tests.fixtures.demo import STAGE_NOTEBOOKS, demo_config

pytestmark = pytest.mark.slow

DAYS = [date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)]


def lake_files(settings: cfg.Settings, day: date) -> dict[str, bytes]:
    lake = Lake(settings.lake_url)
    keys = [k for k in lake.list("") if (day.isoformat() in k or k.endswith("latest.csv"))
            and not k.startswith(HISTORY)]
    return {k: lake.read_bytes(k) for k in keys}


#: The run history in the lake, which a re-run adds to (and never rewrites).
HISTORY = ("runs/", "runs_ledger/")


def history_files(settings: cfg.Settings, day: date) -> dict[str, bytes]:
    lake = Lake(settings.lake_url)
    return {k: lake.read_bytes(k) for k in lake.list("")
            if k.startswith(HISTORY) and day.isoformat() in k and not k.endswith("/LATEST")}


def warehouse_rows(settings: cfg.Settings, day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    from seatlib.systems import warehouse
    from seatlib.sim import postgres as pg

    server = pg.start_postgres(Path(settings.demo_dir) / "pg")
    try:
        with warehouse.connect(cfg.DatabaseSettings(dsn=server.dsn())) as wh:
            s = settings.warehouse_schema
            status = wh.fetch_frame(f"SELECT * FROM {s}.seat_status_daily WHERE snapshot_date = %s "
                                    "ORDER BY client_id, workspace_id", (day,))
            cap = wh.fetch_frame(f"SELECT * FROM {s}.seat_capacity_daily WHERE snapshot_date = %s",
                                 (day,))
            latest = wh.fetch_frame(f"SELECT COUNT(*) AS n, MIN(snapshot_date) AS d "
                                    f"FROM {s}.v_seat_status_latest")
    finally:
        server.stop()
    status.attrs["latest"] = latest
    return status, cap


@pytest.fixture(scope="module")
def three_days(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    path = demo_config(tmp)
    codes = [runner.main(["--demo", "--config", str(path), "--date", d.isoformat()]) for d in DAYS]
    return path, cfg.load_settings(path, env={}), codes


def test_each_day_runs_all_stages(three_days):
    path, settings, codes = three_days
    assert codes == [0, 0, 0]
    for d in DAYS:
        out = Path(settings.runs_dir) / d.isoformat() / "latest"
        assert sorted(p.name for p in out.glob("*.ipynb")) == STAGE_NOTEBOOKS
        assert (out / "report.html").stat().st_size > 5_000
    # the first run filled one day of history before it, in-process (no notebooks for it)
    assert Lake(settings.lake_url).exists(f"gold/seat_capacity/{DAYS[0] - timedelta(days=1)}.csv")


def test_gold_matches_the_simulators_truth(three_days):
    _, settings, _ = three_days
    for d in DAYS:
        assert demo.check_against_truth(settings, d) == []


def test_warehouse_holds_the_gold_rows(three_days):
    _, settings, _ = three_days
    from seatlib.stages import gold

    for d in DAYS:
        g = gold.read_day(Lake(settings.lake_url), "seat_status", d)
        rows, cap = warehouse_rows(settings, d)
        assert len(rows) == len(g) and len(cap) == 1
        assert sorted(rows["status"]) == sorted(g["status"].astype(str))
        assert rows["days_since_last_access"].isna().sum() == g["days_since_last_access"].isna().sum()
    latest = rows.attrs["latest"]
    assert int(latest["n"].iloc[0]) == len(g) and latest["d"].iloc[0] == DAYS[-1]


def test_rerunning_a_day_changes_nothing(three_days):
    path, settings, _ = three_days
    day = DAYS[-1]
    before_files, before_history = lake_files(settings, day), history_files(settings, day)
    before_rows, before_cap = warehouse_rows(settings, day)
    assert runner.main(["--demo", "--config", str(path), "--date", day.isoformat()]) == 0
    assert lake_files(settings, day) == before_files
    after_history = history_files(settings, day)  # the first attempt kept, a second added
    assert {k: after_history[k] for k in before_history} == before_history
    assert len({k.split("/")[2] for k in after_history if k.startswith("runs/")}) == 2
    after_rows, after_cap = warehouse_rows(settings, day)
    pd.testing.assert_frame_equal(after_rows, before_rows)
    pd.testing.assert_frame_equal(after_cap, before_cap)
