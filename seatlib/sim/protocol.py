"""What the Zoho simulator says on the wire: codes, envelopes, request and response types.

The bottom of the simulator's modules (see :mod:`seatlib.sim.server`): it imports nothing of
theirs, and every other simulator module builds its answers with the helpers here.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from typing import Any

from .state import SimWorkspace, ZohoState

AUDIT_WORKSPACE = "Zoho Analytics Audits"
ACCESS_LOG_TABLE = "Access Log"
ACCESS_LOG_COLUMNS = ("Accessed Time", "Accessed By", "Workspace Name", "View Name", "View Type",
                      "IP Address", "User Agent")
#: How "Accessed Time" is stored in the simulated audit table (UTC, sortable); answers show it
#: in the table's declared ``dateFormat`` (:attr:`ZohoState.access_time_format`).
ACCESSED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The ``domainName`` of users and admin groups outside any client portal (§4).
STANDARD_DOMAIN = "analytics.zoho.com"

# Documented by Zoho (§5.2, §5.3, §6.3).
CODE_SQL_NOT_ALLOWED = 7401  # not a SELECT
CODE_SQL_ERROR = 7403  # parsing of the SQL failed (unknown names, syntax)
CODE_SQL_CONVERSION = 7404  # parsed, but not convertible for the engine (e.g. unknown function)
CODE_EXPORT_JOB_NOT_FOUND = 8120  # HTTP 404: the job is unknown or past its retention
CODE_EXPORT_NOT_INITIATED = 8121  # download before the job started
CODE_EXPORT_NOT_READY = 8122  # download before the job finished
CODE_EXPORT_JOB_FAILED = 8123  # download of a failed job
CODE_EXPORT_LIMIT = 8132  # five export jobs already run in the organisation
CODE_INVALID_CONFIG = 8080  # CONFIG with a key the call does not take
# Invented by the simulator: Zoho documents no code for an unknown path.
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

# Summaries and messages of the errors the simulator raises itself (§6.3, §6.4).
ERRORS: dict[int, tuple[str, str]] = {
    6043: ("API_UNITS_EXCEEDED",
           "Your daily API units limit for the Zoho Analytics plan has been exceeded"),
    6045: ("API_REQUEST_LIMIT_EXCEEDED",
           "You have exceeded the number of requests allowed per minute. Try again later"),
    CODE_EXPORT_LIMIT: ("ASYNC_EXPORT_LIMIT_EXCEEDED",
                        "Async export limit reached. Kindly retry once after your previously "
                        "initiated jobs are completed."),
    7005: ("COMMON_INTERNAL_SERVER_ERROR", "Internal server error"),
    7103: ("META_OBJECT_NOT_PRESENT",
           "Workspace not found! Please check whether the workspace exists."),
    7387: ("WORKSPACE_NOT_IN_ORG", "The workspace does not belong to the current organization"),
    7389: ("ORG_NOT_PRESENT", "Organization does not exist"),
    7301: ("SECURITY_NOT_PERMITTED", "You do not have permission to perform this operation"),
    CODE_SQL_NOT_ALLOWED: ("ERROR", "The SQL statement is not a valid or allowed SQL construct"),
    CODE_SQL_ERROR: ("ERROR", "Parsing of SQL query failed"),
    CODE_SQL_CONVERSION: ("ERROR",
                          "Conversion of the SQL query to the internal execution engine failed"),
    CODE_EXPORT_JOB_NOT_FOUND: ("EXPORT_JOB_NOT_FOUND", "Job not found."),
    CODE_EXPORT_NOT_INITIATED: ("EXPORT_JOB_NOT_INITIATED", "Job not initiated."),
    CODE_EXPORT_NOT_READY: ("EXPORT_JOB_NOT_COMPLETED", "Job not completed."),
    CODE_EXPORT_JOB_FAILED: ("EXPORT_JOB_ERROR_OCCURRED",
                             "An internal error occurred while processing the job."),
    CODE_INVALID_CONFIG: ("INVALID_JSON_CONFIGURATION", "Invalid JSON configuration"),
    8079: ("ATTRIBUTE_MISSING", "Required attribute is missing in the CONFIG JSON"),
    8083: ("ORGID_NOT_PRESENT", "Organization id is not present in the request header"),
    8504: ("LESS_THAN_MIN_OCCURANCE",
           "The parameter CONFIG is not proper(Has not been sent or is less than required count)"),
    8516: ("INVALID_PARAMETER_VALUE", "Invalid value passed for the parameter"),
    8518: ("INVALID_AUTHENTICATION", "Invalid authentication"),
    8535: ("INVALID_OAUTHTOKEN", "Invalid Oauthtoken"),
    CODE_UNKNOWN_URL: ("INVALID_URL", "No such API path (simulator)"),
}
#: HTTP status of an error code's answer; every other code answers 400.
STATUS_FOR_CODE = {8535: 401, 8518: 401, 6045: 429, 7301: 403, 7005: 500,
                   CODE_EXPORT_JOB_NOT_FOUND: 404, CODE_UNKNOWN_URL: 404}


@dataclass
class Request:
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
class Response:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


class Fail(Exception):
    """Raised by a route to answer with an error envelope."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


