"""Stage 5, report: charts and tables from the gold history, and a stand-alone HTML page.

Everything here reads gold only; the notebook shows the figures (plotly, rendered by JupyterLab)
and :func:`write_html` saves the same page as ``runs/<date>/report.html`` next to a single shared
copy of plotly.js (``runs/plotly.min.js``), so each day's page stays small and opens offline.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from . import gold
from .contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES
from .stages import StageOptions
from .systems import Systems

log = logging.getLogger(__name__)

STATUS_COLORS = {
    "active": "#2ca02c",
    "inactive": "#ff7f0e",
    "seat_held_by_ex_client": "#d62728",
    "paying_without_user": "#9467bd",
    "released": "#c7c7c7",
    "unmatched": "#8c564b",
}

LIST_COLUMNS = ["client_id", "workspace_name", "admin_email", "last_access_at",
                "days_since_last_access", "module_active", "status"]


@dataclass
class Report:
    day: date
    latest: pd.DataFrame  # gold rows of ``day``
    capacity: pd.DataFrame  # capacity rows, one per day, oldest first
    history: pd.DataFrame  # gold rows of every day
    warning: str | None
    missing_days: list[date]
    figures: dict[str, go.Figure] = field(default_factory=dict)

    @property
    def today(self) -> pd.Series:
        return self.capacity.iloc[-1]

    def rows_with(self, status: str) -> pd.DataFrame:
        df = self.latest[self.latest["status"] == status]
        return (df.sort_values("days_since_last_access", ascending=False, na_position="first")
                  [LIST_COLUMNS].reset_index(drop=True))

    @property
    def reclaim(self) -> pd.DataFrame:
        """Seats to free first: ex-clients still holding a seat, longest unused first."""
        return self.rows_with("seat_held_by_ex_client")

    @property
    def paying_without_user(self) -> pd.DataFrame:
        return self.rows_with("paying_without_user")

    @property
    def inactive(self) -> pd.DataFrame:
        return self.rows_with("inactive")

    def status_counts(self) -> pd.DataFrame:
        counts = self.latest["status"].value_counts()
        return pd.DataFrame({"status": list(STATUSES),
                             "clients": [int(counts.get(s, 0)) for s in STATUSES]})


def capacity_warning(row: pd.Series, threshold: float) -> str | None:
    """A warning sentence when usage reaches ``threshold`` of the allocation, else None."""
    allocated, used = int(row["seats_allocated"]), int(row["seats_used"])
    if not allocated or used / allocated < threshold:
        return None
    free = allocated - used
    text = (f"Seats at {used / allocated:.0%} of capacity: {used} of {allocated} used, "
            f"{free} free (warning threshold {threshold:.0%}).")
    if free <= 0:
        text += (" FULL: Zoho now creates new clients' users as inactive, without an error; "
                 "they cannot log in.")
    ex = int(row["seats_held_by_ex_clients"])
    if ex:
        text += f" {ex} seat(s) held by ex-clients can be reclaimed now."
    return text


def missing_days(days: list[date], until: date) -> list[date]:
    """Days between the first day of the history and ``until`` with no gold."""
    if not days:
        return []
    have = set(days)
    d, out = min(days), []
    while d <= until:
        if d not in have:
            out.append(d)
        d += timedelta(days=1)
    return out


def run(day: date, systems: Systems, options: StageOptions = StageOptions()) -> Report:
    """Read the gold history up to ``day`` and build the report's figures."""
    settings = systems.settings
    history = gold.read_history(systems.lake, GOLD_STATUS.name, until=day)
    capacity = gold.read_history(systems.lake, GOLD_CAPACITY.name, until=day)
    if capacity.empty or capacity["snapshot_date"].iloc[-1] != day:
        from .errors import LakeError

        raise LakeError(f"no gold for {day} in {systems.lake.url}: run the gold stage first")
    latest = history[history["snapshot_date"] == day].reset_index(drop=True)
    gaps = missing_days(list(capacity["snapshot_date"]), day)
    rep = Report(day, latest, capacity, history,
                 capacity_warning(capacity.iloc[-1], settings.capacity_warning_share), gaps)
    rep.figures = {
        "capacity": capacity_figure(capacity, settings.capacity_warning_share),
        "statuses": status_figure(history),
        "last_access": last_access_figure(latest, settings.inactive_days),
    }
    if gaps:
        log.warning("report %s: %d day(s) missing from the history: %s", day, len(gaps),
                    ", ".join(d.isoformat() for d in gaps[:10]))
    return rep


