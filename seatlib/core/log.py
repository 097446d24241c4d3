"""Logging for runs and notebooks: one format, and secrets redacted on the way out."""

from __future__ import annotations

import logging
import os
import re
import sys
from urllib.parse import parse_qsl, unquote, urlsplit
from collections.abc import Iterable
from pathlib import Path

_SECRET_VARS = ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "REDSHIFT_PASSWORD",
                "SEATLIB_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "SEATLIB_NOTIFY_URLS", "SEATLIB_HEARTBEAT_URL")
#: Variables holding several URLs (split on commas and white space): each URL, and each of its
#: parts that may be a token (user, password, path segments, query values), is a secret too.
_URL_LIST_VARS = ("SEATLIB_NOTIFY_URLS", "SEATLIB_HEARTBEAT_URL")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace the values of secret environment variables in every record by ``***``.

    Defence in depth: seatlib never logs a secret on purpose, but a library's message might
    quote a URL or a header.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets = sorted(secret_values(os.environ), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            msg = record.getMessage()
            clean = scrub(msg, self._secrets)
            if clean != msg:
                record.msg, record.args = clean, None
        return True


def secret_values(env) -> set[str]:
    """The secret strings of ``env``: whole values, and the parts of every listed URL."""
    found = {v for k in _SECRET_VARS if len(v := env.get(k, "")) >= 6}
    for name in _URL_LIST_VARS:
        for url in split_urls(env.get(name, "")):
            found |= {p for p in url_parts(url) if len(p) >= 6}
    return found


def split_urls(text: str) -> list[str]:
    """A list of URLs written one per line, or separated by commas or spaces."""
    return [u for u in re.split(r"[\s,]+", text or "") if u]


def url_parts(url: str) -> list[str]:
    """The URL and each part of it that may carry a token."""
    parts = urlsplit(url)
    pieces = [url, parts.netloc, parts.username or "", parts.password or "", parts.hostname or ""]
    pieces += [seg for seg in parts.path.split("/") if seg]
    pieces += [v for _, v in parse_qsl(parts.query)]
    return [unquote(p) for p in pieces if p] + [p for p in pieces if p]


class MaskEmails(logging.Filter):
    """Mask every e-mail address in a record (``j***@acme.com``): logs are saved under runs/."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .privacy import mask_text

        msg = record.getMessage()
        clean = mask_text(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def scrub(text: str, secrets: "Iterable[str | None]", *, min_length: int = 4) -> str:
    """``text`` with every secret of at least ``min_length`` characters replaced by ``***``.

    Longer secrets go first, so a secret that contains another is hidden whole.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= min_length}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def setup(level: int = logging.INFO, stream=None, *, log_file: Path | None = None,
          show_emails: bool = False) -> logging.Logger:
    """Send seatlib's log to ``stream`` (stdout by default, so notebooks keep it in their
    output) and, when given, append it to ``log_file``; secrets redacted in both, and e-mail
    addresses masked unless ``show_emails`` (``[report] show_emails``).

    Calling it again replaces the handlers an earlier call added (a notebook re-run, a runner
    that moves to another day's log file).
    """
    logger = logging.getLogger("seatlib")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if getattr(handler, "_seatlib", False):
            logger.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stdout)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S"))
        handler.addFilter(RedactSecrets())
        if not show_emails:
            handler.addFilter(MaskEmails())
        handler._seatlib = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
    return logger
