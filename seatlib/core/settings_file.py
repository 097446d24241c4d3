"""The settings file's schema: one strict pydantic model per ``[section]``.

Pydantic checks the file's raw tables (strict: no coercion, unknown keys refused); the frozen
dataclasses of :mod:`seatlib.core.settings` stay what the rest of the code sees. :func:`check`
returns the validated sections, with the environment overrides applied, or raises one
:class:`~seatlib.core.errors.ConfigError` listing every problem, each naming the file (or the
variable), the ``[section] key``, the value and what was expected. Every field's
``description`` is the "expected ..." half of its error message.
"""

from __future__ import annotations

import os
import re
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .settings import (
    DATA_CENTERS, AlertSettings, ReclaimSettings, ReportSettings, RunsSettings, Settings,
    ZohoSettings, resolve_path,
)
from .values import is_identifier


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
    full = os.fsencode(resolve_path(value))
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
    future_tolerance_minutes: Annotated[int, Field(
        ge=0, le=10_080, description="an integer from 0 to 10080 (minutes, at most a week)")
    ] = _Z.future_tolerance_minutes
    excluded_workspaces: Annotated[list[str], AfterValidator(_no_blank_items), Field(
        description='an array of workspace names, e.g. ["Zoho Analytics Audits"]'
    )] = list(_Z.excluded_workspaces)
    seat_resource: Annotated[_Text, Field(
        description='a non-empty string (a GET /resources entry, e.g. "users")')] = _Z.seat_resource
    calls_per_minute: Annotated[int, Field(
        ge=0, le=10_000, description="an integer from 0 to 10000 (0 = no limit)")] = _Z.calls_per_minute
    max_concurrency: Annotated[int, Field(
        ge=1, le=64, description="an integer from 1 to 64")] = _Z.max_concurrency
    admins_refresh_days: Annotated[int, Field(
        ge=0, le=366, description="an integer from 0 to 366 (0 = every workspace every day)")
    ] = _Z.admins_refresh_days
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
    max_status_change_share: Annotated[float, Field(
        ge=0, le=1, description="a number from 0 to 1, e.g. 0.20"
    )] = Settings.max_status_change_share


_Folder = Annotated[str, AfterValidator(_local_path), Field(description="a local folder")]


def _runs_url(value: str) -> str:
    return _lake_url(value) if value else value


_U = RunsSettings


class _RunsFile(_Section):
    dir: _Folder = Settings.runs_dir
    url: Annotated[str, AfterValidator(_runs_url), Field(
        description="s3://bucket/prefix, a local folder, or empty (<lake url>/runs)")] = _U.url
    keep_days: Annotated[int, Field(
        ge=0, le=36500, description="an integer from 0 to 36500 (days; 0: for ever)")] = _U.keep_days
    durable_keep_days: Annotated[int, Field(
        ge=0, le=36500, description="an integer from 0 to 36500 (days; 0: for ever)"
    )] = _U.durable_keep_days
    max_age_hours: Annotated[float, Field(
        gt=0, le=8760, description="a number of hours above 0 and at most 8760")] = _U.max_age_hours
    hung_hours: Annotated[float, Field(
        gt=0, le=8760, description="a number of hours above 0 and at most 8760")] = _U.hung_hours
    catch_up_days: Annotated[int, Field(
        ge=0, le=365, description="an integer from 0 to 365 (days)")] = _U.catch_up_days
    heartbeat_method: Annotated[str, Field(
        pattern="^(GET|POST)$", description='"GET" or "POST"')] = _U.heartbeat_method
    warm_kernels: Annotated[bool, Field(description="true or false")] = _U.warm_kernels


class _DemoFile(_Section):
    dir: _Folder = Settings.demo_dir
    seed: Annotated[int, Field(
        ge=0, le=_INT64_MAX, description=f"an integer from 0 to {_INT64_MAX}")] = Settings.demo_seed
    history_days: Annotated[int, Field(
        ge=0, le=3650, description="an integer from 0 to 3650 (days)")] = Settings.demo_history_days
    deactivation_frees_seat: Annotated[bool, Field(
        description="true or false")] = Settings.demo_deactivation_frees_seat
    hard_cases: Annotated[bool, Field(description="true or false")] = Settings.demo_hard_cases


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
    max_plan_age_days: Annotated[int, Field(
        ge=0, le=30, description="an integer from 0 to 30 (days)")] = _R.max_plan_age_days
    max_users: Annotated[int, Field(
        ge=1, le=100000, description="an integer from 1 to 100000 (users)")] = _R.max_users
    max_share: Annotated[float, Field(
        gt=0, le=1, description="a number above 0, at most 1, e.g. 0.2")] = _R.max_share
    counter_recheck_minutes: Annotated[int, Field(
        ge=1, le=10080, description="an integer from 1 to 10080 (minutes)"
    )] = _R.counter_recheck_minutes


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
