"""The facts of Zoho's API, with no I/O: paths, error codes and what to do about each, the shapes
of failure envelopes, export-job codes, OAuth answers and the base URLs to call.

Everything here is data or a pure function of an answer, so the transport, the OAuth code, the
export and the client (all of :mod:`seatlib.systems.zoho`) read one description of the API. The
error codes the client acts on are grouped at the top: changing one is a one-place edit. Imports
nothing of seatlib but :func:`seatlib.systems.zoho.records.int_or_none` (codes arrive as strings or
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
#: Five export jobs already run in the organisation: wait and create again (§5.2).
EXPORT_LIMIT_CODE = 8132
#: The export job is unknown or past its retention: create a new one (§5.2).
EXPORT_JOB_NOT_FOUND_CODE = 8120
#: Zoho appends this row limit to every SQL export and cuts the result without an error (§5.3).
EXPORT_ROW_LIMIT = 800_000

#: The OAuth scopes the read-only daily run needs (§2.4); a reclaim adds
#: ``ZohoAnalytics.usermanagement.update``.
READ_SCOPES = ("ZohoAnalytics.metadata.read", "ZohoAnalytics.share.read",
               "ZohoAnalytics.usermanagement.read", "ZohoAnalytics.data.read")
#: The scope each called path needs (§2.4), most specific first: (path regex, scope).
_SCOPE_BY_PATH = (
    (re.compile(r"^/bulk/"), "ZohoAnalytics.data.read"),
    (re.compile(r"/admins$"), "ZohoAnalytics.share.read"),
    (re.compile(r"^/(users|resources|subscription)(/|$)|^/workspaces/[^/]+/users$"),
     "ZohoAnalytics.usermanagement.read"),
    (re.compile(r"^/(orgs|workspaces)(/|$)"), "ZohoAnalytics.metadata.read"),
)

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
_SCOPES_TEXT = ", ".join(READ_SCOPES)
_SQL_HINT = "check the table and column names (double-quoted), e.g. [zoho] access_log_table"

#: What to do about each Zoho error code (§6.3).
HINTS: dict[int, str] = {
    1003: "Zoho failed the export job: retry later; if it persists check the SQL or ask Zoho",
    6001: "the plan's row limit is exceeded",
    6021: "activating users is refused: the plan's user seats are all taken",
    6043: "the plan's daily API units are spent: retry tomorrow, or buy add-on API units",
    6045: "Zoho's per-minute request limit was hit; lower [zoho] calls_per_minute "
          "(Zoho allows 60 metadata and 100 calls in all per minute)",
    7005: "Zoho had an internal error: try again later",
    7103: "workspace not found: it was deleted, or it belongs to another organisation than "
          "ZOHO_ORG_ID",
    7301: "the account that owns the refresh token lacks the permission: it needs an "
          "administrator profile (Account or Organization Admin)",
    7387: "the workspace belongs to another organisation than ZOHO_ORG_ID",
    7389: "the organisation in ZOHO_ORG_ID does not exist: check ZOHO_ORG_ID "
          "(GET /restapi/v2/orgs lists yours) and ZOHO_DATA_CENTER",
    7401: f"Zoho refused the SQL as not an allowed statement (only SELECT): {_SQL_HINT}",
    7403: f"Zoho could not parse the SQL: {_SQL_HINT}",
    7404: f"Zoho parsed the SQL but could not convert it for its query engine: {_SQL_HINT}, "
          f"and the functions the query uses",
    7407: f"the SQL names a column the table does not have: {_SQL_HINT}",
    7408: f"the SQL names a column the table does not have: {_SQL_HINT}",
    7409: f"the SQL names a table the workspace does not have: {_SQL_HINT}",
    7835: f"the SQL names no table of the workspace: {_SQL_HINT}",
    7925: "the account is not part of this Analytics organisation: check ZOHO_ORG_ID",
    8025: "[zoho] domain_name is not a valid custom (white-label) domain",
    8060: "[zoho] domain_name is not a white-label domain of this account",
    8078: "a CONFIG attribute is empty: a client bug or an API change",
    8079: "a CONFIG attribute is missing: a client bug or an API change",
    8080: "Zoho refused the CONFIG (not valid JSON, or a key this call does not take): a client "
          "bug or an API change",
    8083: "ZOHO_ORG_ID is missing: set ZOHO_ORG_ID (or [zoho] org_id)",
    8504: "the CONFIG parameter was missing or invalid: a client bug or an API change",
    8518: "Zoho rejected the authentication header",
    EXPORT_JOB_NOT_FOUND_CODE: "the export job is unknown or past its retention: create a new "
                               "job (try again later)",
    8121: "the export job had not started when its file was fetched: try again later",
    8122: "the export job had not finished when its file was fetched: try again later",
    8123: "Zoho failed the export job: retry later; if it persists check the SQL or ask Zoho",
    8124: "only the user who created an export job may download it: one refresh token per run",
    EXPORT_LIMIT_CODE: "Zoho runs at most 5 export jobs per organisation at once: wait for the "
                       "others to finish (other jobs of this organisation are running)",
    TOKEN_REJECTED_CODE: REVOKED_HINT,
    8540: f"the refresh token lacks a scope: generate it again with {_SCOPES_TEXT}",
}
_STATUS_HINTS = {414: "the request URI is too long: shorten the SQL or the CONFIG"}
#: OAuth errors meaning the server did not find the grant's parameters (see
#: seatlib.systems.zoho.auth).
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


def scope_for(path: str) -> str | None:
    """The OAuth scope a call to ``path`` (under ``/restapi/v2``) needs, if known (§2.4)."""
    for pattern, scope in _SCOPE_BY_PATH:
        if pattern.search(path):
            return scope
    return None


def rejected_hint(path: str, token_worked: bool) -> str:
    """What to say when a fresh access token is still rejected (8535) on a call to ``path``.

    Zoho answers 8535 alike for an expired, revoked or other-data-centre token and for one that
    lacks the call's scope (§2.4). When other calls accepted this refresh token's tokens, the
    token is good and the scope is the likely cause: it is named first.
    """
    scope = scope_for(path)
    needs = f"this call needs {scope}; " if scope else ""
    scopes = (f"the refresh token may lack a scope ({needs}the daily run needs "
              f"{_SCOPES_TEXT}): generate it again in the API console with them")
    if token_worked:
        return (f"{scopes}. Other calls accepted this refresh token's access tokens, so a "
                f"missing scope is the likely cause; otherwise {REVOKED_HINT}")
    return f"{REVOKED_HINT}; or {scopes}"


def is_export_busy(code: int | None, message: str) -> bool:
    """Zoho refused to create an export job because five already run (§5.2)."""
    return code == EXPORT_LIMIT_CODE or "async export limit" in message.lower()


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