def capacity_figure(capacity: pd.DataFrame, threshold: float) -> go.Figure:
    """Seats used against capacity over time, split by who holds them."""
    c = capacity.copy()
    x = pd.to_datetime(c["snapshot_date"].astype(str))
    active_like = (c["seats_held_by_clients"] - c["seats_held_by_ex_clients"]
                   - c["seats_held_by_inactive_clients"] - c["seats_held_unmatched"])
    parts = [
        ("Active clients", active_like, STATUS_COLORS["active"]),
        ("Inactive clients", c["seats_held_by_inactive_clients"], STATUS_COLORS["inactive"]),
        ("Ex-clients (reclaimable)", c["seats_held_by_ex_clients"],
         STATUS_COLORS["seat_held_by_ex_client"]),
        ("Unmatched workspaces", c["seats_held_unmatched"], STATUS_COLORS["unmatched"]),
        ("Staff and other users", c["seats_other"], "#7f7f7f"),
    ]
    fig = go.Figure()
    for name, y, color in parts:
        fig.add_trace(go.Scatter(x=x, y=y.astype(float), name=name, stackgroup="seats",
                                 mode="lines", line=dict(width=0.5, color=color)))
    fig.add_trace(go.Scatter(x=x, y=c["seats_used"].astype(float), name="Seats used (Zoho)",
                             mode="lines+markers", line=dict(color="black", width=2)))
    fig.add_trace(go.Scatter(x=x, y=c["seats_allocated"].astype(float), name="Capacity",
                             mode="lines", line=dict(color="red", dash="dash")))
    fig.add_trace(go.Scatter(x=x, y=(c["seats_allocated"] * threshold).astype(float),
                             name=f"Warning ({threshold:.0%})", mode="lines",
                             line=dict(color="orange", dash="dot")))
    fig.update_layout(title="Seats used against capacity", xaxis_title="day",
                      yaxis_title="seats", hovermode="x unified", legend_orientation="h")
    return fig


def status_figure(history: pd.DataFrame) -> go.Figure:
    """Clients per status per day."""
    counts = (history.groupby(["snapshot_date", "status"]).size().unstack(fill_value=0)
              .reindex(columns=list(STATUSES), fill_value=0))
    x = pd.to_datetime(counts.index.astype(str))
    fig = go.Figure()
    for s in STATUSES:
        # released clients are the long tail of history: hidden until clicked in the legend
        fig.add_trace(go.Bar(x=x, y=counts[s], name=s, marker_color=STATUS_COLORS[s],
                             visible="legendonly" if s == "released" else True))
    fig.update_layout(barmode="stack", title="Clients by status over time "
                      "(released: click the legend to show)", xaxis_title="day",
                      yaxis_title="clients", legend_orientation="h")
    return fig


def last_access_figure(latest: pd.DataFrame, inactive_days: int) -> go.Figure:
    """Days since last access of every seat holder, by status."""
    held = latest[latest["seat_held"].fillna(False)]
    fig = go.Figure()
    for s in STATUSES:
        part = held.loc[held["status"] == s, "days_since_last_access"].dropna()
        if len(part):
            fig.add_trace(go.Histogram(x=part.astype(float), name=s,
                                       marker_color=STATUS_COLORS[s], xbins=dict(size=7)))
    never = int(held["days_since_last_access"].isna().sum())
    fig.add_vline(x=inactive_days, line_dash="dash", line_color="orange",
                  annotation_text=f"{inactive_days} days")
    fig.update_layout(barmode="stack", title=f"Days since last access, seat holders "
                      f"({never} never logged)", xaxis_title="days since last access",
                      yaxis_title="clients", legend_orientation="h")
    return fig


def for_display(df: pd.DataFrame) -> pd.DataFrame:
    """Text for people: times to the minute in UTC, empty cells instead of <NA>."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.strftime("%Y-%m-%d %H:%M UTC")
        out[col] = s.astype("string").fillna("")
    return out


def _table(df: pd.DataFrame, empty: str) -> str:
    if df.empty:
        return f"<p><em>{html.escape(empty)}</em></p>"
    return for_display(df).to_html(index=False, classes="list", border=0, escape=True)


def ensure_plotly_js(runs_dir: Path) -> Path:
    """``runs_dir/plotly.min.js``, made equal to the installed plotly's copy on every call.

    A missing file, one cut short by a killed run, or one of another plotly version is replaced
    whole (written beside it and renamed over it, as every lake file), so a page never loads a
    broken script.
    """
    import plotly.offline

    from .lake import Lake

    js = Path(runs_dir) / "plotly.min.js"
    data = plotly.offline.get_plotlyjs().encode("utf-8")
    try:
        same = js.read_bytes() == data
    except OSError:
        same = False
    if not same:
        Lake(str(runs_dir)).write_bytes(js.name, data)
        log.info("report: wrote %s (plotly %s)", js, plotly.__version__)
    return js


def write_html(rep: Report, path: Path) -> Path:
    """Save the report as one HTML page; plotly.js is shared as ``../plotly.min.js``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_plotly_js(path.parent.parent)
    t = rep.today
    warning = (f'<div class="warn">&#9888; {html.escape(rep.warning)}</div>' if rep.warning else "")
    gaps = (f'<div class="gap">Days missing from the history: '
            f'{", ".join(d.isoformat() for d in rep.missing_days)}</div>' if rep.missing_days else "")
    charts = "\n".join(f'<div class="chart">{fig.to_html(full_html=False, include_plotlyjs=False)}</div>'
                       for fig in rep.figures.values())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho seats {rep.day}</title>
