"""The record of the alerts: ``alerts.json`` in an attempt's folder, one entry per message.

Every message to the operator, sent or not, is appended to the ``alerts.json`` (a JSON list) of
the day's latest attempt, or of the attempt folder the caller names (a reclaim's own), with
e-mail addresses masked unless ``[report] show_emails``. :func:`send` delivers through
:mod:`seatlib.systems.notify` and records; :func:`record` records only; the run ledger reads the
records back (:func:`read_alerts`).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ..core import config as cfg
from ..core.privacy import mask_value
from ..systems import notify
from .attempts import day_dir

log = logging.getLogger(__name__)

ALERTS_FILE = "alerts.json"


def send(settings: cfg.Settings, title: str, body: str, *, level: str, payload: dict,
         day: date | None = None, env: Mapping[str, str] | None = None,
         folder: Path | None = None) -> list[str]:
    """Send one message to every channel and record it; returns the channels that failed.

    Args:
        level: one of :data:`seatlib.systems.notify.LEVELS` (``failure``: a stage failed).
        payload: figures for ``alerts.json`` (JSON-serialisable; dates become text).
        day: the run date whose ``runs/<day>/alerts.json`` gets the record (default: today, UTC).
        env: where ``SEATLIB_NOTIFY_URLS`` is read (default ``os.environ``).
        folder: the attempt folder whose ``alerts.json`` gets the record instead of the day's
            latest attempt (a reclaim records in its own, never in a daily attempt).

    Never raises: a failure to send or to record is logged and reported in the return value
    (``"alerts.json"`` when the record could not be written).
    """
    show = settings.report.show_emails
    title, body = mask_value(title, show=show), mask_value(body, show=show)
    names: list[str] = []
    try:
        names, failed = notify.deliver(title, body, level, (os.environ if env is None else env))
    except Exception as exc:  # noqa: BLE001 - an alert never fails the run
        log.error("notify: sending failed (%s)", type(exc).__name__)
        failed = ["apprise"]
    return failed + record(settings, title, body, level=level, payload=payload, day=day,
                           channels=names, failed=failed, folder=folder)


def record(settings: cfg.Settings, title: str, body: str, *, level: str, payload: dict,
           day: date | None = None, channels: list[str] = (), failed: list[str] = (),
           note: str = "", folder: Path | None = None) -> list[str]:
    """Append a message to ``runs/<day>/alerts.json`` (or ``folder``'s, as :func:`send`; masked
    unless ``show_emails``) without sending it; returns ``["alerts.json"]`` when it could not be
    written, else ``[]``."""
    show = settings.report.show_emails
    entry = {"recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "sent": bool(channels) and len(failed) < len(channels), "level": level, "title": mask_value(title, show=show),
             "body": mask_value(body, show=show), "payload": mask_value(_plain(payload), show=show),
             "channels": list(channels), "failed_channels": list(failed)}
    if note:
        entry["note"] = note
    try:
        path = record_alert(settings, day or datetime.now(timezone.utc).date(), entry, folder)
    except Exception as exc:  # noqa: BLE001
        log.error("notify: could not record the alert in runs/: %s", exc)
        return ["alerts.json"]
    log.info("notify: %s %r to %d channel(s), %d failed; recorded in %s", level, entry["title"],
             len(entry["channels"]), len(failed), path)
    return []


def record_alert(settings: cfg.Settings, day: date, record: dict, folder: Path | None = None
                 ) -> Path:
    """Append ``record`` to the ``alerts.json`` of ``folder``, else of ``day``'s latest attempt
    (written whole: temp file, then rename)."""
    path = Path(folder or day_dir(settings.runs_dir, day)) / ALERTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    records = read_alerts(path)
    records.append(record)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_alerts(path: Path) -> list[dict]:
    """The records of an alerts.json; a missing or unreadable file is an empty list."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (dates as ISO text, numpy numbers as Python numbers)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat")
                                 else (v.item() if hasattr(v, "item") else str(v))))
