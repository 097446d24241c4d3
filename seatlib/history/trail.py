"""The reclaim's audit trail: one lake object per action, written before the call it records.

Layout: ``reclaim/trail/<run date>/<UTC time>-<run id>-<seq>.json``, one JSON object each.
An S3 object cannot be appended to, and a read-modify-write of one ``trail.jsonl`` would lose
entries when two writers meet and rewrite history on every action; so each action is its own
object, created with :meth:`seatlib.systems.lake.Lake.create_bytes` (whole or not at all, and
refused if the name exists: the trail is never rewritten). Names sort in time order, so reading the
trail is listing the prefix.

Every entry carries who ran it (the approver and the reason given on the command line, the OS
user and the host), when, the run date and id, the plan id, whether it was a dry run, and its
kind:

``start``
    the run's approved rows, written before anything else: a trail that cannot be written
    stops the run here, before any call;
``intent`` / ``answer``
    one HTTP call: the call, its CONFIG and the users, written *before* the call; Zoho's answer
    after it (``unknown`` when the call got none: a timeout, a dropped connection);
``state``
    the state in ``GET /users``, read again, of each user of a call that got no answer or
    failed: a change it shows made counts as made (undo finds it), and the next call goes on
    only when every user of a lost answer shows it made;
``dry_run``
    the calls a dry run would make;
``refused``
    why a run changed nothing (the plan changed, the limit);
``counter_recheck``
    Zoho's seat counter read again in a later run, at least ``[reclaim]
    counter_recheck_minutes`` after a deactivation (what removal is offered on);
``summary``
    each user's state before and after, the counter before and after.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd

from ..core.errors import LakeError
from ..systems.lake import Lake

TRAIL_PREFIX = "reclaim/trail/"
#: What every entry has, whatever its kind (read back strictly).
REQUIRED = ("at", "kind", "run_id", "run_date", "user", "host", "dry_run")
KINDS = frozenset({"start", "intent", "answer", "state", "dry_run", "refused",
                   "counter_recheck", "summary"})


class TrailError(LakeError):
    """The trail cannot be written or read: nothing is changed in Zoho."""


@dataclass(frozen=True)
class Actor:
    """Who runs the reclaim: the person who approved it and why, the OS user and the host."""

    user: str
    host: str
    approver: str = ""
    reason: str = ""

    @classmethod
    def current(cls, approver: str = "", reason: str = "") -> "Actor":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            user = f"uid {os.getuid()}"
        return cls(user, socket.gethostname(), approver.strip(), reason.strip())


@dataclass
class TrailWriter:
    """Writes the entries of one reclaim run."""

    lake: Lake
    run_date: date
    actor: Actor
    dry_run: bool
    plan_id: str = ""
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _seq: int = 0

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Create one entry and return it.

        Raises:
            TrailError: the entry could not be created (the caller stops before its call).
        """
        now = datetime.now(timezone.utc)
        self._seq += 1
        entry = {"at": now.isoformat(timespec="milliseconds"), "kind": kind,
                 "run_id": self.run_id, "run_date": self.run_date.isoformat(),
                 "user": self.actor.user, "host": self.actor.host,
                 "approver": self.actor.approver, "reason": self.actor.reason,
                 "plan_id": self.plan_id, "dry_run": self.dry_run, **fields}
        key = (f"{TRAIL_PREFIX}{self.run_date.isoformat()}/{now:%Y%m%dT%H%M%S%f}-"
               f"{self.run_id}-{self._seq:04d}.json")
        try:
            self.lake.create_bytes(key, json.dumps(entry, sort_keys=True, default=str).encode())
        except LakeError as exc:
            raise TrailError(f"the reclaim trail could not be written ({exc}); nothing more is "
                             f"changed in Zoho: fix the lake's permissions and run again") from None
        return entry


def read_trail(lake: Lake, since: date | None = None) -> list[dict[str, Any]]:
    """Every entry of the runs dated ``since`` or later (all if None), oldest first.

    Raises:
        TrailError: an object is not a trail entry (not JSON, not an object, a field missing):
            named, so that it can be looked at; a reclaim stops before any call on it.
    """
    out = []
    for key in lake.list(TRAIL_PREFIX):
        folder = key[len(TRAIL_PREFIX):].split("/", 1)[0]
        if (since is not None and folder < since.isoformat()) or not key.endswith(".json"):
            continue
        out.append(_entry(lake, key))
    return sorted(out, key=lambda e: (e["at"], e["run_id"]))