<script src="../plotly.min.js"></script>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}}
.warn{{background:#fde2e1;border:2px solid #d62728;padding:1em;font-size:1.2em;margin:1em 0}}
.gap{{background:#fff4d6;border:1px solid #e0a800;padding:.6em;margin:1em 0}}
.kpi span{{display:inline-block;margin-right:2em;font-size:1.3em}}
table.list{{border-collapse:collapse}} table.list td,table.list th{{padding:2px 8px;border-bottom:1px solid #ddd}}</style>
</head><body>
<h1>Zoho Analytics seats on {rep.day}</h1>
{warning}{gaps}
<div class="kpi"><span>Used <b>{int(t.seats_used)}</b> / {int(t.seats_allocated)}</span>
<span>Free <b>{int(t.seats_free)}</b></span>
<span>Reclaimable <b>{int(t.seats_held_by_ex_clients)}</b></span>
<span>Paying without user <b>{int(t.paying_without_user)}</b></span></div>
{charts}
<h2>Seats to reclaim (ex-clients holding a seat)</h2>{_table(rep.reclaim, "none")}
<h2>Paying without a user</h2>{_table(rep.paying_without_user, "none")}
<h2>Inactive clients holding a seat</h2>{_table(rep.inactive, "none")}
</body></html>"""
    path.write_text(page, encoding="utf-8")
    return path


@dataclass
class ClientHistory:
    client_id: int
    rows: pd.DataFrame  # the client's gold rows, one per day
    summary: pd.DataFrame  # first/last day seen, status changes
    facts: pd.DataFrame  # the latest day's silver facts: admins, their users, their accesses
    figure: go.Figure


def client_history(systems: Systems, client_id: int) -> ClientHistory:
    """One client's history across days (gold) and its latest day's raw facts (silver)."""
    from . import silver
    from .errors import DataQualityError

    settings = systems.settings
    history = gold.read_history(systems.lake, GOLD_STATUS.name)
    rows = history[history["client_id"] == client_id].reset_index(drop=True)
    if rows.empty:
        known = history["client_id"].dropna().unique()
        raise DataQualityError(f"client {client_id} is not in the gold history "
                               f"({len(known)} clients over {history['snapshot_date'].nunique()} days)")
    changes = rows[rows["status"] != rows["status"].shift()]
    summary = pd.DataFrame({
        "first day": [rows["snapshot_date"].iloc[0]],
        "last day": [rows["snapshot_date"].iloc[-1]],
        "days seen": [rows["snapshot_date"].nunique()],
        "status now": [rows["status"].iloc[-1]],
        "status changes": ["; ".join(f"{d}: {s}" for d, s in
                                     zip(changes["snapshot_date"], changes["status"]))],
    })
    last = rows["snapshot_date"].iloc[-1]
    frames = silver.read(systems.lake, last)
    names = set(rows["workspace_name"].dropna())
    admins = frames["zoho_workspace_admins"]
    admins = admins[admins["workspace_name"].isin(names)]
    emails = set(admins["admin_email"].dropna())
    users = frames["zoho_users"].rename(columns={"email": "admin_email"})
    access = frames["zoho_last_access"]
    access = access[access["workspace_name"].isin(names)].rename(columns={"user_email": "admin_email"})
    facts = (admins[["workspace_id", "workspace_name", "admin_email", "admin_source"]]
             .merge(users[["admin_email", "active", "role"]], on="admin_email", how="left")
             .merge(access[["workspace_name", "admin_email", "last_access_at"]],
                    on=["workspace_name", "admin_email"], how="outer"))
    facts["is_admin"] = facts["admin_email"].isin(emails)
    facts = facts.merge(frames["module_status"][frames["module_status"]["client_id"] == client_id]
                        [["module_active"]], how="cross") if len(facts) else facts

    x = pd.to_datetime(rows["snapshot_date"].astype(str))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=rows["days_since_last_access"].astype(float),
                             name="days since last access", mode="lines+markers"))
    for s in STATUSES:
        part = rows["status"] == s
        if part.any():
            fig.add_trace(go.Scatter(x=x[part], y=[0] * int(part.sum()), mode="markers",
                                     marker=dict(color=STATUS_COLORS[s], size=12, symbol="square"),
                                     name=f"status: {s}"))
    fig.add_hline(y=settings.inactive_days, line_dash="dash", line_color="orange")
    fig.update_layout(title=f"Client {client_id}: status and days since last access",
                      xaxis_title="day", yaxis_title="days", legend_orientation="h")
    return ClientHistory(client_id, rows, summary, facts.reset_index(drop=True), fig)
