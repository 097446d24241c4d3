"""The Zoho Analytics API v2 client: the only code that talks to Zoho.

It turns Zoho's JSON into typed records (:class:`Workspace`, :class:`User`, :class:`Resource`,
:class:`Org`) and every failure into :class:`~seatlib.core.errors.ZohoError` (or
:class:`~seatlib.core.errors.ZohoAuthError`) naming the call, Zoho's code and message, and what to
do. The rules come from ``docs/zoho-api-notes.md`` (section numbers below refer to it):

* OAuth (§2): one access token per process and refresh token, shared by its clients,
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

This module is the façade: :class:`ZohoClient` composes the rooms of :mod:`seatlib.systems.zoho`
(protocol and records at the bottom, then pacing, transport, auth and export) and reads the
answers of the metadata calls into records. Used by the extract and the demo.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Iterable

from ...core.config import ZohoSecrets, ZohoSettings, zoho_hosts
from ...core.errors import ZohoError
from .auth import TokenKeeper
from .export import Exporter
from .pacing import Backoff, Progress, RateLimiter
from .protocol import ACCOUNTS_SUFFIXES, API_SUFFIXES, EXPORT_ROW_LIMIT, NoContent, base_url
from .records import (
    Admin, DateFormatError, Org, Resource, User, Workspace, admin_list, int_or_none,
    java_to_strptime, read_flag, unique_admins,
)
from .transport import Http, Transport
from .users import UserAdmin

logger = logging.getLogger("seatlib.systems.zoho")


class ZohoClient:
    """A Zoho Analytics API v2 client for one run (one access token for its lifetime).

    Args:
        settings: hosts, org id, limits and timeouts (:class:`~seatlib.core.config.ZohoSettings`).
        secrets: the OAuth client id, secret and refresh token.
        log: where progress, retries and token refreshes are logged (default this module's).
        sleep: how to wait (tests pass a recorder).
        backoff_base_s: first retry waits up to this long; each further one doubles it.
        backoff_cap_s: longest single retry wait (before ``Retry-After``).
        export_row_limit: where Zoho cuts an SQL export silently (800,000, §5.3); tests
            pass a smaller one to meet it.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, settings: ZohoSettings, secrets: ZohoSecrets, *,
                 log: logging.Logger | None = None, sleep: Callable[[float], None] = time.sleep,
                 backoff_base_s: float = 1.0, backoff_cap_s: float = 60.0,
                 export_row_limit: int = EXPORT_ROW_LIMIT):
        self.settings = settings
        self._log = log or logger
        api_url, accounts_url = zoho_hosts(settings.data_center, settings.api_url,
                                           settings.accounts_url)
        self._http = Http(secrets.values(), timeout_s=settings.request_timeout_s,
                          retry_budget_s=settings.retry_budget_s,
                          backoff=Backoff(backoff_base_s, backoff_cap_s), sleep=sleep,
                          log=self._log)
        self._auth = TokenKeeper(self._http, secrets, base_url(
            accounts_url, ACCOUNTS_SUFFIXES))
        self._limiter = RateLimiter(settings.calls_per_minute, sleep)
        self._api = Transport(self._http, base_url(api_url, API_SUFFIXES),
                              self._limiter,
                              token=self._auth.access_token, org_id=self._org_id,
                              on_rejected=self._auth.on_rejected)
        self._exporter = Exporter(self._api, timeout_s=settings.export_timeout_s,
                                  poll_s=settings.export_poll_s, row_limit=export_row_limit)
        #: deactivate / activate / remove users (§10):
        # :class:`~seatlib.systems.zoho.users.UserAdmin`
        self.users = UserAdmin(self._api)
        self._org: str | None = settings.org_id or None
        self._org_lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connections. The client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> "ZohoClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def org_id(self) -> str:
        """The organisation the calls go to (resolved through ``GET /orgs`` if not set)."""
        return self._org_id()

    @property
    def tokens_obtained(self) -> int:
        """Access tokens this client requested from Zoho (one per run is the goal; a token
        reused from another client of the process does not count)."""
        return self._auth.tokens_obtained

    @property
    def late_wakes(self) -> int:
        """Slots given up because their caller woke too late for them (the process stood
        still; see :class:`~seatlib.systems.zoho.pacing.RateLimiter`)."""
        return self._limiter.late_wakes

    # -- public calls ---------------------------------------------------------------------
    def list_orgs(self) -> list[Org]:
        """The organisations the account belongs to (``GET /orgs``, no org header)."""
        data = self._api.get("/orgs", org=False)
        orgs = self._list(data, "orgs", "GET /restapi/v2/orgs")
        out = []
        for o in orgs:
            count = o.get("numberOfworkspaces", o.get("numberOfWorkspaces"))
            out.append(Org(org_id=self._id(o, "orgId", "GET /restapi/v2/orgs"),
                           name=str(o.get("orgName") or ""),
                           is_default=read_flag(o.get("isDefault")),
                           workspace_count=int_or_none(count), role=str(o.get("role") or "")))
        return out

    def list_workspaces(self) -> list[Workspace]:
        """The organisation's workspaces the account owns or shares (the audit workspace
        included), owned first, each id once.

        ``GET /workspaces`` lists the workspaces of every organisation the account belongs to or
        was shared into, each with its ``orgId`` (§4); calls on another organisation's workspace
        under this organisation's header fail (7103, 7301). Those are left out here, and the log
        says how many, of which organisations. A workspace without ``orgId`` is kept.
        """
        listed = self.all_workspaces()
        org = self._org_id()
        ours = [w for w in listed if not w.org_id or w.org_id == org]
        others = [w for w in listed if w.org_id and w.org_id != org]
        if others:
            orgs = ", ".join(sorted({w.org_id for w in others}))
            self._log.info("zoho: GET /restapi/v2/workspaces listed %d workspace(s) of other "
                           "organisations (%s); left out, as only organisation %s is monitored "
                           "and their calls would fail under its ZANALYTICS-ORGID",
                           len(others), orgs, org)
        return ours

    def all_workspaces(self) -> list[Workspace]:
        """Every workspace ``GET /workspaces`` lists, of any organisation, owned first, each id
        once (see :meth:`list_workspaces` for this organisation's)."""
        call = "GET /restapi/v2/workspaces"
        data = self._api.get("/workspaces")
        keys: tuple[tuple[str, bool], ...] = (("ownedWorkspaces", True),
                                              ("sharedWorkspaces", False))
        if "ownedWorkspaces" not in data and "sharedWorkspaces" not in data:
            if isinstance(data.get("workspaces"), list):
                keys = (("workspaces", True),)  # the shape of /workspaces/owned
            elif not isinstance(data, NoContent):
                raise self._http.error(ZohoError, call, None, "answer has neither "
                                       "ownedWorkspaces nor sharedWorkspaces",
                                       "the API changed; update seatlib.systems.zoho")
        seen: dict[str, Workspace] = {}
        for key, owned in keys:
            for w in self._list(data, key, call, required=False):
                ws_id = self._id(w, "workspaceId", call)
                if ws_id not in seen:
                    seen[ws_id] = Workspace(
                        workspace_id=ws_id, name=str(w.get("workspaceName") or ""),
                        created_time_ms=int_or_none(w.get("createdTime")),
                        created_by=str(w.get("createdBy") or ""), owned=owned,
                        org_id=str(w.get("orgId") or "").strip())
        return list(seen.values())

    def workspace_users(self, workspace_id: str) -> list[User]:
        """The users of one workspace (``GET /workspaces/{id}/users``)."""
        call = f"GET /restapi/v2/workspaces/{workspace_id}/users"
        data = self._api.get(f"/workspaces/{workspace_id}/users")
        return [self._user(u, call) for u in self._list(data, "users", call)]

    def workspace_admins(self, workspace_id: str) -> tuple[list[str], str]:
        """The admin e-mails of a workspace and where they came from (see
        :meth:`workspace_admin_list`, which keeps each admin's domain too)."""
        admins, source = self.workspace_admin_list(workspace_id)
        return [a.email for a in admins], source

    def workspace_admin_list(self, workspace_id: str) -> tuple[list[Admin], str]:
        """The admins registered for a workspace, with their domains, and where they came from.

        No CONFIG is sent: ``domainName`` is a field of the answer, not a parameter (§4).

        Returns:
            ``(admins, source)``: source ``"admins"`` (``GET /workspaces/{id}/admins``; each
            admin carries its group's ``domainName``), ``"users_fallback"`` (no admins there;
            the workspace users with role "Workspace Admin", active or not, with their own
            ``domainName``) or ``"none"`` (no admin anywhere). Zoho's order, each e-mail once
            (compared case-insensitively).
        """
        data = self._api.get(f"/workspaces/{workspace_id}/admins")
        admins = unique_admins(admin_list(data.get("workspaceAdmins",
                                                   data.get("adminMembers"))))
        if admins:
            return admins, "admins"
        fallback = unique_admins(Admin(u.email, u.domain)
                                 for u in self.workspace_users(workspace_id)
                                 if u.role.replace(" ", "").lower() == "workspaceadmin")
        if fallback:
            return fallback, "users_fallback"
        return [], "none"

    def admins_for(self, workspace_ids: Iterable[str],
                   progress: Callable[[int, int], None] | None = None
                   ) -> dict[str, tuple[list[Admin], str]]:
        """:meth:`workspace_admin_list` for many workspaces, ``settings.max_concurrency`` at a time.

        All threads share the rate limiter, so at the default 60 calls a minute a thousand
        workspaces take about 17 minutes. Progress is logged only when the work is slow enough
        to matter (see :class:`~seatlib.systems.zoho.pacing.Progress`): done/total, rate and ETA
        from :data:`~seatlib.systems.zoho.pacing.PROGRESS_FIRST_S` seconds on, then every
        :data:`~seatlib.systems.zoho.pacing.PROGRESS_EVERY_S` seconds or
        :data:`~seatlib.systems.zoho.pacing.PROGRESS_EVERY_SHARE` of the work, whichever comes
        later; and always one final line ``workspace admins: N/N in X s``. ``progress(done,
        total)`` is called after each workspace.

        Raises:
            ZohoError: the first failure; the workspaces not started yet are abandoned.
        """
        ids = list(dict.fromkeys(workspace_ids))
        total = len(ids)
        results: dict[str, tuple[list[Admin], str]] = {}
        if not ids:
            return results
        meter = Progress("workspace admins", total, self._log)
        pool = ThreadPoolExecutor(max_workers=min(self.settings.max_concurrency, total),
                                  thread_name_prefix="zoho-admins")
        try:
            futures = {pool.submit(self.workspace_admin_list, ws_id): ws_id for ws_id in ids}
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
        """The organisation's users with their status, role and (client-portal orgs) domain
        (``GET /users``, no CONFIG: ``domainName`` is an answer field, §4)."""
        call = "GET /restapi/v2/users"
        data = self._api.get("/users")
        return [self._user(u, call) for u in self._list(data, "users", call)]

    def resources(self) -> list[Resource]:
        """Seat usage and other resources (``GET /resources``; numbers arrive as strings)."""
        call = "GET /restapi/v2/resources"
        data = self._api.get("/resources")
        out = []
        for r in self._list(data, "resourceDetails", call):
            usage = r.get("resourceUsage") if isinstance(r.get("resourceUsage"), dict) else {}
            out.append(Resource(name=str(r.get("resourceName") or ""),
                                allocated=int_or_none(usage.get("allocated")),
                                used=int_or_none(usage.get("used")),
                                remaining=int_or_none(usage.get("remaining"))))
        return out

    def date_format(self, workspace_id: str, table: str, column: str) -> str:
        """The ``dateFormat`` Zoho declares for a date column of a table (§4, §9), e.g.
        ``"dd MMM, yyyy HH:mm:ss"``; "" when the table or column is not found or declares none.

        Two calls: ``GET /workspaces/{ws}/views`` for the table's view id, then
        ``GET /workspaces/{ws}/views/{view}/metadata``.

        Raises:
            ZohoError: a call failed, or the declared pattern has letters seatlib cannot read
                (rather than read its dates some other way).
        """
        views_call = f"GET /restapi/v2/workspaces/{workspace_id}/views"
        views = self._list(self._api.get(f"/workspaces/{workspace_id}/views"), "views",
                           views_call, required=False)
        view = next((v for v in views if str(v.get("viewName") or "") == table), None)
        if view is None:
            self._log.warning("zoho: %s has no view %r; its date format is unknown", views_call,
                              table)
            return ""
        view_id = self._id(view, "viewId", views_call)
        call = f"GET /restapi/v2/workspaces/{workspace_id}/views/{view_id}/metadata"
        data = self._api.get(f"/workspaces/{workspace_id}/views/{view_id}/metadata")
        columns = self._list(data, "columns", call, required=False)
        found = next((c for c in columns if str(c.get("columnName") or "") == column), None)
        pattern = str((found or {}).get("dateFormat") or "").strip()
        if not pattern:
            self._log.warning("zoho: %s declares no dateFormat for %r; reading its times with "
                              "seatlib's list of formats", call, column)
            return ""
        try:
            java_to_strptime(pattern)
        except DateFormatError as exc:
            raise self._http.error(ZohoError, call, None, str(exc),
                                   f"the {table!r} column {column!r} is shown in a format seatlib "
                                   f"cannot read: choose another date format for it in Zoho "
                                   f"Analytics, or teach seatlib.systems.zoho.records.java_to_strptime "
                                   f"the letter") from None
        return pattern

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
        return self._exporter.export_sql(workspace_id, sql)

    # -- organisation ---------------------------------------------------------------------
    def _org_id(self) -> str:
        if self._org:
            return self._org
        with self._org_lock:
            if not self._org:
                orgs = self.list_orgs()
                chosen = [o for o in orgs if o.is_default] or (orgs if len(orgs) == 1 else [])
                if not chosen:
                    ids = ", ".join(o.org_id for o in orgs) or "none"
                    raise self._http.error(ZohoError, "GET /restapi/v2/orgs", None,
                                           f"{len(orgs)} organisation(s), none marked default",
                                           f"set ZOHO_ORG_ID to one of: {ids}")
                self._org = chosen[0].org_id
                self._log.info("zoho: ZOHO_ORG_ID not set; using the default organisation %s "
                               "(%s)", chosen[0].org_id, chosen[0].name)
        return self._org

    # -- reading answers ------------------------------------------------------------------
    def _list(self, data: dict[str, Any], key: str, call: str, *,
              required: bool = True) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None and (not required or isinstance(data, NoContent)):
            return []
        if not isinstance(value, list):
            raise self._http.error(ZohoError, call, None, f"answer has no list {key!r}",
                                   "the API changed; update seatlib.systems.zoho")
        return [v for v in value if isinstance(v, dict)]

    def _id(self, item: dict[str, Any], key: str, call: str) -> str:
        value = item.get(key)
        if value in (None, ""):
            raise self._http.error(ZohoError, call, None, f"an item has no {key}",
                                   "the API changed; update seatlib.systems.zoho")
        return str(value)

    def _user(self, item: dict[str, Any], call: str) -> User:
        email = item.get("emailId")
        if not email:
            raise self._http.error(ZohoError, call, None, "a user has no emailId",
                                   "the API changed; update seatlib.systems.zoho")
        domain = item.get("domainName")
        return User(email=str(email).strip(), active=read_flag(item.get("status")),
                    role=str(item.get("role") or ""),
                    domain=domain.strip() if isinstance(domain, str) else "")
