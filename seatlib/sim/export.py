"""Bulk SQL export as the simulator serves it: jobs, SQL over the simulated tables, CSV files.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import csv
import io
import math
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .faults import Faults
from .limits import Admission, SimLimits
from .protocol import (
    ACCESS_LOG_COLUMNS, ACCESS_LOG_TABLE, ACCESSED_TIME_FORMAT, CODE_EXPORT_JOB_FAILED,
    CODE_EXPORT_JOB_NOT_FOUND, CODE_EXPORT_LIMIT, CODE_EXPORT_NOT_INITIATED,
    CODE_EXPORT_NOT_READY, CODE_SQL_CONVERSION, CODE_SQL_ERROR, CODE_SQL_NOT_ALLOWED, JOB_STATUS,
    Options, Request, Response, fail, find_workspace, ms, ok, parse_config, show_time,
)
from .state import AccessRow, SimWorkspace, ZohoState

#: A workspace's tables: name -> (columns, rows).
Tables = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


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


class Exports:
    """The organisation's export jobs; shares the simulator's lock and counters
    (``jobs_created``, ``job_limit_hits``), takes the job faults and charges the row units."""

    def __init__(self, lock: threading.RLock, stats: dict[str, Any], faults: Faults,
                 admission: Admission):
        self._lock = lock
        self._stats = stats
        self._faults = faults
        self._admission = admission
        self._jobs: dict[str, _Job] = {}
        self._job_seq = 0

    def create(self, req: Request, ws_id: str, state: ZohoState, opts: Options,
               limits: SimLimits) -> Response:
        """``GET .../bulk/workspaces/{ws}/data``: run the SQL now, answer with a job id."""
        config = parse_config(req, required=True)
        sql = config.get("sqlQuery")
        if not isinstance(sql, str) or not sql.strip():
            raise fail(8079, "The attribute sqlQuery is missing in the CONFIG JSON")
        fmt = config.get("responseFormat")
        if fmt is None:
            raise fail(8079, "The attribute responseFormat is missing in the CONFIG JSON")
        if fmt != "csv":
            raise fail(8516, f"responseFormat {fmt!r} is not supported by the simulator "
                             f"(only csv)")
        ws = find_workspace(state, ws_id)
        columns, rows = run_sql(state, ws, sql, opts.audit_workspace)
        rows = [_shown(row, state.access_time_format) for row in rows[:limits.export_row_limit]]
        csv_config = dict(config, delimiter=2) if "csv_semicolon" in opts.quirks else config
        csv_bytes = to_csv(columns, rows, csv_config, bom="octet_stream" not in opts.quirks)
        now = time.monotonic()
        with self._lock:
            if limits.enabled:
                running = sum(1 for job in self._jobs.values() if job.running(now))
                if running >= limits.max_concurrent_jobs:
                    self._stats["job_limit_hits"] += 1
                    raise fail(CODE_EXPORT_LIMIT)
            self._job_seq += 1
            job_id = str(1767024000008787000 + self._job_seq)
        fault = self._faults.take(req.method, req.path, only=frozenset({"job_fail", "job_stuck"}))
        outcome = {"job_fail": "fail", "job_stuck": "stuck"}.get(fault.kind if fault else "", "ok")
        job = _Job(job_id, ws.workspace_id, now, time.time(), limits.job_seconds,
                   limits.job_expiry_s, outcome, csv_bytes)
        with self._lock:
            self._jobs[job_id] = job
            self._stats["jobs_created"] += 1
        self._admission.charge(3 * math.ceil(len(rows) / 1000))  # §7: 3 units per 1000 rows
        return ok("Create bulk export job", {"jobId": job_id})

    def poll(self, req: Request, ws_id: str, job_id: str, opts: Options) -> Response:
        """``GET .../exportjobs/{job}``: the job's code, and where to download a finished one."""
        now = time.monotonic()
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.workspace_id != ws_id:
                job = None
        if job is not None and self._faults.take(req.method, req.path,
                                                 only=frozenset({"job_lost"})):
            job.lost = True
        if job is None or job.code(now) == "1005":
            return ok("Fetch export job info", _job_codes(
                {"jobId": job_id, "jobCode": "1005", "jobStatus": JOB_STATUS["1005"]}, opts))
        code = job.code(now)
        data: dict[str, Any] = {"jobId": job_id, "jobCode": code, "jobStatus": JOB_STATUS[code]}
        if code == "1004":
            data["downloadUrl"] = (f"{opts.download_url_base}/restapi/v2/bulk/workspaces/"
                                   f"{job.workspace_id}/exportjobs/{job_id}/data")
            data["expiryTime"] = job.expiry_ms if opts.numbers else ms(job.expiry_ms)
        return ok("Fetch export job info", _job_codes(data, opts))

    def download(self, ws_id: str, job_id: str, opts: Options) -> Response:
        """``GET .../exportjobs/{job}/data``: the CSV file of a finished job."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.workspace_id != ws_id:
            raise fail(CODE_EXPORT_JOB_NOT_FOUND, f"Job {job_id} not found.")
        code = job.code(time.monotonic())
        refusals = {"1005": CODE_EXPORT_JOB_NOT_FOUND, "1001": CODE_EXPORT_NOT_INITIATED,
                    "1002": CODE_EXPORT_NOT_READY, "1003": CODE_EXPORT_JOB_FAILED}
        if code in refusals:  # §5.2: each download error names the job's state
            raise fail(refusals[code], f"Job {job_id}: {JOB_STATUS[code]}.")
        ctype = ("application/octet-stream" if "octet_stream" in opts.quirks
                 else "text/csv;charset=UTF-8")
        return Response(200, job.csv_bytes, ctype,
                        {"Content-Disposition": f'attachment; filename="{job.job_id}.csv"'})


def _job_codes(data: dict[str, Any], opts: Options) -> dict[str, Any]:
    """``jobCode`` as the quirks want it: a string (§5.2), a number, or absent."""
    if "no_job_code" in opts.quirks:
        data.pop("jobCode")
    elif "job_code_numeric" in opts.quirks:
        data["jobCode"] = int(data["jobCode"])
    return data


def tables(state: ZohoState, ws: SimWorkspace, audit_workspace: str) -> Tables:
    """The workspace's tables: the Access Log in the audit workspace, plus any given in
    ``state.extra["tables"][workspace_id] = {name: (columns, rows)}``."""
    out: Tables = {}
    if ws.name == audit_workspace:
        out[ACCESS_LOG_TABLE] = (ACCESS_LOG_COLUMNS, [_access_row(r) for r in state.access_log])
    for name, (columns, rows) in state.extra.get("tables", {}).get(ws.workspace_id, {}).items():
        out[name] = (tuple(columns), [tuple(r) for r in rows])
    return out


def run_sql(state: ZohoState, ws: SimWorkspace, sql: str,
            audit_workspace: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` against the workspace's tables in a throw-away sqlite3 database."""
    if not re.match(r"\s*(select|with)\b", sql, re.IGNORECASE):
        raise fail(CODE_SQL_NOT_ALLOWED, "The SQL statement is not a valid or allowed SQL "
                                         "construct: only SELECT is allowed")
    workspace_tables = tables(state, ws, audit_workspace)
    db = sqlite3.connect(":memory:")
    try:
        for table, (columns, rows) in workspace_tables.items():
            cols = ", ".join(_quote(c) + " TEXT" for c in columns)
            db.execute(f"CREATE TABLE {_quote(table)} ({cols})")
            marks = ", ".join("?" for _ in columns)
            db.executemany(f"INSERT INTO {_quote(table)} VALUES ({marks})", rows)
        db.execute("PRAGMA query_only = ON")
        check_identifiers(sql, workspace_tables)
        try:
            cursor = db.execute(sql)
            rows = cursor.fetchall()
        except sqlite3.ProgrammingError as exc:  # e.g. several statements
            raise fail(CODE_SQL_NOT_ALLOWED, f"The SQL statement is not a valid or allowed SQL "
                                             f"construct: {exc}") from None
        except (sqlite3.Error, sqlite3.Warning) as exc:
            if "syntax error" in str(exc) or "incomplete input" in str(exc):
                raise fail(CODE_SQL_ERROR, f"Parsing of SQL query failed: {exc}") from None
            raise fail(CODE_SQL_CONVERSION, f"Conversion of the SQL query to the internal "
                                            f"execution engine failed: {exc}") from None
        columns = [d[0] for d in cursor.description or ()]
        return columns, rows
    finally:
        db.close()


