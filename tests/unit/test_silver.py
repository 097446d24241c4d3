"""Bronze -> silver: typing, defensive time parsing, and clear errors on broken input."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from seatlib.stages import silver
from seatlib.core.config import Settings, ZohoSettings
from seatlib.core.errors import DataQualityError, LakeError
from seatlib.systems.lake import Lake, bronze_key, silver_key
from seatlib.systems import Systems
from seatlib.core.contracts import BRONZE as BRONZE_CONTRACTS, fill_added
from seatlib.systems.zoho.records import DateFormatError, java_to_strptime, parse_access_time

DAY = date(2026, 11, 29)


def settings_for(tmp_path) -> Settings:
    return Settings(lake_url=str(tmp_path / "lake"))


BRONZE = {
    "zoho_workspace_admins": "workspace_id,workspace_name,created_time_ms,created_by,admin_email,admin_source\n"
                             "1767024000000060001,101 - ACME,1548914379156,owner@r.example,Ana@ACME.example,admins\n"
                             "1767024000000060002,102 - Beta,,owner@r.example,,none\n",
    "zoho_users": "email,active,role\nana@acme.example,true,User\nbob@beta.example,false,User\n",
    "zoho_seats": "resource_name,allocated,used,remaining\nusers,70,1,69\nroUsers,100,0,100\n",
    "zoho_last_access": "workspace_name,user_email,last_access_at\n"
                        "101 - ACME,ana@acme.example,2026-11-28 10:00:00\n"
                        "101 - ACME,ANA@acme.example,2026-11-28 11:30:00\n",
    "module_status": "client_id,module_active\n101,true\n102,false\n",
}


def silver_files(lake: Lake) -> dict[str, bytes]:
    return {k: lake.read_bytes(k) for k in lake.list("silver/")}


def write_bronze(lake: Lake, overrides: dict | None = None) -> None:
    for source, text in {**BRONZE, **(overrides or {})}.items():
        lake.write_bytes(bronze_key(source, DAY), text.encode())


def test_build_types_every_source_and_writes_partitions(tmp_path):
    s = settings_for(tmp_path)
    lake = Lake(s.lake_url)
    write_bronze(lake)
    frames = silver.run(DAY, Systems.of(s))
    admins = frames["zoho_workspace_admins"]
    assert admins["admin_email"].tolist()[0] == "ana@acme.example"  # lower-cased
    assert admins["workspace_created_at"].iloc[0] == pd.Timestamp("2019-01-31 05:59:39.156Z")
    assert pd.isna(admins["admin_email"].iloc[1])
    access = frames["zoho_last_access"]
    assert len(access) == 1  # the two spellings of one address collapse to the latest
    assert access["last_access_at"].iloc[0] == pd.Timestamp("2026-11-28 11:30:00Z")
    assert frames["zoho_users"]["active"].tolist() == [True, False]
    for source in BRONZE:
        assert lake.exists(silver_key(source, DAY))
    again = silver.read(lake, DAY)
    for source, df in frames.items():
        pd.testing.assert_frame_equal(again[source], df)


def built_once(tmp_path) -> tuple[Systems, Lake, dict[str, bytes]]:
    """A lake with the good bronze and its silver built once; the silver files' bytes."""
    systems = Systems.of(settings_for(tmp_path))
    write_bronze(systems.lake)
    silver.run(DAY, systems)
    return systems, systems.lake, silver_files(systems.lake)


def test_rebuild_is_byte_identical(tmp_path):
    systems, lake, first = built_once(tmp_path)
    silver.run(DAY, systems)
    assert silver_files(lake) == first


def test_missing_column_names_source_column_and_file_and_writes_nothing(tmp_path):
    s = settings_for(tmp_path)
    lake = Lake(s.lake_url)
    write_bronze(lake, {"zoho_users": "email,role\nana@acme.example,User\n"})
    with pytest.raises(DataQualityError) as err:
        silver.run(DAY, Systems.of(s))
    text = str(err.value)
    assert "zoho_users" in text and "'active'" in text and "bronze/zoho_users/2026-11-29.csv" in text
    assert lake.list("silver/") == []  # the good sources were not written either


def test_wrong_type_is_named(tmp_path):
    s = settings_for(tmp_path)
    write_bronze(Lake(s.lake_url), {"module_status": "client_id,module_active\n101,maybe\n"})
    with pytest.raises(DataQualityError, match=r"module_active.*boolean.*\['maybe'\]"):
        silver.run(DAY, Systems.of(s))


