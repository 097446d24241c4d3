"""When the seats run out at the recent pace, and how long the pool has been full.

Method (said on the page too): a Theil–Sen line through seats used per day over the last
``forecast_days`` days of gold capacity (28 by default). Theil–Sen takes the median of the slopes
between every pair of days, so one odd day (a bulk clean-up, a missing extract) does not tilt it;
missing days are simply absent points, the x axis is the real date. The run-out day is today's
free seats divided by that slope. No day is given when the slope is flat (under
:data:`FLAT_SEATS_PER_DAY`) or falling, or with fewer than :data:`MIN_POINTS` days of history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

import pandas as pd

MIN_POINTS = 7
#: Less than one seat in 50 days counts as flat.
FLAT_SEATS_PER_DAY = 0.02
#: The pool's "full on N of the last M days" looks this far back.
POOL_WINDOW_DAYS = 90

METHOD = ("Theil–Sen trend (the median of the slopes between every pair of days) of seats used "
          "over the last {days} days; run-out day = free seats today ÷ seats added per day.")


@dataclass(frozen=True)
class Forecast:
    """The outcome, and the sentence the page and the alerts show."""

    method: str
    points: int  # days of history the trend used
    slope_per_day: float | None  # seats used added per day (None: too few days)
    run_out: date | None  # the day the free seats reach 0 at this pace
    full_since: date | None  # already full: the first day of the current full streak
    waiting: int  # clients paying without a user (they wait for a seat)
    sentence: str


def theil_sen(x: list[float], y: list[float]) -> tuple[float, float]:
    """(slope, intercept) of the Theil–Sen line through the points; needs two distinct x."""
    slopes = [(y[j] - y[i]) / (x[j] - x[i])
              for i in range(len(x)) for j in range(i + 1, len(x)) if x[j] != x[i]]
    if not slopes:
        raise ValueError("Theil–Sen needs at least two distinct x values")
    slope = median(slopes)
    return slope, median(yi - slope * xi for xi, yi in zip(x, y))


def _days(capacity: pd.DataFrame) -> list[date]:
    return [d if isinstance(d, date) else date.fromisoformat(str(d))
            for d in capacity["snapshot_date"]]


def full_since(capacity: pd.DataFrame) -> date | None:
    """First day of the current run of full days (free seats at or below 0), None if not full.

    Missing days do not break the run: only days with gold are known.
    """
    days, free = _days(capacity), list(capacity["seats_free"].astype(int))
    if not free or free[-1] > 0:
        return None
    i = len(free) - 1
    while i > 0 and free[i - 1] <= 0:
        i -= 1
    return days[i]


def full_days(capacity: pd.DataFrame, until: date, window: int = POOL_WINDOW_DAYS
              ) -> tuple[int, int]:
    """(days full, days with gold) in the ``window`` days up to ``until``."""
    days = _days(capacity)
    start = until - timedelta(days=window - 1)
    inside = [start <= d <= until for d in days]
    free = capacity["seats_free"].astype(int)
    return int(sum(f <= 0 for f, i in zip(free, inside) if i)), int(sum(inside))


def forecast(capacity: pd.DataFrame, day: date, window_days: int = 28) -> Forecast:
    """The run-out forecast from capacity rows (oldest first, the last one is ``day``)."""
    method = METHOD.format(days=window_days)
    today = capacity.iloc[-1]
    waiting = int(today["paying_without_user"])
    since = full_since(capacity)
    if since is not None:
        return Forecast(method, 0, None, None, since, waiting,
                        f"The seats are already full, since {since} "
                        f"({(day - since).days + 1} days); {waiting} client(s) paying for the "
                        f"module wait for a user.")
    days = _days(capacity)
    start = day - timedelta(days=window_days - 1)
    pts = [((d - day).days, float(u)) for d, u in zip(days, capacity["seats_used"]) if d >= start]
    if len(pts) < MIN_POINTS:
        return Forecast(method, len(pts), None, None, None, waiting,
                        f"No forecast: {len(pts)} day(s) of history in the last {window_days}, "
                        f"at least {MIN_POINTS} needed.")
    slope, _ = theil_sen([p[0] for p in pts], [p[1] for p in pts])
    free = int(today["seats_free"])
    if slope < FLAT_SEATS_PER_DAY:
        trend = "falling" if slope < 0 else "flat"
        return Forecast(method, len(pts), slope, None, None, waiting,
                        f"No run-out day: seats used are {trend} over the last {window_days} days "
                        f"({slope:+.2f} a day); {free} seat(s) free.")
    run_out = day + timedelta(days=math.ceil(free / slope))
    return Forecast(method, len(pts), slope, run_out, None, waiting,
                    f"At the recent pace ({slope:+.2f} seats a day) the {free} free seat(s) run "
                    f"out around {run_out} (in {(run_out - day).days} days).")
