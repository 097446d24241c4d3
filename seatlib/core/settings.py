"""What a run's settings are: the frozen dataclasses the rest of the code reads.

They are built by :func:`seatlib.core.config.load_settings` from the settings file (checked by
:mod:`seatlib.core.settings_file`) and the environment; tests and the demo may build them directly.
Secrets are not here: :class:`ZohoSecrets` and :class:`DatabaseSettings` are filled from the
environment only, by :mod:`seatlib.core.config`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "seat-monitor.toml"
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"

#: Data centre -> (API host, accounts host). Canada is zohocloud.ca, not zoho.ca (docs/zoho-api-notes.md §1).
DATA_CENTERS: dict[str, tuple[str, str]] = {
    "com": ("https://analyticsapi.zoho.com", "https://accounts.zoho.com"),
    "eu": ("https://analyticsapi.zoho.eu", "https://accounts.zoho.eu"),
    "in": ("https://analyticsapi.zoho.in", "https://accounts.zoho.in"),
    "com.au": ("https://analyticsapi.zoho.com.au", "https://accounts.zoho.com.au"),
    "jp": ("https://analyticsapi.zoho.jp", "https://accounts.zoho.jp"),
    "com.cn": ("https://analyticsapi.zoho.com.cn", "https://accounts.zoho.com.cn"),
    "sa": ("https://analyticsapi.zoho.sa", "https://accounts.zoho.sa"),
    "ca": ("https://analyticsapi.zohocloud.ca", "https://accounts.zohocloud.ca"),
}


@dataclass(frozen=True)
class ZohoSettings:
    """Non-secret Zoho settings."""

    data_center: str = "com"
    api_url: str = ""
    accounts_url: str = ""
    org_id: str = ""
    domain_name: str = ""  # portal domain for calls taking domainName (deactivation); not on GETs
    client_id_pattern: str = r"^\s*(\d+)"  # first group = client id, from the workspace name
    audit_workspace: str = "Zoho Analytics Audits"
    access_log_table: str = "Access Log"
    audit_timezone: str = "UTC"  # zone of "Accessed Time" values in the audit export
    #: an access logged later than the extract's start plus this is left out and counted
    #: (a clock ahead, a wrong audit_timezone): it would make an idle seat look used
    future_tolerance_minutes: int = 10
    excluded_workspaces: tuple[str, ...] = ("Zoho Analytics Audits",)
    seat_resource: str = "users"
    calls_per_minute: int = 60  # client-side limiter; Zoho's METADATA limit is 60/min
    max_concurrency: int = 4
    admins_refresh_days: int = 7  # each workspace's admins asked at least this often; 0 = daily
    request_timeout_s: float = 30.0
    retry_budget_s: float = 300.0  # total time one call may spend in retries
    export_timeout_s: float = 900.0
    export_poll_s: float = 4.0


@dataclass(frozen=True)
class ReclaimSettings:
    """What the reclaim may propose (``[reclaim]``; see seatlib.reclaim)."""

    inactive_days: int = 60  # a paying client idle for longer is a candidate (named explicitly)
    grace_days: int = 30  # a workspace created more recently is never proposed
    exempt_clients: tuple[int, ...] = ()  # client ids never proposed
    exempt_emails: tuple[str, ...] = ()  # addresses never proposed (lower case)
    staff_domains: tuple[str, ...] = ()  # the reseller's own domains: never proposed
    staff_emails: tuple[str, ...] = ()  # the reseller's own addresses: never proposed
    batch_size: int = 1000  # addresses per user-management call (Zoho allows 1,000)
    max_plan_age_days: int = 2  # an approved plan (or its gold day) older than this is refused
    max_users: int = 10  # one execution deactivates at most this many users...
    max_share: float = 0.2  # ...and this share of the seats used, unless --override-limit
    counter_recheck_minutes: int = 60  # removal waits for a counter read this long after a call


@dataclass(frozen=True)
class ReportSettings:
    """What the report shows, beyond the warning level (``capacity_warning_share``)."""

    show_emails: bool = False  # full addresses in runs/ (report, notebooks, logs); masked by default
    currency: str = "EUR"
    seat_price_month: float = 0.0  # price of one Zoho seat a month; 0: the page asks for it
    module_price_month: float = 0.0  # what a client pays for the module a month; 0: not shown
    forecast_days: int = 28  # the trend of seats used is taken over this many recent days


@dataclass(frozen=True)
class AlertSettings:
    """When the operator is told (the warning level is ``[report] capacity_warning_share``)."""

    critical_share: float = 1.0  # critical when seats used reach this share of the allocation...
    critical_free_seats: int = 0  # ...or when free seats are at or below this number
    remind_while_critical: bool = True  # send again every day while critical


@dataclass(frozen=True)
class RunsSettings:
    """The run history: its durable copy, retention, freshness (``[runs]``; see seatlib.history.attempts)."""

    url: str = ""  # durable copy of runs/ (a folder or s3://); empty: <lake url>/runs
    keep_days: int = 90  # local runs/<date>/ folders kept this many days (0: for ever)
    durable_keep_days: int = 0  # the durable copy's days kept (0: for ever)
    max_age_hours: float = 30.0  # the latest successful daily run may be this old (--check)
    hung_hours: float = 6.0  # a run holding the lock longer is reported as hung (--check)
    catch_up_days: int = 7  # the daily run rebuilds these past days that have bronze, no gold
    heartbeat_method: str = "GET"  # GET or POST to SEATLIB_HEARTBEAT_URL after a good run
    warm_kernels: bool = True  # fork each notebook's kernel with the imports done (seatlib.run.kernels)


@dataclass(frozen=True)
class Settings:
    """Every non-secret setting of a run."""

    zoho: ZohoSettings = field(default_factory=ZohoSettings)
    reclaim: ReclaimSettings = field(default_factory=ReclaimSettings)
    lake_url: str = "var/lake"
    module_status_query: str = (
        "SELECT client_id, bi_module_active AS module_active "
        "FROM app.clients WHERE bi_module_since IS NOT NULL"
    )
    warehouse_schema: str = "seat_monitor"
    warehouse_s3_region: str = ""  # the lake bucket's region for COPY, when not the cluster's
    inactive_days: int = 30
    capacity_warning_share: float = 0.90
    max_drop_share: float = 0.30
    max_unmatched_share: float = 0.20
    max_status_change_share: float = 0.20  # of the clients seen on both days (and >= 10)
    report: ReportSettings = field(default_factory=ReportSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    runs_dir: str = "runs"
    runs: RunsSettings = field(default_factory=RunsSettings)
    demo_dir: str = "var/demo"  # the demo's PostgreSQL data and simulator truth
    demo_seed: int = 42
    demo_history_days: int = 60  # days of history the first demo run fills
    demo_deactivation_frees_seat: bool = True  # the demo simulator's seat-counter switch
    demo_hard_cases: bool = True  # the demo world's hard cases (docs/seats.md)
    source: Path | None = None  # the file these settings came from

    def client_id_regex(self) -> re.Pattern[str]:
        return re.compile(self.zoho.client_id_pattern)


@dataclass(frozen=True)
class ZohoSecrets:
    """OAuth credentials. ``repr`` never shows them."""

    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)

    def values(self) -> tuple[str, ...]:
        return (self.client_id, self.client_secret, self.refresh_token)


@dataclass(frozen=True)
class DatabaseSettings:
    """How to reach the company database and the warehouse (one Redshift cluster in production).

    Either ``dsn`` (``postgresql://...`` for PostgreSQL, ``redshift://...`` for Redshift) or the
    ``REDSHIFT_*`` parts. ``password`` is a secret: it is read from the environment only.
    """

    dsn: str = field(default="", repr=False)
    host: str = ""
    port: int = 5439
    database: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    iam: bool = False  # Redshift IAM authentication (temporary credentials from boto3's chain)
    cluster_identifier: str = ""
    region: str = ""
    iam_role: str = ""  # role ARN Redshift assumes for COPY from S3

    @property
    def driver(self) -> str:
        """``"postgres"`` (psycopg) or ``"redshift"`` (redshift_connector)."""
        if self.dsn:
            return "redshift" if self.dsn.startswith("redshift://") else "postgres"
        return "redshift"


def resolve_path(path: str) -> str:
    """A relative folder in the settings is relative to the repository, not the caller's cwd."""
    return str(Path(path) if Path(path).is_absolute() else REPO_ROOT / path)


def shown_path(path: str | Path) -> str:
    """A path as a person would type it at the repository's root (where ``run_daily.sh`` runs):
    relative when it is under the repository, else as it is."""
    path = Path(path)
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
