"""How the Zoho client spends time: the shared rate limiter, per-task time budgets, backoff with
jitter, and progress lines for long loops.

No I/O but sleeping and logging. Used by the transport and the OAuth code (limiter, budgets,
backoff), the export (budgets) and the client (progress of ``admins_for``). Imports nothing of
seatlib.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Callable

#: The limiter spaces calls 2 % wider than calls_per_minute asks: arrival jitter at Zoho's end
#: would otherwise let 61 calls land in one minute now and then.
RATE_SAFETY = 1.02
#: A caller may call at most this share of an interval after its slot, or it takes a new slot
#: (see :class:`RateLimiter`). Any call then lands within half an interval of its slot, well
#: inside what RATE_SAFETY allows: a minute holds 61 calls only if one lands 60 x 2 % = 1.2
#: intervals late against another 60 slots on.
LATE_SHARE = 0.5
#: Progress of long loops (admins_for): nothing is logged before PROGRESS_FIRST_S (a fast run,
#: e.g. the demo's 300 workspaces in half a second, logs only its final line); after that a line
#: every PROGRESS_EVERY_S seconds or PROGRESS_EVERY_SHARE of the work, whichever comes later, so
#: a 17-minute run logs about ten lines. Read at call time (tests shorten them).
PROGRESS_FIRST_S = 5.0
PROGRESS_EVERY_S = 30.0
PROGRESS_EVERY_SHARE = 0.10


class Budget:
    """Time spent on one task, counting the requested sleeps too, so that an injected no-op
    ``sleep`` (tests) still runs the budget down."""

    def __init__(self, seconds: float, sleep: Callable[[float], None]):
        self.seconds = seconds
        self._sleep = sleep
        self._start = time.monotonic()
        self._slept = 0.0

    def elapsed(self) -> float:
        return max(time.monotonic() - self._start, self._slept)

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)
            self._slept += seconds

    def affords(self, seconds: float) -> bool:
        """Whether waiting ``seconds`` more still fits in the budget."""
        return self.elapsed() + seconds <= self.seconds

    def share(self, cap_s: float) -> float:
        """The budget of one call made inside this task: what is left, at most ``cap_s``."""
        return max(0.0, min(cap_s, self.remaining()))


class Backoff:
    """Exponential backoff with full jitter, from ``base_s`` doubling up to ``cap_s``."""

    def __init__(self, base_s: float, cap_s: float):
        self.base_s = base_s
        self.cap_s = cap_s
        self._random = random.Random()

    def delay(self, attempt: int) -> float:
        """Uniform in [0, min(cap, base * 2**(attempt-1))]."""
        return self._random.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))

    def after(self, seconds: float) -> float:
        """``seconds`` the server asked for, plus a little to spread threads."""
        return seconds + self._random.uniform(0, 0.1 * self.base_s)


class Progress:
    """Counts finished items of a long loop and logs done/total, rate and ETA now and then.

    Only the thread that owns the loop calls :meth:`step` and :meth:`finish`.
    """

    def __init__(self, what: str, total: int, log: logging.Logger):
        self.what = what
        self.total = total
        self.done = 0
        self._log = log
        self._start = time.monotonic()
        self._last_at: float | None = None  # when the last progress line was logged
        self._last_done = 0

    def step(self) -> None:
        """One more item finished; log a progress line if one is due."""
        self.done += 1
        if self.done >= self.total:
            return  # finish() says the last word
        now = time.monotonic()
        elapsed = now - self._start
        if self._last_at is None:
            due = elapsed >= PROGRESS_FIRST_S
        else:
            due = (now - self._last_at >= PROGRESS_EVERY_S
                   and self.done - self._last_done >= PROGRESS_EVERY_SHARE * self.total)
        if not due:
            return
        self._last_at, self._last_done = now, self.done
        rate = self.done / max(elapsed, 1e-9)
        eta = (self.total - self.done) / rate
        self._log.info("zoho: %s %d/%d (%d%%) in %s, %.1f/s, ETA %s", self.what, self.done,
                       self.total, 100 * self.done // self.total, duration(elapsed), rate,
                       duration(eta))

    def finish(self) -> None:
        """The closing line, always logged: ``<what>: N/N in X s``."""
        elapsed = time.monotonic() - self._start
        self._log.info("zoho: %s: %d/%d in %.1f s (%.1f/s)", self.what, self.done, self.total,
                       elapsed, self.done / max(elapsed, 1e-9))


class RateLimiter:
    """Spaces calls evenly at ``calls_per_minute`` across threads (a token bucket of size 1).

    Each caller reserves the next free slot under a lock and sleeps until it; a late caller gets
    no credit for the past, so there are never bursts. A caller that wakes more than
    :data:`LATE_SHARE` of an interval after its slot (the process stood still: a garbage
    collection, a busy CPU) reserves a new slot instead of calling: otherwise every thread whose
    slot passed during the pause would call at once when it ends, and the calls of one minute
    could then pass Zoho's limit (6045) although the slots never did.
    """

    def __init__(self, calls_per_minute: int, sleep: Callable[[float], None]):
        self.interval = 60.0 / calls_per_minute * RATE_SAFETY if calls_per_minute > 0 else 0.0
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()
        self.late_wakes = 0  # slots given up because their caller woke too late

    def acquire(self) -> float:
        """Wait for this caller's slot; returns the seconds waited."""
        if not self.interval:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                slot = max(now, self._next)
                self._next = slot + self.interval
            wait = slot - now
            if wait > 0:
                self._sleep(wait)
                waited += wait
            if time.monotonic() - slot <= LATE_SHARE * self.interval:
                return waited
            with self._lock:
                self.late_wakes += 1


def duration(seconds: float) -> str:
    """``seconds`` for a log line: "42 s", "17 min" or "unknown" (infinite)."""
    if seconds == float("inf"):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
