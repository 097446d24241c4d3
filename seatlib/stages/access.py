"""Which workspace an Access Log row belongs to: the Access Log names workspaces, ids are ours.

Zoho's audit Access Log records the workspace's **name** at the time of the access
(docs/zoho-api-notes.md §9), so after a rename an admin's latest access may still be logged
under the old name, and a join on today's names would call a busy client idle. Silver keeps
every (workspace id, name) pair seen with its first and last day (``workspace_names``, as known
by the day being built); :func:`attribute` ties each logged (name, time) to the id that bore the
name then, by the rules of docs/seats.md ("Renamed workspaces"), and never guesses: a name two
ids bore on the same day is *ambiguous*, counted and shown, not joined.

It also sorts out the rows that are not accesses by a known user at a trusted time (an
"Accessed By" that is no address, e.g. a public visitor; a time Zoho gave from the future),
for gold's counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from .guards import EMAIL_RE

#: How gold names the three kinds of rows it leaves out, for the capacity row and the report.
NO_ADDRESS, FUTURE, AMBIGUOUS = "access_without_address", "access_future", "access_ambiguous"


@dataclass
class Attributed:
    """The access rows tied to a workspace id, and what was left out.

    Attributes:
        rows: ``workspace_id``, ``user_email``, ``last_access_at`` (the latest per pair).
        counts: rows left out, by kind (:data:`NO_ADDRESS`, :data:`FUTURE`, :data:`AMBIGUOUS`).
        ambiguous: the names that could not be tied to one workspace, with their candidates
            (``workspace_name``, ``workspace_ids``, ``rows``), for the data-quality panel.
    """

    rows: pd.DataFrame
    counts: dict[str, int]
    ambiguous: pd.DataFrame


def usable(access: pd.DataFrame, latest: pd.Timestamp | None = None
           ) -> tuple[pd.DataFrame, dict[str, int]]:
    """The access rows by an address at a known time, and how many rows were not.

    ``future_accesses`` (accesses the export left out for being later than the extract's start
    plus ``[zoho] future_tolerance_minutes``) are summed whatever the row; a row whose time is
    after ``latest`` (the end of the day plus the tolerance: an export that did not leave them
    out, an engine that ignored the GROUP BY) counts as one more and is left out too.
    """
    email = access["user_email"].astype("string").str.strip()
    address = email.str.fullmatch(EMAIL_RE.pattern).fillna(False).astype(bool)
    future = (pd.to_numeric(access["future_accesses"], errors="coerce").fillna(0).astype(int)
              if "future_accesses" in access else pd.Series(0, index=access.index))
    late = ((access["last_access_at"] > latest).fillna(False).astype(bool)
            if latest is not None else pd.Series(False, index=access.index))
    keep = address & access["last_access_at"].notna() & ~late
    counts = {NO_ADDRESS: int((~address).sum()), FUTURE: int(future.sum() + (late & address).sum())}
    rows = access.loc[keep, ["workspace_name", "user_email", "last_access_at"]].copy()
    rows["user_email"] = email[keep].str.lower()
    return rows.reset_index(drop=True), counts


def today_names(admins: pd.DataFrame, day: date) -> pd.DataFrame:
    """The names history a lake without one can offer: today's names, seen today only."""
    pairs = admins[["workspace_id", "workspace_name"]].dropna().drop_duplicates()
    return pairs.assign(first_seen=day, last_seen=day).reset_index(drop=True)


