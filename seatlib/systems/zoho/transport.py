"""HTTP to Zoho: sessions, one ``/restapi`` call with its retries, reading the answer, and
turning every failure into :class:`~seatlib.core.errors.ZohoError` with no secret in its text.

:class:`Http` is the plumbing every request shares (a session per thread, timeouts, backoff,
the secrets to scrub); the OAuth code (:mod:`seatlib.systems.zoho.auth`) posts its token requests
through it. :class:`Transport` makes the API calls for the export and the client: it is handed
the access token and the organisation id as callables, and a callback for a rejected token, so
it knows nothing of OAuth. Imports only the protocol, pacing, :mod:`seatlib.core.errors` and
:mod:`seatlib.core.log`.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import requests

from ... import __version__
from ...core.errors import ZohoAuthError, ZohoError
from ...core.log import scrub
from .pacing import Backoff, Budget, RateLimiter
from .protocol import (
    API, ENVELOPE_START, RETRYABLE_CODES, NoContent, extract_error, hint_for, is_retryable_status,
    is_token_rejected, rejected_hint, retry_after,
)


@dataclass
class Failure:
    """One failed attempt, before deciding whether to retry it."""

    code: int | None
    status: int | None
    message: str
    retry: bool
    retry_after: float | None = None


def describe(failure: Failure) -> str:
    """``code N, HTTP S, message`` (the parts there are)."""
    parts = []
    if failure.code is not None:
        parts.append(f"code {failure.code}")
    if failure.status is not None:
        parts.append(f"HTTP {failure.status}")
    parts.append(failure.message)
    return ", ".join(parts)


def root_cause(exc: BaseException) -> str:
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


def interpret(resp: requests.Response, raw: bool) -> Any:
    """The answer's ``data`` (or bytes if ``raw``), or a :class:`Failure`."""
    status = resp.status_code
    content = resp.content
    if status == 204:
        # No Content: Zoho uses it for mutations; a server answering a GET for an empty list
        # this way means "nothing", which the list readers turn into []. (An empty *200* is
        # not trusted that way: it is treated as a cut-off answer and fetched again.)
        return b"" if raw else NoContent()
    looks_json = content.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"{", b"["))
    if raw and status == 200 and not looks_json:
        return content
    try:
        body = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        if raw and status == 200 and not ENVELOPE_START.match(content):
            return content  # a file that merely starts with "{" or "["
        # A garbled or truncated body (proxy page, cut connection) is worth another try
        # on 200 and 5xx; a 4xx page is not.
        retry = status == 200 or is_retryable_status(status)
        ctype = resp.headers.get("Content-Type", "no content type")
        return Failure(None, status, f"answer is not valid JSON ({ctype}, "
                                     f"{len(content)} bytes)", retry, retry_after(resp.headers))
    error = extract_error(body)
    if error is not None:
        code, message = error
        retry = code in RETRYABLE_CODES if code is not None else is_retryable_status(status)
        return Failure(code, status, message, retry, retry_after(resp.headers))
    if 200 <= status < 300:
        if raw:
            return content
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            return body["data"]
        return Failure(None, status, "answer has no data object", retry=False)
    return Failure(None, status, f"HTTP {status} without a Zoho error",
                   is_retryable_status(status), retry_after(resp.headers))


class Http:
    """What every request of one client shares: a session per thread, the timeouts, the retry
    budget and backoff, the log, and the texts no message may carry.

    Args:
        secrets: the OAuth credentials; access tokens are added with :meth:`hide`.
        timeout_s: read timeout of a request (connecting gets at most 10 s of it).
        retry_budget_s: time one call may spend in retries.
    """

    def __init__(self, secrets: Iterable[str], *, timeout_s: float, retry_budget_s: float,
                 backoff: Backoff, sleep: Callable[[float], None], log: logging.Logger):
        self.timeout = (min(10.0, timeout_s), timeout_s)
        self.retry_budget_s = retry_budget_s
        self.backoff = backoff
        self.sleep = sleep
        self.log = log
        self._hidden = list(secrets)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._closed = False

    def session(self) -> requests.Session:
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

    def close(self) -> None:
        """Close the HTTP connections; no session is handed out afterwards."""
        self._closed = True
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # -- secrets in messages --------------------------------------------------------------
    def hide(self, secret: str) -> None:
        """Scrub ``secret`` (an access token) from every later message."""
        self._hidden.append(secret)

    def scrub(self, text: str) -> str:
        return scrub(text, self._hidden)

    def error(self, cls: type[ZohoError], call: str, code: int | None, message: str,
              hint: str, status: int | None = None) -> ZohoError:
        """An exception whose text cannot carry a secret or a token, whatever Zoho echoed."""
        return cls(call, code, self.scrub(message), self.scrub(hint), status)

    # -- retries --------------------------------------------------------------------------
    def wait_to_retry(self, call: str, failure: Failure, attempt: int, delay: float,
                      budget: Budget) -> None:
        self.log.warning("zoho: %s failed (%s); retry %d in %.2f s", call,
                         self.scrub(describe(failure)), attempt, delay)
        budget.sleep(delay)


