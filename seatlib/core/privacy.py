"""What a person opens under ``runs/`` shows no full e-mail address unless the operator asks.

The lake and the warehouse keep full addresses (they are the record, and the reclaim needs them);
everything saved under ``runs/`` (report pages, executed notebooks, logs, alerts) shows
``j***@acme.com`` unless ``[report] show_emails = true``. Lists exported for spreadsheets are
also made formula-safe here (:func:`formula_safe`).
"""

from __future__ import annotations

import re

import pandas as pd

#: An address inside any text: local part, @, a domain with a dot. Deliberately wider than the
#: extract's validity check (seatlib.stages.guards.EMAIL_RE), so malformed addresses are masked too.
_ADDRESS = re.compile(r"([\w.%+\-'!#$&*/=?^`{|}~]+)@([\w\-]+(?:\.[\w\-]+)+)")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mask_email(address: str) -> str:
    """``jane.doe@acme.com`` -> ``j***@acme.com``; text that is not an address -> ``***``.

    The domain stays (it names the client's company, which the page shows anyway); the local part
    keeps only its first character.
    """
    text = str(address).strip()
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "***" if text else text
    return f"{local[0]}***@{domain}"


def mask_text(text: str) -> str:
    """Every address inside ``text`` masked (log lines, "a@x.com; b@y.com" lists, messages)."""
    return _ADDRESS.sub(lambda m: f"{m.group(1)[0]}***@{m.group(2)}", text)


def mask_frame(df: pd.DataFrame, *, show: bool) -> pd.DataFrame:
    """A copy of ``df`` for display: addresses masked in every text column, unless ``show``.

    Column names, the index and non-text columns are left as they are.
    """
    if show:
        return df
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            out[col] = s.map(lambda v: mask_text(v) if isinstance(v, str) else v)
    return out


def mask_value(value, *, show: bool):
    """Any value (a list, a dict of lists, a string) with its addresses masked, unless ``show``."""
    if show:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v, show=False) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_value(v, show=False) for v in value)
    return value


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell that a spreadsheet would run as a formula prefixed with a
    single quote (OWASP, "CSV Injection"): ``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``.

    Only for files a person opens (``gold/seat_status_latest.csv``, the report's lists); the
    warehouse and the files it is loaded from keep the raw value (a workspace name is client
    input). Numbers, flags and times are left as they are; ``df`` itself is not changed.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        text = s.astype("string")
        risky = text.str.startswith(_FORMULA_START).fillna(False)
        if s.dtype == object:  # a mixed column: only its text cells, never a number like -5
            risky &= s.map(lambda v: isinstance(v, str)).astype(bool)
        if risky.any():
            out[col] = (s if s.dtype == object else text).mask(risky, "'" + text)
    return out
