"""Configuration in two halves: non-secret settings from a TOML file, secrets from the environment.

The file (``config/seat-monitor.toml``; see ``config/seat-monitor.example.toml``) holds what an
operator may commit. Secrets never appear in it, never travel as papermill parameters and are read
only when a connection is made (:func:`zoho_secrets`, :func:`database_settings`).

A few non-secret values may also come from the environment and then win over the file, so that the
same file serves several hosts: ``ZOHO_DATA_CENTER``, ``ZOHO_API_URL``, ``ZOHO_ACCOUNTS_URL``,
``ZOHO_ORG_ID``, ``SEATLIB_LAKE_URL``.

The file is checked strictly when it is loaded (pydantic models, one per section, validate the raw
tables; the frozen dataclasses below are what the rest of the code sees): an unknown section or
key, a value of the wrong type (no coercion: ``30`` is not ``"30"``, ``2.9`` is not an integer, a
string is not an array) or out of range, and an invalid override, are one :class:`ConfigError`
listing every problem, each naming the file (or the variable), the ``[section] key``, the value
and what was expected.

Nothing here reads the environment or a file at import time.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .values import FALSE_WORDS, TRUE_WORDS, is_identifier, parse_flag

REPO_ROOT = Path(__file__).resolve().parent.parent
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
    excluded_workspaces: tuple[str, ...] = ("Zoho Analytics Audits",)
    seat_resource: str = "users"
    calls_per_minute: int = 60  # client-side limiter; Zoho's METADATA limit is 60/min
    max_concurrency: int = 4
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
    report: ReportSettings = field(default_factory=ReportSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    runs_dir: str = "runs"
    demo_dir: str = "var/demo"  # the demo's PostgreSQL data and simulator truth
    demo_seed: int = 42
    demo_history_days: int = 60  # days of history the first demo run fills
    demo_deactivation_frees_seat: bool = True  # the demo simulator's seat-counter switch
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


# -- the file's schema -----------------------------------------------------------------------------
# Pydantic checks the file's raw tables (strict: no coercion, unknown keys refused); the frozen
# dataclasses above stay what the rest of the code sees. Every field's ``description`` is the
# "expected ..." half of its error message.

_DAY_S = 86_400.0
_INT64_MAX = 2**63 - 1
_NAME_MAX = 255     # bytes in one path component (ext4, xfs, APFS, NTFS)
_PATH_MAX = 4096    # bytes in a whole path (Linux)
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("it is empty")
    return value


def _no_blank_items(values: list[str]) -> list[str]:
    for i, value in enumerate(values):
        if not value.strip():
            raise ValueError(f"item {i} is empty")
    return values


def _data_center(value: str) -> str:
    if value not in DATA_CENTERS:
        close = get_close_matches(value, list(DATA_CENTERS), n=1, cutoff=0.5)
        raise ValueError(f"did you mean {close[0]}?" if close else "no such data centre")
    return value


def _http_url(value: str) -> str:
    if value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or _CONTROL.search(value) \
                or " " in value:
            raise ValueError("not an http(s)://host URL")
    return value


def _org_id(value: str) -> str:
    if value and not (value.isascii() and value.isdigit()):
        raise ValueError("not all digits")
    return value


def _domain(value: str) -> str:
    if value and (any(c.isspace() for c in value) or "/" in value or _CONTROL.search(value)):
        raise ValueError("a domain has no spaces or slashes")
    return value


def _capturing_regex(value: str) -> str:
    try:
        groups = re.compile(value).groups
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if groups < 1:
        raise ValueError("it has no capturing group ( ... ), so no client id can be taken from it")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known IANA time zone") from None
    return value


def _identifier(value: str) -> str:
    if not is_identifier(value):
        raise ValueError("not a plain identifier")
    return value


def _aws_region(value: str) -> str:
    if value and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", value):
        raise ValueError("not an AWS region name")
    return value


def _local_path(value: str) -> str:
    if not value.strip():
        raise ValueError("it is empty")
    if "\x00" in value:
        raise ValueError("it contains a NUL character")
    if "://" in value:
        raise ValueError(f"{value.split('://')[0]}:// is not supported, only s3:// or a folder")
    full = os.fsencode(_resolve(value))
    for part in full.split(b"/"):
        if len(part) > _NAME_MAX:
            raise ValueError(f"a path component of {len(part)} bytes is over the limit of "
                             f"{_NAME_MAX}: {os.fsdecode(part[:40])}...")
    if len(full) > _PATH_MAX:
        raise ValueError(f"the path is {len(full)} bytes, over the limit of {_PATH_MAX}")
    return value


def _lake_url(value: str) -> str:
    if not value.startswith("s3://"):
        return _local_path(value)
    bucket, _, prefix = value[len("s3://"):].partition("/")
    if not _S3_BUCKET.fullmatch(bucket) or ".." in bucket or _IPV4.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not a valid S3 bucket name (3-63 of a-z, 0-9, '.', '-', "
                         f"starting and ending with a letter or digit)")
    if (prefix and "" in prefix.rstrip("/").split("/")) or _CONTROL.search(prefix) \
            or any(c.isspace() for c in prefix):
        raise ValueError(f"the prefix {prefix!r} has an empty part or a space or control character")
    return value


_Text = Annotated[str, AfterValidator(_not_blank)]
_Seconds = Annotated[float, Field(gt=0, le=_DAY_S,
                                  description="a number of seconds above 0 and at most 86400 (a day)")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


_Z = ZohoSettings


class _ZohoFile(_Section):
    data_center: Annotated[str, AfterValidator(_data_center), Field(
        description="one of " + ", ".join(DATA_CENTERS))] = _Z.data_center
    api_url: Annotated[str, AfterValidator(_http_url), Field(
        description="an http(s):// URL, or empty for the data centre's host")] = _Z.api_url
    accounts_url: Annotated[str, AfterValidator(_http_url), Field(
        description="an http(s):// URL, or empty for the data centre's host")] = _Z.accounts_url
    org_id: Annotated[str, AfterValidator(_org_id), Field(
        description='a string of digits (ZANALYTICS-ORGID, e.g. "671712892"), or empty')] = _Z.org_id
    domain_name: Annotated[str, AfterValidator(_domain), Field(
        description="a white-label domain name, or empty")] = _Z.domain_name
    client_id_pattern: Annotated[str, AfterValidator(_capturing_regex), Field(
        description=r"a regular expression with at least one capturing group, e.g. '^\s*(\d+)'"
    )] = _Z.client_id_pattern
    audit_workspace: Annotated[_Text, Field(
        description="a non-empty string (a workspace name)")] = _Z.audit_workspace
    access_log_table: Annotated[_Text, Field(
        description="a non-empty string (a table name)")] = _Z.access_log_table
    audit_timezone: Annotated[str, AfterValidator(_timezone), Field(
        description='an IANA time zone name, e.g. "UTC" or "Europe/Berlin"')] = _Z.audit_timezone
    excluded_workspaces: Annotated[list[str], AfterValidator(_no_blank_items), Field(
        description='an array of workspace names, e.g. ["Zoho Analytics Audits"]'
    )] = list(_Z.excluded_workspaces)
    seat_resource: Annotated[_Text, Field(
        description='a non-empty string (a GET /resources entry, e.g. "users")')] = _Z.seat_resource
    calls_per_minute: Annotated[int, Field(
        ge=0, le=10_000, description="an integer from 0 to 10000 (0 = no limit)")] = _Z.calls_per_minute
    max_concurrency: Annotated[int, Field(
        ge=1, le=64, description="an integer from 1 to 64")] = _Z.max_concurrency
    request_timeout_s: _Seconds = _Z.request_timeout_s
    retry_budget_s: _Seconds = _Z.retry_budget_s
    export_timeout_s: _Seconds = _Z.export_timeout_s
    export_poll_s: _Seconds = _Z.export_poll_s


class _LakeFile(_Section):
    url: Annotated[str, AfterValidator(_lake_url), Field(
        description="s3://bucket/prefix with a valid bucket name, or a local folder")] = Settings.lake_url


class _CompanyFile(_Section):
    module_status_query: Annotated[_Text, Field(
        description="a non-empty SQL query returning client_id and module_active"
    )] = Settings.module_status_query


class _WarehouseFile(_Section):
    schema_: Annotated[str, AfterValidator(_identifier), Field(
        alias="schema", description="a plain SQL identifier (a letter or _, then up to 62 letters, "
                                    "digits or _)")] = Settings.warehouse_schema
    s3_region: Annotated[str, AfterValidator(_aws_region), Field(
        description='an AWS region name such as "eu-west-1", or empty when the lake\'s bucket is '
                    'in the cluster\'s region')] = Settings.warehouse_s3_region


class _GoldFile(_Section):
    inactive_days: Annotated[int, Field(
        ge=1, le=3650, description="an integer from 1 to 3650 (days)")] = Settings.inactive_days


_R, _A = ReportSettings, AlertSettings
_Price = Annotated[float, Field(ge=0, le=1e9, description="a number from 0 (a price a month)")]


class _ReportFile(_Section):
    capacity_warning_share: Annotated[float, Field(
        gt=0, le=1, description="a number above 0 and at most 1, e.g. 0.90"
    )] = Settings.capacity_warning_share
    show_emails: Annotated[bool, Field(description="true or false")] = _R.show_emails
    currency: Annotated[str, Field(min_length=1, max_length=8, pattern=r"^\S+$",
                                   description='a currency code or sign, e.g. "EUR"')] = _R.currency
    seat_price_month: _Price = _R.seat_price_month
    module_price_month: _Price = _R.module_price_month
    forecast_days: Annotated[int, Field(
        ge=7, le=365, description="an integer from 7 to 365 (days)")] = _R.forecast_days


class _AlertsFile(_Section):
    critical_share: Annotated[float, Field(
        gt=0, le=1, description="a number above 0 and at most 1, e.g. 1.0")] = _A.critical_share
    critical_free_seats: Annotated[int, Field(
        ge=0, le=100_000, description="an integer from 0 (free seats)")] = _A.critical_free_seats
    remind_while_critical: Annotated[bool, Field(
        description="true or false")] = _A.remind_while_critical


class _GuardsFile(_Section):
    max_drop_share: Annotated[float, Field(
        ge=0, lt=1, description="a number from 0 up to (not including) 1, e.g. 0.30"
    )] = Settings.max_drop_share
    max_unmatched_share: Annotated[float, Field(
        ge=0, le=1, description="a number from 0 to 1, e.g. 0.20"
    )] = Settings.max_unmatched_share


_Folder = Annotated[str, AfterValidator(_local_path), Field(description="a local folder")]


class _RunsFile(_Section):
    dir: _Folder = Settings.runs_dir


class _DemoFile(_Section):
    dir: _Folder = Settings.demo_dir
    seed: Annotated[int, Field(
        ge=0, le=_INT64_MAX, description=f"an integer from 0 to {_INT64_MAX}")] = Settings.demo_seed
    history_days: Annotated[int, Field(
        ge=0, le=3650, description="an integer from 0 to 3650 (days)")] = Settings.demo_history_days
    deactivation_frees_seat: Annotated[bool, Field(
        description="true or false")] = Settings.demo_deactivation_frees_seat


_R = ReclaimSettings


def _lower_items(values: list[str]) -> list[str]:
    return [v.strip().lower() for v in _no_blank_items(values)]


class _ReclaimFile(_Section):
    inactive_days: Annotated[int, Field(
        ge=1, le=3650, description="an integer from 1 to 3650 (days)")] = _R.inactive_days
    grace_days: Annotated[int, Field(
        ge=0, le=3650, description="an integer from 0 to 3650 (days)")] = _R.grace_days
    exempt_clients: Annotated[list[Annotated[int, Field(ge=0, le=_INT64_MAX)]], Field(
        description="an array of client ids (integers), e.g. [1003, 1007]")] = []
    exempt_emails: Annotated[list[str], AfterValidator(_lower_items), Field(
        description='an array of e-mail addresses, e.g. ["ana@acme.com"]')] = []
    staff_domains: Annotated[list[str], AfterValidator(_lower_items), Field(
        description='an array of domain names, e.g. ["reseller.com"]')] = []
    staff_emails: Annotated[list[str], AfterValidator(_lower_items), Field(
        description='an array of e-mail addresses, e.g. ["support@reseller.com"]')] = []
    batch_size: Annotated[int, Field(
        ge=1, le=1000, description="an integer from 1 to 1000 (Zoho's limit a call)"
    )] = _R.batch_size


_MODELS: dict[str, type[_Section]] = {
    "zoho": _ZohoFile, "lake": _LakeFile, "company": _CompanyFile, "warehouse": _WarehouseFile,
    "gold": _GoldFile, "report": _ReportFile, "alerts": _AlertsFile, "guards": _GuardsFile,
    "runs": _RunsFile, "demo": _DemoFile, "reclaim": _ReclaimFile,
}
_SECTIONS = set(_MODELS)

#: Environment variable -> the file's (section, key) it overrides (when set and not empty).
_OVERRIDES: dict[str, tuple[str, str]] = {
    "ZOHO_DATA_CENTER": ("zoho", "data_center"),
    "ZOHO_API_URL": ("zoho", "api_url"),
    "ZOHO_ACCOUNTS_URL": ("zoho", "accounts_url"),
    "ZOHO_ORG_ID": ("zoho", "org_id"),
    "SEATLIB_LAKE_URL": ("lake", "url"),
}


def _keys(section: str) -> list[str]:
    return [f.alias or name for name, f in _MODELS[section].model_fields.items()]


def _show(value: Any) -> str:
    """A value as the message shows it: short, and never a 4,000-digit number."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 96:
        return f"<an integer of {value.bit_length()} bits>"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:45]) + f"... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_TOML_TYPES = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
               (list, "an array"), (dict, "a table"))


