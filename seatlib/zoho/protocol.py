"""The facts of Zoho's API, with no I/O: paths, error codes and what to do about each, the shapes
of failure envelopes, export-job codes, OAuth answers and the base URLs to call.

Everything here is data or a pure function of an answer, so the transport, the OAuth code, the
export and the client (all of :mod:`seatlib.zoho`) read one description of the API. The error
codes the client acts on are grouped at the top: changing one is a one-place edit. Imports
nothing of seatlib but :func:`seatlib.zoho.records.int_or_none` (codes arrive as strings or
numbers).

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .records import int_or_none

TOKEN_PATH = "/oauth/v2/token"
API = "/restapi/v2"
#: Suffixes an operator may paste into ZOHO_API_URL / ZOHO_ACCOUNTS_URL (see :func:`base_url`).
API_SUFFIXES = (API, "/restapi")
ACCOUNTS_SUFFIXES = (TOKEN_PATH, "/oauth/v2", "/oauth")
#: Zoho Accounts: 10 access tokens per refresh token per 10 minutes, then 10 minutes blocked.
TOKEN_LIMIT = 10
TOKEN_WINDOW_S = 600.0

# -- the error codes the client acts on -----------------------------------------------------------
RETRYABLE_CODES = frozenset({6045, 7005, 10001})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
#: The access token was rejected (expired, evicted or revoked): refresh and retry.
TOKEN_REJECTED_CODE = 8535
#: Codes the simulator uses where Zoho's docs are silent (see seatlib.sim.server).
EXPORT_JOB_LIMIT_CODE = 6044
EXPORT_EXPIRED_CODE = 7404

#: The start of a Zoho JSON answer (v2 or v1): a download beginning like this that is not valid
#: JSON is a cut-off answer, not a file, and is fetched again.
ENVELOPE_START = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"(?:status|response|data)"\s*:')

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

REVOKED_HINT = ("the access token was rejected right after a refresh: the refresh token was "
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
    TOKEN_REJECTED_CODE: REVOKED_HINT,
    8540: "the refresh token lacks a scope: generate it again with ZohoAnalytics.metadata.read, "
          "ZohoAnalytics.usermanagement.read, ZohoAnalytics.share.read and "
          "ZohoAnalytics.data.read (or ZohoAnalytics.fullaccess.all)",
}
_STATUS_HINTS = {414: "the request URI is too long: shorten the SQL or the CONFIG"}
#: OAuth errors meaning the server did not find the grant's parameters (see
#: seatlib.zoho.auth).
GRANT_UNSEEN = frozenset({"invalid_request", "unsupported_grant_type"})
OAUTH_HINTS = {
    "invalid_code": "the refresh token is expired, revoked or from another data centre: generate "
                    "a new one (ZOHO_REFRESH_TOKEN) or check ZOHO_DATA_CENTER / ZOHO_ACCOUNTS_URL",
    "invalid_client": "ZOHO_CLIENT_ID or ZOHO_CLIENT_SECRET is wrong, or the client belongs to "
                      "another data centre (check ZOHO_DATA_CENTER / ZOHO_ACCOUNTS_URL)",
    "access denied": "Zoho blocks new access tokens for 10 minutes after 10 in 10 minutes: wait, "
                     "and look for other jobs using the same refresh token",
}


class NoContent(dict):
    """The ``data`` of an HTTP 204 answer: no body, so every list in it is empty."""


def is_retryable_status(status: int) -> bool:
    """An HTTP status worth another try: 429 and the 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


def is_token_rejected(code: int | None, status: int | None) -> bool:
    """Zoho refused the access token: 8535, or a bare HTTP 401."""
    return code == TOKEN_REJECTED_CODE or (status == 401 and code is None)


def hint_for(code: int | None, status: int | None) -> str:
    """What to do about a failure with Zoho's ``code`` and the HTTP ``status`` (either None)."""
    if code is not None and code in HINTS:
        return HINTS[code]
    if status in _STATUS_HINTS:
        return _STATUS_HINTS[status]
    if code is None and status is None:
        return "Zoho could not be reached: check the network and [zoho] api_url"
    if code is None and status is not None and status >= 500:
        return "Zoho is having trouble: try again later"
    return ""


def extract_error(body: Any) -> tuple[int | None, str] | None:
    """(code, message) from a v2 failure envelope or a legacy v1 error, else None."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if body.get("status") == "failure" or (isinstance(data, dict) and "errorCode" in data):
        data = data if isinstance(data, dict) else {}
        message = data.get("errorMessage") or body.get("summary") or ""
        return int_or_none(data.get("errorCode")), str(message)
    response = body.get("response")
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        error = response["error"]
        return int_or_none(error.get("code")), str(error.get("message") or "")
    if "errorCode" in body:
        return int_or_none(body["errorCode"]), str(body.get("errorMessage") or "")
    return None


def retry_after(headers: Any) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date) in ``headers``."""
    value = headers.get("Retry-After")
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


def job_code(data: dict[str, Any]) -> tuple[str, str]:
    """(jobCode, jobStatus) of an export-job answer. The code is a string in Zoho's docs; a
    number is accepted, and a missing code is read from the status text."""
    status = str(data.get("jobStatus") or "").strip()
    number = int_or_none(data.get("jobCode"))
    code = str(number) if number is not None else str(data.get("jobCode") or "").strip()
    if not code:
        code = _JOB_CODE_BY_STATUS.get(status.upper(), "")
    return code, status or code


def token_lifetime(body: dict[str, Any]) -> float:
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


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a log line may show of it."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "another host"
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


def base_url(url: str, suffixes: tuple[str, ...]) -> str:
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