@dataclass(frozen=True)
class Options:
    """How the simulator answers one request: its switches as they stand when the request comes.

    Attributes:
        quirks: names from :data:`QUIRKS`.
        empty_admins_shape: ``"list"``, ``"members"`` or ``"missing"``.
        audit_workspace: name of the workspace holding the Access Log table.
        download_url_base: what ``downloadUrl`` of a finished export job starts with.
    """

    quirks: frozenset[str]
    empty_admins_shape: str
    audit_workspace: str
    download_url_base: str

    @property
    def numbers(self) -> bool:
        return "numbers_as_numbers" in self.quirks

    def status(self, active: bool) -> bool | str:
        """A user's ``status``: a JSON boolean (§3), or a string with ``booleans_as_strings``."""
        if "booleans_as_strings" in self.quirks:
            return "true" if active else "false"
        return bool(active)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Response(status, body, headers=headers or {})


def ok(summary: str, data: dict[str, Any]) -> Response:
    return json_response(200, {"status": "success", "summary": summary, "data": data})


def error(code: int, message: str | None = None, *, status: int | None = None,
          summary: str | None = None, headers: dict[str, str] | None = None) -> Response:
    """The v2 failure envelope (§6.1)."""
    known_summary, known_message = ERRORS.get(code, ("ERROR", f"Error {code}"))
    return json_response(status if status is not None else STATUS_FOR_CODE.get(code, 400),
                         {"status": "failure", "summary": summary or known_summary,
                          "data": {"errorCode": code, "errorMessage": message or known_message}},
                         headers)


def v1_error(code: int, message: str, path: str, status: int) -> Response:
    """The legacy v1 error shape (§6.1), still met in the wild."""
    return json_response(status, {"response": {"uri": path, "action": "", "error": {
        "code": code, "message": message}}})


def fail(code: int, message: str | None = None, **kwargs: Any) -> Fail:
    return Fail(error(code, message, **kwargs))


def ms(value: int | float) -> str:
    return str(int(value))


def find_workspace(state: ZohoState, ws_id: str) -> SimWorkspace | None:
    for ws in state.workspaces:
        if ws.workspace_id == ws_id:
            return ws
    return None


#: Zoho's date-pattern letters the simulator can write, longest first (§9).
_PATTERN_LETTERS = re.compile(r"yyyy|MMMM|MMM|MM|dd|HH|hh|mm|ss|a|'[^']*'")
_STRFTIME = {"yyyy": "%Y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "dd": "%d", "HH": "%H",
             "hh": "%I", "mm": "%M", "ss": "%S", "a": "%p"}


def show_time(value: datetime, pattern: str) -> str:
    """``value`` as Zoho shows a date column whose ``dateFormat`` is ``pattern``."""
    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token[1:-1].replace("%", "%%")
        return _STRFTIME[token]

    return value.strftime(_PATTERN_LETTERS.sub(one, pattern.replace("%", "%%")))


def parse_config(req: Request, *, required: bool) -> dict[str, Any]:
    """CONFIG from the query string or the form body: URL-encoded JSON (§3)."""
    raw = req.param("CONFIG")
    if raw is None or not raw.strip():
        if required:
            raise fail(8504)
        return {}
    try:
        config = json.loads(raw)
    except ValueError:
        raise fail(8504) from None
    if not isinstance(config, dict):
        raise fail(8504)
    return config


def refuse_config(req: Request) -> None:
    """Calls that take no CONFIG refuse one with keys (8080, "unsupported key", §3)."""
    config = parse_config(req, required=False)
    if config:
        raise fail(CODE_INVALID_CONFIG, f"Invalid JSON configuration: unsupported key(s) "
                                        f"{sorted(config)} for this API")
