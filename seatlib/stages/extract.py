"""Stage 1, extract -> bronze: read every source for one day and land it as raw CSV.

One file per source per day, ``bronze/<source>/<YYYY-MM-DD>.csv``, written only after the source
was read completely and passed its guards (columns, duplicates, not empty, no sudden drop), so a
failed or suspicious extract never replaces a good file.

Zoho answers only for *now*: extracting a past day is refused, except against the demo's
simulator, which can replay past days (``allow_replay``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd

from . import admins
from ..core import config as cfg
from ..core.contracts import BRONZE, check_unique, coerce
from ..core.errors import ConfigError, DataQualityError, ZohoError
from ..core.sources import ZOHO_SOURCES, on
from .guards import check_volume, flag_bad_emails
from ..systems.lake import Lake, bronze_key, latest_bronze
from . import StageOptions
from ..systems import Systems
from ..systems.zoho.records import parse_access_time

log = logging.getLogger(__name__)

#: the sources silver reduces to one row per lower-cased key (seatlib.stages.silver)
MERGED_IN_SILVER = ("zoho_users", "zoho_last_access")


@dataclass
class ExtractResult:
    day: date
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    bad_emails: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"source": s, "rows": self.rows[s], "seconds": round(self.seconds.get(s, 0.0), 2),
              "file": self.files.get(s, "")} for s in self.rows])


#: The Access Log's time column (docs/zoho-api-notes.md §9).
ACCESSED_TIME = "Accessed Time"


def access_cutoff(started: datetime, settings: cfg.ZohoSettings) -> datetime:
    """The latest Access Log time the extract trusts: its start plus ``[zoho]
    future_tolerance_minutes``. Anything later cannot have happened yet (a clock ahead, a
    wrong ``audit_timezone``) and would make an idle seat look used."""
    return started + timedelta(minutes=settings.future_tolerance_minutes)


def access_log_sql(settings: cfg.ZohoSettings, cutoff: datetime) -> str:
    """The bulk-export SQL giving each (workspace, user)'s latest access up to ``cutoff`` and
    how many of its accesses are later (docs/zoho-api-notes.md §9).

    One job: the conditional aggregates keep the later accesses out of ``last_access_at`` and
    count them in ``future_accesses``. "Accessed Time" holds zone-less local times of ``[zoho]
    audit_timezone``, so the cutoff is written as such a time.

    Raises:
        ValueError: ``cutoff`` has no time zone (its local time would be a guess).
    """
    if cutoff.tzinfo is None:
        raise ValueError(f"access_log_sql: cutoff {cutoff} has no time zone")
    local = cutoff.astimezone(ZoneInfo(settings.audit_timezone)).strftime("%Y-%m-%d %H:%M:%S")
    table = settings.access_log_table.replace('"', '""')
    return (
        'SELECT "Workspace Name" AS workspace_name, "Accessed By" AS user_email, '
        f'MAX(CASE WHEN "Accessed Time" <= \'{local}\' THEN "Accessed Time" END) '
        'AS last_access_at, '
        f'SUM(CASE WHEN "Accessed Time" > \'{local}\' THEN 1 ELSE 0 END) AS future_accesses '
        f'FROM "{table}" GROUP BY "Workspace Name", "Accessed By"'
    )


def check_day(day: date, *, allow_replay: bool) -> None:
    """Refuse to extract a day other than today (UTC) unless replaying the demo simulator;
    a future day is refused always (nothing can be known of it yet)."""
    today = datetime.now(timezone.utc).date()
    if day > today:
        raise ConfigError(
            f"cannot extract {day}: it is in the future (today is {today} UTC). Run without "
            f"--date for today's extract, or give a --date up to {today}")
    if day != today and not allow_replay:
        raise ConfigError(
            f"cannot extract {day}: Zoho answers only for today ({today} UTC), so a past day's "
            f"state is gone. Re-build later stages from the bronze already in the lake with "
            f"`run_daily.sh --backfill {day} {day}` (it skips extract)")


# -- reading each source into its bronze frame ---------------------------------------------------

def read_workspace_admins(client, workspaces: list, users: pd.DataFrame, lake: Lake, day: date,
                          settings: cfg.ZohoSettings, full: bool = False) -> pd.DataFrame:
    """Every workspace with its admin e-mails, one row per (workspace, admin): fetched from Zoho
    where they may have changed, reused from the latest earlier bronze otherwise
    (:mod:`seatlib.stages.admins`; ``full`` fetches all)."""
    df, _ = admins.read(client, workspaces, users, admins.load_known(lake, day), day,
                        refresh_days=settings.admins_refresh_days, full=full)
    return df


def read_users(client) -> pd.DataFrame:
    rows = [{"email": u.email, "active": "true" if u.active else "false", "role": u.role or "",
             "domain": u.domain} for u in client.list_users()]
    return pd.DataFrame(rows, columns=BRONZE["zoho_users"].names)


def read_seats(client, settings: cfg.ZohoSettings) -> pd.DataFrame:
    """Seat usage per resource (GET /restapi/v2/resources). The seat line ([zoho]
    seat_resource) must carry whole numbers; another line without them is left out."""
    rows = []
    for r in client.resources():
        if r.allocated is None or r.used is None:
            if r.name == settings.seat_resource:
                raise DataQualityError(
                    f"zoho_seats: GET /restapi/v2/resources gave {r.name!r} without whole numbers "
                    f"for allocated/used (allocated={r.allocated}, used={r.used}); nothing was "
                    f"written. Check the answer's resourceUsage, or [zoho] seat_resource")
            log.warning("zoho_seats: resource %r has no whole allocated/used; left out", r.name)
            continue
        rows.append({"resource_name": r.name, "allocated": str(r.allocated), "used": str(r.used),
                     "remaining": "" if r.remaining is None else str(r.remaining)})
    if not any(row["resource_name"] == settings.seat_resource for row in rows):
        raise DataQualityError(
            f"zoho_seats: GET /restapi/v2/resources has no {settings.seat_resource!r} line; "
            f"nothing was written. Set [zoho] seat_resource to the seat resource's name")
    return pd.DataFrame(rows, columns=BRONZE["zoho_seats"].names).astype("string")


def read_last_access(client, workspaces: list, settings: cfg.ZohoSettings,
                     cutoff: datetime) -> pd.DataFrame:
    """Latest access per workspace and user up to ``cutoff`` (:func:`access_cutoff`), through
    a bulk SQL export of the audit Access Log, with the date format Zoho declares for
    "Accessed Time" (``time_format``; bronze stays the raw text, silver parses it with that
    format first) and the count of later accesses left out (``future_accesses``).

    ``workspaces`` are the organisation's own (:meth:`ZohoClient.list_workspaces`), so another
    organisation's audit workspace of the same name is never read.
    """
    audit = [w for w in workspaces if w.name == settings.audit_workspace]
    if not audit:
        raise DataQualityError(
            f"zoho_last_access: workspace {settings.audit_workspace!r} not found among "
            f"organisation {client.org_id}'s workspaces in GET /restapi/v2/workspaces; enable "
            f"the Access Log (Zoho Analytics: Settings > Audit) or set [zoho] audit_workspace")
    ws_id = audit[0].workspace_id
    time_format = client.date_format(ws_id, settings.access_log_table, ACCESSED_TIME)
    text = client.export_sql(ws_id, access_log_sql(settings, cutoff))
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=list(_ACCESS_COLUMNS))
    df = normalize_access_export(df, settings, time_format)
    if FUTURE in df.columns:
        future = pd.to_numeric(df[FUTURE], errors="coerce").fillna(0)
        if future.sum():
            log.warning("zoho_last_access: %d access(es) of %d workspace/user pair(s) logged after "
                        "%s (the extract's start plus [zoho] future_tolerance_minutes) left "
                        "out; is the clock or [zoho] audit_timezone wrong?", int(future.sum()),
                        int((future > 0).sum()), cutoff.isoformat(timespec="seconds"))
    return df


#: What each column of the access export may be called: our SQL aliases them, but an engine
#: that ignores aliases names them after the expression or the table's own column.
_ACCESS_COLUMNS = {
    "workspace_name": ("workspace_name", "workspace name"),
    "user_email": ("user_email", "accessed by"),
    "last_access_at": ("last_access_at", 'max("accessed time")', "max(accessed time)",
                       "last access", "accessed time"),
}
#: The count of accesses after the cutoff. Optional: an engine that drops it answers the
#: latest accesses all the same, and none is counted as in the future.
FUTURE = "future_accesses"
_FUTURE_NAMES = (FUTURE, "future accesses")


def normalize_access_export(df: pd.DataFrame, settings: cfg.ZohoSettings,
                            time_format: str = "") -> pd.DataFrame:
    """Our column names, one row per (workspace, user) with its latest access, the declared
    ``time_format`` on every row, and ``future_accesses`` ("0" when the export has none).

    The documented SQL export already answers that; this only guards against an engine that kept
    the expressions' names or ignored the GROUP BY (then the raw log rows are reduced here, by
    parsed time, their future accesses added up). Anything else is left for the contract check
    to name.
    """
    names = {str(c).strip().lower(): c for c in df.columns}
    rename = {}
    for ours, candidates in _ACCESS_COLUMNS.items():
        found = next((names[c] for c in candidates if c in names), None)
        if found is not None:
            rename[found] = ours
    if len(set(rename.values())) < len(_ACCESS_COLUMNS):
        return df  # the contract check names what is missing
    future = next((names[c] for c in _FUTURE_NAMES if c in names), None)
    counts = df[future] if future is not None else pd.Series("0", index=df.index, dtype=object)
    df = (df.rename(columns=rename)[list(_ACCESS_COLUMNS)]
            .assign(time_format=time_format, **{FUTURE: counts}))
    key = ["workspace_name", "user_email"]
    if df.duplicated(key).any():
        log.warning("zoho_last_access: the export has several rows per workspace and user "
                    "(GROUP BY ignored?); keeping each one's latest")
        when = parse_access_time(df["last_access_at"], settings.audit_timezone, "access export",
                                 declared=df["time_format"])
        total = (pd.to_numeric(df[FUTURE], errors="coerce").fillna(0).astype(int)
                   .groupby([df[k] for k in key]).transform("sum"))
        df = df.assign(**{FUTURE: total.astype(str)})
        latest = when.sort_values(kind="stable", na_position="first").index
        df = df.loc[latest].drop_duplicates(key, keep="last")
        df = df.sort_values(key, kind="stable").reset_index(drop=True)
    return df


def read_module_status(systems: Systems) -> pd.DataFrame:
    """The company database's answer to the configured module-status query."""
    df = systems.company().module_status(systems.settings.module_status_query)
    out = pd.DataFrame({"client_id": df["client_id"].astype("Int64").astype("string"),
                        "module_active": df["module_active"].map({True: "true", False: "false"})})
    return out.astype("string")


