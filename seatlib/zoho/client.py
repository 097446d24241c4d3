"""The Zoho Analytics API v2 client: the only module that talks to Zoho.

It turns Zoho's JSON into typed records (:class:`Workspace`, :class:`User`, :class:`Resource`,
:class:`Org`) and every failure into :class:`~seatlib.errors.ZohoError` (or
:class:`~seatlib.errors.ZohoAuthError`) naming the call, Zoho's code and message, and what to do.
The rules come from ``/work/shared/zoho-api.md`` (section numbers below refer to it):

* OAuth (§2.1): one access token per process and refresh token, shared by its clients,
  refreshed 5 minutes before it expires, refreshes serialised (single flight). A call answered
  8535 refreshes once and retries; 8535 again on a token of its own means the refresh token was
  revoked or belongs to another data centre. A token answer without
  ``access_token`` is a failure whatever its HTTP status; ``expires_in`` above 100000 is in
  milliseconds (legacy). At most 10 token requests per 10 minutes per refresh token in this
  process: the 11th raises instead of getting the account blocked.
* Requests (§3): ``Authorization: Zoho-oauthtoken ...`` and ``ZANALYTICS-ORGID`` on every
  ``/restapi`` call (not on ``/orgs``); CONFIG as URL-encoded JSON in the query string. With no
  org id configured, ``GET /orgs`` picks the default organisation once.
* Errors (§6): the v2 envelope and the legacy v1 shape are read whatever the HTTP status (6045
  arrives with HTTP 200 too). 6045, 7005, 10001, HTTP 429 and 5xx, timeouts, dropped connections
  and garbled bodies are retried with exponential backoff and full jitter (``Retry-After``
  honoured) within ``retry_budget_s`` per call; 6043 and other 4xx are not.
* Rate (§7): a limiter shared by all threads spaces calls ``60 / calls_per_minute`` seconds apart
  (plus 2 %), so the client stays under Zoho's 60/min METADATA limit instead of meeting 6045.
* Tolerance: where the docs leave room, any reading a server written from them might choose is
  accepted: numbers as strings or JSON numbers, ``status`` as booleans or "true"/"false", HTTP 204
  for an empty list, ``workspaceAdmins`` in several shapes, ``jobCode`` as string, number or
  absent, an export with ``;`` or tab separators or any Content-Type, ``ZOHO_API_URL`` /
  ``ZOHO_ACCOUNTS_URL`` with the documented paths pasted in or mounted under a path, a token
  endpoint reading only the query string. ``downloadUrl`` is never followed to another host.

Secrets and tokens never appear in seatlib's messages or logs. (Only against a token endpoint
that reads its parameters from the query string alone do the OAuth credentials travel in a URL,
as Zoho's own SDK always sends them; urllib3 would show that URL in a DEBUG log.)
"""

from __future__ import annotations

import csv
import email.utils
import hashlib
import io
import json
import logging
import random
import re
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..config import DATA_CENTERS, ZohoSecrets, ZohoSettings
from ..errors import ZohoAuthError, ZohoError

logger = logging.getLogger("seatlib.zoho")

TOKEN_PATH = "/oauth/v2/token"
API = "/restapi/v2"
#: Zoho Accounts: 10 access tokens per refresh token per 10 minutes, then 10 minutes blocked.
TOKEN_LIMIT = 10
TOKEN_WINDOW_S = 600.0
#: Refresh this long before the token expires (capped at a tenth of its lifetime).
TOKEN_REFRESH_MARGIN_S = 300.0
#: The limiter spaces calls 2 % wider than calls_per_minute asks: arrival jitter at Zoho's end
#: would otherwise let 61 calls land in one minute now and then.
RATE_SAFETY = 1.02
#: Progress of long loops (admins_for): nothing is logged before PROGRESS_FIRST_S (a fast run,
#: e.g. the demo's 300 workspaces in half a second, logs only its final line); after that a line
#: every PROGRESS_EVERY_S seconds or PROGRESS_EVERY_SHARE of the work, whichever comes later, so
#: a 17-minute run logs about ten lines. Read at call time (tests shorten them).
PROGRESS_FIRST_S = 5.0
PROGRESS_EVERY_S = 30.0
PROGRESS_EVERY_SHARE = 0.10

#: The start of a Zoho JSON answer (v2 or v1): a download beginning like this that is not valid
#: JSON is a cut-off answer, not a file, and is fetched again.
_ENVELOPE_START = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"(?:status|response|data)"\s*:')
RETRYABLE_CODES = frozenset({6045, 7005, 10001})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
#: Codes the simulator uses where Zoho's docs are silent (see seatlib.sim.server).
EXPORT_JOB_LIMIT_CODE = 6044
EXPORT_EXPIRED_CODE = 7404

JOB_NOT_INITIATED, JOB_IN_PROGRESS, JOB_ERROR, JOB_COMPLETED, JOB_NOT_FOUND = (
    "1001", "1002", "1003", "1004", "1005")
#: jobStatus texts (§5.2), for an answer whose jobCode is missing.
_JOB_CODE_BY_STATUS = {"JOB NOT INITIATED": JOB_NOT_INITIATED, "JOB IN PROGRESS": JOB_IN_PROGRESS,
                       "ERROR OCCURRED": JOB_ERROR, "JOB COMPLETED": JOB_COMPLETED,
                       "JOB NOT FOUND": JOB_NOT_FOUND}
#: CSV options of the export CONFIG (§5.1), spelt out rather than left to defaults the docs do
#: not state: comma (0), double quotes (1), a header row.
EXPORT_CSV_CONFIG: dict[str, Any] = {"responseFormat": "csv", "delimiter": 0, "quoted": 1,
                                     "includeHeader": True}

_REVOKED_HINT = ("the access token was rejected right after a refresh: the refresh token was "
                 "revoked, or it belongs to another data centre (check ZOHO_DATA_CENTER / "
                 "ZOHO_ACCOUNTS_URL / ZOHO_API_URL)")

