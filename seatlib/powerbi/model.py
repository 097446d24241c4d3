"""What the Power BI semantic model holds, built from the warehouse's own definitions.

The tables that read the warehouse take their columns from the gold contracts
(:data:`seatlib.core.contracts.GOLD_STATUS`, :data:`~seatlib.core.contracts.GOLD_CAPACITY`) and
their relation names from :mod:`seatlib.systems.warehouse`, so a column added to a contract appears
in the model the next time the project is generated (``python -m seatlib.powerbi``), and a test
fails until it is. Only the three columns ``v_seat_capacity`` computes on top of
``seat_capacity_daily`` are named here (:data:`CAPACITY_VIEW_EXTRAS`); an adapter test compares every model column with the
columns the real view has.

Nothing here touches a database or a file: :mod:`seatlib.powerbi.tmdl` renders this as TMDL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ..core import config as cfg
from ..core.contracts import GOLD_CAPACITY, GOLD_LEDGER, GOLD_STATUS, Contract
from ..history.ledger import PIPELINE_RUNS, RUN
from ..systems.warehouse import CAPACITY_VIEW, LEDGER_LATEST_VIEW, STATUS_LATEST_VIEW, STATUS_TABLE

#: Stable lineage tags: the same object gets the same tag on every generation.
_NAMESPACE = uuid.UUID("3f0c9a3e-5d2b-4a8e-9a43-1f6f3c1d2b7a")


def lineage_tag(*parts: str) -> str:
    """A UUID derived from the object's path in the model (never random: no drift)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class ModelType:
    """How one logical contract type looks in the model and in Power Query."""

    data_type: str  # TMDL dataType
    m_type: str  # Power Query type for Table.TransformColumnTypes
    format_string: str | None = None
    date_only: bool = False  # a dateTime column that holds dates


#: Every logical type of :data:`seatlib.core.contracts.TYPES`, as the model stores it.
MODEL_TYPES: dict[str, ModelType] = {
    "date": ModelType("dateTime", "type date", "yyyy-mm-dd", date_only=True),
    "int": ModelType("int64", "Int64.Type", "0"),
    "str": ModelType("string", "type text"),
    "datetime": ModelType("dateTime", "type datetime", "yyyy-mm-dd hh:nn"),  # UTC
    "bool": ModelType("boolean", "type logical", '"""TRUE"";""TRUE"";""FALSE"""'),
    "float": ModelType("double", "type number"),
}

#: Columns ``v_seat_capacity`` adds to ``seat_capacity_daily`` (see warehouse.view_definitions).
CAPACITY_VIEW_EXTRAS: dict[str, str] = {
    "seats_used_pct": "float",
    "seats_reclaimable": "int",
    "workspaces_reclaimable": "int",
}


@dataclass(frozen=True)
class Column:
    name: str
    logical: str  # a key of MODEL_TYPES

    @property
    def type(self) -> ModelType:
        return MODEL_TYPES[self.logical]


@dataclass(frozen=True)
class Measure:
    name: str
    dax: str
    format_string: str | None = None
    description: str = ""
    format_dax: str | None = None  # a dynamic format string (compatibility level 1601)


@dataclass(frozen=True)
class Table:
    """A model table: warehouse-backed (``relation`` set), calculated (``dax``) or parameters."""

    name: str
    columns: tuple[Column, ...]
    relation: str | None = None  # the warehouse view or table it imports
    dax: str | None = None  # calculated table expression
    m_source: str | None = None  # an M expression of its own (the parameters table)
    measures: tuple[Measure, ...] = ()
    description: str = ""
    is_date_table: bool = False
    hidden: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Parameter:
    """An M parameter (Transform data > Edit parameters; in the service: Settings > Parameters)."""

    name: str
    value: str | float
    description: str
    choices: tuple[str, ...] = ()

    @property
    def m_type(self) -> str:
        return "Number" if isinstance(self.value, float) else "Text"


@dataclass(frozen=True)
class Relationship:
    from_table: str
    from_column: str
    to_table: str
    to_column: str

    @property
    def name(self) -> str:
        return lineage_tag("relationship", self.from_table, self.from_column)


@dataclass(frozen=True)
class Model:
    tables: tuple[Table, ...]
    parameters: tuple[Parameter, ...]
    relationships: tuple[Relationship, ...]
    warehouse_expression: str = field(default="")

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def measure_names(self) -> dict[str, str]:
        """Every measure name -> the table it lives on."""
        return {m.name: t.name for t in self.tables for m in t.measures}


# --------------------------------------------------------------------------------------------
# Names the report and the DAX share.
# --------------------------------------------------------------------------------------------

