"""Guards against bad input, fed through the real stand-ins (Zoho simulator, company PostgreSQL).

One demo environment for the module: day ``DAY - 1`` fully built (bronze, silver, gold,
warehouse) and a first, good run of ``DAY`` (bronze and silver). Each test then serves a bad
answer (a state swapped into the simulator, a broken module-status query, a hand-edited bronze
file), calls the stage in-process and checks that the guard stops it with a message naming the
source, the column and the file, and that not one byte of the lake changed. After each test the
stand-ins and the lake are put back as they were.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.run import demo
from seatlib.stages import extract, gold, gold_history, load, silver
from seatlib.core.contracts import SOURCES
from seatlib.core.errors import ConfigError, DataQualityError
from seatlib.systems.lake import Lake, bronze_key, days_in, gold_key, silver_key
from seatlib.sim.state import SimUser
from seatlib.stages import StageOptions
from seatlib.systems import Systems
from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config

DAY = date(2026, 11, 20)
PREV = DAY - timedelta(days=1)


@dataclasses.dataclass
class Stand:
    env: demo.DemoEnvironment
    settings: cfg.Settings
    lake: Lake
    baseline: dict[str, bytes]

    def snapshot(self) -> dict[str, bytes]:
        return lake_snapshot(self.lake)

    def bronze_rows(self, source: str, day: date = DAY) -> int:
        return len(self.lake.read_csv(bronze_key(source, day), dtype=str, keep_default_na=False))


def on(stand_or_settings, settings: cfg.Settings | None = None) -> Systems:
    """The stand's systems, with ``settings`` instead of its own where given."""
    stand = stand_or_settings
    return dataclasses.replace(stand.env.systems, settings=settings or stand.settings)


REPLAY = StageOptions(allow_replay=True)
REPLAY_DROP = StageOptions(allow_replay=True, allow_drop=True)


def lake_snapshot(lake: Lake) -> dict[str, bytes]:
    """Every file of the lake, by key, with its bytes."""
    return {key: lake.read_bytes(key) for key in lake.list("")}


def restore_lake(lake: Lake, files: dict[str, bytes]) -> None:
    """Put the lake back to ``files``: rewrite what changed, delete what is new."""
    for key in set(lake.list("")) - set(files):
        Path(lake.uri(key)).unlink()
    for key, data in files.items():
        if not lake.exists(key) or lake.read_bytes(key) != data:
            lake.write_bytes(key, data)


@pytest.fixture(scope="module")
def stand(tmp_path_factory) -> Stand:
    tmp = tmp_path_factory.mktemp("guards_e2e")
    with outside_pytest_tmp() as home, \
            demo.DemoEnvironment(cfg.load_settings(safe_demo_config(tmp, home))) as env:
        assert env.fill_history(DAY, 1) == [PREV]
        env.set_day(DAY)
        extract.run(DAY, env.systems, REPLAY)
        silver.run(DAY, env.systems)
        lake = Lake(env.settings.lake_url)
        yield Stand(env, env.settings, lake, lake_snapshot(lake))


@pytest.fixture(autouse=True)
def clean_stand(stand: Stand):
    """Each test starts from the good state and leaves it so, whatever it broke."""
    yield
    stand.env.sim.clear_faults()
    stand.env.set_day(DAY)
    restore_lake(stand.lake, stand.baseline)


@pytest.fixture
def seatlib_log(caplog):
    """caplog for the ``seatlib`` loggers (the runner may have turned off their propagation)."""
    logger = logging.getLogger("seatlib")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.INFO)
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


@contextlib.contextmanager
def lake_unchanged(stand: Stand):
    """Assert that the block leaves every file of the lake byte for byte as it was."""
    before = stand.snapshot()
    yield
    after = stand.snapshot()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"the failed stage changed {changed}"


