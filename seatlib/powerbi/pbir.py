"""The report in PBIR (one JSON file per report, page and visual): the morning report's page.

Layout on a 1280 x 720 page, mirroring :mod:`seatlib.stages.report`: a row of cards (the capacity
status with its warning level, seats used %, free, reclaimable, days full, paying without user,
inactive, and the two costs), seats used against allocated over time with the warning line,
statuses over time, then the reclaim list and the paying-without-user list of the latest day.

Every field a visual uses is a :class:`Field` naming a model table and a column or measure;
:func:`fields` lists them all so a test can check each one exists in the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import CAPACITY, DATE, HISTORY, LATEST, RUNS

SCHEMA_BASE = "https://developer.microsoft.com/json-schemas/fabric"
#: Format versions written (the ones current Desktop releases read; see each CHANGELOG.md).
VERSIONS = {"visualContainer": "2.4.0", "page": "2.0.0", "report": "3.0.0",
            "pagesMetadata": "1.0.0", "versionMetadata": "1.0.0"}
PAGE_NAME = "seats"
PAGE_W, PAGE_H = 1280, 720
#: Columns of the two lists, as the morning report's tables (seatlib.stages.report.LIST_COLUMNS).
LIST_COLUMNS = ("client_id", "workspace_name", "admin_email", "status", "seats_held",
                "last_access_at", "days_since_last_access", "module_active")


def schema_url(kind: str) -> str:
    return f"{SCHEMA_BASE}/item/report/definition/{kind}/{VERSIONS[kind]}/schema.json"


@dataclass(frozen=True)
class Field:
    table: str
    name: str
    is_measure: bool = False

    def expr(self) -> dict:
        kind = "Measure" if self.is_measure else "Column"
        return {kind: {"Expression": {"SourceRef": {"Entity": self.table}}, "Property": self.name}}

    def projection(self) -> dict:
        return {"field": self.expr(), "queryRef": f"{self.table}.{self.name}",
                "nativeQueryRef": self.name}


def measure(name: str) -> Field:
    return Field(CAPACITY, name, is_measure=True)


@dataclass(frozen=True)
class Visual:
    name: str
    visual_type: str
    box: tuple[int, int, int, int]  # x, y, width, height
    roles: dict[str, tuple[Field, ...]]
    title: str | None = None
    keep: tuple[Field, tuple[str, ...]] | None = None  # a column and the values the visual keeps
    sort: tuple[Field, str] | None = None  # field and "Ascending" / "Descending"
    extra: dict = field(default_factory=dict)


def _literal(value: str) -> dict:
    return {"expr": {"Literal": {"Value": value}}}


def _keep_filter(visual: Visual) -> dict:
    column, values = visual.keep
    alias = "t"
    where = {"Condition": {"In": {
        "Expressions": [{"Column": {"Expression": {"SourceRef": {"Source": alias}},
                                    "Property": column.name}}],
        "Values": [[{"Literal": {"Value": "'" + v.replace("'", "''") + "'"}}] for v in values],
    }}}
    return {"filters": [{
        "name": f"{visual.name}_{column.name}",
        "field": column.expr(),
        "type": "Categorical",
        "filter": {"Version": 2, "From": [{"Name": alias, "Entity": column.table, "Type": 0}],
                   "Where": [where]},
        "howCreated": "User",
    }]}


def visual_json(visual: Visual, z: int) -> dict:
    x, y, w, h = visual.box
    query: dict = {"queryState": {role: {"projections": [f.projection() for f in fs]}
                                  for role, fs in visual.roles.items()}}
    if visual.sort:
        query["sortDefinition"] = {"sort": [{"field": visual.sort[0].expr(),
                                             "direction": visual.sort[1]}],
                                   "isDefaultSort": True}
    body: dict = {"visualType": visual.visual_type, "query": query, **visual.extra}
    if visual.title:
        body["visualContainerObjects"] = {"title": [{"properties": {
            "show": _literal("true"), "text": _literal("'" + visual.title + "'")}}]}
    body["drillFilterOtherVisuals"] = True
    out = {"$schema": schema_url("visualContainer"), "name": visual.name,
           "position": {"x": x, "y": y, "z": z, "height": h, "width": w, "tabOrder": z},
           "visual": body}
    if visual.keep:
        out["filterConfig"] = _keep_filter(visual)
    return out


#: The cards, left to right: (visual name, measure). Freshness first: every other figure is
#: only as good as the latest successful daily run (its measures live on the run ledger).
CARDS = (
    ("card_data_freshness", Field(RUNS, "Data Freshness", is_measure=True)),
    ("card_capacity_status", measure("Capacity Status")),
    ("card_seats_used_pct", measure("Seats Used %")),
    ("card_free_seats", measure("Free Seats")),
    ("card_reclaimable_seats", measure("Reclaimable Seats")),
    ("card_days_full", measure("Days Full")),
    ("card_paying_without_user", measure("Paying Without User")),
    ("card_inactive_clients", measure("Inactive Clients")),
    ("card_cost_of_waste", measure("Cost Of Waste")),
    ("card_revenue_at_risk", measure("Revenue At Risk")),
)


def _list(name: str, title: str, box: tuple[int, int, int, int], statuses: tuple[str, ...]
          ) -> Visual:
    cols = tuple(Field(LATEST, c) for c in LIST_COLUMNS)
    return Visual(name, "tableEx", box, {"Values": cols}, title,
                  keep=(Field(LATEST, "status"), statuses),
                  sort=(Field(LATEST, "days_since_last_access"), "Descending"))


def visuals() -> tuple[Visual, ...]:
    """Every visual of the page."""
    gap, top, card_h = 8, 8, 96
    card_w = (PAGE_W - gap * (len(CARDS) + 1)) // len(CARDS)
    cards = tuple(Visual(name, "card", (gap + i * (card_w + gap), top, card_w, card_h),
                         {"Values": (value,)})
                  for i, (name, value) in enumerate(CARDS))
    half = (PAGE_W - 3 * gap) // 2
    chart_y, chart_h = top + card_h + gap, 280
    list_y = chart_y + chart_h + gap
    list_h = PAGE_H - list_y - gap
    day = Field(DATE, "Date")
    charts = (
        Visual("seats_over_time", "lineChart", (gap, chart_y, half, chart_h),
               {"Category": (day,), "Y": (measure("Seats Used"), measure("Seats Allocated"),
                                          measure("Warning Line Seats"))},
               "Seats used against allocated (warning line at the warning level)",
               sort=(day, "Ascending")),
        Visual("statuses_over_time", "columnChart", (2 * gap + half, chart_y, half, chart_h),
               {"Category": (day,), "Y": (Field(HISTORY, "Workspaces", is_measure=True),),
                "Series": (Field(HISTORY, "status"),)},
               "Client workspaces by status over time", sort=(day, "Ascending")),
    )
    lists = (
        _list("reclaim_list", "Reclaim list: ex-clients holding a seat, inactive clients",
              (gap, list_y, half, list_h), ("seat_held_by_ex_client", "inactive")),
        _list("paying_without_user_list", "Paying without user: activate their user",
              (2 * gap + half, list_y, half, list_h), ("paying_without_user",)),
    )
    return cards + charts + lists


def fields() -> set[Field]:
    """Every field any visual uses (projections, filters, sorts)."""
    out: set[Field] = set()
    for v in visuals():
        for fs in v.roles.values():
            out.update(fs)
        if v.keep:
            out.add(v.keep[0])
        if v.sort:
            out.add(v.sort[0])
    return out


def render_files(model_folder: str) -> dict[str, dict]:
    """Every JSON file of ``<Name>.Report/``, by path relative to that folder."""
    files: dict[str, dict] = {
        "definition.pbir": {
            "$schema": f"{SCHEMA_BASE}/item/report/definitionProperties/2.0.0/schema.json",
            "version": "4.0", "datasetReference": {"byPath": {"path": f"../{model_folder}"}}},
        "definition/version.json": {"$schema": schema_url("versionMetadata"), "version": "2.0.0"},
        "definition/report.json": {
            "$schema": schema_url("report"),
            "themeCollection": {"baseTheme": {
                "name": "CY24SU10", "type": "SharedResources",
                "reportVersionAtImport": {"visual": VERSIONS["visualContainer"],
                                          "report": VERSIONS["report"],
                                          "page": VERSIONS["page"]}}}},
        "definition/pages/pages.json": {"$schema": schema_url("pagesMetadata"),
                                        "pageOrder": [PAGE_NAME], "activePageName": PAGE_NAME},
        f"definition/pages/{PAGE_NAME}/page.json": {
            "$schema": schema_url("page"), "name": PAGE_NAME, "displayName": "Seats",
            "displayOption": "FitToPage", "height": PAGE_H, "width": PAGE_W},
    }
    for z, v in enumerate(visuals()):
        files[f"definition/pages/{PAGE_NAME}/visuals/{v.name}/visual.json"] = visual_json(v, z)
    return files
