"""Faults the simulator can be told to inject: :class:`Fault`, arming, taking and applying them."""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .protocol import ERRORS, STATUS_FOR_CODE, Request, Response, error, v1_error

FAULT_KINDS = frozenset({"error", "http", "latency", "timeout", "drop", "malformed",
                         "expired_token", "job_fail", "job_stuck", "job_lost"})
#: Faults that act on export jobs (taken by the export calls, not before dispatch).
JOB_FAULTS = frozenset({"job_fail", "job_stuck", "job_lost"})


@dataclass
class Fault:
    """One armed fault; see :meth:`ZohoSimulator.add_fault`."""

    pattern: re.Pattern[str]
    kind: str
    times: int | None
    method: str | None = None
    opts: dict[str, Any] = field(default_factory=dict)
    fired: int = 0
    passed: int = 0  # matching requests let through (opt ``skip``)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.pattern.search(path) is not None


class Faults:
    """The armed faults, in the order added; shares the simulator's lock and counters."""

    def __init__(self, lock: threading.RLock, stats: dict[str, Any]):
        self._lock = lock
        self._stats = stats
        self._faults: list[Fault] = []

    def add(self, path_regex: str, kind: str, times: int | None, method: str | None,
            opts: dict[str, Any]) -> Fault:
        """Arm a fault (see :meth:`ZohoSimulator.add_fault` for the kinds and options)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if kind == "error" and "code" not in opts:
            raise ValueError("an 'error' fault needs code=<Zoho error code>")
        fault = Fault(re.compile(path_regex), kind, times, method, dict(opts))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str, *, only: frozenset[str] | None = None,
             exclude: frozenset[str] = frozenset()) -> Fault | None:
        """The first armed fault matching the request (counted as fired), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in exclude or (only is not None and fault.kind not in only):
                    continue
                if fault.matches(method, path):
                    if fault.passed < int(fault.opts.get("skip", 0)):
                        fault.passed += 1  # let the first ``skip`` matching requests through
                        continue
                    fault.fired += 1
                    self._stats["faults_fired"] += 1
                    return fault
        return None

    def apply(self, fault: Fault, handler: Any, req: Request, *,
              dispatch: Callable[[Request], Response],
              expire_token: Callable[[Request], None]) -> Response | None:
        """The answer ``fault`` gives instead of the normal one; None: the connection was
        dropped. ``dispatch`` answers normally (after a delay); ``expire_token`` forgets the
        request's token."""
        opts = fault.opts
        kind = fault.kind
        if kind == "error":
            return self._error(req, opts)
        if kind == "http":
            status = int(opts.get("status", 503))
            body = str(opts.get("body", f"<html><body>HTTP {status}</body></html>"))
            return Response(status, body.encode("utf-8"), "text/html;charset=UTF-8")
        if opts.get("applied") and kind in ("timeout", "drop"):
            dispatch(req)  # Zoho did the work; its answer is lost (late, or the line dropped)
        if kind in ("latency", "timeout"):
            time.sleep(float(opts.get("seconds", 0.5 if kind == "latency" else 5.0)))
            return dispatch(req) if not opts.get("applied") else None
        if kind == "drop":
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if kind == "malformed":
            return Response(int(opts.get("status", 200)),
                            b'{"status":"success","summary":"Get users","data":{"us')
        if kind == "expired_token":
            with self._lock:
                expire_token(req)
                self._stats["errors"][8535] += 1
            return error(8535)
        raise AssertionError(kind)  # job faults never reach here

    def _error(self, req: Request, opts: dict[str, Any]) -> Response:
        code = int(opts["code"])
        status = int(opts.get("status", STATUS_FOR_CODE.get(code, 400)))
        message = opts.get("message") or ERRORS.get(code, ("", f"Error {code}"))[1]
        headers = {}
        if opts.get("retry_after") is not None:
            headers["Retry-After"] = str(opts["retry_after"])
        with self._lock:
            self._stats["errors"][code] += 1
        if opts.get("shape", "v2") == "v1":
            response = v1_error(code, message, req.path, status)
            response.headers.update(headers)
            return response
        return error(code, message, status=status, summary=opts.get("summary"),
                     headers=headers)
