"""Seats by user (docs/seats.md) on small hand-made silver frames: shared admins, second
workspaces, renamed workspaces, identifiers too long to be ids, the categories of the ledger
and what the capacity row says of them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from seatlib.stages import gold, guards
from seatlib.core.config import ReclaimSettings, Settings
from seatlib.core.contracts import GOLD_STATUS, coerce
from seatlib.core.errors import DataQualityError
from tests.unit.test_gold import DAY, access, frames, user, ws

SETTINGS = Settings()


def names(*rows):
    """A names history: (workspace id, name, first seen, last seen)."""
    return pd.DataFrame([{"workspace_id": w, "workspace_name": n, "first_seen": date.fromisoformat(a),
                          "last_seen": date.fromisoformat(b)} for w, n, a, b in rows])


def module(*pairs):
    return [{"client_id": c, "module_active": a} for c, a in pairs]


def built(admins, users, acc, mod, settings=SETTINGS, history=None):
    silver = frames(admins, users, acc, mod)
    if history is not None:
        silver["workspace_names"] = history
    return gold.build_frames(silver, DAY, settings)


def rows_of(day_built) -> dict:
    return {(None if pd.isna(r.client_id) else int(r.client_id),
             None if pd.isna(r.workspace_id) else r.workspace_id): r
            for r in day_built.status.itertuples()}


def ledger_of(day_built) -> dict:
    return {r.email: r for r in day_built.ledger.itertuples()}


# -- shared admins -------------------------------------------------------------------------------

@pytest.fixture()
def consultant():
    """c@agency serves 201 (pays) and 202 (cancelled); 202's own admin is inactive."""
    admins = [ws("1", "201 - Paying Co", "p@paying.example"), ws("1", "201 - Paying Co", "c@agency.example"),
              ws("2", "202 - Gone Co", "g@gone.example"), ws("2", "202 - Gone Co", "c@agency.example")]
    users = [user("p@paying.example"), user("c@agency.example"), user("g@gone.example", active=False)]
    acc = [access("201 - Paying Co", "c@agency.example", "2026-11-28T10:00:00Z")]
    return admins, users, acc, module((201, True), (202, False))


def test_a_consultant_of_a_paying_client_and_an_ex_client_is_never_reclaimable(consultant):
    day = built(*consultant)
    seat = ledger_of(day)["c@agency.example"]
    assert (seat.category, seat.shared, seat.reclaimable) == ("client", True, False)
    assert seat.clients == "201; 202" and seat.paying_clients == "201"
    gone = rows_of(day)[(202, "2")]
    assert gone.status == "seat_held_by_ex_client"  # the ex-client's workspace still has a seat
    assert not gone.reclaimable and gone.seats_reclaimable == 0
    assert gone.admin_shared and gone.shared_with == "201"
    assert gone.note == "c@agency.example also serves paying client(s) 201: its seat stays"
    cap = day.capacity.iloc[0]
    assert cap.seats_held_by_ex_clients == 0 and cap.seats_shared == 1


def test_a_consultant_of_two_ex_clients_is_one_reclaimable_seat():
    admins = [ws("1", "301 - Gone A", "c@agency.example"), ws("2", "302 - Gone B", "c@agency.example")]
    day = built(admins, [user("c@agency.example")], [], module((301, False), (302, False)))
    seat = ledger_of(day)["c@agency.example"]
    assert (seat.category, seat.shared, seat.reclaimable) == ("ex_client", True, True)
    assert all(r.reclaimable for r in day.status.itertuples())
    assert day.capacity.iloc[0].seats_held_by_ex_clients == 1  # one user, one seat


def test_an_ex_clients_admin_who_also_runs_an_unknown_workspace_is_not_reclaimable():
    admins = [ws("1", "401 - Gone", "a@x.example"), ws("2", "Parceiro Teste", "a@x.example")]
    day = built(admins, [user("a@x.example")], [], module((401, False)))
    assert ledger_of(day)["a@x.example"].category == "unmatched"
    assert not rows_of(day)[(401, "1")].reclaimable


def test_staff_never_hold_a_clients_seat_nor_a_reclaimable_one():
    settings = replace(SETTINGS, reclaim=ReclaimSettings(staff_domains=("reseller.example",)))
    admins = [ws("1", "501 - Gone", "support@reseller.example")]
    day = built(admins, [user("support@reseller.example")], [], module((501, False)), settings)
    assert ledger_of(day)["support@reseller.example"].category == "staff"
    row = rows_of(day)[(501, "1")]
    assert row.status == "released" and not row.seat_held and not row.reclaimable
    assert row.note == "support@reseller.example is staff (not the client's seat)"