# -- the stage -----------------------------------------------------------------------------------

def _previous_rows(lake: Lake, source: str, day: date) -> tuple[date, int] | None:
    found = latest_bronze(lake, source, day)
    return None if found is None else (found[0], len(found[1]))


def _guard(lake: Lake, source: str, day: date, df: pd.DataFrame, settings: cfg.Settings,
           allow_drop: bool) -> list[str]:
    """Check a complete source frame against its contract and the previous day's volume;
    returns the malformed e-mail addresses it holds (kept: they may still hold a seat)."""
    where = f"extract of {day}"
    contract = BRONZE[source]
    typed = coerce(df, contract, where)  # columns and types, before anything is written
    # Zoho's text as the key where silver merges what differs only in case or blanks (an
    # "Accessed By" of "" and " " are two groups to Zoho, both no address to us)
    check_unique(df if source in MERGED_IN_SILVER else typed, contract, where)
    check_volume(source, len(df), _previous_rows(lake, source, day),
                 max_drop_share=settings.max_drop_share, allow_drop=allow_drop, where=where)
    bad: list[str] = []
    for col in ("admin_email", "email", "user_email"):
        if col in df.columns:
            bad = flag_bad_emails(df, col, source) or bad
    return bad


def in_key_order(df: pd.DataFrame, contract) -> pd.DataFrame:
    """Rows sorted by the contract's key (integer columns as numbers), so the same answer in
    another order (a query without ORDER BY, a list Zoho pages differently) writes the same
    bytes."""
    key = list(contract.key)
    ints = {c for c in key if contract.columns[c] == "int"}
    order = df.sort_values(key, kind="stable", key=lambda s: (
        pd.to_numeric(s, errors="coerce") if s.name in ints else s.astype("string")))
    return order.reset_index(drop=True)


