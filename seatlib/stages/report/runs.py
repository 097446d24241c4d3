"""The report's view of the runs themselves: how fresh the day is (at the top) and the run
ledger (at the end): which days ran, how long each stage took, which guards fired, which
alerts went out.

* :func:`panel` reads the ledger of the last :data:`DAYS` days from the lake, when the day's
  data was extracted (the current attempt, else the ledger), and whether yesterday is missing.
* :func:`banner`: the freshness line; the page also carries a small script that, when the page
  is opened later (``runs/latest-report.html`` days on), says how old it has become and warns
  past ``[runs] max_age_hours``.
* :func:`section`: the table of attempts and a chart of stage durations.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import plotly.graph_objects as go

from ...core import config as cfg
from ...history import attempts as history, ledger
from ...core.contracts import GOLD_CAPACITY, SOURCES
from ...systems.lake import Lake, bronze_key, gold_key

log = logging.getLogger(__name__)

DAYS = 14  # of ledger shown
_WARN = "background:#fde2e1;border:2px solid #d62728;padding:.8em 1em"
_INFO = "background:#eef3fb;border:1px solid #6b8cc7;padding:.6em 1em"


@dataclass
class RunsPanel:
    day: date
    max_age_hours: float
    as_of: datetime | None = None  # when the day's data was extracted (UTC)
    made: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    ledger: pd.DataFrame = field(default_factory=lambda: ledger.frame([]))
    notes: list[str] = field(default_factory=list)

    @property
    def age_hours(self) -> float | None:
        return None if self.as_of is None else (self.made - self.as_of).total_seconds() / 3600

    @property
    def stale(self) -> bool:
        return self.age_hours is None or self.age_hours > self.max_age_hours

    def attempts(self) -> pd.DataFrame:
        """One row per attempt, newest first, as people read them."""
        runs = self.ledger[self.ledger["stage"] == ledger.RUN]
        if runs.empty:
            return pd.DataFrame()
        stages = self.ledger[self.ledger["stage"] != ledger.RUN]
        took = stages.groupby(["run_date", "attempt"])["stage"].apply(
            lambda s: ", ".join(s)).rename("stages")
        out = runs.join(took, on=["run_date", "attempt"])
        return pd.DataFrame({
            "Day": out["run_date"].astype(str), "Attempt": out["attempt_folder"],
            "Kind": out["kind"], "Outcome": out["outcome"],
            "Started (UTC)": pd.to_datetime(out["started_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "Took (s)": out["duration_s"].round(0).astype("Int64"),
            "Stages": out["stages"].fillna("—"),
            "Error": out["error"].fillna(""),
            "Guards fired": out["guards"].fillna("").str.count("\n") + out["guards"].notna(),
            "Alerts": out["alerts"].fillna("").str.replace("\n", "; "),
        }).iloc[::-1].reset_index(drop=True)


def _extracted_at(runs_dir: str, lake_rows: pd.DataFrame, day: date) -> datetime | None:
    """The start of the day's latest successful extract: this attempt's when it ran one."""
    current = history.latest_attempt(runs_dir, day)
    info = history.read_info(current) if current else {}
    if current and (current / "01_extract.ipynb").exists() and info.get("started_at"):
        return datetime.fromisoformat(info["started_at"])
    done = lake_rows[(lake_rows["run_date"] == day) & (lake_rows["stage"] == "extract")
                     & (lake_rows["outcome"] == "ok")]
    if done.empty:
        return None
    return pd.Timestamp(done["started_at"].max()).tz_localize("UTC").to_pydatetime()


def _yesterday(lake: Lake, day: date) -> list[str]:
    before = day - timedelta(days=1)
    if lake.exists(gold_key(GOLD_CAPACITY.name, before)) or \
            not any(k < gold_key(GOLD_CAPACITY.name, before)
                    for k in lake.list(f"gold/{GOLD_CAPACITY.name}/")):
        return []
    if not any(lake.exists(bronze_key(s, before)) for s in SOURCES):
        return [f"Yesterday ({before}) is missing and has no bronze: the run did not happen "
                f"that day (instance stopped, cron or the timer not installed, a hung run), and "
                f"Zoho keeps no past state, so that day cannot be recovered. Check "
                f"`run_daily.sh --check` and the scheduler."]
    return [f"Yesterday ({before}) has bronze but no gold: rebuild it with "
            f"`./run_daily.sh --backfill {before} {before}` (the daily run does so by itself "
            f"for the last [runs] catch_up_days days)."]


def panel(lake: Lake, settings: cfg.Settings, day: date) -> RunsPanel:
    """What the report says about the runs; never raises (a note says what failed)."""
    p = RunsPanel(day, settings.runs.max_age_hours)
    try:
        p.ledger = ledger.read(lake, day - timedelta(days=DAYS))
        p.ledger = p.ledger[p.ledger["run_date"] <= day]
        p.as_of = _extracted_at(settings.runs_dir, p.ledger, day)
        p.notes = _yesterday(lake, day)
    except Exception as exc:  # noqa: BLE001 - the report of the seats comes first
        log.warning("report: could not read the run ledger: %s", exc)
        p.notes.append(f"The run ledger could not be read: {exc}")
    return p


def banner(p: RunsPanel | None) -> str:
    """The freshness line for the top of the page, with the view-time check."""
    if p is None:
        return ""
    age = p.age_hours
    if age is None:
        text = (f"Data of {p.day}: no extract of that day is recorded in the run ledger, so its "
                f"age is unknown.")
    else:
        text = (f"Data of {p.day}, extracted {p.as_of:%Y-%m-%d %H:%M} UTC: {age:.1f} hours old "
                f"when this page was made (limit {p.max_age_hours:g} h, [runs] max_age_hours).")
    style = _WARN if p.stale else _INFO
    out = f'<div class="fresh" style="{style}">{html.escape(text)}</div>'
    out += "".join(f'<div class="gap" style="{_WARN}">&#9888; {html.escape(n)}</div>'
                   for n in p.notes)
    if p.as_of is not None:
        out += _VIEW_CHECK % {"as_of": int(p.as_of.timestamp() * 1000),
                              "limit": float(p.max_age_hours)}
    return out


_VIEW_CHECK = """<div id="seatlib-age" style="display:none"></div><script>(function(){
var h=(Date.now()-%(as_of)d)/3600000,e=document.getElementById("seatlib-age");
if(h>%(limit)s){e.style.cssText="display:block;background:#fde2e1;border:2px solid #d62728;padding:.8em 1em";
e.textContent="\\u26a0 Opened "+h.toFixed(1)+" hours after its data was extracted (limit %(limit)s h): "+
"the daily run may have stopped. Check run_daily.sh --check.";}})();</script>"""


def figure(p: RunsPanel) -> go.Figure:
    """Seconds per stage of each attempt (stacked), failed attempts outlined in red."""
    from .charts import layout

    rows = p.ledger[(p.ledger["stage"] != ledger.RUN) & p.ledger["duration_s"].notna()]
    fig = go.Figure()
    label = rows["run_date"].astype(str) + " #" + rows["attempt"].astype(str)
    for stage in dict.fromkeys(rows["stage"]):
        mine = rows["stage"] == stage
        fig.add_bar(x=label[mine], y=rows.loc[mine, "duration_s"], name=stage,
                    marker_line_color=["#d62728" if o == "failed" else "rgba(0,0,0,0)"
                                       for o in rows.loc[mine, "outcome"]],
                    marker_line_width=2)
    fig.update_layout(barmode="stack")
    return layout(fig, f"Run time per stage, last {DAYS} days (red outline: failed)", "seconds",
                  height=360)


def section(p: RunsPanel | None, show: bool = False) -> str:
    """The ledger's table and chart, for the end of the page."""
    if p is None:
        return ""
    table = p.attempts()
    if table.empty:
        return "<p><em>No run is recorded in the ledger yet (runs_ledger/ in the lake).</em></p>"
    from ...core.privacy import mask_frame

    chart = figure(p).to_html(full_html=False, include_plotlyjs=False,
                              config={"displaylogo": False, "responsive": True})
    body = (mask_frame(table, show=show).astype("string").fillna("")
            .to_html(index=False, classes="list", border=0, escape=True))
    return (f"<p class='muted'>Every run attempt of the last {DAYS} days, newest first, from "
            f"the run ledger (runs_ledger/ in the lake; seat_monitor.pipeline_runs). This "
            f"attempt's own row is written when it ends.</p>{body}<div class='chart'>{chart}</div>")
