"""A real HTTP server on 127.0.0.1 speaking Zoho Analytics API v2 and Zoho Accounts' token call.

The demo and the tests point :class:`seatlib.systems.zoho.ZohoClient` at it instead of Zoho. It
follows ``docs/zoho-api-notes.md`` (section numbers below refer to it): the JSON shapes of
§3-§5, the OAuth quirks of §2, the error envelope of §6 and the limits of §7. It serves whatever
:class:`~seatlib.sim.state.ZohoState` it holds; :meth:`ZohoSimulator.set_state` swaps it.

Served paths (one host serves both the accounts and the API paths)::

    POST /oauth/v2/token                                   refresh_token grant (query or form)
    GET  /restapi/v2/orgs                                  (no ZANALYTICS-ORGID needed)
    GET  /restapi/v2/workspaces | /owned | /shared | /{ws}
    GET  /restapi/v2/workspaces/{ws}/admins | /{ws}/users | /{ws}/views
    GET  /restapi/v2/workspaces/{ws}/views/{view}/metadata   (the Access Log's columns)
    GET  /restapi/v2/users | /resources | /subscription | /orgadmins
    GET  /restapi/v2/bulk/workspaces/{ws}/data?CONFIG={"sqlQuery":..,"responseFormat":"csv"}
    GET  /restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}
    GET  /restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}/data
    PUT  /restapi/v2/users/inactive | /users/active, DELETE /restapi/v2/users  (seatlib.sim.users)

Choices where Zoho's docs are silent (the client must cope with them; keep them in sync with
``seatlib.systems.zoho``):

* ``GET /workspaces/{ws}/admins`` for a workspace without admins answers
  ``{"workspaceAdmins": []}`` (switchable with ``empty_admins_shape``: ``"members"`` gives
  ``[{"adminMembers": []}]``, ``"missing"`` gives ``{}``).
* Bulk SQL export: the audit workspace (name :data:`AUDIT_WORKSPACE`) holds the table
  :data:`ACCESS_LOG_TABLE` with the columns :data:`ACCESS_LOG_COLUMNS`; "Accessed Time" is stored
  sortable in UTC and every answer shows it in the table's declared ``dateFormat``
  (``ZohoState.access_time_format``, served by ``GET /workspaces/{ws}/views/{view}/metadata``).
  The query runs in sqlite3 (double-quoted identifiers work; an unknown double-quoted name is an
  error, as in Zoho, not sqlite's string literal). The result keeps at most
  ``SimLimits.export_row_limit`` rows (Zoho: 800,000), cut without an error (§5.3). The CSV
  starts with a UTF-8 BOM, uses ``\\r\\n`` line ends and has a header row.
* Zoho's documented codes (§5.2, §5.3, §6.3): 7401 (not a SELECT), 7403 (parsing failed: syntax,
  unknown names), 7404 (parsed but not convertible for the engine: e.g. an unknown function),
  8132 (HTTP 400, five export jobs already run), 8120 (HTTP 404, download of an unknown or
  expired job), 8121 / 8122 / 8123 (download before the job started / finished, or of a failed
  one), 8080 (CONFIG sent to a call that takes none, e.g. ``domainName`` on ``GET /users``),
  8535 (HTTP 401) for a token lacking the call's scope (``scopes``). Invented here, where Zoho
  documents nothing: :data:`CODE_UNKNOWN_URL` 9404 (HTTP 404, no such path).
* Another organisation's workspace (``SimWorkspace.org_id``) is listed by ``GET /workspaces``
  with its ``orgId``; under this organisation's header its ``/admins`` and ``/users`` answer 7301
  and its other paths 7103. With ``ZohoState.client_portal`` every user carries ``domainName``
  (:data:`STANDARD_DOMAIN` or its ``SimUser.domain``) and ``/admins`` answers one group per
  domain, each with its ``domainName`` (§4). A user the state lists twice (two domains) is
  listed twice by ``GET /users``, each listing with its own ``domainName``, and counted once in
  ``/resources`` (UNVERIFIED: Zoho documents neither; see :mod:`seatlib.sim.users`).
* A missing ``ZANALYTICS-ORGID`` gives 8083 on every ``/restapi`` path except ``/orgs``. A wrong
  one gives 7387 on workspace paths (the workspace belongs to another organisation) and 7389
  ("organisation does not exist") on organisation paths.
* Status codes: 401 for 8535/8518, 429 for 6045 (configurable), 404 for 8120, 400 for everything
  else, including 6043 and 7103.
* Each processed call costs 1 API unit; an export job adds 3 units per started 1000 rows (§7).
  Calls under ``/bulk/`` count against the BULK per-minute bucket, every other call against
  METADATA; all against OVERALL. The windows slide over the last (scaled) minute; calls refused
  with 6045 do not count.
* Export jobs: the SQL runs when the job is created (so SQL errors come back from the create
  call, and the file holds the state of that moment). Polls answer 1001 for the first quarter of
  ``job_seconds``, then 1002, then 1004 with ``downloadUrl`` and ``expiryTime`` (+``job_expiry_s``);
  after expiry polls answer 1005 and downloads 8120. An unknown job id polls as 1005.
* A bug inside the simulator answers 7005 (HTTP 500) and is logged, like Zoho's internal error.

Other servers written from the same documentation may choose differently where it leaves room;
``quirks`` (see :data:`QUIRKS`), ``token_params``, ``base_path`` and ``download_url_base`` make the
simulator answer like them, so the client's tolerance is tested over HTTP too.

Run ``python -m seatlib.sim.server --port 8899`` for a server with a small built-in state to curl.
"""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core import log as seatlog
from .auth import Accounts
from .export import Exports
from .faults import FAULT_KINDS, JOB_FAULTS, Fault, Faults
from .handlers import Handlers, check_org, match_route
from .limits import Admission, SimLimits
from .protocol import (
    ACCESS_LOG_COLUMNS, ACCESS_LOG_TABLE, ACCESSED_TIME_FORMAT, AUDIT_WORKSPACE,
    CODE_EXPORT_JOB_NOT_FOUND, CODE_EXPORT_LIMIT, CODE_EXPORT_NOT_READY, CODE_INVALID_CONFIG,
    CODE_SQL_CONVERSION, CODE_SQL_ERROR, CODE_SQL_NOT_ALLOWED, CODE_UNKNOWN_URL, JOB_STATUS,
    QUIRKS, STANDARD_DOMAIN, Fail, Options, Request, Response, error, fail, json_response,
)
from .state import AccessRow, SimUser, SimWorkspace, ZohoState
from .users import SimUserAdmin

