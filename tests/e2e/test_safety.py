"""Nothing lost: runs killed half-way, two runs at once, a load that dies after its DELETE, and
secrets that must not land anywhere.

The demo pipeline runs as a real ``python -m seatlib.run.runner --demo`` process, in a session of
its own so the test can SIGKILL its whole process group, as a timeout or an operator would. One
clean run (the reference, with a second run started against it while it works) is what every killed
and re-run pipeline must end up equal to: the lake byte for byte, hidden files included, and the
warehouse (and company table) row for row.

Where a kill must land inside one statement, the test holds a PostgreSQL table lock the stage
needs, waits until the stage is blocked on it, and kills then: the extract inside the company
database query, the load inside its transaction, waiting for the second of its two table locks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

import psutil
import pytest

from seatlib.core import config as cfg
from seatlib.run import demo, runner
from seatlib.stages import gold
from seatlib.history import attempts as history
from seatlib.systems import warehouse
from seatlib.core.contracts import SOURCES
from seatlib.core.errors import WarehouseError
from seatlib.systems.lake import Lake, bronze_key, gold_key, silver_key
from seatlib.sim import postgres as pg
from seatlib.sim.server import SimLimits, ZohoSimulator
from seatlib.sim.world import World
from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config, stop_postgres, tree

DAY = date(2026, 11, 25)
PREV = DAY - timedelta(days=1)
SCHEMA = "seat_monitor"
RUN_TIMEOUT = 180

#: Distinctive values put into the environment of the reference run; none may leak.
ENV_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIASEATMONFAKE7KEY",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-Zq8vPl3xWm9Tn2Rk5Hs7Yb4C",
    "REDSHIFT_PASSWORD": "redshift-pw-Hx7Kq2Lm9Wp4Zv6N",
}
PARAMETERS = {"run_date", "config_path", "allow_replay", "allow_drop",
              "full_refresh"}


# -- helpers -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Run:
    """One pipeline process and where its output went."""

    proc: subprocess.Popen
    folder: Path
    started: float
    out_path: Path
    err_path: Path

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> list[psutil.Process]:
        """SIGKILL the runner's process group; returns the runner's children as they were."""
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        return children


def start_run(folder: Path, config: Path, argv: list[str], env: dict[str, str] | None = None,
              name: str = "run") -> Run:
    """Start ``python -m seatlib.run.runner ARGV --config CONFIG`` in a session of its own."""
    n = len(list(folder.glob(f"{name}-*.out")))
    out, err = folder / f"{name}-{n}.out", folder / f"{name}-{n}.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen([sys.executable, "-m", "seatlib.run.runner", *argv,
                                 "--config", str(config)],
                                cwd=cfg.REPO_ROOT, env={**os.environ, **(env or {})},
                                stdout=fo, stderr=fe, start_new_session=True)
    return Run(proc, folder, time.monotonic(), out, err)


def demo_run(folder: Path, config: Path, day: date = DAY, env: dict[str, str] | None = None) -> Run:
    return start_run(folder, config, ["--demo", "--date", day.isoformat()], env)


def wait_until(what: str, condition: Callable[[], object], run: Run | None = None,
               timeout: float = 90, interval: float = 0.005):
    """Poll ``condition`` until it is truthy; fail if ``run`` ended first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if run is not None and run.proc.poll() is not None:
            pytest.fail(f"the run ended (rc {run.proc.returncode}) before {what}:\n{run.stderr[-3000:]}")
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}")


def log_has(settings: cfg.Settings, day: date, text: str) -> Callable[[], bool]:
    path = Path(settings.runs_dir) / day.isoformat() / "latest" / "run.log"
    return lambda: path.exists() and text in path.read_text(errors="replace")


@contextlib.contextmanager
def demo_database(settings: cfg.Settings):
    """A psycopg connection (autocommit) to the demo's PostgreSQL, started if needed."""
    import psycopg

    server = pg.start_postgres(Path(settings.demo_dir) / "pg")
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        yield conn


