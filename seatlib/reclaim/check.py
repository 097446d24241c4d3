"""Before any call: what was approved, whether it is still true, and whether it is too much.

* :func:`approved` - the rows a person approved: a copy of a plan file with ``yes`` on rows
  (matched by ``plan_id`` and ``row_id``, never by a masked address), or client ids against
  the latest plan (a row is approved when every client its user serves is named).
* :func:`recheck` - each approved row derived again from the latest gold, ``GET /users`` now,
  the company's module-status query now and the admins of every workspace (asked now, unless
  today's extract asked every workspace): a row whose reason, module states, clients,
  workspaces or sharing changed is refused; so is a plan older than ``[reclaim]
  max_plan_age_days``. The gold day is recorded, not compared.
* :func:`limit` - an execution of more than ``[reclaim] max_users`` users or ``max_share`` of
  the seats used, or from a gold day let through with ``--allow-drop``, waits for
  ``--override-limit``.

A refusal is a :class:`Refused` (exit 2): nothing was changed, and the message names the rows.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from ..core import config as cfg
from ..core.errors import ConfigError
from ..core.privacy import mask_email
from . import plan as plans

log = logging.getLogger(__name__)

#: What a person may write in a plan copy's ``approve`` column; anything else is refused, named
#: by line, rather than guessed (``ok?``, ``yes, but not today``).
YES = frozenset({"yes", "y", "true", "1", "x", "sim", "s"})
NO = frozenset({"", "no", "n", "false", "0", "não", "nao", "-"})


class Refused(ConfigError):
    """The reclaim changes nothing: the approval does not hold (exit 2, rows named)."""


# -- what was approved ----------------------------------------------------------------------------

def approved(approve: str | list[int] | None, current: plans.Plan,
             lake) -> tuple[plans.Plan, pd.DataFrame]:
    """(the plan approved, its approved rows): a plan file's ``yes`` rows, or the rows of
    ``current`` (the plan of this run, the latest) whose users serve only named clients.

    Raises:
        ConfigError: a file that is no plan copy, rows of several plans, a row id the plan
            does not have, a client id no row names (saying why), a row half named.
    """
    if approve is None or (isinstance(approve, str) and not approve.strip()):
        return current, current.rows.iloc[0:0]
    if is_file(approve):
        return _from_file(Path(str(approve).strip()), lake, current)
    return current, _from_ids(parse_ids(approve, "approve"), current)


def is_file(approve: str | list[int] | None) -> bool:
    """Whether ``approve`` names an approval file (a kept copy of a plan), not client ids."""
    return isinstance(approve, str) and (approve.strip().endswith(".csv") or "/" in approve)


def parse_ids(value: str | list[int], what: str) -> list[int]:
    """Client ids from ``"1003, 1007"`` or a list; ConfigError naming a bad one."""
    items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    ids = []
    for item in items:
        try:
            ids.append(int(str(item).strip()))
        except ValueError:
            raise ConfigError(f"{what}: {str(item).strip()!r} is not a client id (expected "
                              f"numbers separated by commas, e.g. 1003,1007)") from None
    return list(dict.fromkeys(ids))


def _read_copy(path: Path) -> pd.DataFrame:
    """A person's copy of a plan file, as a spreadsheet may have saved it: separated by commas,
    semicolons (Excel in a pt-BR locale) or tabs, as its header line shows; UTF-8 with or
    without BOM, or Windows-1252."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"approve file {path} could not be read: {exc.strerror or exc}") from None
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # latin-1 reads any byte
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    header = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=header.count)
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except (ValueError, csv.Error) as exc:
        raise ConfigError(f"approve file {path} could not be read: {exc}") from None


