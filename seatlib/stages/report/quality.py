"""The report's data-quality panel: is every row accounted for, and did anything look off?

Rows per source come from the silver partitions of the day and of the latest earlier day with
silver; a drop past ``[guards] max_drop_share`` that is in the lake anyway passed only by
``--allow-drop``, and the panel says so. Malformed e-mail addresses are counted with the extract's
own check (:func:`seatlib.stages.guards.bad_emails`). Missing days come from the gold history.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ...core import config as cfg
from ...core.contracts import SOURCES
from ...core.sources import EMAIL_COLUMNS, on
from ...core.errors import SeatlibError
from ..guards import bad_emails
from ...systems.lake import Lake, days_in



def _rows(lake: Lake, day: date) -> dict[str, pd.DataFrame]:
    from .. import silver

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
    for source in on(day):  # a source added later is no row of the days before it
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
        bad = (len(bad_emails(now[source][EMAIL_COLUMNS[source]]))
               if source in now and source in EMAIL_COLUMNS else 0)
        if bad:
            notes.append(f"{source}: {bad} malformed e-mail address(es), kept (they may hold a seat)")
            note = "; ".join(filter(None, [note, f"{bad} malformed address(es)"]))
        table.append({"Source": source, "Rows today": "—" if rows is None else rows,
                      f"Rows on {before or 'the day before'}": "—" if prev is None else prev,
                      "Change": "—" if rows is None or prev is None else f"{rows - prev:+d}",
                      "Guards": note or "passed"})
    notes += access_notes(lake, day, capacity.iloc[-1])
    return pd.DataFrame(table), notes


def access_notes(lake: Lake, day: date, t: pd.Series) -> list[str]:
    """What gold left out of the Access Log (docs/seats.md: times that can be trusted, renamed
    workspaces), with the names that could not be tied to one workspace."""
    notes = []
    if not pd.isna(t.get("access_future")) and int(t["access_future"]):
        notes.append(f"zoho_last_access: {int(t['access_future'])} access(es) dated after the "
                     f"extract's start (plus [zoho] future_tolerance_minutes) were left out: "
                     f"a clock error on Zoho's side, not a client's use")
    if not pd.isna(t.get("access_without_address")) and int(t["access_without_address"]):
        notes.append(f"zoho_last_access: {int(t['access_without_address'])} row(s) whose "
                     f"\"Accessed By\" is no address (public visitors) were left out")
    if not pd.isna(t.get("access_ambiguous")) and int(t["access_ambiguous"]):
        notes.append(f"zoho_last_access: {int(t['access_ambiguous'])} row(s) logged under a "
                     f"name two workspaces bore at the time were tied to neither: "
                     f"{ambiguous_names(lake, day)}")
    return notes


def ambiguous_names(lake: Lake, day: date) -> str:
    """The Access Log names gold could not tie to one workspace, with their candidates."""
    from .. import access, gold

    try:
        frames = gold.read_silver(lake, day)
        found = access.attribute(frames["zoho_last_access"],
                                 frames.get("workspace_names",
                                            access.today_names(
                                                frames["zoho_workspace_admins"], day)),
                                 frames["zoho_workspace_admins"]).ambiguous
    except SeatlibError as exc:
        return f"(could not list them: {exc})"
    return "; ".join(f"{n!r} (workspaces {ids})" for n, ids in
                     zip(found["workspace_name"], found["workspace_ids"])) or "(none now)"
