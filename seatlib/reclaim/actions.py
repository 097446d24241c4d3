"""The reclaim's calls: deactivate, reactivate (undo) or remove users, trailed before and after.

:func:`run` takes the users to act on (approved plan rows, checked by :mod:`.check`; or, for
undo and removal, users this tool deactivated, found in the trail) and:

1. reads the whole trail strictly (a bad object stops the run here, named), ``GET /users``
   (every listing: a user in two portals is acted on in each) and Zoho's seat counter;
2. groups the users to change by portal domain (one call per domain, at most
   ``[reclaim] batch_size`` addresses);
3. as a dry run, records the calls it would make and stops; executing, writes ``start`` (a
   trail that cannot be written stops the run before any call), then for each call its
   ``intent`` before it and Zoho's ``answer`` after it; a call that got no answer is recorded
   ``unknown``, and ``GET /users`` is read again and each user's real state recorded;
4. reads ``GET /users`` and the counter again and says, per user, what happened.

Removal's second look at the counter (:func:`due_for_second_look`, :func:`recheck_counter`)
is taken by every reclaim run, whether or not it acts (:func:`seatlib.reclaim.flow.second_look`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import config as cfg
from ..core.errors import ConfigError, ZohoError
from ..core.privacy import mask_frame
from ..systems.zoho.users import ACTIONS, REFUSALS, CallResult, batches, portal_domain
from ..history.trail import (
    LEFT, Actor, TrailWriter, call_key, deactivations, last_actions, read_trail, seat_kept,
)

log = logging.getLogger(__name__)

USER_COLUMNS = ["email", "clients", "domains", "before", "after", "outcome"]
DONE = LEFT  # the state each action leaves a user in


@dataclass
class Outcome:
    """What a reclaim run did (or, as a dry run, would do)."""

    action: str
    dry_run: bool
    seats_before: dict[str, Any]
    seats_after: dict[str, Any] | None
    users: pd.DataFrame  # USER_COLUMNS
    calls: list[dict[str, Any]] = field(default_factory=list)
    stopped: str = ""  # why the calls ended early, if they did

    @property
    def changed(self) -> pd.DataFrame:
        return self.users[self.users["outcome"].str.startswith(f"{self.action}d")]

    @property
    def counter_note(self) -> str:
        """What Zoho's seat counter did, in plain words."""
        if self.dry_run or self.seats_after is None:
            return "dry run: nothing was changed in Zoho"
        before, after = self.seats_before.get("used"), self.seats_after.get("used")
        n = len(self.changed)
        if not n:
            return f"no user was changed; seats used {before}"
        if self.action != "deactivate":
            return f"seats used went from {before} to {after}"
        if before is not None and after is not None and after < before:
            return f"seats used went from {before} to {after}: {before - after} seat(s) freed"
        return (f"seats used stayed at {before} although {n} user(s) were deactivated. Zoho "
                f"may update its counter late: the next reclaim run, {_recheck_words()}, "
                f"reads it again, and removal (permanent) is offered only if it still has "
                f"not moved")


def _recheck_words() -> str:
    return "at least [reclaim] counter_recheck_minutes later"


# -- Zoho's users and counter ----------------------------------------------------------------------

def listings(users) -> dict[str, list]:
    """Every listing of ``GET /users`` by address (lower case): a user in two portals has two."""
    out: dict[str, list] = {}
    for u in users:
        out.setdefault(u.email.lower(), []).append(u)
    return out


def state(found: list | None) -> str:
    """active (any listing active), inactive, or absent (not a member)."""
    if not found:
        return "absent"
    return "active" if any(u.active for u in found) else "inactive"


def seats(zoho, settings: cfg.Settings) -> dict[str, Any]:
    for r in zoho.resources():
        if r.name == settings.zoho.seat_resource:
            return {"allocated": r.allocated, "used": r.used, "remaining": r.remaining}
    raise ZohoError("GET /restapi/v2/resources", hint=f"no {settings.zoho.seat_resource!r} "
                    f"resource in the answer ([zoho] seat_resource)")


def todo(users: pd.DataFrame, live: dict[str, list], action: str
         ) -> dict[str | None, list[str]]:
    """Addresses to send, by the domain to send them with: each listing that still needs the
    action (a user in two portals is sent once per portal domain)."""
    groups: dict[str | None, list[str]] = {}
    for email in users["email"]:
        for listing in live.get(email, []):
            needs = {"deactivate": listing.active, "activate": not listing.active,
                     "remove": True}[action]
            if needs:
                domain = portal_domain(getattr(listing, "domain", None))
                groups.setdefault(domain, [])
                if email not in groups[domain]:
                    groups[domain].append(email)
    return groups