def database_rows(settings: cfg.Settings) -> dict[str, list[tuple]]:
    """The warehouse tables and the company table, every row, in a stable order; then stops
    the server (as the runner does at the end of a run)."""
    out = {}
    with demo_database(settings) as conn:
        for table in (f"{SCHEMA}.seat_status_daily", f"{SCHEMA}.seat_capacity_daily", "app.clients"):
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
    stop_postgres(Path(settings.demo_dir) / "pg")
    return out


@contextlib.contextmanager
def table_locked(settings: cfg.Settings, table: str, mode: str):
    """Hold ``LOCK TABLE table IN mode MODE`` in an open transaction until the block ends."""
    with demo_database(settings) as conn:
        conn.execute("BEGIN")
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield conn
        finally:
            conn.execute("ROLLBACK")


def blocked_on_lock(conn, query_part: str) -> Callable[[], bool]:
    """True once another session of the pipeline waits for a lock in a query with ``query_part``."""
    def check() -> bool:
        conn.execute("SELECT pg_stat_clear_snapshot()")  # else fixed for the whole transaction
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'seat-monitor' "
            "AND wait_event_type = 'Lock' AND query ILIKE %s", (f"%{query_part}%",)).fetchone()
        return row[0] > 0
    return check


def assert_no_survivors(children: list[psutil.Process]) -> None:
    """The kernels (and anything else the runner started) died with it: at once, not at
    ipykernel's next once-a-second look at its parent."""
    def running(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE  # dead, and nobody reaped it yet
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 0.25
    while (alive := [p for p in children if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive, f"still running after the runner was killed: {[p.pid for p in alive]}"


# -- the reference run, with a second run started against it ---------------------------------------

@dataclasses.dataclass
class Reference:
    settings: cfg.Settings
    rc: int
    run: Run
    second_rc: int
    second_seconds: float
    first_was_running: bool  # when the second run had exited
    second: Run
    lake: dict[str, bytes]
    rows: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Iterator[Reference]:
    with outside_pytest_tmp() as home:
        yield _reference_run(tmp_path_factory.mktemp("safety_reference"), home)


def _reference_run(folder: Path, home: Path) -> Reference:
    config = safe_demo_config(folder, home)
    settings = cfg.load_settings(config, env={})
    first = demo_run(folder, config, env=ENV_SECRETS)
    try:
        # the first run holds the lock once it logs; start the second one then
        wait_until("the first run holds the lock", log_has(settings, DAY, "run for"), first)
        second = start_run(folder, config, ["--demo", "--date", DAY.isoformat()], ENV_SECRETS,
                           name="second")
        second_rc = second.wait(timeout=60)
        second_seconds = time.monotonic() - second.started
        first_was_running = first.proc.poll() is None
        rc = first.wait()
    finally:
        if first.proc.poll() is None:
            first.kill()
        stop_postgres(Path(settings.demo_dir) / "pg")
    assert rc == 0, first.stderr[-3000:]
    return Reference(settings, rc, first, second_rc, second_seconds, first_was_running, second,
                     tree(Path(settings.lake_url)), database_rows(settings))


@pytest.mark.slow
def test_the_reference_run_is_whole(reference):
    lake = reference.lake
    for day in (PREV, DAY):
        for source in SOURCES:
            assert bronze_key(source, day) in lake and silver_key(source, day) in lake
        assert gold_key("seat_status", day) in lake and gold_key("seat_capacity", day) in lake
    assert not [k for k in lake if k.rsplit("/", 1)[-1].startswith(".")]  # no temporary files
    days = {row[0] for row in reference.rows[f"{SCHEMA}.seat_capacity_daily"]}
    assert days == {PREV, DAY}


# -- one run at a time -----------------------------------------------------------------------------

@pytest.mark.slow
def test_a_second_run_exits_3_at_once_and_the_first_finishes(reference):
    assert reference.second_rc == runner.EXIT_LOCKED, reference.second.stderr
    assert reference.second_seconds < 10 and reference.first_was_running
    err = reference.second.stderr
    assert "another run is in progress" in err and "not starting a second run" in err
    assert f"pid {reference.run.proc.pid}" in err  # it names the run holding the lock
    assert reference.rc == runner.EXIT_OK
    assert "another run" not in (Path(reference.settings.runs_dir) / DAY.isoformat() / "latest" / "run.log").read_text()


# -- killed, then run again --------------------------------------------------------------------------

def _kill_in_history(settings: cfg.Settings, start: Callable[[], Run]) -> None:
    """The first run fills DAY-1 in-process; kill it between that day's gold and its load: the
    load waits, inside its transaction (its first statement locks both tables), for a lock the
    test holds on seat_capacity_daily (created beforehand as the run would create it)."""
    server = pg.start_postgres(Path(settings.demo_dir) / "pg")  # the run will reuse it
    with warehouse.connect(cfg.DatabaseSettings(dsn=server.dsn())) as wh:
        wh.ensure_schema(SCHEMA)
    with table_locked(settings, f"{SCHEMA}.seat_capacity_daily", "SHARE") as conn:
        run = start()
        wait_until("the history day's load to wait inside its transaction",
                   blocked_on_lock(conn, "LOCK TABLE seat_monitor.seat_status_daily"), run)
        assert Path(settings.lake_url, gold_key("seat_capacity", PREV)).exists()
        assert_no_survivors(run.kill())
    assert_not_loaded(settings, PREV)


def _kill_in_extract(settings: cfg.Settings, start: Callable[[], Run]) -> None:
    """Kill the extract while it waits for the company database: the Zoho sources are read,
    nothing of the day is written yet (every source is guarded before any file is replaced)."""
    run = start()
    wait_until("the extract stage", log_has(settings, DAY, f"stage extract for {DAY}"), run)
    with table_locked(settings, "app.clients", "ACCESS EXCLUSIVE") as conn:
        wait_until("the extract to wait for app.clients", blocked_on_lock(conn, "app.clients"), run)
        assert not any(Path(settings.lake_url, bronze_key(s, DAY)).exists() for s in SOURCES)
        assert_no_survivors(run.kill())


def _kill_in_silver(settings: cfg.Settings, start: Callable[[], Run]) -> None:
    """Kill as soon as the first silver partition of the day appears."""
    run = start()
    first = Path(settings.lake_url) / silver_key(SOURCES[0], DAY)
    wait_until("the day's first silver partition", first.exists, run, interval=0.002)
    assert_no_survivors(run.kill())


def _kill_in_load(settings: cfg.Settings, start: Callable[[], Run]) -> None:
    """Kill the load inside its transaction: it holds seat_status_daily's lock and waits for
    seat_capacity_daily's, which the test holds (the load locks both before it deletes the day,
    so a load from another host cannot interleave)."""
    run = start()
    wait_until("the load stage", log_has(settings, DAY, f"stage load for {DAY}"), run)
    with table_locked(settings, f"{SCHEMA}.seat_capacity_daily", "SHARE") as conn:
        wait_until("the load to wait inside its transaction",
                   blocked_on_lock(conn, "LOCK TABLE seat_monitor.seat_status_daily"), run)
        assert_no_survivors(run.kill())
    assert_not_loaded(settings, DAY)


def assert_not_loaded(settings: cfg.Settings, day: date) -> None:
    """The lock is released: had any part of the killed load survived, it would commit now."""
    time.sleep(0.3)
    rows = database_rows(settings)
    assert day not in {r[0] for r in rows[f"{SCHEMA}.seat_status_daily"]}, "half a day was loaded"
    assert day not in {r[0] for r in rows[f"{SCHEMA}.seat_capacity_daily"]}


KILL_POINTS = {"history": _kill_in_history, "extract": _kill_in_extract,
               "silver": _kill_in_silver, "load": _kill_in_load}


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_then_run_again_equals_a_clean_run(reference, tmp_path, pg_home, point):
    config = safe_demo_config(tmp_path, pg_home)
    settings = cfg.load_settings(config, env={})
    try:
        KILL_POINTS[point](settings, lambda: demo_run(tmp_path, config))

        # run again at once: the lock died with the runner; PostgreSQL may still be up
        again = demo_run(tmp_path, config)
        assert again.wait() == runner.EXIT_OK, again.stderr[-3000:]
        assert "another run is in progress" not in again.stderr
    finally:
        stop_postgres(Path(settings.demo_dir) / "pg")

    lake, clean = data_files(tree(Path(settings.lake_url))), data_files(reference.lake)
    assert sorted(lake) == sorted(clean)
    assert [k for k in lake if lake[k] != clean[k]] == []
    assert database_rows(settings) == reference.rows
    # the run history keeps the killed attempt beside the one that finished, in the lake too
    local, stored = (history.attempt_names(p.name for p in (root / DAY.isoformat()).iterdir())
                     for root in (Path(settings.runs_dir), Path(settings.lake_url) / "runs"))
    assert len(local) == 2 and stored == local
    assert "did not end cleanly" in (Path(settings.runs_dir) / DAY.isoformat() / "latest" /
                                     "run.log").read_text()


def data_files(lake: dict[str, bytes]) -> dict[str, bytes]:
    """The lake without its run history (runs/, runs_ledger/), which every run adds to."""
    return {k: v for k, v in lake.items() if not k.startswith(("runs/", "runs_ledger/"))}


def test_a_demo_server_that_will_not_stop_does_not_fail_the_run(tmp_path, pg_home, monkeypatch,
                                                                caplog):
    settings = cfg.load_settings(safe_demo_config(tmp_path, pg_home))
    real_stop = pg.LocalPostgres.stop

    def refuse(self):
        raise subprocess.CalledProcessError(1, ["pg_ctl", "stop"])

    seatlib_logger = logging.getLogger("seatlib")  # the runner may have stopped propagation
    seatlib_logger.addHandler(caplog.handler)
    environ = dict(os.environ)
    try:
        with demo.DemoEnvironment(settings) as env:
            assert "SEATLIB_DATABASE_URL" in env.kernel_env  # for the kernels only
            assert dict(os.environ) == environ  # this process's environment is never edited
            monkeypatch.setattr(pg.LocalPostgres, "stop", refuse)
    finally:
        seatlib_logger.removeHandler(caplog.handler)
    assert "could not stop the PostgreSQL" in caplog.text
    assert dict(os.environ) == environ
    real_stop(env.pg)


# -- a load that dies half-way -----------------------------------------------------------------------

@pytest.fixture
def loaded_day(reference, pg_dsn):
    """The reference's gold of DAY, loaded once into a fresh database; returns the frames."""
    lake = Lake(reference.settings.lake_url)
    status = gold.read_day(lake, "seat_status", DAY)
    capacity = gold.read_day(lake, "seat_capacity", DAY)
    with warehouse.connect(cfg.DatabaseSettings(dsn=pg_dsn)) as wh:
        wh.ensure_schema(SCHEMA)
        wh.load_day(SCHEMA, DAY, status, capacity)
    return status, capacity


def _day_rows(dsn: str) -> dict[str, list[tuple]]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {SCHEMA}.{t} WHERE snapshot_date = %s",
                                       (DAY,)).fetchall(), key=repr)
                for t in ("seat_status_daily", "seat_capacity_daily")}


