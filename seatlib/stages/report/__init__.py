"""Stage 5, report: what to do today, from the gold history.

:func:`run` reads gold (and two days of silver row counts for the data-quality panel) and returns a
:class:`Report`: the actions of the day (free these seats, then activate these users), the key
figures against yesterday and last week, the time each listed row has been in its status, the
forecast (:mod:`.forecast`), the cost, every unmatched row with its reason and the charts
(:mod:`.figures`, on the shared names and colours of :mod:`.charts`). The notebook shows it;
:mod:`.page` saves it as ``runs/<date>/report.html`` and ``runs/latest-report.html``;
:mod:`.alerts` tells the operator. Also here: the data-quality panel (:mod:`.quality`), the
runs' own panel (:mod:`.runs`) and one client across days for ``investigate_client.ipynb``
(:mod:`.investigate`). What this package may import: the other stages' modules (gold and its
history, silver), :mod:`seatlib.history`, :mod:`seatlib.systems` and :mod:`seatlib.core`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from .. import gold, gold_history
from . import quality, figures as report_charts, runs as report_runs
from .charts import CATEGORY_LABELS, STATUS_LABELS
from ...core.contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES
from ...core.errors import LakeError, SeatlibError
from .forecast import Forecast, forecast, full_days, full_since
from .. import StageOptions
from ...systems import Systems

log = logging.getLogger(__name__)

#: Column -> heading, in the order the lists show them (status first: it never scrolls away).
LIST_COLUMNS = {
    "status_label": "Status",
    "client_id": "Client",
    "workspace_name": "Workspace",
    "admin_email": "Admin e-mail",
    "last_access": "Last access",
    "idle": "Days since access",
    "since": "In this status since",
    "module": "Module",
    "note": "Whose seat",
}
UNMATCHED_COLUMNS = {"reason": "Why it is unmatched", **{k: v for k, v in LIST_COLUMNS.items()
                                                          if k not in ("status_label", "module",
                                                                       "note")}}
#: The key figures: capacity column -> heading.
FIGURES = {
    "seats_used": "Seats used (Zoho's counter)",
    "seat_users": "Seat users (our ledger)",
    "seats_held_by_clients": "Seats serving paying clients",
    "seats_free": "Seats free",
    "reclaimable": "Seats to free (ex-clients + inactive)",
    "paying_without_user": "Clients paying without a user",
    "seats_held_by_inactive_clients": "Seats held by inactive clients",
}


#: Capacity columns whose meaning changed with the seat ledger (docs/seats.md): a day from
#: before it (``seat_users`` empty) is not compared with one after it.
LEDGER_MEANING = frozenset({"seats_held_by_clients", "seats_held_by_ex_clients",
                            "seats_held_by_inactive_clients", "seats_held_unmatched",
                            "seats_other", "paying_without_user", "reclaimable"})


@dataclass
class Report:
    day: date
    latest: pd.DataFrame  # gold rows of ``day``, with ``since``
    capacity: pd.DataFrame  # capacity rows, one per day, oldest first
    daily: pd.DataFrame  # one row per day: capacity and rows per status (gold_history summary)
    warning: str | None
    missing_days: list[date]
    forecast: Forecast
    inactive_days: int
    settings: object = None
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    quality_notes: list[str] = field(default_factory=list)
    figures: dict[str, go.Figure] = field(default_factory=dict)
    runs: object = None  # report_runs.RunsPanel: freshness and the run ledger (end of the page)
    reclaims: dict = field(default_factory=dict)  # seatlib.history.trail.month_figures
    idle_users: set[str] | None = None  # the ledger's idle seats (None: no ledger that day)
    saved: dict = field(default_factory=dict)  # page.save: the page, the latest page, actions.csv
    alert: object = None  # alerts.Alert decided for the day (sent or recorded), or None

    @property
    def today(self) -> pd.Series:
        return self.capacity.iloc[-1]

    def _client_rows(self, status: str) -> pd.DataFrame:
        """The rows of the clients whose *client* status is ``status`` (docs/seats.md: one
        answer per client); a client whose rows all lack a seat is listed once."""
        rows = self.latest[self.latest["client_status"] == status]
        if status == "paying_without_user":
            rows = rows.drop_duplicates("client_id")
        else:
            rows = rows[rows["seat_held"].fillna(False).astype(bool)]
        return rows

    @property
    def idle_rows(self) -> pd.DataFrame:
        """Inactive clients' workspaces with a seat that can go after a talk with the client:
        one of its admins serves no paying client but idle ones (the ledger's idle seats; a
        consultant who also serves an active client keeps its seat)."""
        rows = self._client_rows("inactive")
        if self.idle_users is None:  # a day from before the seat ledger
            return rows
        admins = rows["admin_email"].astype("string").fillna("").str.split("; ")
        return rows[[bool(set(a) & self.idle_users) for a in admins]]

    def _listed(self, *parts: pd.DataFrame) -> pd.DataFrame:
        """Rows for people, each part longest unused first, in the order given."""
        rows = [p.sort_values("days_since_last_access", ascending=False, na_position="first")
                for p in parts]
        return display_rows(pd.concat(rows) if rows else self.latest.iloc[0:0])

    @property
    def reclaimable_rows(self) -> pd.DataFrame:
        """Ex-clients' workspaces whose admin serves only ex-clients: their seats can go."""
        return self.latest[self.latest["reclaimable"].fillna(False).astype(bool)]

    @property
    def free_these(self) -> pd.DataFrame:
        """Seats to free, in order: ex-clients' reclaimable seats, then inactive clients'."""
        return self._listed(self.reclaimable_rows, self.idle_rows)

    @property
    def reclaim(self) -> pd.DataFrame:
        return self._listed(self.reclaimable_rows)

    @property
    def shared_ex_clients(self) -> pd.DataFrame:
        """Ex-clients whose workspace's seat is not reclaimable: held by a user who serves a
        paying client too, or a workspace of an unknown client; shown, never offered."""
        rows = self.latest[(self.latest["status"] == "seat_held_by_ex_client")
                           & ~self.latest["reclaimable"].fillna(False).astype(bool)]
        return self._listed(rows)

    @property
    def inactive(self) -> pd.DataFrame:
        return self._listed(self.idle_rows)

    @property
    def paying_without_user(self) -> pd.DataFrame:
        return self._listed(self._client_rows("paying_without_user"))

    @property
    def unmatched(self) -> pd.DataFrame:
        rows = self.latest[self.latest["status"] == "unmatched"].copy()
        rows["reason"] = [r["note"] if isinstance(r.get("note"), str) and r["note"] else
                          unmatched_reason(r) for r in rows.to_dict("records")]
        rows = rows.sort_values(["seat_held", "days_since_last_access"], ascending=False)
        return display_rows(rows, UNMATCHED_COLUMNS)

    @property
    def seats_to_free(self) -> int:
        t = self.today
        return int(t["seats_held_by_ex_clients"]) + int(t["seats_held_by_inactive_clients"])

    @property
    def free_after_reclaim(self) -> int:
        return int(self.today["seats_free"]) + self.seats_to_free

    def pool_sentence(self) -> str:
        """"Full since ...; full on N of the last M days", or how many seats are free."""
        full, seen = full_days(self.capacity, self.day)
        since = full_since(self.capacity)
        head = (f"Full since {since} ({(self.day - since).days + 1} days)" if since else
                f"{int(self.today['seats_free'])} seat(s) free today")
        return f"{head}; full on {full} of the last {seen} days with data."

    def key_figures(self) -> pd.DataFrame:
        """Today's figures against yesterday and a week ago (empty where that day has no gold)."""
        cap = self.capacity.assign(reclaimable=self.capacity["seats_held_by_ex_clients"]
                                   + self.capacity["seats_held_by_inactive_clients"])
        by_day = {str(d): r for d, r in zip(cap["snapshot_date"].astype(str), cap.to_dict("records"))}
        now = by_day[str(self.day)]
        out = []
        for col, name in FIGURES.items():
            if _missing(now.get(col)):
                continue  # a figure this day's gold does not have (from before the ledger)
            row = {"Figure": name, "Today": int(now[col])}
            for label, back in (("Yesterday", 1), ("A week ago", 7)):
                then = by_day.get(str(self.day - timedelta(days=back)))
                # a day counted before the ledger gave these columns another meaning
                other = (col in LEDGER_MEANING and then is not None
                         and _missing(then.get("seat_users")) != _missing(now.get("seat_users")))
                row[label] = ("—" if then is None or other or _missing(then.get(col)) else
                              _delta(int(now[col]), int(then[col])))
            out.append(row)
        return pd.DataFrame(out)

    def seat_categories(self) -> pd.DataFrame:
        """Today's seat users by category (the seat ledger), against Zoho's own counter."""
        t = self.today
        if _missing(t.get("seat_users")):
            return pd.DataFrame(columns=["Seat users", "Count"])
        cols = {"client": "seats_held_by_clients", "ex_client": "seats_held_by_ex_clients",
                "unmatched": "seats_held_unmatched", "staff": "seats_staff",
                "no_workspace": "seats_no_workspace"}
        rows = [{"Seat users": CATEGORY_LABELS[k], "Count": int(t[c])} for k, c in cols.items()]
        rows.append({"Seat users": "Total (our ledger)", "Count": int(t["seat_users"])})
        rows.append({"Seat users": "Zoho's counter (seats used)", "Count": int(t["seats_used"])})
        return pd.DataFrame(rows)

    def counter_line(self) -> str | None:
        """One line comparing Zoho's seat counter with the ledger (None before the ledger)."""
        t = self.today
        if _missing(t.get("seat_users")):
            return None
        used, ours, gap = int(t["seats_used"]), int(t["seat_users"]), int(t["seats_counter_gap"])
        if gap == 0:
            return f"Zoho's seat counter ({used}) and the seat ledger ({ours} users) agree."
        more = "more" if gap > 0 else "fewer"
        return (f"Zoho's seat counter says {used} seats used; the seat ledger has {ours} users "
                f"holding one: {abs(gap)} {more} in Zoho's counter. Zoho's counter may lag a "
                f"reclaim or keep deactivated users' seats (docs/zoho-api-notes.md §10); the "
                f"ledger lists who they are.")

    def cost(self) -> pd.DataFrame:
        """Monthly cost of seats held without use, and revenue at risk, at the configured prices."""
        rs = self.settings.report
        t = self.today
        ex, idle = int(t["seats_held_by_ex_clients"]), int(t["seats_held_by_inactive_clients"])
        waiting = int(t["paying_without_user"])
        money = (lambda n, p: f"{n * p:,.2f} {rs.currency}" if p else "set a price in [report]")
        return pd.DataFrame([
            {"What": "Seats held by ex-clients", "Count": ex,
             "A month": money(ex, rs.seat_price_month)},
            {"What": "Seats held by inactive clients", "Count": idle,
             "A month": money(idle, rs.seat_price_month)},
            {"What": "Revenue at risk: clients paying without a user", "Count": waiting,
             "A month": money(waiting, rs.module_price_month)},
        ])

    def status_counts(self) -> pd.DataFrame:
        """Clients by client status: each client once (an unmatched workspace counts one)."""
        known = self.latest.dropna(subset=["client_id"]).drop_duplicates("client_id")
        counts = known["client_status"].value_counts()
        orphans = int(self.latest["client_id"].isna().sum())
        return pd.DataFrame({"Status": [STATUS_LABELS[s] for s in STATUSES],
                             "Clients": [int(counts.get(s, 0)) + (orphans if s == "unmatched"
                                                                  else 0) for s in STATUSES]})


