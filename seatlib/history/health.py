"""Is the pipeline alive? The heartbeat after a good run, ``run_daily.sh --check``, the lock.

* :func:`heartbeat`: after every successful daily run, one GET (or POST, ``[runs]
  heartbeat_method``) to ``SEATLIB_HEARTBEAT_URL``, the URL a dead-man's-switch service gives
  (healthchecks.io, Cronitor, Uptime Kuma push monitors): the service raises the alarm when the
  call does not come. The URL is a secret: read from the environment only, never logged, saved
  or printed. A failing heartbeat is logged and never fails the run.
* :func:`check`: for a monitoring system: exit 0 with the age of the latest successful daily
  run, 1 when it is older than ``[runs] max_age_hours`` (or there is none, or a run holds the
  lock for longer than ``[runs] hung_hours``). It never takes the run lock; it reads
  ``runs/last-success.json`` (else the durable copy's) and the lock's holder. "Now" is the
  clock, or ``--now`` / ``SEATLIB_NOW`` (ISO time, UTC when no offset is given).
* the lock's holder, as :func:`seatlib.history.lock.lock_state` reads it.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from ..core import config as cfg
from ..core.errors import ConfigError, LakeError
from .lock import lock_state

log = logging.getLogger(__name__)

HEARTBEAT_VAR = "SEATLIB_HEARTBEAT_URL"
NOW_VAR = "SEATLIB_NOW"
LAST_SUCCESS = "last-success.json"


def parse_now(text: str | None) -> datetime:
    """``text`` as an aware UTC time (now when empty). Raises ConfigError on bad text."""
    if not text:
        return datetime.now(timezone.utc)
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--now / {NOW_VAR} {text!r} is not an ISO time "
                          f"(e.g. 2026-11-29T06:15:00Z)") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when


# -- last success ------------------------------------------------------------------------------

def record_success(settings: cfg.Settings, info: dict, finished: datetime) -> Path:
    """Write ``runs/last-success.json`` (whole) for a successful daily run."""
    from ..systems.lake import Lake

    data = {**info, "finished_at": finished.isoformat(timespec="seconds")}
    Lake(settings.runs_dir).write_bytes(LAST_SUCCESS, (json.dumps(data, indent=1) + "\n").encode())
    return Path(settings.runs_dir) / LAST_SUCCESS


def last_success(settings: cfg.Settings) -> tuple[dict | None, str]:
    """The latest successful daily run (local file, else the durable copy's) and where from."""
    from . import attempts as history

    local = Path(settings.runs_dir) / LAST_SUCCESS
    try:
        return json.loads(local.read_text(encoding="utf-8")), cfg.shown_path(local)
    except (OSError, ValueError):
        pass
    lake = history.durable(settings)
    durable = lake.uri(LAST_SUCCESS)
    if not durable.startswith("s3://"):
        durable = cfg.shown_path(durable)
    try:
        return json.loads(lake.read_bytes(LAST_SUCCESS)), durable
    except (LakeError, ValueError):
        return None, f"{cfg.shown_path(local)} or {durable}"


# -- --check -----------------------------------------------------------------------------------

def check(settings: cfg.Settings, now: datetime) -> tuple[int, list[str]]:
    """(exit code, lines to print): 0 when the latest successful daily run is recent enough."""
    limit = settings.runs.max_age_hours
    runs = cfg.shown_path(settings.runs_dir)  # the demo's or production's: say which was read
    info, where = last_success(settings)
    lines, rc = [], 0
    if info is None:
        rc = 1
        lines.append(f"STALE: no successful daily run is recorded ({where}); run "
                     f"./run_daily.sh and check cron or the systemd timer")
    else:
        finished = parse_now(info.get("finished_at"))
        age = (now - finished).total_seconds() / 3600
        what = (f"the latest successful daily run (day {info.get('day')}, attempt "
                f"{info.get('folder')}) finished at {finished:%Y-%m-%d %H:%M} UTC, "
                f"{age:.1f} hours ago")
        if age > limit:
            rc = 1
            lines.append(f"STALE: {what}: older than [runs] max_age_hours = {limit:g}. The daily "
                         f"run did not happen or failed: see {runs}/<date>/latest/run.log, cron or "
                         f"`systemctl status seat-monitor.timer`")
        else:
            lines.append(f"OK: {what} (limit {limit:g})")
    lock = lock_state(settings.runs_dir)
    if lock.state == "held":
        held = (now - lock.since).total_seconds() / 3600 if lock.since else None
        if held is not None and held > settings.runs.hung_hours:
            rc = 1
            lines.append(f"HUNG: pid {lock.pid} has held the run lock for {held:.1f} hours "
                         f"(since {lock.since:%Y-%m-%d %H:%M} UTC; limit [runs] hung_hours = "
                         f"{settings.runs.hung_hours:g}): look at it, kill it if stuck")
        else:
            lines.append(f"running: pid {lock.pid} holds the run lock ({lock.text})")
    elif lock.state == "stale":
        lines.append(f"stale lock: {runs}/.lock says '{lock.text}' but that process is gone (a "
                     f"killed run); the next run clears it")
    return rc, lines


# -- heartbeat ---------------------------------------------------------------------------------

def heartbeat(settings: cfg.Settings, summary: str, env: Mapping[str, str] | None = None
              ) -> bool:
    """Call ``SEATLIB_HEARTBEAT_URL`` once; True when it answered 2xx. Never raises."""
    url = (os.environ if env is None else env).get(HEARTBEAT_VAR, "").strip()
    if not url:
        log.info("heartbeat: %s is not set; none sent", HEARTBEAT_VAR)
        return False
    method = settings.runs.heartbeat_method
    data = summary.encode("utf-8") if method == "POST" else None
    try:
        if not url.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"User-Agent": "seat-monitor",
                                              "Content-Type": "text/plain; charset=utf-8"})
        with urllib.request.urlopen(req, timeout=10) as answer:  # noqa: S310 - http(s) only
            status = answer.status
    except urllib.error.HTTPError as exc:
        log.error("heartbeat: %s %s answered HTTP %s; the run stands", method, HEARTBEAT_VAR,
                  exc.code)
        return False
    except Exception as exc:  # noqa: BLE001 - a heartbeat never fails the run
        log.error("heartbeat: %s %s failed (%s); the run stands", method, HEARTBEAT_VAR,
                  type(exc).__name__)
        return False
    log.info("heartbeat: %s %s answered HTTP %s", method, HEARTBEAT_VAR, status)
    return 200 <= status < 300


def main_check(settings: cfg.Settings, now: str) -> int:
    """``run_daily.sh --check``: print the verdict; 0 fresh, 1 stale or hung, 2 a bad --now."""
    import sys

    try:
        rc, lines = check(settings, parse_now(now))
    except ConfigError as exc:
        print(f"run_daily: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return rc
