"""Which workspaces' admins to ask Zoho for today, and the ``zoho_workspace_admins`` frame.

Zoho allows 60 metadata calls a minute and the admins cost one call per workspace, so a full
extract of 5,000 workspaces takes ~85 minutes although admins rarely change. The extract asks
only for the workspaces whose admins may have changed and reuses the rest from the latest earlier
bronze ``zoho_workspace_admins`` (the *known* admins). A workspace is fetched when:

* it is **new** (not in the known admins);
* one of its known admins **changed** role or domain in today's ``GET /users`` (against the same
  earlier day's bronze ``zoho_users``), was absent from that earlier ``GET /users``, or
  **vanished** from today's;
* it is **due**: each workspace has a fixed day in every cycle of ``[zoho] admins_refresh_days``
  (from a CRC of its id, so the calls spread evenly over the days), and is fetched at the latest
  that many days after it was last fetched;
* an active user **appears** (absent or inactive in the earlier ``zoho_users``) that no
  workspace accounts for after the fetches above: then every other workspace is fetched, as
  the user could be anyone's new admin.

A known admin whose only change is the **active flag** does not make the workspace fetched:
``/admins`` lists who administers a workspace, not whether they hold a seat, and the seat state
comes from ``GET /users`` every day. The assumption is that Zoho keeps a deactivated admin in
the workspace's admins (as the simulator does); should it ever drop them, the rolling refresh
corrects the reused rows within ``admins_refresh_days``.

Everything is fetched on a full refresh (``run_daily.sh --full-refresh``), with
``admins_refresh_days = 0``, or when the known admins are missing or unreadable.

The limit: an *existing* active user made admin of another workspace leaves no trace in
``GET /users``; only the rolling refresh finds it, within ``admins_refresh_days``. Reused rows
keep their ``admin_source`` and carry the day they were fetched in ``admins_fetched_on`` (a
bronze column only: silver and gold do not read it).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..core.contracts import BRONZE, coerce, fill_added
from ..core.errors import DataQualityError
from ..systems.lake import Lake, latest_bronze

log = logging.getLogger(__name__)

SOURCE = "zoho_workspace_admins"
#: what decides whether a known admin changed in GET /users (not the active flag: see the module)
_USER_STATE = ["role", "domain"]
#: the columns of a row that come from today's GET /workspaces, also on a reused row
_BASE = ("workspace_id", "workspace_name", "created_time_ms", "created_by")


@dataclass
class Known:
    """The known admins: the latest earlier bronze of the admins and the users of that day."""

    day: date
    admins: pd.DataFrame  # bronze text, with admins_fetched_on filled
    users: pd.DataFrame  # bronze text, e-mails lower case


@dataclass
class Plan:
    """Why each workspace is fetched today (id -> reason); the rest are reused."""

    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, ids, reason: str) -> None:
        for ws_id in ids:
            self.reasons.setdefault(ws_id, reason)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for reason in self.reasons.values():
            out[reason] = out.get(reason, 0) + 1
        return out


def load_known(lake: Lake, day: date) -> Known | None:
    """The latest earlier admins bronze with that day's users bronze, checked against their
    contracts; None (so everything is fetched) when either is missing or malformed."""
    found = latest_bronze(lake, SOURCE, day)
    if found is None:
        return None
    prev, admins = found
    users_key = f"bronze/zoho_users/{prev.isoformat()}.csv"
    try:
        coerce(fill_added(admins, BRONZE[SOURCE]), BRONZE[SOURCE], lake.uri(f"bronze/{SOURCE}"))
        if not lake.exists(users_key):
            raise DataQualityError(f"no {lake.uri(users_key)}")
        users = lake.read_csv(users_key, dtype=str, keep_default_na=False)
        coerce(fill_added(users, BRONZE["zoho_users"]), BRONZE["zoho_users"], lake.uri(users_key))
    except DataQualityError as exc:
        log.warning("%s: the known admins of %s are unusable (%s); fetching every workspace",
                    SOURCE, prev, exc)
        return None
    admins = fill_added(admins, BRONZE[SOURCE])
    admins["admins_fetched_on"] = admins["admins_fetched_on"].replace("", prev.isoformat())
    return Known(prev, admins, _by_email(fill_added(users, BRONZE["zoho_users"])))


def _by_email(users: pd.DataFrame) -> pd.DataFrame:
    """Bronze users text indexed by lower-case e-mail, one row each: a user listed under
    several portal domains is active when any listing is, with its roles and domains each
    sorted and "; "-joined, so that the comparison of two days does not hang on Zoho's order
    of the listings."""
    out = users.assign(email=users["email"].str.strip().str.lower())
    repeated = out["email"].duplicated(keep=False)
    if not repeated.any():
        return out.set_index("email")
    listings = out[repeated]
    merged = listings.groupby("email", sort=True).agg(
        active=("active", lambda s: "true" if s.str.strip().str.lower().eq("true").any()
                else "false"),
        role=("role", _joined), domain=("domain", _joined))
    return pd.concat([out[~repeated].set_index("email"), merged])


def _joined(values: pd.Series) -> str:
    return "; ".join(sorted(set(values.str.strip())))


def slot(workspace_id: str, refresh_days: int) -> int:
    """The workspace's fixed day in each refresh cycle (stable across runs and machines)."""
    return zlib.crc32(workspace_id.encode("utf-8")) % refresh_days


