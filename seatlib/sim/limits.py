"""Zoho's limits as the simulator enforces them: :class:`SimLimits` and the call accounting.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from .protocol import fail


def _scaled(seconds: float) -> property:
    """A property: ``seconds`` of simulated time in real seconds (times ``time_scale``)."""
    return property(lambda self: seconds * self.time_scale)


@dataclass
class SimLimits:
    """Zoho's limits as the simulator enforces them (§2.2, §5.2, §7).

    Attributes:
        enabled: False switches off every limit below (frequency, units, tokens, export
            concurrency); timings (job duration, expiries) still apply. The demo uses False.
        time_scale: length of a simulated second in real seconds for the limit windows: 0.01
            makes a "minute" last 0.6 s and the 10-minute token window 6 s. Token and job
            lifetimes are given in real seconds and are not scaled.
        metadata_per_minute: METADATA bucket; every non-bulk call.
        bulk_per_minute: BULK bucket; every call under ``/restapi/v2/bulk/``.
        overall_per_minute: all calls together.
        daily_units: API units per (scaled) day; over it every call answers 6043.
        tokens_per_window: access tokens per refresh token per (scaled) 10 minutes; over it the
            token call answers "Access Denied" (HTTP 200) and stays blocked for the window.
        retry_after: send a ``Retry-After`` header with 6045 (Zoho's behaviour is unknown).
        rate_limit_status: HTTP status of a 6045 answer (Zoho has been seen using 200 and 400).
        max_concurrent_jobs: running export jobs per organisation.
        job_seconds: how long an export job takes (real seconds).
        job_expiry_s: how long a finished export stays downloadable (real seconds; Zoho: 1 h).
        token_ttl_s: access-token lifetime (real seconds; ``expires_in`` says the same).
        max_active_tokens: active access tokens per refresh token; the oldest is evicted (§2.2).
        export_row_limit: rows an SQL export keeps; the rest are cut without an error, as Zoho
            does at 800,000 (§5.3). Applies even when ``enabled`` is False.
    """

    enabled: bool = True
    time_scale: float = 1.0
    metadata_per_minute: int = 60
    bulk_per_minute: int = 40
    overall_per_minute: int = 100
    daily_units: float = 100_000
    tokens_per_window: int = 10
    retry_after: bool = True
    rate_limit_status: int = 429
    max_concurrent_jobs: int = 5
    job_seconds: float = 0.3
    job_expiry_s: float = 3600.0
    token_ttl_s: float = 3600.0
    max_active_tokens: int = 10
    export_row_limit: int = 800_000

    minute_s = _scaled(60.0)
    token_window_s = _scaled(600.0)
    day_s = _scaled(86_400.0)


class Admission:
    """The per-minute frequency windows and the daily API units.

    Shares the simulator's lock and counters (``stats["rate_limited"]``,
    ``stats["units_exceeded"]``, ``stats["units_used"]``).
    """

    def __init__(self, lock: threading.RLock, stats: dict[str, Any]):
        self._lock = lock
        self._stats = stats
        self._windows: dict[str, deque[float]] = {"overall": deque(), "metadata": deque(),
                                                  "bulk": deque()}
        self._units = 0.0
        self._units_day_start: float | None = None

    def admit(self, bucket: str, limits: SimLimits) -> None:
        """Apply the per-minute frequency limits and the daily units (§7)."""
        if not limits.enabled:
            self.charge(1)
            return
        now = time.monotonic()
        with self._lock:
            windows = (("overall", limits.overall_per_minute),
                       (bucket, limits.bulk_per_minute if bucket == "bulk"
                        else limits.metadata_per_minute))
            for name, limit in windows:
                window = self._windows[name]
                while window and window[0] <= now - limits.minute_s:
                    window.popleft()
                if len(window) >= limit:
                    self._stats["rate_limited"] += 1
                    headers = {}
                    if limits.retry_after:
                        wait = window[0] + limits.minute_s - now
                        headers["Retry-After"] = str(max(1, math.ceil(wait)))
                    raise fail(6045, status=limits.rate_limit_status, headers=headers)
            if self._units_day_start is None or now - self._units_day_start >= limits.day_s:
                self._units_day_start = now
                self._units = 0.0
            if self._units + 1 > limits.daily_units:
                self._stats["units_exceeded"] += 1
                raise fail(6043)
            for name, _ in windows:
                self._windows[name].append(now)
            self.charge(1)

    def charge(self, units: float) -> None:
        """Add ``units`` to the day's count (an export job's rows, or an admitted call)."""
        with self._lock:
            self._units += units
            self._stats["units_used"] = self._units

    def reset(self) -> None:
        """Empty the frequency windows and the unit counter."""
        with self._lock:
            for window in self._windows.values():
                window.clear()
            self._units = 0.0
            self._units_day_start = None