CAPACITY = "Capacity"
LATEST = "Latest Status"
HISTORY = "Status History"
DATE = "Date"
SETTINGS = "Settings"
RUNS = "Pipeline Runs"
SEATS = "Seat Ledger"

#: The parameters that say where the warehouse is (the others reach DAX via the Settings table).
_CONNECTION = ("Connector", "Server", "Database", "Schema")

#: Connectors the ``Connector`` parameter chooses between.
REDSHIFT, POSTGRESQL = "Redshift", "PostgreSQL"

#: Prices default to the morning report's settings once it has them (issue #10: ``[report]
#: price_per_seat``, ``price_per_module``, ``currency``); until then 0, which the cost measures
#: show as blank rather than as a made-up amount.
_PRICE_FALLBACKS: dict[str, float | str] = {"price_per_seat": 0.0, "price_per_module": 0.0,
                                             "currency": "USD"}


def _report_default(name: str) -> float | str:
    value = getattr(cfg.Settings, name, _PRICE_FALLBACKS[name])
    return value if isinstance(value, str) else float(value)


def parameters() -> tuple[Parameter, ...]:
    """The connection (production defaults) and the report's prices and warning level."""
    return (
        Parameter("Connector", REDSHIFT, "Which connector reads the warehouse: Redshift "
                  "(production) or PostgreSQL (the demo)", (REDSHIFT, POSTGRESQL)),
        Parameter("Server", "<cluster>.<id>.<region>.redshift.amazonaws.com:5439",
                  "host:port of the warehouse (the demo prints its own with --serve)"),
        Parameter("Database", "analytics", "database name"),
        Parameter("Schema", cfg.Settings.warehouse_schema,
                  "the warehouse schema ([warehouse] schema)"),
        Parameter("PricePerSeat", _report_default("price_per_seat"),
                  "monthly price of one Zoho user seat (0: cost measures stay blank)"),
        Parameter("PricePerModule", _report_default("price_per_module"),
                  "monthly price the client pays for the BI module (0: blank)"),
        Parameter("Currency", _report_default("currency"), "currency of the prices"),
        Parameter("CapacityWarningShare", float(cfg.Settings.capacity_warning_share),
                  "share of the allocation at which the capacity warning starts "
                  "([report] capacity_warning_share)"),
        Parameter("MaxAgeHours", float(cfg.RunsSettings.max_age_hours),
                  "the latest successful daily run may be this many hours old before the "
                  "model says STALE ([runs] max_age_hours)"),
    )


def _columns(contract: Contract, extras: dict[str, str] | None = None) -> tuple[Column, ...]:
    return tuple(Column(n, t) for n, t in {**contract.columns, **(extras or {})}.items())


def _on_latest_day(column: str) -> str:
    """DAX: the column's value on the latest day of the filter context (cards and lines alike)."""
    return (f"VAR d = [Latest Day]\n"
            f"RETURN CALCULATE ( SUM ( {CAPACITY}[{column}] ), {CAPACITY}[snapshot_date] = d )")


def _price(base: str, price: str) -> str:
    return (f"VAR p = [{price}]\n"
            f"RETURN IF ( p > 0, [{base}] * p )")


def capacity_measures() -> tuple[Measure, ...]:
    """The figures of the morning report, on the latest day of the filter context."""
    return _seat_measures() + _status_and_cost_measures()


def _seat_measures() -> tuple[Measure, ...]:
    """The seat figures of the latest day, and the warning line."""
    return (
        Measure("Latest Day", f"MAX ( {CAPACITY}[snapshot_date] )", "yyyy-mm-dd"),
        Measure("Seats Allocated", _on_latest_day("seats_allocated"), "0",
                "Zoho's allocated user seats"),
        Measure("Seats Used", _on_latest_day("seats_used"), "0", "Zoho's used user seats"),
        Measure("Free Seats", _on_latest_day("seats_free"), "0", "allocated - used"),
        Measure("Seats Used %", "DIVIDE ( [Seats Used], [Seats Allocated] )", "0.0%"),
        Measure("Seats Held By Ex Clients", _on_latest_day("seats_held_by_ex_clients"), "0"),
        Measure("Seats Held By Inactive Clients",
                _on_latest_day("seats_held_by_inactive_clients"), "0"),
        Measure("Reclaimable Seats",
                "[Seats Held By Ex Clients] + [Seats Held By Inactive Clients]", "0",
                "seats held by ex-clients plus inactive clients past the threshold"),
        Measure("Paying Without User", _on_latest_day("paying_without_user"), "0",
                "clients paying for the module without an active user"),
        Measure("Inactive Clients",
                f"VAR d = [Latest Day]\n"
                f"RETURN CALCULATE ( DISTINCTCOUNT ( '{HISTORY}'[client_id] ),"
                f" '{HISTORY}'[client_status] = \"inactive\","
                f" '{HISTORY}'[snapshot_date] = d ) + 0", "0",
                "clients (not workspaces) whose status is inactive"),
        Measure("Seat Users", _on_latest_day("seat_users"), "0",
                "the seat ledger's total: distinct active users holding a seat"),
        Measure("Shared Seats", _on_latest_day("seats_shared"), "0",
                "seat users who serve two or more clients (consultants, agencies)"),
        Measure("Counter Gap", _on_latest_day("seats_counter_gap"), "+0;-0;0",
                "Zoho's seats used minus the seat ledger's total (Zoho's counter may lag)"),
        Measure("Warning Level", f"MAX ( {SETTINGS}[CapacityWarningShare] )", "0%"),
        Measure("Warning Line Seats", "[Seats Allocated] * [Warning Level]", "0",
                "the allocation times the warning share (the chart's warning line)"),
    )