def _toml_type(value: Any) -> str:
    for kind, name in _TOML_TYPES:
        if isinstance(value, kind):
            return name
    return "a date/time" if hasattr(value, "isoformat") else type(value).__name__


def _suggest(word: str, choices: list[str]) -> str:
    close = get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else f"; known: {', '.join(choices)}"


def _unknown_key(path: Path, section: str, key: str, value: Any) -> str:
    home = [s for s in _MODELS if s != section and key in _keys(s)]
    hint = (f"; it belongs in [{home[0]}]" if home else _suggest(key, _keys(section)))
    return f"{path}: unknown key [{section}] {key} = {_show(value)}{hint}"


def _problems(errors: list[dict[str, Any]], section: str, where: Callable[[str], str],
              path: Path) -> list[str]:
    """Pydantic's errors for one section -> one line each: where, key, value, expectation."""
    model = _MODELS[section]
    fields = {(f.alias or name): f for name, f in model.model_fields.items()}
    out = []
    for err in errors:
        key = str(err["loc"][0]) if err["loc"] else "?"
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            out.append(_unknown_key(path, section, key, value))
            continue
        item = "".join(f"[{i}]" for i in err["loc"][1:])
        expect = fields[key].description if key in fields else err["msg"]
        if item and err["type"].endswith("_type"):
            expect = f"a string in the array ({expect})"
        if err["type"].endswith("_type"):
            expect += f", not {_toml_type(value)}"
        elif err["type"] == "finite_number":
            expect += ", not nan or inf"
        elif err["type"] == "value_error":
            expect += f" ({err['ctx']['error']})"
        out.append(f"{where(key + item)} = {_show(value)}: expected {expect}")
    return out


