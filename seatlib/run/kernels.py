"""The kernels the runner starts for its notebooks: private sockets, tied to the runner's life,
and warm.

Every stage notebook runs in a kernel of its own, a separate process, so nothing of one stage
leaks into the next. Starting a Python kernel costs about 0.7 s, and each stage notebook then
imports pandas, pyarrow, plotly and seatlib for about as long again: the same 1.3 s five times
a day, whatever the size of the data. With warm kernels (``[runs] warm_kernels``, on by
default) the runner pays that once: at its start it launches a **kernel fork server**
(``python -m seatlib.run.kernels``), a small process that imports ipykernel and the pipeline's
modules (:data:`PRELOAD`) and then waits. For each notebook, jupyter_client prepares the kernel's
connection file as usual and, instead of executing ``python -m ipykernel_launcher -f FILE``, this
module asks the fork server, which forks a child that becomes exactly that kernel: same argv,
environment and working directory, its own session. The child starts with the imports done
(copy-on-write pages of the server), and is still a fresh process per notebook.

What the fork server must not do before forking: open sockets, start Python threads or event
loops, or connect to anything. Two libraries start native threads at import, OpenBLAS (numpy)
and jemalloc's background thread (pyarrow); both have at-fork handlers for that. Should a warm
kernel ever hang as it starts, ``[runs] warm_kernels = false`` starts them cold. It only imports
modules (and builds one throw-away plotly figure, whose
validators plotly imports on first use), and only modules that keep no state of the
environment at import (seatlib reads its settings and secrets when a notebook asks; ipykernel's
one such value, its parent's pid, is passed again on its command line). plotly's renderer is
chosen when ``plotly.io`` is first imported, from the IPython shell it finds, so it is not
preloaded. Python re-seeds :mod:`random` in a forked child and numpy's global generator is
re-seeded here; seatlib's other randomness comes from ``os.urandom``. String hashes share the
server's seed (``PYTHONHASHSEED``), which changes no result. A kernel leaves the way a cold one
does: non-daemon threads joined, ``atexit`` functions run, streams flushed.

Lifetimes: the fork server asks Linux for SIGKILL when the runner dies, and each kernel for
SIGKILL when the fork server dies (``PR_SET_PDEATHSIG``), so a killed runner leaves no kernel
behind, warm or not. The server reaps its children and reports their exit status; when the
runner closes it (or dies), it kills what is left. Outside Linux, or when the server cannot
start, kernels start the usual way (a warning says why).

The protocol is one JSON object a line over a socket pair: ``{"op": "spawn", "argv", "env",
"cwd"}`` answers ``{"pid": N}``; ``{"op": "poll", "pid"}`` answers ``{"code": int | null}``.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Mapping

from ..history.lock import pid_alive

log = logging.getLogger("seatlib.run.runner")

#: Each kernel's IPC sockets live in ``<tmp>/seatlib-kernel-<runner pid>-<random>/``.
KERNEL_DIR_PREFIX = "seatlib-kernel-"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: What the fork server imports once: the kernel itself and what the stage notebooks import.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "pandas", "pyarrow", "pyarrow.parquet",
           "pyarrow.dataset", "plotly.graph_objects", "psycopg", "redshift_connector",
           "seatlib.core.log", "seatlib.core.config", "seatlib.core.privacy", "seatlib.systems",
           "seatlib.systems.company", "seatlib.systems.warehouse", "seatlib.stages.extract",
           "seatlib.stages.silver", "seatlib.stages.gold", "seatlib.stages.load",
           "seatlib.stages.report", "seatlib.stages.report.page")
#: How long the runner waits for the fork server to have imported everything.
READY_TIMEOUT_S = 120.0
_KERNEL_CMD = ("-m", "ipykernel_launcher")


# -- the runner's side ----------------------------------------------------------------------------

def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes a child die with this process (Linux), else None.

    jupyter_client starts each kernel in a session of its own, so a runner killed with its
    process group (cron's timeout, an OOM kill, ``kill -9``) would leave the kernel running:
    ipykernel notices its parent is gone only at its next once-a-second poll, and meanwhile the
    kernel may still write the lake or commit a load while the next run starts. Asking for
    SIGKILL on the parent's death (``PR_SET_PDEATHSIG``) keeps "one run at a time" true for the
    kernels too. ``prctl`` is looked up here, before the fork, so the child only makes one C
    call. (The signal follows the *thread* that started the child; papermill starts kernels
    from the calling thread, which outlives them.)
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return preexec


@functools.cache
def _prctl():
    """libc's ``prctl`` (Linux), looked up once; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