def _delta(now: int, then: int) -> str:
    return f"{then} ({now - then:+d})" if now != then else f"{then} (=)"


def unmatched_reason(row: dict) -> str:
    """Why a gold row is unmatched, in words (``row`` is one gold row as a dict)."""
    held = (f"; holds a seat, idle {_idle_words(row.get('days_since_last_access'))}"
            if row.get("seat_held") is True else "")
    if _missing(row.get("workspace_id")):
        return "Client with the module and no workspace"
    if _missing(row.get("client_id")):
        return "Non-client workspace (no client id in its name)" + held
    return "Workspace without a client in the company database" + held


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _idle_words(days) -> str:
    return "never used" if _missing(days) else f"{int(days)} days"


def display_rows(df: pd.DataFrame, columns: dict[str, str] = LIST_COLUMNS) -> pd.DataFrame:
    """Gold rows as people read them: headings in words, dates as dates, "never" for no access."""
    out = pd.DataFrame(index=df.index)
    out["status_label"] = df["status"].map(STATUS_LABELS)
    out["client_id"] = df["client_id"].astype("string").fillna("—")
    out["workspace_name"] = df["workspace_name"].astype("string").fillna("(no workspace)")
    out["admin_email"] = df["admin_email"].astype("string").fillna("—")
    out["last_access"] = (df["last_access_at"].dt.strftime("%Y-%m-%d").astype("string")
                          .fillna("never"))
    out["idle"] = df["days_since_last_access"].astype("string").fillna("never")
    out["since"] = df["since"].astype("string").fillna("—") if "since" in df else "—"
    out["module"] = df["module_active"].map({True: "on", False: "off"}).astype("string").fillna("—")
    out["note"] = (df["note"].astype("string").fillna("") if "note" in df
                   else pd.Series("", index=df.index, dtype="string"))
    if "reason" in df:
        out["reason"] = df["reason"]
    return out[list(columns)].rename(columns=columns).reset_index(drop=True)