#: What to do about each Zoho error code (§6.3).
HINTS: dict[int, str] = {
    1003: "Zoho failed the export job: retry later; if it persists check the SQL or ask Zoho",
    6001: "the plan's row limit is exceeded",
    6021: "activating users is refused: the plan's user seats are all taken",
    6043: "the plan's daily API units are spent: retry tomorrow, or buy add-on API units",
    6045: "Zoho's per-minute request limit was hit; lower [zoho] calls_per_minute "
          "(Zoho allows 60 metadata and 100 calls in all per minute)",
    EXPORT_JOB_LIMIT_CODE: "Zoho runs at most 5 export jobs per organisation at once: wait for "
                           "the others to finish",
    7005: "Zoho had an internal error: try again later",
    7103: "workspace not found: it was deleted, or it belongs to another organisation than "
          "ZOHO_ORG_ID",
    7301: "the account that owns the refresh token lacks the permission: it needs an "
          "administrator profile (Account or Organization Admin)",
    7387: "the workspace belongs to another organisation than ZOHO_ORG_ID",
    7389: "the organisation in ZOHO_ORG_ID does not exist: check ZOHO_ORG_ID "
          "(GET /restapi/v2/orgs lists yours) and ZOHO_DATA_CENTER",
    7403: "Zoho rejected the SQL: check the table and column names (double-quoted), e.g. "
          "[zoho] access_log_table",
    EXPORT_EXPIRED_CODE: "the export file expired (Zoho keeps it 1 hour); the job must be "
                         "created again",
    7925: "the account is not part of this Analytics organisation: check ZOHO_ORG_ID",
    8025: "[zoho] domain_name is not a valid custom (white-label) domain",
    8060: "[zoho] domain_name is not a white-label domain of this account",
    8078: "a CONFIG attribute is empty: a client bug or an API change",
    8079: "a CONFIG attribute is missing: a client bug or an API change",
    8083: "ZOHO_ORG_ID is missing: set ZOHO_ORG_ID (or [zoho] org_id)",
    8504: "the CONFIG parameter was missing or invalid: a client bug or an API change",
    8518: "Zoho rejected the authentication header",
    8535: _REVOKED_HINT,
    8540: "the refresh token lacks a scope: generate it again with ZohoAnalytics.metadata.read, "
          "ZohoAnalytics.usermanagement.read, ZohoAnalytics.share.read and "
          "ZohoAnalytics.data.read (or ZohoAnalytics.fullaccess.all)",
}
_STATUS_HINTS = {414: "the request URI is too long: shorten the SQL or the CONFIG"}
#: OAuth errors meaning the server did not find the grant's parameters (see _request_token).
_GRANT_UNSEEN = frozenset({"invalid_request", "unsupported_grant_type"})
_OAUTH_HINTS = {
    "invalid_code": "the refresh token is expired, revoked or from another data centre: generate "
                    "a new one (ZOHO_REFRESH_TOKEN) or check ZOHO_DATA_CENTER / ZOHO_ACCOUNTS_URL",
    "invalid_client": "ZOHO_CLIENT_ID or ZOHO_CLIENT_SECRET is wrong, or the client belongs to "
                      "another data centre (check ZOHO_DATA_CENTER / ZOHO_ACCOUNTS_URL)",
    "access denied": "Zoho blocks new access tokens for 10 minutes after 10 in 10 minutes: wait, "
                     "and look for other jobs using the same refresh token",
}


# -- records --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Org:
    """One Zoho Analytics organisation (``GET /orgs``)."""

    org_id: str
    name: str
    is_default: bool
    workspace_count: int | None  # numberOfworkspaces (S1) or numberOfWorkspaces (Airbyte)
    role: str


@dataclass(frozen=True)
class Workspace:
    """A workspace, owned or shared with the account (``GET /workspaces``)."""

    workspace_id: str
    name: str
    created_time_ms: int | None
    created_by: str
    owned: bool


@dataclass(frozen=True)
class User:
    """An organisation user (``GET /users``) or a workspace user (``GET /workspaces/{id}/users``).

    ``active`` is Zoho's ``status``: an active non-viewer holds a seat.
    """

    email: str
    active: bool
    role: str


@dataclass(frozen=True)
class Resource:
    """One line of ``GET /resources``: the seats are the ``users`` line.

    A value Zoho sends as something other than a number (e.g. empty) is None.
    """

    name: str
    allocated: int | None
    used: int | None
    remaining: int | None


def ms_to_utc(value: Any) -> datetime | None:
    """Zoho's epoch-milliseconds (string or number) as an aware UTC datetime; None if empty or
    not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        ms = int(str(value).strip())
    except ValueError:
        try:
            ms = int(float(str(value).strip()))
        except (ValueError, OverflowError):
            return None
    try:
        return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=ms)
    except OverflowError:
        return None


def _int_or_none(value: Any) -> int | None:
    """An integer from Zoho's numbers-as-strings (``"15"``), a JSON number (``15`` or ``15.0``)
    or a float-looking string (``"15.0"``); None when empty or not a whole number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except (ValueError, OverflowError):
        return None
    return int(number) if number.is_integer() else None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "active", "yes")
    return bool(value)


# -- helpers for waiting --------------------------------------------------------------------------

class _Budget:
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


class _Progress:
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
                       self.total, 100 * self.done // self.total, _duration(elapsed), rate,
                       _duration(eta))

    def finish(self) -> None:
        """The closing line, always logged: ``<what>: N/N in X s``."""
        elapsed = time.monotonic() - self._start
        self._log.info("zoho: %s: %d/%d in %.1f s (%.1f/s)", self.what, self.done, self.total,
                       elapsed, self.done / max(elapsed, 1e-9))


class _RateLimiter:
    """Spaces calls evenly at ``calls_per_minute`` across threads (a token bucket of size 1).

    Each caller reserves the next free slot under a lock and sleeps until it; a late caller gets
    no credit for the past, so there are never bursts.
    """

    def __init__(self, calls_per_minute: int, sleep: Callable[[float], None]):
        self.interval = 60.0 / calls_per_minute * RATE_SAFETY if calls_per_minute > 0 else 0.0
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this caller's slot; returns the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait


