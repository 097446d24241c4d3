"""The systemd service and timer in deploy/systemd, checked by systemd's own verifier, and
the logrotate snippet."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from seatlib.core.config import REPO_ROOT

UNITS = REPO_ROOT / "deploy" / "systemd"


def _installed(tmp_path: Path, timer_edit: tuple[str, str] = ("", "")) -> list[str]:
    """The units as the README installs them, pointed at this checkout (the verifier checks
    that ExecStart exists)."""
    for name in ("seat-monitor.service", "seat-monitor.timer"):
        text = (UNITS / name).read_text().replace("/opt/seat-monitor", str(REPO_ROOT))
        if name.endswith(".timer") and timer_edit[0]:
            text = text.replace(*timer_edit)
        (tmp_path / name).write_text(text)
    return [str(tmp_path / "seat-monitor.service"), str(tmp_path / "seat-monitor.timer")]


def _verify(paths: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def verifier():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd; .ci/run installs "
                    "it): the unit files are not verified here")


def test_the_units_pass_systemd_analyze_verify(tmp_path, verifier):
    done = _verify(_installed(tmp_path))
    assert done.returncode == 0, done.stderr


def test_the_verifier_catches_a_broken_timer(tmp_path, verifier):
    paths = _installed(tmp_path, ("OnCalendar=*-*-* 06:15:00 UTC", "OnCalendar=every morning"))
    done = _verify(paths)
    assert done.returncode != 0 and "calendar" in done.stderr


def test_the_timer_catches_up_and_calls_the_service():
    timer = (UNITS / "seat-monitor.timer").read_text()
    assert "\nPersistent=true\n" in timer and "\nOnCalendar=*-*-* 06:15:00 UTC\n" in timer
    assert "\nUnit=seat-monitor.service\n" in timer and "WantedBy=timers.target" in timer
    service = (UNITS / "seat-monitor.service").read_text()
    assert "\nType=oneshot\n" in service
    assert "\nExecStart=/opt/seat-monitor/run_daily.sh\n" in service
    assert "EnvironmentFile=-/etc/seat-monitor/env" in service


def test_the_cron_log_is_rotated():
    text = (REPO_ROOT / "deploy" / "logrotate" / "seat-monitor").read_text()
    assert text.count("/var/log/seat-monitor.cron.log {") == 1
    assert "copytruncate" in text and "maxsize" in text
