"""The compact history: carried-forward time in status equals a scan of the whole history, the
daily summary and the by-client store hold what the gold CSVs hold, back-fills stay right."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pandas as pd
import pytest

from seatlib.stages import gold, gold_history
from seatlib.core.contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES, coerce, fill_added
from seatlib.systems.lake import Lake, gold_key
from seatlib.stages.report import status_since

START = date(2026, 1, 1)


def status_frame(day: date, statuses: dict[int, str]) -> pd.DataFrame:
    rows = [{"snapshot_date": day.isoformat(), "client_id": c,
             "workspace_id": f"w{c}" if c % 7 else None, "workspace_name": f"{c} - C",
             "workspace_created_at": "2025-01-01 00:00:00", "admin_email": f"a{c}@x.com",
             "seat_held": s != "released", "seats_held": int(s != "released"),
             "last_access_at": None, "days_since_last_access": None, "module_active": True,
             "status": s, "reclaimable": s == "seat_held_by_ex_client"}
            for c, s in sorted(statuses.items())]
    return coerce(fill_added(pd.DataFrame(rows), GOLD_STATUS), GOLD_STATUS, "test")


def capacity_frame(day: date, used: int) -> pd.DataFrame:
    row = {"snapshot_date": day.isoformat(), "seats_allocated": 70, "seats_used": used,
           "seats_free": 70 - used, "seats_held_by_clients": used, "seats_held_by_ex_clients": 0,
           "seats_held_by_inactive_clients": 0, "seats_held_unmatched": 0, "seats_other": 0,
           "paying_without_user": 0, "usage_share": used / 70}
    return coerce(fill_added(pd.DataFrame([row]), GOLD_CAPACITY), GOLD_CAPACITY, "test")


def random_days(seed: int, n_days: int, n_clients: int) -> dict[date, dict[int, str]]:
    """Statuses that mostly stay, sometimes change; clients come, go and come back; gaps."""
    rnd = random.Random(seed)
    now = {c: rnd.choice(STATUSES) for c in range(1, n_clients + 1)}
    out = {}
    for i in range(n_days):
        for c in now:
            if rnd.random() < 0.15:
                now[c] = rnd.choice(STATUSES)
        if rnd.random() < 0.1:
            continue  # a missing day
        out[START + timedelta(days=i)] = {c: s for c, s in now.items() if rnd.random() > 0.1}
    return out


def write_day(lake: Lake, day: date, statuses: dict[int, str]) -> pd.DataFrame:
    status = status_frame(day, statuses)
    lake.write_bytes(gold_key(GOLD_STATUS.name, day), gold.to_csv_bytes(status))
    capacity = capacity_frame(day, len(statuses))
    lake.write_bytes(gold_key(GOLD_CAPACITY.name, day), gold.to_csv_bytes(capacity))
    gold_history.put_day(lake, day, status, capacity)
    return status


def scanned_since(lake: Lake, days) -> dict[date, pd.Series]:
    """What the report computed before, for each of ``days``: a scan of the whole gold history
    up to that day (the history read once: a day's scan never sees the days after it)."""
    history = gold.read_history(lake, GOLD_STATUS.name)
    return {day: status_since(history[history["snapshot_date"] <= day], day).sort_index()
            for day in days}


def carried_since(lake: Lake, day: date) -> pd.Series:
    latest = gold.read_day(lake, GOLD_STATUS.name, day)
    text = gold_history.since_text(gold_history.read_since(lake, day))
    keys = gold_history.row_key(latest)
    return pd.Series(keys.map(text).to_numpy(), index=keys.to_numpy()).sort_index()


@pytest.mark.parametrize("seed", [1, 2])
def test_carried_forward_since_equals_a_scan_of_the_history_every_day(tmp_path, seed):
    lake = Lake(str(tmp_path))
    days = random_days(seed, 40, 12)
    carried = {}
    for day, statuses in days.items():
        write_day(lake, day, statuses)
        carried[day] = carried_since(lake, day).to_dict()  # as the day's run saw it
    for day, scanned in scanned_since(lake, days).items():
        assert carried[day] == scanned.to_dict(), day


@pytest.mark.parametrize("seed", [4])
def test_a_back_filled_day_keeps_every_later_day_right(tmp_path, seed):
    lake = Lake(str(tmp_path))
    days = random_days(seed, 30, 10)
    order = list(days)
    held_back = [order[0], order[11], order[12], order[20]]  # the first day too
    for day in order:
        if day not in held_back:
            write_day(lake, day, days[day])
    rnd = random.Random(seed)
    for day in held_back:  # back-filled later, out of order
        write_day(lake, day, days[day])
    for day in rnd.sample(order, 5):  # and re-runs of days with another status somewhere
        changed = dict(days[day])
        changed[next(iter(changed))] = "unmatched"
        days[day] = changed
        write_day(lake, day, changed)
    for day, scanned in scanned_since(lake, order).items():
        assert carried_since(lake, day).to_dict() == scanned.to_dict(), day
    summary = gold_history.read_summary(lake)
    assert list(summary["snapshot_date"]) == order
    for day in order:
        counts = pd.Series(days[day]).value_counts()
        row = summary[summary["snapshot_date"] == day].iloc[0]
        assert {s: int(row[f"n_{s}"]) for s in STATUSES} == \
            {s: int(counts.get(s, 0)) for s in STATUSES}


def test_one_clients_rows_come_from_its_bucket_equal_to_the_gold_files(tmp_path):
    lake = Lake(str(tmp_path))
    days = random_days(7, 70, 40)  # three months
    for day, statuses in days.items():
        write_day(lake, day, statuses)
    write_day(lake, list(days)[3], list(days.values())[3])  # a re-run replaces, never appends
    history = gold.read_history(lake, GOLD_STATUS.name)
    for client in (1, 17, 33, 40):
        want = history[history["client_id"] == client].reset_index(drop=True)
        got = gold_history.read_client(lake, client)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert len(got) > 30
    assert gold_history.read_client(lake, 999).empty
    months = {k.split("month=")[1][:7] for k in lake.list(gold_history.BY_CLIENT_PREFIX)}
    assert months == {"2026-01", "2026-02", "2026-03"}


def test_a_lake_from_before_the_compact_history_gets_it_once(tmp_path):
    lake = Lake(str(tmp_path))
    days = random_days(8, 20, 8)
    for day, statuses in days.items():
        write_day(lake, day, statuses)
    want_summary = gold_history.read_summary(lake)
    want_client = gold_history.read_client(lake, 3)
    for key in lake.list("gold/"):
        if "/seat_status/" not in key and "/seat_capacity/" not in key:
            (tmp_path / key).unlink()
    gold_history.ensure(lake)
    pd.testing.assert_frame_equal(gold_history.read_summary(lake), want_summary)
    pd.testing.assert_frame_equal(gold_history.read_client(lake, 3), want_client)
    last = list(days)[-1]
    gold_history.put_since(lake, last, gold.read_day(lake, GOLD_STATUS.name, last),
                           list(want_summary["snapshot_date"]))
    assert carried_since(lake, last).to_dict() == scanned_since(lake, [last])[last].to_dict()
