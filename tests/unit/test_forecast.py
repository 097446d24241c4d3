"""The run-out forecast and the pool's time full, on small constructed capacity histories."""

from datetime import date, timedelta

import pandas as pd
import pytest

from seatlib.stages.report.forecast import forecast, full_days, full_since, theil_sen

DAY = date(2026, 3, 31)


def capacity(used: list[int], allocated: int = 70, skip: tuple[int, ...] = (),
             waiting: int = 0) -> pd.DataFrame:
    """One row per day ending on DAY; days at the positions in ``skip`` are missing."""
    n = len(used)
    rows = [{"snapshot_date": DAY - timedelta(days=n - 1 - i), "seats_allocated": allocated,
             "seats_used": u, "seats_free": allocated - u, "paying_without_user": waiting}
            for i, u in enumerate(used) if i not in skip]
    return pd.DataFrame(rows)


def test_theil_sen_ignores_one_outlier():
    slope, intercept = theil_sen([0, 1, 2, 3, 4, 5], [10, 11, 12, 40, 14, 15])
    assert slope == pytest.approx(1.0) and intercept == pytest.approx(10.0)


def test_rising_gives_a_run_out_day():
    f = forecast(capacity([40 + i // 2 for i in range(28)]), DAY)  # +0.5 a day, 53 used
    assert f.slope_per_day == pytest.approx(0.5)
    assert f.run_out == DAY + timedelta(days=34)  # 17 free / 0.5
    assert "run out around 2026-05-04" in f.sentence and "Theil–Sen" in f.method


def test_flat_and_falling_give_none():
    flat = forecast(capacity([60] * 28), DAY)
    falling = forecast(capacity([68 - i // 4 for i in range(28)]), DAY)
    assert flat.run_out is None and "flat" in flat.sentence
    assert falling.run_out is None and "falling" in falling.sentence


def test_already_full_says_since_when_and_who_waits():
    f = forecast(capacity([66, 67, 68, 69, 70, 70, 70, 70], waiting=3), DAY)
    assert f.run_out is None and f.full_since == DAY - timedelta(days=3)
    assert "since 2026-03-28 (4 days)" in f.sentence and "3 client(s)" in f.sentence


def test_a_missing_day_is_an_absent_point_not_a_zero():
    used = [40 + i for i in range(28)]
    f = forecast(capacity(used, allocated=100, skip=(10,)), DAY)
    assert f.points == 27 and f.slope_per_day == pytest.approx(1.0)


def test_too_little_history_gives_no_forecast():
    f = forecast(capacity([50, 51, 52]), DAY)
    assert f.run_out is None and "at least 7" in f.sentence


def test_pool_full_days_and_streak_across_a_missing_day():
    c = capacity([70, 69, 70, 70, 70, 70], skip=(3,))
    assert full_since(c) == DAY - timedelta(days=3)  # the missing day does not break the run
    assert full_days(c, DAY) == (4, 5)
    assert full_since(capacity([70, 69])) is None
