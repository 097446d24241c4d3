"""Gold transforms on small hand-made silver frames: every status, the joins and the errors."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from seatlib.stages import gold
from seatlib.core.config import Settings
from seatlib.core.contracts import SILVER, coerce
from seatlib.core.errors import DataQualityError

DAY = date(2026, 11, 29)
SETTINGS = Settings()


def silver(source: str, rows: list[dict]) -> pd.DataFrame:
    contract = SILVER[source]
    df = pd.DataFrame([{"snapshot_date": DAY.isoformat(), **r} for r in rows],
                      columns=contract.names)
    return coerce(df, contract, "test")


def ws(wid, name, admin, created="2025-01-01T00:00:00Z", source="admins"):
    return {"workspace_id": wid, "workspace_name": name, "workspace_created_at": created,
            "created_by": "owner@reseller.example", "admin_email": admin, "admin_source": source}


def frames(admins, users, access, module, seats=None):
    return {
        "zoho_workspace_admins": silver("zoho_workspace_admins", admins),
        "zoho_users": silver("zoho_users", users),
        "zoho_last_access": silver("zoho_last_access", access),
        "module_status": silver("module_status", module),
        "zoho_seats": silver("zoho_seats", seats or [
            {"resource_name": "users", "allocated": 70, "used": 5, "remaining": 65},
            {"resource_name": "roUsers", "allocated": 100, "used": 0, "remaining": 100}]),
    }


def user(email, active=True, role="User"):
    return {"email": email, "active": active, "role": role}


def access(name, email, when, future=0):
    return {"workspace_name": name, "user_email": email, "last_access_at": when,
            "future_accesses": future}


@pytest.fixture()
def example():
    admins = [
        ws("1", "101 - Active Co", "a@active.example"),
        ws("2", "102 - Sleepy Co", "s@sleepy.example"),
        ws("3", "103 - Gone Co", "g@gone.example"),
        ws("4", "104 - Paying Co", "p@paying.example"),
        ws("5", "105 - Released Co", "r@released.example"),
        ws("6", "Demo - Vendas", "staff@reseller.example"),
        ws("7", "999 - Unknown Co", "u@unknown.example"),
        ws("8", "Zoho Analytics Audits", "owner@reseller.example"),
        ws("9", "108 - New Co", "n@new.example", created="2026-11-20T10:00:00Z"),
        ws("10", "109 - Two Admins", "x1@two.example"),
        ws("10", "109 - Two Admins", "x2@two.example"),
        ws("11", "110 - Nobody", None, source="none"),
    ]
    users = [user("a@active.example"), user("s@sleepy.example"), user("g@gone.example"),
             user("p@paying.example", active=False), user("r@released.example", active=False),
             user("staff@reseller.example"), user("u@unknown.example"), user("n@new.example"),
             user("x2@two.example"), user("owner@reseller.example", role="Organization Admin")]
    acc = [access("101 - Active Co", "a@active.example", "2026-11-28T09:00:00Z"),
           access("101 - Active Co", "owner@reseller.example", "2026-11-29T05:00:00Z"),
           access("102 - Sleepy Co", "s@sleepy.example", "2026-09-01T12:00:00Z"),
           access("102 - Sleepy Co", "owner@reseller.example", "2026-11-28T12:00:00Z"),
           access("109 - Two Admins", "x1@two.example", "2026-11-01T00:00:00Z")]
    module = [{"client_id": c, "module_active": a} for c, a in
              [(101, True), (102, True), (103, False), (104, True), (105, False), (106, True),
               (108, True), (109, True), (110, False)]]
    return frames(admins, users, acc, module)


def by_client(status: pd.DataFrame) -> dict:
    return {(None if pd.isna(r.client_id) else int(r.client_id),
             None if pd.isna(r.workspace_id) else r.workspace_id): r
            for r in status.itertuples()}


def test_every_status_from_the_rules(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    rows = by_client(status)
    assert rows[(101, "1")].status == "active"
    assert rows[(102, "2")].status == "inactive"
    assert rows[(103, "3")].status == "seat_held_by_ex_client"
    assert rows[(104, "4")].status == "paying_without_user"
    assert rows[(105, "5")].status == "released"
    assert rows[(None, "6")].status == "unmatched"  # no client id in the name
    assert rows[(999, "7")].status == "unmatched"  # id not in the company database
    assert rows[(106, None)].status == "unmatched"  # company client without a workspace
    assert rows[(108, "9")].status == "active"  # new: never accessed, created 9 days ago
    assert rows[(109, "10")].status == "active"
    assert rows[(110, "11")].status == "released"


def test_audit_workspace_is_excluded_and_nothing_dropped(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    assert "Zoho Analytics Audits" not in set(status["workspace_name"].dropna())
    assert len(status) == 11  # 11 workspaces less the audit one, + company-only client 106


def test_last_access_counts_only_the_workspace_admins(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    rows = by_client(status)
    # the reseller's own access on the 29th does not make client 101 "accessed today"
    assert rows[(101, "1")].days_since_last_access == 1
    assert rows[(102, "2")].days_since_last_access == 89
    assert pd.isna(rows[(103, "3")].days_since_last_access)
    assert rows[(101, "1")].last_access_at == pd.Timestamp("2026-11-28T09:00:00Z")


def test_a_public_visitors_access_is_nobodys_admin_access(example):
    """Silver keeps an "Accessed By" without an address as a missing user_email: it must not
    meet the missing admin of a workspace without admins in the join."""
    frames = dict(example)
    frames["zoho_last_access"] = silver("zoho_last_access", [
        access("110 - Nobody", None, "2026-11-28T09:00:00Z", future=2),
        access("110 - Nobody", "n@new.example", None, future=1)])
    status = gold.build_frames(frames, DAY, SETTINGS).status
    assert pd.isna(by_client(status)[(110, "11")].last_access_at)


def test_two_admins_one_active_holds_one_seat(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    row = by_client(status)[(109, "10")]
    assert row.admin_email == "x1@two.example; x2@two.example"
    assert row.seats_held == 1 and row.seat_held
    assert row.days_since_last_access == 28


def test_reclaimable_is_exactly_the_ex_client_seats(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    assert status.loc[status["reclaimable"], "status"].tolist() == ["seat_held_by_ex_client"]


def test_capacity_row(example):
    cap = gold.build_frames(example, DAY, SETTINGS).capacity
    row = cap.iloc[0]
    assert (row.seats_allocated, row.seats_used, row.seats_free) == (70, 5, 65)
    # seat users (active, not viewers): a, s, g, staff (Demo), u (999), n, x2, owner = 8, each in
    # one category (docs/seats.md): client a, s, n, x2; ex_client g; unmatched staff@ (a
    # workspace without a client id) and u (999); staff owner (Organization Admin, created_by)
    assert row.seat_users == 8
    assert row.seats_held_by_clients == 4
    assert row.seats_held_by_ex_clients == 1
    assert row.seats_held_unmatched == 2
    assert (row.seats_staff, row.seats_no_workspace, row.seats_other) == (1, 0, 1)
    assert row.seats_held_by_inactive_clients == 1  # s serves only 102, which is inactive
    assert row.paying_without_user == 1
    assert row.seats_counter_gap == 5 - 8  # Zoho's counter against the ledger, reported
    assert row.seats_shared == 0


def test_inactive_days_is_configurable(example):
    from dataclasses import replace

    status = gold.build_frames(example, DAY, replace(SETTINGS, inactive_days=100)).status
    assert by_client(status)[(102, "2")].status == "active"


def test_gold_csv_round_trips_with_nulls(example):
    status = gold.build_frames(example, DAY, SETTINGS).status
    text = gold.to_csv_bytes(status).decode()
    assert "NaN" not in text and "<NA>" not in text and "NaT" not in text
    assert "2026-11-28 09:00:00" in text
    back = coerce(pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False),
                  gold.GOLD_STATUS, "round trip")
    pd.testing.assert_frame_equal(back, status)


def test_missing_seat_resource_is_an_error(example):
    example["zoho_seats"] = silver("zoho_seats", [
        {"resource_name": "roUsers", "allocated": 1, "used": 0, "remaining": 1}])
    with pytest.raises(DataQualityError, match="'users' resource"):
        gold.build_frames(example, DAY, SETTINGS)


def test_pattern_without_group_is_an_error(example):
    from dataclasses import replace

    from seatlib.core.config import ZohoSettings

    bad = replace(SETTINGS, zoho=ZohoSettings(client_id_pattern=r"^\d+"))
    with pytest.raises(DataQualityError, match="has no group"):
        gold.build_frames(example, DAY, bad)


def test_client_ids_from_names():
    names = pd.Series(["1234 - ACME", "  77-Foo", "ACME 55", None, "0012 - Zero"])
    out = gold.client_ids(names, SETTINGS).tolist()
    assert (out[0], out[1], out[4]) == (1234, 77, 12)
    assert pd.isna(out[2]) and pd.isna(out[3])


def test_admin_emails_are_distinct_sorted_and_na_when_none():
    admins = pd.DataFrame({
        "workspace_id": pd.array(["b", "a", "b", "b", "c", "a", "b", "b"], dtype="string"),
        "admin_email": pd.array(["z@x.example", "m@x.example", "a@x.example", "z@x.example",
                                 None, None, "é@x.example", "a@x.example"], dtype="string")})
    ids = pd.Series(["a", "b", "c", "d"], index=[10, 11, 12, 13], dtype="string")
    out = gold.admin_emails(admins, ids)
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out[10] == "m@x.example"
    assert out[11] == "a@x.example; z@x.example; é@x.example"  # repeats once, sorted
    assert pd.isna(out[12]) and pd.isna(out[13])  # only a missing address; no admin row at all


def test_admin_emails_in_gold_are_sorted_whatever_the_silver_order(example):
    extra = [ws("10", "109 - Two Admins", "b@two.example"), ws("10", "109 - Two Admins", None)]
    admins = example["zoho_workspace_admins"]
    example["zoho_workspace_admins"] = pd.concat(
        [silver("zoho_workspace_admins", extra), admins], ignore_index=True)
    status = gold.build_frames(example, DAY, SETTINGS).status
    rows = by_client(status)
    assert rows[(109, "10")].admin_email == "b@two.example; x1@two.example; x2@two.example"
    assert pd.isna(rows[(110, "11")].admin_email)


def test_admin_emails_match_a_per_workspace_join_on_random_admins():
    import random

    rng = random.Random(7)
    pool = [None, "a@x.example", "B@x.example", "b@x.example", "ü@x.example", "z@y.example"]
    admins = pd.DataFrame({
        "workspace_id": pd.array([str(rng.randrange(60)) for _ in range(400)], dtype="string"),
        "admin_email": pd.array([rng.choice(pool) for _ in range(400)], dtype="string")})
    ids = pd.Series(sorted({str(i) for i in range(70)}), dtype="string")
    expected = [sorted(set(admins.loc[admins["workspace_id"] == w, "admin_email"].dropna()))
                for w in ids]
    got = gold.admin_emails(admins, ids).tolist()
    assert [None if pd.isna(g) else g for g in got] == ["; ".join(e) if e else None
                                                        for e in expected]