class ForkServer:
    """The runner's handle on one fork server (started at once, ready when first used)."""

    def __init__(self, env: Mapping[str, str], preload: tuple[str, ...] = PRELOAD):
        self._lock = threading.Lock()
        ours, theirs = socket.socketpair()
        self._sock = ours
        self._reader = ours.makefile("rb")
        # the server's environment is the kernels': C libraries read some of it at import
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seatlib.run.kernels", str(theirs.fileno()), *preload],
            pass_fds=(theirs.fileno(),), env=dict(env), stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent(), close_fds=True,
            start_new_session=True)  # a Ctrl-C of the runner's group is the runner's to handle
        theirs.close()
        self._ready = False
        self.broken = False  # it failed once: this process starts its kernels cold from now on

    def _wait_ready(self) -> None:
        if self._ready:
            return
        self._sock.settimeout(READY_TIMEOUT_S)
        try:
            line = self._reader.readline()
        except OSError as exc:
            line, self.broken = b"", True
            raise OSError(f"the kernel fork server did not start ({exc})") from exc
        finally:
            self._sock.settimeout(None)
        answer = json.loads(line) if line else {}
        if answer.get("ready") is not True:
            self.broken = True
            raise OSError(f"the kernel fork server did not start "
                          f"({answer.get('error') or 'no answer'})")
        self._ready = True

    def _ask(self, request: dict) -> dict:
        with self._lock:
            self._wait_ready()
            self._sock.sendall(json.dumps(request).encode() + b"\n")
            line = self._reader.readline()
        if not line:
            raise OSError("the kernel fork server is gone")
        answer = json.loads(line)
        if "error" in answer:
            raise OSError(f"the kernel fork server refused: {answer['error']}")
        return answer

    def spawn(self, argv: list[str], env: Mapping[str, str], cwd: str) -> "ForkedKernel":
        """A kernel process for ``python -m ipykernel_launcher <argv>``, started in ``cwd``."""
        answer = self._ask({"op": "spawn", "argv": list(argv), "env": dict(env), "cwd": cwd})
        return ForkedKernel(int(answer["pid"]), self)

    def poll(self, pid: int) -> int | None:
        return self._ask({"op": "poll", "pid": pid})["code"]

    def close(self) -> None:
        """Stop the server; it kills the kernels still running."""
        try:
            self._sock.close()
            self._reader.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ForkedKernel:
    """What jupyter_client's local provisioner needs of a kernel process (``Popen``'s poll,
    wait, send_signal, terminate, kill), for a child of the fork server."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, server: ForkServer):
        self.pid = pid
        self.returncode: int | None = None
        self._server = server

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self._server.poll(self.pid)
            except OSError:  # the server died, and its children with it (PR_SET_PDEATHSIG)
                self.returncode = _orphan_status(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _orphan_status(pid: int) -> int | None:
    """A kernel whose server is gone: reaped here if it was handed to this process (a runner
    that is PID 1 or a subreaper), else judged by whether its pid still exists."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
    except ChildProcessError:
        pass
    return None if pid_alive(pid) else -signal.SIGKILL


_servers: dict[tuple, ForkServer] = {}
_servers_lock = threading.Lock()


def fork_server(extra_env: Mapping[str, str] | None = None) -> ForkServer | None:
    """The fork server for kernels with this environment (``os.environ`` and ``extra_env``),
    started on first use; None outside Linux or when it cannot start."""
    if _prctl() is None:
        return None
    env = {**os.environ, **(extra_env or {})}
    key = tuple(sorted(env.items()))
    with _servers_lock:
        server = _servers.get(key)
        if server is not None and server.broken:
            return None
        if server is None or server.proc.poll() is not None:
            if server is not None:
                server.close()
            try:
                server = _servers[key] = ForkServer(env, PRELOAD)
            except OSError as exc:
                log.warning("warm kernels off: the kernel fork server did not start (%s)", exc)
                return None
    return server


