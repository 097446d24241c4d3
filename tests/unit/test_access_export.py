"""The Access Log's export: the SQL with its cutoff, what the simulator's engine answers to it,
and the export read back with and without the count of future accesses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from seatlib.core.config import ZohoSettings
from seatlib.stages.extract import access_cutoff, access_log_sql, normalize_access_export
from seatlib.sim.export import run_sql
from seatlib.sim.server import AUDIT_WORKSPACE
from seatlib.sim.state import AccessRow, SimWorkspace, ZohoState

CUTOFF = datetime(2026, 11, 29, 6, 10, 0, tzinfo=timezone.utc)


def test_the_cutoff_is_written_as_a_local_time_of_the_audit_zone():
    sql = access_log_sql(ZohoSettings(audit_timezone="America/Sao_Paulo"), CUTOFF)
    assert sql == (
        'SELECT "Workspace Name" AS workspace_name, "Accessed By" AS user_email, '
        'MAX(CASE WHEN "Accessed Time" <= \'2026-11-29 03:10:00\' THEN "Accessed Time" END) '
        'AS last_access_at, '
        'SUM(CASE WHEN "Accessed Time" > \'2026-11-29 03:10:00\' THEN 1 ELSE 0 END) '
        'AS future_accesses FROM "Access Log" GROUP BY "Workspace Name", "Accessed By"')
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    assert "'2026-07-01 14:00:00'" in access_log_sql(ZohoSettings(audit_timezone="Europe/Berlin"),
                                                     summer)


def test_the_cutoff_is_the_extracts_start_plus_the_tolerance():
    started = datetime(2026, 11, 29, 6, 0, 30, tzinfo=timezone.utc)
    assert access_cutoff(started, ZohoSettings()) == started + timedelta(minutes=10)
    assert access_cutoff(started, ZohoSettings(future_tolerance_minutes=0)) == started
    assert access_cutoff(started, ZohoSettings(future_tolerance_minutes=90)) == datetime(
        2026, 11, 29, 7, 30, 30, tzinfo=timezone.utc)


def test_a_cutoff_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="cutoff 2026-11-29 06:10:00 has no time zone"):
        access_log_sql(ZohoSettings(), CUTOFF.replace(tzinfo=None))


def test_a_table_name_with_a_quote_stays_one_identifier():
    sql = access_log_sql(ZohoSettings(access_log_table='Access "Log"'), CUTOFF)
    assert sql.endswith('FROM "Access ""Log""" GROUP BY "Workspace Name", "Accessed By"')


def _state(*rows: AccessRow) -> tuple[ZohoState, SimWorkspace]:
    audit = SimWorkspace("1767024000000060005", AUDIT_WORKSPACE, 0, "bi@r.example")
    state = ZohoState(org_id="1", org_name="r", as_of=CUTOFF, owner_email="bi@r.example",
                      workspaces=(audit,), users=(), access_log=rows)
    return state, audit


def _at(minutes: int) -> datetime:
    return CUTOFF + timedelta(minutes=minutes)


def test_the_simulators_engine_answers_the_sql_with_the_future_left_out_and_counted():
    state, audit = _state(
        AccessRow(_at(-60), "ana@a.example", "1 - A"), AccessRow(_at(0), "ana@a.example", "1 - A"),
        AccessRow(_at(1), "ana@a.example", "1 - A"), AccessRow(_at(600), "ana@a.example", "1 - A"),
        AccessRow(_at(-5), "", "1 - A"),  # a public visitor
        AccessRow(_at(365 * 24 * 60), "bob@b.example", "2 - B"))  # only in the future
    columns, rows = run_sql(state, audit, access_log_sql(ZohoSettings(), CUTOFF), AUDIT_WORKSPACE)
    assert columns == ["workspace_name", "user_email", "last_access_at", "future_accesses"]
    assert sorted(rows) == [("1 - A", "", "2026-11-29 06:05:00", 0),
                            ("1 - A", "ana@a.example", "2026-11-29 06:10:00", 2),
                            ("2 - B", "bob@b.example", None, 1)]


def test_an_export_without_future_accesses_counts_none():
    raw = pd.DataFrame({"workspace_name": ["1 - A", "1 - A"], "user_email": ["x@a.com", ""],
                        "last_access_at": ["2026-11-28 10:00:00", "2026-11-28 11:00:00"]})
    out = normalize_access_export(raw, ZohoSettings(), "yyyy-MM-dd HH:mm:ss")
    assert list(out.columns) == ["workspace_name", "user_email", "last_access_at", "time_format",
                                 "future_accesses"]
    assert out["future_accesses"].tolist() == ["0", "0"]
    assert out["user_email"].tolist() == ["x@a.com", ""]  # the public visitor stays, raw


def test_an_engine_that_ignored_the_group_by_keeps_the_latest_time_and_adds_the_futures():
    raw = pd.DataFrame({"Workspace Name": ["1 - A"] * 3 + ["2 - B"],
                        "Accessed By": ["x@a.com"] * 3 + ["y@b.com"],
                        "last_access_at": ["2026-11-28 10:00:00", "", "2026-11-28 09:00:00", ""],
                        "Future Accesses": ["0", "1", "0", "2"]})
    out = normalize_access_export(raw, ZohoSettings())
    assert out[["workspace_name", "last_access_at", "future_accesses"]].values.tolist() == [
        ["1 - A", "2026-11-28 10:00:00", "1"], ["2 - B", "", "2"]]


def test_an_export_that_kept_the_count_under_its_own_name_is_read():
    raw = pd.DataFrame({"workspace_name": ["1 - A"], "user_email": ["x@a.com"],
                        "last_access_at": ["2026-11-28 10:00:00"], "FUTURE_ACCESSES": ["3"]})
    assert normalize_access_export(raw, ZohoSettings())["future_accesses"].tolist() == ["3"]


def test_two_blank_spellings_of_accessed_by_pass_the_extracts_guard(tmp_path):
    """Zoho groups "" and " " apart; both are no address, merged by silver, not refused."""
    from datetime import date

    from seatlib.stages import extract
    from seatlib.core.config import Settings
    from seatlib.systems.lake import Lake

    raw = pd.DataFrame({"workspace_name": ["1 - A", "1 - A"], "user_email": ["", " "],
                        "last_access_at": ["2026-11-28 10:00:00", "2026-11-28 11:00:00"]})
    df = normalize_access_export(raw, ZohoSettings())
    settings = Settings(lake_url=str(tmp_path / "lake"))
    assert extract._guard(Lake(settings.lake_url), "zoho_last_access", date(2026, 11, 29), df,
                          settings, False) == []