def plan(ids: list[str], known: Known | None, users: pd.DataFrame, day: date,
         refresh_days: int, full: bool) -> Plan:
    """The first round of fetches: new, changed or vanished admins, due (see the module)."""
    out = Plan()
    if full or refresh_days <= 0 or known is None:
        out.add(ids, "full" if known is not None or full else "no known admins")
        return out
    admins = known.admins
    listed = set(admins["workspace_id"])
    out.add([i for i in ids if i not in listed], "new")
    emails = admins["admin_email"].str.strip().str.lower()
    changed = _changed(set(emails) - {""}, _by_email(users), known.users)
    out.add(admins.loc[emails.isin(changed), "workspace_id"], "admin changed")
    fetched = admins.groupby("workspace_id")["admins_fetched_on"].min().to_dict()
    today = day.toordinal()
    for ws_id in ids:
        if ws_id in fetched:
            age = today - date.fromisoformat(fetched[ws_id]).toordinal()
            if age >= refresh_days or today % refresh_days == slot(ws_id, refresh_days):
                out.add([ws_id], "due")
    return out


def _changed(emails: set[str], today: pd.DataFrame, before: pd.DataFrame) -> set[str]:
    """The admins among ``emails`` missing from either day's users, or whose role or domain
    differs between them (both frames indexed by lower-case e-mail, one row each)."""
    both = today.index.intersection(before.index).intersection(list(emails))
    differs = (today.loc[both, _USER_STATE] != before.loc[both, _USER_STATE]).any(axis=1)
    return (emails - set(both)) | set(both[differs.to_numpy()])


def unaccounted(users: pd.DataFrame, known: Known, admin_emails: set[str]) -> list[str]:
    """Active users of today that were not active in the known day's users and are admin of no
    workspace in ``admin_emails``."""
    today, before = _by_email(users), known.users
    was_active = before.index[before["active"].str.strip().str.lower() == "true"]
    new = ((today["active"].str.strip().str.lower() == "true") & ~today.index.isin(was_active)
           & ~today.index.isin(list(admin_emails)))
    return sorted(today.index[new.to_numpy()])


