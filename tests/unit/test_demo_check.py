"""seatlib.run.demo's comparison of gold with the truth: what gold has is compared, what it does not
have yet (client_status, seats_reclaimable, the seat ledger) is skipped without a word."""

from __future__ import annotations

from datetime import date

import pandas as pd

from seatlib.run.demo import _compare_capacity, _compare_ledger, _compare_rows
from seatlib.systems.lake import Lake

DAY = date(2026, 12, 7)
TRUTH_ROWS = [
    {"client_id": 1001, "workspace_id": "11", "status": "active", "seat_held": True,
     "client_status": "active", "seats_reclaimable": 0},
    {"client_id": 1001, "workspace_id": "12", "status": "paying_without_user",
     "seat_held": False, "client_status": "active", "seats_reclaimable": 0},
    {"client_id": None, "workspace_id": "13", "status": "unmatched", "seat_held": True,
     "client_status": "unmatched", "seats_reclaimable": 0},
]


def gold_rows(**columns) -> pd.DataFrame:
    frame = pd.DataFrame({"client_id": pd.array([1001, 1001, None], dtype="Int64"),
                          "workspace_id": ["11", "12", "13"],
                          "status": ["active", "paying_without_user", "unmatched"],
                          "seat_held": [True, False, True]})
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_rows_of_todays_gold_are_compared_on_status_and_seat_only():
    assert _compare_rows(DAY, TRUTH_ROWS, gold_rows()) == []
    wrong = gold_rows()
    wrong.loc[0, "status"] = "inactive"
    assert _compare_rows(DAY, TRUTH_ROWS, wrong) == [
        "2026-12-07 (1001, '11'): status inactive in gold, active in truth"]


def test_client_status_and_seats_reclaimable_once_gold_has_them():
    good = gold_rows(client_status=["active", "active", "unmatched"],
                     seats_reclaimable=pd.array([0, 0, 0], dtype="Int64"))
    assert _compare_rows(DAY, TRUTH_ROWS, good) == []
    bad = gold_rows(client_status=["active", "paying_without_user", "unmatched"],
                    seats_reclaimable=pd.array([0, 0, 1], dtype="Int64"))
    assert _compare_rows(DAY, TRUTH_ROWS, bad) == [
        "2026-12-07 (1001, '12'): client_status paying_without_user in gold, active in truth",
        "2026-12-07 (None, '13'): seats_reclaimable 1 in gold, 0 in truth"]


def test_capacity_columns_gold_lacks_are_skipped_and_the_share_has_four_places():
    gold = pd.Series({"seats_used": 70, "seats_held_by_clients": 52, "usage_share": 0.9857},
                     dtype=object)  # as a gold row read by read_day: ints and a float
    truth = {"seats_used": 70, "seats_held_by_clients": 52, "usage_share": 69 / 70,
             "seat_users": 70, "access_future": 1}
    assert _compare_capacity(DAY, truth, gold) == []
    assert _compare_capacity(DAY, dict(truth, seats_used=69), gold) == [
        "2026-12-07 capacity seats_used: 70 in gold, 69 in truth"]


LEDGER = [{"email": "a@one.br", "category": "client", "shared": False, "reclaimable": False},
          {"email": "agency@consult.br", "category": "client", "shared": True,
           "reclaimable": False},
          {"email": "c@two.br", "category": "ex_client", "shared": False, "reclaimable": True}]


def write_ledger(lake: Lake, text: str) -> None:
    lake.write_bytes(f"gold/seat_ledger/{DAY.isoformat()}.csv", text.encode())


def test_the_ledger_is_compared_when_gold_writes_one(tmp_path):
    lake = Lake(str(tmp_path))
    assert _compare_ledger(DAY, LEDGER, lake) == []  # no file yet: nothing to say
    header = ("snapshot_date,email,domains,role,category,clients,paying_clients,shared,"
              "reclaimable,reason,last_access_at\n")
    write_ledger(lake, header
                 + "2026-12-07,a@one.br,bi.x,User,client,1001,1001,false,false,,\n"
                 + "2026-12-07,Agency@consult.br,bi.x,User,ex_client,1001;1002,,true,true,,\n"
                 + "2026-12-07,ghost@x.br,bi.x,User,no_workspace,,,false,false,,\n")
    assert _compare_ledger(DAY, LEDGER, lake) == [
        "2026-12-07 ledger c@two.br: in truth (ex_client), missing from gold",
        "2026-12-07 ledger ghost@x.br: in gold (no_workspace), not in truth",
        "2026-12-07 ledger agency@consult.br: category ex_client in gold, client in truth",
        "2026-12-07 ledger agency@consult.br: reclaimable true in gold, False in truth"]


def test_ledger_columns_gold_lacks_are_skipped(tmp_path):
    lake = Lake(str(tmp_path))
    write_ledger(lake, "email,category\na@one.br,client\nagency@consult.br,client\n"
                       "c@two.br,ex_client\n")
    assert _compare_ledger(DAY, LEDGER, lake) == []
