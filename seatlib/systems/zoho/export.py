"""Bulk export: run one SQL query as an export job and bring back its CSV.

:class:`Exporter` creates the job (waiting while the organisation already runs the most Zoho
allows), polls it with growing pauses, downloads the file from the configured API URL, creates
the job once more when Zoho lost it or the file expired, and bounds it all by one timeout. Used
by :meth:`seatlib.systems.zoho.ZohoClient.export_sql`; makes its calls through the
:class:`~seatlib.systems.zoho.transport.Transport`.
"""

from __future__ import annotations

from typing import Any

from ...core.errors import ZohoError
from .pacing import Budget
from .protocol import (
    API, EXPORT_CSV_CONFIG, EXPORT_JOB_NOT_FOUND_CODE, EXPORT_LIMIT_CODE, EXPORT_ROW_LIMIT, HINTS,
    JOB_COMPLETED, JOB_ERROR, JOB_IN_PROGRESS, JOB_NOT_FOUND, JOB_NOT_INITIATED, is_export_busy,
    job_code, origin,
)
from .records import comma_csv, csv_records
from .transport import Transport


class Exporter:
    """Export jobs of one client.

    Args:
        api: the client's transport.
        timeout_s: the whole export's time (``[zoho] export_timeout_s``).
        poll_s: the longest pause between polls (``[zoho] export_poll_s``).
        row_limit: the row count at which Zoho cuts an SQL export without an error (§5.3).
    """

    def __init__(self, api: Transport, *, timeout_s: float, poll_s: float,
                 row_limit: int = EXPORT_ROW_LIMIT):
        self._row_limit = row_limit
        self._gone = (JOB_NOT_FOUND, "JOB NOT FOUND")  # how the last job vanished (code, text)
        self._api = api
        self._http = api.http
        self._log = api.http.log
        self._timeout_s = timeout_s
        self._poll_s = poll_s

    def export_sql(self, workspace_id: str, sql: str) -> str:
        """The CSV text (BOM removed, commas between fields) of ``sql`` run in the workspace.

        Raises:
            ZohoError: the SQL was rejected (7401, 7403, 7404...), the job failed (1003),
                vanished twice (1005 / 8120), did not finish in time, or the result has as many
                rows as Zoho's silent cut-off (probably truncated).
        """
        base = f"/bulk/workspaces/{workspace_id}"
        budget = Budget(self._timeout_s, self._http.sleep)
        recreate_left = 1
        self._gone = (JOB_NOT_FOUND, "JOB NOT FOUND")
        while True:
            job_id = self._create_job(base, sql, budget)
            job = self._wait_job(base, job_id, budget)
            if job is not None:
                content = self._download(base, job_id, job, budget)
                if content is not None:
                    return self._read_file(f"GET {API}{base}/exportjobs/{job_id}/data", content)
            if recreate_left == 0:
                code, message = self._gone
                raise self._http.error(ZohoError, f"GET {API}{base}/exportjobs/{job_id}",
                                       int(code), message, "the export job vanished twice (not "
                                       "found or expired before download): try again later")
            recreate_left -= 1
            self._log.warning("zoho: export job %s vanished or expired; creating it again",
                              job_id)

    def _read_file(self, call: str, content: bytes) -> str:
        """The downloaded CSV as text with commas, refused when it may be cut off."""
        try:
            text = comma_csv(content.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise self._http.error(ZohoError, call, None, f"the export is not UTF-8 ({exc.reason})",
                                   "ask Zoho; the file cannot be read") from None
        rows = max(csv_records(text) - 1, 0)  # the header row
        if rows >= self._row_limit:
            raise self._http.error(
                ZohoError, call, None, f"the export has {rows} rows",
                f"Zoho cuts SQL exports at {self._row_limit} rows without an error, so this "
                f"result is probably truncated: narrow the query (e.g. a WHERE on the time) or "
                f"split it")
        return text

    def _call_budget(self, budget: Budget) -> float:
        """The retry budget of one call made inside the export."""
        return budget.share(self._http.retry_budget_s)

    def _create_job(self, base: str, sql: str, budget: Budget) -> str:
        call = f"GET {API}{base}/data"
        wait = min(1.0, self._poll_s)
        while True:
            try:
                data = self._api.get(f"{base}/data", config=dict(EXPORT_CSV_CONFIG, sqlQuery=sql),
                                     budget_s=self._call_budget(budget))
            except ZohoError as exc:
                if not is_export_busy(exc.code, exc.zoho_message):
                    raise
                if budget.remaining() < wait:
                    raise self._http.error(ZohoError, call, exc.code, exc.zoho_message,
                                           f"{HINTS[EXPORT_LIMIT_CODE]}; still busy after "
                                           f"{budget.elapsed():.0f} s ([zoho] export_timeout_s)",
                                           exc.http_status) from None
                self._log.info("zoho: 5 export jobs already running; waiting %.1f s", wait)
                budget.sleep(wait)
                wait = min(wait * 2, max(self._poll_s, 1.0))
                continue
            job_id = data.get("jobId")
            if job_id in (None, ""):
                raise self._http.error(ZohoError, call, None, "answer has no jobId",
                                       "the API changed; update seatlib.systems.zoho")
            return str(job_id)

    def _wait_job(self, base: str, job_id: str, budget: Budget) -> dict[str, Any] | None:
        """Poll until the job completes (its ``data``) or vanishes (None: jobCode 1005, or 8120
        not found or expired)."""
        path = f"{base}/exportjobs/{job_id}"
        call = f"GET {API}{path}"
        pause = min(0.2, self._poll_s)
        status = "JOB NOT INITIATED"
        while True:
            if budget.remaining() < pause:
                raise self._http.error(ZohoError, call, None, f"job still {status!r}",
                                       f"the export did not finish within {budget.seconds:.0f} "
                                       f"s: raise [zoho] export_timeout_s or try later")
            budget.sleep(pause)
            pause = min(pause * 1.6, self._poll_s)
            try:
                data = self._api.get(path, budget_s=self._call_budget(budget))
            except ZohoError as exc:
                if exc.code == EXPORT_JOB_NOT_FOUND_CODE:
                    self._gone = (str(exc.code), exc.zoho_message)
                    return None
                raise
            code, status = job_code(data)
            if code == JOB_COMPLETED:
                # expiryTime is not checked against the local clock (skew would re-create jobs
                # for nothing); an expired file fails the download, which re-creates the job
                return data
            if code == JOB_NOT_FOUND:
                self._gone = (code, status)
                return None
            if code == JOB_ERROR:
                raise self._http.error(ZohoError, call, 1003, status, HINTS[1003])
            if code not in (JOB_NOT_INITIATED, JOB_IN_PROGRESS):
                raise self._http.error(ZohoError, call, None,
                                       f"unknown jobCode {code!r} ({status})",
                                       "the API changed; update seatlib.systems.zoho")

    def _download(self, base: str, job_id: str, job: dict[str, Any],
                  budget: Budget) -> bytes | None:
        """The export file, or None if the job is gone (8120: unknown or expired) meanwhile.

        The documented path is built on the configured API URL, as Zoho's own SDK does;
        ``downloadUrl`` is not followed. It names the same file, and when it names another host
        (the documentation's ``analyticsapi.zoho.com`` echoed by a stand-in, or a proxy's
        inside address) following it would send the access token where it was never meant to
        go. Such a URL is only logged.
        """
        path = f"{base}/exportjobs/{job_id}/data"
        api_url = self._api.api_url
        download_url = job.get("downloadUrl")
        if (isinstance(download_url, str) and download_url.strip()
                and download_url.strip() != api_url + API + path):
            self._log.info("zoho: export job %s gives a downloadUrl on %s; downloading from "
                           "%s%s instead", job_id, origin(download_url.strip()), api_url,
                           API + path)
        try:
            return self._api.get(path, raw=True, budget_s=self._call_budget(budget))
        except ZohoError as exc:
            if exc.code == EXPORT_JOB_NOT_FOUND_CODE:
                self._gone = (str(exc.code), exc.zoho_message)
                return None
            raise
