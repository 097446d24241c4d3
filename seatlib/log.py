"""Logging for runs and notebooks: one format, and secrets redacted on the way out."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

_SECRET_VARS = ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN", "REDSHIFT_PASSWORD",
                "SEATLIB_DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replace the values of secret environment variables in every record by ``***``.

    Defence in depth: seatlib never logs a secret on purpose, but a library's message might
    quote a URL or a header.
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets = sorted({v for k in _SECRET_VARS if len(v := os.environ.get(k, "")) >= 6},
                               key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            msg = record.getMessage()
            clean = scrub(msg, self._secrets)
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


def setup(level: int = logging.INFO, stream=None, *, log_file: Path | None = None
          ) -> logging.Logger:
    """Send seatlib's log to ``stream`` (stdout by default, so notebooks keep it in their
    output) and, when given, append it to ``log_file``; secrets redacted in both.

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
        handler._seatlib = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
    return logger