@pytest.mark.slow
@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_load_failing_after_its_delete_leaves_the_day_as_it_was(loaded_day, pg_dsn,
                                                                  monkeypatch, failure):
    status, capacity = loaded_day
    before = _day_rows(pg_dsn)
    staged = []
    real_stage_rows = warehouse.Warehouse._stage_rows

    def stage_rows(self, cur, stage, contract, rows):
        staged.append(stage)
        if len(staged) == 2:  # the capacity table: seat_status_daily was already replaced
            raise failure
        real_stage_rows(self, cur, stage, contract, rows)

    monkeypatch.setattr(warehouse.Warehouse, "_stage_rows", stage_rows)
    half = status.iloc[: len(status) // 2]  # a visibly different day, had it been committed
    with warehouse.connect(cfg.DatabaseSettings(dsn=pg_dsn)) as wh:
        expected = WarehouseError if isinstance(failure, Exception) else KeyboardInterrupt
        with pytest.raises(expected):
            wh.load_day(SCHEMA, DAY, half, capacity)
    assert len(staged) == 2
    assert _day_rows(pg_dsn) == before


_LOAD_AND_HANG = """
import sys, time
from datetime import date
from seatlib.core import config
from seatlib.stages import gold
from seatlib.systems import warehouse
from seatlib.systems.lake import Lake

lake, day = Lake(sys.argv[1]), date.fromisoformat(sys.argv[2])
status = gold.read_day(lake, "seat_status", day)
capacity = gold.read_day(lake, "seat_capacity", day)
real = warehouse.Warehouse._stage_rows
calls = []

def stage_rows(self, cur, stage, contract, rows):
    calls.append(stage)
    if len(calls) == 2:  # seat_status_daily is deleted and re-inserted: wait to be killed
        print("DELETED", flush=True)
        time.sleep(600)
    real(self, cur, stage, contract, rows)

warehouse.Warehouse._stage_rows = stage_rows
with warehouse.connect(config.DatabaseSettings(dsn=sys.argv[3])) as wh:
    wh.load_day("seat_monitor", day, status.iloc[: len(status) // 2], capacity)
"""


@pytest.mark.slow
def test_a_load_killed_after_its_delete_leaves_the_day_as_it_was(reference, loaded_day, pg_dsn,
                                                                 tmp_path):
    before = _day_rows(pg_dsn)
    proc = subprocess.Popen([sys.executable, "-c", _LOAD_AND_HANG, reference.settings.lake_url,
                             DAY.isoformat(), pg_dsn], cwd=cfg.REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "DELETED", proc.stderr.read()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    time.sleep(0.2)  # the server notices the dead client and rolls back
    assert _day_rows(pg_dsn) == before


# -- the lake's own writes -----------------------------------------------------------------------------

def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path))
    lake.write_bytes("gold/x.csv", b"old")

    def boom(*args):
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(Exception, match="could not write .*no space left"):
        lake.write_bytes("gold/x.csv", b"new")
    monkeypatch.undo()
    assert tree(tmp_path) == {"gold/x.csv": b"old"}


