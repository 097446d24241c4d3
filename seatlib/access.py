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


def usable(access: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The access rows by an address at a known time, and how many rows were not.

    ``future_accesses`` (accesses the export left out for being later than the extract's start
    plus ``[zoho] future_tolerance_minutes``) are summed whatever the row.
    """
    email = access["user_email"].astype("string").str.strip()
    address = email.str.fullmatch(EMAIL_RE.pattern).fillna(False).astype(bool)
    future = (pd.to_numeric(access["future_accesses"], errors="coerce").fillna(0).astype(int)
              if "future_accesses" in access else pd.Series(0, index=access.index))
    keep = address & access["last_access_at"].notna()
    counts = {NO_ADDRESS: int((~address).sum()), FUTURE: int(future.sum())}
    rows = access.loc[keep, ["workspace_name", "user_email", "last_access_at"]].copy()
    rows["user_email"] = email[keep].str.lower()
    return rows.reset_index(drop=True), counts


def today_names(admins: pd.DataFrame, day: date) -> pd.DataFrame:
    """The names history a lake without one can offer: today's names, seen today only."""
    pairs = admins[["workspace_id", "workspace_name"]].dropna().drop_duplicates()
    return pairs.assign(first_seen=day, last_seen=day).reset_index(drop=True)


def attribute(access: pd.DataFrame, names: pd.DataFrame, admins: pd.DataFrame
              ) -> Attributed:
    """Tie each usable access row to a workspace id (docs/seats.md, "Renamed workspaces").

    Args:
        access: silver ``zoho_last_access`` of the day.
        names: the names history as known by the day (``workspace_id``, ``workspace_name``,
            ``first_seen``, ``last_seen``).
        admins: silver ``zoho_workspace_admins`` of the day (today's names).
    """
    rows, counts = usable(access)
    rows["row"] = np.arange(len(rows))
    rows["on"] = rows["last_access_at"].dt.tz_convert("UTC").dt.date
    hist = names[["workspace_id", "workspace_name", "first_seen", "last_seen"]].dropna(
        subset=["workspace_id", "workspace_name"])
    cand = rows.merge(hist, on="workspace_name", how="inner")
    picked = _pick(cand, _today_holder(admins))
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


def _today_holder(admins: pd.DataFrame) -> dict[str, str | None]:
    """Today's name -> the one id bearing it (None when two ids bear it today)."""
    pairs = admins[["workspace_id", "workspace_name"]].dropna().drop_duplicates()
    ids = pairs.groupby("workspace_name")["workspace_id"].agg(list)
    return {name: (found[0] if len(found) == 1 else None) for name, found in ids.items()}


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
        prev = before.loc[before["last_seen"].idxmax()]
        after = group[group["first_seen"] > on]
        if len(after):
            nxt = after.loc[after["first_seen"].idxmin()]
            if nxt["workspace_id"] != prev["workspace_id"]:
                return None
        return prev["workspace_id"]
    return holder.get(group["workspace_name"].iloc[0])  # before every sighting: today's join
