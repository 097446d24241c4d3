"""The reclaim's plan and approval on small gold days built by gold's own rules (docs/seats.md,
docs/reclaim.md): who is proposed and who never is, the ids, approvals by file and by client
ids, the plan's age and the limit."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from seatlib.stages import gold
from seatlib.core.config import ReclaimSettings, Settings
from seatlib.core.errors import ConfigError
from seatlib.systems.lake import Lake
from seatlib.reclaim import check, plan as plans
from tests.unit.test_gold import DAY, access, frames, user, ws

SETTINGS = Settings(reclaim=ReclaimSettings(inactive_days=60, grace_days=30,
                                            staff_domains=("reseller.example",)))


def day_of(admins, users, acc, module, settings=SETTINGS, day=DAY) -> plans.Plan:
    silver = frames(admins, users, acc, [{"client_id": c, "module_active": a}
                                         for c, a in module])
    built = gold.build_frames(silver, day, settings)
    return plans.build(built.ledger, built.status, silver["zoho_workspace_admins"], day,
                       settings.reclaim)


def idle_since(name: str, email: str, days: int) -> dict:
    when = (datetime(2026, 11, 29, 10, tzinfo=timezone.utc) - timedelta(days=days)).isoformat()
    return access(name, email, when)


def test_ex_clients_first_then_idle_paying_clients_longest_idle_first():
    admins = [ws("1", "10 - A", "a@x.example"), ws("2", "11 - B", "b@x.example"),
              ws("3", "12 - C", "c@x.example"), ws("4", "14 - E", "e@x.example"),
              ws("5", "15 - F", "f@x.example"), ws("6", "16 - G", "g@x.example")]
    acc = [idle_since("10 - A", "a@x.example", 40), idle_since("11 - B", "b@x.example", 300),
           idle_since("12 - C", "c@x.example", 90), idle_since("14 - E", "e@x.example", 61),
           idle_since("15 - F", "f@x.example", 45), idle_since("16 - G", "g@x.example", 3)]
    users = [user(f"{c}@x.example") for c in "abcefg"]
    p = day_of(admins, users, acc, [(10, False), (11, True), (12, False), (14, True),
                                    (15, True), (16, True)])
    assert p.rows[["email", "reason", "days_idle"]].values.tolist() == [
        ["c@x.example", "ex_client", 90], ["a@x.example", "ex_client", 40],
        ["b@x.example", "inactive", 300], ["e@x.example", "inactive", 61]]
    assert (p.rows["approve"] == "").all()  # no row is approved in advance
    assert p.rows["modules"].tolist() == ["12:off", "10:off", "11:on", "14:on"]


def test_never_a_seat_that_serves_a_paying_client_an_unknown_workspace_or_staff():
    admins = [ws("1", "20 - Pays", "c@agency.example"), ws("2", "21 - Gone", "c@agency.example"),
              ws("3", "22 - Gone", "u@x.example"), ws("4", "Parceiro sem id", "u@x.example"),
              ws("5", "23 - Gone", "s@reseller.example"), ws("6", "24 - Gone", "v@x.example"),
              ws("7", "25 - Gone", "g@gone.example")]
    users = [user("c@agency.example"), user("u@x.example"), user("s@reseller.example"),
             user("v@x.example", role="Viewer"), user("g@gone.example")]
    acc = [idle_since("20 - Pays", "c@agency.example", 2)]
    p = day_of(admins, users, acc, [(20, True), (21, False), (22, False), (23, False),
                                    (24, False), (25, False)])
    assert p.rows["email"].tolist() == ["g@gone.example"]


def test_exempt_clients_addresses_and_young_workspaces_are_left_out_with_why():
    settings = dataclasses.replace(SETTINGS, reclaim=dataclasses.replace(
        SETTINGS.reclaim, exempt_clients=(30,), exempt_emails=("b@x.example",)))
    admins = [ws("1", "30 - A", "a@x.example"), ws("2", "31 - B", "b@x.example"),
              ws("3", "32 - C", "c@x.example", created="2026-11-11T00:00:00Z"),
              ws("4", "33 - D", "d@x.example")]
    users = [user(f"{c}@x.example") for c in "abcd"]
    p = day_of(admins, users, [], [(30, False), (31, False), (32, False), (33, False)], settings)
    assert p.rows["email"].tolist() == ["d@x.example"]
    why = dict(zip(p.exempt["email"], p.exempt["why"]))
    assert "exempt_clients" in why["a@x.example"] and "exempt_emails" in why["b@x.example"]
    assert "grace_days = 30" in why["c@x.example"]


def test_an_idle_paying_client_busy_in_another_workspace_is_not_proposed():
    admins = [ws("1", "40 - A", "a@a.example"), ws("2", "40 - A bis", "b@a.example"),
              ws("3", "41 - B", "c@b.example"), ws("4", "41 - B (Filial)", None, source="none")]
    acc = [idle_since("40 - A", "a@a.example", 200), idle_since("40 - A bis", "b@a.example", 3),
           idle_since("41 - B", "c@b.example", 273)]
    p = day_of(admins, [user("a@a.example"), user("b@a.example"), user("c@b.example")], acc,
               [(40, True), (41, True)])
    # 40 is busy in its second workspace; 41's second workspace holds no seat: it is idle
    assert p.rows[["email", "days_idle"]].values.tolist() == [["c@b.example", 273]]


def test_row_ids_tell_look_alike_addresses_apart_and_the_plan_id_follows_the_facts():
    admins = [ws("1", "50 - A", "g1@gone.example"), ws("1", "50 - A", "g2@gone.example")]
    users = [user("g1@gone.example"), user("g2@gone.example")]
    p = day_of(admins, users, [], [(50, False)])
    assert len(set(p.rows["row_id"])) == 2  # both mask to g***@gone.example
    same = day_of(admins, users, [], [(50, False)])
    assert same.plan_id == p.plan_id and list(same.rows["row_id"]) == list(p.rows["row_id"])
    later = day_of(admins, users, [], [(50, False)], day=date(2026, 11, 30))
    assert later.plan_id != p.plan_id  # another gold day, another plan


def test_the_plan_file_is_formula_safe_and_masked_unless_shown():
    admins = [ws("1", "60 - A", "=cmd@x.example")]
    p = day_of(admins, [user("=cmd@x.example")], [], [(60, False)])
    masked, shown = p.csv().decode(), p.csv(show=True).decode()
    assert "'=***@x.example" in masked and "=cmd@x.example" not in masked
    assert "'=cmd@x.example" in shown


# -- approvals ----------------------------------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    admins = [ws("1", "70 - A", "ana@x.example"), ws("2", "71 - B", "bo@x.example"),
              ws("3", "72 - C", "cy@x.example"), ws("3", "72 - C", "cy2@x.example"),
              ws("4", "73 - D", "dan@x.example"), ws("4", "73 - D", "dan@y.example"),
              ws("5", "74 - E", "dan@y.example")]
    users = [user(e) for e in ("ana@x.example", "bo@x.example", "cy@x.example",
                               "cy2@x.example", "dan@x.example", "dan@y.example")]
    p = day_of(admins, users, [], [(70, False), (71, False), (72, False), (73, False),
                                   (74, False)])
    lake = Lake(str(tmp_path / "lake"))
    return plans.save(lake, p, None), lake, tmp_path


def approval_file(plan: plans.Plan, folder, yes: list[str]):
    df = pd.read_csv(pd.io.common.BytesIO(plan.csv()), dtype=str, keep_default_na=False)
    df["approve"] = ["yes" if r in yes else "" for r in df["row_id"]]
    path = folder / "any name.csv"
    df.to_csv(path, index=False)
    return path


def test_a_file_approves_its_yes_rows_by_plan_and_row_ids(saved):
    plan, lake, folder = saved
    cy = plan.rows.set_index("email").at["cy@x.example", "row_id"]  # cy2 masks alike
    path = approval_file(plan, folder, [cy])
    got_plan, rows = check.approved(str(path), plan, lake)
    assert got_plan.plan_id == plan.plan_id and rows["email"].tolist() == ["cy@x.example"]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[df["row_id"] == cy, "row_id"] = "rdeadbeef"
    df.to_csv(path, index=False)
    with pytest.raises(ConfigError, match="name row\\(s\\) rdeadbeef that plan"):
        check.approved(str(path), plan, lake)
    df["plan_id"] = "pnotaplan"
    df.to_csv(path, index=False)
    with pytest.raises(ConfigError, match="plan 'pnotaplan' is not in"):
        check.approved(str(path), plan, lake)


def test_client_ids_approve_only_rows_whose_every_client_is_named(saved):
    plan, lake, _ = saved
    _, rows = check.approved("70, 71", plan, lake)
    assert sorted(rows["email"]) == ["ana@x.example", "bo@x.example"]
    with pytest.raises(ConfigError, match="also serves 74"):  # dan@y serves 73 and 74
        check.approved("73", plan, lake)
    _, rows = check.approved("73,74", plan, lake)
    assert sorted(rows["email"]) == ["dan@x.example", "dan@y.example"]
    with pytest.raises(ConfigError, match="client 99 is in no row"):
        check.approved("99", plan, lake)
    with pytest.raises(ConfigError, match="'ten' is not a client id"):
        check.approved("ten", plan, lake)
    assert check.approved(",,,", plan, lake)[1].empty


def test_an_old_plan_or_a_plan_from_old_gold_is_too_old():
    p = plans.Plan("p1", date(2026, 11, 1), datetime(2026, 11, 20, tzinfo=timezone.utc),
                   pd.DataFrame(columns=plans.PLAN_COLUMNS), pd.DataFrame())
    why = check.check_age(p, date(2026, 11, 21), datetime(2026, 11, 23, 1, tzinfo=timezone.utc),
                          ReclaimSettings())
    assert len(why) == 2 and "made 3.0 days ago" in why[0] and "20 days before" in why[1]


def test_the_limit():
    p = plans.Plan("p1", DAY, datetime.now(timezone.utc), pd.DataFrame(), pd.DataFrame())
    s = ReclaimSettings(max_users=10, max_share=0.2)
    assert check.limit(10, 70, p, s, override=False) == ""
    assert "max_users = 10" in check.limit(11, 70, p, s, override=False)
    assert "max_share = 20% of the 40 seats used" in check.limit(9, 40, p, s, override=False)
    dropped = dataclasses.replace(p, overrides="seat_status (gold of D): 64 of 70 changed")
    assert "let through by --allow-drop" in check.limit(1, 70, dropped, s, override=False)
    assert check.limit(11, 70, dropped, s, override=True) == ""