# -- the run ----------------------------------------------------------------------------------------

def run(systems, users: pd.DataFrame, *, run_date: date, execute: bool, action: str,
        actor: Actor, plan_id: str = "") -> Outcome:
    """Act on ``users`` (``email``, ``clients``, ``domains``), or only say how (a dry run).

    Raises:
        TrailError: the trail cannot be read or written: no call was made after it.
        ConfigError: executing without an approver and a reason.
    """
    if execute and not (actor.approver and actor.reason):
        raise ConfigError("--execute needs --approver NAME and --reason TEXT: they go into the "
                          "trail beside the OS user")
    settings = systems.settings
    trail = TrailWriter(systems.lake, run_date, actor, not execute, plan_id)
    read_trail(systems.lake)  # a bad object stops here, before any call
    with systems.zoho() as zoho:
        live = listings(zoho.list_users())
        before = seats(zoho, settings)
        users = users[["email", "clients", "domains"]].drop_duplicates("email").assign(
            before=[state(live.get(e)) for e in users.drop_duplicates("email")["email"]])
        plan_calls = [{"call": _call_name(action), "domain": d, "emails": list(e)}
                      for d, e in batches(todo(users, live, action),
                                          settings.reclaim.batch_size)]
        if not execute:
            trail.write("dry_run", action=action, users=_who(users), calls=plan_calls,
                        seats_before=before)
            return Outcome(action, True, before, None, users.assign(
                after=users["before"], outcome=[_would(action, b) for b in users["before"]]),
                plan_calls)
        trail.write("start", action=action, users=_who(users), calls=plan_calls,
                    seats_before=before)
        calls, stopped = _calls(zoho, settings, trail, action, users, plan_calls, before)
        try:  # what Zoho says now; a failure here must not lose the summary of the calls
            live_after = listings(zoho.list_users())
            after = seats(zoho, settings)
        except ZohoError as exc:
            stopped = stopped or f"Zoho could not be read after the calls: {exc}"
            live_after, after = None, {"used": None, "error": str(exc)}
    users = users.assign(after=[state(live_after.get(e)) if live_after is not None
                                else "unknown" for e in users["email"]])
    users["outcome"] = [_outcome(action, r, calls) for r in users.to_dict("records")]
    trail.write("summary", action=action, users=_who(users, with_outcome=True),
                seats_before=before, seats_after=after, stopped=stopped)
    return Outcome(action, False, before, after, users[USER_COLUMNS], calls, stopped)


def _calls(zoho, settings, trail: TrailWriter, action: str, users: pd.DataFrame,
           plan_calls: list[dict], seats_before: dict) -> tuple[list[dict], str]:
    """Make the calls: each one's intent trailed before it, its answer after it."""
    clients = dict(zip(users["email"], users["clients"]))
    made: list[dict] = []
    counter = {"now": seats_before}

    def who(emails) -> list[dict]:
        return [{"email": e, "clients": _ids(clients.get(e))} for e in emails]

    def intent(c: CallResult) -> None:
        trail.write("intent", action=action, call=c.call, config=c.config, users=who(c.emails))

    def answer(c: CallResult) -> None:
        # Zoho's answer is recorded first: the counter read after it may fail on its own
        try:
            after = seats(zoho, settings)
        except ZohoError as exc:
            log.warning("reclaim: the seat counter could not be read after %s: %s", c.call, exc)
            after = {"used": None, "error": str(exc)}
        entry = {"call": c.call, "config": c.config, "emails": list(c.emails),
                 "domain": c.domain,
                 "answer": {"ok": c.ok, "code": c.code, "message": c.message},
                 "seats_before": counter["now"], "seats_after": after}
        if after.get("used") is not None:
            counter["now"] = after
        made.append(entry)
        trail.write("answer", action=action, users=who(c.emails),
                    **{k: v for k, v in entry.items() if k not in ("emails", "domain")})

    for n, c in enumerate(plan_calls):
        try:
            zoho.users.apply(action, c["emails"], c["domain"], on_call=answer, before=intent)
        except ZohoError as exc:
            unanswered = exc.code is None and exc.http_status is None
            later = sum(len(c2["emails"]) for c2 in plan_calls[n + 1:])
            failed = {"ok": False, "unknown": unanswered, "code": exc.code, "message": str(exc)}
            config = {"emailIds": c["emails"], **({"domainName": c["domain"]}
                                                  if c["domain"] else {})}
            trail.write("answer", action=action, call=_call_name(action), config=config,
                        users=who(c["emails"]), answer=failed)
            now = listings(zoho.list_users())  # what Zoho really did, whatever it answered
            trail.write("state", action=action, config=config, users=[
                {"email": e, "clients": _ids(clients.get(e)), "state": state(now.get(e))}
                for e in c["emails"]])
            made.append({"call": _call_name(action), "emails": c["emails"], "domain": c["domain"],
                         "answer": failed, "failed": True})
            if unanswered and all(state(now.get(e)) == DONE[action] for e in c["emails"]):
                continue  # the answer was lost, the change was made: the next call may go
            return made, (f"call {n + 1} of {len(plan_calls)} failed: {exc}; {later} user(s) in "
                          f"the calls after it were not called")
    return made, ""


