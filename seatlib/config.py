"""Configuration in two halves: non-secret settings from a TOML file, secrets from the environment.

The file (``config/seat-monitor.toml``; see ``config/seat-monitor.example.toml``) holds what an
operator may commit. Secrets never appear in it, never travel as papermill parameters and are read
only when a connection is made (:func:`zoho_secrets`, :func:`database_settings`).

A few non-secret values may also come from the environment and then win over the file, so that the
same file serves several hosts: ``ZOHO_DATA_CENTER``, ``ZOHO_API_URL``, ``ZOHO_ACCOUNTS_URL``,
``ZOHO_ORG_ID``, ``SEATLIB_LAKE_URL``.

Nothing here reads the environment or a file at import time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "seat-monitor.toml"
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"

#: Data centre -> (API host, accounts host). Canada is zohocloud.ca, not zoho.ca (zoho-api.md §1).
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
    domain_name: str = ""  # white-label domain passed to user-management calls, if any
    client_id_pattern: str = r"^\s*(\d+)"  # first group = client id, from the workspace name
    audit_workspace: str = "Zoho Analytics Audits"
    access_log_table: str = "Access Log"
    audit_timezone: str = "UTC"  # zone of "Accessed Time" values in the audit export
    excluded_workspaces: tuple[str, ...] = ("Zoho Analytics Audits",)
    seat_resource: str = "users"
    calls_per_minute: int = 60  # client-side limiter; Zoho's METADATA limit is 60/min
    max_concurrency: int = 4
    request_timeout_s: float = 30.0
    retry_budget_s: float = 300.0  # total time one call may spend in retries
    export_timeout_s: float = 900.0
    export_poll_s: float = 4.0


@dataclass(frozen=True)
class Settings:
    """Every non-secret setting of a run."""

    zoho: ZohoSettings = field(default_factory=ZohoSettings)
    lake_url: str = "var/lake"
    module_status_query: str = (
        "SELECT client_id, bi_module_active AS module_active "
        "FROM app.clients WHERE bi_module_since IS NOT NULL"
    )
    warehouse_schema: str = "seat_monitor"
    inactive_days: int = 30
    capacity_warning_share: float = 0.90
    max_drop_share: float = 0.30
    runs_dir: str = "runs"
    demo_dir: str = "var/demo"  # the demo's PostgreSQL data and simulator truth
    demo_seed: int = 42
    demo_history_days: int = 60  # days of history the first demo run fills
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


_SECTIONS = {"zoho", "lake", "company", "warehouse", "gold", "report", "guards", "runs", "demo"}


def load_settings(path: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file, then apply the environment overrides.

    Args:
        path: the TOML file; default ``$SEATLIB_CONFIG`` or ``config/seat-monitor.toml``.
        env: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: the file is missing or invalid, or a value is out of range.
    """
    env = os.environ if env is None else env
    if path is None:
        path = env.get("SEATLIB_CONFIG") or DEFAULT_CONFIG
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path
    path = path.resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"settings file {path} not found: copy config/seat-monitor.example.toml to "
            f"config/seat-monitor.toml, or set SEATLIB_CONFIG") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"settings file {path} is not valid TOML: {exc}") from None
    unknown = set(raw) - _SECTIONS
    if unknown:
        raise ConfigError(f"settings file {path}: unknown section(s) {sorted(unknown)}; "
                          f"known: {sorted(_SECTIONS)}")
    return _build(raw, env, path)


def _build(raw: dict[str, Any], env: Mapping[str, str], path: Path) -> Settings:
    z = dict(raw.get("zoho", {}))
    zoho_fields = {f.name for f in dataclasses.fields(ZohoSettings)}
    bad = set(z) - zoho_fields
    if bad:
        raise ConfigError(f"settings file {path}: unknown key(s) in [zoho]: {sorted(bad)}")
    if "excluded_workspaces" in z:
        z["excluded_workspaces"] = tuple(z["excluded_workspaces"])
    for key, var in (("data_center", "ZOHO_DATA_CENTER"), ("api_url", "ZOHO_API_URL"),
                     ("accounts_url", "ZOHO_ACCOUNTS_URL"), ("org_id", "ZOHO_ORG_ID")):
        if env.get(var):
            z[key] = env[var]
    dc = z.get("data_center", "com")
    if dc not in DATA_CENTERS:
        raise ConfigError(f"ZOHO_DATA_CENTER / [zoho] data_center = {dc!r} is not one of "
                          f"{', '.join(DATA_CENTERS)}")
    api, accounts = DATA_CENTERS[dc]
    z["api_url"] = (z.get("api_url") or api).rstrip("/")
    z["accounts_url"] = (z.get("accounts_url") or accounts).rstrip("/")
    try:
        re.compile(z.get("client_id_pattern", ZohoSettings.client_id_pattern))
    except re.error as exc:
        raise ConfigError(f"[zoho] client_id_pattern is not a valid regular expression: {exc}") from None
    zoho = ZohoSettings(**z)
    if zoho.calls_per_minute < 0 or zoho.max_concurrency < 1:
        raise ConfigError("[zoho] calls_per_minute must be >= 0 (0 = no limit) and max_concurrency >= 1")

    lake_url = env.get("SEATLIB_LAKE_URL") or raw.get("lake", {}).get("url", Settings.lake_url)
    if not lake_url.startswith("s3://"):
        lake_url = _resolve(lake_url)

    settings = Settings(
        zoho=zoho,
        lake_url=lake_url,
        module_status_query=raw.get("company", {}).get("module_status_query",
                                                       Settings.module_status_query),
        warehouse_schema=raw.get("warehouse", {}).get("schema", Settings.warehouse_schema),
        inactive_days=int(raw.get("gold", {}).get("inactive_days", Settings.inactive_days)),
        capacity_warning_share=float(raw.get("report", {}).get("capacity_warning_share",
                                                               Settings.capacity_warning_share)),
        max_drop_share=float(raw.get("guards", {}).get("max_drop_share", Settings.max_drop_share)),
        runs_dir=_resolve(str(raw.get("runs", {}).get("dir", Settings.runs_dir))),
        demo_dir=_resolve(str(raw.get("demo", {}).get("dir", Settings.demo_dir))),
        demo_seed=int(raw.get("demo", {}).get("seed", Settings.demo_seed)),
        demo_history_days=int(raw.get("demo", {}).get("history_days", Settings.demo_history_days)),
        source=path,
    )
    if settings.inactive_days < 1:
        raise ConfigError("[gold] inactive_days must be at least 1")
    if not 0 < settings.capacity_warning_share <= 1:
        raise ConfigError("[report] capacity_warning_share must be in (0, 1]")
    if not 0 <= settings.max_drop_share < 1:
        raise ConfigError("[guards] max_drop_share must be in [0, 1)")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", settings.warehouse_schema):
        raise ConfigError(f"[warehouse] schema {settings.warehouse_schema!r} is not a plain identifier")
    return settings


