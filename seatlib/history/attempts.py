"""The run history: one folder per run attempt, its durable copy, and retention.

Local layout (``[runs] dir``)::

    runs/<date>/<NN>-<HHMMSS>/   one attempt: NN counts the date's attempts from 01, HHMMSS is
        attempt.json             its start (UTC); attempt.json says what it is (day, attempt,
        01_extract.ipynb ...     kind, start, code version); then the executed notebooks,
        run.log, alerts.json     run.log, alerts.json, report.html, actions.csv
    runs/<date>/LATEST           the latest attempt's folder name, as text (also in the durable copy)
    runs/<date>/latest           a symlink to that folder (where the file system has symlinks)
    runs/<date>/<NN>-<HHMMSS>/   a reclaim (kind ``reclaim``): numbered with the day's attempts,
        reclaim_seats.ipynb ...  never the day's ``LATEST`` (see :data:`APART`)
    runs/latest-report.html, runs/plotly.min.js, runs/last-success.json

A re-run of a date makes a new attempt folder; nothing of an earlier attempt is deleted or
written again. The durable copy (``[runs] url``; empty: ``<lake url>/runs``) holds the same keys
(``<date>/<attempt>/<file>``, ``<date>/LATEST``, the three shared files), each written whole
(one PUT on S3, temporary file and rename in a folder). An attempt stored whole gets a local
``.stored`` marker; retention (:func:`prune`) removes only local days whose attempts are all
stored.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .. import __version__
from ..core import config as cfg
from ..core.errors import LakeError
from ..systems.lake import Lake

log = logging.getLogger(__name__)

LATEST_FILE, LATEST_LINK, INFO_FILE, STORED_MARK = "LATEST", "latest", "attempt.json", ".stored"
#: Kinds of attempt that never become the day's ``LATEST``: a reclaim is a person's action on
#: Zoho, not the day's report, so the page, the alerts and ``--check`` keep reading the day's own.
APART = frozenset({"reclaim"})
SHARED_FILES = ("plotly.min.js", "latest-report.html", "last-success.json")
_ATTEMPT = re.compile(r"^(\d{2,})-(\d{6})$")


def code_version() -> str:
    """``seatlib.__version__``, plus the git commit when the code is a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cfg.REPO_ROOT,
                             capture_output=True, text=True, timeout=5, check=False)
        commit = out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def durable_url(settings: cfg.Settings) -> str:
    """``[runs] url``, or ``<lake url>/runs`` when it is empty."""
    return settings.runs.url or f"{settings.lake_url.rstrip('/')}/runs"


def durable(settings: cfg.Settings) -> Lake:
    return Lake(durable_url(settings))


@dataclass(frozen=True)
class Attempt:
    """One run attempt of one date."""

    day: date
    number: int
    started: datetime  # UTC
    kind: str  # daily, stages, backfill, catch-up, reclaim
    folder: Path

    @property
    def name(self) -> str:
        return self.folder.name


def attempt_names(names) -> list[str]:
    """The names that are attempt folders (``NN-HHMMSS``), in attempt order."""
    return sorted({n for n in names if _ATTEMPT.match(n)}, key=lambda n: int(n.split("-")[0]))


def _durable_names(lake: Lake, day: date) -> list[str]:
    return attempt_names(k.split("/")[1] for k in lake.list(f"{day.isoformat()}/")
                         if k.count("/") >= 2)


def begin(settings: cfg.Settings, day: date, kind: str, *, now: datetime | None = None,
          lake: Lake | None = None) -> Attempt:
    """Make the next attempt folder of ``day`` and point ``LATEST`` and ``latest`` at it
    (unless its kind is one of :data:`APART`).

    The number follows every attempt of the day found locally *and* in the durable copy, so a
    new instance (an empty ``runs/``) does not count from 01 again.
    """
    now = now or datetime.now(timezone.utc)
    day_folder = Path(settings.runs_dir) / day.isoformat()
    day_folder.mkdir(parents=True, exist_ok=True)
    names = attempt_names(p.name for p in day_folder.iterdir() if p.is_dir())
    try:
        names += _durable_names(lake or durable(settings), day)
    except LakeError as exc:
        log.warning("history: could not list the durable copy (%s); numbering from the local "
                    "runs/ only", exc)
    number = max((int(n.split("-")[0]) for n in names), default=0) + 1
    folder = day_folder / f"{number:02d}-{now:%H%M%S}"
    folder.mkdir()
    attempt = Attempt(day, number, now, kind, folder)
    info = {"day": day.isoformat(), "attempt": number, "folder": folder.name, "kind": kind,
            "started_at": now.isoformat(timespec="seconds"), "code_version": code_version()}
    Lake(str(folder)).write_bytes(INFO_FILE, (json.dumps(info, indent=1) + "\n").encode())
    if kind not in APART:
        point_latest(day_folder, folder.name)
    return attempt