def _write(lake: Lake, source: str, day: date, df: pd.DataFrame, result: ExtractResult,
           seconds: float) -> None:
    """Write one guarded source frame whole."""
    key = bronze_key(source, day)
    lake.write_csv(key, df)
    result.rows[source] = len(df)
    result.seconds[source] = seconds
    result.files[source] = lake.uri(key)
    log.info("%s: %d rows -> %s (%.1f s)", source, len(df), lake.uri(key), result.seconds[source])


def run(day: date, systems: Systems, options: StageOptions = StageOptions(), *,
        sources: tuple[str, ...] | None = None) -> ExtractResult:
    """Extract every source for ``day`` into bronze.

    Args:
        systems: where Zoho, the company database and the lake are.
        options: ``allow_replay`` allows a past ``day`` (the demo simulator only);
            ``allow_drop`` lets an empty or shrunken extract through (the operator's override).
        sources: a subset of :data:`seatlib.core.contracts.SOURCES` (default: every source
            that exists on ``day``, :func:`seatlib.core.sources.on`).

    Raises:
        ConfigError, ZohoError, WarehouseError, DataQualityError: nothing is written; every
        source is read and guarded before the first file is replaced, so the day's previous
        bronze stays exactly as it was.
        LakeError: a write failed; each file is either the previous one or the new one whole.
    """
    check_day(day, allow_replay=options.allow_replay)
    started = datetime.now(timezone.utc)  # nothing the Access Log holds can be later
    wanted = tuple(sources or on(day))  # a source added later: from its first day
    unknown = set(wanted) - set(BRONZE)
    if unknown:
        raise ConfigError(f"unknown source(s) {sorted(unknown)}; known: {list(BRONZE)}")
    with contextlib.ExitStack() as stack:
        client = (stack.enter_context(systems.zoho())
                  if any(s in ZOHO_SOURCES for s in wanted) else None)
        frames = _read_all(day, systems, client, wanted, options, started)
    # Every source was read and passed its guards: only now is anything replaced, so a
    # failure above (a Zoho error, an empty or shrunken source) leaves the day's previous
    # bronze untouched instead of half today's, half an earlier run's.
    result = ExtractResult(day)
    for source, df, seconds, bad in frames:
        if bad:
            result.bad_emails[source] = bad
        _write(systems.lake, source, day, df, result, seconds)
    return result