def _status_and_cost_measures() -> tuple[Measure, ...]:
    """The capacity status, how long the pool has been full, and what the waste costs."""
    money = ('"#,0.00 """ & [Currency Code] & """"')
    return (
        Measure("Capacity Status",
                "SWITCH ( TRUE (),\n"
                "    ISBLANK ( [Seats Used %] ), BLANK (),\n"
                "    [Free Seats] <= 0, \"FULL\",\n"
                "    [Seats Used %] >= [Warning Level], \"WARNING\",\n"
                "    \"OK\" )",
                description="FULL when no seat is free, WARNING at or above the warning level"),
        Measure("Full Since",
                f"VAR d = [Latest Day]\n"
                f"VAR lastFree = CALCULATE ( MAX ( {CAPACITY}[snapshot_date] ), REMOVEFILTERS ( "
                f"'{DATE}' ),\n"
                f"    {CAPACITY}[snapshot_date] <= d, {CAPACITY}[seats_free] > 0 )\n"
                f"RETURN IF ( [Free Seats] <= 0,\n"
                f"    CALCULATE ( MIN ( {CAPACITY}[snapshot_date] ), REMOVEFILTERS ( '{DATE}' ),\n"
                f"        {CAPACITY}[snapshot_date] <= d, {CAPACITY}[snapshot_date] > lastFree ) )",
                "yyyy-mm-dd", "first day of the current run of days without a free seat"),
        Measure("Days Full",
                "VAR since = [Full Since]\n"
                "RETURN IF ( ISBLANK ( since ), 0, DATEDIFF ( since, [Latest Day], DAY ) + 1 )",
                "0", "days in a row without a free seat, up to the latest day"),
        Measure("Seat Price", f"MAX ( {SETTINGS}[PricePerSeat] )", "#,0.00"),
        Measure("Module Price", f"MAX ( {SETTINGS}[PricePerModule] )", "#,0.00"),
        Measure("Currency Code", f"MAX ( {SETTINGS}[Currency] )"),
        Measure("Cost Of Waste", _price("Reclaimable Seats", "Seat Price"),
                "#,0.00", "monthly cost of the seats held by ex-clients and inactive clients",
                format_dax=money),
        Measure("Revenue At Risk", _price("Paying Without User", "Module Price"),
                "#,0.00", "monthly module revenue of clients paying without a user",
                format_dax=money),
    )


def run_measures() -> tuple[Measure, ...]:
    """How old the data is (from the run ledger), against ``MaxAgeHours``."""
    daily = (f"'{RUNS}'[stage] = \"{RUN}\", '{RUNS}'[outcome] = \"ok\", "
             f"'{RUNS}'[kind] = \"daily\"")
    return (
        Measure("Last Successful Run", f"CALCULATE ( MAX ( '{RUNS}'[finished_at] ), {daily} )",
                "yyyy-mm-dd hh:nn", "end of the latest successful daily run (UTC)"),
        Measure("Data Age Hours",
                "VAR t = [Last Successful Run]\n"
                "RETURN IF ( NOT ISBLANK ( t ), DATEDIFF ( t, UTCNOW (), MINUTE ) / 60 )",
                "0.0", "hours since the latest successful daily run, when the report is viewed"),
        Measure("Max Age Hours", f"MAX ( {SETTINGS}[MaxAgeHours] )", "0"),
        Measure("Data Freshness",
                "IF ( ISBLANK ( [Data Age Hours] ) || [Data Age Hours] > [Max Age Hours],\n"
                "    \"STALE\", \"OK\" )",
                description="STALE when the latest successful daily run is older than "
                            "MaxAgeHours (or there is none): the daily run did not happen; "
                            "the report's first card"),
        Measure("Failed Attempts",
                f"CALCULATE ( COUNTROWS ( '{RUNS}' ), '{RUNS}'[stage] = \"{RUN}\", "
                f"'{RUNS}'[outcome] = \"failed\" ) + 0", "0"),
    )