def _from_file(path: Path, lake, current: plans.Plan) -> tuple[plans.Plan, pd.DataFrame]:
    df = _read_copy(path)
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = {"plan_id", "row_id", "approve"} - set(df.columns)
    if missing:
        raise ConfigError(f"approve file {path} lacks the column(s) {sorted(missing)}: start "
                          f"from a plan a reclaim wrote (reclaim_plan.csv in its attempt folder)")
    for col in ("plan_id", "row_id"):  # a spreadsheet's text marker (formula-safe copies)
        df[col] = df[col].str.strip().str.lstrip("'")
    said = df["approve"].str.strip().str.lower()
    unclear = [str(n + 2) for n, v in zip(df.index, said) if v not in YES | NO]
    if unclear:
        raise ConfigError(f"approve file {path}: line(s) {', '.join(unclear[:10])} say neither "
                          f"yes nor no in approve ({df['approve'][int(unclear[0]) - 2]!r} on line "
                          f"{unclear[0]}): write yes on the rows to act on and leave the others "
                          f"empty")
    chosen = df[said.isin(YES)]
    ids = sorted(set(chosen["plan_id"]))
    if len(ids) > 1:
        raise ConfigError(f"approve file {path} approves rows of {len(ids)} plans "
                          f"({', '.join(ids)}): approve rows of one plan")
    if not ids:
        return current, current.rows.iloc[0:0]
    plan = plans.read(lake, ids[0])
    known = set(plan.rows["row_id"])
    unknown = [(n + 2, r) for n, r in zip(chosen.index, chosen["row_id"]) if r not in known]
    if unknown:
        raise ConfigError(f"approve file {path}: line(s) {', '.join(str(n) for n, _ in unknown)} "
                          f"name row(s) {', '.join(r for _, r in unknown)} that plan {ids[0]} "
                          f"does not have: approve a copy of the plan, without editing its ids")
    rows = plan.rows[plan.rows["row_id"].isin(set(chosen["row_id"]))]
    return plan, rows.reset_index(drop=True)


def _from_ids(ids: list[int], plan: plans.Plan) -> pd.DataFrame:
    served = {r: set(plans._ids(c)) for r, c in zip(plan.rows["row_id"], plan.rows["clients"])}
    named = set(ids)
    full = [r for r, cs in served.items() if cs and cs <= named]
    half = [(r, cs - named) for r, cs in served.items() if cs & named and not cs <= named]
    if half:
        text = "; ".join(f"row {r} also serves {', '.join(map(str, sorted(rest)))}"
                         for r, rest in half)
        raise ConfigError(f"approve: {text}: deactivating its user touches every client it "
                          f"serves; name them all, or approve rows with --approve-file")
    covered = {c for r in full for c in served[r]}
    for cid in ids:
        if cid not in covered:
            raise ConfigError(f"approve: client {cid} is in no row of plan {plan.plan_id} "
                              f"(gold day {plan.gold_day}): {_why_not(plan, cid)}")
    return plan.rows[plan.rows["row_id"].isin(full)].reset_index(drop=True)


def _why_not(plan: plans.Plan, cid: int) -> str:
    why = [w for c, w in zip(plan.exempt["clients"], plan.exempt["why"]) if cid in plans._ids(c)]
    if why:
        return "; ".join(sorted(set(why)))
    return ("no seat of it can be freed (it holds none, or its user also serves a paying "
            "client: see gold/seat_ledger)")


# -- still true? -------------------------------------------------------------------------------------

@dataclass
class Recheck:
    """What checking the approved rows against Zoho and the company now found."""

    calls: int  # API calls it took (GET /users, /workspaces, every /admins, /resources)
    admins_fresh: bool  # True: the admins came from today's full extract, not asked now
    refused: list[str] = field(default_factory=list)  # one line per row that changed
    to_call: set[str] = field(default_factory=set)  # still as approved and still to change
    already: set[str] = field(default_factory=set)  # already as the action leaves them: no call

    @property
    def ok(self) -> set[str]:
        """The addresses the calls may take: still as approved, or already done."""
        return self.to_call | self.already


def check_age(plan: plans.Plan, today: date, now: datetime, settings: cfg.ReclaimSettings
              ) -> list[str]:
    """Why the plan is too old to act on, or nothing: made more than ``max_plan_age_days``
    ago, or from a gold day that much older than ``today`` (the clock's, never a --date)."""
    out = []
    limit = settings.max_plan_age_days
    age = (now - plan.created_at).total_seconds() / 86400
    if age > limit:
        made = plan.created_at.strftime("%Y-%m-%d %H:%M")
        out.append(f"plan {plan.plan_id} was made {age:.1f} days ago ({made} UTC), more than "
                   f"[reclaim] max_plan_age_days = {limit}")
    stale = (today - plan.gold_day).days
    if stale > limit:
        out.append(f"plan {plan.plan_id} is made from gold of {plan.gold_day}, {stale} days "
                   f"before {today} (limit [reclaim] max_plan_age_days = {limit}): run the daily "
                   f"pipeline, then make a new plan")
    return out


