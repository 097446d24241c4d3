"""The report's charts: seats against capacity, clients by status, days since last access."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from .charts import STATUS_COLORS, STATUS_LABELS, layout
from ...core.contracts import STATUSES
from .forecast import Forecast

#: The access histogram's bins are a week wide up to this many days; older is one "more" bar.
ACCESS_RANGE_MIN_DAYS = 63


def figures(*, day: date, capacity: pd.DataFrame, daily: pd.DataFrame, latest: pd.DataFrame,
            threshold: float, inactive_days: int, trend: Forecast) -> dict[str, go.Figure]:
    """The report's three charts, by name."""
    return {
        "capacity": capacity_figure(capacity, threshold, trend, day),
        "statuses": status_figure(daily),
        "last_access": last_access_figure(latest, inactive_days),
    }


def capacity_figure(c: pd.DataFrame, threshold: float, trend: Forecast, day: date) -> go.Figure:
    """Seats used against capacity over time, split by who holds them, with the trend."""
    x = pd.to_datetime(c["snapshot_date"].astype(str))
    # the seat ledger's categories (docs/seats.md); a day from before it counted every admin
    # seat of a client workspace in seats_held_by_clients
    ledger = c["seat_users"].notna() if "seat_users" in c else pd.Series(False, index=c.index)
    before = (c["seats_held_by_clients"] - c["seats_held_by_ex_clients"]
              - c["seats_held_by_inactive_clients"] - c["seats_held_unmatched"])
    active_like = before.where(~ledger, c["seats_held_by_clients"]
                               - c["seats_held_by_inactive_clients"])
    parts = [
        (STATUS_LABELS["active"], active_like, STATUS_COLORS["active"]),
        (STATUS_LABELS["inactive"], c["seats_held_by_inactive_clients"], STATUS_COLORS["inactive"]),
        (STATUS_LABELS["seat_held_by_ex_client"], c["seats_held_by_ex_clients"],
         STATUS_COLORS["seat_held_by_ex_client"]),
        (STATUS_LABELS["unmatched"], c["seats_held_unmatched"], STATUS_COLORS["unmatched"]),
        ("Staff and other users", c["seats_other"], "#7f7f7f"),
    ]
    fig = go.Figure()
    for name, y, color in parts:
        fig.add_trace(go.Scatter(x=x, y=y.astype(float), name=name, stackgroup="seats",
                                 mode="lines", line=dict(width=0.5, color=color)))
    fig.add_trace(go.Scatter(x=x, y=c["seats_used"].astype(float), name="Seats used (Zoho)",
                             mode="lines", line=dict(color="black", width=2)))
    fig.add_trace(go.Scatter(x=x, y=c["seats_allocated"].astype(float), name="Seats allocated",
                             mode="lines", line=dict(color="red", dash="dash")))
    fig.add_trace(go.Scatter(x=x, y=(c["seats_allocated"] * threshold).astype(float),
                             name=f"Warning ({threshold:.0%})", mode="lines",
                             line=dict(color="orange", dash="dot")))
    f = trend
    if f.run_out is not None:
        today = pd.Timestamp(day)
        used = float(c["seats_used"].iloc[-1])
        end = pd.Timestamp(f.run_out)
        fig.add_trace(go.Scatter(x=[today, end], y=[used, used + f.slope_per_day * (end - today).days],
                                 name="Trend (Theil–Sen)", mode="lines",
                                 line=dict(color="#1f77b4", dash="dot", width=2)))
    return layout(fig, "Seats used against the allocation", "seats")


def status_figure(daily: pd.DataFrame) -> go.Figure:
    """Clients per status per day (released hidden until clicked in the legend), from the
    daily summary's counts (``n_<status>``)."""
    counts = pd.DataFrame({s: daily[f"n_{s}"].astype(int).to_numpy() for s in STATUSES})
    x = pd.to_datetime(daily["snapshot_date"].astype(str))
    fig = go.Figure()
    for s in STATUSES:
        fig.add_trace(go.Bar(x=x, y=counts[s], name=STATUS_LABELS[s], marker_color=STATUS_COLORS[s],
                             visible="legendonly" if s == "released" else True))
    fig.update_layout(barmode="stack")
    return layout(fig, "Clients by status (Released: click it in the legend to show)", "clients")


def access_bins(days: pd.Series, inactive_days: int) -> tuple[pd.Series, list[str]]:
    """Each value's bin label (a week wide, then "N+ days", and "never"), and the bin order."""
    top = max(ACCESS_RANGE_MIN_DAYS, 7 * -(-2 * inactive_days // 7))
    edges = list(range(0, top, 7))
    labels = [f"{a}–{a + 6}" for a in edges] + [f"{top}+", "never"]

    def label(v) -> str:
        if pd.isna(v):
            return "never"
        v = max(int(v), 0)  # a time from after the day (a clock error) is today, not a crash
        return f"{top}+" if v >= top else labels[v // 7]

    return days.map(label), labels


def last_access_figure(latest: pd.DataFrame, inactive_days: int) -> go.Figure:
    """Days since the last access of every seat holder, by status, focused on the recent weeks."""
    held = latest[latest["seat_held"].fillna(False)]
    bins, order = access_bins(held["days_since_last_access"], inactive_days)
    fig = go.Figure()
    for s in STATUSES:
        part = bins[held["status"] == s].value_counts().reindex(order, fill_value=0)
        if part.sum():
            fig.add_trace(go.Bar(x=order, y=part.values, name=STATUS_LABELS[s],
                                 marker_color=STATUS_COLORS[s]))
    line = order[min(inactive_days // 7, len(order) - 3)]
    fig.add_vline(x=order.index(line) - 0.5 + (inactive_days % 7) / 7, line_dash="dash",
                  line_color="orange", annotation_text=f"{inactive_days} days: inactive after",
                  annotation_position="top right")
    fig.update_layout(barmode="stack", xaxis=dict(type="category", categoryorder="array",
                                                  categoryarray=order, title="days since last access"))
    return layout(fig, "Seat holders by days since last access", "seat holders")


def client_figure(rows: pd.DataFrame, inactive_days: int, client_id: int) -> go.Figure:
    """One client's days since last access per day, its status as coloured bands."""
    x = pd.to_datetime(rows["snapshot_date"].astype(str))
    fig = go.Figure()
    for s in STATUSES:
        part = rows["status"] == s
        if part.any():
            fig.add_trace(go.Bar(x=x[part], y=[1] * int(part.sum()), yaxis="y2",
                                 marker_color=STATUS_COLORS[s], opacity=0.35, width=86_400_000,
                                 name=STATUS_LABELS[s], hoverinfo="x+name"))
    fig.add_trace(go.Scatter(x=x, y=rows["days_since_last_access"].astype(float),
                             name="Days since last access", mode="lines+markers",
                             line=dict(color="black")))
    fig.add_hline(y=inactive_days, line_dash="dash", line_color="orange",
                  annotation_text=f"{inactive_days} days")
    fig.update_layout(yaxis=dict(rangemode="tozero"),
                      yaxis2=dict(overlaying="y", range=[0, 1], visible=False), bargap=0,
                      xaxis=dict(range=[x.min() - timedelta(days=1), x.max() + timedelta(days=1)]))
    return layout(fig, f"Client {client_id}: status (bands) and days since last access", "days")
