"""The client's rate limiter keeps its spacing when the process stands still for a moment."""

from __future__ import annotations

import threading
import time

from seatlib.systems.zoho.pacing import RateLimiter

CALLS_PER_MINUTE = 1200  # an interval of about 51 ms


def _calls(limiter: RateLimiter, threads: int, each: int) -> list[float]:
    """When each caller got through ``acquire``, all threads together, sorted."""
    times: list[float] = []
    lock = threading.Lock()

    def work():
        for _ in range(each):
            limiter.acquire()
            with lock:
                times.append(time.monotonic())

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sorted(times)


def test_callers_woken_late_by_a_pause_take_new_slots_not_one_burst():
    # every caller whose sleep ends inside the pause stays asleep until it is over, as under a
    # garbage collection that stops all threads; several slots pass meanwhile
    pause: dict[str, float] = {}

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        now = time.monotonic()
        if pause and pause["start"] <= now < pause["end"]:
            time.sleep(pause["end"] - now)

    limiter = RateLimiter(CALLS_PER_MINUTE, sleep)
    pause["start"] = time.monotonic() + 3 * limiter.interval
    pause["end"] = pause["start"] + 6 * limiter.interval
    times = _calls(limiter, threads=4, each=4)
    gaps = [b - a for a, b in zip(times, times[1:])]
    # without the new slots the threads stalled by the pause call within a millisecond
    assert min(gaps) > 0.5 * limiter.interval, [round(g, 4) for g in gaps]
    assert limiter.late_wakes >= 2


def test_callers_on_time_keep_their_slots():
    limiter = RateLimiter(CALLS_PER_MINUTE, time.sleep)
    times = _calls(limiter, threads=3, each=3)
    assert times[-1] - times[0] >= (len(times) - 1) * limiter.interval * 0.99
    assert limiter.late_wakes == 0