def recheck(systems, rows: pd.DataFrame, plan: plans.Plan, today: date) -> Recheck:
    """Derive each approved row again from Zoho and the company database now."""
    from . import fresh

    facts = fresh.facts(systems, today)
    again = plans.build(facts.ledger, facts.gold, facts.admins, plan.gold_day,
                        systems.settings.reclaim, now=plan.created_at)
    now = {r["email"]: r for r in again.rows.to_dict("records")}
    exempt = dict(zip(again.exempt["email"], again.exempt["why"]))
    seat = facts.ledger.set_index("email")
    live = facts.users.set_index("email")
    out = Recheck(facts.calls, facts.admins_fresh)
    for r in rows.to_dict("records"):
        email = r["email"]
        if email not in seat.index:
            if email in live.index and bool(live.at[email, "active"]):  # a viewer now, say
                out.refused.append(f"row {r['row_id']} ({mask_email(email)}): no longer holds "
                                   f"one of the plan's seats (role {live.at[email, 'role']})")
            else:
                out.already.add(email)  # deactivated (or gone) since: nothing to call
            continue
        then = now.get(email)
        if then is None:
            why = exempt.get(email) or (f"it now serves paying client(s) "
                                        f"{seat.at[email, 'paying_clients']}"
                                        if seat.at[email, "category"] == "client"
                                        else f"its seat is now {seat.at[email, 'category']}")
            out.refused.append(f"row {r['row_id']} ({mask_email(email)}): {why}")
            continue
        changed = [f"{k} {r[k] or '-'} -> {then[k] or '-'}" for k in
                   ("reason", "modules", "clients", "workspaces", "domains")
                   if str(r[k] or "") != str(then[k] or "")]
        if changed:
            out.refused.append(f"row {r['row_id']} ({mask_email(email)}): {'; '.join(changed)}")
        else:
            out.to_call.add(email)
    return out


def recheck_users(systems, users: pd.DataFrame, today: date, action: str) -> Recheck:
    """Users chosen from the trail (undo, removal) against the facts of now: removal takes
    only a user still inactive whose every client still has the module off; reactivation
    only a user still inactive (a client paying again is the usual reason to undo)."""
    from . import fresh

    facts = fresh.facts(systems, today)
    live = facts.users.set_index("email")
    pays = facts.paying_by_user()
    out = Recheck(facts.calls, facts.admins_fresh)
    for email in users["email"]:
        state = "absent" if email not in live.index else (
            "active" if bool(live.at[email, "active"]) else "inactive")
        if state == "active":
            if action == "remove":
                out.refused.append(f"{mask_email(email)}: active again since its deactivation")
            else:
                out.already.add(email)  # already active: nothing to call
        elif action == "remove" and pays.get(email):
            out.refused.append(f"{mask_email(email)}: serves paying client(s) "
                               f"{', '.join(map(str, pays[email]))} again")
        elif state == "absent":
            out.already.add(email)
        else:
            out.to_call.add(email)
    return out


# -- too much? -----------------------------------------------------------------------------------

def limit(users: int, seats_used: int | None, plan: plans.Plan | None,
          settings: cfg.ReclaimSettings, *, override: bool) -> str:
    """Why this execution waits for ``--override-limit``, or "" when it may go (``plan``: the
    plan acted on, None for undo and removal)."""
    why = []
    if users > settings.max_users:
        why.append(f"{users} users is more than [reclaim] max_users = {settings.max_users}")
    if seats_used and users > settings.max_share * seats_used:
        why.append(f"{users} users is more than [reclaim] max_share = {settings.max_share:.0%} "
                   f"of the {seats_used} seats used")
    if plan is not None and plan.overrides:
        why.append(f"the gold day {plan.gold_day} was let through by --allow-drop "
                   f"({plan.overrides[:200]})")
    if why and override:
        log.warning("reclaim: over the limit, allowed by --override-limit: %s", "; ".join(why))
        return ""
    return "; ".join(why)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