class _TokenLedger:
    """Token requests per (accounts URL, refresh token) in this process, over the last 10 minutes.

    Process-wide rather than per client, so that a loop creating clients cannot get the refresh
    token blocked either. The key holds a hash, never the token.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = {}

    def reserve(self, key: str) -> float | None:
        """Record one token request; if the limit is reached, record nothing and return the
        seconds until a slot frees up."""
        now = time.monotonic()
        with self._lock:
            times = self._times.setdefault(key, deque())
            while times and times[0] <= now - TOKEN_WINDOW_S:
                times.popleft()
            if len(times) >= TOKEN_LIMIT:
                return times[0] + TOKEN_WINDOW_S - now
            times.append(now)
            return None


_LEDGER = _TokenLedger()


class _TokenStore:
    """Access tokens shared by the clients of this process, per (accounts URL, refresh token).

    Zoho grants 10 new access tokens per refresh token in 10 minutes and keeps 10 active ones
    (§2.1), and its docs advise caching the token. A second client in the same process (a
    back-fill loop, a test suite, a harness running the extract many times) therefore reuses a
    token the first one got instead of asking for another. Refreshes are single flight per key,
    across clients as well as across one client's threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # key -> (token, refresh at, monotonic)
        self._flights: dict[str, threading.Lock] = {}

    def flight(self, key: str) -> threading.Lock:
        """The lock that serialises refreshes for ``key``."""
        with self._lock:
            return self._flights.setdefault(key, threading.Lock())

    def get(self, key: str) -> tuple[str, float] | None:
        """The shared token and when to refresh it, if it is not due yet."""
        with self._lock:
            entry = self._tokens.get(key)
        return entry if entry is not None and time.monotonic() < entry[1] else None

    def put(self, key: str, token: str, refresh_at: float) -> None:
        with self._lock:
            self._tokens[key] = (token, refresh_at)

    def discard(self, key: str, token: str) -> None:
        """Forget ``token`` (Zoho rejected it, or it is due): nobody may adopt it any more."""
        with self._lock:
            if self._tokens.get(key, ("",))[0] == token:
                del self._tokens[key]


_TOKENS = _TokenStore()


class _NoContent(dict):
    """The ``data`` of an HTTP 204 answer: no body, so every list in it is empty."""


@dataclass
class _Failure:
    """One failed attempt, before deciding whether to retry it."""

    code: int | None
    status: int | None
    message: str
    retry: bool
    retry_after: float | None = None