def _check(raw: dict[str, Any], env: Mapping[str, str], path: Path) -> dict[str, _Section]:
    """Validate the file's tables and the overrides; one ConfigError lists every problem."""
    problems: list[str] = []
    for name, value in raw.items():
        if name not in _MODELS:
            home = [s for s in _MODELS if name in _keys(s)]
            hint = f"; it belongs in [{home[0]}]" if home else _suggest(name, sorted(_MODELS))
            what = (f"section [{name}]" if isinstance(value, dict)
                    else f"top-level key {name} = {_show(value)}")
            problems.append(f"{path}: unknown {what}{hint}")
        elif not isinstance(value, dict):
            problems.append(f"{path}: [{name}] = {_show(value)}: expected a table [{name}], "
                            f"not {_toml_type(value)}")
    sections: dict[str, _Section] = {}
    for name, model in _MODELS.items():
        table = raw.get(name, {})
        try:
            sections[name] = model.model_validate(table if isinstance(table, dict) else {})
        except ValidationError as exc:
            problems += _problems(exc.errors(), name, lambda k, s=name: f"{path}: [{s}] {k}", path)
    updates: dict[str, dict[str, Any]] = {}
    for var, (name, key) in _OVERRIDES.items():
        if not env.get(var):
            continue
        try:
            _MODELS[name].model_validate({key: env[var]})
        except ValidationError as exc:
            problems += _problems(exc.errors(), name,
                                  lambda k, v=var, s=name: f"environment variable {v} (overrides "
                                                           f"[{s}] {k})", path)
        else:
            updates.setdefault(name, {})[key] = env[var]
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"settings file {path} is invalid ({count}):\n  - "
                          + "\n  - ".join(problems))
    for name, update in updates.items():
        fields = {(f.alias or n): n for n, f in _MODELS[name].model_fields.items()}
        sections[name] = sections[name].model_copy(
            update={fields[k]: v for k, v in update.items()})
    return sections