def serve(stand: Stand, **changes) -> None:
    """Make the simulator serve today's state with ``changes`` (ZohoState fields)."""
    stand.env.sim.set_state(dataclasses.replace(stand.env.world.zoho_state(DAY), **changes))


# -- the company database ------------------------------------------------------------------------

BAD_QUERIES = {
    "duplicate client id": (
        "SELECT client_id, bi_module_active AS module_active FROM app.clients "
        "UNION ALL SELECT client_id, bi_module_active FROM app.clients "
        "WHERE client_id = (SELECT MIN(client_id) FROM app.clients)",
        r"1 client_id\(s\) appear more than once: \[\d+\]"),
    "missing column": (
        "SELECT client_id FROM app.clients",
        r"missing column 'module_active'; the query returned columns \['client_id'\]"),
    "renamed column": (
        "SELECT client_id, bi_module_active FROM app.clients",
        r"missing column 'module_active'.*\(alias it: \.\.\. AS module_active\)"),
    "wrong type of flag": (
        "SELECT client_id, name AS module_active FROM app.clients",
        r"module_active '.+' for client_id \d+ is not a boolean"),
    "wrong type of id": (
        "SELECT name AS client_id, bi_module_active AS module_active FROM app.clients",
        r"client_id '.+' is not an integer"),
}


@pytest.mark.parametrize("case", list(BAD_QUERIES))
def test_bad_company_answer_stops_the_extract(stand, case):
    sql, message = BAD_QUERIES[case]
    settings = dataclasses.replace(stand.settings, module_status_query=sql)
    with lake_unchanged(stand), pytest.raises(DataQualityError, match=message) as caught:
        extract.run(DAY, on(stand, settings), REPLAY, sources=("module_status",))
    assert "module status query" in str(caught.value)  # names the source: the configured query


# -- volume guards -------------------------------------------------------------------------------

def test_half_the_users_gone_stops_the_extract_unless_allowed(stand, seatlib_log):
    users = stand.env.world.zoho_state(DAY).users
    kept = users[::2]
    before = stand.bronze_rows("zoho_users", PREV)
    drop = 1 - len(kept) / before
    assert drop > stand.settings.max_drop_share
    serve(stand, users=kept)

    expected = (rf"zoho_users \(extract of {DAY}\): {len(kept)} rows against {before} on {PREV}, "
                rf"a drop of {drop:.0%} \(limit 30%\); nothing was written\. If this is real, "
                rf"re-run with --allow-drop")
    with lake_unchanged(stand), pytest.raises(DataQualityError, match=expected):
        extract.run(DAY, on(stand), REPLAY, sources=("zoho_users",))

    result = extract.run(DAY, on(stand), REPLAY_DROP, sources=("zoho_users",))
    assert result.rows == {"zoho_users": len(kept)} == {"zoho_users": stand.bronze_rows("zoho_users")}
    assert "(allowed by --allow-drop)" in seatlib_log.text


def test_half_the_clients_gone_from_the_company_database_stops_the_extract(stand):
    before = stand.bronze_rows("module_status", PREV)
    settings = dataclasses.replace(
        stand.settings, module_status_query=stand.settings.module_status_query.rstrip()
        + " AND client_id % 2 = 0")
    with lake_unchanged(stand), pytest.raises(
            DataQualityError, match=rf"module_status \(extract of {DAY}\): \d+ rows against "
                                    rf"{before} on {PREV}, a drop of \d+% \(limit 30%\)"):
        extract.run(DAY, on(stand, settings), REPLAY, sources=("module_status",))


def test_a_user_listed_twice_under_one_domain_stops_the_extract(stand):
    """Once per portal domain is a user's listings (tests/stages/test_extract_to_silver.py);
    twice under the same domain is not an answer to trust."""
    users = stand.env.world.zoho_state(DAY).users
    serve(stand, users=users + (users[5],))
    with lake_unchanged(stand), pytest.raises(
            DataQualityError, match=rf"zoho_users \(extract of {DAY}\): 2 rows share a key "
                                    rf"\['email', 'domain'\]; e\.g\. \[\{{'email': "
                                    rf"'{re.escape(users[5].email)}', 'domain': '[a-z.]+'\}}\]"):
        extract.run(DAY, on(stand), REPLAY, sources=("zoho_users",))


