"""Masking e-mail addresses for what people open (reports, plan files, notebooks).

Minimal version made for the reclaim; the report/alerts work owns this module and may extend it
(same two functions, same behaviour).
"""

from __future__ import annotations

import pandas as pd


def mask_email(address: str) -> str:
    """``"joana@acme.com"`` -> ``"j***@acme.com"``; text without an ``@`` -> ``"***"``;
    several addresses joined by ``"; "`` are masked one by one."""
    if address is None or (not isinstance(address, str) and pd.isna(address)):
        return address
    text = str(address)
    if ";" in text:
        return "; ".join(mask_email(part.strip()) for part in text.split(";") if part.strip())
    local, at, domain = text.strip().partition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_frame(df: pd.DataFrame, *, show: bool) -> pd.DataFrame:
    """A copy of ``df`` with every column holding e-mail addresses masked, unless ``show``.

    A column holds addresses when its name contains "email" (``admin_email``, ``email``, ...).
    """
    out = df.copy()
    if show:
        return out
    for col in out.columns:
        if "email" in str(col).lower():
            out[col] = out[col].map(lambda v: v if v is None or v is pd.NA else mask_email(v))
    return out
