"""The simulator's API paths: the route table, the organisation check and the GET handlers.

Section numbers (§N) refer to ``docs/zoho-api-notes.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from .export import Exports
from .limits import SimLimits
from .protocol import (
    ACCESS_LOG_COLUMNS, ACCESS_LOG_TABLE, CODE_UNKNOWN_URL, STANDARD_DOMAIN, Options, Request,
    Response, fail, find_workspace, ms, ok, refuse_config,
)
from .state import SimWorkspace, ZohoState
from .users import SimUserAdmin


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern[str]
    template: str
    handler: str  # name of the Handlers method
    org_required: bool = True
    scope: str = "ZohoAnalytics.metadata.read"  # the OAuth scope the call needs (§2.4)

    @property
    def bucket(self) -> str:
        return "bulk" if "/bulk/" in self.template else "metadata"


_META, _SHARE = "ZohoAnalytics.metadata.read", "ZohoAnalytics.share.read"
_USERS, _DATA = "ZohoAnalytics.usermanagement.read", "ZohoAnalytics.data.read"
_UPDATE = "ZohoAnalytics.usermanagement.update"


def _route(template: str, handler: str, scope: str = _META, *,
           org_required: bool = True, method: str = "GET") -> Route:
    pattern = re.escape(template).replace(r"\{ws\}", r"(?P<ws>[^/]+)")
    pattern = pattern.replace(r"\{job\}", r"(?P<job>[^/]+)")
    pattern = pattern.replace(r"\{view\}", r"(?P<view>[^/]+)")
    return Route(method, re.compile(pattern + r"/?\Z"), f"{method} {template}", handler,
                 org_required, scope)


ROUTES: tuple[Route, ...] = (
    _route("/restapi/v2/orgs", "get_orgs", org_required=False),
    _route("/restapi/v2/workspaces", "get_workspaces"),
    _route("/restapi/v2/workspaces/owned", "get_owned"),
    _route("/restapi/v2/workspaces/shared", "get_shared"),
    _route("/restapi/v2/workspaces/{ws}", "get_workspace"),
    _route("/restapi/v2/workspaces/{ws}/admins", "get_admins", _SHARE),
    _route("/restapi/v2/workspaces/{ws}/users", "get_workspace_users", _USERS),
    _route("/restapi/v2/workspaces/{ws}/views", "get_views"),
    _route("/restapi/v2/workspaces/{ws}/views/{view}/metadata", "get_table_metadata"),
    _route("/restapi/v2/users", "get_users", _USERS),
    _route("/restapi/v2/resources", "get_resources", _USERS),
    _route("/restapi/v2/subscription", "get_subscription", _USERS),
    _route("/restapi/v2/orgadmins", "get_orgadmins", _SHARE),
    _route("/restapi/v2/bulk/workspaces/{ws}/data", "create_export", _DATA),
    _route("/restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}", "get_export_job", _DATA),
    _route("/restapi/v2/bulk/workspaces/{ws}/exportjobs/{job}/data", "download_export", _DATA),
    # user management (seatlib.sim.users)
    _route("/restapi/v2/users/inactive", "put_inactive", _UPDATE, method="PUT"),
    _route("/restapi/v2/users/active", "put_active", _UPDATE, method="PUT"),
    _route("/restapi/v2/users", "delete_users", "ZohoAnalytics.usermanagement.delete",
           method="DELETE"),
)


def match_route(req: Request) -> tuple[Route, re.Match[str]]:
    """The route serving ``req``, or 9404 (HTTP 405 when only the method is wrong)."""
    path_matched = False
    for route in ROUTES:
        match = route.regex.match(req.path)
        if match:
            if route.method == req.method:
                return route, match
            path_matched = True
    if path_matched:
        raise fail(CODE_UNKNOWN_URL, f"Method {req.method} is not supported on this path",
                   status=405)
    raise fail(CODE_UNKNOWN_URL)


def check_org(req: Request, route: Route, match: re.Match[str], state: ZohoState) -> None:
    """The ``ZANALYTICS-ORGID`` header: 8083 without it, 7103 / 7387 / 7389 when wrong.

    Another organisation's workspace (listed by ``GET /workspaces``, §4) answers 7301 on the
    admin and user calls (they need an admin of the organisation owning it) and 7103 on the
    others (it is not in this organisation).
    """
    if not route.org_required:
        return
    org = (req.headers.get("ZANALYTICS-ORGID") or "").strip()
    if not org:
        raise fail(8083)
    ws_id = match.groupdict().get("ws")
    if ws_id is not None:
        ws = find_workspace(state, ws_id)
        if ws is None:
            raise fail(7103)
        if org != state.org_id:
            raise fail(7387)
        if ws.org_id and ws.org_id != state.org_id:
            raise fail(7301 if route.handler in ("get_admins", "get_workspace_users") else 7103)
    elif org != state.org_id:
        raise fail(7389)


def _summary(ws: SimWorkspace, org_id: str, numbers: bool = False) -> dict[str, Any]:
    return {"workspaceId": ws.workspace_id, "workspaceName": ws.name, "workspaceDesc": "",
            "orgId": ws.org_id or org_id,
            "createdTime": int(ws.created_ms) if numbers else ms(ws.created_ms),
            "createdBy": ws.created_by, "isDefault": False}


def _views(ws: SimWorkspace, opts: Options) -> list[tuple[str, str, str]]:
    """The workspace's views; the audit workspace holds the Access Log table (§9)."""
    views = list(ws.views)
    table = next((v for v in views if v[1] == ACCESS_LOG_TABLE), None)
    if ws.name == opts.audit_workspace and table is None:
        # Zoho creates the Access Log table when auditing is switched on (§9)
        view_id = (str(int(ws.workspace_id) + 900_001) if ws.workspace_id.isdigit()
                   else ws.workspace_id + "1")
        views.append((view_id, ACCESS_LOG_TABLE, "Table"))
    return views