def test_a_small_drop_passes(stand):
    users = stand.env.world.zoho_state(DAY).users
    serve(stand, users=users[: int(len(users) * 0.8)])
    assert extract.run(DAY, on(stand), REPLAY, sources=("zoho_users",)).rows


@pytest.mark.parametrize("source, change", [("zoho_users", {"users": ()}),
                                            ("zoho_last_access", {"access_log": ()})])
def test_an_empty_answer_stops_the_extract_unless_allowed(stand, seatlib_log, source, change):
    serve(stand, **change)
    with lake_unchanged(stand), pytest.raises(
            DataQualityError, match=rf"{source} \(extract of {DAY}\): the extract is empty; "
                                    rf"nothing was written\. If this is real, re-run with --allow-drop"):
        extract.run(DAY, on(stand), REPLAY, sources=(source,))

    assert extract.run(DAY, on(stand), REPLAY_DROP, sources=(source,)).rows == {source: 0}
    assert stand.bronze_rows(source) == 0
    assert f"{source} (extract of {DAY}): the extract is empty (allowed by --allow-drop)" in seatlib_log.text


# -- malformed e-mail addresses ------------------------------------------------------------------

def test_a_malformed_email_is_flagged_not_fatal(stand, seatlib_log):
    state = stand.env.world.zoho_state(DAY)
    serve(stand, users=state.users + (SimUser("no-at-sign.example.com", active=True),))

    result = extract.run(DAY, on(stand), REPLAY, sources=("zoho_users",))

    assert result.bad_emails == {"zoho_users": ["no-at-sign.example.com"]}
    assert "zoho_users: 1 malformed e-mail address(es) in 'email'" in seatlib_log.text
    text = stand.lake.read_bytes(bronze_key("zoho_users", DAY)).decode()
    assert "no-at-sign.example.com" in text  # kept: the user may still hold a seat
    frames = silver.run(DAY, on(stand))  # and the next stage takes it
    assert "no-at-sign.example.com" in set(frames["zoho_users"]["email"])


# -- bronze edited by hand: silver's contract checks ----------------------------------------------

def _rename_email_column(text: str) -> str:
    header, rest = text.split("\n", 1)
    return header.replace("email", "e_mail") + "\n" + rest


def _bad_flag(text: str) -> str:
    lines = text.split("\n")
    lines[1] = lines[1].replace(",true,", ",maybe,").replace(",false,", ",maybe,")
    return "\n".join(lines)


def _duplicate_row(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:2] + lines[1:])


BRONZE_EDITS = {
    "renamed column": (_rename_email_column,
                       r"zoho_users \({file}\): missing column\(s\) \['email'\] and unexpected "
                       r"column\(s\) \['e_mail'\]; expected \['email', 'active', 'role', 'domain'\]"),
    "wrong type": (_bad_flag,
                   r"zoho_users \({file}\): column 'active' should be a boolean; "
                   r"bad value\(s\) \['maybe'\]"),
    "duplicate key": (_duplicate_row,  # the key the extract guaranteed, checked again
                      r"zoho_users \({file}\): 2 rows share a key \['email', 'domain'\]; "
                      r"e\.g\. \[\{{'email': '.+@.+', 'domain': '.+'\}}\]"),
}


@pytest.mark.parametrize("case", list(BRONZE_EDITS))
def test_a_broken_bronze_file_stops_silver_with_silver_untouched(stand, case):
    edit, message = BRONZE_EDITS[case]
    key = bronze_key("zoho_users", DAY)
    path = Path(stand.lake.uri(key))
    path.write_text(edit(path.read_text()))
    silver_before = {k: v for k, v in stand.snapshot().items() if k.startswith("silver/")}
    assert silver_key("zoho_users", DAY) in silver_before

    with lake_unchanged(stand), pytest.raises(DataQualityError) as caught:
        silver.run(DAY, on(stand))

    assert re.search(message.format(file=re.escape(str(path))), str(caught.value)), caught.value