def _outcome(action: str, r: dict, calls: list[dict]) -> str:
    done = DONE[action]
    if r["before"] == "absent":
        return "no call: not a member of the organisation"
    if r["before"] == done:
        return f"no call: already {done}"
    mine = [c for c in calls if r["email"] in c["emails"]]
    lost = any((c["answer"] or {}).get("unknown") for c in mine)
    if r["after"] == done:
        return f"{action}d" + (" (Zoho's answer was lost; GET /users shows it done)"
                               if lost else "")
    if lost:
        return f"not {action}d: the call got no answer and GET /users shows it not done"
    failed = [c["answer"] for c in mine if c.get("failed")]
    if failed:
        return (f"not {action}d: the call failed ({failed[-1].get('code') or 'no code'}) and "
                f"GET /users shows it not done (run again to finish)")
    refused = [c["answer"] for c in mine if not c["answer"]["ok"] and c["answer"].get("code")]
    if refused:
        code = refused[-1]["code"]
        return f"not {action}d: Zoho refused with {code} ({REFUSALS.get(code, refused[-1]['message'])})"
    return f"not {action}d: the run stopped before its call (run again to finish)"


def _would(action: str, before: str) -> str:
    if before == "absent":
        return "no call: not a member of the organisation"
    if before == DONE[action]:
        return f"no call: already {DONE[action]}"
    return f"would be {action}d"


def _call_name(action: str) -> str:
    method, path, _ = ACTIONS[action]
    return f"{method} /restapi/v2{path}"


def _ids(value) -> list[int]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [int(v) for v in value]
    return sorted({int(v) for v in str(value).split(";") if v.strip()})


def _who(users: pd.DataFrame, with_outcome: bool = False) -> list[dict]:
    cols = ["email", "clients", "domains", "before"] + (["after", "outcome"] if with_outcome
                                                        else [])
    return [{k: (_ids(v) if k == "clients" else v) for k, v in r.items()}
            for r in users[cols].to_dict("records")]


# -- the counter's second look, undo and removal -----------------------------------------------------

def due_for_second_look(entries: list[dict], settings: cfg.ReclaimSettings,
                        now: datetime) -> list[dict]:
    """The executed deactivations of the last 30 days at least ``[reclaim]
    counter_recheck_minutes`` old (their ``answer`` entries): each gets a second look at Zoho's
    seat counter in every reclaim run (:func:`recheck_counter`)."""
    wait = timedelta(minutes=settings.counter_recheck_minutes)
    return [e for e in deactivations(entries)
            if now - timedelta(days=30) <= datetime.fromisoformat(e["at"]) <= now - wait]