def status_since(history: pd.DataFrame, day: date) -> pd.Series:
    """For each row of ``day``, the first day of its current status ("2026-10-11"; "≤ 2026-10-02"
    when the status goes back to the start of the history), aligned with that day's rows."""
    h = history[["snapshot_date", "client_id", "workspace_id", "status"]].copy()
    h["key"] = h["client_id"].astype("string").fillna("") + "|" + \
        h["workspace_id"].astype("string").fillna("")
    h = h.sort_values(["key", "snapshot_date"], kind="stable")
    changed = (h["status"] != h.groupby("key")["status"].shift()).fillna(True).astype(bool)
    h["run"] = changed.astype(int).groupby(h["key"]).cumsum()
    starts = h.groupby(["key", "run"])["snapshot_date"].transform("min")
    first = h["snapshot_date"].min()
    h["since"] = [f"≤ {s}" if s == first else str(s) for s in starts]
    today = h[h["snapshot_date"] == day]
    return today.set_index("key")["since"]


def capacity_warning(row: pd.Series, threshold: float) -> str | None:
    """A warning sentence when usage reaches ``threshold`` of the allocation, else None."""
    allocated, used = int(row["seats_allocated"]), int(row["seats_used"])
    if not allocated or used / allocated < threshold:
        return None
    free = allocated - used
    text = (f"Seats at {used / allocated:.0%} of capacity: {used} of {allocated} used, "
            f"{free} free (warning at {threshold:.0%}).")
    if free <= 0:
        text += (" FULL: Zoho now creates new clients' users as inactive, without an error; "
                 "they cannot log in until a seat is freed.")
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


