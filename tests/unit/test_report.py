"""The report's lists: time in status (the first status counts), unmatched reasons, access bins,
and a client's changes from its first day."""

from datetime import date

import pandas as pd

from seatlib.stages.report.investigate import changes
from seatlib.stages.report import status_since, unmatched_reason
from seatlib.stages.report.figures import access_bins

D = [date(2026, 10, d) for d in (1, 2, 3, 4)]


def history(statuses: dict[int, list[str]]) -> pd.DataFrame:
    rows = [{"snapshot_date": d, "client_id": c, "workspace_id": f"w{c}", "status": s}
            for c, seq in statuses.items() for d, s in zip(D, seq)]
    return pd.DataFrame(rows).astype({"client_id": "Int64", "status": "string"})


def test_status_since_counts_the_first_status_and_marks_the_start_of_history():
    since = status_since(history({1: ["inactive", "inactive", "seat_held_by_ex_client",
                                      "seat_held_by_ex_client"],
                                  2: ["active"] * 4,
                                  3: ["active", "inactive", "active", "active"]}), D[-1])
    assert since["1|w1"] == "2026-10-03"
    assert since["2|w2"] == "≤ 2026-10-01"  # never changed: since the history's first day
    assert since["3|w3"] == "2026-10-03"


def test_unmatched_reasons():
    na = pd.NA
    assert unmatched_reason({"workspace_id": na, "client_id": 3059}) == \
        "Client with the module and no workspace"
    assert unmatched_reason({"workspace_id": "1", "client_id": 9001, "seat_held": True,
                             "days_since_last_access": 120}) == \
        "Workspace without a client in the company database; holds a seat, idle 120 days"
    assert unmatched_reason({"workspace_id": "2", "client_id": na, "seat_held": True,
                             "days_since_last_access": na}).startswith("Non-client workspace")


def test_access_bins_focus_on_recent_weeks_and_say_never():
    bins, order = access_bins(pd.Series([0, 6, 7, 29, 62, 63, 800, None], dtype="Int64"), 30)
    assert order[0] == "0–6" and order[-2:] == ["63+", "never"]
    assert bins.tolist() == ["0–6", "0–6", "7–13", "28–34", "56–62", "63+", "63+", "never"]


def test_client_changes_start_with_the_first_day():
    rows = pd.DataFrame({"snapshot_date": D[:3], "status": ["inactive", "inactive",
                                                            "seat_held_by_ex_client"],
                         "module_active": [True, True, False], "admin_email": ["a@x.com"] * 3,
                         "seat_held": [True] * 3, "workspace_name": ["1 - X"] * 3})
    c = changes(rows)
    first = c[c["Day"] == D[0]].set_index("What")["To"]
    assert first["Status"] == "Inactive (seat held, idle)" and first["Module"] == "on"
    later = c[c["Day"] == D[2]]
    assert set(later["What"]) == {"Status", "Module"}