def date_table_dax() -> str:
    """Every day from the first to the last snapshot: generated, so no day is ever missing."""
    return (f"VAR first = MIN ( MIN ( {CAPACITY}[snapshot_date] ), "
            f"MIN ( '{HISTORY}'[snapshot_date] ) )\n"
            f"VAR last = MAX ( MAX ( {CAPACITY}[snapshot_date] ), "
            f"MAX ( '{HISTORY}'[snapshot_date] ) )\n"
            f"RETURN ADDCOLUMNS (\n"
            f"    CALENDAR ( COALESCE ( first, TODAY () ), COALESCE ( last, TODAY () ) ),\n"
            f"    \"Month\", FORMAT ( [Date], \"yyyy-mm\" ) )")


def warehouse_expression() -> str:
    """The shared M query: the warehouse schema's navigation table, through the chosen connector.

    With ``HierarchicalNavigation`` PostgreSQL's navigation has the same shape as Redshift's
    (schemas, then their tables and views by ``Name``), so every table navigates one way.
    """
    return (
        "let\n"
        f"    Source =\n"
        f"        if Connector = \"{REDSHIFT}\" then AmazonRedshift.Database(Server, Database)\n"
        f"        else if Connector = \"{POSTGRESQL}\" then\n"
        f"            PostgreSQL.Database(Server, Database, [HierarchicalNavigation = true])\n"
        f"        else error Error.Record(\"Expression.Error\",\n"
        f"            \"Connector must be \"\"{REDSHIFT}\"\" or \"\"{POSTGRESQL}\"\"\", Connector),\n"
        "    Tables = Source{[Name = Schema]}[Data]\n"
        "in\n"
        "    Tables"
    )


def build_model() -> Model:
    """The whole semantic model."""
    params = parameters()
    tables = (
        Table(CAPACITY, _columns(GOLD_CAPACITY, CAPACITY_VIEW_EXTRAS), relation=CAPACITY_VIEW,
              measures=capacity_measures(),
              description="one row per day: Zoho's seat counter and who holds the seats"),
        Table(LATEST, _columns(GOLD_STATUS), relation=STATUS_LATEST_VIEW,
              description="one row per client workspace, the latest day only (the lists)"),
        Table(HISTORY, _columns(GOLD_STATUS), relation=STATUS_TABLE,
              measures=(Measure("Workspaces", f"COUNTROWS ( '{HISTORY}' )", "0"),),
              description="one row per client workspace per day (statuses over time)"),
        Table(SEATS, _columns(GOLD_LEDGER), relation=LEDGER_LATEST_VIEW,
              measures=(Measure("Seat Ledger Users", f"COUNTROWS ( '{SEATS}' )", "0"),),
              description="one row per Zoho user holding a seat, the latest day: its category "
                          "(staff, client, unmatched, ex_client, no_workspace), the clients it "
                          "serves, whether it is shared and reclaimable (docs/seats.md)"),
        Table(RUNS, _columns(PIPELINE_RUNS), relation=PIPELINE_RUNS.name,
              measures=run_measures(),
              description="one row per run attempt and stage, and one per attempt (stage "
                          "'run'): the run ledger"),
        Table(DATE, (Column("Date", "date"), Column("Month", "str")), dax=date_table_dax(),
              description="every day from the first to the last snapshot", is_date_table=True),
        Table(SETTINGS, tuple(Column(p.name, "float" if p.m_type == "Number" else "str")
                              for p in params if p.name not in _CONNECTION),
              m_source=_settings_source(params), hidden=True,
              description="the parameters the measures use (one row)"),
    )
    relationships = (Relationship(CAPACITY, "snapshot_date", DATE, "Date"),
                     Relationship(HISTORY, "snapshot_date", DATE, "Date"))
    return Model(tables, params, relationships, warehouse_expression())


def _settings_source(params: tuple[Parameter, ...]) -> str:
    """M for the one-row table that hands the price and warning parameters to DAX."""
    shown = [p for p in params if p.name not in _CONNECTION]
    row_type = ", ".join(f"{p.name} = {'number' if p.m_type == 'Number' else 'text'}"
                         for p in shown)
    values = ", ".join(p.name for p in shown)
    return f"#table(type table [{row_type}], {{{{{values}}}}})"
