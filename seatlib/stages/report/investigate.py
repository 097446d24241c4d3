"""One client across days, for ``notebooks/investigate_client.ipynb``.

The client's gold rows give its status per day (the first day included), and every change of
status, module, admin address and seat; the latest day's silver gives the raw facts; one sentence
says what to do about the client today. Addresses are masked unless ``[report] show_emails``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from ...core import config as cfg
from .. import gold, gold_history
from .charts import STATUS_LABELS
from ...core import statuses
from ...core.contracts import GOLD_CAPACITY
from ...core.errors import ConfigError, DataQualityError
from ...core.privacy import mask_frame, mask_text
from . import unmatched_reason
from .figures import client_figure
from ...systems import Systems

#: What is followed over time: gold column -> how a change is named.
TRACKED = {"status": "Status", "client_status": "Client status", "module_active": "Module",
           "admin_email": "Admin e-mail", "seat_held": "Seat held", "workspace_name": "Workspace",
           "note": "Whose seat"}


class ClientNotFoundError(DataQualityError):
    """The client id is in no day of the gold history."""


def notebook_settings(config_path: str = "", env: dict | None = None) -> cfg.Settings:
    """The settings for a notebook opened by hand, saying which file it uses.

    ``config_path``, else ``$SEATLIB_CONFIG``, else ``config/seat-monitor.toml``; when none of
    them exists but the demo's lake does (after ``./run_daily.sh --demo``), ``config/demo.toml``.

    Raises:
        ConfigError: no settings file at all, naming what to set.
    """
    env = os.environ if env is None else env
    chosen = cfg.config_path(config_path or None, env=env)
    if chosen != cfg.DEFAULT_CONFIG or chosen.exists():
        settings = cfg.load_settings(chosen, env=env)
        print(f"Settings: {settings.source}")
        return settings
    demo = cfg.load_settings(cfg.DEMO_CONFIG, env=env)
    if Path(demo.lake_url, "gold").exists():
        print(f"No {cfg.DEFAULT_CONFIG.relative_to(cfg.REPO_ROOT)} and SEATLIB_CONFIG is not set: "
              f"using the demo's settings, {cfg.DEMO_CONFIG.relative_to(cfg.REPO_ROOT)} "
              f"(lake {demo.lake_url}).")
        return demo
    raise ConfigError(
        f"no settings: set config_path in the notebook's first cell, or SEATLIB_CONFIG to the "
        f"settings file, or copy config/seat-monitor.example.toml to {cfg.DEFAULT_CONFIG}; "
        f"or run ./run_daily.sh --demo first to investigate the demo")


@dataclass
class ClientHistory:
    client_id: int
    rows: pd.DataFrame  # the client's gold rows, one per day (and workspace)
    changes: pd.DataFrame  # the first day, then every change of a tracked column
    summary: pd.DataFrame  # first/last day, status now and since when
    facts: pd.DataFrame  # the latest day's silver facts: admins, their users, their accesses
    figure: go.Figure
    advice: str  # what to do about the client today, in one sentence
    show_emails: bool = False

    def day_by_day(self) -> pd.DataFrame:
        cols = ["snapshot_date", "workspace_name", "status", "module_active", "seat_held",
                "admin_email", "days_since_last_access"]
        df = self.rows[cols].assign(status=self.rows["status"].map(STATUS_LABELS),
                                    days_since_last_access=self.rows["days_since_last_access"]
                                    .astype("string").fillna("never"))
        df.columns = ["Day", "Workspace", "Status", "Module", "Seat held", "Admin e-mail",
                      "Days since access"]
        return mask_frame(df, show=self.show_emails)


def _value(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, bool):
        return "on" if v else "off"
    return STATUS_LABELS.get(str(v), str(v))


def changes(rows: pd.DataFrame) -> pd.DataFrame:
    """The first day's values, then one line per day and column that changed."""
    out = []
    prev: dict | None = None
    for r in rows.to_dict("records"):
        for col, name in TRACKED.items():
            if col not in r:
                continue
            now = _value(r[col]) if col != "seat_held" else ("yes" if r[col] else "no")
            if prev is None:
                out.append({"Day": r["snapshot_date"], "What": name, "From": "(first day)", "To": now})
            else:
                before = _value(prev[col]) if col != "seat_held" else ("yes" if prev[col] else "no")
                if before != now:
                    out.append({"Day": r["snapshot_date"], "What": name, "From": before, "To": now})
        prev = r
    return pd.DataFrame(out, columns=["Day", "What", "From", "To"])


