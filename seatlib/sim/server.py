"""A real HTTP server on 127.0.0.1 speaking Zoho Analytics API v2 and Zoho Accounts' token call.

The demo and the tests point :class:`seatlib.zoho.ZohoClient` at it instead of Zoho. It follows
``/work/shared/zoho-api.md`` (the "spec"; section numbers below refer to it): the JSON shapes of
§3-§5, the OAuth quirks of §2.1, the error envelope of §6 and the limits of §7. It serves whatever
:class:`~seatlib.sim.state.ZohoState` it holds; :meth:`ZohoSimulator.set_state` swaps it.

Served paths (one host serves both the accounts and the API paths)::

    POST /oauth/v2/token                                   refresh_token grant (query or form)
    GET  /restapi/v2/orgs                                  (no ZANALYTICS-ORGID needed)
    GET  /restapi/v2/workspaces | /owned | /shared | /{ws}
    GET  /restapi/v2/workspaces/{ws}/admins | /{ws}/users | /{ws}/views
    GET  /restapi/v2/users | /resources | /subscription | /orgadmins
    GET  /restapi/v2/bulk/workspaces/{ws}/data?CONFIG={"sqlQuery":..,"responseFormat":"csv"}
    GET  /restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}
    GET  /restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}/data

Choices where the spec is silent (the client must cope with them; keep them in sync with
``seatlib.zoho``):

* ``GET /workspaces/{ws}/admins`` for a workspace without admins answers
  ``{"workspaceAdmins": []}`` (switchable with ``empty_admins_shape``: ``"members"`` gives
  ``[{"adminMembers": []}]``, ``"missing"`` gives ``{}``).
* Bulk SQL export: the audit workspace (name :data:`AUDIT_WORKSPACE`) holds the table
  :data:`ACCESS_LOG_TABLE` with the columns :data:`ACCESS_LOG_COLUMNS`; "Accessed Time" is the text
  ``YYYY-MM-DD HH:MM:SS`` in UTC. The query runs in sqlite3 (double-quoted identifiers work; an
  unknown double-quoted name is an error, as in Zoho, not sqlite's string literal). The CSV starts
  with a UTF-8 BOM, uses ``\\r\\n`` line ends and has a header row.
* Error codes the docs do not give, invented here (HTTP 400, failure envelope):
  :data:`CODE_SQL_ERROR` 7403 (bad SQL; the code Zoho's on-premise twin Analytics Plus documents for
  "Parsing of SQL query failed"), :data:`CODE_EXPORT_JOB_LIMIT` 6044 (more than 5 running export
  jobs in the org), :data:`CODE_EXPORT_EXPIRED` 7404 (download of an expired or unknown job),
  :data:`CODE_EXPORT_NOT_READY` 7405 (download of a job that has not completed),
  :data:`CODE_UNKNOWN_URL` 9404 (HTTP 404, no such path).
* A missing ``ZANALYTICS-ORGID`` gives 8083 on every ``/restapi`` path except ``/orgs``. A wrong
  one gives 7387 on workspace paths (the workspace belongs to another organisation) and 7389
  ("organisation does not exist") on organisation paths.
* Status codes: 401 for 8535/8518, 429 for 6045 (configurable), 400 for everything else,
  including 6043 and 7103.
* Each processed call costs 1 API unit; an export job adds 3 units per started 1000 rows (§7).
  Calls under ``/bulk/`` count against the BULK per-minute bucket, every other call against
  METADATA; all against OVERALL. The windows slide over the last (scaled) minute; calls refused
  with 6045 do not count.
* Export jobs: the SQL runs when the job is created (so SQL errors come back from the create
  call, and the file holds the state of that moment). Polls answer 1001 for the first quarter of
  ``job_seconds``, then 1002, then 1004 with ``downloadUrl`` and ``expiryTime`` (+``job_expiry_s``);
  after expiry polls answer 1005 and downloads 7404. An unknown job id polls as 1005.
* A bug inside the simulator answers 7005 (HTTP 500) and is logged, like Zoho's internal error.

Other servers written from the same documentation may choose differently where it leaves room;
``quirks`` (see :data:`QUIRKS`), ``token_params``, ``base_path`` and ``download_url_base`` make the
simulator answer like them, so the client's tolerance is tested over HTTP too.

Run ``python -m seatlib.sim.server --port 8899`` for a server with a small built-in state to curl.
"""

from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import logging
import math
import re
import secrets
import socket
import sqlite3
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .state import AccessRow, SimUser, SimWorkspace, ZohoState

log = logging.getLogger(__name__)

AUDIT_WORKSPACE = "Zoho Analytics Audits"
ACCESS_LOG_TABLE = "Access Log"
ACCESS_LOG_COLUMNS = ("Accessed Time", "Accessed By", "Workspace Name", "View Name", "View Type",
                      "IP Address", "User Agent")
#: How "Accessed Time" is written into the audit table (UTC).
ACCESSED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

CODE_EXPORT_JOB_LIMIT = 6044
CODE_SQL_ERROR = 7403
CODE_EXPORT_EXPIRED = 7404
CODE_EXPORT_NOT_READY = 7405
CODE_UNKNOWN_URL = 9404

#: Export job codes and statuses (§5.2).
JOB_STATUS = {"1001": "JOB NOT INITIATED", "1002": "JOB IN PROGRESS", "1003": "ERROR OCCURRED",
              "1004": "JOB COMPLETED", "1005": "JOB NOT FOUND"}

#: Answers the documentation allows (or does not rule out) that differ from the simulator's
#: defaults; switched on per simulator with ``quirks=``:
QUIRKS: dict[str, str] = {
    "numbers_as_numbers": "/resources usage values, createdTime and expiryTime as JSON numbers",
    "booleans_as_strings": 'user "status" as the strings "true" / "false"',
    "empty_as_204": "an empty admins or users list answers HTTP 204 No Content, no body",
    "job_code_numeric": "export jobCode as a JSON number (1004, not \"1004\")",
    "no_job_code": "export job answers carry jobStatus only, no jobCode",
    "csv_semicolon": "export files use ';' whatever CONFIG's delimiter says",
    "octet_stream": "export files come as application/octet-stream, without a BOM",
    "camel_workspace_count": "GET /orgs spells numberOfWorkspaces (Airbyte's spelling)",
    "workspace_admins_objects": 'admins as [{"emailId": ...}] instead of adminMembers',
}

