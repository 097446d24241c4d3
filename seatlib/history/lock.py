"""The run lock, ``runs/.lock``: its one writer, its reader, its text and ``pid_alive``.

A run (a reclaim too) holds a ``flock`` on ``runs/.lock`` for its whole life (:func:`run_lock`)
and writes "pid N since T" into it (:func:`holder_text`); it empties the file when it ends,
failed or not. The kernel releases the flock of a killed run, so text left in the file with no
live holder is a run that died: :func:`lock_state` reads it without taking the lock
(``--check``), the next run reports it and overwrites it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..core.errors import ConfigError, RunInProgressError

LOCK_FILE = ".lock"
_TIME = "%Y-%m-%d %H:%M:%S"
_HOLDER = re.compile(r"pid (\d+) since (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC")


def holder_text(pid: int, since: datetime) -> str:
    """What the holder writes into the lock: ``pid N since YYYY-MM-DD HH:MM:SS UTC``."""
    return f"pid {pid} since {since.astimezone(timezone.utc):{_TIME}} UTC"


@contextlib.contextmanager
def run_lock(runs_dir: Path) -> Iterator[str]:
    """Hold ``runs/.lock`` for the whole run; raise RunInProgressError if another run has it.

    Yields what the file said before (text left by a run that was killed), emptied again when
    the run ends, failed or not (:func:`lock_state` reads it for ``--check``)."""
    path = runs_dir / LOCK_FILE
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")
    except OSError as exc:
        raise ConfigError(f"cannot open the run lock {path} ({exc.strerror or exc}); it must "
                          f"be a file in a writable [runs] dir") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise RunInProgressError(f"another run is in progress ({holder}); lock {path}") from None
        fh.seek(0)
        left = fh.read().strip()
        fh.seek(0)
        fh.truncate()
        fh.write(holder_text(os.getpid(), datetime.now(timezone.utc)) + "\n")
        fh.flush()
        try:
            yield left
        finally:  # every end but a kill: a run that failed ended cleanly too
            fh.seek(0)
            fh.truncate()
    finally:
        fh.close()  # closing releases the lock, also when the process is killed


@dataclass(frozen=True)
class LockState:
    state: str  # free, held, stale
    pid: int | None = None
    since: datetime | None = None
    text: str = ""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (ours or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _flock_holder(path: Path) -> int | None:
    """The pid holding a flock on ``path`` per /proc/locks (Linux), 0 when none, None when
    /proc/locks cannot be read."""
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        f = line.split()
        if len(f) >= 6 and f[1] == "FLOCK" and f[5].rsplit(":", 1)[-1] == str(inode):
            return int(f[4])
    return 0


def lock_state(runs_dir: str | Path) -> LockState:
    """Who holds ``runs/.lock``, read without taking it."""
    path = Path(runs_dir) / LOCK_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return LockState("free")
    found = _HOLDER.search(text)
    pid = int(found.group(1)) if found else None
    since = (datetime.strptime(found.group(2), _TIME).replace(tzinfo=timezone.utc)
             if found else None)
    holder = _flock_holder(path)
    if holder:
        return LockState("held", holder, since if holder == pid else None, text)
    if holder is None and pid and pid_alive(pid):
        return LockState("held", pid, since, text)
    return LockState("stale" if text else "free", pid, since, text)