def advice(last: dict, since, latest_day: date, free_seats: int) -> str:
    """One plain sentence: what to do about the client today."""
    if last["snapshot_date"] != latest_day:
        return (f"The client is not in the latest day's gold ({latest_day}); it was last seen on "
                f"{last['snapshot_date']} as {_value(last['status'])}: check the company database.")
    idle = last["days_since_last_access"]
    idle_words = "never accessed" if _value(idle) == "—" else f"last access {int(idle)} days ago"
    who = last["admin_email"] if _value(last["admin_email"]) != "—" else "its admin"
    status = _client_status(last)
    if status == "seat_held_by_ex_client" and last.get("reclaimable") is False \
            and _value(last.get("note")) != "—":
        return (f"Do not deactivate {who}: {last['note']} (docs/seats.md). Remove the user from "
                f"this ex-client's workspace instead; the seat stays with the paying client.")
    if status == "seat_held_by_ex_client":
        note = last.get("note")
        also = (f" Not every admin's seat goes: {note}." if isinstance(note, str) and note
                else "")
        return (f"Free the seat: the client has had no module since {since} but {who} still holds "
                f"a seat ({idle_words}).{also}")
    if status == "inactive":
        return (f"Ask the client whether it still uses Zoho, and free the seat if not: inactive "
                f"since {since}, {idle_words}.")
    if status == "paying_without_user":
        then = ("activate it now" if free_seats > 0 else
                "free a seat first (none is free), then activate it")
        return (f"The client pays for the module since {since} without an active user ({who}): "
                f"{then}.")
    if status == "active":
        return f"Nothing to do: active since {since}, {idle_words}."
    if status == "released":
        return f"Nothing to do: no module and no seat since {since}."
    if status == "unmatched" or status not in statuses.BY_NAME:
        return f"Check by hand: {unmatched_reason(last).lower()} (since {since})."
    found = statuses.BY_NAME[status]  # a status without its own sentence here: its action
    return f"{found.label}: {found.action or 'nothing to do'} (since {since})."


def _client_status(row: dict) -> str:
    """The client's status (docs/seats.md: one answer per client), or the row's on a day from
    before ``client_status``."""
    value = row.get("client_status")
    return value if isinstance(value, str) and value else row["status"]


def client_history(systems: Systems, client_id: int) -> ClientHistory:
    """One client's history across days (gold) and its latest day's raw facts (silver).

    Raises:
        ClientNotFoundError: the client is in no day of the gold history.
    """
    from . import status_since

    settings = systems.settings
    lake = systems.lake
    gold_history.ensure(lake)  # a lake from before the compact history: built once
    days = gold_history.read_summary(lake)["snapshot_date"]
    rows = gold_history.read_client(lake, int(client_id))  # one bucket, by predicate
    if rows.empty:
        state = gold_history.read_since(lake, days.iloc[-1]) if len(days) else None
        ids = state["client_id"].dropna() if state is not None else pd.Series([], dtype="Int64")
        known = sorted(int(c) for c in ids.unique())
        near = sorted(known, key=lambda c: abs(c - int(client_id)))[:5]
        raise ClientNotFoundError(
            f"client {client_id} is in no day of the gold history ({len(known)} clients over "
            f"{len(days)} days in {lake.url}); nearest ids: "
            f"{', '.join(map(str, sorted(near)))}")
    latest_day = days.iloc[-1]
    last = rows.iloc[-1].to_dict()
    since = status_since(rows, last["snapshot_date"]).iloc[-1]
    capacity = gold.read_day(systems.lake, GOLD_CAPACITY.name, latest_day).iloc[0]
    show = settings.report.show_emails
    summary = pd.DataFrame({
        "First day": [rows["snapshot_date"].iloc[0]], "Last day": [last["snapshot_date"]],
        "Days seen": [rows["snapshot_date"].nunique()],
        "Status now": [STATUS_LABELS[_client_status(last)]], "In this status since": [since]})
    text = advice(last, since, latest_day, int(capacity["seats_free"]))
    return ClientHistory(int(client_id), rows, mask_frame(changes(rows), show=show), summary,
                         mask_frame(_facts(systems, rows, int(client_id)), show=show),
                         client_figure(rows, settings.inactive_days, int(client_id)),
                         text if show else mask_text(text), show)


def lookup(systems: Systems, client_id: int) -> ClientHistory | None:
    """:func:`client_history`, or None after printing why (a client id that does not exist)."""
    try:
        return client_history(systems, client_id)
    except ClientNotFoundError as exc:
        print(f"No such client: {exc}. Set client_id in the first cell to one of the ids of the "
              f"report's lists.")
        return None


def _facts(systems: Systems, rows: pd.DataFrame, client_id: int) -> pd.DataFrame:
    """The latest day's silver facts of the client's workspaces: admins, users, accesses."""
    from .. import silver

    frames = silver.read(systems.lake, rows["snapshot_date"].iloc[-1])
    names = set(rows["workspace_name"].dropna())
    admins = frames["zoho_workspace_admins"]
    admins = admins[admins["workspace_name"].isin(names)]
    users = frames["zoho_users"].rename(columns={"email": "admin_email"})
    access = frames["zoho_last_access"]
    access = access[access["workspace_name"].isin(names) & access["user_email"].notna()]
    access = access.rename(columns={"user_email": "admin_email"})
    facts = (admins[["workspace_id", "workspace_name", "admin_email", "admin_source"]]
             .merge(users[["admin_email", "active", "role"]], on="admin_email", how="left")
             .merge(access[["workspace_name", "admin_email", "last_access_at"]],
                    on=["workspace_name", "admin_email"], how="outer"))
    facts["is_admin"] = facts["admin_email"].isin(set(admins["admin_email"].dropna()))
    module = frames["module_status"]
    module = module.loc[module["client_id"] == client_id, "module_active"]
    facts["module_active"] = module.iloc[0] if len(module) else pd.NA
    return facts.reset_index(drop=True)
