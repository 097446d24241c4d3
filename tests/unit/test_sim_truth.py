"""The truth by user (docs/seats.md) on a handful of hand-made facts: one case a line."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from seatlib.sim.truth import Facts, UserFact, WorkspaceFact, truth_by_user

DAY = date(2026, 12, 7)
AT = datetime(2026, 12, 7, 6, tzinfo=timezone.utc)
OLD = AT - timedelta(days=400)


def ws(ws_id: str, name: str, admins: tuple[str, ...], last_days: int | None = None,
       created: datetime = OLD) -> WorkspaceFact:
    last = AT - timedelta(days=last_days) if last_days is not None else None
    return WorkspaceFact(ws_id, name, created, tuple(sorted(admins)), last)


def user(email: str, active: bool = True, role: str = "User",
         domains: tuple[str, ...] = ("bi.example",)) -> UserFact:
    return UserFact(email, active, role, domains)


FACTS = Facts(
    day=DAY, as_of=AT, seats_allocated=10,
    workspaces=(
        ws("1", "1001 - Paga", ("a@paga.br", "agency@consult.br"), last_days=3),
        ws("2", "1002 - Saiu", ("b@saiu.br", "agency@consult.br"), last_days=200),
        ws("3", "1003 - Saiu Tambem", ("c@tambem.br",), last_days=100),
        ws("4", "1001 - Paga (Filial)", (), created=AT - timedelta(days=5)),
        ws("5", "12345678901234567890 - Holding", ("ti@holding.br",)),
        ws("6", "Demo - Vendas", ("support@reseller.example",), last_days=1),
        ws("7", "1004 - Dorme", ("d@dorme.br",), last_days=90),
        ws("8", "1005 - Sem Lugar", ("e@semlugar.br",)),
    ),
    users=(user("owner@reseller.example", role="Organization Admin"),
           user("support@reseller.example"), user("a@paga.br"),
           user("agency@consult.br", domains=("analytics.zoho.com", "bi.example")),
           user("b@saiu.br", active=False), user("c@tambem.br"), user("ti@holding.br"),
           user("d@dorme.br"), user("e@semlugar.br", active=False), user("loose@nowhere.br"),
           user("viewer@paga.br", role="Viewer")),
    module={1001: True, 1002: False, 1003: False, 1004: True, 1005: True, 1006: True},
    staff=frozenset({"owner@reseller.example", "support@reseller.example"}),
    workspace_owners=frozenset({"owner@reseller.example"}),
    access_future=1, access_without_address=2)


def test_the_ledger_one_category_per_seat_user():
    truth = truth_by_user(FACTS)
    got = {e["email"]: (e["category"], e["shared"], e["reclaimable"], e["clients"])
           for e in truth["ledger"]}
    assert got == {
        "owner@reseller.example": ("staff", False, False, []),
        "support@reseller.example": ("staff", False, False, []),
        "a@paga.br": ("client", False, False, [1001]),
        "agency@consult.br": ("client", True, False, [1001, 1002]),  # a payer: never freed
        "c@tambem.br": ("ex_client", False, True, [1003]),
        "ti@holding.br": ("unmatched", False, False, []),  # 20 digits: no client id
        "d@dorme.br": ("client", False, False, [1004]),
        "loose@nowhere.br": ("no_workspace", False, False, []),
    }
    agency = next(e for e in truth["ledger"] if e["email"] == "agency@consult.br")
    assert agency["paying_clients"] == [1001]
    assert agency["domains"] == ["analytics.zoho.com", "bi.example"]


def test_rows_and_client_status():
    rows = {r["workspace_id"]: r for r in truth_by_user(FACTS)["clients"]}
    main, second = rows["1"], rows["4"]
    assert (main["status"], main["client_status"], main["seats_held"]) == ("active", "active", 2)
    assert (second["status"], second["client_status"]) == ("paying_without_user", "active")
    assert (rows["2"]["status"], rows["2"]["client_status"]) == ("seat_held_by_ex_client",) * 2
    assert rows["2"]["seats_reclaimable"] == 0  # its one seat user serves a payer too
    assert (rows["2"]["admin_shared"], rows["2"]["shared_with"]) == (True, [1001])
    assert rows["3"]["seats_reclaimable"] == 1
    assert (rows["5"]["client_id"], rows["5"]["status"], rows["5"]["seat_held"]) == (
        None, "unmatched", True)
    assert (rows["6"]["status"], rows["6"]["seat_held"]) == ("unmatched", False)  # staff only
    assert (rows["7"]["status"], rows["8"]["status"]) == ("inactive", "paying_without_user")
    no_ws = next(r for r in truth_by_user(FACTS)["clients"] if r["client_id"] == 1006)
    assert (no_ws["workspace_id"], no_ws["status"], no_ws["client_status"]) == (
        None, "unmatched", "unmatched")


def test_capacity():
    cap = truth_by_user(FACTS)["capacity"]
    assert cap == {
        "seats_allocated": 10, "seats_used": 8, "seats_free": 2, "usage_share": 0.8,
        "seat_users": 8, "seats_held_by_clients": 3, "seats_held_by_ex_clients": 1,
        "seats_held_unmatched": 1, "seats_staff": 2, "seats_no_workspace": 1, "seats_other": 3,
        "seats_held_by_inactive_clients": 1, "seats_shared": 1, "seats_counter_gap": 0,
        "paying_without_user": 1, "access_future": 1, "access_without_address": 2,
        "access_ambiguous": 0}


def test_staff_from_the_settings_instead_of_the_world():
    by_domain = truth_by_user(FACTS, staff_emails=(), staff_domains=("reseller.example",))
    assert {e["email"] for e in by_domain["ledger"] if e["category"] == "staff"} == {
        "owner@reseller.example", "support@reseller.example"}
    none = truth_by_user(FACTS, staff_emails=(), staff_domains=())
    categories = {e["email"]: e["category"] for e in none["ledger"]}
    assert categories["owner@reseller.example"] == "staff"  # the role, whatever the settings
    assert categories["support@reseller.example"] == "unmatched"  # admin of "Demo - Vendas"


def test_days_since_last_access_never_below_zero():
    facts = Facts(day=DAY, as_of=AT, seats_allocated=5,
                  workspaces=(ws("1", "1001 - Paga", ("a@paga.br",), last_days=-2),),
                  users=(user("a@paga.br"),), module={1001: True})
    [row] = truth_by_user(facts)["clients"]
    assert row["days_since_last_access"] == 0 and row["status"] == "active"


# -- the demo's reclaims laid over the facts (seatlib.sim.users.facts_with_changes) ---------------

def test_a_deactivation_frees_the_seat_in_the_truth():
    from seatlib.sim.users import Change, facts_with_changes

    truth = truth_by_user(facts_with_changes(FACTS, [Change("c@tambem.br", "deactivate")]))
    assert truth["capacity"]["seats_used"] == truth_by_user(FACTS)["capacity"]["seats_used"] - 1
    assert "c@tambem.br" not in {e["email"] for e in truth["ledger"]}
    [row] = [r for r in truth["clients"] if r["client_id"] == 1003]
    assert row["status"] == "released" and not row["seat_held"]


def test_a_deactivation_that_keeps_its_seat_is_counted_in_the_seats_used_only():
    from seatlib.sim.users import Change, facts_with_changes

    before = truth_by_user(FACTS)["capacity"]
    truth = truth_by_user(facts_with_changes(FACTS, [Change("c@tambem.br", "deactivate",
                                                            keeps_seat=True)]))
    assert truth["capacity"]["seats_used"] == before["seats_used"]
    assert truth["capacity"]["seat_users"] == before["seat_users"] - 1
    assert truth["capacity"]["seats_counter_gap"] == before["seats_counter_gap"] + 1
    assert "c@tambem.br" not in {e["email"] for e in truth["ledger"]}


def test_a_removed_user_is_gone_and_an_activated_one_back():
    from seatlib.sim.users import Change, facts_with_changes

    gone = facts_with_changes(FACTS, [Change("c@tambem.br", "remove"),
                                      Change("c@tambem.br", "activate")])  # too late: gone
    assert "c@tambem.br" not in {u.email for u in gone.users}
    [ws3] = [w for w in gone.workspaces if w.workspace_id == "3"]
    assert ws3.admins == ()
    back = facts_with_changes(FACTS, [Change("b@saiu.br", "activate"),
                                      Change("nobody@x.br", "deactivate")])  # not a user: no-op
    assert truth_by_user(back)["capacity"]["seats_used"] == \
        truth_by_user(FACTS)["capacity"]["seats_used"] + 1
    assert "b@saiu.br" in {e["email"] for e in truth_by_user(back)["ledger"]}
    assert facts_with_changes(FACTS, []) is FACTS


def test_the_worlds_truth_counts_the_seats_the_simulator_serves_after_the_same_changes():
    """One reading of a change for the state served and for the truth: Zoho's counter after a
    reclaim (deactivations, one keeping its seat, a removal) is the truth's seats used."""
    from seatlib.sim.users import Change, apply_changes
    from seatlib.sim.world import World

    world = World(7, hard_cases=True)
    plain = world.truth(DAY)
    ex = [e["email"] for e in plain["ledger"] if e["category"] == "ex_client"][:4]
    assert len(ex) == 4
    changes = [Change(ex[0], "deactivate"), Change(ex[1], "deactivate"),
               Change(ex[2], "deactivate", keeps_seat=True), Change(ex[3], "remove")]
    truth = world.truth(DAY, changes=changes)
    served = apply_changes(world.zoho_state(DAY), changes)
    assert truth["capacity"]["seats_used"] == served.seats_used == \
        plain["capacity"]["seats_used"] - 3
    assert {e["email"] for e in plain["ledger"]} - {e["email"] for e in truth["ledger"]} == \
        set(ex)
    assert not [r for r in truth["clients"] if ex[3] in r["admin_emails"]]  # removed
