"""Messages to the operator's channels (Apprise): delivery, and nothing else.

The channels are Apprise URLs (``mailto://``, ``slack://``, ``msteams://``, ``json://`` ...) in the
environment variable ``SEATLIB_NOTIFY_URLS``, separated by commas, spaces or new lines. They are
secrets (they carry tokens): never a setting, never printed, logged or saved; a channel is named by
Apprise's privacy form of its URL (``slack://T1***/B1***/...``), or only by its scheme.

Delivering never raises a channel's failure: a channel that cannot be reached is logged, named and
returned. The record of every message, sent or not (``alerts.json``), is the history's:
:mod:`seatlib.history.alerts`, which calls :func:`deliver`.
"""

from __future__ import annotations

import logging
from typing import Mapping

from ..core.log import split_urls

log = logging.getLogger(__name__)

URLS_VAR = "SEATLIB_NOTIFY_URLS"
LEVELS = ("info", "ok", "warning", "critical", "failure")


def deliver(title: str, body: str, level: str, env: Mapping[str, str]
            ) -> tuple[list[str], list[str]]:
    """Send to each channel on its own, so a failing one can be named; returns the channels
    and the ones that failed. ``title`` and ``body`` are sent as given (masked by the caller)."""
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