def test_duplicate_key_is_named(tmp_path):
    s = settings_for(tmp_path)
    write_bronze(Lake(s.lake_url), {"module_status": "client_id,module_active\n101,true\n101,false\n"})
    with pytest.raises(DataQualityError, match=r"module_status.*share a key.*101"):
        silver.run(DAY, Systems.of(s))


def test_missing_bronze_says_which_stage_to_run(tmp_path):
    with pytest.raises(LakeError, match="no bronze for 2026-11-29.*run the extract stage"):
        silver.run(DAY, Systems.of(settings_for(tmp_path)))


def test_previous_silver_survives_a_bad_rebuild(tmp_path):
    systems, lake, before = built_once(tmp_path)
    write_bronze(lake, {"zoho_seats": "resource_name,allocated\nusers,70\n"})
    with pytest.raises(DataQualityError):
        silver.run(DAY, systems)
    assert silver_files(lake) == before


@pytest.mark.parametrize("text,expected", [
    ("2026-11-28 14:03:11", "2026-11-28T14:03:11Z"),
    ("2026-11-28T14:03:11", "2026-11-28T14:03:11Z"),
    ("28 Nov 2026 14:03:11", "2026-11-28T14:03:11Z"),
    ("Nov 28, 2026 02:03 PM", "2026-11-28T14:03:00Z"),
    ("28-Nov-2026 14:03:11", "2026-11-28T14:03:11Z"),
    ("2026/11/28 14:03:11", "2026-11-28T14:03:11Z"),
    ("28/11/2026 14:03", "2026-11-28T14:03:00Z"),
    ("1795874591000", "2026-11-28T14:03:11Z"),
    ("2026-11-28T11:03:11-03:00", "2026-11-28T14:03:11Z"),
])
def test_access_times_in_several_formats(text, expected):
    out = parse_access_time(pd.Series([text]), "UTC", "test")
    assert out.iloc[0] == pd.Timestamp(expected)


def test_access_time_zone_is_applied():
    out = parse_access_time(pd.Series(["2026-11-28 11:03:11"]), "America/Sao_Paulo", "t")
    assert out.iloc[0] == pd.Timestamp("2026-11-28T14:03:11Z")


def test_unparseable_access_time_is_named():
    with pytest.raises(DataQualityError, match="not a time.*yesterday"):
        parse_access_time(pd.Series(["2026-11-28 10:00:00", "yesterday"]), "UTC", "t")


@pytest.mark.parametrize("pattern, strptime", [
    ("dd MMM, yyyy HH:mm:ss", "%d %b, %Y %H:%M:%S"),  # Zoho's documented example
    ("MM/dd/yyyy hh:mm:ss a", "%m/%d/%Y %I:%M:%S %p"),
    ("yyyy-MM-dd'T'HH:mm:ss", "%Y-%m-%dT%H:%M:%S"),
    ("dd MMMM, yyyy", "%d %B, %Y"), ("d/M/yy H:m", "%d/%m/%y %H:%M"), ("'100%' dd", "100%% %d"),
])
def test_java_date_patterns_become_strptime(pattern, strptime):
    assert java_to_strptime(pattern) == strptime


@pytest.mark.parametrize("pattern, letters", [("dd MMM yyyy HH:mm z", "'z'"),
                                              ("yyyy-ww", "'ww'"), ("dd 'MMM", "unclosed")])
def test_unreadable_date_patterns_are_refused(pattern, letters):
    with pytest.raises(DateFormatError, match=letters):
        java_to_strptime(pattern)


def test_the_declared_format_is_read_first_so_month_first_is_not_read_day_first():
    text = pd.Series(["03/02/2026 02:00:00 PM", "05 Mar, 2026 14:00:01", "2026-03-01 10:00:00"])
    declared = pd.Series(["MM/dd/yyyy hh:mm:ss a", "dd MMM, yyyy HH:mm:ss", ""])
    out = parse_access_time(text, "UTC", "t", declared=declared)
    assert out.tolist() == [pd.Timestamp("2026-03-02 14:00:00", tz="UTC"),
                            pd.Timestamp("2026-03-05 14:00:01", tz="UTC"),
                            pd.Timestamp("2026-03-01 10:00:00", tz="UTC")]
    # without the declaration, "03/02/2026 14:00:00" is read day first: 3 February
    assert parse_access_time(pd.Series(["03/02/2026 14:00:00"]), "UTC", "t").iloc[0].month == 2