def reclaim_figures(lake, day: date) -> dict:
    """What the reclaim did this month (docs/reclaim.md): users deactivated, seats freed, and
    users deactivated in the last 30 days that are active again. A trail that cannot be read
    is said on the page, never a failed report."""
    from .. import silver
    from ...history.trail import month_figures, read_trail

    try:
        users = silver.read(lake, day, ("zoho_users",))["zoho_users"]
        active = set(users.loc[users["active"].fillna(False).astype(bool), "email"])
        return month_figures(read_trail(lake, day - timedelta(days=62)), day, active)
    except SeatlibError as exc:
        log.warning("report %s: the reclaim figures could not be read: %s", day, exc)
        return {"error": str(exc)}


def idle_users(lake, day: date, latest: pd.DataFrame) -> set[str] | None:
    """The seat users whose every paying client is inactive (the ledger's idle seats), or
    None on a day without a seat ledger."""
    from ...core.contracts import GOLD_LEDGER
    from ...systems.lake import gold_key

    if not lake.exists(gold_key(GOLD_LEDGER.name, day)):
        return None
    ledger = gold.read_day(lake, GOLD_LEDGER.name, day)
    status = latest.dropna(subset=["client_id"]).drop_duplicates("client_id").set_index(
        "client_id")["client_status"]
    idle = set(status[status == "inactive"].index.astype(int))
    out = set()
    for email, category, paying in zip(ledger["email"], ledger["category"],
                                       ledger["paying_clients"]):
        ids = {int(c) for c in str(paying).split("; ") if c.isdigit()} if not pd.isna(paying) else set()
        if category == "client" and ids and ids <= idle:
            out.add(email)
    return out