#: Called when Zoho rejects the access token of a call: (call, the token, how many times this
#: call saw a token rejected). True when a fresh token is in place and the call should retry.
OnRejected = Callable[[str, str, int], bool]


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Transport:
    """Calls to ``/restapi/v2`` (GET, and PUT/DELETE with form bodies) with the rate limit, retries and error translation.

    Args:
        http: the shared plumbing.
        api_url: the API base (``protocol.base_url`` of the configured URL).
        limiter: spaces the calls (shared by all threads of the client).
        token: the access token to send now.
        org_id: the organisation id to send (not asked for on calls with ``org=False``).
        on_rejected: see :data:`OnRejected`; without it a rejected token fails the call.
    """

    def __init__(self, http: Http, api_url: str, limiter: RateLimiter, *,
                 token: Callable[[], str], org_id: Callable[[], str],
                 on_rejected: OnRejected | None = None):
        self.http = http
        self.api_url = api_url
        self._limiter = limiter
        self._token = token
        self._org_id = org_id
        self._on_rejected = on_rejected
        #: some call of this transport was answered with success (its token was accepted)
        self.token_worked = False

    def get(self, path: str, *, config: dict[str, Any] | None = None, org: bool = True,
            raw: bool = False, budget_s: float | None = None) -> Any:
        """GET ``/restapi/v2`` + ``path``: ``data`` of the answer, or the bytes if ``raw``."""
        return self.request("GET", path, config=config, org=org, raw=raw, budget_s=budget_s)

    def request(self, method: str, path: str, *, config: dict[str, Any] | None = None,
                form: dict[str, Any] | None = None, org: bool = True, raw: bool = False,
                budget_s: float | None = None) -> Any:
        """One ``/restapi/v2`` call of any method, with the same limiter, retries and errors.

        Args:
            config: CONFIG in the query string (how seatlib sends it on GETs, §3).
            form: fields of an ``application/x-www-form-urlencoded`` body; a dict value is
                sent as compact JSON (CONFIG of the user-management calls, as documented).

        Returns:
            ``data`` of the answer, :class:`~seatlib.systems.zoho.protocol.NoContent` for a 204, or
            the bytes if ``raw``.
        """
        call = f"{method} {API}{path}"
        url = self.api_url + API + path
        params = {"CONFIG": _compact(config)} if config else None
        body = ({k: _compact(v) if isinstance(v, (dict, list)) else v for k, v in form.items()}
                if form else None)
        budget = Budget(self.http.retry_budget_s if budget_s is None else budget_s,
                        self.http.sleep)
        attempt = rejected = 0
        while True:
            self._limiter.acquire()
            token = self._token()
            result = self._send(method, call, url, params, body, token, org, raw)
            if not isinstance(result, Failure):
                self.token_worked = True
                return result
            if is_token_rejected(result.code, result.status):
                rejected += 1
                if self._on_rejected is not None and self._on_rejected(call, token, rejected):
                    continue
                raise self.http.error(ZohoAuthError, call, result.code, result.message,
                                      rejected_hint(path, self.token_worked), result.status)
            attempt += 1
            self._retry_or_raise(call, result, attempt, budget)

    def _send(self, method: str, call: str, url: str, params: dict[str, str] | None,
              body: dict[str, Any] | None, token: str, org: bool, raw: bool) -> Any:
        """One attempt: the answer's ``data`` (or bytes), or a :class:`Failure`."""
        headers = {"Authorization": f"Zoho-oauthtoken {token}"}
        if org:
            headers["ZANALYTICS-ORGID"] = self._org_id()
        timeout = self.http.timeout
        try:
            resp = self.http.session().request(method, url, params=params, data=body,
                                               headers=headers, timeout=timeout)
        except requests.Timeout:
            return Failure(None, None, f"no answer within {timeout[1]:g} s "
                                       f"([zoho] request_timeout_s)", retry=True)
        except requests.ConnectionError as exc:
            return Failure(None, None, f"connection failed ({root_cause(exc)})", retry=True)
        except requests.RequestException as exc:
            raise self.http.error(ZohoError, call, None, f"request failed ({type(exc).__name__})",
                                  "") from None
        return interpret(resp, raw)

    def _retry_or_raise(self, call: str, failure: Failure, attempt: int, budget: Budget) -> None:
        """Wait before the next attempt, or raise if ``failure`` is final or time is up."""
        if not failure.retry:
            raise self.http.error(ZohoError, call, failure.code, failure.message,
                                  hint_for(failure.code, failure.status), failure.status)
        backoff = self.http.backoff
        delay = backoff.delay(attempt)
        if failure.retry_after is not None:  # Zoho said when; spread threads a little
            delay = backoff.after(failure.retry_after)
        if not budget.affords(delay):
            hint = hint_for(failure.code, failure.status)
            raise self.http.error(ZohoError, call, failure.code, failure.message,
                                  f"{hint + '; ' if hint else ''}gave up after {attempt} "
                                  f"attempt(s) in {budget.elapsed():.1f} s "
                                  f"([zoho] retry_budget_s = {budget.seconds:g})",
                                  failure.status)
        self.http.wait_to_retry(call, failure, attempt, delay, budget)
