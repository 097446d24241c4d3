"""Messages to the operator's channels (Apprise), and their record in ``runs/<date>/alerts.json``.

The channels are Apprise URLs (``mailto://``, ``slack://``, ``msteams://``, ``json://`` ...) in the
environment variable ``SEATLIB_NOTIFY_URLS``, separated by commas, spaces or new lines. They are
secrets (they carry tokens): never a setting, never printed, logged or saved; a channel is named by
Apprise's privacy form of its URL (``slack://T1***/B1***/...``), or only by its scheme.

Sending never raises and never fails a run: a channel that cannot be reached is logged, named and
returned. Every message, sent or not, is appended to the ``alerts.json`` (a JSON list) of the
day's latest attempt, or of the attempt folder the caller names (a reclaim's own), with e-mail
addresses masked unless ``[report] show_emails``.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ..core import config as cfg
from ..core.log import split_urls
from ..core.privacy import mask_value

log = logging.getLogger(__name__)

URLS_VAR = "SEATLIB_NOTIFY_URLS"
LEVELS = ("info", "ok", "warning", "critical", "failure")


def send(settings: cfg.Settings, title: str, body: str, *, level: str, payload: dict,
         day: date | None = None, env: Mapping[str, str] | None = None,
         folder: Path | None = None) -> list[str]:
    """Send one message to every channel and record it; returns the channels that failed.

    Args:
        level: one of :data:`LEVELS` (``failure``: a stage failed).
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
        names, failed = _deliver(title, body, level, (os.environ if env is None else env))
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


def _deliver(title: str, body: str, level: str, env: Mapping[str, str]
             ) -> tuple[list[str], list[str]]:
    """Send to each channel on its own, so a failing one can be named."""
    urls = split_urls(env.get(URLS_VAR, ""))
    if not urls:
        log.info("notify: no channels (%s is not set); the alert is only recorded", URLS_VAR)
        return [], []
    import apprise

    quiet = logging.getLogger("apprise")  # its messages may quote a URL: ours name the channel
    quiet.propagate, quiet.disabled = False, True
    kind = {"ok": apprise.NotifyType.SUCCESS, "warning": apprise.NotifyType.WARNING,
            "critical": apprise.NotifyType.FAILURE, "failure": apprise.NotifyType.FAILURE
            }.get(level, apprise.NotifyType.INFO)
    names, failed = [], []
    for i, url in enumerate(urls, 1):
        name = channel_name(url, i)
        names.append(name)
        box = apprise.Apprise()
        if not box.add(url):
            log.error("notify: channel %s is not a valid Apprise URL; skipped", name)
            failed.append(name)
        elif not box.notify(body=body, title=title, notify_type=kind):
            log.error("notify: channel %s could not be reached", name)
            failed.append(name)
    return names, failed


def channel_name(url: str, index: int) -> str:
    """The channel as it may be shown: its number, scheme and host from Apprise's privacy URL
    (password starred); the path and query are left out, since webhooks carry tokens there."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin:
            private = plugin.url(privacy=True).split("?", 1)[0]
            head, _, rest = private.partition("://")
            host, _, path = rest.partition("/")
            return f"channel {index} ({head}://{host}{'/…' if path else ''})"
    except Exception:  # noqa: BLE001 - naming must not fail either
        pass
    return f"channel {index} ({scheme}://…)"


def record_alert(settings: cfg.Settings, day: date, record: dict, folder: Path | None = None
                 ) -> Path:
    """Append ``record`` to the ``alerts.json`` of ``folder``, else of ``day``'s latest attempt
    (written whole: temp file, then rename)."""
    from ..history.attempts import day_dir

    path = Path(folder or day_dir(settings.runs_dir, day)) / "alerts.json"
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