def read(client, workspaces: list, users: pd.DataFrame, known: Known | None, day: date, *,
         refresh_days: int, full: bool) -> tuple[pd.DataFrame, Plan]:
    """Today's ``zoho_workspace_admins`` frame: the planned workspaces fetched, the others'
    admins reused from ``known`` (with today's names), and what was fetched why."""
    ids = list(dict.fromkeys(w.workspace_id for w in workspaces))
    todo = plan(ids, known, users, day, refresh_days, full)
    fetched = client.admins_for([i for i in ids if i in todo.reasons])
    if known is not None and len(todo.reasons) < len(ids):
        reused = known.admins[~known.admins["workspace_id"].isin(list(fetched))]
        emails = {a.email.strip().lower() for listed, _ in fetched.values() for a in listed}
        emails |= set(reused.loc[reused["workspace_id"].isin(ids), "admin_email"]
                      .str.strip().str.lower())
        newcomers = unaccounted(users, known, emails)
        if newcomers:
            log.info("%s: %d new active user(s) that no workspace accounts for; fetching every "
                     "workspace", SOURCE, len(newcomers))
            rest = [i for i in ids if i not in todo.reasons]
            todo.add(rest, "unaccounted user")
            fetched.update(client.admins_for(rest))
    frame = _frame(workspaces, fetched, known, day)
    log.info("%s: %d of %d workspaces fetched (%s), %d reused from %s", SOURCE, len(fetched),
             len(ids), todo.counts() or "none", len(ids) - len(fetched),
             known.day if known else "-")
    return frame, todo


def _base(w) -> dict:
    return {"workspace_id": w.workspace_id, "workspace_name": w.name,
            "created_time_ms": "" if w.created_time_ms is None else str(w.created_time_ms),
            "created_by": w.created_by or ""}


def fetched_rows(w, listed: list, source: str, day: date) -> list[dict]:
    """One row per (workspace, admin) as Zoho answered; a workspace without admins keeps one
    row with an empty e-mail so it is never lost."""
    base = {**_base(w), "admin_source": source, "admins_fetched_on": day.isoformat()}
    if not listed:
        return [{**base, "admin_email": "", "admin_domain": ""}]
    domains: dict[str, str] = {}
    for admin in listed:  # same address twice in Zoho's list: keep the first
        domains.setdefault(admin.email, admin.domain)
    return [{**base, "admin_email": e, "admin_domain": d} for e, d in domains.items()]


def _frame(workspaces: list, fetched: dict, known: Known | None, day: date) -> pd.DataFrame:
    """The fetched workspaces' rows and the others' known rows, in the order of ``workspaces``
    (each workspace's rows in Zoho's or the known frame's order)."""
    names = BRONZE[SOURCE].names
    rows = [{**row, "_pos": pos} for pos, w in enumerate(workspaces) if w.workspace_id in fetched
            for row in fetched_rows(w, *fetched[w.workspace_id], day)]
    out = pd.DataFrame(rows, columns=[*names, "_pos"])
    out["_row"] = range(len(out))
    if known is not None:
        out = pd.concat([out, reused_rows(workspaces, known.admins, set(fetched))],
                        ignore_index=True)
    # a workspace's rows are either all fetched or all reused, so _row only orders within one
    out = out.sort_values(["_pos", "_row"], kind="stable")[names].reset_index(drop=True)
    return out.astype("str") if len(out) else out  # every value is text, as in bronze


def reused_rows(workspaces: list, known: pd.DataFrame, fetched: set[str]) -> pd.DataFrame:
    """The known rows of the workspaces not in ``fetched``, with today's name, creation time
    and creator (a rename shows at once); ``_pos`` is the workspace's place in ``workspaces``
    and ``_row`` the row's in ``known``. One merge: the known frame is not scanned once per
    workspace."""
    base = pd.DataFrame([_base(w) for w in workspaces], columns=list(_BASE))
    base["_pos"] = range(len(base))
    base = base[~base["workspace_id"].isin(list(fetched))]
    own = known.drop(columns=[c for c in _BASE[1:] if c in known.columns])
    own = own.assign(_row=range(len(own)))
    return base.merge(own, on="workspace_id", how="inner", sort=False)