# -- a failed extract and the bronze of an earlier run of the same day ---------------------------

def test_a_failed_extract_leaves_the_previous_run_of_the_day_whole(stand):
    state = stand.env.world.zoho_state(DAY)
    serve(stand, users=state.users + (SimUser("late.joiner@example.com", active=False),))
    settings = dataclasses.replace(stand.settings, module_status_query="SELECT client_id FROM app.clients")
    with lake_unchanged(stand), pytest.raises(DataQualityError, match="module_active"):
        extract.run(DAY, on(stand, settings), REPLAY)


# -- a past day ----------------------------------------------------------------------------------

def test_extracting_a_past_day_is_refused_without_calling_zoho(stand):
    stand.env.sim.reset_stats()
    with lake_unchanged(stand), pytest.raises(
            ConfigError, match=rf"cannot extract {DAY}: Zoho answers only for today .*--backfill"):
        extract.run(DAY, on(stand))
    assert stand.env.sim.stats["requests_total"] == 0
    assert stand.env.sim.stats["token_requests"] == 0


def test_the_good_day_is_still_whole(stand):
    """The fixture's own check: every source of both days has bronze and silver."""
    for day in (PREV, DAY):
        for source in SOURCES:
            assert stand.lake.exists(bronze_key(source, day))
            assert stand.lake.exists(silver_key(source, day))


# -- every stage that replaces a day guards its write ---------------------------------------------

def _keep_rows(n: int):
    """Cut a CSV after its header and ``n`` rows: still valid CSV, on a row boundary."""
    def edit(text: str) -> str:
        return "\n".join(text.split("\n")[: n + 1]) + "\n"
    return edit


def _edit_bronze(stand: Stand, source: str, edit, day: date = DAY) -> Path:
    path = Path(stand.lake.uri(bronze_key(source, day)))
    path.write_text(edit(path.read_text()))
    return path


def _set_seats(allocated: str, used: str):
    def edit(text: str) -> str:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("users,"):
                lines[i] = f"users,{allocated},{used},"
        return "\n".join(lines)
    return edit