def test_the_documented_example_format_stops_silver_without_its_declaration():
    # "05 Mar, 2026 ..." (dd MMM, yyyy) is in no fallback format: only the declaration reads it
    with pytest.raises(DataQualityError, match="not a time"):
        parse_access_time(pd.Series(["05 Mar, 2026 14:00:01"]), "UTC", "t")


def test_an_undeclared_bad_pattern_in_bronze_fails_silver_clearly():
    with pytest.raises(DataQualityError, match="'z' cannot be read"):
        parse_access_time(pd.Series(["05 Mar 2026 UTC"]), "UTC", "bronze x",
                          declared=pd.Series(["dd MMM yyyy z"]))


def test_older_bronze_without_the_new_columns_still_builds_silver():
    old = pd.DataFrame({"email": ["a@x.io"], "active": ["true"], "role": ["User"]})
    assert list(fill_added(old, BRONZE_CONTRACTS["zoho_users"]).columns) == ["email", "active", "role",
                                                                   "domain"]
    df = silver.transform("zoho_users", old, DAY, Settings(), "old bronze")
    assert df["domain"].isna().all() and df["email"].tolist() == ["a@x.io"]


# -- clock changes in [zoho] audit_timezone ------------------------------------------------------

BERLIN = "Europe/Berlin"
OVERLAP = "2026-10-25 02:30:00"  # shown twice: 00:30 UTC (summer time), then 01:30 UTC
GAP = "2026-03-29 02:30:00"  # never shown: the clock jumps from 02:00 to 03:00 (01:00 UTC)


def test_an_autumn_overlap_time_is_the_earlier_instant_and_a_spring_gap_time_moves_forward(caplog):
    caplog.set_level("INFO", logger="seatlib.systems.zoho.records")
    out = parse_access_time(pd.Series([OVERLAP, GAP, OVERLAP, "2026-07-01 12:00:00"]), BERLIN,
                            "bronze x")
    assert out.tolist() == [pd.Timestamp("2026-10-25 00:30:00Z"), pd.Timestamp("2026-03-29 01:00:00Z"),
                            pd.Timestamp("2026-10-25 00:30:00Z"), pd.Timestamp("2026-07-01 10:00:00Z")]
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "zoho_last_access (bronze x): 2 time(s) in the autumn overlap of Europe/Berlin (shown "
        "twice by the clock) read as the earlier instant",
        "zoho_last_access (bronze x): 1 time(s) in the spring gap of Europe/Berlin (skipped by "
        "the clock) moved forward to the end of the gap"]


def test_clock_changes_are_counted_over_declared_and_fallback_formats(caplog):
    caplog.set_level("INFO", logger="seatlib.systems.zoho.records")
    text = pd.Series(["25 Oct, 2026 02:30:00", OVERLAP, "29 Mar, 2026 02:15:00"])
    declared = pd.Series(["dd MMM, yyyy HH:mm:ss", "", "dd MMM, yyyy HH:mm:ss"])
    out = parse_access_time(text, BERLIN, "t", declared=declared)
    assert out.tolist() == [pd.Timestamp("2026-10-25 00:30:00Z")] * 2 + [
        pd.Timestamp("2026-03-29 01:00:00Z")]
    assert [r.getMessage().split(": ")[1][:9] for r in caplog.records] == ["2 time(s)", "1 time(s)"]


def test_a_zone_without_clock_changes_logs_nothing(caplog):
    caplog.set_level("INFO", logger="seatlib.systems.zoho.records")
    parse_access_time(pd.Series([OVERLAP, GAP]), "UTC", "t")
    assert caplog.records == []


def test_silver_reads_clock_change_times_of_berlin(tmp_path, caplog):
    caplog.set_level("INFO", logger="seatlib.systems.zoho.records")
    s = Settings(lake_url=str(tmp_path / "lake"), zoho=ZohoSettings(audit_timezone=BERLIN))
    write_bronze(Lake(s.lake_url), {"zoho_last_access":
        "workspace_name,user_email,last_access_at,time_format,future_accesses\n"
        f"101 - ACME,ana@acme.example,{OVERLAP},yyyy-MM-dd HH:mm:ss,0\n"
        f"102 - Beta,bob@beta.example,{GAP},yyyy-MM-dd HH:mm:ss,0\n"})
    access = silver.run(DAY, Systems.of(s))["zoho_last_access"]
    assert access["last_access_at"].tolist() == [pd.Timestamp("2026-10-25 00:30:00Z"),
                                                 pd.Timestamp("2026-03-29 01:00:00Z")]
    assert len([r for r in caplog.records if "Europe/Berlin" in r.getMessage()]) == 2