def load_settings(path: str | os.PathLike[str] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file, check it, then apply the environment overrides.

    Args:
        path: the TOML file; default ``$SEATLIB_CONFIG`` or ``config/seat-monitor.toml``.
        env: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: the file is missing or not TOML, or has unknown sections or keys, values of
            the wrong type or out of range (every problem is listed, each naming the file, the
            ``[section] key``, the value and what is expected); or an override is invalid.
    """
    env = os.environ if env is None else env
    if path is None:
        path = env.get("SEATLIB_CONFIG") or DEFAULT_CONFIG
    path = Path(path)
    try:
        if not path.is_absolute() and not path.exists():
            path = REPO_ROOT / path
        path = path.resolve()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"settings file {path} not found: copy config/seat-monitor.example.toml to "
            f"config/seat-monitor.toml, or set SEATLIB_CONFIG") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"settings file {str(path)[:200]} could not be read: "
                          f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:  # ValueError: an integer too long to read
        raise ConfigError(f"settings file {path} is not valid TOML: {str(exc)[:200]}") from None
    return _build(_check(raw, env, path), path)


def _build(sections: dict[str, _Section], path: Path) -> Settings:
    z = sections["zoho"].model_dump()
    z["excluded_workspaces"] = tuple(z["excluded_workspaces"])
    api, accounts = DATA_CENTERS[z["data_center"]]
    z["api_url"] = (z["api_url"] or api).rstrip("/")
    z["accounts_url"] = (z["accounts_url"] or accounts).rstrip("/")
    lake_url = sections["lake"].url
    demo = sections["demo"]
    return Settings(
        zoho=ZohoSettings(**z),
        lake_url=lake_url if lake_url.startswith("s3://") else _resolve(lake_url),
        module_status_query=sections["company"].module_status_query,
        warehouse_schema=sections["warehouse"].schema_,
        warehouse_s3_region=sections["warehouse"].s3_region,
        inactive_days=sections["gold"].inactive_days,
        capacity_warning_share=float(sections["report"].capacity_warning_share),
        max_drop_share=float(sections["guards"].max_drop_share),
        max_unmatched_share=float(sections["guards"].max_unmatched_share),
        report=ReportSettings(**{k: v for k, v in sections["report"].model_dump().items()
                                 if k != "capacity_warning_share"}),
        alerts=AlertSettings(**sections["alerts"].model_dump()),
        runs_dir=_resolve(sections["runs"].dir),
        demo_dir=_resolve(demo.dir),
        demo_seed=demo.seed,
        demo_history_days=demo.history_days,
        demo_deactivation_frees_seat=demo.deactivation_frees_seat,
        reclaim=_reclaim(sections["reclaim"]),
        source=path,
    )


def _reclaim(section: _Section) -> ReclaimSettings:
    values = section.model_dump()
    return ReclaimSettings(**{k: tuple(v) if isinstance(v, list) else v
                              for k, v in values.items()})


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


_DSN_SCHEMES = ("postgresql://", "postgres://", "redshift://")
def _flag(env: Mapping[str, str], name: str) -> bool:
    """An on/off variable: unset or empty is off; else a flag as :func:`parse_flag` reads it."""
    text = env.get(name, "").strip()
    if not text:
        return False
    flag = parse_flag(text)
    if flag is None:
        words = ", ".join(sorted(TRUE_WORDS | FALSE_WORDS))
        raise ConfigError(f"environment variable {name} = {_show(text)}: expected one of {words}")
    return flag


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port variable: unset or empty is ``default``; else an integer from 1 to 65535."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= 65535):
        raise ConfigError(f"environment variable {name} = {_show(text)}: expected a port "
                          f"number from 1 to 65535")
    return int(text)


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
        ConfigError: naming the variable that is missing or invalid (``REDSHIFT_PORT`` not a
            port, ``REDSHIFT_IAM_AUTH`` not one of true/false/1/0/yes/no, a DSN of another kind).
    """
    env = _env_with_secrets(env)
    common = dict(iam_role=env.get("REDSHIFT_IAM_ROLE", ""))
    dsn = env.get("SEATLIB_DATABASE_URL", "")
    if dsn:
        if not dsn.startswith(_DSN_SCHEMES):
            raise ConfigError("environment variable SEATLIB_DATABASE_URL: expected a DSN starting "
                              f"with {', '.join(_DSN_SCHEMES)} (the value is not shown: it may "
                              "hold a password)")
        return DatabaseSettings(dsn=dsn, **common)
    host = _require(env, "REDSHIFT_HOST",
                    "database host; or set SEATLIB_DATABASE_URL to a postgresql:// or redshift:// DSN")
    iam = _flag(env, "REDSHIFT_IAM_AUTH")
    port = _port(env, "REDSHIFT_PORT", 5439)
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