def point_latest(day_folder: Path, name: str) -> None:
    """``LATEST`` (a text file, written whole) and the ``latest`` symlink name the attempt."""
    Lake(str(day_folder)).write_bytes(LATEST_FILE, f"{name}\n".encode())
    tmp = day_folder / f".{LATEST_LINK}.tmp"
    try:
        tmp.unlink(missing_ok=True)
        os.symlink(name, tmp)
        os.replace(tmp, day_folder / LATEST_LINK)
    except OSError as exc:  # a file system without symlinks: LATEST says it
        log.info("history: no %s symlink in %s (%s); see %s", LATEST_LINK, day_folder, exc,
                 LATEST_FILE)


def latest_attempt(runs_dir: str | Path, day: date) -> Path | None:
    """The folder ``runs/<day>/LATEST`` names, or None."""
    day_folder = Path(runs_dir) / day.isoformat()
    try:
        name = (day_folder / LATEST_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return day_folder / name if _ATTEMPT.match(name) and (day_folder / name).is_dir() else None


def day_dir(runs_dir: str | Path, day: date) -> Path:
    """Where the files of ``day``'s current attempt go (report page, alerts.json): the latest
    attempt's folder (never a reclaim's: :data:`APART`), or ``runs/<day>/`` when no runner made
    one (a notebook run by hand)."""
    return latest_attempt(runs_dir, day) or Path(runs_dir) / day.isoformat()


def read_info(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def store(settings: cfg.Settings, folder: Path, lake: Lake | None = None) -> int:
    """Copy one attempt folder, the day's ``LATEST`` and the shared files to the durable copy.

    Returns the number of files written. Raises LakeError when one could not be (the attempt is
    then left without its ``.stored`` marker, and the next run tries again).
    """
    lake = lake or durable(settings)
    folder = Path(folder)
    day_folder, runs = folder.parent, folder.parent.parent
    written = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(runs).as_posix()
        if not any(part.startswith(".") for part in rel.split("/")):
            lake.write_bytes(rel, path.read_bytes())
            written += 1
    for path in [day_folder / LATEST_FILE] + [runs / n for n in SHARED_FILES]:
        if path.is_file() and not (path.name == "plotly.min.js" and lake.exists(path.name)
                                   and lake.read_bytes(path.name) == path.read_bytes()):
            lake.write_bytes(path.relative_to(runs).as_posix(), path.read_bytes())
            written += 1
    (folder / STORED_MARK).write_text(datetime.now(timezone.utc).isoformat() + "\n")
    log.info("history: %d file(s) of %s stored in %s", written, folder.name,
             lake.uri(f"{day_folder.name}/{folder.name}/"))
    return written


def pending(runs_dir: str | Path) -> list[Path]:
    """Local attempt folders not yet stored whole (a killed run, a failed store)."""
    found = [p for p in Path(runs_dir).glob("*-*-*/*") if p.is_dir() and _ATTEMPT.match(p.name)
             and not (p / STORED_MARK).exists()]
    return sorted(found)


def prune(settings: cfg.Settings, today: date, lake: Lake | None = None) -> list[str]:
    """Apply ``[runs] keep_days`` to ``runs/`` and ``[runs] durable_keep_days`` to the durable
    copy (0: keep for ever). A local day with an attempt not yet stored is kept, with a warning.
    Returns what was removed."""
    removed: list[str] = []
    keep = settings.runs.keep_days
    for folder in sorted(Path(settings.runs_dir).glob("????-??-??")) if keep else []:
        if not _old(folder.name, today, keep):
            continue
        unstored = [p.name for p in folder.iterdir() if _ATTEMPT.match(p.name)
                    and not (p / STORED_MARK).exists()]
        if unstored:
            log.warning("history: %s is past [runs] keep_days but %s not stored yet; kept",
                        folder, ", ".join(unstored))
            continue
        shutil.rmtree(folder)
        removed.append(str(folder))
    if settings.runs.durable_keep_days:
        lake = lake or durable(settings)
        for key in lake.list(""):
            if _old(key.split("/")[0], today, settings.runs.durable_keep_days):
                lake.delete(key)
                removed.append(lake.uri(key))
    if removed:
        log.info("history: retention removed %d item(s), e.g. %s", len(removed), removed[0])
    return removed


def _old(name: str, today: date, keep_days: int) -> bool:
    try:
        return date.fromisoformat(name) < today - timedelta(days=keep_days)
    except ValueError:
        return False
