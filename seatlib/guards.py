"""Guards that stop a bad day before it overwrites a good one.

Column and type checks live with the contracts (:mod:`seatlib.contracts`); here are the checks
that need more than one frame: an empty extract, a sudden drop against the previous day, and
malformed e-mail addresses.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .errors import DataQualityError

log = logging.getLogger(__name__)

# Deliberately simple: one @, no spaces, a dot in the domain. Zoho itself rejects worse (8509).
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class VolumeCheck:
    source: str
    rows: int
    previous_rows: int | None
    previous_day: date | None

    @property
    def drop_share(self) -> float:
        if not self.previous_rows:
            return 0.0
        return round(max(0.0, 1 - self.rows / self.previous_rows), 9)  # 1 - 70/100 is not 0.3 in floats


def check_volume(source: str, rows: int, previous: tuple[date, int] | None, *,
                 max_drop_share: float, allow_drop: bool = False, where: str = "") -> VolumeCheck:
    """Stop on an empty extract, or one that shrank by more than ``max_drop_share``.

    Args:
        previous: (day, rows) of the latest earlier extract of the source, if any.
        allow_drop: the operator's explicit override (``run_daily.sh --allow-drop``).

    Raises:
        DataQualityError: naming the source, both counts and the override.
    """
    check = VolumeCheck(source, rows, previous[1] if previous else None,
                        previous[0] if previous else None)
    if rows == 0:
        if allow_drop:
            log.warning("%s: the extract is empty (allowed by --allow-drop)", source)
            return check
        raise DataQualityError(
            f"{source} ({where}): the extract is empty; nothing was written. If this is real, "
            f"re-run with --allow-drop")
    if check.previous_rows and check.drop_share > max_drop_share:
        text = (f"{source} ({where}): {rows} rows against {check.previous_rows} on "
                f"{check.previous_day}, a drop of {check.drop_share:.0%} (limit {max_drop_share:.0%})")
        if allow_drop:
            log.warning("%s (allowed by --allow-drop)", text)
            return check
        raise DataQualityError(f"{text}; nothing was written. If this is real, re-run with --allow-drop")
    return check


def bad_emails(values: pd.Series) -> list[str]:
    """The non-empty values of ``values`` that do not look like an e-mail address."""
    text = values.dropna().astype("string")
    text = text[text.str.len() > 0]
    return sorted(set(text[~text.str.match(EMAIL_RE.pattern)].tolist()))


def flag_bad_emails(df: pd.DataFrame, column: str, source: str) -> list[str]:
    """Log (and return) malformed addresses; they are kept, since they may still hold a seat."""
    bad = bad_emails(df[column])
    if bad:
        log.warning("%s: %d malformed e-mail address(es) in %r: %s", source, len(bad), column, bad[:10])
    return bad