@atexit.register
def close_fork_servers() -> None:
    """Stop every fork server of this process (also run at exit)."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.close()


def ipc_kernel_manager(env: Mapping[str, str] | None = None, *, warm: bool = False):
    """A kernel manager class for papermill's ``kernel_manager_class``.

    * It talks to the kernel over Unix sockets instead of TCP on loopback: nothing listens on a
      port, and ipykernel's "running over TCP without encryption" warning goes away. The sockets
      live in a private temporary folder per kernel, removed at shutdown. (jupyter_client's
      default for IPC is ``kernel-ipc-<n>`` in the current directory, shared by every kernel
      started from it: two runs at once can pick the same names and cross their messages;
      killed kernels also leave their sockets in the repository.)
    * On Linux the kernel dies with this process (:func:`die_with_parent`).
    * ``env`` is added to the environment the kernel inherits (the demo's stand-ins'
      addresses); this process's own environment is left as it is.
    * ``warm``: the kernel is forked by the :class:`ForkServer` for that environment, with the
      imports done; when the server cannot be had, the kernel starts the usual way.
    """
    from jupyter_client.manager import AsyncKernelManager

    remove_stale_kernel_dirs()
    server = fork_server(env) if warm else None

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.transport = "ipc"
            self._ipc_dir = tempfile.mkdtemp(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-")
            self.ip = os.path.join(self._ipc_dir, "ipc")  # sockets ipc-1, ipc-2, ... in it

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if env:
                kw["env"] = {**kw.get("env", os.environ), **env}
            if server is not None and _is_python_kernel(kernel_cmd):
                try:
                    return self._launch_forked(server, kernel_cmd, kw)
                except OSError as exc:
                    log.warning("warm kernel refused (%s); starting it the usual way", exc)
            preexec = die_with_parent()
            if preexec is not None:
                kw.setdefault("preexec_fn", preexec)
            await super()._async_launch_kernel(kernel_cmd, **kw)

        def _launch_forked(self, server: ForkServer, kernel_cmd, kw: dict) -> None:
            provisioner = self.provisioner
            cwd = str(kw.get("cwd") or os.getcwd())
            process = server.spawn(kernel_cmd[3:], kw.get("env") or os.environ, cwd)
            provisioner.process = process
            provisioner.pid = provisioner.pgid = process.pid  # the child leads its own session
            provisioner.cwd = cwd
            self._reconcile_connection_info(provisioner.connection_info)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)

    return IPCKernelManager


def _is_python_kernel(kernel_cmd) -> bool:
    """Whether the kernel to start is ipykernel on this very interpreter (what the server is)."""
    return (len(kernel_cmd) >= 3 and tuple(kernel_cmd[1:3]) == _KERNEL_CMD
            and os.path.realpath(kernel_cmd[0]) == os.path.realpath(sys.executable))


def remove_stale_kernel_dirs() -> None:
    """Remove the socket folders of kernels whose runner is gone (a killed run leaves its own).

    A folder is named ``seatlib-kernel-<runner pid>-<random>``; it is kept while a process with
    that pid exists, which errs on the side of keeping.
    """
    for folder in Path(tempfile.gettempdir()).glob(f"{KERNEL_DIR_PREFIX}*-*"):
        pid = folder.name[len(KERNEL_DIR_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or pid_alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


# -- the fork server's side -------------------------------------------------------------------

def serve(fd: int, preload: list[str]) -> int:
    """The fork server's main loop: import ``preload``, say ready, then fork kernels and report
    their exit status until the runner closes the socket."""
    # as ipykernel_launcher does: the start folder (cron's $HOME) must not shadow a module; the
    # kernel's shell puts its own folder back when it starts
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides; kernels get it back
    sock = socket.socket(fileno=fd)
    reader, children = sock.makefile("rb"), {}
    try:
        for name in preload:
            importlib.import_module(name)
        if "plotly.graph_objects" in preload:
            _warm_plotly()
    except Exception as exc:  # noqa: BLE001 - reported to the runner, which starts kernels cold
        sock.sendall(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
                     .encode() + b"\n")
        return 1
    try:
        sock.sendall(b'{"ready": true}\n')
    except BrokenPipeError:  # the runner went away while this server was importing
        return 0
    try:
        for line in reader:
            sock.sendall(json.dumps(_answer(json.loads(line), sock, children)).encode() + b"\n")
    finally:
        for pid in [p for p, code in children.items() if code is None]:
            _kill_group(pid)
        for pid in list(children):
            _reap(pid, children, block=True)
    return 0


def _warm_plotly() -> None:
    """Build and serialise one small figure of the trace types seatlib draws: plotly imports the
    validators of a property only when it is first set (~0.1 s in every report kernel)."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines+markers", name="warm-up"))
    fig.add_trace(go.Bar(x=[0], y=[1], marker={"color": "#000"}, text=["0"], hovertemplate="%{y}"))
    fig.update_layout(title={"text": "warm-up"}, xaxis={"title": {"text": "x"}},
                      yaxis={"title": {"text": "y"}}, legend={"orientation": "h"},
                      margin={"t": 10}, barmode="stack",
                      shapes=[{"type": "line", "x0": 0, "x1": 1, "y0": 1, "y1": 1}],
                      annotations=[{"text": "a", "x": 0, "y": 1}])
    fig.to_json()


