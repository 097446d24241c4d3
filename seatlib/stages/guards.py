"""Guards that stop a bad day before it overwrites a good one.

Column and type checks live with the contracts (:mod:`seatlib.core.contracts`); here are the checks
that need more than one frame or a rule of the domain, one call per stage that replaces data:

* :func:`check_volume`: an empty frame, or one that shrank by more than ``[guards]
  max_drop_share`` against what the lake or the warehouse already holds for the day and for the
  latest day before it (the extract, silver, gold and load each compare their own output).
* :func:`check_seat_values`, :func:`check_status_values`: values of the right type but no sense
  (a negative allocation, 99,999 seats used of 70, a status outside the six).
* :func:`check_unmatched_share`: more rows ``unmatched`` than ``[guards] max_unmatched_share``
  (an empty company answer, a client-id pattern that no longer fits the workspace names).
* :func:`check_silver`, :func:`check_gold`, :func:`check_load`: all of the above for one stage.

``--allow-drop`` lets the volume and unmatched-share guards through, with a warning that ends
``(allowed by --allow-drop)`` (the runner copies those lines into ``run.log``); nonsense values
are never let through.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

import pandas as pd

from ..core.contracts import GOLD_CAPACITY, GOLD_STATUS, STATUSES
from ..core.errors import DataQualityError
from ..systems.lake import Lake, days_in, gold_key, silver_key

log = logging.getLogger(__name__)

# Deliberately simple: one @, no spaces, a dot in the domain. Zoho itself rejects worse (8509).
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: The override, as the operator types it and as every message names it.
OVERRIDE = "--allow-drop"
ALLOWED = f"(allowed by {OVERRIDE})"
#: Seats used may exceed the allocation (a plan downgrade leaves users active until they are
#: deactivated), but not beyond this multiple of it: Zoho activates no user past a full plan.
MAX_USED_PER_ALLOCATED = 2


@dataclass(frozen=True)
class VolumeCheck:
    source: str
    rows: int
    previous_rows: int | None
    previous_day: date | None

    @property
    def drop_share(self) -> float:
        return _drop(self.rows, self.previous_rows)


def _drop(rows: int, before: int | None) -> float:
    if not before:
        return 0.0
    return round(max(0.0, 1 - rows / before), 9)  # 1 - 70/100 is not 0.3 in floats


def _refuse_or_allow(text: str, allow_drop: bool, action: str,
                     allowed: list[str] | None = None) -> None:
    """Refuse, or (``allow_drop``) log the guard as let through and add it to ``allowed``."""
    if allow_drop:
        log.warning("%s %s", text, ALLOWED)
        if allowed is not None:
            allowed.append(text)
        return
    raise DataQualityError(f"{text}; {action}. If this is real, re-run with {OVERRIDE}")


def check_volume(source: str, rows: int, previous: tuple[date, int] | None, *,
                 max_drop_share: float, allow_drop: bool = False, where: str = "",
                 against: Sequence[tuple[str, int]] = (), empty: str = "the extract is empty",
                 action: str = "nothing was written",
                 allowed: list[str] | None = None) -> VolumeCheck:
    """Stop on an empty frame, or one that shrank by more than ``max_drop_share``.

    Args:
        previous: (day, rows) of the latest earlier version of the source, if any.
        against: more (what, rows) to compare with, e.g. ``("the silver already there for
            2026-11-20", 303)``: what the write would replace.
        allow_drop: the operator's explicit override (``run_daily.sh --allow-drop``).
        empty: what an empty frame is called in the message.
        action: what the refusal left as it was, for the message.
        allowed: collects what ``allow_drop`` let through.

    Raises:
        DataQualityError: naming the source, both counts, the limit and the override.
    """
    check = VolumeCheck(source, rows, previous[1] if previous else None,
                        previous[0] if previous else None)
    if rows == 0:
        _refuse_or_allow(f"{source} ({where}): {empty}", allow_drop, action, allowed)
        return check
    refs = ([(f"on {previous[0]}", previous[1])] if previous else []) + list(against)
    for what, before in refs:
        share = _drop(rows, before)
        if share > max_drop_share:
            _refuse_or_allow(f"{source} ({where}): {rows} rows against {before} {what}, a drop "
                             f"of {share:.0%} (limit {max_drop_share:.0%})", allow_drop, action,
                             allowed)
            break
    return check


# -- values of the right type and no sense ----------------------------------------------------

def _nonsense(name: str, where: str, problem: str) -> DataQualityError:
    return DataQualityError(f"{name} ({where}): {problem}; nothing was written. This is not a "
                            f"drop {OVERRIDE} could allow: correct the file or the source")


def check_seat_values(name: str, allocated: pd.Series, used: pd.Series, where: str,
                      seat_line: pd.Series | None = None) -> None:
    """Seats allocated above 0 (at least 0 on lines other than the seat line), used from 0 up
    to :data:`MAX_USED_PER_ALLOCATED` times the allocation.

    Args:
        seat_line: True where a row is the seat resource (default: every row).
    """
    seat = pd.Series(True, index=allocated.index) if seat_line is None else seat_line
    rules = (
        (seat & ~(allocated > 0), "allocated should be above 0"),
        (~seat & ~(allocated >= 0), "allocated should be 0 or more"),
        (~(used >= 0), "used should be 0 or more"),
        (seat & (used > allocated * MAX_USED_PER_ALLOCATED),
         f"used should be at most {MAX_USED_PER_ALLOCATED} x allocated"),
    )
    for bad, rule in rules:
        bad = bad.fillna(False).astype(bool)
        if bad.any():
            pairs = [f"{a}/{u}" for a, u in zip(allocated[bad].head(5), used[bad].head(5))]
            raise _nonsense(name, where, f"{rule}; allocated/used {pairs}")


def check_status_values(status: pd.DataFrame, where: str) -> None:
    """Every status one of :data:`seatlib.core.contracts.STATUSES`, no negative seat count."""
    unknown = sorted(set(status["status"].dropna()) - set(STATUSES))
    if unknown or status["status"].isna().any():
        raise _nonsense(GOLD_STATUS.name, where, f"status {unknown or ['<empty>']} is not one of "
                                              f"{list(STATUSES)}")
    negative = status["seats_held"].fillna(0) < 0
    if negative.any():
        raise _nonsense(GOLD_STATUS.name, where,
                        f"seats_held should be 0 or more; found {status.loc[negative, 'seats_held'].head(5).tolist()}")


def check_unmatched_share(status: pd.DataFrame, *, max_share: float, allow_drop: bool,
                          where: str, action: str = "nothing was written",
                          allowed: list[str] | None = None) -> float:
    """Stop when more than ``max_share`` of the rows are ``unmatched``; returns the share."""
    if status.empty:
        return 0.0
    n = int((status["status"] == "unmatched").sum())
    share = round(n / len(status), 9)
    if share > max_share:
        _refuse_or_allow(
            f"seat_status ({where}): {n} of {len(status)} rows are unmatched ({share:.0%}, "
            f"limit [guards] max_unmatched_share {max_share:.0%}): is module_status empty, or "
            f"does [zoho] client_id_pattern still fit the workspace names?", allow_drop, action,
            allowed)
    return share


def check_capacity_values(capacity: pd.DataFrame, where: str) -> None:
    """Zoho's figures as :func:`check_seat_values`; the ledger's categories (docs/seats.md)
    not negative and adding up to the seat users (a day from before the ledger has none)."""
    check_seat_values(GOLD_CAPACITY.name, capacity["seats_allocated"], capacity["seats_used"], where)
    if "seat_users" not in capacity or capacity["seat_users"].isna().all():
        return
    parts = capacity[list(CATEGORY_COLUMNS)].fillna(0).astype("int64")
    negative = [c for c in CATEGORY_COLUMNS if (parts[c] < 0).any()]
    if negative:
        raise _nonsense(GOLD_CAPACITY.name, where, f"{negative} should be 0 or more")
    total, users = parts.sum(axis=1), capacity["seat_users"].fillna(0).astype("int64")
    if (total != users).any():
        raise _nonsense(GOLD_CAPACITY.name, where,
                        f"the seat categories add up to {int(total.iloc[0])}, not to the "
                        f"{int(users.iloc[0])} seat users ({', '.join(CATEGORY_COLUMNS)})")


#: The capacity columns of the ledger's categories: they add up to ``seat_users``.
CATEGORY_COLUMNS = ("seats_held_by_clients", "seats_held_by_ex_clients", "seats_held_unmatched",
                    "seats_staff", "seats_no_workspace")
#: A change guard needs at least this many clients to change before it can refuse a day.
MIN_STATUS_CHANGES = 10


def check_status_change(before: pd.DataFrame, after: pd.DataFrame, *, max_share: float,
                        allow_drop: bool, where: str, action: str,
                        allowed: list[str] | None = None) -> int:
    """Stop a day where more than ``max_share`` of the module clients (and at least
    :data:`MIN_STATUS_CHANGES`) changed status: a company query that turned every module off,
    a users extract that shows everyone inactive. Guards count answers that changed, not rows.

    "The clients" are those seen on both days with the module active on at least one of them:
    a day's ordinary churn is there (a cancellation, a user activated), while the hundreds of
    long-released clients would hide a mass change in a share of all clients (the demo's worst
    day over a year: 12% of module clients; every module off: 100%). An ex-client's seat freed
    (ex-client -> released) is the point of this tool and is not counted; nor is a move from or
    to ``unmatched`` (a client that reaches the company database a day after its workspace, a
    batch of new clients): the unmatched share has its own guard.

    Args:
        before, after: by client id, ``client_status`` and ``module_active``, of the latest
            earlier day and of the day.

    Returns:
        how many clients changed status.
    """
    both = before.index.intersection(after.index)
    paying = (before.loc[both, "module_active"].fillna(False).astype(bool)
              | after.loc[both, "module_active"].fillna(False).astype(bool))
    both = both[paying.to_numpy()]
    if not len(both):
        return 0
    old = before.loc[both, "client_status"].astype("string")
    new = after.loc[both, "client_status"].astype("string")
    paired = ((old != "unmatched") & (new != "unmatched")).to_numpy()
    both, old, new = both[paired], old[paired], new[paired]
    if not len(both):
        return 0
    moved = old != new
    changed = int(moved.sum())
    share = round(changed / len(both), 9)
    if changed >= MIN_STATUS_CHANGES and share > max_share:
        moves = (old[moved] + " -> " + new[moved]).value_counts()
        movers = ", ".join(f"{m}: {n}" for m, n in moves.head(4).items())
        ids = ", ".join(str(i) for i in sorted(both[moved.to_numpy()])[:5])
        _refuse_or_allow(
            f"seat_status ({where}): {changed} of {len(both)} module clients changed status since "
            f"the day before ({share:.0%}, limit [guards] max_status_change_share "
            f"{max_share:.0%}); biggest moves {movers} (e.g. clients {ids}): did the company "
            f"query or the workspace names change?", allow_drop, action, allowed)
    return changed


# -- one call per stage -----------------------------------------------------------------------

KEEP_LAKE = "nothing was written: the lake is as it was"
KEEP_WAREHOUSE = "nothing was loaded: the warehouse day is as it was"
NO_ROWS = "no rows to write"


def partition_days(lake: Lake, source: str) -> list[date]:
    """The days with a silver partition of ``source``."""
    out = []
    for key in lake.list(f"silver/{source}/"):
        part = key.split("/")[2] if key.count("/") >= 3 else ""
        try:
            out.append(date.fromisoformat(part.removeprefix("snapshot_date=")))
        except ValueError:
            continue
    return sorted(set(out))


def _around(day: date, days: list[date], rows_of) -> list[tuple[str, int]]:
    """(what, rows) of the day itself (what a write replaces) and of the latest earlier day."""
    refs = []
    if day in days:
        refs.append((f"already there for {day}", rows_of(day)))
    earlier = [d for d in days if d < day]
    if earlier:
        refs.append((f"on {earlier[-1]}", rows_of(earlier[-1])))
    return refs


def check_silver(lake: Lake, day: date, frames: dict[str, pd.DataFrame], settings, *,
                 allow_drop: bool) -> None:
    """Silver's frames against the silver already there for the day and the day before, and
    the seat figures; before any partition is written."""
    for source, df in frames.items():
        refs = _around(day, partition_days(lake, source),
                       lambda d, s=source: len(lake.read_parquet(silver_key(s, d))))
        check_volume(source, len(df), None, max_drop_share=settings.max_drop_share,
                     allow_drop=allow_drop, where=f"silver of {day}", against=refs,
                     empty=NO_ROWS, action=KEEP_LAKE)
    seats = frames["zoho_seats"]
    check_seat_values("zoho_seats", seats["allocated"], seats["used"], f"silver of {day}",
                      seats["resource_name"] == settings.zoho.seat_resource)


def check_gold(lake: Lake, day: date, status: pd.DataFrame, capacity: pd.DataFrame, settings,
               *, allow_drop: bool, before: pd.DataFrame | None = None) -> list[str]:
    """Gold's frames: statuses, seat figures, unmatched share, rows against the gold already
    there for the day and the day before, and how many clients changed status against
    ``before`` (client id -> client status of the latest earlier gold day; None on a lake's
    first day); before any gold file is written. Returns what ``allow_drop`` let through."""
    where, allowed = f"gold of {day}", []
    check_status_values(status, where)
    check_capacity_values(capacity, where)
    refs = _around(day, days_in(lake, f"gold/{GOLD_STATUS.name}/"),
                   lambda d: len(lake.read_csv(gold_key(GOLD_STATUS.name, d), dtype=str)))
    check_volume(GOLD_STATUS.name, len(status), None, max_drop_share=settings.max_drop_share,
                 allow_drop=allow_drop, where=where, against=refs,
                 empty=NO_ROWS, action=KEEP_LAKE, allowed=allowed)
    check_unmatched_share(status, max_share=settings.max_unmatched_share, allow_drop=allow_drop,
                          where=where, action=KEEP_LAKE, allowed=allowed)
    if before is not None:
        check_status_change(before, client_status_of(status),
                            max_share=settings.max_status_change_share, allow_drop=allow_drop,
                            where=where, action=KEEP_LAKE, allowed=allowed)
    return allowed


def client_status_of(status: pd.DataFrame) -> pd.DataFrame:
    """By client id: its ``client_status`` and ``module_active``, from gold rows."""
    rows = status.dropna(subset=["client_id"])
    return rows.drop_duplicates("client_id").set_index("client_id")[
        ["client_status", "module_active"]]


def check_load(day: date, status: pd.DataFrame, capacity: pd.DataFrame, wh, schema: str,
               settings, *, allow_drop: bool, where: str,
               before: pd.DataFrame | None = None) -> list[str]:
    """The gold files about to be loaded: the same value checks as gold (a file edited by
    hand), rows against the warehouse's own day and the latest day before it, and the clients
    that changed status against ``before`` (the warehouse's latest earlier day). Results are
    read by position: a Redshift cluster with ``describe_field_name_in_uppercase`` names
    them in upper case. Returns what ``allow_drop`` let through."""
    allowed: list[str] = []
    check_status_values(status, where)
    check_capacity_values(capacity, where)
    counts = wh.fetch_frame(
        f"SELECT snapshot_date AS day, COUNT(*) AS n FROM {schema}.seat_status_daily "
        f"WHERE snapshot_date <= %s GROUP BY snapshot_date ORDER BY snapshot_date DESC LIMIT 2",
        (day,))
    by_day = {pd.Timestamp(d).date(): int(n) for d, n in counts.itertuples(index=False)}
    refs = _around(day, sorted(by_day), by_day.__getitem__)
    refs = [(f"{what} in {schema}.seat_status_daily", n) for what, n in refs]
    check_volume(GOLD_STATUS.name, len(status), None, max_drop_share=settings.max_drop_share,
                 allow_drop=allow_drop, where=where, against=refs,
                 empty=NO_ROWS, action=KEEP_WAREHOUSE, allowed=allowed)
    check_unmatched_share(status, max_share=settings.max_unmatched_share, allow_drop=allow_drop,
                          where=where, action=KEEP_WAREHOUSE, allowed=allowed)
    if before is not None:
        check_status_change(before, client_status_of(status),
                            max_share=settings.max_status_change_share, allow_drop=allow_drop,
                            where=where, action=KEEP_WAREHOUSE, allowed=allowed)
    return allowed


# -- files people open ------------------------------------------------------------------------

#: A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets.
# -- e-mail addresses -------------------------------------------------------------------------

def bad_emails(values: pd.Series) -> list[str]:
    """The values of ``values`` that do not look like an e-mail address, blank ones aside (an
    empty "Accessed By" is a public visitor, not a bad address)."""
    text = values.dropna().astype("string")
    text = text[text.str.strip().str.len() > 0]
    return sorted(set(text[~text.str.match(EMAIL_RE.pattern)].tolist()))


def flag_bad_emails(df: pd.DataFrame, column: str, source: str) -> list[str]:
    """Log (and return) malformed addresses; they are kept, since they may still hold a seat."""
    bad = bad_emails(df[column])
    if bad:
        log.warning("%s: %d malformed e-mail address(es) in %r: %s", source, len(bad), column, bad[:10])
    return bad
