"""Volume and e-mail guards: each trips on the input it exists for."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from seatlib.errors import DataQualityError
from seatlib.guards import bad_emails, check_volume

PREV = (date(2026, 11, 28), 100)


def test_empty_extract_stops_unless_allowed():
    with pytest.raises(DataQualityError, match="zoho_users.*empty.*--allow-drop"):
        check_volume("zoho_users", 0, PREV, max_drop_share=0.3)
    assert check_volume("zoho_users", 0, PREV, max_drop_share=0.3, allow_drop=True).rows == 0


def test_drop_beyond_the_share_stops_and_names_both_counts():
    with pytest.raises(DataQualityError, match=r"69 rows against 100 on 2026-11-28, a drop of 31%"):
        check_volume("zoho_users", 69, PREV, max_drop_share=0.3)
    assert check_volume("zoho_users", 70, PREV, max_drop_share=0.3).drop_share == pytest.approx(0.3)
    assert check_volume("zoho_users", 10, PREV, max_drop_share=0.3, allow_drop=True).rows == 10


def test_first_day_and_growth_pass():
    assert check_volume("x", 5, None, max_drop_share=0.3).drop_share == 0
    assert check_volume("x", 500, PREV, max_drop_share=0.3).drop_share == 0


def test_bad_emails_are_listed():
    s = pd.Series(["ok@a.com", "no-at-sign", "two@@a.com", "sp ace@a.com", None, "", "x@y"])
    assert bad_emails(s) == ["no-at-sign", "sp ace@a.com", "two@@a.com", "x@y"]