def _extract_error(body: Any) -> tuple[int | None, str] | None:
    """(code, message) from a v2 failure envelope or a legacy v1 error, else None."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if body.get("status") == "failure" or (isinstance(data, dict) and "errorCode" in data):
        data = data if isinstance(data, dict) else {}
        message = data.get("errorMessage") or body.get("summary") or ""
        return _int_or_none(data.get("errorCode")), str(message)
    response = body.get("response")
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        error = response["error"]
        return _int_or_none(error.get("code")), str(error.get("message") or "")
    if "errorCode" in body:
        return _int_or_none(body["errorCode"]), str(body.get("errorMessage") or "")
    return None


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# -- the client -----------------------------------------------------------------------------------

class ZohoClient:
    """A Zoho Analytics API v2 client for one run (one access token for its lifetime).

    Args:
        settings: hosts, org id, limits and timeouts (:class:`~seatlib.config.ZohoSettings`).
        secrets: the OAuth client id, secret and refresh token.
        log: where progress, retries and token refreshes are logged (default this module's).
        sleep: how to wait (tests pass a recorder).
        backoff_base_s: first retry waits up to this long; each further one doubles it.
        backoff_cap_s: longest single retry wait (before ``Retry-After``).

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, settings: ZohoSettings, secrets: ZohoSecrets, *,
                 log: logging.Logger | None = None, sleep: Callable[[float], None] = time.sleep,
                 backoff_base_s: float = 1.0, backoff_cap_s: float = 60.0):
        self.settings = settings
        self._secrets = secrets
        self._log = log or logger
        self._sleep = sleep
        self._backoff_base = backoff_base_s
        self._backoff_cap = backoff_cap_s
        default_api, default_accounts = DATA_CENTERS.get(settings.data_center,
                                                         DATA_CENTERS["com"])
        self._api_url = _base_url(settings.api_url or default_api, ("/restapi/v2", "/restapi"))
        self._accounts_url = _base_url(settings.accounts_url or default_accounts,
                                       (TOKEN_PATH, "/oauth/v2", "/oauth"))
        self._timeout = (min(10.0, settings.request_timeout_s), settings.request_timeout_s)
        self._limiter = _RateLimiter(settings.calls_per_minute, sleep)
        self._random = random.Random()
        self._ledger_key = self._accounts_url + "#" + hashlib.sha256(
            secrets.refresh_token.encode("utf-8")).hexdigest()[:16]

        self._token: str | None = None
        self._token_refresh_at = 0.0
        self._old_tokens: list[str] = []  # kept only to scrub them from messages
        self._adopted: set[str] = set()  # tokens taken over from another client (_TOKENS)
        self._token_in_query = False  # see _request_token
        self._org: str | None = settings.org_id or None
        self._org_lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._closed = False
        #: access tokens this client requested from Zoho (one per run is the goal; a token
        #: reused from another client of the process does not count)
        self.tokens_obtained = 0

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connections. The client cannot be used afterwards."""
        self._closed = True
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> "ZohoClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def org_id(self) -> str:
        """The organisation the calls go to (resolved through ``GET /orgs`` if not set)."""
        return self._org_id()

    # -- public calls ---------------------------------------------------------------------
    def list_orgs(self) -> list[Org]:
        """The organisations the account belongs to (``GET /orgs``, no org header)."""
        data = self._get("/orgs", org=False)
        orgs = self._list(data, "orgs", "GET /restapi/v2/orgs")
        out = []
        for o in orgs:
            count = o.get("numberOfworkspaces", o.get("numberOfWorkspaces"))
            out.append(Org(org_id=self._id(o, "orgId", "GET /restapi/v2/orgs"),
                           name=str(o.get("orgName") or ""), is_default=_bool(o.get("isDefault")),
                           workspace_count=_int_or_none(count), role=str(o.get("role") or "")))
        return out

    def list_workspaces(self) -> list[Workspace]:
        """Every workspace the account owns or shares (the audit workspace included), owned
        first, each id once."""
        call = "GET /restapi/v2/workspaces"
        data = self._get("/workspaces")
        keys: tuple[tuple[str, bool], ...] = (("ownedWorkspaces", True),
                                              ("sharedWorkspaces", False))
        if "ownedWorkspaces" not in data and "sharedWorkspaces" not in data:
            if isinstance(data.get("workspaces"), list):
                keys = (("workspaces", True),)  # the shape of /workspaces/owned
            elif not isinstance(data, _NoContent):
                raise self._error(ZohoError, call, None, "answer has neither ownedWorkspaces "
                                  "nor sharedWorkspaces", "the API changed; update seatlib.zoho")
        seen: dict[str, Workspace] = {}
        for key, owned in keys:
            for w in self._list(data, key, call, required=False):
                ws_id = self._id(w, "workspaceId", call)
                if ws_id not in seen:
                    seen[ws_id] = Workspace(
                        workspace_id=ws_id, name=str(w.get("workspaceName") or ""),
                        created_time_ms=_int_or_none(w.get("createdTime")),
                        created_by=str(w.get("createdBy") or ""), owned=owned)
        return list(seen.values())

    def workspace_users(self, workspace_id: str) -> list[User]:
        """The users of one workspace (``GET /workspaces/{id}/users``)."""
        call = f"GET /restapi/v2/workspaces/{workspace_id}/users"
        data = self._get(f"/workspaces/{workspace_id}/users", config=self._domain_config())
        return [self._user(u, call) for u in self._list(data, "users", call)]

    def workspace_admins(self, workspace_id: str) -> tuple[list[str], str]:
        """The admin e-mails registered for a workspace, and where they came from.

        Returns:
            ``(emails, source)``: source ``"admins"`` (``GET /workspaces/{id}/admins``),
            ``"users_fallback"`` (no admins there; the workspace users with role
            "Workspace Admin", active or not) or ``"none"`` (no admin anywhere). E-mails keep
            Zoho's order, each once (compared case-insensitively).
        """
        data = self._get(f"/workspaces/{workspace_id}/admins", config=self._domain_config())
        emails = _unique(_admin_emails(data.get("workspaceAdmins", data.get("adminMembers"))))
        if emails:
            return emails, "admins"
        fallback = _unique(u.email for u in self.workspace_users(workspace_id)
                           if u.role.replace(" ", "").lower() == "workspaceadmin")
        if fallback:
            return fallback, "users_fallback"
        return [], "none"

    def admins_for(self, workspace_ids: Iterable[str],
                   progress: Callable[[int, int], None] | None = None
                   ) -> dict[str, tuple[list[str], str]]:
        """:meth:`workspace_admins` for many workspaces, ``settings.max_concurrency`` at a time.

        All threads share the rate limiter, so at the default 60 calls a minute a thousand
        workspaces take about 17 minutes. Progress is logged only when the work is slow enough
        to matter (see :class:`_Progress`): done/total, rate and ETA from
        :data:`PROGRESS_FIRST_S` seconds on, then every :data:`PROGRESS_EVERY_S` seconds or
        :data:`PROGRESS_EVERY_SHARE` of the work, whichever comes later; and always one final
        line ``workspace admins: N/N in X s``. ``progress(done, total)`` is called after each
        workspace.

        Raises:
            ZohoError: the first failure; the workspaces not started yet are abandoned.
        """
        ids = list(dict.fromkeys(workspace_ids))
        total = len(ids)
        results: dict[str, tuple[list[str], str]] = {}
        if not ids:
            return results
        meter = _Progress("workspace admins", total, self._log)
        pool = ThreadPoolExecutor(max_workers=min(self.settings.max_concurrency, total),
                                  thread_name_prefix="zoho-admins")
        try:
            futures = {pool.submit(self.workspace_admins, ws_id): ws_id for ws_id in ids}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                meter.step()
                if progress is not None:
                    progress(meter.done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        meter.finish()
        return {ws_id: results[ws_id] for ws_id in ids}

    def list_users(self) -> list[User]:
        """The organisation's users with their status and role (``GET /users``)."""
        call = "GET /restapi/v2/users"
        data = self._get("/users", config=self._domain_config())
        return [self._user(u, call) for u in self._list(data, "users", call)]

    def resources(self) -> list[Resource]:
        """Seat usage and other resources (``GET /resources``; numbers arrive as strings)."""
        call = "GET /restapi/v2/resources"
        data = self._get("/resources")
        out = []
        for r in self._list(data, "resourceDetails", call):
            usage = r.get("resourceUsage") if isinstance(r.get("resourceUsage"), dict) else {}
            out.append(Resource(name=str(r.get("resourceName") or ""),
                                allocated=_int_or_none(usage.get("allocated")),
                                used=_int_or_none(usage.get("used")),
                                remaining=_int_or_none(usage.get("remaining"))))
        return out

    def export_sql(self, workspace_id: str, sql: str) -> str:
        """Run ``sql`` through a bulk export job (§5.2) and return the CSV text (BOM removed).

        Creates the job (waiting while the organisation already runs 5), polls it with growing
        pauses up to ``settings.export_poll_s``, downloads the file. A job Zoho lost (1005) or
        whose file expired is created once more. Everything is bounded by
        ``settings.export_timeout_s``. The CSV is asked for with commas, double quotes and a
        header; a file that still arrives with ``;`` or tab separators is rewritten with commas.

        Raises:
            ZohoError: the SQL was rejected (7403), the job failed (1003), vanished twice, or
                did not finish in time.
        """
        base = f"/bulk/workspaces/{workspace_id}"
        budget = _Budget(self.settings.export_timeout_s, self._sleep)
        recreate_left = 1
        while True:
            job_id = self._create_export_job(base, sql, budget)
            job = self._wait_export_job(base, job_id, budget)
            if job is not None:
                content = self._download_export(base, job_id, job, budget)
                if content is not None:
                    try:
                        return _comma_csv(content.decode("utf-8-sig"))
                    except UnicodeDecodeError as exc:
                        raise self._error(ZohoError, f"GET {API}{base}/exportjobs/{job_id}/data",
                                          None, f"the export is not UTF-8 ({exc.reason})",
                                          "ask Zoho; the file cannot be read") from None
            if recreate_left == 0:
                raise self._error(ZohoError, f"GET {API}{base}/exportjobs/{job_id}", 1005,
                                  "JOB NOT FOUND", "the export job vanished twice (not found "
                                  "or expired before download): try again later")
            recreate_left -= 1
            self._log.warning("zoho: export job %s vanished or expired; creating it again",
                              job_id)

    # -- export steps ---------------------------------------------------------------------
    def _create_export_job(self, base: str, sql: str, budget: _Budget) -> str:
        call = f"GET {API}{base}/data"
        wait = min(1.0, self.settings.export_poll_s)
        while True:
            try:
                data = self._get(f"{base}/data", config=dict(EXPORT_CSV_CONFIG, sqlQuery=sql),
                                 budget_s=self._call_budget(budget))
            except ZohoError as exc:
                busy = exc.code == EXPORT_JOB_LIMIT_CODE or "concurrent" in exc.zoho_message.lower()
                if not busy:
                    raise
                if budget.remaining() < wait:
                    raise self._error(ZohoError, call, exc.code, exc.zoho_message,
                                      f"{HINTS[EXPORT_JOB_LIMIT_CODE]}; still busy after "
                                      f"{budget.elapsed():.0f} s ([zoho] export_timeout_s)",
                                      exc.http_status) from None
                self._log.info("zoho: 5 export jobs already running; waiting %.1f s", wait)
                budget.sleep(wait)
                wait = min(wait * 2, max(self.settings.export_poll_s, 1.0))
                continue
            job_id = data.get("jobId")
            if job_id in (None, ""):
                raise self._error(ZohoError, call, None, "answer has no jobId",
                                  "the API changed; update seatlib.zoho")
            return str(job_id)

    def _wait_export_job(self, base: str, job_id: str, budget: _Budget) -> dict[str, Any] | None:
        """Poll until the job completes (its ``data``) or vanishes (None: not found or
        expired)."""
        path = f"{base}/exportjobs/{job_id}"
        call = f"GET {API}{path}"
        pause = min(0.2, self.settings.export_poll_s)
        status = "JOB NOT INITIATED"
        while True:
            if budget.remaining() < pause:
                raise self._error(ZohoError, call, None, f"job still {status!r}",
                                  f"the export did not finish within {budget.seconds:.0f} s: "
                                  f"raise [zoho] export_timeout_s or try later")
            budget.sleep(pause)
            pause = min(pause * 1.6, self.settings.export_poll_s)
            data = self._get(path, budget_s=self._call_budget(budget))
            code, status = _job_code(data)
            if code == JOB_COMPLETED:
                # expiryTime is not checked against the local clock (skew would re-create jobs
                # for nothing); an expired file fails the download, which re-creates the job
                return data
            if code == JOB_NOT_FOUND:
                return None
            if code == JOB_ERROR:
                raise self._error(ZohoError, call, 1003, status, HINTS[1003])
            if code not in (JOB_NOT_INITIATED, JOB_IN_PROGRESS):
                raise self._error(ZohoError, call, None, f"unknown jobCode {code!r} ({status})",
                                  "the API changed; update seatlib.zoho")

    def _download_export(self, base: str, job_id: str, job: dict[str, Any],
                         budget: _Budget) -> bytes | None:
        """The export file, or None if it expired in the meantime.

        The documented path is built on the configured API URL, as Zoho's own SDK does;
        ``downloadUrl`` is not followed. It names the same file, and when it names another host
        (the documentation's ``analyticsapi.zoho.com`` echoed by a stand-in, or a proxy's
        inside address) following it would send the access token where it was never meant to
        go. Such a URL is only logged.
        """
        path = f"{base}/exportjobs/{job_id}/data"
        download_url = job.get("downloadUrl")
        if (isinstance(download_url, str) and download_url.strip()
                and download_url.strip() != self._api_url + API + path):
            self._log.info("zoho: export job %s gives a downloadUrl on %s; downloading from "
                           "%s%s instead", job_id, _origin(download_url.strip()), self._api_url,
                           API + path)
        try:
            return self._get(path, raw=True,
                             budget_s=self._call_budget(budget))
        except ZohoError as exc:
            if exc.code == EXPORT_EXPIRED_CODE or "expired" in exc.zoho_message.lower():
                return None
            raise

    # -- parsing helpers ------------------------------------------------------------------
    def _list(self, data: dict[str, Any], key: str, call: str, *,
              required: bool = True) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None and (not required or isinstance(data, _NoContent)):
            return []
        if not isinstance(value, list):
            raise self._error(ZohoError, call, None, f"answer has no list {key!r}",
                              "the API changed; update seatlib.zoho")
        return [v for v in value if isinstance(v, dict)]

    def _id(self, item: dict[str, Any], key: str, call: str) -> str:
        value = item.get(key)
        if value in (None, ""):
            raise self._error(ZohoError, call, None, f"an item has no {key}",
                              "the API changed; update seatlib.zoho")
        return str(value)

    def _user(self, item: dict[str, Any], call: str) -> User:
        email = item.get("emailId")
        if not email:
            raise self._error(ZohoError, call, None, "a user has no emailId",
                              "the API changed; update seatlib.zoho")
        return User(email=str(email).strip(), active=_bool(item.get("status")),
                    role=str(item.get("role") or ""))

    def _domain_config(self) -> dict[str, str] | None:
        # Zoho documents domainName on user-management calls for white-label accounts; sent
        # only when configured, so a plain account's calls carry no CONFIG at all.
        return {"domainName": self.settings.domain_name} if self.settings.domain_name else None

    # -- HTTP -----------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        """One session per thread: requests does not promise a shared Session is thread-safe."""
        if self._closed:
            raise ZohoError("(client)", hint="the ZohoClient is closed")
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = f"seat-monitor/{__version__} (seatlib)"
            with self._sessions_lock:
                self._sessions.append(session)
            self._local.session = session
        return session

    def _get(self, path: str, *, config: dict[str, Any] | None = None, org: bool = True,
             raw: bool = False, budget_s: float | None = None) -> Any:
        """GET ``/restapi/v2`` + ``path``: ``data`` of the answer, or the bytes if ``raw``."""
        call = f"GET {API}{path}"
        url = self._api_url + API + path
        params = {"CONFIG": json.dumps(config, separators=(",", ":"))} if config else None
        budget = _Budget(self.settings.retry_budget_s if budget_s is None else budget_s,
                         self._sleep)
        attempt = 0
        refreshed = forced = False
        while True:
            self._limiter.acquire()
            token = self._access_token()
            headers = {"Authorization": f"Zoho-oauthtoken {token}"}
            if org:
                headers["ZANALYTICS-ORGID"] = self._org_id()
            try:
                resp = self._session().get(url, params=params, headers=headers,
                                           timeout=self._timeout)
            except requests.Timeout:
                failure = _Failure(None, None, f"no answer within {self._timeout[1]:g} s "
                                               f"([zoho] request_timeout_s)", retry=True)
            except requests.ConnectionError as exc:
                failure = _Failure(None, None, f"connection failed ({_root_cause(exc)})",
                                   retry=True)
            except requests.RequestException as exc:
                raise self._error(ZohoError, call, None, f"request failed ({type(exc).__name__})",
                                  "") from None
            else:
                result = self._interpret(resp, raw)
                if not isinstance(result, _Failure):
                    return result
                failure = result

            if failure.code == 8535 or (failure.status == 401 and failure.code is None):
                if not refreshed or (token in self._adopted and not forced):
                    # the token expired or was evicted: one fresh one. A token taken over from
                    # another client may have gone stale with it, so rejecting one of those
                    # earns a token of this client's own before the refresh token is blamed.
                    forced = refreshed
                    refreshed = True
                    self._log.info("zoho: %s answered 8535 (token rejected); refreshing", call)
                    self._refresh(stale=token, reuse=not forced)
                    continue
                raise self._error(ZohoAuthError, call, failure.code, failure.message,
                                  _REVOKED_HINT, failure.status)
            if not failure.retry:
                raise self._error(ZohoError, call, failure.code, failure.message,
                                  self._hint(failure), failure.status)
            attempt += 1
            delay = self._backoff(attempt)
            if failure.retry_after is not None:  # Zoho said when; spread threads a little
                delay = failure.retry_after + self._random.uniform(0, 0.1 * self._backoff_base)
            if budget.elapsed() + delay > budget.seconds:
                hint = self._hint(failure)
                raise self._error(ZohoError, call, failure.code, failure.message,
                                  f"{hint + '; ' if hint else ''}gave up after {attempt} "
                                  f"attempt(s) in {budget.elapsed():.1f} s "
                                  f"([zoho] retry_budget_s = {budget.seconds:g})",
                                  failure.status)
            self._wait_to_retry(call, failure, attempt, delay, budget)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
        return self._random.uniform(0, min(self._backoff_cap,
                                           self._backoff_base * 2 ** (attempt - 1)))

    def _wait_to_retry(self, call: str, failure: _Failure, attempt: int, delay: float,
                       budget: _Budget) -> None:
        self._log.warning("zoho: %s failed (%s); retry %d in %.2f s", call,
                          self._scrub(self._describe(failure)), attempt, delay)
        budget.sleep(delay)

    def _call_budget(self, budget: _Budget) -> float:
        """The retry budget of one call made inside a larger one (an export job's)."""
        return max(0.0, min(self.settings.retry_budget_s, budget.remaining()))

    def _interpret(self, resp: requests.Response, raw: bool) -> Any:
        """The answer's ``data`` (or bytes if ``raw``), or a :class:`_Failure`."""
        status = resp.status_code
        content = resp.content
        if status == 204:
            # No Content: Zoho uses it for mutations; a server answering a GET for an empty list
            # this way means "nothing", which the list readers turn into []. (An empty *200* is
            # not trusted that way: it is treated as a cut-off answer and fetched again.)
            return b"" if raw else _NoContent()
        looks_json = content.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"{", b"["))
        if raw and status == 200 and not looks_json:
            return content
        try:
            body = json.loads(content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            if raw and status == 200 and not _ENVELOPE_START.match(content):
                return content  # a file that merely starts with "{" or "["
            # A garbled or truncated body (proxy page, cut connection) is worth another try
            # on 200 and 5xx; a 4xx page is not.
            retry = status == 200 or status in RETRYABLE_STATUS or status >= 500
            ctype = resp.headers.get("Content-Type", "no content type")
            return _Failure(None, status, f"answer is not valid JSON ({ctype}, "
                                          f"{len(content)} bytes)", retry, _retry_after(resp))
        error = _extract_error(body)
        if error is not None:
            code, message = error
            retry = code in RETRYABLE_CODES if code is not None else (
                status in RETRYABLE_STATUS or status >= 500)
            return _Failure(code, status, message, retry, _retry_after(resp))
        if 200 <= status < 300:
            if raw:
                return content
            if isinstance(body, dict) and isinstance(body.get("data"), dict):
                return body["data"]
            return _Failure(None, status, "answer has no data object", retry=False)
        return _Failure(None, status, f"HTTP {status} without a Zoho error",
                        status in RETRYABLE_STATUS or status >= 500, _retry_after(resp))

    def _hint(self, failure: _Failure) -> str:
        if failure.code is not None and failure.code in HINTS:
            return HINTS[failure.code]
        if failure.status in _STATUS_HINTS:
            return _STATUS_HINTS[failure.status]
        if failure.code is None and failure.status is None:
            return "Zoho could not be reached: check the network and [zoho] api_url"
        if failure.code is None and failure.status is not None and failure.status >= 500:
            return "Zoho is having trouble: try again later"
        return ""

    @staticmethod
    def _describe(failure: _Failure) -> str:
        parts = []
        if failure.code is not None:
            parts.append(f"code {failure.code}")
        if failure.status is not None:
            parts.append(f"HTTP {failure.status}")
        parts.append(failure.message)
        return ", ".join(parts)

    # -- OAuth and organisation -----------------------------------------------------------
    def _access_token(self) -> str:
        token = self._token
        if token is not None and time.monotonic() < self._token_refresh_at:
            return token
        return self._refresh(stale=token)

    def _refresh(self, stale: str | None, *, reuse: bool = True) -> str:
        """A usable access token in place of ``stale`` (rejected, due, or None).

        Single flight: a thread (of this or another client of the process) arriving while
        another refreshes gets that one's token instead of asking Zoho again. With ``reuse``, a
        token another client of the process already holds is taken over before asking Zoho.
        """
        with _TOKENS.flight(self._ledger_key):
            if (self._token is not None and self._token != stale
                    and time.monotonic() < self._token_refresh_at):
                return self._token  # another thread of this client refreshed meanwhile
            if stale is not None:
                _TOKENS.discard(self._ledger_key, stale)
            shared = _TOKENS.get(self._ledger_key) if reuse else None
            if shared is not None and shared[0] != stale:
                self._set_token(*shared)
                self._adopted.add(shared[0])
                self._log.info("zoho: reusing this process's access token (valid %.0f s more)",
                               shared[1] - time.monotonic())
                return shared[0]
            token, lifetime = self._request_token()
            refresh_at = time.monotonic() + lifetime - min(TOKEN_REFRESH_MARGIN_S,
                                                           lifetime * 0.1)
            self._set_token(token, refresh_at)
            _TOKENS.put(self._ledger_key, token, refresh_at)
            self.tokens_obtained += 1
            self._log.info("zoho: obtained an access token (valid %.0f s)", lifetime)
            return token

    def _set_token(self, token: str, refresh_at: float) -> None:
        if self._token is not None and self._token != token:
            self._old_tokens.append(self._token)  # still scrubbed from messages
        self._token = token
        self._token_refresh_at = refresh_at

    def _request_token(self) -> tuple[str, float]:
        """POST the refresh-token grant.

        The parameters go in the form body, so that no secret lands in a URL or an access log.
        Zoho accepts them there or in the query string (D15), and its own SDK uses the query
        string. A server that shows it did not see the grant at all (``invalid_request``,
        ``unsupported_grant_type``, or a bare HTTP 400/405/415/422: one that reads only the
        query string) is asked once more with the query string, which is then kept for this
        client's later refreshes. A refusal of the credentials themselves (``invalid_code``,
        ``invalid_client``) is final and never repeated in a URL. Throttling ("Access Denied",
        HTTP 429) is never retried either: each try would extend Zoho's 10-minute block.
        """
        call = f"POST {TOKEN_PATH}"
        form = {"refresh_token": self._secrets.refresh_token,
                "client_id": self._secrets.client_id,
                "client_secret": self._secrets.client_secret,
                "grant_type": "refresh_token"}
        budget = _Budget(self.settings.retry_budget_s, self._sleep)
        attempt = 0
        failure: _Failure | None = None
        switched: ZohoAuthError | None = None  # the body's refusal, once the query is tried
        while True:
            wait = _LEDGER.reserve(self._ledger_key)
            if wait is not None and failure is not None:  # the real problem is the failures
                raise self._error(ZohoAuthError, call, None, failure.message,
                                  f"Zoho Accounts failed {attempt} time(s) and the "
                                  f"{TOKEN_LIMIT}-tokens-per-10-minutes allowance is used up: "
                                  f"check the network and ZOHO_ACCOUNTS_URL",
                                  failure.status)
            if wait is not None:
                raise self._error(
                    ZohoAuthError, call, None,
                    f"{TOKEN_LIMIT} access tokens were already requested in the last "
                    f"{TOKEN_WINDOW_S / 60:.0f} minutes",
                    f"refused to ask for another, as Zoho would block token creation for 10 "
                    f"minutes; retry in {wait:.0f} s and find what keeps requesting tokens")
            in_query = self._token_in_query
            try:
                resp = self._session().post(self._accounts_url + TOKEN_PATH,
                                            params=form if in_query else None,
                                            data=None if in_query else form,
                                            timeout=self._timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                failure = _Failure(None, None, f"connection failed ({_root_cause(exc)})", True)
            else:
                status = resp.status_code
                try:
                    body = json.loads(resp.content.decode("utf-8-sig"))
                except (UnicodeDecodeError, ValueError):
                    body = None
                if not isinstance(body, dict):
                    body = {}
                if body.get("access_token"):
                    return str(body["access_token"]), _token_lifetime(body)
                error = str(body.get("error") or "").strip()
                description = str(body.get("error_description") or "").strip()
                message = ": ".join(p for p in (error, description) if p)
                throttled = (status == 429 or error.lower() == "access denied"
                             or "too many requests" in description.lower())
                if throttled:
                    raise self._error(ZohoAuthError, call, None,
                                      message or f"HTTP {status}", _OAUTH_HINTS["access denied"],
                                      status)
                if status >= 500:  # whatever the body says: worth another try
                    failure = _Failure(None, status, message or "accounts server error", True)
                else:
                    refusal = self._error(
                        ZohoAuthError, call, None, message or "the answer has no access_token",
                        _OAUTH_HINTS.get(error.lower(), "") or (
                            "Zoho refused the refresh token" if message else
                            "check ZOHO_ACCOUNTS_URL / ZOHO_DATA_CENTER"), status)
                    unseen = (error.lower() in _GRANT_UNSEEN if error
                              else not message and status in (400, 405, 415, 422))
                    if not in_query and unseen:
                        self._log.info("zoho: %s refused the parameters in the form body (%s); "
                                       "asking again with them in the query string", call,
                                       self._scrub(message or f"HTTP {status}"))
                        self._token_in_query = True
                        switched = refusal
                        continue
                    if in_query and switched is not None:
                        self._token_in_query = False  # the query string fared no better
                        raise refusal if message else switched
                    raise refusal
            attempt += 1
            delay = self._backoff(attempt)
            if budget.elapsed() + delay > budget.seconds:
                raise self._error(ZohoAuthError, call, None, failure.message,
                                  f"Zoho Accounts could not be reached after {attempt} "
                                  f"attempt(s): check the network and ZOHO_ACCOUNTS_URL",
                                  failure.status)
            self._wait_to_retry(call, failure, attempt, delay, budget)

    def _org_id(self) -> str:
        if self._org:
            return self._org
        with self._org_lock:
            if not self._org:
                orgs = self.list_orgs()
                chosen = [o for o in orgs if o.is_default] or (orgs if len(orgs) == 1 else [])
                if not chosen:
                    ids = ", ".join(o.org_id for o in orgs) or "none"
                    raise self._error(ZohoError, "GET /restapi/v2/orgs", None,
                                      f"{len(orgs)} organisation(s), none marked default",
                                      f"set ZOHO_ORG_ID to one of: {ids}")
                self._org = chosen[0].org_id
                self._log.info("zoho: ZOHO_ORG_ID not set; using the default organisation %s "
                               "(%s)", chosen[0].org_id, chosen[0].name)
        return self._org

    # -- errors ---------------------------------------------------------------------------
    def _error(self, cls: type[ZohoError], call: str, code: int | None, message: str,
               hint: str, status: int | None = None) -> ZohoError:
        """An exception whose text cannot carry a secret or a token, whatever Zoho echoed."""
        return cls(call, code, self._scrub(message), self._scrub(hint), status)

    def _scrub(self, text: str) -> str:
        for secret in (*self._secrets.values(), self._token, *self._old_tokens):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _token_lifetime(body: dict[str, Any]) -> float:
    """Seconds the token lives: ``expires_in_sec`` if given, else ``expires_in`` (legacy
    answers put milliseconds there: anything above 100000 is taken as ms)."""
    for key in ("expires_in_sec", "expires_in"):
        try:
            value = float(body[key])
        except (KeyError, TypeError, ValueError):
            continue
        if key == "expires_in" and value > 100_000:
            value /= 1000.0
        if value > 0:
            return value
    return 3600.0  # Zoho's documented lifetime


def _job_code(data: dict[str, Any]) -> tuple[str, str]:
    """(jobCode, jobStatus) of an export-job answer. The code is a string in Zoho's docs; a
    number is accepted, and a missing code is read from the status text."""
    status = str(data.get("jobStatus") or "").strip()
    number = _int_or_none(data.get("jobCode"))
    code = str(number) if number is not None else str(data.get("jobCode") or "").strip()
    if not code:
        code = _JOB_CODE_BY_STATUS.get(status.upper(), "")
    return code, status or code


def _comma_csv(text: str) -> str:
    """``text`` with commas between fields. A file whose header row has no comma but has
    semicolons or tabs (a server that ignored ``delimiter``) is rewritten; anything else is
    returned as it is."""
    newline = text.find("\n")
    header = text if newline < 0 else text[:newline]
    if "," in header:
        return text
    delimiter = next((d for d in (";", "\t") if d in header), None)
    if delimiter is None:
        return text  # one column, or no header at all
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return out.getvalue()


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a log line may show of it."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "another host"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


def _base_url(url: str, suffixes: tuple[str, ...]) -> str:
    """``url`` as a base to append documented paths to.

    Operators paste what they find: ``https://analyticsapi.zoho.eu/restapi/v2`` or the whole
    token endpoint ``https://accounts.zoho.eu/oauth/v2/token``; those suffixes are dropped, since
    the client appends them itself. Any other path (a proxy or a stand-in mounted under
    ``/zoho``) is kept. A bare host gets ``https://``.
    """
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    url = url.rstrip("/")
    for suffix in suffixes:
        if url.lower().endswith(suffix):
            return url[: -len(suffix)].rstrip("/")
    return url


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's type, e.g. RemoteDisconnected; never its text (URLs)."""
    seen = exc
    for _ in range(10):  # chains are short; the bound guards against cycles
        inner = seen.__cause__ or seen.__context__
        if inner is None and seen.args and isinstance(seen.args[0], BaseException):
            inner = seen.args[0]
        if inner is None or inner is seen:
            break
        seen = inner
    return type(seen).__name__


def _admin_emails(value: Any) -> list[str]:
    """The e-mails in a ``workspaceAdmins`` value, whatever its shape.

    Zoho documents ``[{"adminMembers": ["a@x", ...]}]`` (S1). Accepted as well, since the docs
    never show an empty or a richer answer: ``[]``, ``[{"adminMembers": []}]``, a missing key, a
    bare object instead of a list, bare strings, members as ``{"emailId": ...}`` objects, entries
    that are themselves ``{"emailId": ...}``, and comma-separated strings.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, dict):
        if "adminMembers" in value:
            return _admin_emails(value["adminMembers"])
        email = value.get("emailId") or value.get("email") or value.get("emailAddress")
        return _admin_emails(email) if isinstance(email, str) else []
    if isinstance(value, (list, tuple)):
        return [email for item in value for email in _admin_emails(item)]
    return []


def _unique(emails: Iterable[str]) -> list[str]:
    out: dict[str, str] = {}
    for email in emails:
        email = email.strip()
        if email and email.lower() not in out:
            out[email.lower()] = email
    return list(out.values())


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
