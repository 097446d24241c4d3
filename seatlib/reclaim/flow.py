"""One reclaim run, step by step, as ``notebooks/reclaim_seats.ipynb`` runs it (docs/reclaim.md).

:class:`Request` is the notebook's parameters; each step is one call of the notebook:
:func:`make_plan`, :func:`approve`, :func:`check` (age, the rows derived again, the limit),
:func:`act` (the calls), and :func:`undo` / :func:`remove`. A refusal raises
:class:`~seatlib.reclaim.check.Refused` (the run exits 2) after recording it in the trail.

What the person at the terminal should read is kept in a :class:`Journal` and written to
``<attempt folder>/reclaim.json`` (``{"lines": [...]}``, addresses masked unless shown) after
every step, so that the runner prints it whatever step the run ended at.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import pandas as pd

from ..core.config import shown_path
from ..core.errors import ConfigError, SeatlibError
from ..systems.lake import Lake
from ..core.privacy import mask_email, mask_text
from . import actions, check, plan as plans
from ..history.trail import Actor, TrailWriter, carried_out, read_trail

log = logging.getLogger(__name__)

#: How many rows of the plan the terminal shows.
FIRST_ROWS = 5
#: In the attempt folder: what the terminal shows (``{"lines": [text, ...]}``).
SUMMARY_FILE = "reclaim.json"
#: Control characters a line read back may not carry to a terminal (ESC included).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Stopped(SeatlibError):
    """The calls ended early (Zoho failed, a scope was missing): the run exits 1; the trail and
    the lines say which users were changed and which were not."""


@dataclass
class Request:
    """What the person asked for (the notebook's parameters; no secret among them)."""

    run_date: date
    attempt_dir: Path | None = None
    approve: str = ""
    remove: str = ""
    reactivate: str = ""
    execute: bool = False
    approver: str = ""
    reason: str = ""
    override_limit: bool = False
    show_emails: bool = False

    @property
    def actor(self) -> Actor:
        return Actor.current(self.approver, self.reason)


@dataclass
class Journal:
    """The lines the terminal shows, saved to ``reclaim.json`` after every step."""

    folder: Path | None
    show: bool = False
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        text = text if self.show else mask_text(text)
        self.lines.append(text)
        log.info("reclaim: %s", text)
        if self.folder is not None:
            Lake(str(self.folder)).write_bytes(
                SUMMARY_FILE, json.dumps({"lines": self.lines}, indent=1).encode("utf-8"))


def _addr(email: str, show: bool) -> str:
    return email if show else mask_email(email)


def make_plan(systems, req: Request, journal: Journal) -> plans.Plan:
    """Make the plan of the latest gold day and save it (lake and attempt folder)."""
    made = plans.make(systems.lake, req.run_date, systems.settings)
    plan = plans.save(systems.lake, made, req.attempt_dir, show=req.show_emails)
    counts = plan.by_reason()
    journal.say(f"plan {plan.plan_id} from gold of {plan.gold_day}: {len(plan.rows)} user(s): "
                f"{counts['ex_client']} serving only ex-clients, {counts['inactive']} of idle "
                f"paying clients; {len(plan.exempt)} left out (see the notebook)")
    for r in plan.rows.head(FIRST_ROWS).to_dict("records"):
        journal.say(f"  {r['row_id']}  {_addr(r['email'], req.show_emails)}  clients "
                    f"{r['modules']}  {r['reason']}, idle {r['days_idle']} days")
    if len(plan.rows) > FIRST_ROWS:
        where = (shown_path(req.attempt_dir / plans.PLAN_FILE) if req.attempt_dir
                 else "the plan")
        journal.say(f"  ... {len(plan.rows) - FIRST_ROWS} more in {where}")
    return plan


def approve(systems, req: Request, current: plans.Plan, journal: Journal
            ) -> tuple[plans.Plan, pd.DataFrame]:
    """The approved plan and rows; ``--execute`` with nothing approved is refused. A bad
    approval (a file that is no plan copy, an id no row names) is said and raised."""
    if req.remove or req.reactivate:
        return current, current.rows.iloc[0:0]
    try:
        plan, rows = check.approved(req.approve or None, current, systems.lake)
        if rows.empty and req.execute:
            raise check.Refused("--execute with nothing approved: approve rows of a plan "
                                "(--approve-file FILE with yes on them, or --approve IDS)")
    except ConfigError as exc:
        journal.say(f"REFUSED: {exc}")
        raise
    if rows.empty:
        journal.say("nothing approved: copy reclaim_plan.csv, write yes in approve on the rows "
                    "to act on, and pass it with --approve-file (or --approve IDS)")
        return plan, rows
    journal.say(f"approved: {len(rows)} row(s) of plan {plan.plan_id} (gold of "
                f"{plan.gold_day})")
    return plan, rows


def second_look(systems, req: Request, journal: Journal) -> int:
    """Zoho's seat counter read again for every past deactivation old enough
    (:func:`seatlib.reclaim.actions.due_for_second_look`), recorded in the trail: what removal
    is offered on. Every reclaim run takes it; returns how many were recorded."""
    entries = read_trail(systems.lake)  # a bad object stops the run here, named
    now = check.utc_now()
    due = actions.due_for_second_look(entries, systems.settings.reclaim, now)
    if not due:
        return 0
    with systems.zoho() as zoho:
        seats_now = actions.seats(zoho, systems.settings)
    writer = TrailWriter(systems.lake, req.run_date, req.actor, not req.execute, "")
    kept = actions.recheck_counter(writer, due, seats_now, now)
    journal.say(f"second look at Zoho's seat counter ({seats_now.get('used')} used now) for "
                f"{len(due)} past deactivation call(s): {kept} still had not moved it")
    return len(due)


def check_rows(systems, req: Request, plan: plans.Plan, rows: pd.DataFrame,
               journal: Journal) -> pd.DataFrame:
    """The approved rows against the facts of now, the plan's age (by the clock) and the
    limit: the rows the calls may take (still as approved, or already done). A refusal is
    recorded in the trail and raised."""
    if rows.empty:
        return rows
    settings = systems.settings.reclaim
    now = check.utc_now()
    why = check.check_age(plan, now.date(), now, settings)
    found = check.recheck(systems, rows, plan, req.run_date)
    _said_checked(systems, found, journal)
    if check.is_file(req.approve):
        found.refused += _used_once(systems, plan, rows, found)
    if found.refused:
        why.append("the plan changed: make a new one (" + " | ".join(found.refused) + ")")
    if found.already:
        journal.say(f"{len(found.already)} approved user(s) already inactive or gone in Zoho: "
                    f"no call for them")
    if not why:  # the gold day's overrides read now: --allow-drop may have come after the plan
        current = replace(plan, overrides=plans.day_overrides(systems.lake, plan.gold_day)
                          or plan.overrides)
        why += _over_limit(systems, req, len(found.to_call), current, journal)
    _refuse_if(systems, req, plan.plan_id, why, list(rows["row_id"]), journal)
    return rows[rows["email"].isin(found.ok)].reset_index(drop=True)


def _used_once(systems, plan: plans.Plan, rows: pd.DataFrame, found: check.Recheck
               ) -> list[str]:
    """The rows of an approval file that a deactivation under its plan already took and that
    are active again (an undo, or by hand in Zoho): refused, one line each, and taken out of
    ``found.to_call``. A kept file must not undo an undo; ``--approve IDS`` (a decision of
    now, by a named person) may deactivate the user again."""
    done = carried_out(read_trail(systems.lake), plan.plan_id)
    out = []
    for r in rows.to_dict("records"):
        email, at = r["email"], done.get(str(r["email"]).lower())
        if email in found.to_call and at:
            found.to_call.discard(email)
            out.append(f"row {r['row_id']} ({mask_email(email)}): deactivated under this plan "
                       f"at {at[:16].replace('T', ' ')} UTC and active again since; an approval "
                       f"file is carried out once (approve again with --approve IDS)")
    return out


def _said_checked(systems, found: check.Recheck, journal: Journal) -> None:
    per_minute = systems.settings.zoho.calls_per_minute
    took = (f", about {found.calls / per_minute:.0f} minute(s) at [zoho] calls_per_minute = "
            f"{per_minute}" if per_minute and found.calls >= per_minute else "")
    fresh = " (the admins from today's full extract)" if found.admins_fresh else ""
    journal.say(f"checked against Zoho and the company database now: {found.calls} API "
                f"call(s){took}{fresh}")


def _over_limit(systems, req: Request, users: int, plan: plans.Plan | None,
                journal: Journal) -> list[str]:
    """The limit's refusal for an execution (a dry run only says it would be refused)."""
    if not users:
        return []
    with systems.zoho() as zoho:
        used = actions.seats(zoho, systems.settings).get("used")
    over = check.limit(users, used, plan, systems.settings.reclaim,
                       override=req.override_limit)
    if not over:
        return []
    if not req.execute:
        journal.say(f"note: executing this would be refused, over the limit: {over} (unless "
                    f"run with --override-limit)")
        return []
    return [f"over the limit: {over}; nothing was changed. If it is meant, run again with "
            f"--override-limit"]


def _refuse_if(systems, req: Request, plan_id: str, why: list[str], what: list[str],
               journal: Journal) -> None:
    """Record ``why`` in the trail and the journal and raise :class:`check.Refused` (if any)."""
    if not why:
        return
    TrailWriter(systems.lake, req.run_date, req.actor, not req.execute, plan_id).write(
        "refused", why=why, rows=what)
    for line in why:
        journal.say(f"REFUSED: {line}")
    raise check.Refused("; ".join(why))


def act(systems, req: Request, plan: plans.Plan | None, rows: pd.DataFrame, journal: Journal,
        action: str = "deactivate") -> actions.Outcome | None:
    """Make (or, as a dry run, show) the calls for ``rows`` and say what happened; None when
    there is nothing to act on."""
    if rows.empty:
        return None
    out = actions.run(systems, rows, run_date=req.run_date, execute=req.execute, action=action,
                      actor=req.actor, plan_id=plan.plan_id if plan is not None else "")
    for c in out.calls:
        answer = c.get("answer")
        said = ("would be made" if answer is None else "no answer (unknown)"
                if answer.get("unknown") else "204" if answer["ok"] else
                f"failed ({answer.get('code') or 'no code'})" if c.get("failed") else
                f"refused {answer['code']}")
        domain = c.get("domain") or (c.get("config") or {}).get("domainName") or "standard"
        journal.say(f"  {c['call']} ({domain}): {len(c['emails'])} user(s): {said}")
    for r in out.users.to_dict("records"):
        journal.say(f"  {_addr(r['email'], req.show_emails)}: {r['outcome']}")
    journal.say(out.counter_note)
    actions.notify_done(out, systems.settings, req.run_date, req.attempt_dir)
    if out.stopped:
        journal.say(f"STOPPED: {out.stopped}")
        raise Stopped(f"the reclaim stopped: {out.stopped}")
    return out


def undo(systems, req: Request, journal: Journal) -> actions.Outcome | None:
    """Reactivate the users this tool deactivated for ``req.reactivate``'s clients, still
    inactive now (None when not asked)."""
    if not req.reactivate:
        return None
    users = _chosen(journal, "reactivate",
                    lambda: actions.undo_users(systems.lake,
                                               check.parse_ids(req.reactivate, "reactivate")))
    journal.say(f"reactivate: {len(users)} user(s) this tool deactivated")
    users = _users_now(systems, req, users, "activate", journal)
    return act(systems, req, None, users, journal, action="activate")


def remove(systems, req: Request, journal: Journal) -> actions.Outcome | None:
    """Remove (permanent, no undo) the users of ``req.remove``'s clients removal may take,
    still inactive and serving no paying client now (None when not asked)."""
    if not req.remove:
        return None
    users = _chosen(journal, "remove",
                    lambda: actions.removal_users(systems.lake,
                                                  check.parse_ids(req.remove, "remove")))
    journal.say(f"REMOVE (permanent: shares revoked, no undo): {len(users)} user(s)")
    users = _users_now(systems, req, users, "remove", journal)
    return act(systems, req, None, users, journal, action="remove")


def _chosen(journal: Journal, what: str, choose) -> pd.DataFrame:
    try:
        return choose()
    except ConfigError as exc:
        journal.say(f"REFUSED: {exc}")
        raise


def _users_now(systems, req: Request, users: pd.DataFrame, action: str,
               journal: Journal) -> pd.DataFrame:
    """``users`` (from the trail) checked against Zoho and the company now, and the limit:
    the users the calls may take; a refusal is recorded and raised."""
    found = check.recheck_users(systems, users, req.run_date, action)
    _said_checked(systems, found, journal)
    why = [f"changed since: {' | '.join(found.refused)}"] if found.refused else []
    if found.already:
        journal.say(f"{len(found.already)} user(s) already {DONE_WORDS[action]} in Zoho: no "
                    f"call for them")
    if not why:
        why = _over_limit(systems, req, len(found.to_call), None, journal)
    _refuse_if(systems, req, "", why, [mask_email(e) for e in users["email"]], journal)
    return users[users["email"].isin(found.ok)].reset_index(drop=True)


DONE_WORDS = {"activate": "active", "remove": "gone"}


def request(run_date: date, attempt_dir: str = "", **params) -> Request:
    """A :class:`Request` from the notebook's parameters (text as papermill gives them)."""
    for name in ("approve", "remove", "reactivate", "approver", "reason"):
        params[name] = str(params.get(name) or "").strip()
    for name in ("execute", "override_limit", "show_emails"):
        params[name] = bool(params.get(name))
    if sum(bool(params[n]) for n in ("approve", "remove", "reactivate")) > 1:
        raise ConfigError("give one of --approve/--approve-file, --remove, --reactivate")
    return Request(run_date, Path(attempt_dir) if attempt_dir else None, **params)


def read_lines(folder: Path, *, show_emails: bool = False) -> list[str]:
    """What the reclaim's notebook left for the person at the terminal: the ``"lines"`` (a list
    of text) of ``<attempt>/reclaim.json``, then an empty line.

    The notebook masks them already; they are masked again unless ``show_emails`` (a line that
    slipped through would otherwise reach a shared terminal log), and control characters are
    replaced, as a notebook's file is read as if anyone wrote it. A missing or malformed file is
    one line saying so, never a traceback: the run's outcome stands.
    """
    path = Path(folder) / SUMMARY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"reclaim: no summary ({shown_path(path)} was not written; see the notebook)", ""]
    except (OSError, ValueError) as exc:
        return [f"reclaim: the summary {shown_path(path)} could not be read ({type(exc).__name__}); "
                f"see the notebook", ""]
    lines = data.get("lines") if isinstance(data, dict) else None
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        return [f"reclaim: the summary {shown_path(path)} has no \"lines\" list of text; see the "
                f"notebook", ""]
    out = [_CONTROL.sub("?", part) for line in lines for part in (line.splitlines() or [""])]
    return [line if show_emails else mask_text(line) for line in out] + [""]