def recheck_counter(trail: TrailWriter, due: list[dict], now_seats: dict,
                    now: datetime) -> int:
    """Record Zoho's seat counter now for each deactivation in ``due``: did it move below what
    it was before the call? Removal is offered on these records only
    (:func:`seatlib.history.trail.seat_kept`). Returns how many still had not moved."""
    kept = 0
    used = now_seats.get("used")
    for e in due:
        before = (e.get("seats_before") or {}).get("used")
        moved = None if before is None or used is None else used < before
        at = datetime.fromisoformat(e["at"])
        trail.write("counter_recheck", call_key=call_key(e), call_at=e["at"],
                    users=e.get("users", []), seats_before_call=before, seats_now=used,
                    moved=moved, minutes_after=int((now - at).total_seconds() // 60))
        kept += moved is False
    return kept


def undo_users(lake, ids: list[int]) -> pd.DataFrame:
    """The users this tool deactivated for the named clients (the trail), to reactivate.

    Raises:
        ConfigError: a named client has no user this tool deactivated.
    """
    entries = read_trail(lake)
    last = last_actions(entries)
    rows = {}
    for e in deactivations(entries):
        domain = (e.get("config") or {}).get("domainName")
        for u in e.get("users", []):
            served = u.get("clients") or ([u["client_id"]] if u.get("client_id") else [])
            if set(served) & set(ids) and last.get(u["email"].lower()) == "deactivate":
                old = rows.get(u["email"], {"domains": set(), "clients": set()})
                old["domains"].add(domain or "")
                old["clients"].update(served)
                rows[u["email"]] = old
    missing = sorted(set(ids) - {c for r in rows.values() for c in r["clients"]})
    if missing:
        raise ConfigError(f"reactivate: the trail shows no user of client(s) "
                          f"{', '.join(map(str, missing))} deactivated by this tool")
    return pd.DataFrame([{"email": e, "clients": "; ".join(map(str, sorted(r["clients"]))),
                          "domains": "; ".join(sorted(d for d in r["domains"] if d))}
                         for e, r in sorted(rows.items())],
                        columns=["email", "clients", "domains"])


def removal_users(lake, ids: list[int]) -> pd.DataFrame:
    """The users of the named clients removal may take: deactivated by this tool, and Zoho's
    counter had still not moved on a read at least ``counter_recheck_minutes`` after the call,
    in a later run (:func:`seatlib.history.trail.seat_kept`).

    Raises:
        ConfigError: a named client has no such user (saying what to do).
    """
    kept = seat_kept(read_trail(lake))
    rows = [{"email": e, "clients": "; ".join(map(str, served)), "domains": domain or ""}
            for e, (served, domain) in sorted(kept.items()) if set(served) & set(ids)]
    refused = sorted(set(ids) - {int(c) for r in rows for c in r["clients"].split("; ") if c})
    if refused:
        raise ConfigError(
            f"remove: refused for client(s) {', '.join(map(str, refused))}: the trail shows no "
            f"deactivation of their users after which Zoho's seat counter still had not moved on "
            f"a second look (a reclaim run at least [reclaim] counter_recheck_minutes after the "
            f"call). Removal is permanent (shares revoked, no undo): deactivate first, then run "
            f"`--reclaim` again later and look at the counter")
    return pd.DataFrame(rows, columns=["email", "clients", "domains"])


# -- for people ---------------------------------------------------------------------------------------

def calls_frame(out: Outcome) -> pd.DataFrame:
    """One row per call made (or, as a dry run, to be made)."""
    rows = []
    for c in out.calls:
        answer = c.get("answer")
        rows.append({
            "call": c["call"], "domain": c.get("domain", (c.get("config") or {}).get("domainName")),
            "email": "; ".join(c["emails"]),
            "answer": ("not made (dry run)" if answer is None else
                       "unknown: " + answer["message"] if answer.get("unknown") else
                       "204" if answer["ok"] else f"{answer['code']}: {answer['message']}"),
            "seats_used_before": (c.get("seats_before") or {}).get("used"),
            "seats_used_after": (c.get("seats_after") or {}).get("used")})
    return pd.DataFrame(rows, columns=["call", "domain", "email", "answer", "seats_used_before",
                                       "seats_used_after"])


def show(out: Outcome, *, show_emails: bool) -> pd.DataFrame:
    return mask_frame(out.users, show=show_emails)


def notify_done(out: Outcome, settings: cfg.Settings, day: date, folder: Path | None) -> bool:
    """Tell the operator's channels what an executed reclaim changed (recorded in the
    reclaim's own attempt folder); a failing channel never fails the reclaim."""
    if out.dry_run or out.changed.empty:
        return False
    from ..history import alerts as alert_record

    clients = ", ".join(sorted({c for cs in out.changed["clients"] for c in str(cs).split("; ")
                                if c}))
    title = f"seat-monitor: {len(out.changed)} user(s) {out.action}d in Zoho"
    body = f"Clients {clients}. {out.counter_note}."
    extra = {"folder": folder} if folder is not None else {}
    failed = alert_record.send(settings, title, body, level="info", day=day,
                               payload={"action": out.action, "clients": clients,
                                        "users": len(out.changed),
                                        "seats_before": out.seats_before,
                                        "seats_after": out.seats_after}, **extra)
    return not failed
