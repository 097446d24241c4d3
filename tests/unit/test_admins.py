"""Which workspaces' admins the incremental extract asks Zoho for (``seatlib.stages.admins``), on small
frames built by hand: each trigger fires on its own change and on nothing else."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from seatlib.stages import admins
from seatlib.core.contracts import BRONZE
from seatlib.systems.zoho import Admin, Workspace

DAY = date(2026, 11, 29)
PREV = DAY - timedelta(days=1)
REFRESH = 7
TODAY_SLOT = DAY.toordinal() % REFRESH
#: workspace ids whose slot is not today (fetched yesterday, they are not due) and one whose is
QUIET = [i for i in (f"ws{n}" for n in range(200)) if admins.slot(i, REFRESH) != TODAY_SLOT][:4]
SLOTTED = next(i for i in (f"ws{n}" for n in range(200)) if admins.slot(i, REFRESH) == TODAY_SLOT)
A, B, C, D = QUIET


def _users(*rows: tuple) -> pd.DataFrame:
    """(email, active, role, domain) rows as the bronze zoho_users text."""
    return pd.DataFrame([{"email": e, "active": act, "role": role, "domain": dom}
                         for e, act, role, dom in rows], columns=BRONZE["zoho_users"].names)


def _admins(*rows: tuple) -> pd.DataFrame:
    """(workspace_id, admin_email[, admins_fetched_on]) rows as the known admins bronze."""
    out = []
    for ws_id, email, *fetched_on in rows:
        out.append({"workspace_id": ws_id, "workspace_name": f"old {ws_id}",
                    "created_time_ms": "1", "created_by": "", "admin_email": email,
                    "admin_source": "admins", "admin_domain": "",
                    "admins_fetched_on": fetched_on[0] if fetched_on else PREV.isoformat()})
    return pd.DataFrame(out, columns=BRONZE[admins.SOURCE].names)


BEFORE = _users(("ann@x.example", "true", "Workspace Admin", ""),
                ("bob@x.example", "true", "User", ""),
                ("cid@x.example", "false", "User", ""),
                ("dan@x.example", "true", "User", "portal.example"))
KNOWN_ADMINS = _admins((A, "ann@x.example"), (B, "bob@x.example"), (C, "cid@x.example"),
                       (D, "dan@x.example"))


def _known(admin_rows: pd.DataFrame = KNOWN_ADMINS, before: pd.DataFrame = BEFORE):
    users = before.assign(email=before["email"].str.lower()).set_index("email")
    return admins.Known(PREV, admin_rows, users)


def _plan(today: pd.DataFrame, known=None, ids=(A, B, C, D), full=False, refresh=REFRESH):
    known = _known() if known is None else known
    return admins.plan(list(ids), known, today, DAY, refresh, full).reasons


def _today(**changes: tuple) -> pd.DataFrame:
    """BEFORE with some users' rows replaced (key: the local part; None: the user is gone)."""
    rows = []
    for e, act, role, dom in BEFORE.itertuples(index=False):
        new = changes.get(e.split("@")[0], (e, act, role, dom))
        if new is not None:
            rows.append(new)
    return _users(*rows)


def test_nothing_changed_nothing_fetched():
    assert _plan(BEFORE) == {}


def test_a_new_workspace_is_fetched():
    assert _plan(BEFORE, ids=(A, B, "ws-new")) == {"ws-new": "new"}


def test_a_role_change_fetches_the_admins_workspace():
    today = _today(bob=("bob@x.example", "true", "Viewer", ""))
    assert _plan(today) == {B: "admin changed"}


def test_a_domain_change_fetches_the_admins_workspace():
    today = _today(dan=("dan@x.example", "true", "User", "other.example"))
    assert _plan(today) == {D: "admin changed"}


def test_an_active_flag_change_alone_fetches_nothing():
    today = _today(ann=("ann@x.example", "false", "Workspace Admin", ""),
                   cid=("CID@x.example", "true", "User", ""))  # reactivated, other case
    assert _plan(today) == {}


def test_a_vanished_admin_fetches_the_workspace():
    assert _plan(_today(cid=None)) == {C: "admin changed"}


def test_an_admin_absent_from_the_known_users_fetches_the_workspace():
    known = _known(_admins((A, "ann@x.example"), (B, "eve@x.example")))
    today = _users(*BEFORE.itertuples(index=False), ("eve@x.example", "true", "User", ""))
    assert _plan(today, known, ids=(A, B)) == {B: "admin changed"}


def test_a_workspace_is_due_on_its_slot():
    known = _known(_admins((A, "ann@x.example"), (SLOTTED, "bob@x.example")))
    assert _plan(BEFORE, known, ids=(A, SLOTTED)) == {SLOTTED: "due"}


def test_a_workspace_is_due_when_its_oldest_row_is_refresh_days_old():
    old, recent = (DAY - timedelta(days=REFRESH)).isoformat(), (DAY - timedelta(days=1)).isoformat()
    almost = (DAY - timedelta(days=REFRESH - 1)).isoformat()
    known = _known(_admins((A, "ann@x.example", recent), (A, "bob@x.example", old),
                           (B, "cid@x.example", almost)))
    assert _plan(BEFORE, known, ids=(A, B)) == {A: "due"}


