"""The reclaim plan from constructed gold days: order, exemptions, staff, grace, approval, CSV."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from seatlib.config import ReclaimSettings
from seatlib.errors import ConfigError
from seatlib.privacy import formula_safe
from seatlib.reclaim import build_plan, select
from tests.fixtures.reclaim import (DAY, admins_frame, gold_frame, gold_row, users_frame)

EX = "seat_held_by_ex_client"
SETTINGS = ReclaimSettings(inactive_days=60, grace_days=30, staff_domains=("reseller.example",))


def plan_of(rows, users, settings=SETTINGS, admins=()):
    return build_plan(gold_frame(rows), users_frame(users), admins_frame(list(admins)), DAY,
                      settings)


def active(*emails, role="User"):
    return [(e, True, role) for e in emails]


def test_ex_clients_first_then_idle_paying_clients_longest_idle_first_ties_by_client_id():
    rows = [gold_row(10, "a@x.example", EX, module=False, idle=40),
            gold_row(11, "b@x.example", "inactive", module=True, idle=300),
            gold_row(12, "c@x.example", EX, module=False, idle=90),
            gold_row(13, "d@x.example", EX, module=False, idle=90),
            gold_row(14, "e@x.example", "inactive", module=True, idle=61),
            gold_row(15, "f@x.example", "inactive", module=True, idle=60),  # not beyond 60
            gold_row(16, "g@x.example", "active", module=True, idle=3)]
    p = plan_of(rows, active(*[f"{c}@x.example" for c in "abcdefg"]))
    got = p.candidates[["client_id", "reason", "days_idle", "approve"]].values.tolist()
    assert got == [[12, EX, 90, "yes"], [13, EX, 90, "yes"], [10, EX, 40, "yes"],
                   [11, "inactive", 300, ""], [14, "inactive", 61, ""]]
    assert p.candidates["rank"].tolist() == [1, 2, 3, 4, 5]


def test_only_active_users_are_proposed_and_each_address_of_a_client_is_a_row():
    rows = [gold_row(10, "a@x.example; old@x.example; z@x.example", EX, module=False)]
    users = active("a@x.example", "z@x.example") + [("old@x.example", False, "User")]
    assert plan_of(rows, users).candidates["email"].tolist() == ["a@x.example", "z@x.example"]


def test_exempt_clients_and_addresses_grace_period_and_staff_are_left_out_with_why():
    settings = dataclasses.replace(SETTINGS, exempt_clients=(10,), exempt_emails=("b@x.example",),
                                   staff_emails=("helper@partner.example",))
    rows = [gold_row(10, "a@x.example", EX, module=False),
            gold_row(11, "b@x.example", EX, module=False),
            gold_row(12, "c@x.example", EX, module=False, created="2026-02-20"),  # 18 days old
            gold_row(13, "staff@reseller.example; helper@partner.example; owner@x.example; "
                         "boss@x.example; d@x.example", EX, module=False),
            gold_row(14, "e@x.example", EX, module=False, created="2026-02-01")]  # 37 days old
    users = (active("a@x.example", "b@x.example", "c@x.example", "staff@reseller.example",
                    "helper@partner.example", "owner@x.example", "d@x.example", "e@x.example")
             + active("boss@x.example", role="Organization Admin"))
    admins = admins_frame([(13, "d@x.example")], created_by="owner@x.example")
    p = build_plan(gold_frame(rows), users_frame(users), admins, DAY, settings)
    assert p.candidates["email"].tolist() == ["d@x.example", "e@x.example"]
    why = dict(zip(p.exempt["email"], p.exempt["why"]))
    assert "exempt_clients" in why["a@x.example"]
    assert "exempt_emails" in why["b@x.example"]
    assert "grace_days" in why["c@x.example"] and "18 day(s)" in why["c@x.example"]
    assert "staff" in why["staff@reseller.example"] and "staff" in why["helper@partner.example"]
    assert "created_by" in why["owner@x.example"]
    assert "Organization Admin".lower() in why["boss@x.example"]


def test_active_module_clients_need_naming_and_ids_must_be_candidates():
    rows = [gold_row(10, "a@x.example", EX, module=False),
            gold_row(11, "b@x.example", "inactive", module=True, idle=300),
            gold_row(12, "c@x.example", "active", module=True, idle=2)]
    p = plan_of(rows, active("a@x.example", "b@x.example", "c@x.example"),
                dataclasses.replace(SETTINGS, exempt_clients=(13,)))
    assert select(p, "").empty and select(p, None).empty
    assert select(p, "10, 11")["client_id"].tolist() == [10, 11]  # 11 named explicitly
    with pytest.raises(ConfigError, match="client 12 is not a candidate.*holds no seat"):
        select(p, "10,12")
    with pytest.raises(ConfigError, match="'ten' is not a client id"):
        select(p, "ten")


def test_plan_file_approves_rows_marked_yes_masked_or_not_and_rejects_stale_rows(tmp_path):
    rows = [gold_row(10, "ana@x.example", EX, module=False),
            gold_row(11, "bo@x.example", "inactive", module=True, idle=300),
            gold_row(12, "cy@x.example", EX, module=False)]
    p = plan_of(rows, active("ana@x.example", "bo@x.example", "cy@x.example"))
    path = tmp_path / "plan.csv"
    path.write_bytes(p.to_csv())  # masked; the paying client's row is not pre-approved
    assert sorted(select(p, str(path))["client_id"]) == [10, 12]
    edited = pd.read_csv(path, dtype=str, keep_default_na=False)
    edited["approve"] = edited["client_id"].map({"10": "no", "11": "YES", "12": ""})
    edited.to_csv(path, index=False)
    assert select(p, str(path))["client_id"].tolist() == [11]  # named explicitly
    edited.loc[edited["client_id"] == "11", "email"] = "someone@else.example"
    edited.to_csv(path, index=False)
    with pytest.raises(ConfigError, match="plan.csv, line 4: client 11.*not a candidate"):
        select(p, str(path))


def test_plan_csv_is_formula_safe_and_masked_unless_shown():
    rows = [gold_row(10, "=cmd@x.example", EX, module=False)]
    rows[0]["workspace_name"] = "=HYPERLINK(\"http://evil\")"
    p = plan_of(rows, active("=cmd@x.example"))
    masked, shown = p.to_csv().decode(), p.to_csv(show=True).decode()
    assert "'=HYPERLINK" in masked and "'=***@x.example" in masked
    assert "'=cmd@x.example" in shown and "=cmd@x.example" not in masked
    cells = pd.DataFrame({"c": pd.Series(["+1", "-1", "@a", "\tx", "\rx", "ok", 5, -5],
                                         dtype="object")})
    assert formula_safe(cells)["c"].tolist() == ["'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", 5, -5]


def test_domain_comes_from_silver_when_it_has_the_column():
    rows = [gold_row(10, "p@portal.example", EX, module=False)]
    users = users_frame([("p@portal.example", True, "User", "reports.brand.example")],
                        domains=True)
    p = build_plan(gold_frame(rows), users, admins_frame([]), DAY, SETTINGS)
    assert p.candidates["domain"].tolist() == ["reports.brand.example"]


def consultant_rows():
    """c@agency administers 1019 (pays, busy) and 1020 (cancelled); 1021 cancelled, alone."""
    return [gold_row(1019, "c@agency.example; p@pays.example", "active", module=True, idle=2),
            gold_row(1020, "c@agency.example", EX, module=False, idle=100),
            gold_row(1021, "g@gone.example", EX, module=False, idle=100)]


def test_a_seat_shared_with_a_paying_client_is_never_proposed_from_gold_rows():
    p = plan_of(consultant_rows(), active("c@agency.example", "p@pays.example", "g@gone.example"))
    assert p.candidates["email"].tolist() == ["g@gone.example"]
    why = p.exempt.set_index("email")["why"]
    assert why["c@agency.example"].startswith("shared seat: also serves paying client(s) 1019")


def test_a_seat_shared_with_a_paying_client_is_never_proposed_from_the_ledger():
    ledger = pd.DataFrame({"email": ["c@agency.example", "g@gone.example", "p@pays.example"],
                           "clients": ["1019; 1020", "1021", "1019"],
                           "paying_clients": ["1019", None, "1019"],
                           "category": ["client", "ex_client", "client"]})
    p = build_plan(gold_frame(consultant_rows()),
                   users_frame(active("c@agency.example", "p@pays.example", "g@gone.example")),
                   admins_frame([]), DAY, SETTINGS, ledger)
    assert p.candidates["email"].tolist() == ["g@gone.example"]
    assert "c@agency.example" in set(p.exempt["email"])


def test_an_idle_paying_client_busy_in_another_workspace_is_not_proposed():
    rows = [gold_row(1030, "a@a.example", "inactive", module=True, idle=200),
            dict(gold_row(1030, "b@a.example", "active", module=True, idle=3),
                 workspace_id="other-ws")]
    p = plan_of(rows, active("a@a.example", "b@a.example"))
    assert p.candidates.empty
