"""Configuration in two halves: non-secret settings from a TOML file, secrets from the environment.

The file (``config/seat-monitor.toml``; see ``config/seat-monitor.example.toml``) holds what an
operator may commit. Secrets never appear in it, never travel as papermill parameters and are read
only when a connection is made (:func:`zoho_secrets`, :func:`database_settings`).

A few non-secret values may also come from the environment and then win over the file, so that the
same file serves several hosts: ``ZOHO_DATA_CENTER``, ``ZOHO_API_URL``, ``ZOHO_ACCOUNTS_URL``,
``ZOHO_ORG_ID``, ``SEATLIB_LAKE_URL``.

The file is checked strictly when it is loaded (:mod:`seatlib.core.settings_file`: pydantic models,
one per section, validate the raw tables; the frozen dataclasses of :mod:`seatlib.core.settings`,
re-exported here, are what the rest of the code sees): an unknown section or
key, a value of the wrong type (no coercion: ``30`` is not ``"30"``, ``2.9`` is not an integer, a
string is not an array) or out of range, and an invalid override, are one :class:`ConfigError`
listing every problem, each naming the file (or the variable), the ``[section] key``, the value
and what was expected.

Nothing here reads the environment or a file at import time.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from .errors import ConfigError
from .settings import (
    DATA_CENTERS, DEFAULT_CONFIG, DEMO_CONFIG, REPO_ROOT, AlertSettings, DatabaseSettings,
    ReclaimSettings, ReportSettings, RunsSettings, Settings, ZohoSecrets, ZohoSettings,
    resolve_path, shown_path,
)
from .settings_file import _Section, _check, _show
from .values import FALSE_WORDS, TRUE_WORDS, parse_flag

if TYPE_CHECKING:
    from datetime import date


def config_path(explicit: str | os.PathLike[str] | None = None, *, demo: bool = False,
                env: Mapping[str, str] | None = None) -> Path:
    """Which settings file a run or a notebook reads: ``explicit`` (``--config``, a notebook's
    ``config_path``), else the demo's with ``demo``, else ``$SEATLIB_CONFIG``, else
    ``config/seat-monitor.toml``. The one place this is decided."""
    env = os.environ if env is None else env
    chosen = explicit or (DEMO_CONFIG if demo else env.get("SEATLIB_CONFIG"))
    return Path(chosen) if chosen else DEFAULT_CONFIG


def zoho_hosts(data_center: str, api_url: str = "", accounts_url: str = "") -> tuple[str, str]:
    """Zoho's API and accounts hosts: the URLs given (``[zoho] api_url``, ``accounts_url`` or
    their environment overrides), else the data centre's (``com`` for one not known). The one
    place they are resolved."""
    api, accounts = DATA_CENTERS.get(data_center, DATA_CENTERS["com"])
    return (api_url or api).rstrip("/"), (accounts_url or accounts).rstrip("/")


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
    path = config_path(path, env=env)
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
    z["api_url"], z["accounts_url"] = zoho_hosts(z["data_center"], z["api_url"],
                                                 z["accounts_url"])
    lake_url = sections["lake"].url
    demo = sections["demo"]
    return Settings(
        zoho=ZohoSettings(**z),
        lake_url=lake_url if lake_url.startswith("s3://") else resolve_path(lake_url),
        module_status_query=sections["company"].module_status_query,
        warehouse_schema=sections["warehouse"].schema_,
        warehouse_s3_region=sections["warehouse"].s3_region,
        inactive_days=sections["gold"].inactive_days,
        capacity_warning_share=float(sections["report"].capacity_warning_share),
        max_drop_share=float(sections["guards"].max_drop_share),
        max_unmatched_share=float(sections["guards"].max_unmatched_share),
        max_status_change_share=float(sections["guards"].max_status_change_share),
        report=ReportSettings(**{k: v for k, v in sections["report"].model_dump().items()
                                 if k != "capacity_warning_share"}),
        alerts=AlertSettings(**sections["alerts"].model_dump()),
        runs_dir=resolve_path(sections["runs"].dir),
        runs=_runs(sections["runs"]),
        demo_dir=resolve_path(demo.dir),
        demo_seed=demo.seed,
        demo_history_days=demo.history_days,
        demo_deactivation_frees_seat=demo.deactivation_frees_seat,
        demo_hard_cases=demo.hard_cases,
        reclaim=_reclaim(sections["reclaim"]),
        source=path,
    )


def _runs(section: _Section) -> RunsSettings:
    values = {k: v for k, v in section.model_dump().items() if k != "dir"}
    url = values["url"]
    values["url"] = url if not url or url.startswith("s3://") else resolve_path(url)
    values["max_age_hours"] = float(values["max_age_hours"])
    values["hung_hours"] = float(values["hung_hours"])
    return RunsSettings(**values)


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