def _answer(request: dict, sock: socket.socket, children: dict[int, int | None]) -> dict:
    if request.get("op") == "spawn":
        tie = die_with_parent()  # built before the fork: the child only calls it
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, sock, tie)  # never returns
        children[pid] = None
        return {"pid": pid}
    if request.get("op") == "poll":
        pid = int(request["pid"])
        if pid not in children:
            return {"error": f"no kernel {pid} of this server"}
        return {"code": _reap(pid, children)}
    return {"error": f"unknown request {request.get('op')!r}"}


def _reap(pid: int, children: dict[int, int | None], block: bool = False) -> int | None:
    if children.get(pid) is None:
        try:
            done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:  # not (or no longer) a child to wait for: the status is lost
            done, status = pid, 255 << 8
        if done == pid:
            children[pid] = os.waitstatus_to_exitcode(status)
    return children[pid]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _become_kernel(request: dict, sock: socket.socket, tie: Callable[[], None] | None
                   ) -> None:
    """In the forked child: become ``python -m ipykernel_launcher <argv>`` and exit. ``tie``
    (:func:`die_with_parent`) makes it die with the server."""
    code = 1
    try:
        os.close(sock.detach())  # the server's socket; no object is left to close its number
        os.setsid()  # a session of its own, as jupyter_client gives a kernel
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the server ignores it
        if tie is not None:
            tie()
        parent = os.getppid()  # the server (tie has made sure it is still there)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(parent)  # what jupyter_client's launcher sets
        time.tzset()
        _reseed()
        # ipykernel read JPY_PARENT_PID when the server imported it: say it again, so the
        # kernel watches its parent and prints no "ipython kernel" banner
        sys.argv = ["ipykernel_launcher", *request["argv"], f"--IPKernelApp.parent_handle={parent}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the kernel's last words go to stderr
        import traceback

        traceback.print_exc()
    finally:
        try:
            _shut_down()
        finally:
            os._exit(code)


def _reseed() -> None:
    """Python re-seeds :mod:`random` in a forked child by itself; numpy's global generator is
    re-seeded here, so two warm kernels do not draw the same numbers."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


def _shut_down() -> None:
    """What the interpreter does at a normal exit, which a forked child leaving by ``os._exit``
    would skip: wait for non-daemon threads, run the ``atexit`` functions, flush. (The child
    must not return into the server's loop, whose ``finally`` kills the server's kernels.)"""
    try:
        wait_threads = getattr(threading, "_shutdown", None)
        if wait_threads is not None:
            wait_threads()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), sys.argv[2:]))