def check_identifiers(sql: str, workspace_tables: dict[str, tuple[tuple[str, ...], list[Any]]]
                      ) -> None:
    """Reject double-quoted names that are neither a table, a column nor an alias.

    sqlite reads an unknown ``"name"`` as the string 'name' (a legacy quirk that Python 3.11
    cannot switch off), so a misspelt column would silently export a constant. Zoho's SQL treats
    double quotes as identifiers and fails; so does the simulator.
    """
    known = {t.lower() for t in workspace_tables}
    known |= {c.lower() for columns, _ in workspace_tables.values() for c in columns}
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
            raise fail(CODE_SQL_ERROR, f"Parsing of SQL query failed: no such column or table: "
                                       f"{ident}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def _shown(row: tuple[Any, ...], pattern: str) -> tuple[Any, ...]:
    """A result row as Zoho writes it: times (stored sortable, so MAX works) in the table's
    declared ``dateFormat``."""
    if not pattern:  # no declared format: as stored
        return row
    return tuple(show_time(datetime.strptime(v, ACCESSED_TIME_FORMAT), pattern)
                 if isinstance(v, str) and _STORED_TIME.fullmatch(v) else v for v in row)


def _access_row(row: AccessRow) -> tuple[str, ...]:
    at = row.accessed_at
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc)
    return (at.strftime(ACCESSED_TIME_FORMAT), row.accessed_by, row.workspace_name,
            row.view_name, row.view_type, row.ip_address, row.user_agent)


def to_csv(columns: list[str], rows: list[tuple[Any, ...]], config: dict[str, Any], *,
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