def _entry(lake: Lake, key: str) -> dict[str, Any]:
    """One object read back as if anyone wrote it: JSON, an object, every field there and of
    its type (times ISO-8601, users a list of objects with an address)."""
    try:
        entry = json.loads(lake.read_bytes(key))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(lake, key, f"not JSON ({exc})") from None
    if not isinstance(entry, dict):
        raise _bad(lake, key, "not a JSON object")
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise _bad(lake, key, f"missing {missing}")
    if entry["kind"] not in KINDS:
        raise _bad(lake, key, f"an unknown kind {entry['kind']!r}")
    try:
        at = datetime.fromisoformat(entry["at"])
        date.fromisoformat(entry["run_date"])
        if at.tzinfo is None:
            raise ValueError("a time without its zone")
    except (TypeError, ValueError) as exc:
        raise _bad(lake, key, f"a bad time or date ({exc})") from None
    users = entry.get("users", [])
    if not isinstance(users, list) or not all(isinstance(u, dict) and isinstance(
            u.get("email"), str) for u in users) or not isinstance(entry["dry_run"], bool):
        raise _bad(lake, key, "users that are not a list of addresses, or dry_run not a flag")
    return entry


def _bad(lake: Lake, key: str, what: str) -> TrailError:
    return TrailError(f"the reclaim trail object {lake.uri(key)} is {what}; nothing is changed "
                      f"in Zoho until it is looked at")


def who(entry: dict[str, Any]) -> str:
    """"Ana Souza (root@host)", or the OS user alone for an entry without an approver."""
    os_user = f"{entry['user']}@{entry['host']}"
    return f"{entry['approver']} ({os_user})" if entry.get("approver") else os_user


def trail_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per entry, for people: when, who, why, kind, dry run, action, call, users,
    answer, seats used before and after."""
    rows = []
    for e in entries:
        answer = e.get("answer") or {}
        rows.append({
            "at": e["at"], "who": who(e), "why": e.get("reason", ""), "kind": e["kind"],
            "dry_run": e["dry_run"], "action": e.get("action", ""), "call": e.get("call", ""),
            "clients": ", ".join(sorted({str(c) for u in e.get("users", [])
                                         for c in _clients(u)})),
            "email": "; ".join(u["email"] for u in e.get("users", [])),
            "answer": _answer_text(answer),
            "seats_used_before": (e.get("seats_before") or {}).get("used"),
            "seats_used_after": (e.get("seats_after") or {}).get("used"),
        })
    return pd.DataFrame(rows, columns=["at", "who", "why", "kind", "dry_run", "action", "call",
                                       "clients", "email", "answer", "seats_used_before",
                                       "seats_used_after"])


def _answer_text(answer: dict) -> str:
    if not answer:
        return ""
    if answer.get("unknown"):
        return f"unknown: {answer.get('message', '')}"
    return "204" if answer.get("ok") else f"{answer.get('code')}: {answer.get('message', '')}"


def _clients(user: dict) -> list:
    clients = user.get("clients")
    if clients is None:
        return [user["client_id"]] if user.get("client_id") is not None else []
    return list(clients)


def trail_summary(lake: Lake, since: date | None = None) -> pd.DataFrame:
    """What executed reclaims did since ``since``, one row per run: for the report.

    Columns: run_date, at (end of the run), who, action, deactivated, reactivated, removed,
    not_done (users the run meant to change and did not), seats_used_before,
    seats_used_after, seats_freed (the drop of Zoho's counter over the run; 0 when it did not
    move).
    """
    rows = []
    for e in read_trail(lake, since):
        if e["kind"] != "summary" or e["dry_run"]:
            continue
        users = e.get("users", [])
        before = (e.get("seats_before") or {}).get("used")
        after = (e.get("seats_after") or {}).get("used")
        rows.append({
            "run_date": e["run_date"], "at": e["at"], "who": who(e),
            "action": e.get("action", "deactivate"),
            "deactivated": sum(1 for u in users if u.get("outcome") == "deactivated"),
            "reactivated": sum(1 for u in users if u.get("outcome") == "activated"),
            "removed": sum(1 for u in users if u.get("outcome") == "removed"),
            "not_done": sum(1 for u in users if u.get("outcome", "").startswith("not ")),
            "seats_used_before": before, "seats_used_after": after,
            "seats_freed": (before - after) if before is not None and after is not None else None,
        })
    return pd.DataFrame(rows, columns=["run_date", "at", "who", "action", "deactivated",
                                       "reactivated", "removed", "not_done",
                                       "seats_used_before", "seats_used_after", "seats_freed"])


#: The state a user is left in by each action, as ``state`` entries record it.
LEFT = {"deactivate": "inactive", "activate": "active", "remove": "absent"}


def accepted(entries: list[dict[str, Any]], action: str | None = None) -> list[dict[str, Any]]:
    """Every executed change that took (of ``action``, or any), oldest first: an ``answer``
    Zoho accepted, or a ``state`` entry showing the change made after a call whose answer was
    lost (its users narrowed to those left as the action leaves them)."""
    out = []
    for e in entries:
        if e["dry_run"] or (action and e.get("action") != action):
            continue
        if e["kind"] == "answer" and (e.get("answer") or {}).get("ok"):
            out.append(e)
        elif e["kind"] == "state":
            done = [u for u in e.get("users", []) if u.get("state") == LEFT.get(e.get("action"))]
            if done:
                out.append({**e, "users": done})
    return out


def deactivations(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every executed deactivation that took (:func:`accepted`): its users, CONFIG, and the
    counter before the call (none after a lost answer), oldest first."""
    return accepted(entries, "deactivate")


