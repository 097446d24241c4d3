"""Small value rules shared by every module: how a flag is spelled, what a SQL name may be.

Kept in one place so the extract, the company database and the warehouse read "yes", "t" or
"0" the same way, and so every identifier that ends up in SQL text passes the same check.
"""

from __future__ import annotations

import decimal
import numbers
import re
from typing import Any

#: Spellings of a flag, compared after strip() and lower().
TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n"})

#: A client id has at most this many digits: the warehouse's BIGINT holds every 18-digit number,
#: and a longer one is never rounded or wrapped (docs/seats.md).
MAX_ID_DIGITS = 18

#: A plain SQL identifier: unquoted, so it needs no escaping. PostgreSQL cuts names at 63
#: bytes and Redshift at 127; 63 is the stricter of the two.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pd.NA are missing; a list-like is not (it is not a scalar)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN and NaT are the only values unequal to themselves
    except (TypeError, ValueError):  # pd.NA raises on bool(); arrays are ambiguous
        try:
            import pandas as pd

            return bool(pd.isna(value))
        except (TypeError, ValueError):
            return False


def is_number(value: Any) -> bool:
    """int, float, Decimal and their numpy kin; not bool (a flag is not a count) nor str."""
    import numpy as np

    return (isinstance(value, (numbers.Real, decimal.Decimal))
            and not isinstance(value, (bool, np.bool_)))


def parse_flag(value: Any) -> bool | None:
    """A flag as text, number or bool -> True/False; missing, empty or unknown -> None.

    Callers decide what None means: a contract column fails on it, a status reader may treat
    other words (Zoho's "active") first.
    """
    import numpy as np

    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if is_number(value):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


def is_identifier(name: Any) -> bool:
    """True when ``name`` can stand unquoted in SQL on both PostgreSQL and Redshift."""
    return isinstance(name, str) and IDENTIFIER.fullmatch(name) is not None
