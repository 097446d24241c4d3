"""PostgreSQL fixtures: one real server per test session, a fresh database per test module, and
pgbouncer in front of it for redshift_connector.

* ``pg_server``: a :class:`seatlib.sim.postgres.LocalPostgres` in a temporary directory, listening
  on its Unix socket and on ``127.0.0.1:<free port>``; stopped at the end of the session.
* ``pg_dsn``: ``postgresql://`` DSN of a database made for the requesting test module.
* ``pgbouncer_port``: pgbouncer on a free port in front of the server's TCP port, dropping the
  startup parameters PostgreSQL rejects from redshift_connector (stack-notes §5). Skips the test
  when pgbouncer is not installed (``apt-get install pgbouncer``; ``.ci/run`` installs it).
* ``redshift_dsn``: ``redshift://postgres@127.0.0.1:<pgbouncer>/<module db>?ssl=false``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from seatlib.sim.postgres import LocalPostgres, start_postgres

#: Startup parameters redshift_connector sends that PostgreSQL does not know.
REDSHIFT_STARTUP_PARAMETERS = ("client_protocol_version,driver_version,os_version,"
                               "driver_discovery_version,extra_float_digits")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on {port} within {timeout} s:\n"
                       f"{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """A real PostgreSQL 18 for the whole session (about 1 s to start)."""
    server = start_postgres(tmp_path_factory.mktemp("pg") / "data", tcp_port=free_port())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pg_database(pg_server: LocalPostgres, request: pytest.FixtureRequest) -> str:
    """Name of a fresh database for the requesting test module."""
    module = re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1])[:40]
    name = f"t_{module}_{uuid.uuid4().hex[:6]}".lower()
    pg_server.create_database(name)
    return name


@pytest.fixture(scope="module")
def pg_dsn(pg_server: LocalPostgres, pg_database: str) -> str:
    """``postgresql://`` DSN (Unix socket) of the module's fresh database."""
    return pg_server.dsn(pg_database)


@pytest.fixture(scope="session")
def pgbouncer_port(pg_server: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """pgbouncer in front of ``pg_server`` (trust auth, session pooling); skips when not installed."""
    exe = shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(p, os.X_OK)), None)
    if exe is None:
        pytest.skip("pgbouncer not installed: apt-get install pgbouncer (the CI installs it)")
    assert pg_server.tcp_port is not None
    port = free_port()
    workdir = tmp_path_factory.mktemp("pgbouncer")
    (workdir / "userlist.txt").write_text('"postgres" ""\n')
    ini = workdir / "pgbouncer.ini"
    log = workdir / "pgbouncer.log"  # its stdout and stderr
    ini.write_text(f"""[databases]
* = host=127.0.0.1 port={pg_server.tcp_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "userlist.txt"}
pool_mode = session
ignore_startup_parameters = {REDSHIFT_STARTUP_PARAMETERS}
pidfile = {workdir / "pgbouncer.pid"}
""")
    user = None
    if os.geteuid() == 0:  # pgbouncer refuses to run as root: use the server's system user
        import pwd

        user = pg_server.system_user
        entry = pwd.getpwnam(user)
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    with open(log, "wb") as out:
        proc = subprocess.Popen([exe, str(ini)], user=user, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, log)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def redshift_dsn(pgbouncer_port: int, pg_database: str) -> str:
    """``redshift://`` DSN reaching the module's database through pgbouncer, without SSL."""
    return f"redshift://postgres@127.0.0.1:{pgbouncer_port}/{pg_database}?ssl=false"
