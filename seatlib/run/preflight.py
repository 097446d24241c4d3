"""Checks the runner makes before it starts any stage, so a run that cannot succeed stops at
once (exit 2) with what to change, instead of inside a notebook or with a traceback.

* :func:`check_dates`: a future day (the demo's world would step forward to it day by day;
  Zoho knows nothing of it).
* :func:`check_runs_dir`: the runs folder, the day's folder and ``runs/.lock`` are usable.
* :func:`check_client_id_pattern`: ``[zoho] client_id_pattern`` finds a client id in at least
  one of the last known workspace names (else every gold row would be ``unmatched``).
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from ..core import config as cfg
from ..core.errors import ConfigError, LakeError
from ..stages.guards import partition_days
from ..systems import Systems
from ..systems.lake import Lake, bronze_key, days_in, silver_key

log = logging.getLogger(__name__)

ADMINS = "zoho_workspace_admins"


def check_dates(day: date | None, backfill: tuple[date, date] | None, *, demo: bool) -> None:
    """Refuse a future ``--date`` with ``--demo`` and a back-fill reaching into the future."""
    today = datetime.now(timezone.utc).date()
    if backfill and backfill[1] > today:
        raise ConfigError(f"--backfill {backfill[0]} {backfill[1]} reaches into the future "
                          f"(today is {today} UTC): no day after today has bronze. End the "
                          f"range at {today} or earlier")
    if demo and day is not None and day > today:
        raise ConfigError(f"--date {day} is in the future (today is {today} UTC): the demo "
                          f"replays past days and today only. Give a --date up to {today}, or "
                          f"leave it out for today")


def check_runs_dir(runs_dir: Path, day: date) -> None:
    """The runs folder and ``runs/<day>/`` exist (made if missing) and take files, and
    ``runs/.lock`` is a file if it is there."""
    lock = runs_dir / ".lock"
    for folder in (runs_dir, runs_dir / day.isoformat()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise ConfigError(f"[runs] dir: cannot write to {folder} ({exc.strerror or exc}); "
                              f"make it a writable folder or set [runs] dir") from None
    if lock.exists() and not lock.is_file():
        raise ConfigError(f"the run lock {lock} is not a file; remove it (no run is holding "
                          f"it: a lock is a plain file) and run again")


def _latest_names(lake: Lake) -> tuple[str, list[str]] | None:
    """(where, workspace names) of the latest silver, else bronze, workspace list; None when
    the lake has neither."""
    silver_days = partition_days(lake, ADMINS)
    bronze_days = days_in(lake, f"bronze/{ADMINS}/")
    if silver_days and (not bronze_days or silver_days[-1] >= bronze_days[-1]):
        key = silver_key(ADMINS, silver_days[-1])
        names = lake.read_parquet(key)["workspace_name"]
    elif bronze_days:
        key = bronze_key(ADMINS, bronze_days[-1])
        names = lake.read_csv(key, dtype=str, keep_default_na=False)["workspace_name"]
    else:
        return None
    text = pd.Series(names, dtype="string").str.strip()
    return lake.uri(key), sorted(set(text[text.notna() & (text != "")]))


def check_client_id_pattern(settings: cfg.Settings) -> None:
    """Refuse a ``[zoho] client_id_pattern`` that finds no client id in any of the latest
    known workspace names (the excluded ones left out); nothing to check on an empty lake."""
    from ..stages.gold import client_ids

    try:
        found = _latest_names(Systems.lake_for(settings))
    except (LakeError, KeyError) as exc:  # a broken file is the stages' to report
        log.warning("could not check [zoho] client_id_pattern against the lake: %s", exc)
        return
    if not found:
        return
    where, names = found
    names = [n for n in names if n not in settings.zoho.excluded_workspaces]
    if not names or client_ids(pd.Series(names, dtype="string"), settings).notna().any():
        return
    raise ConfigError(
        f"[zoho] client_id_pattern {settings.zoho.client_id_pattern!r} finds no client id in "
        f"any of the {len(names)} workspace names of {where}, e.g. {names[:3]}; every client "
        f"would be 'unmatched'. Fix the pattern in {settings.source or 'the settings file'}")