def test_every_seat_user_is_in_exactly_one_category_and_they_add_up(consultant):
    admins, users, acc, mod = consultant
    users = users + [user("lonely@x.example"), user("viewer@x.example", role="Viewer"),
                     user("boss@reseller.example", role="Organization Admin")]
    day = built(admins, users, acc, mod)
    assert "viewer@x.example" not in set(day.ledger["email"])  # a read-only seat, not the plan's
    assert ledger_of(day)["lonely@x.example"].category == "no_workspace"
    cap = day.capacity.iloc[0]
    parts = [cap[c] for c in guards.CATEGORY_COLUMNS]
    assert sum(parts) == cap.seat_users == len(day.ledger) == 4  # p, c, lonely, boss
    guards.check_capacity_values(day.capacity, "test")  # the guard agrees


def test_categories_that_do_not_add_up_are_refused(consultant):
    cap = built(*consultant).capacity.copy()
    cap["seats_staff"] = cap["seats_staff"] + 1
    with pytest.raises(DataQualityError, match="add up to"):
        guards.check_capacity_values(cap, "gold of a hand-edited day")


# -- one answer per client -----------------------------------------------------------------------

def test_a_second_workspace_without_a_user_does_not_make_a_paying_client_wait():
    admins = [ws("1", "601 - Main", "m@main.example"), ws("2", "601 - Main (Filial)", None, source="none")]
    acc = [access("601 - Main", "m@main.example", "2026-11-27T10:00:00Z")]
    day = built(admins, [user("m@main.example")], acc, module((601, True)))
    rows = rows_of(day)
    assert rows[(601, "1")].status == "active"
    assert rows[(601, "2")].status == "paying_without_user"  # the row says what the workspace is
    assert {r.client_status for r in rows.values()} == {"active"}  # the client says one thing
    assert day.capacity.iloc[0].paying_without_user == 0


def test_a_clients_idle_days_are_the_least_over_its_workspaces_holding_a_seat():
    admins = [ws("1", "701 - A", "a@a.example"), ws("2", "701 - A bis", "b@a.example")]
    acc = [access("701 - A", "a@a.example", "2026-08-01T10:00:00Z"),
           access("701 - A bis", "b@a.example", "2026-11-20T10:00:00Z")]
    day = built(admins, [user("a@a.example"), user("b@a.example")], acc, module((701, True)))
    rows = rows_of(day)
    assert rows[(701, "1")].status == "inactive"  # its own workspace is idle...
    assert rows[(701, "1")].client_status == "active"  # ...the client is not


def test_a_new_workspace_nobody_can_open_does_not_make_an_idle_client_active():
    admins = [ws("1", "702 - Idle", "a@a.example"),
              ws("2", "702 - Idle (Filial)", None, created="2026-11-28T10:00:00Z", source="none")]
    acc = [access("702 - Idle", "a@a.example", "2026-08-01T10:00:00Z")]
    rows = rows_of(built(admins, [user("a@a.example")], acc, module((702, True))))
    assert rows[(702, "2")].status == "paying_without_user"  # created yesterday, no seat
    assert {r.client_status for r in rows.values()} == {"inactive"}


# -- identifiers -----------------------------------------------------------------------------------

def test_a_20_digit_client_id_is_unmatched_with_its_reason_never_wrapped():
    admins = [ws("1", "12345678901234567890 - Holding", "h@holding.example"),
              ws("2", "123456789012345678 - Longest Id", "l@long.example")]
    day = built(admins, [user("h@holding.example"), user("l@long.example")], [],
                module((123456789012345678, True)))
    rows = rows_of(day)
    big = rows[(None, "1")]
    assert big.status == "unmatched" and big.client_status == "unmatched"
    assert "12345678901234567890 has more than 18 digits" in big.note
    assert rows[(123456789012345678, "2")].status == "inactive"  # 18 digits still fit
    assert (day.status["client_id"].dropna() >= 0).all()
    text = gold.to_csv_bytes(day.status).decode()  # and survive the CSV, blanks beside them
    assert "123456789012345678," in text and "-922337203685477" not in text
    back = coerce(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False),
                  GOLD_STATUS, "round trip")
    assert 123456789012345678 in set(back["client_id"].dropna())
    assert gold.client_ids(pd.Series(["99999999999999999999 - X"]), SETTINGS).isna().all()