def carried_out(entries: list[dict[str, Any]], plan_id: str) -> dict[str, str]:
    """The addresses a deactivation under plan ``plan_id`` already took (:func:`accepted`),
    with when: an approval is carried out once, so a user made active again since (an undo,
    or by hand in Zoho) needs a new plan and approval, never the old one again."""
    out: dict[str, str] = {}
    for e in deactivations(entries):
        if e.get("plan_id") == plan_id:
            for u in e.get("users", []):
                out.setdefault(u["email"].lower(), e["at"])
    return out


def last_actions(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Each address's latest change this tool made and that took (``deactivate``,
    ``activate`` or ``remove``): a deactivation undone since no longer stands."""
    last: dict[str, str] = {}
    for e in accepted(entries):
        for u in e.get("users", []):
            last[u["email"].lower()] = e.get("action", "")
    return last


def seat_kept(entries: list[dict[str, Any]]) -> dict[str, tuple[list[int], str | None]]:
    """Addresses whose deactivation left Zoho's seat counter unmoved on a second look, taken
    in a later run at least ``[reclaim] counter_recheck_minutes`` after the call (a
    ``counter_recheck`` entry saying so), with their clients and the domain they were sent
    with: the only users removal may be offered for. The read right after the call never
    counts (Zoho may update its counter late)."""
    calls: dict[str, dict] = {}
    for e in entries:  # the latest second look of each call
        if e["kind"] == "counter_recheck":
            calls[e["call_key"]] = e
    last = last_actions(entries)
    kept: dict[str, tuple[list[int], str | None]] = {}
    for e in deactivations(entries):
        recheck = calls.get(call_key(e))
        if recheck is None or recheck.get("moved") is not False:
            continue
        domain = (e.get("config") or {}).get("domainName")
        for u in e.get("users", []):
            if last.get(u["email"].lower()) == "deactivate":  # not undone since
                kept[u["email"].lower()] = (_clients(u), domain)
    return kept


def call_key(entry: dict[str, Any]) -> str:
    """What identifies one executed call across runs: its run and the moment of its answer."""
    return f"{entry['run_id']}@{entry['at']}"


def month_figures(entries: list[dict[str, Any]], day: date, active_now: set[str]) -> dict:
    """The report's reclaim figures for ``day``: users this tool deactivated in ``day``'s
    month (and the seats Zoho's counter shows freed by those runs), and the users it
    deactivated in the 30 days up to ``day`` that are active again: seen active in ``GET
    /users`` (``active_now``), or activated with ``--reactivate``."""
    first = day.replace(day=1).isoformat()
    end = day.isoformat()
    done = [e for e in entries if not e["dry_run"] and e["kind"] == "summary"
            and e.get("action", "deactivate") == "deactivate" and first <= e["run_date"] <= end]
    deactivated = {u["email"] for e in done for u in e.get("users", [])
                   if u.get("outcome", "").startswith("deactivated")}
    freed = sum(max(0, (e.get("seats_before") or {}).get("used", 0)
                    - (e.get("seats_after") or {}).get("used", 0))
                for e in done if (e.get("seats_after") or {}).get("used") is not None)
    since = (day - timedelta(days=30)).isoformat()
    recent = {u["email"]: e["run_date"] for e in deactivations(entries)
              if since <= e["run_date"] <= end for u in e.get("users", [])}
    undone = {u["email"] for e in accepted(entries, "activate") if since <= e["run_date"] <= end
              for u in e.get("users", [])}
    again = sorted(e for e in recent if e in active_now or e in undone)
    return {"month": day.strftime("%Y-%m"), "users_deactivated": len(deactivated),
            "seats_freed": freed, "reactivated_within_30_days": again}
