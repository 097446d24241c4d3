"""OAuth for the Zoho client: access tokens from the refresh token, within Zoho Accounts' limits.

Holds the process-wide ledger of token requests (at most ``TOKEN_LIMIT`` per refresh token in
``TOKEN_WINDOW_S``: the next one raises instead of getting the account blocked), the
process-wide store that lets the clients of one process share a token, and
:class:`TokenKeeper`: one client's token, its single-flight refresh and the token request with
its retries. The client hands :meth:`TokenKeeper.access_token` and
:meth:`TokenKeeper.on_rejected` to its :class:`~seatlib.systems.zoho.transport.Transport`. Uses the
transport's :class:`~seatlib.systems.zoho.transport.Http`, the pacing and the protocol.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import requests

from ...core.errors import ZohoAuthError
from .pacing import Budget
from .protocol import (
    GRANT_UNSEEN, OAUTH_HINTS, TOKEN_LIMIT, TOKEN_PATH, TOKEN_WINDOW_S, token_lifetime,
)
from .transport import Failure, Http, root_cause

if TYPE_CHECKING:
    from ...core.config import ZohoSecrets

#: Refresh this long before the token expires (capped at a tenth of its lifetime).
TOKEN_REFRESH_MARGIN_S = 300.0


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
    (§2.2), and its docs advise caching the token. A second client in the same process (a
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


class TokenKeeper:
    """The access token of one client: obtained, shared, refreshed and renewed when rejected.

    Args:
        http: the client's plumbing (sessions, timeouts, backoff, log, scrubbing).
        secrets: the OAuth client id, secret and refresh token.
        accounts_url: the Zoho Accounts base (``protocol.base_url`` of the configured URL).
    """

    def __init__(self, http: Http, secrets: ZohoSecrets, accounts_url: str):
        self._http = http
        self._secrets = secrets
        self._accounts_url = accounts_url
        self._ledger_key = accounts_url + "#" + hashlib.sha256(
            secrets.refresh_token.encode("utf-8")).hexdigest()[:16]
        self._token: str | None = None
        self._refresh_at = 0.0
        self._adopted: set[str] = set()  # tokens taken over from another client (_TOKENS)
        self._in_query = False  # see _request_token
        #: access tokens this client requested from Zoho (one per run is the goal; a token
        #: reused from another client of the process does not count)
        self.tokens_obtained = 0

    @property
    def token(self) -> str | None:
        """The access token held now (None before the first call)."""
        return self._token

    @property
    def refresh_at(self) -> float:
        """When (``time.monotonic()``) the held token is refreshed."""
        return self._refresh_at

    def access_token(self) -> str:
        """A token to send now: the held one, or a fresh one when it is due."""
        token = self._token
        if token is not None and time.monotonic() < self._refresh_at:
            return token
        return self.refresh(stale=token)

    def on_rejected(self, call: str, token: str, rejected: int) -> bool:
        """Zoho rejected ``token`` on ``call`` (the ``rejected``-th time in that call).

        The first time, the token expired or was evicted: one fresh one. A token taken over
        from another client may have gone stale with it, so rejecting one of those earns a
        token of this client's own before the refresh token is blamed. Returns whether the
        call should be tried again.
        """
        if rejected == 1:
            reuse = True
        elif rejected == 2 and token in self._adopted:
            reuse = False
        else:
            return False
        self._http.log.info("zoho: %s answered 8535 (token rejected); refreshing", call)
        self.refresh(stale=token, reuse=reuse)
        return True

    def refresh(self, stale: str | None, *, reuse: bool = True) -> str:
        """A usable access token in place of ``stale`` (rejected, due, or None).

        Single flight: a thread (of this or another client of the process) arriving while
        another refreshes gets that one's token instead of asking Zoho again. With ``reuse``, a
        token another client of the process already holds is taken over before asking Zoho.
        """
        with _TOKENS.flight(self._ledger_key):
            if (self._token is not None and self._token != stale
                    and time.monotonic() < self._refresh_at):
                return self._token  # another thread of this client refreshed meanwhile
            if stale is not None:
                _TOKENS.discard(self._ledger_key, stale)
            shared = _TOKENS.get(self._ledger_key) if reuse else None
            if shared is not None and shared[0] != stale:
                self._set_token(*shared)
                self._adopted.add(shared[0])
                self._http.log.info("zoho: reusing this process's access token (valid %.0f s "
                                    "more)", shared[1] - time.monotonic())
                return shared[0]
            token, lifetime = self._request_token()
            refresh_at = time.monotonic() + lifetime - min(TOKEN_REFRESH_MARGIN_S,
                                                           lifetime * 0.1)
            self._set_token(token, refresh_at)
            _TOKENS.put(self._ledger_key, token, refresh_at)
            self.tokens_obtained += 1
            self._http.log.info("zoho: obtained an access token (valid %.0f s)", lifetime)
            return token

    def _set_token(self, token: str, refresh_at: float) -> None:
        if token != self._token:
            self._http.hide(token)  # scrubbed from messages from now on, even once replaced
        self._token = token
        self._refresh_at = refresh_at

    # -- the token request ----------------------------------------------------------------
    def _request_token(self) -> tuple[str, float]:
        """POST the refresh-token grant.

        The parameters go in the form body, so that no secret lands in a URL or an access log.
        Zoho accepts them there or in the query string (§2.1), and its own SDK uses the query
        string. A server that shows it did not see the grant at all (``invalid_request``,
        ``unsupported_grant_type``, or a bare HTTP 400/405/415/422: one that reads only the
        query string) is asked once more with the query string, which is then kept for this
        client's later refreshes. A refusal of the credentials themselves (``invalid_code``,
        ``invalid_client``) is final and never repeated in a URL. Throttling ("Access Denied",
        HTTP 429) is never retried either: each try would extend Zoho's 10-minute block.
        """
        call = f"POST {TOKEN_PATH}"
        budget = Budget(self._http.retry_budget_s, self._http.sleep)
        attempt = 0
        failure: Failure | None = None
        switched: ZohoAuthError | None = None  # the body's refusal, once the query is tried
        while True:
            self._reserve(call, attempt, failure)
            in_query = self._in_query
            answer = self._post_grant(in_query)
            if not isinstance(answer, Failure):
                status, body = answer
                if body.get("access_token"):
                    return str(body["access_token"]), token_lifetime(body)
                answer = self._refused(call, status, body, in_query, switched)
                if isinstance(answer, ZohoAuthError):
                    switched = answer
                    continue
            failure = answer
            attempt += 1
            delay = self._http.backoff.delay(attempt)
            if not budget.affords(delay):
                raise self._http.error(ZohoAuthError, call, None, failure.message,
                                       f"Zoho Accounts could not be reached after {attempt} "
                                       f"attempt(s): check the network and ZOHO_ACCOUNTS_URL",
                                       failure.status)
            self._http.wait_to_retry(call, failure, attempt, delay, budget)

    def _reserve(self, call: str, attempt: int, failure: Failure | None) -> None:
        """Count one more token request in the ledger, or raise if the allowance is used up."""
        wait = _LEDGER.reserve(self._ledger_key)
        if wait is not None and failure is not None:  # the real problem is the failures
            raise self._http.error(ZohoAuthError, call, None, failure.message,
                                   f"Zoho Accounts failed {attempt} time(s) and the "
                                   f"{TOKEN_LIMIT}-tokens-per-10-minutes allowance is used up: "
                                   f"check the network and ZOHO_ACCOUNTS_URL",
                                   failure.status)
        if wait is not None:
            raise self._http.error(
                ZohoAuthError, call, None,
                f"{TOKEN_LIMIT} access tokens were already requested in the last "
                f"{TOKEN_WINDOW_S / 60:.0f} minutes",
                f"refused to ask for another, as Zoho would block token creation for 10 "
                f"minutes; retry in {wait:.0f} s and find what keeps requesting tokens")

    def _post_grant(self, in_query: bool) -> tuple[int, dict[str, Any]] | Failure:
        """One token request: the answer's HTTP status and JSON object ({} if it has none), or
        the failure to connect."""
        form = {"refresh_token": self._secrets.refresh_token,
                "client_id": self._secrets.client_id,
                "client_secret": self._secrets.client_secret,
                "grant_type": "refresh_token"}
        try:
            resp = self._http.session().post(self._accounts_url + TOKEN_PATH,
                                             params=form if in_query else None,
                                             data=None if in_query else form,
                                             timeout=self._http.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            return Failure(None, None, f"connection failed ({root_cause(exc)})", True)
        try:
            body = json.loads(resp.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            body = None
        return resp.status_code, body if isinstance(body, dict) else {}

    def _refused(self, call: str, status: int, body: dict[str, Any], in_query: bool,
                 switched: ZohoAuthError | None) -> Failure | ZohoAuthError:
        """An answer without a token: a :class:`Failure` worth another try (5xx), or the
        refusal to keep when the query string is to be tried next. Anything else raises."""
        error = str(body.get("error") or "").strip()
        description = str(body.get("error_description") or "").strip()
        message = ": ".join(p for p in (error, description) if p)
        throttled = (status == 429 or error.lower() == "access denied"
                     or "too many requests" in description.lower())
        if throttled:
            raise self._http.error(ZohoAuthError, call, None, message or f"HTTP {status}",
                                   OAUTH_HINTS["access denied"], status)
        if status >= 500:  # whatever the body says: worth another try
            return Failure(None, status, message or "accounts server error", True)
        refusal = self._http.error(
            ZohoAuthError, call, None, message or "the answer has no access_token",
            OAUTH_HINTS.get(error.lower(), "") or (
                "Zoho refused the refresh token" if message else
                "check ZOHO_ACCOUNTS_URL / ZOHO_DATA_CENTER"), status)
        unseen = (error.lower() in GRANT_UNSEEN if error
                  else not message and status in (400, 405, 415, 422))
        if not in_query and unseen:
            self._http.log.info("zoho: %s refused the parameters in the form body (%s); "
                                "asking again with them in the query string", call,
                                self._http.scrub(message or f"HTTP {status}"))
            self._in_query = True
            return refusal
        if in_query and switched is not None:
            self._in_query = False  # the query string fared no better
            raise refusal if message else switched
        raise refusal