# -- Access Log rows without an address or a time ------------------------------------------------

def test_access_rows_without_address_or_time_are_kept_as_their_own_groups():
    bronze = pd.DataFrame({
        "workspace_name": ["1 - A", "1 - A", "1 - A", "1 - A", "2 - B"],
        "user_email": ["X@a.io ", "x@a.io", "", "  ", "y@b.io"],
        "last_access_at": ["2026-11-28 10:00:00", "2026-11-28 11:00:00", "2026-11-27 10:00:00",
                           "2026-11-27 12:00:00", ""],
        "time_format": [""] * 5, "future_accesses": ["1", "2", "", "1", "4"]})
    df = silver.transform("zoho_last_access", bronze, DAY, Settings(), "t")
    assert df["user_email"].isna().tolist() == [True, False, False]
    assert df[["workspace_name", "future_accesses"]].values.tolist() == [
        ["1 - A", 1], ["1 - A", 3], ["2 - B", 4]]
    assert df["last_access_at"].tolist()[:2] == [pd.Timestamp("2026-11-27 12:00:00Z"),
                                                 pd.Timestamp("2026-11-28 11:00:00Z")]
    assert pd.isna(df["last_access_at"].iloc[2])  # every access of y@b.io in the future


def test_older_access_bronze_and_silver_count_no_future_access(tmp_path):
    systems, lake, _ = built_once(tmp_path)  # BRONZE's access file has no future_accesses
    key = silver_key("zoho_last_access", DAY)
    df = silver.read(lake, DAY, ("zoho_last_access",))["zoho_last_access"]
    assert df["future_accesses"].tolist() == [0]
    lake.write_parquet(key, df.drop(columns="future_accesses"))  # a partition from before
    again = silver.read(lake, DAY, ("zoho_last_access",))["zoho_last_access"]
    pd.testing.assert_frame_equal(again, df)


# -- a user listed once per portal domain ---------------------------------------------------------

def test_a_user_listed_under_several_domains_is_one_row_with_all_of_them():
    bronze = pd.DataFrame([
        ("Gil@x.example", "false", "User", "b.portal.example"),
        ("gil@x.example", "true", "", "a.portal.example"),
        ("gil@x.example", "false", "Viewer", "analytics.zoho.com"),
        ("oz@x.example", "false", "User", "b.portal.example"),
        ("oz@x.example", "false", "Account Admin", "c.portal.example"),
        ("oz@x.example", "false", "User", ""),
        ("solo@x.example", "true", "User", "a.portal.example"),
        ("nodom@x.example", "true", "User", ""),
    ], columns=["email", "active", "role", "domain"])
    df = silver.transform("zoho_users", bronze, DAY, Settings(), "t").set_index("email")
    assert list(df.columns) == ["snapshot_date", "active", "role", "domain", "domains"]
    assert df.loc["gil@x.example", ["active", "role", "domain", "domains"]].tolist() == [
        True, "Viewer", "a.portal.example",  # "Viewer": the first role found, by domain
        "a.portal.example; analytics.zoho.com; b.portal.example"]
    assert df.loc["oz@x.example", ["active", "role", "domain", "domains"]].tolist() == [
        False, "Account Admin", "b.portal.example",  # an admin role wins
        "b.portal.example; c.portal.example"]
    assert df.loc["solo@x.example", ["domain", "domains"]].tolist() == ["a.portal.example"] * 2
    assert df.loc["nodom@x.example", ["domain", "domains"]].isna().all()
    shuffled = silver.transform("zoho_users", bronze.iloc[::-1], DAY, Settings(), "t")
    pd.testing.assert_frame_equal(shuffled.set_index("email"), df)  # the listings' order is no matter


def test_silver_users_of_before_domains_read_their_domain_as_domains(tmp_path):
    systems, lake, _ = built_once(tmp_path)
    write_bronze(lake, {"zoho_users": "email,active,role,domain\n"
                                      "ana@acme.example,true,User,p.example\n"
                                      "bob@beta.example,false,User,\n"})
    df = silver.run(DAY, systems)["zoho_users"]
    lake.write_parquet(silver_key("zoho_users", DAY), df.drop(columns="domains"))
    again = silver.read(lake, DAY, ("zoho_users",))["zoho_users"]
    pd.testing.assert_frame_equal(again, df)
    assert again["domains"].tolist()[0] == "p.example" and pd.isna(again["domains"].iloc[1])
