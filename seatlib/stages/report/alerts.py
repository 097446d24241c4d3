"""Capacity levels and when the operator hears about them.

Levels (settings): ``critical`` when seats used reach ``[alerts] critical_share`` of the
allocation (default 100%) or free seats are at or below ``[alerts] critical_free_seats``;
``warning`` when they reach ``[report] capacity_warning_share`` (default 90%); else ``ok``.

When a message goes out (:func:`decide`): when the level differs from the previous day's level
(the latest earlier day with gold; the level is a function of that day's capacity row and the
settings, so nothing else is stored and a re-run or a back-fill decides the same way); on the
first day of a history when the level is not ``ok``; and every day while ``critical`` when
``[alerts] remind_while_critical`` (default true). A steady warning is said once; going back to
``ok`` is said once ("back to normal"). Only today's run (UTC) sends to the channels: a report for
a past day (a back-fill) records its alert in ``alerts.json`` as not sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Mapping

import pandas as pd

from ...core import config as cfg
from ...history import alerts as alert_record

if TYPE_CHECKING:
    from . import Report

log = logging.getLogger(__name__)

RANK = {"ok": 0, "warning": 1, "critical": 2}
FIRST_SEATS = 5  # how many seats to free an alert names


def level(row: pd.Series | Mapping, settings: cfg.Settings) -> str:
    """``ok``, ``warning`` or ``critical`` for one capacity row."""
    allocated, used = int(row["seats_allocated"]), int(row["seats_used"])
    free = allocated - used
    share = used / allocated if allocated else 1.0
    if share >= settings.alerts.critical_share or free <= settings.alerts.critical_free_seats:
        return "critical"
    if share >= settings.capacity_warning_share:
        return "warning"
    return "ok"


def decide(today: str, previous: str | None, settings: cfg.Settings) -> str | None:
    """Why a message goes out today (``reached``, ``changed``, ``reminder``), or None."""
    if previous is None:
        return "reached" if today != "ok" else None
    if today != previous:
        return "reached" if RANK[today] > RANK[previous] else "changed"
    if today == "critical" and settings.alerts.remind_while_critical:
        return "reminder"
    return None


@dataclass(frozen=True)
class Alert:
    level: str
    previous: str | None
    reason: str
    title: str
    body: str
    payload: dict


def capacity_alert(rep: "Report") -> Alert | None:
    """The day's capacity alert, or None when nothing is to be said (see :func:`decide`)."""
    settings = rep.settings
    today = level(rep.today, settings)
    previous = level(rep.capacity.iloc[-2], settings) if len(rep.capacity) > 1 else None
    reason = decide(today, previous, settings)
    if reason is None:
        return None
    t = rep.today
    first = rep.free_these.head(FIRST_SEATS)
    figures = {"seats_allocated": int(t["seats_allocated"]), "seats_used": int(t["seats_used"]),
               "seats_free": int(t["seats_free"]), "seats_to_free": rep.seats_to_free,
               "free_after_reclaim": rep.free_after_reclaim,
               "paying_without_user": int(t["paying_without_user"]),
               "seats_held_by_ex_clients": int(t["seats_held_by_ex_clients"]),
               "seats_held_by_inactive_clients": int(t["seats_held_by_inactive_clients"])}
    words = {"reached": f"{today.upper()} reached", "changed": f"now {today}",
             "reminder": "still CRITICAL (daily reminder)"}[reason]
    if today == "ok":
        words = "back to normal"
    title = (f"Zoho seats {rep.day}: {words}: {figures['seats_used']} of "
             f"{figures['seats_allocated']} used, {figures['seats_free']} free")
    lines = [rep.warning or f"{figures['seats_free']} seat(s) free.",
             f"Pool: {rep.pool_sentence()}", f"Forecast: {rep.forecast.sentence}",
             f"Seats to free: {rep.seats_to_free} (ex-clients {figures['seats_held_by_ex_clients']}, "
             f"inactive {figures['seats_held_by_inactive_clients']}); free after reclaiming: "
             f"{rep.free_after_reclaim}. Paying without a user (blocked until a seat is free): "
             f"{figures['paying_without_user']}."]
    if len(first):
        lines.append("First seats to free:")
        lines += [f"  - {r['Workspace']} ({r['Status']}, {r['Admin e-mail']}, "
                  f"last access {r['Last access']})" for r in first.to_dict("records")]
    payload = {"kind": "capacity", "day": rep.day.isoformat(), "level": today,
               "previous_level": previous, "reason": reason, "figures": figures,
               "pool": rep.pool_sentence(), "forecast": rep.forecast.sentence,
               "run_out": rep.forecast.run_out, "full_since": rep.forecast.full_since,
               "first_seats_to_free": first.to_dict("records")}
    return Alert(today, previous, reason, title, "\n".join(lines), payload)


def run(rep: "Report", *, now: date | None = None, env: Mapping[str, str] | None = None
        ) -> Alert | None:
    """Send the day's capacity alert (if any) and record it; never raises."""
    try:
        alert = capacity_alert(rep)
    except Exception as exc:  # noqa: BLE001 - an alert never fails the run
        log.error("alerts: could not build the capacity alert: %s: %s", type(exc).__name__, exc)
        return None
    if alert is None:
        log.info("alerts %s: level unchanged, nothing to send", rep.day)
        return None
    today = now or datetime.now(timezone.utc).date()
    if rep.day != today:
        alert_record.record(rep.settings, alert.title, alert.body, level=alert.level,
                            payload=alert.payload, day=rep.day,
                            note=f"not sent: a past day ({rep.day}; today is {today}), "
                                 f"recorded only")
        return alert
    alert_record.send(rep.settings, alert.title, alert.body, level=alert.level,
                      payload=alert.payload, day=rep.day, env=env)
    return alert