FAULT_KINDS = frozenset({"error", "http", "latency", "timeout", "drop", "malformed",
                         "expired_token", "job_fail", "job_stuck", "job_lost"})
_JOB_FAULTS = frozenset({"job_fail", "job_stuck", "job_lost"})

# Summaries and messages of the errors the simulator raises itself (§6.3).
_ERRORS: dict[int, tuple[str, str]] = {
    6043: ("API_UNITS_EXCEEDED",
           "Your daily API units limit for the Zoho Analytics plan has been exceeded"),
    6045: ("API_REQUEST_LIMIT_EXCEEDED",
           "You have exceeded the number of requests allowed per minute. Try again later"),
    CODE_EXPORT_JOB_LIMIT: ("EXPORT_JOB_LIMIT_EXCEEDED",
                            "Maximum 5 concurrent export jobs are allowed per organization"),
    7005: ("COMMON_INTERNAL_SERVER_ERROR", "Internal server error"),
    7103: ("META_OBJECT_NOT_PRESENT",
           "Workspace not found! Please check whether the workspace exists."),
    7387: ("WORKSPACE_NOT_IN_ORG", "The workspace does not belong to the current organization"),
    7389: ("ORG_NOT_PRESENT", "Organization does not exist"),
    CODE_SQL_ERROR: ("SQL_PARSE_ERROR", "Parsing of SQL query failed"),
    CODE_EXPORT_EXPIRED: ("EXPORT_JOB_EXPIRED",
                          "The export job has expired or does not exist; create a new job"),
    CODE_EXPORT_NOT_READY: ("EXPORT_JOB_NOT_COMPLETED", "The export job has not completed"),
    8079: ("ATTRIBUTE_MISSING", "Required attribute is missing in the CONFIG JSON"),
    8083: ("ORGID_NOT_PRESENT", "Organization id is not present in the request header"),
    8504: ("LESS_THAN_MIN_OCCURANCE",
           "The parameter CONFIG is not proper(Has not been sent or is less than required count)"),
    8516: ("INVALID_PARAMETER_VALUE", "Invalid value passed for the parameter"),
    8518: ("INVALID_AUTHENTICATION", "Invalid authentication"),
    8535: ("INVALID_OAUTHTOKEN", "Invalid Oauthtoken"),
    CODE_UNKNOWN_URL: ("INVALID_URL", "No such API path (simulator)"),
}
_STATUS_FOR_CODE = {8535: 401, 8518: 401, 6045: 429, 7301: 403, 7005: 500,
                    CODE_UNKNOWN_URL: 404}