def run(day: date, systems: Systems, options: StageOptions = StageOptions()) -> Report:
    """Stage 5: build the day's report (:func:`build`), then write its page, the latest page
    and ``actions.csv`` under ``runs/`` (:func:`.page.save`) and decide, send and record its
    capacity alert (:func:`.alerts.run`, which never raises). The notebook shows the result."""
    from . import alerts, page

    rep = build(day, systems)
    rep.saved = page.save(rep, Path(systems.settings.runs_dir))
    rep.alert = alerts.run(rep)
    return rep


def build(day: date, systems: Systems) -> Report:
    """Read the day's gold and the compact history up to ``day`` and build the report.

    Reads what does not grow with the history: the day's gold rows, its carried-forward
    since-state, and one summary row per day (:mod:`seatlib.stages.gold_history`). It writes
    nothing to the lake: the compact history is gold's (a lake from before it gets it from the
    next gold run; until then the report raises, naming the stage to run).
    """
    settings = systems.settings
    lake = systems.lake
    daily = gold_history.read_summary(lake, until=day)
    if daily.empty or daily["snapshot_date"].iloc[-1] != day:
        raise LakeError(f"no gold for {day} in {lake.url} (or gold's compact history lacks it): "
                        f"run the gold stage first")
    capacity = daily[list(GOLD_CAPACITY.names)]
    latest = gold.read_day(lake, GOLD_STATUS.name, day)
    if latest["client_status"].isna().any():  # a day from before client_status: by its rows
        latest["client_status"] = latest["client_status"].fillna(
            gold.client_statuses(latest, day, settings.inactive_days))
    state = gold_history.read_since(lake, day)
    if state is None:  # gold written before the since-state: carried forward here, not kept
        state = gold_history.compute_since(lake, day, latest, list(daily["snapshot_date"]))
    latest["since"] = gold_history.row_key(latest).map(gold_history.since_text(state))
    gaps = missing_days(list(capacity["snapshot_date"]), day)
    rep = Report(day, latest, capacity, daily,
                 capacity_warning(capacity.iloc[-1], settings.capacity_warning_share), gaps,
                 forecast(capacity, day, settings.report.forecast_days), settings.inactive_days,
                 settings)
    rep.quality, rep.quality_notes = quality.panel(lake, day, capacity, settings)
    rep.figures = report_charts.figures(
        day=day, capacity=capacity, daily=rep.daily, latest=latest,
        threshold=settings.capacity_warning_share, inactive_days=settings.inactive_days,
        trend=rep.forecast)
    if gaps:
        log.warning("report %s: %d day(s) missing from the history: %s", day, len(gaps),
                    ", ".join(d.isoformat() for d in gaps[:10]))
    rep.runs = report_runs.panel(systems.lake, settings, day)
    rep.reclaims = reclaim_figures(lake, day)
    rep.idle_users = idle_users(lake, day, latest)
    return rep