SILVER_CASES = {
    "zoho_users cut short": (
        "zoho_users", lambda stand: _keep_rows(stand.bronze_rows("zoho_users") * 44 // 100),
        r"zoho_users \(silver of {day}\): \d+ rows against \d+ already there for {day}, a drop "
        r"of 5[56]% \(limit 30%\); nothing was written: the lake is as it was\. If this is real, "
        r"re-run with --allow-drop"),
    "module_status header only": (
        "module_status", lambda stand: _keep_rows(0),
        r"module_status \(silver of {day}\): no rows to write; nothing was written: the lake is "
        r"as it was\. If this is real, re-run with --allow-drop"),
    "negative allocation": (
        "zoho_seats", lambda stand: _set_seats("-70", "70"),
        r"zoho_seats \(silver of {day}\): allocated should be above 0; allocated/used "
        r"\['-70/70'\]; nothing was written\. This is not a drop --allow-drop could allow"),
    "absurd seats used": (
        "zoho_seats", lambda stand: _set_seats("70", "99999"),
        r"zoho_seats \(silver of {day}\): used should be at most 2 x allocated; "
        r"allocated/used \['70/99999'\]"),
}


@pytest.mark.parametrize("case", list(SILVER_CASES))
def test_bad_bronze_stops_silver_with_the_lake_untouched(stand, case):
    source, edit, message = SILVER_CASES[case]
    _edit_bronze(stand, source, edit(stand))
    with lake_unchanged(stand), pytest.raises(DataQualityError) as caught:
        silver.run(DAY, on(stand))
    assert re.search(message.format(day=DAY), str(caught.value)), caught.value


def test_a_cut_bronze_goes_through_silver_with_allow_drop_and_says_so(stand, seatlib_log):
    _edit_bronze(stand, "zoho_users", _keep_rows(stand.bronze_rows("zoho_users") // 2))
    frames = silver.run(DAY, on(stand), StageOptions(allow_drop=True))
    cut = stand.lake.read_csv(bronze_key("zoho_users", DAY), dtype=str, keep_default_na=False)
    assert len(frames["zoho_users"]) == cut["email"].str.lower().nunique()  # one per address
    assert f"zoho_users (silver of {DAY}): " in seatlib_log.text
    assert "(allowed by --allow-drop)" in seatlib_log.text


def test_gold_refuses_a_day_where_every_client_is_unmatched(stand):
    settings = dataclasses.replace(stand.settings, zoho=dataclasses.replace(
        stand.settings.zoho, client_id_pattern=r"^CLIENT-(\d+)"))
    with lake_unchanged(stand), pytest.raises(
            DataQualityError, match=rf"seat_status \(gold of {DAY}\): (\d+) of \1 rows are "
                                    rf"unmatched \(100%, limit \[guards\] max_unmatched_share "
                                    rf"20%\)"):
        gold.run(DAY, on(stand, settings))


def test_gold_refuses_to_shrink_the_day_before_by_a_third(stand):
    """silver of the day lost most clients (allowed there): gold compares with the day before."""
    _edit_bronze(stand, "zoho_workspace_admins", _keep_rows(60))
    _edit_bronze(stand, "module_status", _keep_rows(60))
    silver.run(DAY, on(stand), StageOptions(allow_drop=True))
    with lake_unchanged(stand), pytest.raises(
            DataQualityError, match=rf"seat_status \(gold of {DAY}\): \d+ rows against \d+ on "
                                    rf"{PREV}, a drop of \d+% \(limit 30%\)"):
        gold.run(DAY, on(stand))


def test_every_module_turned_off_in_one_day_is_refused_by_gold_and_load(stand):
    """The company's flags all false (a broken query, a migration gone wrong): every paying
    client becomes an ex-client holding a seat, which the reclaim would offer. Rows do not drop,
    so only the guard on changed answers (docs/seats.md) stops it."""
    import psycopg

    with psycopg.connect(stand.env.pg.dsn()) as conn:
        conn.execute("UPDATE app.clients SET bi_module_active = false")
    extract.run(DAY, on(stand), REPLAY, sources=("module_status",))
    silver.run(DAY, on(stand))
    moves = r"\d+ of \d+ module clients changed status since the day before \(\d+%.*" \
            r"active -> seat_held_by_ex_client: \d+"
    with lake_unchanged(stand), pytest.raises(DataQualityError, match=moves):
        gold.run(DAY, on(stand))

    gold.run(DAY, on(stand), StageOptions(allow_drop=True))  # the person says it is real
    overrides = gold.read_day(stand.lake, "seat_capacity", DAY)["overrides"].iloc[0]
    assert re.search(moves, overrides) and "module clients" in overrides
    try:
        with pytest.raises(DataQualityError, match=moves):
            load.run(DAY, on(stand))
        assert _warehouse_day(stand, DAY) == []
        load.run(DAY, on(stand), StageOptions(allow_drop=True))
        assert _warehouse_day(stand, DAY)
    finally:
        with stand.env.systems.warehouse() as wh:
            for table in ("seat_status_daily", "seat_capacity_daily", "seat_ledger_daily"):
                wh.execute(f"DELETE FROM {stand.settings.warehouse_schema}.{table} "
                           f"WHERE snapshot_date = %s", (DAY,))


def _warehouse_day(stand: Stand, day: date) -> list[tuple]:
    schema = stand.settings.warehouse_schema
    with stand.env.systems.warehouse() as wh:
        rows = []
        for table in ("seat_status_daily", "seat_capacity_daily"):
            df = wh.fetch_frame(f"SELECT * FROM {schema}.{table} WHERE snapshot_date = %s", (day,))
            rows += sorted(map(repr, df.itertuples(index=False, name=None)))
    return rows


def _edit_gold(stand: Stand, table: str, edit) -> None:
    path = Path(stand.lake.uri(gold_key(table, PREV)))
    path.write_text(edit(path.read_text()))


def _replace_in_rows(old: str, new: str):
    return lambda text: text.replace(old, new)


LOAD_CASES = {
    "a status outside the six": (
        "seat_status", _replace_in_rows(",released,", ",pwned,"),
        r"seat_status \(.+/gold/seat_status/{prev}\.csv\): status \['pwned'\] is not one of"),
    "a negative allocation": (
        "seat_capacity", lambda text: text.replace("\n" + str(PREV) + ",70,", "\n" + str(PREV) + ",-70,"),
        r"seat_capacity \(.+\): allocated should be above 0; allocated/used \['-70/"),
    "a gold file cut short": (
        "seat_status", _keep_rows(100),
        r"seat_status \(.+\): 100 rows against \d+ already there for {prev} in "
        r"seat_monitor\.seat_status_daily, a drop of \d+% \(limit 30%\); nothing was loaded: "
        r"the warehouse day is as it was\. If this is real, re-run with --allow-drop"),
}


@pytest.mark.parametrize("case", list(LOAD_CASES))
def test_a_bad_gold_file_is_not_loaded(stand, case):
    table, edit, message = LOAD_CASES[case]
    before = _warehouse_day(stand, PREV)
    assert before
    _edit_gold(stand, table, edit)
    with pytest.raises(DataQualityError) as caught:
        load.run(PREV, on(stand))
    assert re.search(message.format(prev=PREV), str(caught.value)), caught.value
    assert _warehouse_day(stand, PREV) == before


def test_module_status_in_another_order_writes_the_same_bronze(stand):
    """The company query has no ORDER BY: a re-run after a kill may get the rows in another
    order, and must still write the same bytes."""
    key = bronze_key("module_status", DAY)
    first = stand.lake.read_bytes(key)
    settings = dataclasses.replace(stand.settings, module_status_query=(
        stand.settings.module_status_query.rstrip() + " ORDER BY client_id DESC"))
    extract.run(DAY, on(stand, settings), REPLAY, sources=("module_status",))
    assert stand.lake.read_bytes(key) == first
    ids = [int(line.split(",")[0]) for line in first.decode().splitlines()[1:]]
    assert ids == sorted(ids) and len(ids) > 100


def test_gold_cut_short_before_its_capacity_file_is_rebuilt_whole(stand, monkeypatch):
    """gold killed after the compact history and the status CSV, before the capacity CSV: the
    day has no capacity file, which is what the daily run's catch-up looks for, so the next run
    rebuilds it; the rebuilt lake equals a clean run's, byte for byte."""
    gold.run(DAY, on(stand))
    clean = stand.snapshot()
    restore_lake(stand.lake, stand.baseline)

    class Killed(Exception):
        pass

    real_write = Lake.write_bytes

    def write(self, key, data):
        if key == gold_key("seat_capacity", DAY):
            raise Killed(key)
        return real_write(self, key, data)

    monkeypatch.setattr(Lake, "write_bytes", write)
    with pytest.raises(Killed):
        gold.run(DAY, on(stand))
    monkeypatch.undo()
    assert DAY in set(gold_history.read_summary(stand.lake)["snapshot_date"])
    assert stand.lake.exists(gold_key("seat_status", DAY))
    assert DAY not in days_in(stand.lake, "gold/seat_capacity/")  # so catch-up rebuilds it
    gold.run(DAY, on(stand))
    assert stand.snapshot() == clean