def test_unmatched_rows_say_why():
    admins = [ws("1", "Demo - Vendas", "d@x.example"), ws("2", "999 - Nobody", "n@x.example")]
    day = built(admins, [user("d@x.example")], [], module((998, True)))
    rows = rows_of(day)
    assert "no client id" in rows[(None, "1")].note
    assert rows[(999, "2")].note == "client 999 is not in the company database's answer"
    assert rows[(998, None)].note == "the client has no workspace in Zoho"


# -- renamed workspaces ----------------------------------------------------------------------------

def test_an_access_under_a_workspaces_old_name_still_counts():
    admins = [ws("1", "801 - New Name", "a@a.example")]
    acc = [access("Old Name Without An Id", "a@a.example", "2026-11-25T10:00:00Z")]
    mod = module((801, True))
    history = names(("1", "Old Name Without An Id", "2026-10-01", "2026-11-26"),
                    ("1", "801 - New Name", "2026-11-27", "2026-11-29"))
    renamed = rows_of(built(admins, [user("a@a.example")], acc, mod, history=history))
    assert renamed[(801, "1")].status == "active"
    assert renamed[(801, "1")].days_since_last_access == 4
    today_only = rows_of(built(admins, [user("a@a.example")], acc, mod))  # a join on today's names
    assert today_only[(801, "1")].status == "inactive"


def test_a_name_two_workspaces_bore_on_the_day_is_ambiguous_and_counted():
    admins = [ws("1", "901 - A", "a@a.example"), ws("2", "902 - B", "a@a.example")]
    acc = [access("Shared Name", "a@a.example", "2026-11-20T10:00:00Z")]
    history = names(("1", "Shared Name", "2026-11-01", "2026-11-25"),
                    ("2", "Shared Name", "2026-11-15", "2026-11-26"))
    day = built(admins, [user("a@a.example")], acc, module((901, True), (902, True)),
                history=history)
    assert day.capacity.iloc[0].access_ambiguous == 1
    assert day.ambiguous.to_dict("records") == [
        {"workspace_name": "Shared Name", "workspace_ids": "1; 2", "rows": 1}]
    assert all(pd.isna(r.last_access_at) for r in day.status.itertuples())  # never guessed


# -- times that can be trusted ---------------------------------------------------------------------

def test_days_since_an_access_are_never_negative():
    admins = [ws("1", "111 - Clock", "a@a.example")]
    acc = [access("111 - Clock", "a@a.example", "2026-11-29T23:30:00Z")]  # later that day
    row = rows_of(built(admins, [user("a@a.example")], acc, module((111, True))))[(111, "1")]
    assert row.days_since_last_access == 0


# -- the guard on what changed ---------------------------------------------------------------------

def statuses(values, module=True) -> pd.DataFrame:
    return pd.DataFrame({"client_status": values, "module_active": module})


def test_a_mass_status_change_is_refused_naming_the_biggest_moves():
    before = statuses(["active"] * 40 + ["released"] * 60,
                      module=[True] * 40 + [False] * 60)
    after = before.assign(module_active=False)
    after.iloc[:25, 0] = "seat_held_by_ex_client"  # 25 of the 40 module clients
    with pytest.raises(DataQualityError) as err:
        guards.check_status_change(before, after, max_share=0.2, allow_drop=False,
                                   where="gold of D", action="nothing was written")
    text = str(err.value)
    assert "25 of 40 module clients changed status" in text  # the released ones do not dilute
    assert "active -> seat_held_by_ex_client: 25" in text and "--allow-drop" in text
    allowed: list[str] = []
    assert guards.check_status_change(before, after, max_share=0.2, allow_drop=True,
                                      where="gold of D", action="", allowed=allowed) == 25
    assert allowed and "25 of 40" in allowed[0]


def test_small_or_few_changes_pass_the_guard():
    before = statuses(["active"] * 30)
    after = before.copy()
    after.iloc[:9, 0] = "inactive"  # 30% but fewer than 10 clients
    assert guards.check_status_change(before, after, max_share=0.2, allow_drop=False,
                                      where="w", action="a") == 9