def missing_bronze(lake: Lake, day: date) -> list[str]:
    """The sources of ``day`` (:func:`seatlib.core.sources.on`: a source added later is not
    missing from the days before it) that have no bronze file; what the back-fill and the daily
    catch-up check before rebuilding a day."""
    return [s for s in on(day) if not lake.exists(bronze_key(s, day))]


_TAG = "[while extracting "


def _tagged(exc: ZohoError, source: str, day: date) -> ZohoError:
    """The same error, its hint naming the source being read."""
    return type(exc)(exc.call, exc.code, exc.zoho_message,
                     f"{exc.hint} {_TAG}{source} for {day}]".strip(), exc.http_status)


def _read_all(day: date, systems: Systems, client, wanted: tuple[str, ...],
              options: StageOptions, started: datetime
              ) -> list[tuple[str, pd.DataFrame, float, list[str]]]:
    """Read and guard every wanted source, in contract order; nothing is written here.
    ``started``: when the extract began (the Access Log's cutoff counts from it)."""
    settings = systems.settings
    once: dict[str, object] = {}

    def listed() -> list:  # GET /workspaces once, for both sources that need it
        if not once.get("workspaces"):
            once["workspaces"] = client.list_workspaces()
        return once["workspaces"]

    def users() -> pd.DataFrame:  # GET /users once, for the users and the admins' plan
        if "users" not in once:
            try:
                once["users"] = read_users(client)
            except ZohoError as exc:  # named for its own source, also when the admins asked
                raise _tagged(exc, "zoho_users", day) from None
        return once["users"]

    readers = {
        "zoho_workspace_admins": lambda: read_workspace_admins(
            client, listed(), users(), systems.lake, day, settings.zoho, options.full_refresh),
        "zoho_users": users,
        "zoho_seats": lambda: read_seats(client, settings.zoho),
        "zoho_last_access": lambda: read_last_access(
            client, listed(), settings.zoho, access_cutoff(started, settings.zoho)),
        "module_status": lambda: read_module_status(systems),
    }
    frames = []
    for source in BRONZE:
        if source not in wanted:
            continue
        reading = time.monotonic()
        log.info("%s: reading", source)
        try:
            df = readers[source]()
        except ZohoError as exc:
            raise (exc if _TAG in (exc.hint or "") else _tagged(exc, source, day)) from None
        df = in_key_order(df, BRONZE[source])
        bad = _guard(systems.lake, source, day, df, settings, options.allow_drop)
        frames.append((source, df, time.monotonic() - reading, bad))
    return frames