#: the state last served and its users' domains by lower-case e-mail (the first user of each);
#: a look-up table, so that ``GET /users`` is not quadratic in the users
_domains: tuple[ZohoState | None, dict[str, str]] = (None, {})


def _domain_of(state: ZohoState, email: str) -> str:
    """The ``domainName`` Zoho gives a user of a client-portal org (§4)."""
    global _domains
    served, table = _domains
    if served is not state:  # a new state: build its table (a race only builds it twice)
        table = {}
        for u in state.users:
            table.setdefault(u.email.lower(), u.domain)
        _domains = (state, table)
    return table.get(email.lower(), "") or STANDARD_DOMAIN


def _with_domain(state: ZohoState, email: str, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with ``domainName`` when the Account Admin is a Client Portal Admin (§4)."""
    return {**item, "domainName": _domain_of(state, email)} if state.client_portal else item


def _admin_groups(state: ZohoState, admins: tuple[str, ...]) -> list[dict[str, Any]]:
    """Admins grouped by domain, each group with its ``domainName`` (client-portal orgs, §4)."""
    groups: dict[str, list[str]] = {}
    for email in admins:
        groups.setdefault(_domain_of(state, email), []).append(email)
    return [{"adminMembers": members, "domainName": domain} for domain, members in groups.items()]


def _summaries(state: ZohoState, opts: Options, *, owned: bool) -> list[dict[str, Any]]:
    return [_summary(w, state.org_id, opts.numbers) for w in state.workspaces
            if w.owned == owned]


class Handlers:
    """The handlers :data:`ROUTES` names; bulk export is delegated to :class:`Exports`, user
    management to :class:`~seatlib.sim.users.SimUserAdmin`.

    Args:
        exports: the export jobs.
        limits: gives the limits in force (read at each export job's creation).
        users: the user-management handlers.
    """

    def __init__(self, exports: Exports, limits: Callable[[], SimLimits],
                 users: SimUserAdmin | None = None):
        self._exports = exports
        self._limits = limits
        self._users = users

    def handle(self, route: Route, req: Request, match: re.Match[str], state: ZohoState,
               opts: Options) -> Response:
        owner = self if hasattr(self, route.handler) else self._users
        return getattr(owner, route.handler)(req, match, state, opts)

    # -- metadata and user management -----------------------------------------------------
    def get_orgs(self, req: Request, match: re.Match[str], state: ZohoState,
                 opts: Options) -> Response:
        return ok("Get organizations", {"orgs": [{
            "orgId": state.org_id, "orgName": state.org_name, "orgDesc": "",
            "createdBy": state.owner_email, "createdByZuId": "671546307",
            "planName": state.plan_name, "isDefault": True,
            ("numberOfWorkspaces" if "camel_workspace_count" in opts.quirks
             else "numberOfworkspaces"): sum(1 for w in state.workspaces if w.owned),
            "role": "Account Admin"}]})

    def get_workspaces(self, req: Request, match: re.Match[str], state: ZohoState,
                       opts: Options) -> Response:
        return ok("Get all workspaces", {
            "ownedWorkspaces": _summaries(state, opts, owned=True),
            "sharedWorkspaces": _summaries(state, opts, owned=False)})

    def get_owned(self, req: Request, match: re.Match[str], state: ZohoState,
                  opts: Options) -> Response:
        return ok("Get owned workspaces", {"workspaces": _summaries(state, opts, owned=True)})

    def get_shared(self, req: Request, match: re.Match[str], state: ZohoState,
                   opts: Options) -> Response:
        return ok("Get shared workspaces", {"workspaces": _summaries(state, opts, owned=False)})

    def get_workspace(self, req: Request, match: re.Match[str], state: ZohoState,
                      opts: Options) -> Response:
        ws = find_workspace(state, match["ws"])
        summary = _summary(ws, state.org_id, opts.numbers)
        summary.pop("isDefault")
        return ok("Get workspace details", {"workspaces": summary})  # an object, not a list

    def get_admins(self, req: Request, match: re.Match[str], state: ZohoState,
                   opts: Options) -> Response:
        refuse_config(req)  # no CONFIG: domainName is a field of the answer (§4)
        ws = find_workspace(state, match["ws"])
        if ws.admins and "workspace_admins_objects" in opts.quirks:
            data: dict[str, Any] = {"workspaceAdmins": [{"emailId": a} for a in ws.admins]}
        elif ws.admins and state.client_portal:
            data = {"workspaceAdmins": _admin_groups(state, ws.admins)}
        elif ws.admins:
            data = {"workspaceAdmins": [{"adminMembers": list(ws.admins)}]}
        elif "empty_as_204" in opts.quirks:
            return Response(204, b"", "")
        elif opts.empty_admins_shape == "members":
            data = {"workspaceAdmins": [{"adminMembers": []}]}
        elif opts.empty_admins_shape == "missing":
            data = {}
        else:
            data = {"workspaceAdmins": []}
        return ok("Get workspace admins", data)

    def get_workspace_users(self, req: Request, match: re.Match[str], state: ZohoState,
                            opts: Options) -> Response:
        refuse_config(req)
        ws = find_workspace(state, match["ws"])
        if not ws.users and "empty_as_204" in opts.quirks:
            return Response(204, b"", "")
        return ok("Get workspace users", {"users": [
            _with_domain(state, email, {"emailId": email, "status": opts.status(active),
                                        "role": role}) for email, role, active in ws.users]})

    def get_views(self, req: Request, match: re.Match[str], state: ZohoState,
                  opts: Options) -> Response:
        ws = find_workspace(state, match["ws"])
        return ok("Get views", {"views": [
            {"viewId": vid, "viewName": name, "viewDesc": "", "viewType": vtype,
             "folderId": "", "folderName": "", "createdBy": ws.created_by,
             "createdTime": ms(ws.created_ms)} for vid, name, vtype in _views(ws, opts)]})

    def get_table_metadata(self, req: Request, match: re.Match[str], state: ZohoState,
                           opts: Options) -> Response:
        """The Access Log's columns, "Accessed Time" with its ``dateFormat`` (§4); 7104 for a
        view that is not that table."""
        ws = find_workspace(state, match["ws"])
        table = next((v for v in _views(ws, opts) if v[0] == match["view"]), None)
        if table is None or table[1] != ACCESS_LOG_TABLE:
            raise fail(7104, "View not found")
        columns = []
        for index, name in enumerate(ACCESS_LOG_COLUMNS, start=1):
            date = name == "Accessed Time"
            column = {"columnId": f"{table[0]}{index:03d}", "columnName": name,
                      "dataType": "DATE" if date else "PLAIN",
                      "dataTypeName": "Date" if date else "Plain Text", "columnIndex": index,
                      "columnDesc": "", "isNullable": True, "isHidden": False}
            if date and state.access_time_format:
                column["dateFormat"] = state.access_time_format
            columns.append(column)
        return ok("Get table metadata", {"columns": columns})

    def get_users(self, req: Request, match: re.Match[str], state: ZohoState,
                  opts: Options) -> Response:
        """Every listing: a user listed under two domains comes twice, each with its own."""
        refuse_config(req)
        users = []
        for u in state.users:
            item = {"emailId": u.email, "status": opts.status(u.active), "role": u.role}
            if state.client_portal:
                item["domainName"] = u.domain or STANDARD_DOMAIN
            users.append(item)
        return ok("Get users", {"users": users})

    def get_resources(self, req: Request, match: re.Match[str], state: ZohoState,
                      opts: Options) -> Response:
        ro_used = sum(1 for u in state.users if u.active and u.role == "Viewer")

        def usage(allocated: int, used: int) -> dict[str, Any]:
            values = {"allocated": allocated, "used": used,
                      "remaining": max(allocated - used, 0)}
            if not opts.numbers:  # Zoho's examples: strings (§3)
                values = {k: str(v) for k, v in values.items()}
            return {**values, "remarks": ""}

        return ok("Get resource details", {"resourceDetails": [
            {"resourceName": "users",
             "resourceUsage": usage(state.seats_allocated, state.seats_used)},
            {"resourceName": "roUsers",
             "resourceUsage": usage(state.ro_seats_allocated, ro_used)}]})

    def get_subscription(self, req: Request, match: re.Match[str], state: ZohoState,
                         opts: Options) -> Response:
        return ok("Get subscription details", {"subscription": {
            "planName": state.plan_name, "addOns": state.add_ons, "billingDate": " - ",
            "trialStatus": False}})

    def get_orgadmins(self, req: Request, match: re.Match[str], state: ZohoState,
                      opts: Options) -> Response:
        return ok("Get org admins", {"orgAdmins": [
            u.email for u in state.users if u.role == "Organization Admin"]})

    # -- bulk export ----------------------------------------------------------------------
    def create_export(self, req: Request, match: re.Match[str], state: ZohoState,
                      opts: Options) -> Response:
        return self._exports.create(req, match["ws"], state, opts, self._limits())

    def get_export_job(self, req: Request, match: re.Match[str], state: ZohoState,
                       opts: Options) -> Response:
        return self._exports.poll(req, match["ws"], match["job"], opts)

    def download_export(self, req: Request, match: re.Match[str], state: ZohoState,
                        opts: Options) -> Response:
        return self._exports.download(match["ws"], match["job"], opts)
