"""Zoho Accounts as the simulator plays it: the refresh-token grant and bearer authentication.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections import deque
from typing import Any

from .limits import SimLimits
from .protocol import Request, Response, fail, json_response

_TOKEN_PREFIX = "Zoho-oauthtoken "


def presented_token(req: Request) -> str | None:
    """The access token of the request's ``Authorization: Zoho-oauthtoken ...`` header."""
    header = req.headers.get("Authorization") or ""
    return header[len(_TOKEN_PREFIX):].strip() if header.startswith(_TOKEN_PREFIX) else None


class Accounts:
    """The OAuth client the token call accepts, the access tokens it issued and its throttle.

    Shares the simulator's lock and counters (``token_*`` and ``tokens_issued``).
    """

    def __init__(self, lock: threading.RLock, stats: dict[str, Any], *, client_id: str,
                 client_secret: str, refresh_token: str, scopes: frozenset[str] | None = None):
        self._lock = lock
        #: the scopes the refresh token was generated with; None: every scope
        self.scopes = scopes
        self._stats = stats
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._tokens: dict[str, float] = {}  # access token -> expiry (monotonic), insertion order
        self._token_times: deque[float] = deque()  # issuances within the token window
        self._token_blocked_until = 0.0

    @property
    def active_tokens(self) -> int:
        return len(self._tokens)

    def token_call(self, req: Request, *, where: str, limits: SimLimits, api_domain: str,
                   legacy_expires_in: bool) -> Response:
        """POST /oauth/v2/token: the refresh-token grant (§2). Errors come with HTTP 200."""
        client_id, client_secret = self._client_credentials(req, where)
        now = time.monotonic()
        with self._lock:
            self._stats["token_requests"] += 1
            if req.param("grant_type", where) != "refresh_token":
                self._stats["token_errors"] += 1
                return json_response(200, {"error": "unsupported_grant_type"})
            if client_id != self._client_id or client_secret != self._client_secret:
                self._stats["token_errors"] += 1
                return json_response(200, {"error": "invalid_client"})
            if req.param("refresh_token", where) != self._refresh_token:
                self._stats["token_errors"] += 1
                return json_response(200, {"error": "invalid_code"})
            if limits.enabled and self._throttled(now, limits):
                self._stats["token_denied"] += 1
                return json_response(200, {
                    "error_description": "You have made too many requests continuously. "
                                         "Please try again after some time.",
                    "error": "Access Denied", "status": "failure"})
            token = self._issue(now, limits)
        ttl = int(limits.token_ttl_s)
        body: dict[str, Any] = {"access_token": token, "api_domain": api_domain,
                                "token_type": "Bearer"}
        if legacy_expires_in:
            body.update(expires_in_sec=ttl, expires_in=ttl * 1000)
        else:
            body["expires_in"] = ttl
        return json_response(200, body)

    @staticmethod
    def _client_credentials(req: Request, where: str) -> tuple[str | None, str | None]:
        client_id = req.param("client_id", where)
        client_secret = req.param("client_secret", where)
        basic = req.headers.get("Authorization") or ""
        if basic.startswith("Basic ") and client_id is None:  # §2.1: client credentials in Basic
            try:
                client_id, _, client_secret = (
                    base64.b64decode(basic[6:]).decode("utf-8").partition(":"))
            except (ValueError, UnicodeDecodeError):
                pass
        return client_id, client_secret

    def _throttled(self, now: float, limits: SimLimits) -> bool:
        """Whether the token window is full (or still blocked); called under the lock."""
        while self._token_times and self._token_times[0] <= now - limits.token_window_s:
            self._token_times.popleft()
        if now < self._token_blocked_until or (
                len(self._token_times) >= limits.tokens_per_window):
            if now >= self._token_blocked_until:  # Zoho blocks for the next 10 minutes
                self._token_blocked_until = now + limits.token_window_s
            return True
        return False

    def _issue(self, now: float, limits: SimLimits) -> str:
        """A new access token; called under the lock."""
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self._token_times.append(now)
        self._tokens[token] = now + limits.token_ttl_s
        while len(self._tokens) > limits.max_active_tokens:  # the oldest is invalidated
            self._tokens.pop(next(iter(self._tokens)))
        self._stats["tokens_issued"] += 1
        return token

    def authenticate(self, req: Request) -> None:
        """Raise 8518 without a Zoho-oauthtoken header, 8535 for an unknown or expired token."""
        token = presented_token(req)
        if not token:  # no header, or a Bearer one: Zoho accepts only Zoho-oauthtoken
            raise fail(8518)
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is None or expiry <= time.monotonic():
                self._tokens.pop(token, None)
                raise fail(8535)

    def authorize(self, scope: str) -> None:
        """Raise 8535 (HTTP 401) when the refresh token lacks ``scope``: Zoho answers an
        under-scoped token like an invalid one (§2.4)."""
        if self.scopes is not None and scope not in self.scopes:
            raise fail(8535)

    def forget(self, req: Request) -> None:
        """Invalidate the token the request presents (if any)."""
        token = presented_token(req)
        with self._lock:
            if token:
                self._tokens.pop(token, None)

    def invalidate(self) -> None:
        """Forget every access token, as if all had expired."""
        with self._lock:
            self._tokens.clear()

    def reset_throttle(self) -> None:
        with self._lock:
            self._token_times.clear()
            self._token_blocked_until = 0.0