def test_the_next_write_removes_what_a_killed_write_left(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_bytes("gold/x.csv", b"old")
    (tmp_path / "gold" / ".x.csv.k1ll3d.tmp").write_bytes(b"half")  # a write killed half-way
    (tmp_path / "gold" / ".y.csv.other.tmp").write_bytes(b"half")  # another key's: not ours
    assert lake.list("gold/") == ["gold/x.csv"]
    lake.write_bytes("gold/x.csv", b"new")
    assert tree(tmp_path) == {"gold/x.csv": b"new", "gold/.y.csv.other.tmp": b"half"}
    assert (tmp_path / "gold" / "x.csv").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# -- secrets -------------------------------------------------------------------------------------------

def leaks(secrets: dict[str, str], *places: dict[str, bytes]) -> list[str]:
    """``name in place`` for every secret value found in one of the files or texts."""
    found = []
    for files in places:
        for where, data in files.items():
            for name, value in secrets.items():
                if value.encode() in data:
                    found.append(f"{name} in {where}")
    return found


def assert_parameters_clean(runs_day: Path, secrets: dict[str, str]) -> None:
    notebooks = sorted(runs_day.glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text())
        params = nb["metadata"]["papermill"]["parameters"]
        assert set(params) == PARAMETERS, path.name
        injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
        text = json.dumps(params) + "".join("".join(c["source"]) for c in injected)
        assert not [n for n, v in secrets.items() if v in text], path.name


@pytest.mark.slow
def test_the_demo_run_leaves_no_secret_anywhere(reference):
    world = World(reference.settings.demo_seed)
    secrets = {"ZOHO_CLIENT_ID": world.demo_client_id,
               "ZOHO_CLIENT_SECRET": world.demo_client_secret,
               "ZOHO_REFRESH_TOKEN": world.demo_refresh_token, **ENV_SECRETS}
    runs = Path(reference.settings.runs_dir)
    outputs = {"stdout": reference.run.stdout.encode(), "stderr": reference.run.stderr.encode(),
               "second run's stderr": reference.second.stderr.encode()}
    assert (runs / DAY.isoformat() / "latest" / "run.log").exists()
    assert (runs / DAY.isoformat() / "latest" / "report.html").exists()
    assert leaks(secrets, {f"runs/{k}": v for k, v in tree(runs).items()},
                 {f"lake/{k}": v for k, v in reference.lake.items()}, outputs) == []
    assert_parameters_clean(runs / DAY.isoformat() / "latest", secrets)


@pytest.mark.slow
def test_a_production_run_leaves_no_secret_anywhere_even_when_it_fails(tmp_path, pg_home):
    """Without --demo: the test's own Zoho simulator and PostgreSQL, every secret chosen here,
    the database password inside SEATLIB_DATABASE_URL. First with a wrong client secret (the
    extract fails: a traceback in the notebook, an error in the log), then as it should be."""
    today = datetime.now(timezone.utc).date()
    world = World(7)
    secrets = {"ZOHO_CLIENT_ID": "1000.PRODLIKE3H7K2Q9ZW4XN8VB5RT",
               "ZOHO_CLIENT_SECRET": "zoho-client-secret-Kd93Lq7Vx2Pn5Wt8",
               "ZOHO_REFRESH_TOKEN": "1000.refresh.Jx4Mz8Qw2Lk6Nv9Tp3Rb7Hc5",
               "wrong ZOHO_CLIENT_SECRET": "zoho-wrong-secret-Ym5Tq8Wz3Kp6",
               "database password": "db-password-Vq7Xn4Lk9Pz2Wm8", **ENV_SECRETS}
    config = safe_demo_config(tmp_path, pg_home)
    settings = cfg.load_settings(config, env={})
    server = pg.start_postgres(pg_home / "pg")
    sim = ZohoSimulator(world.zoho_state(today), client_id=secrets["ZOHO_CLIENT_ID"],
                        client_secret=secrets["ZOHO_CLIENT_SECRET"],
                        refresh_token=secrets["ZOHO_REFRESH_TOKEN"],
                        limits=SimLimits(enabled=False)).start()
    try:
        demo.seed_company(server.dsn(), world.company_rows(today))
        dsn = server.dsn().replace("postgresql://postgres@",
                                   f"postgresql://postgres:{secrets['database password']}@")
        env = {"ZOHO_API_URL": sim.url, "ZOHO_ACCOUNTS_URL": sim.url, "ZOHO_ORG_ID": world.org_id,
               "ZOHO_CLIENT_ID": secrets["ZOHO_CLIENT_ID"],
               "ZOHO_CLIENT_SECRET": secrets["wrong ZOHO_CLIENT_SECRET"],
               "ZOHO_REFRESH_TOKEN": secrets["ZOHO_REFRESH_TOKEN"],
               "SEATLIB_DATABASE_URL": dsn, **ENV_SECRETS}
        argv = ["--date", today.isoformat()]
        failed = start_run(tmp_path, config, argv, env)
        assert failed.wait() == runner.EXIT_STAGE_FAILED
        log_text = (Path(settings.runs_dir) / today.isoformat() / "latest" / "run.log").read_text()
        assert "invalid_client" in log_text  # the failure is explained, without the secret

        good = start_run(tmp_path, config, argv,
                         {**env, "ZOHO_CLIENT_SECRET": secrets["ZOHO_CLIENT_SECRET"]})
        assert good.wait() == runner.EXIT_OK, good.stderr[-3000:]
    finally:
        sim.stop()
        server.stop()

    runs = Path(settings.runs_dir)
    outputs = {f"{name} {stream}": text.encode() for name, run in (("failed", failed), ("good", good))
               for stream, text in (("stdout", run.stdout), ("stderr", run.stderr))}
    assert leaks(secrets, {f"runs/{k}": v for k, v in tree(runs).items()},
                 {f"lake/{k}": v for k, v in tree(Path(settings.lake_url)).items()},
                 outputs) == []
    assert_parameters_clean(runs / today.isoformat() / "latest", secrets)