def attribute(access: pd.DataFrame, names: pd.DataFrame, admins: pd.DataFrame, *,
              latest: pd.Timestamp | None = None,
              client_ids: Callable[[pd.Series], pd.Series] | None = None) -> Attributed:
    """Tie each usable access row to a workspace id (docs/seats.md, "Renamed workspaces").

    Args:
        access: silver ``zoho_last_access`` of the day.
        names: the names history as known by the day (``workspace_id``, ``workspace_name``,
            ``first_seen``, ``last_seen``).
        admins: silver ``zoho_workspace_admins`` of the day (today's names).
        latest: no access can be later than this (the day's end plus the tolerance).
        client_ids: the client id in each name (gold's pattern), for a name the lake never
            saw (rule 6).
    """
    rows, counts = usable(access, latest)
    rows["row"] = np.arange(len(rows))
    rows["on"] = rows["last_access_at"].dt.tz_convert("UTC").dt.date
    hist = names[["workspace_id", "workspace_name", "first_seen", "last_seen"]].dropna(
        subset=["workspace_id", "workspace_name"])
    cand = rows.merge(hist, on="workspace_name", how="inner")
    picked = _pick(cand, _today_holder(admins))
    unseen = rows[~rows["row"].isin(set(cand["row"]))]
    if client_ids is not None and len(unseen):
        picked = pd.concat([picked, _by_client_id(unseen, admins, client_ids)])
    rows["workspace_id"] = rows["row"].map(picked).astype("string")
    ambiguous = rows["row"].isin(picked[picked.isna()].index)
    counts[AMBIGUOUS] = int(ambiguous.sum())
    amb = rows[ambiguous]
    detail = (cand[cand["row"].isin(amb["row"])].groupby("workspace_name", sort=True)
              .agg(workspace_ids=("workspace_id", lambda s: "; ".join(sorted(set(s)))),
                   rows=("row", "nunique")).reset_index())
    done = rows[rows["workspace_id"].notna()]
    latest = (done.groupby(["workspace_id", "user_email"], sort=True, as_index=False)
              .agg(last_access_at=("last_access_at", "max")))
    return Attributed(latest, counts, detail)


def _by_client_id(unseen: pd.DataFrame, admins: pd.DataFrame,
                  client_ids: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Rule 6: a name the lake never saw (a rename before its first day) whose client id is
    the client id of exactly one workspace today belongs to that workspace; any other is
    joined to none (not ambiguous: nothing bore it)."""
    today = admins[["workspace_id", "workspace_name"]].dropna().drop_duplicates("workspace_id")
    ids = client_ids(today["workspace_name"]).to_numpy()
    by_client = pd.Series(today["workspace_id"].to_numpy(), index=ids).dropna()
    by_client = by_client[~by_client.index.isna()]
    one = by_client[~by_client.index.duplicated(keep=False)]
    logged = client_ids(unseen["workspace_name"])
    found = {row: one[cid] for row, cid in zip(unseen["row"], logged)
             if not pd.isna(cid) and cid in one.index}
    return pd.Series(found, dtype="object")


def _today_holder(admins: pd.DataFrame) -> dict[str, str | None]:
    """Today's name -> the one id bearing it (None when two ids bear it today)."""
    pairs = admins[["workspace_id", "workspace_name"]].dropna().drop_duplicates()
    two = pairs["workspace_name"].duplicated(keep=False).to_numpy()
    holder: dict[str, str | None] = dict(zip(pairs["workspace_name"][~two],
                                             pairs["workspace_id"][~two]))
    holder.update(dict.fromkeys(pairs["workspace_name"][two]))
    return holder


def _pick(cand: pd.DataFrame, holder: dict[str, str | None]) -> pd.Series:
    """For each access row with candidates: the workspace id, or None (ambiguous).

    Most names were only ever borne by one workspace: those rows are mapped at once; only the
    rows of a name several ids bore go through the rules one by one.
    """
    many = cand.groupby("workspace_name")["workspace_id"].transform("nunique") > 1
    single = cand[~many].drop_duplicates("row").set_index("row")["workspace_id"]
    out = single.astype("object").to_dict()
    for row, group in cand[many].groupby("row", sort=False):
        out[row] = _choose(group, holder)
    return pd.Series(out, dtype="object")


def _choose(group: pd.DataFrame, holder: dict[str, str | None]) -> str | None:
    """The rules 1-4 of docs/seats.md for one access row and the ids (two or more) that bore
    its name."""
    on = group["on"].iloc[0]
    holds = group[(group["first_seen"] <= on) & (on <= group["last_seen"])]
    if len(holds):
        return holds["workspace_id"].iloc[0] if holds["workspace_id"].nunique() == 1 else None
    before = group[group["last_seen"] < on]
    if len(before):  # in a gap after some sighting: the latest bearer, unless the name moved
        last = before[before["last_seen"] == before["last_seen"].max()]
        if last["workspace_id"].nunique() > 1:
            return None  # two ids last bore it on the same day: which one is a guess
        prev = last.iloc[0]
        after = group[group["first_seen"] > on]
        if len(after):
            nxt = after.loc[after["first_seen"].idxmin()]
            if nxt["workspace_id"] != prev["workspace_id"]:
                return None
        return prev["workspace_id"]
    return holder.get(group["workspace_name"].iloc[0])  # before every sighting: today's join
