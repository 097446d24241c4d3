"""The report's data-quality panel: is every row accounted for, and did anything look off?

Rows per source come from the silver partitions of the day and of the latest earlier day with
silver; a drop past ``[guards] max_drop_share`` that is in the lake anyway passed only by
``--allow-drop``, and the panel says so. Malformed e-mail addresses are counted with the extract's
own check (:func:`seatlib.guards.bad_emails`). Missing days come from the gold history.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from . import config as cfg
from .contracts import SOURCES
from .errors import SeatlibError
from .guards import bad_emails
from .lake import Lake, days_in

_EMAIL_COLUMNS = {"zoho_workspace_admins": "admin_email", "zoho_users": "email",
                  "zoho_last_access": "user_email"}


def _rows(lake: Lake, day: date) -> dict[str, pd.DataFrame]:
    from . import silver

    out = {}
    for source in SOURCES:
        try:
            out[source] = silver.read(lake, day, (source,))[source]
        except SeatlibError:
            continue
    return out


def panel(lake: Lake, day: date, capacity: pd.DataFrame, settings: cfg.Settings
          ) -> tuple[pd.DataFrame, list[str]]:
    """(rows per source today against the day before, notes); the notes name what fired."""
    days = [d for d in days_in(lake, f"bronze/{SOURCES[0]}/") if d < day]  # days with an extract
    before = max(days) if days else None
    now, then = _rows(lake, day), (_rows(lake, before) if before else {})
    table, notes = [], []
    for source in SOURCES:
        rows = len(now[source]) if source in now else None
        prev = len(then[source]) if source in then else None
        note = ""
        if rows is None:
            note = "no silver for this day"
        elif prev:
            drop = max(0.0, 1 - rows / prev)
            if drop > settings.max_drop_share:
                note = (f"dropped {drop:.0%} (limit {settings.max_drop_share:.0%}): in the lake "
                        f"only by --allow-drop")
                notes.append(f"{source}: {note}")
        if rows == 0:
            note = "empty: in the lake only by --allow-drop"
            notes.append(f"{source}: {note}")
        bad = (len(bad_emails(now[source][_EMAIL_COLUMNS[source]]))
               if source in now and source in _EMAIL_COLUMNS else 0)
        if bad:
            notes.append(f"{source}: {bad} malformed e-mail address(es), kept (they may hold a seat)")
            note = "; ".join(filter(None, [note, f"{bad} malformed address(es)"]))
        table.append({"Source": source, "Rows today": "—" if rows is None else rows,
                      f"Rows on {before or 'the day before'}": "—" if prev is None else prev,
                      "Change": "—" if rows is None or prev is None else f"{rows - prev:+d}",
                      "Guards": note or "passed"})
    t = capacity.iloc[-1]
    other = int(t["seats_used"]) - int(t["seats_held_by_clients"])
    if other:
        notes.append(f"Zoho counts {int(t['seats_used'])} seats used, {int(t['seats_held_by_clients'])} "
                     f"are held by workspace admins; the other {other} are users who administer no "
                     f"workspace (staff, or users added by hand).")
    return pd.DataFrame(table), notes