def test_the_first_reason_wins():
    today = _today(bob=("bob@x.example", "true", "Viewer", ""))
    known = _known(_admins((A, "ann@x.example"), (SLOTTED, "bob@x.example")))
    assert _plan(today, known, ids=(A, SLOTTED, "ws-new")) == {
        SLOTTED: "admin changed", "ws-new": "new"}


@pytest.mark.parametrize("full, refresh", [(True, REFRESH), (False, 0)])
def test_a_full_refresh_fetches_everything(full, refresh):
    assert _plan(BEFORE, full=full, refresh=refresh) == {i: "full" for i in (A, B, C, D)}


def test_without_known_admins_everything_is_fetched():
    plan = admins.plan([A, B], None, BEFORE, DAY, REFRESH, False)
    assert plan.reasons == {A: "no known admins", B: "no known admins"}
    assert admins.plan([A], None, BEFORE, DAY, REFRESH, True).reasons == {A: "full"}


def test_an_unaccounted_new_active_user_is_found():
    today = _users(*BEFORE.itertuples(index=False),
                   ("New@X.example", "true", "User", ""),  # new and active: unaccounted
                   ("off@x.example", "false", "User", ""),  # new but inactive
                   ("adm@x.example", "true", "User", ""))  # new, but admin of a workspace
    today.loc[today["email"] == "cid@x.example", "active"] = "true"  # reactivated, an admin
    known = _known()
    assert admins.unaccounted(today, known, {"adm@x.example", "cid@x.example"}) == [
        "new@x.example"]
    assert admins.unaccounted(today, known, {"adm@x.example"}) == ["cid@x.example",
                                                                   "new@x.example"]
    assert admins.unaccounted(BEFORE, known, set()) == []


def test_the_slot_is_stable_and_spreads_the_workspaces():
    # pinned: a CRC, not Python's salted hash(), so the same on every machine and run
    assert [admins.slot("176702400000009300101", 7), admins.slot("176702400000009300101", 30),
            admins.slot("ws1", 7)] == [3, 23, 4]
    counts = pd.Series([admins.slot(f"ws{n}", REFRESH) for n in range(7000)]).value_counts()
    assert sorted(counts.index) == list(range(REFRESH))
    assert counts.min() > 900 and counts.max() < 1100


class _Client:
    """admins_for as the Zoho client answers it, recording what was asked."""

    def __init__(self):
        self.asked: list[list[str]] = []

    def admins_for(self, ids):
        self.asked.append(list(ids))
        return {i: ([Admin(f"boss@{i}.example")], "admins") for i in ids}


def _ws(ws_id: str) -> Workspace:
    return Workspace(ws_id, f"today {ws_id}", 5, "maker@x.example", True)


def test_read_reuses_the_known_rows_in_order_with_todays_names():
    known = _known(_admins((B, "bob@x.example"), (A, "ann@x.example"), (B, "cid@x.example")))
    client = _Client()
    frame, plan = admins.read(client, [_ws(B), _ws("ws-new"), _ws(A)], BEFORE, known, DAY,
                              refresh_days=REFRESH, full=False)
    assert client.asked == [["ws-new"]]
    assert plan.counts() == {"new": 1}
    assert frame[["workspace_id", "workspace_name", "admin_email", "admins_fetched_on"]
                 ].values.tolist() == [
        [B, f"today {B}", "bob@x.example", PREV.isoformat()],
        [B, f"today {B}", "cid@x.example", PREV.isoformat()],
        ["ws-new", "today ws-new", "boss@ws-new.example", DAY.isoformat()],
        [A, f"today {A}", "ann@x.example", PREV.isoformat()]]
    assert set(frame["created_time_ms"]) == {"5"}


def test_read_fetches_every_workspace_for_an_unaccounted_user():
    today = _users(*BEFORE.itertuples(index=False), ("new@x.example", "true", "User", ""))
    client = _Client()
    _, plan = admins.read(client, [_ws(i) for i in (A, B, C)], today, _known(), DAY,
                          refresh_days=REFRESH, full=False)
    assert client.asked == [[], [A, B, C]]
    assert plan.counts() == {"unaccounted user": 3}


def test_a_user_listed_under_two_domains_is_one_user_whatever_the_order_of_the_listings():
    """GET /users may list a user once per portal domain; Zoho's order of the listings today
    and bronze's sorted order of the day before must not read as a change."""
    portal = ("dan@x.example", "true", "User", "portal.example")
    other = ("dan@x.example", "false", "User", "other.example")
    rest = [r for r in BEFORE.itertuples(index=False) if r.email != "dan@x.example"]
    known = admins.Known(PREV, KNOWN_ADMINS, admins._by_email(_users(*rest, other, portal)))
    assert admins.plan([A, B, C, D], known, _users(*rest, portal, other), DAY, REFRESH,
                       False).reasons == {}
    third = ("dan@x.example", "true", "User", "third.example")
    assert admins.plan([A, B, C, D], known, _users(*rest, portal, other, third), DAY, REFRESH,
                       False).reasons == {D: "admin changed"}
    merged = known.users.loc["dan@x.example"]
    assert merged.to_dict() == {"active": "true", "role": "User",
                                "domain": "other.example; portal.example"}
