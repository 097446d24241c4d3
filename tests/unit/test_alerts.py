"""Capacity levels and when a message goes out."""

import dataclasses

import pytest

from seatlib.stages.report import alerts
from seatlib.core.config import AlertSettings, Settings

S = Settings()


def row(used: int, allocated: int = 70) -> dict:
    return {"seats_allocated": allocated, "seats_used": used}


@pytest.mark.parametrize("used, want", [(62, "ok"), (63, "warning"), (69, "warning"), (70, "critical")])
def test_levels_at_the_default_shares(used, want):
    assert alerts.level(row(used), S) == want


def test_critical_by_free_seats():
    s = dataclasses.replace(S, alerts=AlertSettings(critical_free_seats=2))
    assert alerts.level(row(68), s) == "critical" and alerts.level(row(67), s) == "warning"


@pytest.mark.parametrize("today, previous, want", [
    ("warning", None, "reached"), ("ok", None, None),
    ("warning", "ok", "reached"), ("critical", "warning", "reached"),
    ("warning", "critical", "changed"), ("ok", "warning", "changed"),
    ("warning", "warning", None), ("ok", "ok", None), ("critical", "critical", "reminder"),
])
def test_decide(today, previous, want):
    assert alerts.decide(today, previous, S) == want


def test_no_daily_reminder_when_switched_off():
    s = dataclasses.replace(S, alerts=AlertSettings(remind_while_critical=False))
    assert alerts.decide("critical", "critical", s) is None