@dataclass
class SimLimits:
    """Zoho's limits as the simulator enforces them (spec §2.1, §5.2, §7).

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
        max_active_tokens: active access tokens per refresh token; the oldest is evicted (§2.1).
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

    @property
    def minute_s(self) -> float:
        return 60.0 * self.time_scale

    @property
    def token_window_s(self) -> float:
        return 600.0 * self.time_scale

    @property
    def day_s(self) -> float:
        return 86_400.0 * self.time_scale


@dataclass
class Fault:
    """One armed fault; see :meth:`ZohoSimulator.add_fault`."""

    pattern: re.Pattern[str]
    kind: str
    times: int | None
    method: str | None = None
    opts: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.pattern.search(path) is not None


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: Message

    def param(self, name: str, where: str = "both") -> str | None:
        """A parameter from the form body or, failing that, the query string (``where``:
        ``"both"``, ``"form"`` or ``"query"``)."""
        sources = {"both": (self.form, self.query), "form": (self.form,),
                   "query": (self.query,)}[where]
        for source in sources:
            if name in source:
                return source[name][0]
        return None


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


class _Fail(Exception):
    """Raised by a route to answer with an error envelope."""

    def __init__(self, response: _Response):
        super().__init__(response.status)
        self.response = response


@dataclass
class _Job:
    job_id: str
    workspace_id: str
    created: float  # monotonic
    created_wall: float  # epoch seconds
    duration: float
    expiry_s: float
    outcome: str  # "ok", "fail" or "stuck"
    csv_bytes: bytes
    lost: bool = False

    def code(self, now: float) -> str:
        if self.lost:
            return "1005"
        elapsed = now - self.created
        if elapsed < self.duration * 0.25:
            return "1001"
        if elapsed < self.duration or self.outcome == "stuck":
            return "1002"
        if self.outcome == "fail":
            return "1003"
        if now > self.created + self.duration + self.expiry_s:
            return "1005"  # purged after expiry
        return "1004"

    def running(self, now: float) -> bool:
        return self.code(now) in ("1001", "1002")

    @property
    def expiry_ms(self) -> int:
        return int((self.created_wall + self.duration + self.expiry_s) * 1000)


@dataclass(frozen=True)
class _Route:
    method: str
    regex: re.Pattern[str]
    template: str
    handler: str  # name of the ZohoSimulator method
    org_required: bool = True

    @property
    def bucket(self) -> str:
        return "bulk" if "/bulk/" in self.template else "metadata"


def _route(template: str, handler: str, *, org_required: bool = True) -> _Route:
    pattern = re.escape(template).replace(r"\{ws\}", r"(?P<ws>[^/]+)")
    pattern = pattern.replace(r"\{job\}", r"(?P<job>[^/]+)")
    return _Route("GET", re.compile(pattern + r"/?\Z"), "GET " + template, handler, org_required)


_ROUTES: tuple[_Route, ...] = (
    _route("/restapi/v2/orgs", "_get_orgs", org_required=False),
    _route("/restapi/v2/workspaces", "_get_workspaces"),
    _route("/restapi/v2/workspaces/owned", "_get_owned"),
    _route("/restapi/v2/workspaces/shared", "_get_shared"),
    _route("/restapi/v2/workspaces/{ws}", "_get_workspace"),
    _route("/restapi/v2/workspaces/{ws}/admins", "_get_admins"),
    _route("/restapi/v2/workspaces/{ws}/users", "_get_workspace_users"),
    _route("/restapi/v2/workspaces/{ws}/views", "_get_views"),
    _route("/restapi/v2/users", "_get_users"),
    _route("/restapi/v2/resources", "_get_resources"),
    _route("/restapi/v2/subscription", "_get_subscription"),
    _route("/restapi/v2/orgadmins", "_get_orgadmins"),
    _route("/restapi/v2/bulk/workspaces/{ws}/data", "_create_export"),
    _route("/restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}", "_get_export_job"),
    _route("/restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}/data", "_download_export"),
)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> _Response:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return _Response(status, body, headers=headers or {})


def _ok(summary: str, data: dict[str, Any]) -> _Response:
    return _json(200, {"status": "success", "summary": summary, "data": data})


def _error(code: int, message: str | None = None, *, status: int | None = None,
           summary: str | None = None, headers: dict[str, str] | None = None) -> _Response:
    """The v2 failure envelope (§6.1)."""
    known_summary, known_message = _ERRORS.get(code, ("ERROR", f"Error {code}"))
    return _json(status if status is not None else _STATUS_FOR_CODE.get(code, 400),
                 {"status": "failure", "summary": summary or known_summary,
                  "data": {"errorCode": code, "errorMessage": message or known_message}},
                 headers)


def _v1_error(code: int, message: str, path: str, status: int) -> _Response:
    """The legacy v1 error shape (§6.1), still met in the wild."""
    return _json(status, {"response": {"uri": path, "action": "", "error": {
        "code": code, "message": message}}})


def _fail(code: int, message: str | None = None, **kwargs: Any) -> _Fail:
    return _Fail(_error(code, message, **kwargs))


def _ms(value: int | float) -> str:
    return str(int(value))


def _summary(ws: SimWorkspace, org_id: str, numbers: bool = False) -> dict[str, Any]:
    return {"workspaceId": ws.workspace_id, "workspaceName": ws.name, "workspaceDesc": "",
            "orgId": org_id,
            "createdTime": int(ws.created_ms) if numbers else _ms(ws.created_ms),
            "createdBy": ws.created_by, "isDefault": False}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: "ZohoSimulator"):
        self.sim = sim
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "ZohoAnalyticsSim/1.0"
    timeout = 120  # an idle keep-alive connection's thread ends after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body leave in two writes; with Nagle on, the client's delayed ACK would
        # add ~40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.sockets_lock:
                self.server.open_sockets.discard(self.connection)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.sim._serve(self)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


class ZohoSimulator:
    """A Zoho Analytics API v2 server on a local port, serving one :class:`ZohoState`.

    Use it as a context manager (``with ZohoSimulator(...) as sim: sim.url``) or call
    :meth:`start` and :meth:`stop`. Thread-safe: the state, the faults and the counters may be
    changed while requests are in flight.

    Args:
        state: what to serve; None serves :func:`sample_state` until :meth:`set_state`.
        client_id: the OAuth client id the token call accepts.
        client_secret: its secret.
        refresh_token: the refresh token the token call accepts.
        host: interface to bind.
        port: 0 picks a free port.
        limits: Zoho's limits; default :class:`SimLimits` (enabled, real time).
        empty_admins_shape: what ``/workspaces/{ws}/admins`` answers without admins:
            ``"list"`` (``[]``), ``"members"`` (``[{"adminMembers": []}]``) or ``"missing"``.
        legacy_expires_in: answer the token call in the legacy shape
            ``{"expires_in_sec": 3600, "expires_in": 3600000}`` (milliseconds).
        audit_workspace: name of the workspace holding the Access Log table.
        quirks: names from :data:`QUIRKS`: answer like another server written from the docs.
        token_params: where the token call reads its parameters: ``"both"`` (Zoho, D15),
            ``"query"`` or ``"form"`` only.
        base_path: serve everything under this path (``"/zoho"``: ``/zoho/restapi/v2/...``),
            like a stand-in behind a proxy; other paths answer 404.
        download_url_base: what ``downloadUrl`` of a finished export job starts with (default
            the simulator's own URL; e.g. ``"https://analyticsapi.zoho.com"`` as in the docs).
    """

    def __init__(self, state: ZohoState | None = None, *, client_id: str, client_secret: str,
                 refresh_token: str, host: str = "127.0.0.1", port: int = 0,
                 limits: SimLimits | None = None, empty_admins_shape: str = "list",
                 legacy_expires_in: bool = False, audit_workspace: str = AUDIT_WORKSPACE,
                 quirks: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
                 token_params: str = "both", base_path: str = "",
                 download_url_base: str | None = None):
        if empty_admins_shape not in ("list", "members", "missing"):
            raise ValueError("empty_admins_shape must be 'list', 'members' or 'missing'")
        unknown = set(quirks) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown quirk(s) {sorted(unknown)}; known: {sorted(QUIRKS)}")
        if token_params not in ("both", "query", "form"):
            raise ValueError("token_params must be 'both', 'query' or 'form'")
        if base_path and not base_path.startswith("/"):
            raise ValueError("base_path must start with '/'")
        self._state = state if state is not None else sample_state()
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._host = host
        self._port = port
        self.limits = limits or SimLimits()
        self.empty_admins_shape = empty_admins_shape
        self.legacy_expires_in = legacy_expires_in
        self.audit_workspace = audit_workspace
        self.quirks = frozenset(quirks)
        self.token_params = token_params
        self.base_path = base_path.rstrip("/")
        self.download_url_base = download_url_base
        self.api_domain = "https://www.zohoapis.com"  # what Zoho sends; not the Analytics host

        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._faults: list[Fault] = []
        self._tokens: dict[str, float] = {}  # access token -> expiry (monotonic), insertion order
        self._token_times: deque[float] = deque()  # issuances within the token window
        self._token_blocked_until = 0.0
        self._windows: dict[str, deque[float]] = {"overall": deque(), "metadata": deque(),
                                                  "bulk": deque()}
        self._units = 0.0
        self._units_day_start: float | None = None
        self._jobs: dict[str, _Job] = {}
        self._job_seq = 0
        self._in_flight = 0
        self._stats: dict[str, Any] = {}
        self.reset_stats()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "ZohoSimulator":
        """Bind the port and serve in a daemon thread. Returns self."""
        if self._server is not None:
            return self
        self._server = _Server((self._host, self._port), self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"zoho-sim-{self._port}", daemon=True)
        self._thread.start()
        log.info("Zoho simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:  # idle keep-alive connections would otherwise linger
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("Zoho simulator on port %s stopped", self._port)

    def __enter__(self) -> "ZohoSimulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (plus ``base_path``): the accounts URL and the API URL at
        once (still the last address after :meth:`stop`)."""
        if self._server is None and self._port == 0:
            raise RuntimeError("the simulator has not been started")
        return f"http://{self._host}:{self._port}{self.base_path}"

    @property
    def port(self) -> int:
        return self._port

    # -- state, faults, counters ----------------------------------------------------------
    @property
    def state(self) -> ZohoState:
        return self._state

    def set_state(self, state: ZohoState) -> None:
        """Serve ``state`` from the next request on (a request in flight keeps the old one)."""
        with self._lock:
            self._state = state

    def add_fault(self, path_regex: str, kind: str, times: int | None = 1, *,
                  method: str | None = None, **opts: Any) -> Fault:
        """Make requests whose path matches ``path_regex`` (``re.search``) misbehave.

        Faults are checked in the order added; the first armed match fires. They apply to the
        token call too (path ``/oauth/v2/token``).

        Args:
            path_regex: matched against the path without the query string.
            kind: one of
                ``"error"`` (opts ``code``, ``status`` (default per code), ``message``,
                ``summary``, ``shape`` "v2" or "v1", ``retry_after`` seconds);
                ``"http"`` (opts ``status`` default 503, ``body``): a bare HTTP error page;
                ``"latency"`` (opt ``seconds`` default 0.5): delay, then answer normally;
                ``"timeout"`` (opt ``seconds`` default 5): sleep past the client's timeout,
                then answer normally to nobody;
                ``"drop"``: close the connection without answering;
                ``"malformed"`` (opt ``status`` default 200): a truncated JSON body;
                ``"expired_token"``: invalidate the presented token and answer 401 8535;
                ``"job_fail"`` / ``"job_stuck"``: the next export job created on a matching path
                ends in 1003 / never leaves 1002;
                ``"job_lost"``: the next poll of a matching job answers 1005 (job gone).
            times: how many requests it hits; None = forever.
            method: only this HTTP method (default any).

        Returns:
            The :class:`Fault`; its ``fired`` attribute counts hits.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if kind == "error" and "code" not in opts:
            raise ValueError("an 'error' fault needs code=<Zoho error code>")
        fault = Fault(re.compile(path_regex), kind, times, method, dict(opts))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def invalidate_tokens(self) -> None:
        """Forget every access token, as if all had expired (the next call answers 8535)."""
        with self._lock:
            self._tokens.clear()

    def reset_limits(self) -> None:
        """Empty the frequency windows, the unit counter and the token throttle."""
        with self._lock:
            for window in self._windows.values():
                window.clear()
            self._units = 0.0
            self._units_day_start = None
            self._token_times.clear()
            self._token_blocked_until = 0.0

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = {
                "requests": Counter(),  # "GET /restapi/v2/workspaces/{ws}/admins" -> n
                "errors": Counter(),  # Zoho error code -> n (answers the simulator gave)
                "token_requests": 0, "tokens_issued": 0, "token_denied": 0, "token_errors": 0,
                "rate_limited": 0,  # 6045 answers, from the limits (not from faults)
                "units_exceeded": 0,  # 6043 answers
                "units_used": 0.0,
                "jobs_created": 0, "job_limit_hits": 0,
                "faults_fired": 0,
                "max_in_flight": 0,  # most requests being served at once
            }

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters (see :meth:`reset_stats` for the keys)."""
        with self._lock:
            snap = dict(self._stats)
            snap["requests"] = dict(self._stats["requests"])
            snap["errors"] = dict(self._stats["errors"])
            snap["requests_total"] = sum(self._stats["requests"].values())
            snap["active_tokens"] = len(self._tokens)
            return snap

    # -- request plumbing -----------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw_body = handler.rfile.read(length) if length > 0 else b""
        form: dict[str, list[str]] = {}
        if "x-www-form-urlencoded" in (handler.headers.get("Content-Type") or ""):
            form = parse_qs(raw_body.decode("utf-8", "replace"), keep_blank_values=True)
        path = parts.path
        if self.base_path:
            # outside the mount point nothing is served (the 404 comes from _dispatch)
            path = (path[len(self.base_path):] if path.startswith(self.base_path + "/")
                    else "/outside-base-path" + path)
        req = _Request(handler.command, path, parse_qs(parts.query, keep_blank_values=True),
                       form, handler.headers)

        with self._lock:
            self._in_flight += 1
            self._stats["max_in_flight"] = max(self._stats["max_in_flight"], self._in_flight)
        try:
            fault = self._take_fault(req.method, req.path, exclude=_JOB_FAULTS)
            if fault is not None:
                response = self._apply_fault(handler, req, fault)
                if response is None:
                    return  # the connection was dropped on purpose
            else:
                response = self._dispatch(req)
        finally:
            with self._lock:
                self._in_flight -= 1
        self._send(handler, response)

    def _send(self, handler: _Handler, response: _Response) -> None:
        try:
            handler.send_response(response.status)
            if response.content_type:  # a 204 has no body to describe
                handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(response.body)))
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            handler.close_connection = True  # the client gave up (timeout faults)

    def _take_fault(self, method: str, path: str, *, only: frozenset[str] | None = None,
                    exclude: frozenset[str] = frozenset()) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind in exclude or (only is not None and fault.kind not in only):
                    continue
                if fault.matches(method, path):
                    fault.fired += 1
                    self._stats["faults_fired"] += 1
                    return fault
        return None

    def _apply_fault(self, handler: _Handler, req: _Request, fault: Fault) -> _Response | None:
        opts = fault.opts
        kind = fault.kind
        if kind == "error":
            code = int(opts["code"])
            status = int(opts.get("status", _STATUS_FOR_CODE.get(code, 400)))
            message = opts.get("message") or _ERRORS.get(code, ("", f"Error {code}"))[1]
            headers = {}
            if opts.get("retry_after") is not None:
                headers["Retry-After"] = str(opts["retry_after"])
            with self._lock:
                self._stats["errors"][code] += 1
            if opts.get("shape", "v2") == "v1":
                response = _v1_error(code, message, req.path, status)
                response.headers.update(headers)
                return response
            return _error(code, message, status=status, summary=opts.get("summary"),
                          headers=headers)
        if kind == "http":
            status = int(opts.get("status", 503))
            body = str(opts.get("body", f"<html><body>HTTP {status}</body></html>"))
            return _Response(status, body.encode("utf-8"), "text/html;charset=UTF-8")
        if kind == "latency":
            time.sleep(float(opts.get("seconds", 0.5)))
            return self._dispatch(req)
        if kind == "timeout":
            time.sleep(float(opts.get("seconds", 5.0)))
            return self._dispatch(req)
        if kind == "drop":
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return None
        if kind == "malformed":
            return _Response(int(opts.get("status", 200)),
                             b'{"status":"success","summary":"Get users","data":{"us')
        if kind == "expired_token":
            token = self._presented_token(req)
            with self._lock:
                if token:
                    self._tokens.pop(token, None)
                self._stats["errors"][8535] += 1
            return _error(8535)
        raise AssertionError(kind)  # job faults never reach here

    def _dispatch(self, req: _Request) -> _Response:
        if req.path.rstrip("/") == "/oauth/v2/token":
            with self._lock:
                self._stats["requests"]["POST /oauth/v2/token"] += 1
            if req.method != "POST":
                return _json(405, {"error": "invalid_request"})
            return self._token_call(req)
        try:
            if not req.path.startswith("/restapi/v2/"):
                raise _fail(CODE_UNKNOWN_URL)
            self._authenticate(req)
            route, match = self._match(req)
            with self._lock:
                self._stats["requests"][route.template] += 1
            self._admit(route)
            state = self._state  # one state for the whole request
            self._check_org(req, route, match, state)
            return getattr(self, route.handler)(req, match, state)
        except _Fail as failure:
            response = failure.response
            try:
                code = json.loads(response.body)["data"]["errorCode"]
                with self._lock:
                    self._stats["errors"][code] += 1
            except (ValueError, KeyError, TypeError):
                pass
            return response
        except Exception:  # a simulator bug: answer like Zoho's internal error, keep serving
            log.exception("Zoho simulator: error while serving %s %s", req.method, req.path)
            with self._lock:
                self._stats["errors"][7005] += 1
            return _error(7005)

    # -- OAuth ----------------------------------------------------------------------------
    def _token_call(self, req: _Request) -> _Response:
        """POST /oauth/v2/token: the refresh-token grant (§2.1). Errors come with HTTP 200."""
        where = self.token_params
        client_id = req.param("client_id", where)
        client_secret = req.param("client_secret", where)
        basic = req.headers.get("Authorization") or ""
        if basic.startswith("Basic ") and client_id is None:  # D15: client credentials in Basic
            try:
                client_id, _, client_secret = (
                    base64.b64decode(basic[6:]).decode("utf-8").partition(":"))
            except (ValueError, UnicodeDecodeError):
                pass
        now = time.monotonic()
        with self._lock:
            self._stats["token_requests"] += 1
            if req.param("grant_type", where) != "refresh_token":
                self._stats["token_errors"] += 1
                return _json(200, {"error": "unsupported_grant_type"})
            if client_id != self._client_id or client_secret != self._client_secret:
                self._stats["token_errors"] += 1
                return _json(200, {"error": "invalid_client"})
            if req.param("refresh_token", where) != self._refresh_token:
                self._stats["token_errors"] += 1
                return _json(200, {"error": "invalid_code"})
            limits = self.limits
            if limits.enabled:
                while self._token_times and self._token_times[0] <= now - limits.token_window_s:
                    self._token_times.popleft()
                if now < self._token_blocked_until or (
                        len(self._token_times) >= limits.tokens_per_window):
                    if now >= self._token_blocked_until:  # Zoho blocks for the next 10 minutes
                        self._token_blocked_until = now + limits.token_window_s
                    self._stats["token_denied"] += 1
                    return _json(200, {
                        "error_description": "You have made too many requests continuously. "
                                             "Please try again after some time.",
                        "error": "Access Denied", "status": "failure"})
            token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
            self._token_times.append(now)
            self._tokens[token] = now + limits.token_ttl_s
            while len(self._tokens) > limits.max_active_tokens:  # the oldest is invalidated
                self._tokens.pop(next(iter(self._tokens)))
            self._stats["tokens_issued"] += 1
        ttl = int(limits.token_ttl_s)
        body: dict[str, Any] = {"access_token": token, "api_domain": self.api_domain,
                                "token_type": "Bearer"}
        if self.legacy_expires_in:
            body.update(expires_in_sec=ttl, expires_in=ttl * 1000)
        else:
            body["expires_in"] = ttl
        return _json(200, body)

    @staticmethod
    def _presented_token(req: _Request) -> str | None:
        header = req.headers.get("Authorization") or ""
        prefix = "Zoho-oauthtoken "
        return header[len(prefix):].strip() if header.startswith(prefix) else None

    def _authenticate(self, req: _Request) -> None:
        token = self._presented_token(req)
        if not token:  # no header, or a Bearer one: Zoho accepts only Zoho-oauthtoken
            raise _fail(8518)
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is None or expiry <= time.monotonic():
                self._tokens.pop(token, None)
                raise _fail(8535)

    # -- routing, limits, organisation ----------------------------------------------------
    @staticmethod
    def _match(req: _Request) -> tuple[_Route, re.Match[str]]:
        path_matched = False
        for route in _ROUTES:
            match = route.regex.match(req.path)
            if match:
                if route.method == req.method:
                    return route, match
                path_matched = True
        if path_matched:
            raise _fail(CODE_UNKNOWN_URL, f"Method {req.method} is not supported on this path",
                        status=405)
        raise _fail(CODE_UNKNOWN_URL)

    def _admit(self, route: _Route) -> None:
        """Apply the per-minute frequency limits and the daily units (§7)."""
        limits = self.limits
        if not limits.enabled:
            with self._lock:
                self._units += 1
                self._stats["units_used"] = self._units
            return
        now = time.monotonic()
        with self._lock:
            windows = (("overall", limits.overall_per_minute),
                       (route.bucket, limits.bulk_per_minute if route.bucket == "bulk"
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
                    raise _fail(6045, status=limits.rate_limit_status, headers=headers)
            if self._units_day_start is None or now - self._units_day_start >= limits.day_s:
                self._units_day_start = now
                self._units = 0.0
            if self._units + 1 > limits.daily_units:
                self._stats["units_exceeded"] += 1
                raise _fail(6043)
            for name, _ in windows:
                self._windows[name].append(now)
            self._units += 1
            self._stats["units_used"] = self._units

    def _charge_units(self, units: float) -> None:
        with self._lock:
            self._units += units
            self._stats["units_used"] = self._units

    def _check_org(self, req: _Request, route: _Route, match: re.Match[str],
                   state: ZohoState) -> None:
        if not route.org_required:
            return
        org = (req.headers.get("ZANALYTICS-ORGID") or "").strip()
        if not org:
            raise _fail(8083)
        ws_id = match.groupdict().get("ws")
        if ws_id is not None:
            if self._workspace(state, ws_id) is None:
                raise _fail(7103)
            if org != state.org_id:
                raise _fail(7387)
        elif org != state.org_id:
            raise _fail(7389)

    @property
    def _numbers(self) -> bool:
        return "numbers_as_numbers" in self.quirks

    def _status(self, active: bool) -> bool | str:
        """A user's ``status``: a JSON boolean (S1), or a string with ``booleans_as_strings``."""
        if "booleans_as_strings" in self.quirks:
            return "true" if active else "false"
        return bool(active)

    @staticmethod
    def _workspace(state: ZohoState, ws_id: str) -> SimWorkspace | None:
        for ws in state.workspaces:
            if ws.workspace_id == ws_id:
                return ws
        return None

    @staticmethod
    def _config(req: _Request, *, required: bool) -> dict[str, Any]:
        """CONFIG from the query string or the form body: URL-encoded JSON (§3)."""
        raw = req.param("CONFIG")
        if raw is None or not raw.strip():
            if required:
                raise _fail(8504)
            return {}
        try:
            config = json.loads(raw)
        except ValueError:
            raise _fail(8504) from None
        if not isinstance(config, dict):
            raise _fail(8504)
        return config

    # -- metadata and user management -----------------------------------------------------
    def _get_orgs(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        return _ok("Get organizations", {"orgs": [{
            "orgId": state.org_id, "orgName": state.org_name, "orgDesc": "",
            "createdBy": state.owner_email, "createdByZuId": "671546307",
            "planName": state.plan_name, "isDefault": True,
            ("numberOfWorkspaces" if "camel_workspace_count" in self.quirks
             else "numberOfworkspaces"): sum(1 for w in state.workspaces if w.owned),
            "role": "Account Admin"}]})

    def _get_workspaces(self, req: _Request, match: re.Match[str],
                        state: ZohoState) -> _Response:
        return _ok("Get all workspaces", {
            "ownedWorkspaces": self._summaries(state, owned=True),
            "sharedWorkspaces": self._summaries(state, owned=False)})

    def _get_owned(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        return _ok("Get owned workspaces", {"workspaces": self._summaries(state, owned=True)})

    def _get_shared(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        return _ok("Get shared workspaces", {"workspaces": self._summaries(state, owned=False)})

    def _summaries(self, state: ZohoState, *, owned: bool) -> list[dict[str, Any]]:
        return [_summary(w, state.org_id, self._numbers) for w in state.workspaces
                if w.owned == owned]

    def _get_workspace(self, req: _Request, match: re.Match[str],
                       state: ZohoState) -> _Response:
        ws = self._workspace(state, match["ws"])
        summary = _summary(ws, state.org_id, self._numbers)
        summary.pop("isDefault")
        return _ok("Get workspace details", {"workspaces": summary})  # an object, not a list

    def _get_admins(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        self._config(req, required=False)  # accepts (and ignores) domainName
        ws = self._workspace(state, match["ws"])
        if ws.admins and "workspace_admins_objects" in self.quirks:
            data: dict[str, Any] = {"workspaceAdmins": [{"emailId": a} for a in ws.admins]}
        elif ws.admins:
            data = {"workspaceAdmins": [{"adminMembers": list(ws.admins)}]}
        elif "empty_as_204" in self.quirks:
            return _Response(204, b"", "")
        elif self.empty_admins_shape == "members":
            data = {"workspaceAdmins": [{"adminMembers": []}]}
        elif self.empty_admins_shape == "missing":
            data = {}
        else:
            data = {"workspaceAdmins": []}
        return _ok("Get workspace admins", data)

    def _get_workspace_users(self, req: _Request, match: re.Match[str],
                             state: ZohoState) -> _Response:
        self._config(req, required=False)
        ws = self._workspace(state, match["ws"])
        if not ws.users and "empty_as_204" in self.quirks:
            return _Response(204, b"", "")
        return _ok("Get workspace users", {"users": [
            {"emailId": email, "status": self._status(active), "role": role}
            for email, role, active in ws.users]})

    def _get_views(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        ws = self._workspace(state, match["ws"])
        views = list(ws.views)
        if ws.name == self.audit_workspace and not any(v[1] == ACCESS_LOG_TABLE for v in views):
            # Zoho creates the Access Log table when auditing is switched on (§9)
            view_id = (str(int(ws.workspace_id) + 900_001) if ws.workspace_id.isdigit()
                       else ws.workspace_id + "1")
            views.append((view_id, ACCESS_LOG_TABLE, "Table"))
        return _ok("Get views", {"views": [
            {"viewId": vid, "viewName": name, "viewDesc": "", "viewType": vtype,
             "folderId": "", "folderName": "", "createdBy": ws.created_by,
             "createdTime": _ms(ws.created_ms)} for vid, name, vtype in views]})

    def _get_users(self, req: _Request, match: re.Match[str], state: ZohoState) -> _Response:
        self._config(req, required=False)
        return _ok("Get users", {"users": [
            {"emailId": u.email, "status": self._status(u.active), "role": u.role}
            for u in state.users]})

    def _get_resources(self, req: _Request, match: re.Match[str],
                       state: ZohoState) -> _Response:
        ro_used = sum(1 for u in state.users if u.active and u.role == "Viewer")

        def usage(allocated: int, used: int) -> dict[str, Any]:
            values = {"allocated": allocated, "used": used,
                      "remaining": max(allocated - used, 0)}
            if "numbers_as_numbers" not in self.quirks:  # Zoho's examples: strings (S1)
                values = {k: str(v) for k, v in values.items()}
            return {**values, "remarks": ""}

        return _ok("Get resource details", {"resourceDetails": [
            {"resourceName": "users",
             "resourceUsage": usage(state.seats_allocated, state.seats_used)},
            {"resourceName": "roUsers",
             "resourceUsage": usage(state.ro_seats_allocated, ro_used)}]})

    def _get_subscription(self, req: _Request, match: re.Match[str],
                          state: ZohoState) -> _Response:
        return _ok("Get subscription details", {"subscription": {
            "planName": state.plan_name, "addOns": state.add_ons, "billingDate": " - ",
            "trialStatus": False}})

    def _get_orgadmins(self, req: _Request, match: re.Match[str],
                       state: ZohoState) -> _Response:
        return _ok("Get org admins", {"orgAdmins": [
            u.email for u in state.users if u.role == "Organization Admin"]})

    # -- bulk export ----------------------------------------------------------------------
    def _create_export(self, req: _Request, match: re.Match[str],
                       state: ZohoState) -> _Response:
        config = self._config(req, required=True)
        sql = config.get("sqlQuery")
        if not isinstance(sql, str) or not sql.strip():
            raise _fail(8079, "The attribute sqlQuery is missing in the CONFIG JSON")
        fmt = config.get("responseFormat")
        if fmt is None:
            raise _fail(8079, "The attribute responseFormat is missing in the CONFIG JSON")
        if fmt != "csv":
            raise _fail(8516, f"responseFormat {fmt!r} is not supported by the simulator "
                              f"(only csv)")
        ws = self._workspace(state, match["ws"])
        columns, rows = self._run_sql(state, ws, sql)
        csv_config = dict(config, delimiter=2) if "csv_semicolon" in self.quirks else config
        csv_bytes = _to_csv(columns, rows, csv_config, bom="octet_stream" not in self.quirks)
        now = time.monotonic()
        limits = self.limits
        with self._lock:
            if limits.enabled:
                running = sum(1 for job in self._jobs.values() if job.running(now))
                if running >= limits.max_concurrent_jobs:
                    self._stats["job_limit_hits"] += 1
                    raise _fail(CODE_EXPORT_JOB_LIMIT)
            self._job_seq += 1
            job_id = str(1767024000008787000 + self._job_seq)
        fault = self._take_fault(req.method, req.path, only=frozenset({"job_fail", "job_stuck"}))
        outcome = {"job_fail": "fail", "job_stuck": "stuck"}.get(fault.kind if fault else "", "ok")
        job = _Job(job_id, ws.workspace_id, now, time.time(), limits.job_seconds,
                   limits.job_expiry_s, outcome, csv_bytes)
        with self._lock:
            self._jobs[job_id] = job
            self._stats["jobs_created"] += 1
        self._charge_units(3 * math.ceil(len(rows) / 1000))  # §7: 3 units per 1000 rows
        return _ok("Create bulk export job", {"jobId": job_id})

    def _run_sql(self, state: ZohoState, ws: SimWorkspace,
                 sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql`` against the workspace's tables in a throw-away sqlite3 database."""
        if not re.match(r"\s*(select|with)\b", sql, re.IGNORECASE):
            raise _fail(CODE_SQL_ERROR, "Parsing of SQL query failed: only SELECT is allowed")
        db = sqlite3.connect(":memory:")
        try:
            for table, (columns, rows) in self._tables(state, ws).items():
                cols = ", ".join(_quote(c) + " TEXT" for c in columns)
                db.execute(f"CREATE TABLE {_quote(table)} ({cols})")
                marks = ", ".join("?" for _ in columns)
                db.executemany(f"INSERT INTO {_quote(table)} VALUES ({marks})", rows)
            db.execute("PRAGMA query_only = ON")
            _check_identifiers(sql, self._tables(state, ws))
            try:
                cursor = db.execute(sql)
                rows = cursor.fetchall()
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise _fail(CODE_SQL_ERROR, f"Parsing of SQL query failed: {exc}") from None
            columns = [d[0] for d in cursor.description or ()]
            return columns, rows
        finally:
            db.close()

    def _tables(self, state: ZohoState,
                ws: SimWorkspace) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
        """The workspace's tables: the Access Log in the audit workspace, plus any given in
        ``state.extra["tables"][workspace_id] = {name: (columns, rows)}``."""
        tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
        if ws.name == self.audit_workspace:
            tables[ACCESS_LOG_TABLE] = (ACCESS_LOG_COLUMNS, [_access_row(r)
                                                             for r in state.access_log])
        for name, (columns, rows) in state.extra.get("tables", {}).get(ws.workspace_id,
                                                                        {}).items():
            tables[name] = (tuple(columns), [tuple(r) for r in rows])
        return tables

    def _get_export_job(self, req: _Request, match: re.Match[str],
                        state: ZohoState) -> _Response:
        job_id = match["job"]
        now = time.monotonic()
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.workspace_id != match["ws"]:
                job = None
        if job is not None and self._take_fault(req.method, req.path,
                                                only=frozenset({"job_lost"})):
            job.lost = True
        if job is None or job.code(now) == "1005":
            return _ok("Fetch export job info", self._job_codes(
                {"jobId": job_id, "jobCode": "1005", "jobStatus": JOB_STATUS["1005"]}))
        code = job.code(now)
        data: dict[str, Any] = {"jobId": job_id, "jobCode": code, "jobStatus": JOB_STATUS[code]}
        if code == "1004":
            base = self.download_url_base or self.url
            data["downloadUrl"] = (f"{base}/restapi/v2/bulk/workspaces/{job.workspace_id}"
                                   f"/exportjobs/{job_id}/data")
            data["expiryTime"] = job.expiry_ms if self._numbers else _ms(job.expiry_ms)
        return _ok("Fetch export job info", self._job_codes(data))

    def _job_codes(self, data: dict[str, Any]) -> dict[str, Any]:
        """``jobCode`` as the quirks want it: a string (S1), a number, or absent."""
        if "no_job_code" in self.quirks:
            data.pop("jobCode")
        elif "job_code_numeric" in self.quirks:
            data["jobCode"] = int(data["jobCode"])
        return data

    def _download_export(self, req: _Request, match: re.Match[str],
                         state: ZohoState) -> _Response:
        with self._lock:
            job = self._jobs.get(match["job"])
        if job is None or job.workspace_id != match["ws"]:
            raise _fail(CODE_EXPORT_EXPIRED)
        code = job.code(time.monotonic())
        if code == "1005":
            raise _fail(CODE_EXPORT_EXPIRED)
        if code != "1004":
            raise _fail(CODE_EXPORT_NOT_READY,
                        f"The export job is not completed (jobCode {code}, {JOB_STATUS[code]})")
        ctype = ("application/octet-stream" if "octet_stream" in self.quirks
                 else "text/csv;charset=UTF-8")
        return _Response(200, job.csv_bytes, ctype,
                         {"Content-Disposition": f'attachment; filename="{job.job_id}.csv"'})


def _check_identifiers(sql: str, tables: dict[str, tuple[tuple[str, ...], list[Any]]]) -> None:
    """Reject double-quoted names that are neither a table, a column nor an alias.

    sqlite reads an unknown ``"name"`` as the string 'name' (a legacy quirk that Python 3.11
    cannot switch off), so a misspelt column would silently export a constant. Zoho's SQL treats
    double quotes as identifiers and fails; so does the simulator.
    """
    known = {t.lower() for t in tables}
    known |= {c.lower() for columns, _ in tables.values() for c in columns}
    text = re.sub(r"'(?:[^']|'')*'", "''", sql)  # string literals may hold anything
    name = r'"((?:[^"]|"")*)"'
    known |= {a.replace('""', '"').lower()
              for a in re.findall(r"\bAS\s+" + name, text, re.IGNORECASE)}
    known |= {a.replace('""', '"').lower()
              for a in re.findall(name + r"\s+AS\s*\(", text, re.IGNORECASE)}  # CTE names
    known |= {a.replace('""', '"').lower()  # quoted table aliases: FROM "t" "x"
              for _, a in re.findall(name + r"\s+" + name, text)}
    for ident in re.findall(name, text):
        ident = ident.replace('""', '"')
        if ident.lower() not in known:
            raise _fail(CODE_SQL_ERROR, f"Parsing of SQL query failed: no such column or table: "
                                        f"{ident}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _access_row(row: AccessRow) -> tuple[str, ...]:
    at = row.accessed_at
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc)
    return (at.strftime(ACCESSED_TIME_FORMAT), row.accessed_by, row.workspace_name,
            row.view_name, row.view_type, row.ip_address, row.user_agent)


def _to_csv(columns: list[str], rows: list[tuple[Any, ...]], config: dict[str, Any], *,
            bom: bool = True) -> bytes:
    """Rows as Zoho's CSV export: UTF-8 with a BOM, honouring the CSV options of §5.1."""
    delimiter = {0: ",", 1: "\t", 2: ";", 3: " "}.get(config.get("delimiter", 0), ",")
    line_end = {0: "\r\n", 1: "\n", 2: "\r"}.get(config.get("recordDelimiter", 0), "\r\n")
    quote = "'" if config.get("quoted", 1) == 0 else '"'
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end, quotechar=quote)
    if config.get("includeHeader", True):
        writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


# -- a small built-in state for the CLI and quick experiments -------------------------------------

def sample_state(as_of: datetime | None = None) -> ZohoState:
    """A tiny organisation: three client workspaces, the audit workspace and a few users."""
    as_of = as_of or datetime.now(timezone.utc).replace(microsecond=0)
    owner = "bi@reseller.example"
    base_ms = 1_700_000_000_000

    def ws(n: int, name: str, admins: tuple[str, ...], users: tuple[tuple[str, str, bool], ...],
           owned: bool = True) -> SimWorkspace:
        return SimWorkspace(str(1767024000000060000 + n), name, base_ms + n * 86_400_000, owner,
                            admins, ((owner, "Account Admin", True),) + users,
                            ((str(1767024000000070000 + n), "Dashboard", "Dashboard"),), owned)

    workspaces = (
        ws(1, "1001 - ACME Ltda", ("ana@acme.example",),
           (("ana@acme.example", "Workspace Admin", True),)),
        ws(2, "1002 - Globex SA", (), (("bob@globex.example", "Workspace Admin", True),)),
        ws(3, "1003 - Initech", ("carla@initech.example",),
           (("carla@initech.example", "Workspace Admin", False),), owned=False),
        ws(4, AUDIT_WORKSPACE, (), ()),
    )
    users = (SimUser(owner, True, "Organization Admin"), SimUser("ana@acme.example", True),
             SimUser("bob@globex.example", True), SimUser("carla@initech.example", False),
             SimUser("viewer@acme.example", True, "Viewer"))
    access = (AccessRow(as_of - timedelta(days=1, hours=2), "ana@acme.example", "1001 - ACME Ltda"),
              AccessRow(as_of - timedelta(hours=3), "ana@acme.example", "1001 - ACME Ltda"),
              AccessRow(as_of - timedelta(days=45), "bob@globex.example", "1002 - Globex SA"))
    return ZohoState(org_id="671712892", org_name="reseller", as_of=as_of, owner_email=owner,
                     workspaces=workspaces, users=users, seats_allocated=70, access_log=access)


def main(argv: list[str] | None = None) -> int:
    """``python -m seatlib.sim.server``: serve :func:`sample_state` until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m seatlib.sim.server",
                                     description="Local Zoho Analytics API v2 simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--client-id", default="sim-client-id")
    parser.add_argument("--client-secret", default="sim-client-secret")
    parser.add_argument("--refresh-token", default="sim-refresh-token")
    parser.add_argument("--no-limits", action="store_true", help="switch the API limits off")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sim = ZohoSimulator(client_id=args.client_id, client_secret=args.client_secret,
                        refresh_token=args.refresh_token, host=args.host, port=args.port,
                        limits=SimLimits(enabled=not args.no_limits))
    with sim:
        org = sim.state.org_id
        print(f"Zoho Analytics simulator on {sim.url} (org {org}). Try:\n"
              f"  TOKEN=$(curl -s -X POST '{sim.url}/oauth/v2/token' -d grant_type=refresh_token "
              f"-d client_id={args.client_id} -d client_secret={args.client_secret} "
              f"-d refresh_token={args.refresh_token} | python -c "
              f"'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
              f"  curl -s {sim.url}/restapi/v2/workspaces -H \"Authorization: Zoho-oauthtoken "
              f"$TOKEN\" -H 'ZANALYTICS-ORGID: {org}'\n"
              f"Ctrl-C stops it.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
