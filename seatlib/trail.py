"""The reclaim's audit trail: one lake object per action, never rewritten.

Layout: ``reclaim/trail/<run date>/<UTC time>-<run id>-<seq>.json``, one JSON object each.
An S3 object cannot be appended to, and a read-modify-write of one ``trail.jsonl`` would lose
entries when two writers meet and rewrite history on every action; so each action is its own
object, created with :meth:`seatlib.lake.Lake.create_bytes` (whole or not at all, and refused
if the name exists: the trail is never rewritten). Names sort in time order, so reading the
trail is listing the prefix.

Every entry carries who ran it (OS user and host), when, the run date and id, whether it was a
dry run, the action, the users (client id and address), and, for calls, the call, its CONFIG,
Zoho's answer and the seat counter before and after. Kinds: ``dry_run`` (what would be called),
``call`` (one HTTP call and its answer), ``stopped`` (a failure that ended the run early) and
``summary`` (each user's state before and after, the counter before and after).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pandas as pd

from .lake import Lake

TRAIL_PREFIX = "reclaim/trail/"


@dataclass(frozen=True)
class Actor:
    """Who runs the reclaim: the OS user and the host."""

    user: str
    host: str

    @classmethod
    def current(cls) -> "Actor":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            user = f"uid {os.getuid()}"
        return cls(user, socket.gethostname())


@dataclass
class TrailWriter:
    """Writes the entries of one reclaim run."""

    lake: Lake
    run_date: date
    actor: Actor
    dry_run: bool
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _seq: int = 0

    def write(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Create one entry; returns it."""
        now = datetime.now(timezone.utc)
        self._seq += 1
        entry = {"at": now.isoformat(timespec="milliseconds"), "kind": kind,
                 "run_id": self.run_id, "run_date": self.run_date.isoformat(),
                 "user": self.actor.user, "host": self.actor.host, "dry_run": self.dry_run,
                 **fields}
        key = (f"{TRAIL_PREFIX}{self.run_date.isoformat()}/{now:%Y%m%dT%H%M%S%f}-"
               f"{self.run_id}-{self._seq:04d}.json")
        self.lake.create_bytes(key, json.dumps(entry, sort_keys=True, default=str).encode())
        return entry


def read_trail(lake: Lake, since: date | None = None) -> list[dict[str, Any]]:
    """Every entry of the runs dated ``since`` or later (all if None), oldest first."""
    out = []
    for key in lake.list(TRAIL_PREFIX):
        folder = key[len(TRAIL_PREFIX):].split("/", 1)[0]
        if since is not None and folder < since.isoformat():
            continue
        if key.endswith(".json"):
            out.append(json.loads(lake.read_bytes(key)))
    return sorted(out, key=lambda e: (e["at"], e["run_id"]))


def trail_frame(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per entry, for people: when, who, kind, dry run, action, call, users, answer,
    seats used before and after."""
    rows = []
    for e in entries:
        answer = e.get("answer") or {}
        rows.append({
            "at": e["at"], "who": f"{e['user']}@{e['host']}", "kind": e["kind"],
            "dry_run": e["dry_run"], "action": e.get("action", ""), "call": e.get("call", ""),
            "clients": ", ".join(sorted({str(u["client_id"]) for u in e.get("users", [])})),
            "email": "; ".join(u["email"] for u in e.get("users", [])),
            "answer": ("204" if answer.get("ok") else
                       f"{answer.get('code')}: {answer.get('message', '')}") if answer else "",
            "seats_used_before": (e.get("seats_before") or {}).get("used"),
            "seats_used_after": (e.get("seats_after") or {}).get("used"),
        })
    return pd.DataFrame(rows, columns=["at", "who", "kind", "dry_run", "action", "call",
                                       "clients", "email", "answer", "seats_used_before",
                                       "seats_used_after"])


def trail_summary(lake: Lake, since: date | None = None) -> pd.DataFrame:
    """What executed reclaims did since ``since``, one row per run: for the report.

    Columns: run_date, at (end of the run), who, deactivated, removed, not_done (users the run
    meant to change and did not), seats_used_before, seats_used_after, seats_freed (the drop of
    Zoho's counter over the run; 0 when it did not move).
    """
    rows = []
    for e in read_trail(lake, since):
        if e["kind"] != "summary" or e["dry_run"]:
            continue
        users = e.get("users", [])
        before = (e.get("seats_before") or {}).get("used")
        after = (e.get("seats_after") or {}).get("used")
        rows.append({
            "run_date": e["run_date"], "at": e["at"], "who": f"{e['user']}@{e['host']}",
            "deactivated": sum(1 for u in users if u.get("outcome") == "deactivated"),
            "removed": sum(1 for u in users if u.get("outcome") == "removed"),
            "not_done": sum(1 for u in users if u.get("outcome", "").startswith("not ")),
            "seats_used_before": before, "seats_used_after": after,
            "seats_freed": (before - after) if before is not None and after is not None else None,
        })
    return pd.DataFrame(rows, columns=["run_date", "at", "who", "deactivated", "removed",
                                       "not_done", "seats_used_before", "seats_used_after",
                                       "seats_freed"])


def seat_kept(entries: list[dict[str, Any]]) -> dict[str, tuple[int, str | None]]:
    """Addresses whose executed deactivation left the seat counter where it was, with their
    client id and the domain they were sent with: the only users removal may be offered for."""
    kept: dict[str, tuple[int, str | None]] = {}
    for e in entries:
        if (e["kind"] == "call" and not e["dry_run"] and e.get("action") == "deactivate"
                and (e.get("answer") or {}).get("ok") and e.get("counter_moved") is False):
            domain = (e.get("config") or {}).get("domainName")
            for u in e.get("users", []):
                kept[u["email"].lower()] = (u["client_id"], domain)
    return kept
