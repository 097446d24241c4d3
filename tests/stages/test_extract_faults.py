"""The fault matrix: the extract stage under each fault, over real HTTP.

Each case starts from a lake that already holds a previous good bronze for the day (the
fault-free bronze with its last row cut off, so that "untouched" and "rewritten" differ), switches
one fault on in a fresh simulator, and runs :func:`seatlib.stages.extract.run` for the four Zoho
sources with a real :class:`~seatlib.systems.zoho.ZohoClient`. The expected outcome is declared per
case and the test asserts exactly that outcome:

* **recovers**: no error, and every bronze file is byte for byte the fault-free bronze (for a
  case that changes what Zoho shows rather than injecting a fault, e.g. another declared date
  format, bronze holds Zoho's raw text, so the silver built from it must equal the fault-free
  silver instead);
* **fails clearly**: a seatlib exception whose message names the call, Zoho's code (when there is
  one) and what to do, and which source was being extracted; every bronze file of the day is
  byte-identical to before (``extract.run`` reads and guards every source before it replaces
  any file); no temporary file is left behind.

The organisation is the demo world's (``World(42)``), cut to 40 workspaces: the audit workspace,
six whose ``/admins`` is empty (the ``/workspaces/{id}/users`` fallback), the rest with admins.
Retries are short (10 ms backoff, 0.5 s request timeout) so the module runs in seconds.

=============================  ================================================  =============
case                           fault (path: what the simulator does)             outcome
=============================  ================================================  =============
6045-http429-retry-after       /admins: 6045, HTTP 429, Retry-After 1 s (once)   recovers
6045-http200                   /users: 6045 in an HTTP 200 answer (twice)        recovers
6045-sim-limit                 the simulator's own limit, client limiter off     recovers
v1-shape-6045                  /admins: 6045, legacy v1 shape, HTTP 400 (twice)  recovers
7005-internal-error            /admins: 7005, HTTP 500 (twice)                   recovers
5xx-on-users                   /users: HTML 503 page (twice)                     recovers
latency                        /admins: +50 ms on every call                     recovers
timeout                        /resources: no answer in the timeout (once)       recovers
dropped-connection             /workspaces: connection dropped (twice)           recovers
malformed-json                 /admins: truncated JSON, HTTP 200 (twice)         recovers
malformed-download             export download: truncated JSON, no file (once)   recovers
token-dropped                  token: connection dropped (once)                  recovers
expiring-token                 /users: 8535, the access token expired (once)     recovers
export-job-lost                export poll: 1005 JOB NOT FOUND (once)            recovers
export-8132-five-jobs-running  export create: 8132, 5 jobs running (twice)       recovers
export-8120-download-gone      export download: 8120, HTTP 404 (once)            recovers
export-8120-poll-gone          export poll: 8120, HTTP 404 (once)                recovers
foreign-org-workspaces         /workspaces: a third org's audit ws listed first  recovers
date-format-month-first        metadata: dateFormat MM/dd/yyyy hh:mm:ss a        recovers
date-format-not-declared       metadata: no dateFormat for Accessed Time         recovers
empty-admins-members           /admins without admins: [{"adminMembers": []}]    recovers
empty-admins-missing           /admins without admins: no workspaceAdmins        recovers
empty-admins-204               /admins without admins: HTTP 204, no body         recovers
5xx-forever                    /resources: HTML 502 page on every call           fails clearly
timeout-forever                /users: no answer in the timeout, every call      fails clearly
8535-twice-revoked             /resources: 8535 again after a fresh token        fails clearly
token-invalid-code-http200     token: {"error": "invalid_code"}, HTTP 200        fails clearly
token-access-denied            token: the simulator's 10-in-10-minutes throttle  fails clearly
6043-daily-units               /users: 6043 (not retried: exactly one call)      fails clearly
7301-permission                /admins: 7301, HTTP 403                           fails clearly
v1-shape-7301                  /admins: 7301, legacy v1 shape, HTTP 403          fails clearly
8083-missing-org               /workspaces: 8083 organisation id missing         fails clearly
export-job-fails-1003          export job ends in 1003 ERROR OCCURRED            fails clearly
export-job-never-finishes      export job stays 1002 JOB IN PROGRESS             fails clearly
export-job-lost-twice          export poll: 1005, again for the new job          fails clearly
export-8120-twice              export download: 8120, again for the new job      fails clearly
export-8132-forever            export create: 8132 on every call                 fails clearly
sql-7403-unknown-table         export create: 7403, [zoho] access_log_table typo fails clearly
sql-7404-not-convertible       export create: 7404 SQL not convertible           fails clearly
export-800000-rows             export: the result is cut at the row limit        fails clearly
scope-missing-share-read       token without ZohoAnalytics.share.read: 8535      fails clearly
date-format-unreadable         metadata: dateFormat with a time zone (z)         fails clearly
8080-config-refused            /users: 8080, CONFIG refused                      fails clearly
=============================  ================================================  =============

:func:`matrix_markdown` renders the same matrix from :data:`CASES` (for the README);
``test_docstring_lists_every_case`` keeps this table and the cases in step.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest

from seatlib.stages import extract, silver
from seatlib.core.config import Settings, ZohoSecrets, ZohoSettings
from seatlib.core.errors import SeatlibError, ZohoAuthError, ZohoError
from seatlib.systems.lake import bronze_key
from seatlib.sim.server import AUDIT_WORKSPACE, SimLimits, ZohoSimulator
from seatlib.sim.state import SimWorkspace, ZohoState
from seatlib.sim.world import World
from seatlib.stages import StageOptions
from seatlib.systems import Systems
from seatlib.systems.zoho import ZohoClient

DAY = date(2026, 11, 29)
SOURCES = extract.ZOHO_SOURCES  # in the order the stage extracts them
WORKSPACES = 40
FOREIGN = 2  # of them, the other organisations' workspaces: never called
FAST = dict(calls_per_minute=0, max_concurrency=4, request_timeout_s=0.5, retry_budget_s=3.0,
            export_timeout_s=3.0, export_poll_s=0.05)

RECOVERS = "recovers"
FAILS = "fails clearly"

ORG_USERS = r"^/restapi/v2/users$"  # not /workspaces/{id}/users (the admins fallback)
ADMINS = r"/admins$"
CREATE_EXPORT = r"/bulk/workspaces/[^/]+/data$"
POLL_EXPORT = r"/exportjobs/[^/]+$"
DOWNLOAD_EXPORT = r"/exportjobs/[^/]+/data$"
TOKEN = r"^/oauth/v2/token$"


@dataclasses.dataclass(frozen=True)
class Case:
    """One fault and the outcome it must have.

    Attributes:
        id: the pytest id.
        outcome: :data:`RECOVERS` or :data:`FAILS`.
        fault: what the simulator does, in words (the matrix column).
        path: ``add_fault`` path regex; None for no fault switch (simulator options only).
        kind: ``add_fault`` kind.
        opts: ``add_fault`` options.
        times: ``add_fault`` times (None: every matching request).
        sim: extra :class:`ZohoSimulator` arguments.
        settings: :class:`ZohoSettings` overrides.
        call: the failing call the error must name (prefix of ``ZohoError.call``).
        code: Zoho's code the error must carry (None: none expected).
        words: what-to-do text the message must contain.
        source: the source being extracted when it fails.
        error: the exception class expected.
        fired: how often the fault must have fired (None: not checked).
        state: what the simulator serves instead of the module's state (a function of it).
        client: extra :class:`ZohoClient` arguments.
        same: what a recovery must leave equal to the fault-free run: "bronze" (byte for
            byte) or "silver" (the typed frames: Zoho's raw text differs, the facts do not).
        absent: text the failure's message must not contain.
    """

    id: str
    outcome: str
    fault: str
    path: str | None = None
    kind: str = ""
    opts: dict[str, Any] = dataclasses.field(default_factory=dict)
    times: int | None = 1
    sim: dict[str, Any] = dataclasses.field(default_factory=dict)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    call: str = ""
    code: int | None = None
    words: tuple[str, ...] = ()
    source: str = ""
    error: type[SeatlibError] = ZohoError
    fired: int | None = None
    state: Callable[[ZohoState], ZohoState] | None = None
    client: dict[str, Any] = dataclasses.field(default_factory=dict)
    same: str = "bronze"
    absent: tuple[str, ...] = ()


SCOPES_BUT_SHARE = frozenset({"ZohoAnalytics.metadata.read", "ZohoAnalytics.usermanagement.read",
                              "ZohoAnalytics.data.read"})


def _third_org(state: ZohoState) -> ZohoState:
    """Another organisation's audit workspace listed before everything, and one of its client-
    named workspaces: their calls answer 7103 / 7301 under our org header."""
    created = state.workspaces[-1].created_ms
    extra = (SimWorkspace("2400000000000003000", AUDIT_WORKSPACE, created, "x@third.example",
                          owned=True, org_id="700000555000"),
             SimWorkspace("2400000000000003100", "0777 - Terceiro", created, "x@third.example",
                          admins=("x@third.example",), owned=False, org_id="700000555000"))
    return dataclasses.replace(state, workspaces=extra + state.workspaces)


def _time_format(pattern: str) -> Callable[[ZohoState], ZohoState]:
    return lambda state: dataclasses.replace(state, access_time_format=pattern)


CASES: tuple[Case, ...] = (
    # -- recovers ----------------------------------------------------------------------------
    Case("6045-http429-retry-after", RECOVERS,
         "/admins: 6045, HTTP 429, Retry-After 1 s (once)",
         ADMINS, "error", {"code": 6045, "status": 429, "retry_after": 1}, fired=1),
    Case("6045-http200", RECOVERS, "/users: 6045 in an HTTP 200 answer (twice)",
         ORG_USERS, "error", {"code": 6045, "status": 200}, times=2, fired=2),
    Case("6045-sim-limit", RECOVERS,
         "the simulator's own limit, client limiter off",
         sim={"limits": SimLimits(time_scale=0.005, metadata_per_minute=20, retry_after=False,
                                  job_seconds=0.05)}),
    Case("v1-shape-6045", RECOVERS,
         "/admins: 6045, legacy v1 shape, HTTP 400 (twice)",
         ADMINS, "error", {"code": 6045, "status": 400, "shape": "v1"}, times=2, fired=2),
    Case("7005-internal-error", RECOVERS, "/admins: 7005, HTTP 500 (twice)",
         ADMINS, "error", {"code": 7005}, times=2, fired=2),
    Case("5xx-on-users", RECOVERS, "/users: HTML 503 page (twice)",
         ORG_USERS, "http", {"status": 503}, times=2, fired=2),
    Case("latency", RECOVERS, "/admins: +50 ms on every call",
         ADMINS, "latency", {"seconds": 0.05}, times=None, fired=WORKSPACES - FOREIGN),
    Case("timeout", RECOVERS, "/resources: no answer in the timeout (once)",
         r"/resources$", "timeout", {"seconds": 1.0}, fired=1),
    Case("dropped-connection", RECOVERS,
         "/workspaces: connection dropped (twice)",
         r"^/restapi/v2/workspaces$", "drop", times=2, fired=2),
    Case("malformed-json", RECOVERS, "/admins: truncated JSON, HTTP 200 (twice)",
         ADMINS, "malformed", times=2, fired=2),
    Case("malformed-download", RECOVERS,
         "export download: truncated JSON, no file (once)",
         DOWNLOAD_EXPORT, "malformed", fired=1),
    Case("token-dropped", RECOVERS, "token: connection dropped (once)",
         TOKEN, "drop", fired=1),
    Case("expiring-token", RECOVERS, "/users: 8535, the access token expired (once)",
         ORG_USERS, "expired_token", fired=1),
    Case("export-job-lost", RECOVERS,
         "export poll: 1005 JOB NOT FOUND (once)",
         POLL_EXPORT, "job_lost", fired=1),
    Case("export-8132-five-jobs-running", RECOVERS,
         "export create: 8132, 5 jobs running (twice)",
         CREATE_EXPORT, "error", {"code": 8132, "status": 400}, times=2, fired=2),
    Case("export-8120-download-gone", RECOVERS, "export download: 8120, HTTP 404 (once)",
         DOWNLOAD_EXPORT, "error", {"code": 8120, "status": 404}, fired=1),
    Case("export-8120-poll-gone", RECOVERS, "export poll: 8120, HTTP 404 (once)",
         POLL_EXPORT, "error", {"code": 8120, "status": 404}, fired=1),
    Case("foreign-org-workspaces", RECOVERS, "/workspaces: a third org's audit ws listed first",
         state=_third_org),
    Case("date-format-month-first", RECOVERS, "metadata: dateFormat MM/dd/yyyy hh:mm:ss a",
         state=_time_format("MM/dd/yyyy hh:mm:ss a"), same="silver"),
    Case("date-format-not-declared", RECOVERS, "metadata: no dateFormat for Accessed Time",
         state=_time_format(""), same="silver"),
    Case("empty-admins-members", RECOVERS,
         '/admins without admins: [{"adminMembers": []}]',
         sim={"empty_admins_shape": "members"}),
    Case("empty-admins-missing", RECOVERS, "/admins without admins: no workspaceAdmins",
         sim={"empty_admins_shape": "missing"}),
    Case("empty-admins-204", RECOVERS, "/admins without admins: HTTP 204, no body",
         sim={"quirks": {"empty_as_204"}}),
    # -- fails clearly -----------------------------------------------------------------------
    Case("5xx-forever", FAILS, "/resources: HTML 502 page on every call",
         r"/resources$", "http", {"status": 502}, times=None, settings={"retry_budget_s": 1.0},
         call="GET /restapi/v2/resources", words=("Zoho is having trouble", "gave up after"),
         source="zoho_seats"),
    Case("timeout-forever", FAILS, "/users: no answer in the timeout, every call",
         ORG_USERS, "timeout", {"seconds": 0.8}, times=None, settings={"retry_budget_s": 1.2},
         call="GET /restapi/v2/users", words=("no answer within 0.5 s", "check the network"),
         source="zoho_users"),
    Case("8535-twice-revoked", FAILS, "/resources: 8535 again after a fresh token",
         r"/resources$", "expired_token", times=2, call="GET /restapi/v2/resources",
         code=8535, words=("refresh token was revoked", "ZOHO_DATA_CENTER"),
         source="zoho_seats", error=ZohoAuthError, fired=2),
    Case("token-invalid-code-http200", FAILS,
         'token: {"error": "invalid_code"}, HTTP 200',
         TOKEN, "http", {"status": 200, "body": '{"error":"invalid_code"}'}, times=None,
         call="POST /oauth/v2/token", words=("invalid_code", "ZOHO_REFRESH_TOKEN"),
         source="zoho_workspace_admins", error=ZohoAuthError, fired=1),
    Case("token-access-denied", FAILS,
         "token: the simulator's 10-in-10-minutes throttle",
         sim={"limits": SimLimits(tokens_per_window=0, job_seconds=0.05)},
         call="POST /oauth/v2/token", words=("Access Denied", "blocks new access tokens"),
         source="zoho_workspace_admins", error=ZohoAuthError),
    Case("6043-daily-units", FAILS, "/users: 6043 (not retried: exactly one call)",
         ORG_USERS, "error", {"code": 6043}, times=None, call="GET /restapi/v2/users",
         code=6043, words=("daily API units", "retry tomorrow"), source="zoho_users",
         fired=1),
    Case("7301-permission", FAILS, "/admins: 7301, HTTP 403",
         ADMINS, "error", {"code": 7301, "status": 403}, times=None,
         call="GET /restapi/v2/workspaces/", code=7301, words=("administrator profile",),
         source="zoho_workspace_admins"),
    Case("v1-shape-7301", FAILS, "/admins: 7301, legacy v1 shape, HTTP 403",
         ADMINS, "error", {"code": 7301, "status": 403, "shape": "v1",
                           "message": "You do not have the permission to do this operation"},
         times=None, call="GET /restapi/v2/workspaces/", code=7301,
         words=("do not have the permission", "administrator profile"),
         source="zoho_workspace_admins"),
    Case("8083-missing-org", FAILS, "/workspaces: 8083 organisation id missing",
         r"^/restapi/v2/workspaces$", "error", {"code": 8083}, times=None,
         call="GET /restapi/v2/workspaces", code=8083, words=("set ZOHO_ORG_ID",),
         source="zoho_workspace_admins", fired=1),
    Case("export-job-fails-1003", FAILS, "export job ends in 1003 ERROR OCCURRED",
         CREATE_EXPORT, "job_fail", call="GET /restapi/v2/bulk/workspaces/", code=1003,
         words=("Zoho failed the export job",), source="zoho_last_access", fired=1),
    Case("export-job-never-finishes", FAILS, "export job stays 1002 JOB IN PROGRESS",
         CREATE_EXPORT, "job_stuck", settings={"export_timeout_s": 1.0},
         call="GET /restapi/v2/bulk/workspaces/",
         words=("JOB IN PROGRESS", "did not finish within 1 s", "export_timeout_s"),
         source="zoho_last_access", fired=1),
    Case("export-job-lost-twice", FAILS,
         "export poll: 1005, again for the new job",
         POLL_EXPORT, "job_lost", times=2, call="GET /restapi/v2/bulk/workspaces/", code=1005,
         words=("vanished twice",), source="zoho_last_access", fired=2),
    Case("export-8120-twice", FAILS, "export download: 8120, again for the new job",
         DOWNLOAD_EXPORT, "error", {"code": 8120, "status": 404}, times=2,
         call="GET /restapi/v2/bulk/workspaces/", code=8120, words=("vanished twice",),
         source="zoho_last_access", fired=2),
    Case("export-8132-forever", FAILS, "export create: 8132 on every call",
         CREATE_EXPORT, "error", {"code": 8132, "status": 400}, times=None,
         settings={"export_timeout_s": 1.0}, call="GET /restapi/v2/bulk/workspaces/", code=8132,
         words=("at most 5 export jobs", "export_timeout_s"), source="zoho_last_access"),
    Case("sql-7403-unknown-table", FAILS, "export create: 7403, [zoho] access_log_table typo",
         settings={"access_log_table": "Acess Log"}, call="GET /restapi/v2/bulk/workspaces/",
         code=7403, words=("could not parse the SQL", "access_log_table"),
         source="zoho_last_access", absent=("expired",)),
    Case("sql-7404-not-convertible", FAILS, "export create: 7404 SQL not convertible",
         CREATE_EXPORT, "error", {"code": 7404}, times=None,
         call="GET /restapi/v2/bulk/workspaces/", code=7404,
         words=("could not convert it for its query engine",), source="zoho_last_access",
         absent=("expired",), fired=1),
    Case("export-800000-rows", FAILS, "export: the result is cut at the row limit",
         sim={"limits": SimLimits(enabled=False, job_seconds=0.05, export_row_limit=10)},
         client={"export_row_limit": 10}, call="GET /restapi/v2/bulk/workspaces/",
         words=("has 10 rows", "probably truncated"), source="zoho_last_access"),
    Case("scope-missing-share-read", FAILS, "token without ZohoAnalytics.share.read: 8535",
         sim={"scopes": SCOPES_BUT_SHARE}, call="GET /restapi/v2/workspaces/", code=8535,
         words=("this call needs ZohoAnalytics.share.read", "missing scope is the likely cause"),
         source="zoho_workspace_admins", error=ZohoAuthError),
    Case("date-format-unreadable", FAILS, "metadata: dateFormat with a time zone (z)",
         state=_time_format("dd MMM yyyy HH:mm:ss z"), call="GET /restapi/v2/workspaces/",
         words=("'z' cannot be read", "choose another date format"),
         source="zoho_last_access"),
    Case("8080-config-refused", FAILS, "/users: 8080, CONFIG refused",
         ORG_USERS, "error", {"code": 8080}, times=None, call="GET /restapi/v2/users",
         code=8080, words=("refused the CONFIG",), source="zoho_users", fired=1),
)


def matrix_markdown(cases: tuple[Case, ...] = CASES) -> str:
    """The matrix as a markdown table (for the README)."""
    lines = ["| case | fault (simulator switch) | outcome | the error names |",
             "|---|---|---|---|"]
    for case in cases:
        if case.outcome == RECOVERS and case.same == "silver":
            outcome, names = "recovers: silver identical to a fault-free run", ""
        elif case.outcome == RECOVERS:
            outcome, names = "recovers: bronze byte-identical to a fault-free run", ""
        else:
            outcome = f"fails clearly while extracting `{case.source}`"
            code = f", code {case.code}" if case.code is not None else ""
            names = (f"{case.error.__name__}: `{case.call}...`{code}; "
                     + "; ".join(f"\"{w}\"" for w in case.words))
        lines.append(f"| `{case.id}` | {case.fault} | {outcome} | {names} |")
    return "\n".join(lines)


# -- fixtures ------------------------------------------------------------------------------------

def _small_state() -> ZohoState:
    """The demo world's organisation cut to WORKSPACES workspaces, keeping every kind: the other
    organisations' ones, the audit workspace, six whose /admins is empty, the rest with admins
    (in the world's order)."""
    full = World(42).zoho_state(DAY)
    empty = [w for w in full.workspaces if not w.admins and w.name != AUDIT_WORKSPACE][:6]
    keep = {w.workspace_id for w in empty}
    keep |= {w.workspace_id for w in full.workspaces if w.name == AUDIT_WORKSPACE}
    for w in full.workspaces:
        if len(keep) >= WORKSPACES:
            break
        keep.add(w.workspace_id)
    workspaces = tuple(w for w in full.workspaces if w.workspace_id in keep)
    names = {w.name for w in workspaces}
    return dataclasses.replace(full, workspaces=workspaces, access_log=tuple(
        r for r in full.access_log if r.workspace_name in names))


@pytest.fixture(scope="module")
def state() -> ZohoState:
    return _small_state()


def _secrets() -> ZohoSecrets:
    # one refresh token per run: the client's token ledger (10 per 10 minutes) is keyed by it
    return ZohoSecrets(client_id="1000.FAULTMATRIX", client_secret="fault-matrix-secret",
                       refresh_token=f"1000.faults-{uuid.uuid4().hex[:12]}")


def _start(state: ZohoState, secrets: ZohoSecrets, **kwargs: Any) -> ZohoSimulator:
    kwargs.setdefault("limits", SimLimits(enabled=False, job_seconds=0.05))
    return ZohoSimulator(state, client_id=secrets.client_id, client_secret=secrets.client_secret,
                         refresh_token=secrets.refresh_token, **kwargs).start()


def _run(sim: ZohoSimulator, secrets: ZohoSecrets, lake: Path, org_id: str,
         client: dict[str, Any] | None = None, **overrides: Any) -> SeatlibError | None:
    """One extract of the Zoho sources for DAY; the seatlib error it raised, if any."""
    zoho = ZohoSettings(api_url=sim.url, accounts_url=sim.url, org_id=org_id,
                        **{**FAST, **overrides})
    settings = Settings(lake_url=str(lake), zoho=zoho)
    with ZohoClient(zoho, secrets, backoff_base_s=0.01, backoff_cap_s=0.1,
                    **(client or {})) as client:
        try:
            extract.run(DAY, Systems.of(settings, shared_zoho=client),
                        StageOptions(allow_replay=True), sources=SOURCES)
        except SeatlibError as exc:
            return exc
    return None


def _files(lake: Path) -> dict[str, bytes]:
    """Every file under the lake (temporary ones included), by relative path."""
    return {p.relative_to(lake).as_posix(): p.read_bytes()
            for p in sorted(lake.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(state, tmp_path_factory) -> dict[str, bytes]:
    """The fault-free bronze, by source."""
    secrets = _secrets()
    lake = tmp_path_factory.mktemp("reference") / "lake"
    sim = _start(state, secrets)
    try:
        error = _run(sim, secrets, lake, state.org_id)
    finally:
        sim.stop()
    assert error is None, error
    files = _files(lake)
    assert set(files) == {bronze_key(s, DAY) for s in SOURCES}
    return {s: files[bronze_key(s, DAY)] for s in SOURCES}


def _silver(bronze: dict[str, bytes]) -> dict[str, Any]:
    """The silver frames built from each source's bronze bytes."""
    import io

    import pandas as pd

    settings = Settings(zoho=ZohoSettings())
    return {source: silver.transform(source, pd.read_csv(io.BytesIO(data), dtype=str,
                                                        keep_default_na=False),
                                     DAY, settings, source)
            for source, data in bronze.items()}


def _previous(reference: dict[str, bytes]) -> dict[str, bytes]:
    """A previous good bronze for the day that differs from the fault-free one: the same file
    without its last row (an earlier run of the same day, before the last change)."""
    out = {}
    for source, data in reference.items():
        lines = data.splitlines(keepends=True)
        assert len(lines) >= 3, source  # header and at least two rows
        out[source] = b"".join(lines[:-1])
    return out


# -- the matrix ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, state, reference, tmp_path):
    secrets = _secrets()
    lake = tmp_path / "lake"
    previous = _previous(reference)
    for source, data in previous.items():
        path = lake / bronze_key(source, DAY)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    before = _files(lake)

    sim = _start(case.state(state) if case.state else state, secrets, **case.sim)
    try:
        fault = (sim.add_fault(case.path, case.kind, times=case.times, **case.opts)
                 if case.path else None)
        started = time.monotonic()
        error = _run(sim, secrets, lake, state.org_id, case.client, **case.settings)
        elapsed = time.monotonic() - started
        stats = sim.stats
    finally:
        sim.stop()
    after = _files(lake)

    if case.outcome == RECOVERS and case.same == "silver":
        assert error is None, f"expected recovery, got: {error}"
        got = _silver({s: after[bronze_key(s, DAY)] for s in SOURCES})
        for source, want in _silver(reference).items():
            pd.testing.assert_frame_equal(got[source], want, obj=source)
        assert after != {bronze_key(s, DAY): reference[s] for s in SOURCES}  # Zoho's text differs
    elif case.outcome == RECOVERS:
        assert error is None, f"expected recovery, got: {error}"
        assert after == {bronze_key(s, DAY): reference[s] for s in SOURCES}
    else:
        assert error is not None, "expected a clear failure, the extract succeeded"
        assert isinstance(error, case.error), repr(error)
        text = str(error)
        assert error.call.startswith(case.call) and case.call in text, text
        assert error.code == case.code, text
        if case.code is not None:
            assert f"code {case.code}" in text
        for words in case.words:
            assert words in text, f"{words!r} not in: {text}"
        for words in case.absent:
            assert words not in text, f"{words!r} in: {text}"
        assert f"[while extracting {case.source} for {DAY}]" in text
        # nothing is replaced unless every source was read and guarded: the day's previous
        # bronze stays whole, and no temporary or stray file is left behind
        assert after == before
        assert elapsed < 15  # bounded: budgets and timeouts, never a hang

    if fault is not None and case.fired is not None:
        assert fault.fired == case.fired
    if case.id == "6045-http429-retry-after":
        assert elapsed >= 1.0  # Retry-After honoured, not just any backoff
    if case.id == "6045-sim-limit":
        assert stats["rate_limited"] > 0  # the limit was really met, and survived
    if case.id == "6043-daily-units":
        assert stats["errors"] == {6043: 1}  # not retried
    if case.id == "expiring-token":
        assert stats["tokens_issued"] == 2  # one refresh, then the call went through
    if case.id == "token-access-denied":
        assert stats["token_denied"] == 1 and stats["requests_total"] == 1
    if case.id == "scope-missing-share-read":
        # a fresh token was tried before naming the scope (threads may each have asked once)
        assert 2 <= stats["tokens_issued"] <= 1 + FAST["max_concurrency"]
    if case.id in ("export-8120-download-gone", "export-8120-poll-gone"):
        assert stats["jobs_created"] == 2  # a new job, not a retry of the gone one
    if case.id == "foreign-org-workspaces":  # no call ever went to another org's workspace
        assert stats["errors"] == {}


def test_docstring_lists_every_case():
    doc = __doc__ or ""
    for case in CASES:
        row = next((line for line in doc.splitlines() if line.startswith(case.id + " ")), "")
        assert row, f"{case.id} missing from the module docstring"
        assert row.rstrip().endswith(case.outcome), f"{case.id}: docstring says otherwise"
        assert case.fault in row, f"{case.id}: fault text differs from the docstring"
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_readme_shows_the_current_matrix():
    from seatlib.core.config import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert matrix_markdown().strip() in readme, (
        "README.md's fault matrix is out of date: paste matrix_markdown()'s output over it")