def test_freed_ex_client_seats_are_not_a_change_the_guard_counts():
    before = statuses(["seat_held_by_ex_client"] * 30 + ["active"] * 10,
                      module=[False] * 30 + [True] * 10)
    after = before.assign(client_status=["released"] * 30 + ["active"] * 10)  # a reclaim
    assert guards.check_status_change(before, after, max_share=0.2, allow_drop=False,
                                      where="w", action="a") == 0


def test_an_access_after_the_day_is_left_out_and_counted_as_future():
    admins = [ws("1", "112 - Clock", "a@a.example")]
    acc = [access("112 - Clock", "a@a.example", "2027-11-29T10:00:00Z")]
    day = built(admins, [user("a@a.example")], acc, module((112, True)))
    row = rows_of(day)[(112, "1")]
    assert pd.isna(row.last_access_at) and row.status == "inactive"  # idle since creation
    assert day.capacity.iloc[0].access_future == 1


def test_a_name_the_lake_never_saw_counts_for_the_one_workspace_of_its_client_id():
    """A rename before the lake's first day (docs/seats.md rule 6)."""
    admins = [ws("1", "113 - New Name", "a@a.example"), ws("2", "114 - One", "b@b.example"),
              ws("3", "114 - Two", "c@b.example")]
    acc = [access("113 - Old Name", "a@a.example", "2026-11-25T10:00:00Z"),
           access("114 - Gone", "b@b.example", "2026-11-25T10:00:00Z")]
    history = names(("1", "113 - New Name", "2026-11-20", "2026-11-29"),
                    ("2", "114 - One", "2026-11-20", "2026-11-29"),
                    ("3", "114 - Two", "2026-11-20", "2026-11-29"))
    day = built(admins, [user("a@a.example"), user("b@b.example"), user("c@b.example")], acc,
                module((113, True), (114, True)), history=history)
    rows = rows_of(day)
    assert rows[(113, "1")].days_since_last_access == 4  # the one workspace of client 113
    assert pd.isna(rows[(114, "2")].last_access_at)  # client 114 has two: never guessed
    assert day.capacity.iloc[0].access_ambiguous == 0


def test_two_ids_that_last_bore_a_name_on_the_same_day_are_ambiguous():
    admins = [ws("1", "115 - A", "a@a.example"), ws("2", "116 - B", "a@a.example")]
    acc = [access("Dup", "a@a.example", "2026-11-27T10:00:00Z")]
    history = names(("1", "Dup", "2026-11-01", "2026-11-20"), ("2", "Dup", "2026-11-05", "2026-11-20"),
                    ("1", "115 - A", "2026-11-21", "2026-11-29"),
                    ("2", "116 - B", "2026-11-21", "2026-11-29"))
    day = built(admins, [user("a@a.example")], acc, module((115, True), (116, True)),
                history=history)
    assert day.capacity.iloc[0].access_ambiguous == 1


def test_clients_reaching_the_company_database_are_no_change_the_guard_counts():
    before = statuses(["unmatched"] * 15 + ["active"] * 50, module=[None] * 15 + [True] * 50)
    after = before.assign(client_status=["paying_without_user"] * 15 + ["active"] * 50,
                          module_active=True)
    assert guards.check_status_change(before, after, max_share=0.2, allow_drop=False,
                                      where="w", action="a") == 0


def test_the_reports_idle_seats_leave_out_a_consultant_of_an_active_client(tmp_path):
    """c@agency serves 201 (pays, busy) and 202 (pays, idle): 202 is inactive, but its seat is
    not one to free; i@idle serves only 202 and is."""
    from seatlib.stages import report
    from seatlib.systems.lake import Lake, gold_key

    admins = [ws("1", "201 - Busy", "c@agency.example"), ws("2", "202 - Idle", "c@agency.example"),
              ws("2", "202 - Idle", "i@idle.example")]
    acc = [access("201 - Busy", "c@agency.example", "2026-11-28T10:00:00Z")]
    day = built(admins, [user("c@agency.example"), user("i@idle.example")], acc,
                module((201, True), (202, True)))
    lake = Lake(str(tmp_path))
    lake.write_bytes(gold_key("seat_ledger", DAY), gold.to_csv_bytes(day.ledger))
    assert report.idle_users(lake, DAY, day.status) == {"i@idle.example"}
    assert day.capacity.iloc[0].seats_held_by_inactive_clients == 1
    lake.delete(gold_key("seat_ledger", DAY))
    assert report.idle_users(lake, DAY, day.status) is None  # a day from before the ledger