def run_day(text: str = "") -> "date":
    """The run date from a notebook parameter: ``YYYY-MM-DD``, or today (UTC) when empty."""
    from datetime import date, datetime, timezone

    if not text:
        return datetime.now(timezone.utc).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"run_date must be YYYY-MM-DD, not {text!r}") from None


def _resolve(path: str) -> str:
    """A relative folder in the settings is relative to the repository, not the caller's cwd."""
    return str(Path(path) if Path(path).is_absolute() else REPO_ROOT / path)


def _require(env: Mapping[str, str], name: str, purpose: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is not set ({purpose})")
    return value


def _secrets_manager(env: Mapping[str, str]) -> dict[str, str]:
    """Secrets from AWS Secrets Manager when ``SEATLIB_SECRETS_ID`` names a JSON secret."""
    secret_id = env.get("SEATLIB_SECRETS_ID")
    if not secret_id:
        return {}
    import boto3  # only when asked for

    try:
        value = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
        data = json.loads(value)
    except Exception as exc:  # noqa: BLE001 - translate whatever boto3 raises
        raise ConfigError(f"could not read secret {secret_id} from AWS Secrets Manager: "
                          f"{type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"secret {secret_id} must be a JSON object of NAME: value")
    return {str(k): str(v) for k, v in data.items()}


def _env_with_secrets(env: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    for key, value in _secrets_manager(env).items():
        env.setdefault(key, value)
    return env


def zoho_secrets(env: Mapping[str, str] | None = None) -> ZohoSecrets:
    """The Zoho OAuth credentials, from the environment (or AWS Secrets Manager).

    Raises:
        ConfigError: naming the first missing variable.
    """
    env = _env_with_secrets(env)
    return ZohoSecrets(
        client_id=_require(env, "ZOHO_CLIENT_ID", "Zoho OAuth client id"),
        client_secret=_require(env, "ZOHO_CLIENT_SECRET", "Zoho OAuth client secret"),
        refresh_token=_require(env, "ZOHO_REFRESH_TOKEN", "Zoho OAuth refresh token"),
    )


def database_settings(env: Mapping[str, str] | None = None) -> DatabaseSettings:
    """How to reach the databases: ``SEATLIB_DATABASE_URL`` or the ``REDSHIFT_*`` variables.

    Raises:
        ConfigError: naming the missing variable.
    """
    env = _env_with_secrets(env)
    common = dict(iam_role=env.get("REDSHIFT_IAM_ROLE", ""))
    if env.get("SEATLIB_DATABASE_URL"):
        return DatabaseSettings(dsn=env["SEATLIB_DATABASE_URL"], **common)
    host = _require(env, "REDSHIFT_HOST",
                    "database host; or set SEATLIB_DATABASE_URL to a postgresql:// or redshift:// DSN")
    iam = env.get("REDSHIFT_IAM_AUTH", "").lower() in ("1", "true", "yes")
    port_text = env.get("REDSHIFT_PORT", "5439")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"REDSHIFT_PORT must be a number, not {port_text!r}") from None
    return DatabaseSettings(
        host=host,
        port=port,
        database=_require(env, "REDSHIFT_DATABASE", "database name"),
        user=_require(env, "REDSHIFT_USER", "database user"),
        password="" if iam else _require(env, "REDSHIFT_PASSWORD",
                                         "database password (or REDSHIFT_IAM_AUTH=true)"),
        iam=iam,
        cluster_identifier=env.get("REDSHIFT_CLUSTER_ID", ""),
        region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "")),
        **common,
    )
