"""The kernels the runner starts (seatlib.run.kernels): private sockets, tied to the runner's life,
and warm ones forked from a server that has done the imports, which must behave like cold ones."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm
import psutil
import pytest

from seatlib.core import config as cfg
from seatlib.run import kernels
from tests.fixtures.notebooks import write_notebook

pytestmark = pytest.mark.slow  # real kernels

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG and the fork server are Linux only")

PROBE = (
    "import ctypes, json, os, random, sys\n"
    "signal_number = ctypes.c_int()\n"
    "ctypes.CDLL(None).prctl(2, ctypes.byref(signal_number))  # PR_GET_PDEATHSIG\n"
    "import plotly.io as pio\n"
    "print(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'sid': os.getsid(0),\n"
    "                  'pdeathsig': signal_number.value, 'probe': os.environ.get('SEATLIB_PROBE'),\n"
    "                  'cwd': os.getcwd(), 'random': random.random(), 'exe': sys.executable,\n"
    "                  'renderer': pio.renderers.default, 'pandas': 'pandas' in sys.modules,\n"
    "                  'parent_pid_env': os.environ.get('JPY_PARENT_PID'),\n"
    "                  'numpy': __import__('numpy').random.random(), 'path0': sys.path[0]}))"
)


def execute(source: Path, out: Path, *, warm: bool, env: dict | None = None) -> list[dict]:
    pm.execute_notebook(str(source), str(out), kernel_name="python3", progress_bar=False,
                        cwd=str(cfg.REPO_ROOT),
                        kernel_manager_class=kernels.ipc_kernel_manager(env, warm=warm))
    return [json.loads(o["text"]) for c in nbformat.read(out, as_version=4).cells
            for o in c.outputs if o.get("name") == "stdout"]


@pytest.fixture
def fresh_servers():
    kernels.close_fork_servers()
    yield
    kernels.close_fork_servers()


@linux_only
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_kernel_started_by_the_runner_is_killed_with_it(tmp_path, warm, fresh_servers):
    """The kernel asks Linux for SIGKILL when its parent dies (PR_SET_PDEATHSIG): the runner for
    a cold kernel, the fork server (itself tied to the runner) for a warm one."""
    [seen] = execute(write_notebook(tmp_path, PROBE), tmp_path / "out.ipynb", warm=warm)
    assert seen["pdeathsig"] == int(signal.SIGKILL)
    server = kernels.fork_server() if warm else None
    assert seen["ppid"] == (server.proc.pid if warm else os.getpid())


@linux_only
def test_a_warm_kernel_is_a_fresh_process_like_a_cold_one(tmp_path, fresh_servers):
    source = write_notebook(tmp_path, PROBE)
    env = {"SEATLIB_PROBE": "kernel only"}
    cold = execute(source, tmp_path / "cold.ipynb", warm=False, env=env)[0]
    warm = [execute(source, tmp_path / f"warm{i}.ipynb", warm=True, env=env)[0] for i in range(2)]
    server = kernels.fork_server(env)
    assert server is not None and all(w["ppid"] == server.proc.pid for w in warm)
    for seen in warm:
        # the same environment, folder, interpreter and plotly renderer as a cold kernel
        for key in ("probe", "cwd", "exe", "renderer", "pdeathsig"):
            assert seen[key] == cold[key], key
        assert seen["sid"] == seen["pid"]  # a session of its own, as jupyter_client gives
        assert seen["pandas"] is True  # imported by the server, before the fork
        assert seen["parent_pid_env"] == str(server.proc.pid)
        assert seen["path0"] == cold["path0"]  # not the folder the runner was started in
    assert cold["pandas"] is False
    assert warm[0]["pid"] != warm[1]["pid"] and warm[0]["random"] != warm[1]["random"]
    assert warm[0]["numpy"] != warm[1]["numpy"]  # numpy's global generator re-seeded too
    assert "SEATLIB_PROBE" not in os.environ  # the runner's own environment is untouched


@linux_only
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_kernel_leaves_like_an_interpreter_does(tmp_path, warm, fresh_servers):
    """At shutdown the kernel joins its threads, runs its atexit functions and flushes its
    files, warm or cold."""
    marks = tmp_path / "marks"
    cell = ("import atexit, threading, time\n"
            f"atexit.register(lambda: open({str(marks / 'atexit')!r}, 'w').close())\n"
            f"def late():\n    time.sleep(0.5)\n    open({str(marks / 'thread')!r}, 'w').close()\n"
            "threading.Thread(target=late).start()\n"
            f"unclosed = open({str(marks / 'buffered')!r}, 'w')\nunclosed.write('data')\n")
    marks.mkdir()
    pm.execute_notebook(str(write_notebook(tmp_path, cell)), str(tmp_path / "out.ipynb"),
                        kernel_name="python3", progress_bar=False,
                        kernel_manager_class=kernels.ipc_kernel_manager(warm=warm))
    assert (marks / "atexit").exists() and (marks / "thread").exists()
    assert (marks / "buffered").read_text() == "data"


@linux_only
def test_the_fork_server_reports_a_kernels_exit_status(fresh_servers):
    server = kernels.ForkServer(dict(os.environ), preload=("ipykernel.kernelapp",))
    try:
        ok = server.spawn(["--version"], dict(os.environ), str(cfg.REPO_ROOT))
        bad = server.spawn(["--no-such-option=1", "-f", "/nonexistent/dir/k.json"],
                           dict(os.environ), str(cfg.REPO_ROOT))
        assert ok.wait(timeout=30) == 0
        assert bad.wait(timeout=30) != 0
        assert ok.poll() == 0  # remembered once reaped
    finally:
        server.close()


@linux_only
def test_a_fork_server_that_cannot_import_falls_back_to_cold_kernels(tmp_path, fresh_servers,
                                                                      monkeypatch, caplog):
    monkeypatch.setattr(kernels, "PRELOAD", ("seatlib.no_such_module",))
    for attempt in range(2):
        [seen] = execute(write_notebook(tmp_path, PROBE), tmp_path / f"out{attempt}.ipynb", warm=True)
        assert seen["ppid"] == os.getpid()  # started the usual way, by this process
    assert "warm kernel refused" in caplog.text and "no_such_module" in caplog.text
    assert caplog.text.count("did not start") == 1  # tried once, not for every notebook


@linux_only
def test_closing_the_fork_server_kills_its_kernels(fresh_servers):
    server = kernels.ForkServer(dict(os.environ), preload=())
    folder = Path(tempfile.mkdtemp())
    try:
        # a kernel that never gets a client: its connection file names sockets in folder
        kernel = server.spawn(["-f", str(folder / "k.json"), "--transport=ipc",
                               f"--ip={folder / 'ipc'}"], dict(os.environ), str(cfg.REPO_ROOT))
        deadline = time.monotonic() + 30
        while not (folder / "k.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kernel.poll() is None
        server.close()
        deadline = time.monotonic() + 10
        while psutil.pid_exists(kernel.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not psutil.pid_exists(kernel.pid) or \
            psutil.Process(kernel.pid).status() == psutil.STATUS_ZOMBIE
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


@linux_only
def test_a_killed_runner_leaves_no_warm_kernel(tmp_path):
    """SIGKILL the process that owns the fork server while its kernel runs a cell: the server
    dies with it, and the kernel with the server."""
    source = write_notebook(tmp_path, "import os, time\n"
                                f"open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
                                "time.sleep(120)")
    script = (f"import sys; sys.path.insert(0, {str(cfg.REPO_ROOT)!r})\n"
              "import papermill as pm\nfrom seatlib.run import kernels\n"
              f"pm.execute_notebook({str(source)!r}, {str(tmp_path / 'out.ipynb')!r}, "
              "kernel_name='python3', progress_bar=False, "
              "kernel_manager_class=kernels.ipc_kernel_manager(warm=True))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        kernel_pid = int((tmp_path / "pid").read_text())
        server = psutil.Process(kernel_pid).parent()
        assert server.cmdline()[1:3] == ["-m", "seatlib.run.kernels"]
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while psutil.pid_exists(kernel_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not psutil.pid_exists(kernel_pid), "the warm kernel outlived its runner"
        assert not psutil.pid_exists(server.pid)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_kernels_never_share_their_sockets():
    """Each kernel's IPC sockets live in a private folder: two runs at once (or a run beside a
    test suite in the same repository) cannot cross their kernels' messages."""
    make = kernels.ipc_kernel_manager()
    managers = [make(kernel_name="python3") for _ in range(2)]
    try:
        folders = [Path(km.ip).parent for km in managers]
        assert folders[0] != folders[1]
        for km, folder in zip(managers, folders):
            assert km.transport == "ipc" and Path(km.ip).is_absolute() and folder.is_dir()
            assert not folder.is_relative_to(Path.cwd()) and not folder.is_relative_to(cfg.REPO_ROOT)
    finally:
        for km in managers:
            shutil.rmtree(Path(km.ip).parent, ignore_errors=True)


def test_the_socket_folders_of_killed_kernels_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f"seatlib-kernel-{dead}-abc123").mkdir()  # its runner was killed
    (tmp_path / f"seatlib-kernel-{os.getpid()}-def456").mkdir()  # a live runner's
    (tmp_path / "seatlib-kernel-elsewhere").mkdir()  # not ours to judge
    make = kernels.ipc_kernel_manager()
    km = make(kernel_name="python3")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"seatlib-kernel-{os.getpid()}-def456", "seatlib-kernel-elsewhere", Path(km.ip).parent.name])
    assert Path(km.ip).parent.name.startswith(f"seatlib-kernel-{os.getpid()}-")