__all__ = [
    "ACCESS_LOG_COLUMNS", "ACCESS_LOG_TABLE", "ACCESSED_TIME_FORMAT", "AUDIT_WORKSPACE",
    "CODE_EXPORT_JOB_NOT_FOUND", "CODE_EXPORT_LIMIT", "CODE_EXPORT_NOT_READY",
    "CODE_INVALID_CONFIG", "CODE_SQL_CONVERSION", "CODE_SQL_ERROR", "CODE_SQL_NOT_ALLOWED",
    "CODE_UNKNOWN_URL", "FAULT_KINDS", "STANDARD_DOMAIN", "JOB_STATUS", "QUIRKS", "Fault", "SimLimits",
    "ZohoSimulator", "main", "sample_state",
]

log = logging.getLogger(__name__)


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
        token_params: where the token call reads its parameters: ``"both"`` (Zoho, §2.1),
            ``"query"`` or ``"form"`` only.
        base_path: serve everything under this path (``"/zoho"``: ``/zoho/restapi/v2/...``),
            like a stand-in behind a proxy; other paths answer 404.
        download_url_base: what ``downloadUrl`` of a finished export job starts with (default
            the simulator's own URL; e.g. ``"https://analyticsapi.zoho.com"`` as in the docs).
        scopes: the OAuth scopes the refresh token was generated with (default all); a call
            needing another answers 8535, HTTP 401, as Zoho does (§2.4).
    """

    def __init__(self, state: ZohoState | None = None, *, client_id: str, client_secret: str,
                 refresh_token: str, host: str = "127.0.0.1", port: int = 0,
                 limits: SimLimits | None = None, empty_admins_shape: str = "list",
                 legacy_expires_in: bool = False, audit_workspace: str = AUDIT_WORKSPACE,
                 quirks: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
                 token_params: str = "both", base_path: str = "",
                 download_url_base: str | None = None,
                 scopes: frozenset[str] | set[str] | tuple[str, ...] | None = None):
        _check_switches(empty_admins_shape, quirks, token_params, base_path)
        self._state = state if state is not None else sample_state()
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
        self._in_flight = 0
        self._stats: dict[str, Any] = {}
        self.reset_stats()
        self._accounts = Accounts(self._lock, self._stats, client_id=client_id,
                                  client_secret=client_secret, refresh_token=refresh_token,
                                  scopes=None if scopes is None else frozenset(scopes))
        self._faults = Faults(self._lock, self._stats)
        self._admission = Admission(self._lock, self._stats)
        exports = Exports(self._lock, self._stats, self._faults, self._admission)
        #: user management: its switches (``deactivation_frees_seat``, ``seat_limit_code``),
        #: ``on_change`` and the log of ``calls`` (:mod:`seatlib.sim.users`)
        self.users = SimUserAdmin(self._lock, lambda: self._state, self.set_state)
        self._handlers = Handlers(exports, lambda: self.limits, self.users)

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
                with ``applied=True`` (``timeout``, ``drop``) the request is carried out
                first: a change Zoho made whose answer never arrives;
                ``"malformed"`` (opt ``status`` default 200): a truncated JSON body;
                ``"expired_token"``: invalidate the presented token and answer 401 8535;
                ``"job_fail"`` / ``"job_stuck"``: the next export job created on a matching path
                ends in 1003 / never leaves 1002;
                ``"job_lost"``: the next poll of a matching job answers 1005 (job gone).
            times: how many requests it hits; None = forever.
            method: only this HTTP method (default any).
            opts: besides the kind's own, ``skip=N`` lets the first N matching requests through.

        Returns:
            The :class:`Fault`; its ``fired`` attribute counts hits.
        """
        return self._faults.add(path_regex, kind, times, method, opts)

    def clear_faults(self) -> None:
        self._faults.clear()

    def invalidate_tokens(self) -> None:
        """Forget every access token, as if all had expired (the next call answers 8535)."""
        self._accounts.invalidate()

    def reset_limits(self) -> None:
        """Empty the frequency windows, the unit counter and the token throttle."""
        with self._lock:
            self._admission.reset()
            self._accounts.reset_throttle()

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()  # in place: the collaborators hold this dict
            self._stats.update({
                "requests": Counter(),  # "GET /restapi/v2/workspaces/{ws}/admins" -> n
                "errors": Counter(),  # Zoho error code -> n (answers the simulator gave)
                "token_requests": 0, "tokens_issued": 0, "token_denied": 0, "token_errors": 0,
                "rate_limited": 0,  # 6045 answers, from the limits (not from faults)
                "units_exceeded": 0,  # 6043 answers
                "units_used": 0.0,
                "jobs_created": 0, "job_limit_hits": 0,
                "faults_fired": 0,
                "max_in_flight": 0,  # most requests being served at once
            })

    @property
    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters (see :meth:`reset_stats` for the keys)."""
        with self._lock:
            snap = dict(self._stats)
            snap["requests"] = dict(self._stats["requests"])
            snap["errors"] = dict(self._stats["errors"])
            snap["requests_total"] = sum(self._stats["requests"].values())
            snap["active_tokens"] = self._accounts.active_tokens
            return snap

    # -- request plumbing -----------------------------------------------------------------
    def _serve(self, handler: _Handler) -> None:
        req = self._read_request(handler)
        with self._lock:
            self._in_flight += 1
            self._stats["max_in_flight"] = max(self._stats["max_in_flight"], self._in_flight)
        try:
            fault = self._faults.take(req.method, req.path, exclude=JOB_FAULTS)
            if fault is not None:
                response = self._faults.apply(fault, handler, req, dispatch=self._dispatch,
                                              expire_token=self._accounts.forget)
                if response is None:
                    return  # the connection was dropped on purpose
            else:
                response = self._dispatch(req)
        finally:
            with self._lock:
                self._in_flight -= 1
        _send(handler, response)

    def _read_request(self, handler: _Handler) -> Request:
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
        return Request(handler.command, path, parse_qs(parts.query, keep_blank_values=True),
                       form, handler.headers)

    def _options(self) -> Options:
        """The answer switches as they stand now (they may be changed between requests)."""
        return Options(self.quirks, self.empty_admins_shape, self.audit_workspace,
                       self.download_url_base or self.url)

    def _dispatch(self, req: Request) -> Response:
        if req.path.rstrip("/") == "/oauth/v2/token":
            with self._lock:
                self._stats["requests"]["POST /oauth/v2/token"] += 1
            if req.method != "POST":
                return json_response(405, {"error": "invalid_request"})
            return self._accounts.token_call(req, where=self.token_params, limits=self.limits,
                                             api_domain=self.api_domain,
                                             legacy_expires_in=self.legacy_expires_in)
        try:
            if not req.path.startswith("/restapi/v2/"):
                raise fail(CODE_UNKNOWN_URL)
            self._accounts.authenticate(req)
            route, match = match_route(req)
            with self._lock:
                self._stats["requests"][route.template] += 1
            self._accounts.authorize(route.scope)
            self._admission.admit(route.bucket, self.limits)
            state = self._state  # one state for the whole request
            check_org(req, route, match, state)
            return self._handlers.handle(route, req, match, state, self._options())
        except Fail as failure:
            self._count_error(failure.response)
            return failure.response
        except Exception:  # a simulator bug: answer like Zoho's internal error, keep serving
            log.exception("Zoho simulator: error while serving %s %s", req.method, req.path)
            with self._lock:
                self._stats["errors"][7005] += 1
            return error(7005)

    def _count_error(self, response: Response) -> None:
        try:
            code = json.loads(response.body)["data"]["errorCode"]
            with self._lock:
                self._stats["errors"][code] += 1
        except (ValueError, KeyError, TypeError):
            pass


def _check_switches(empty_admins_shape: str, quirks: Any, token_params: str,
                    base_path: str) -> None:
    if empty_admins_shape not in ("list", "members", "missing"):
        raise ValueError("empty_admins_shape must be 'list', 'members' or 'missing'")
    unknown = set(quirks) - set(QUIRKS)
    if unknown:
        raise ValueError(f"unknown quirk(s) {sorted(unknown)}; known: {sorted(QUIRKS)}")
    if token_params not in ("both", "query", "form"):
        raise ValueError("token_params must be 'both', 'query' or 'form'")
    if base_path and not base_path.startswith("/"):
        raise ValueError("base_path must start with '/'")


def _send(handler: _Handler, response: Response) -> None:
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
    seatlog.setup(stream=sys.stderr)
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
