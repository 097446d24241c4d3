"""Settings from the file, overrides and secrets from the environment, clear errors."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def problems(exc: pytest.ExceptionInfo, path: Path | None = None) -> list[str]:
    """The listed problems of a ConfigError; none may look like a pydantic dump or a traceback."""
    text = str(exc.value)
    for leak in ("Traceback", "validation error", "pydantic", "Input should", "input_value"):
        assert leak not in text, text
    lines = [line[4:] for line in text.splitlines() if line.startswith("  - ")]
    if path is not None:
        assert text.startswith(f"settings file {path} is invalid ({len(lines)} problem"), text
    return lines


def test_example_and_demo_files_load_with_todays_values():
    example = cfg.load_settings(cfg.REPO_ROOT / "config" / "seat-monitor.example.toml", env={})
    assert example.lake_url == "s3://my-company-datalake/seat-monitor"
    assert example.zoho.api_url == "https://analyticsapi.zoho.com"
    assert example.zoho.accounts_url == "https://accounts.zoho.com"
    assert example.zoho.client_id_pattern == r"^\s*(\d+)"
    assert example.zoho.excluded_workspaces == ("Zoho Analytics Audits",)
    assert (example.zoho.calls_per_minute, example.zoho.max_concurrency) == (60, 4)
    assert example.zoho.future_tolerance_minutes == 10
    assert example.zoho.request_timeout_s == 30.0 and type(example.zoho.request_timeout_s) is float
    assert (example.zoho.retry_budget_s, example.zoho.export_timeout_s,
            example.zoho.export_poll_s) == (300.0, 900.0, 4.0)
    assert (example.inactive_days, example.capacity_warning_share, example.max_drop_share) == (30, 0.9, 0.3)
    assert example.warehouse_schema == "seat_monitor"
    assert example.runs_dir == str(cfg.REPO_ROOT / "runs")
    assert (example.demo_seed, example.demo_history_days) == (42, 60)
    assert example.module_status_query.startswith("SELECT client_id, bi_module_active")
    demo = cfg.load_settings(cfg.DEMO_CONFIG, env={})
    assert (demo.zoho.calls_per_minute, demo.zoho.max_concurrency) == (0, 8)
    assert (demo.zoho.retry_budget_s, demo.zoho.export_timeout_s, demo.zoho.export_poll_s) == (30.0, 60.0, 0.2)
    assert demo.lake_url == str(cfg.REPO_ROOT / "var" / "demo" / "lake")
    assert demo.demo_dir == str(cfg.REPO_ROOT / "var" / "demo")
    assert (demo.demo_seed, demo.demo_history_days, demo.inactive_days) == (42, 60, 30)
    assert demo.demo_hard_cases is True  # the demo's world has every case of docs/seats.md
    assert demo.source == cfg.DEMO_CONFIG



def test_the_demo_keeps_every_folder_it_writes_under_var_demo():
    """The demo and production shared runs/ (its lock, last-success.json, latest page and attempt
    numbers) until the demo's [runs] dir moved under var/demo (issue 19)."""
    from seatlib.history import attempts as history

    demo = cfg.load_settings(cfg.DEMO_CONFIG, env={})
    home = Path(demo.demo_dir)
    assert home == cfg.REPO_ROOT / "var" / "demo"
    written = {"runs": demo.runs_dir, "lake": demo.lake_url, "durable": history.durable_url(demo)}
    assert {k: Path(v).is_relative_to(home) for k, v in written.items()} == dict.fromkeys(written, True)
    production = [cfg.load_settings(cfg.REPO_ROOT / "config" / "seat-monitor.example.toml",
                                    env={}).runs_dir, cfg.resolve_path(cfg.Settings().runs_dir)]
    for runs in map(Path, production):
        assert not (runs.is_relative_to(Path(demo.runs_dir)) or
                    Path(demo.runs_dir).is_relative_to(runs)), runs

def test_example_documents_every_key():
    raw = tomllib.loads((cfg.REPO_ROOT / "config" / "seat-monitor.example.toml").read_text())
    assert set(raw["zoho"]) == {f.name for f in dataclasses.fields(cfg.ZohoSettings)}
    assert {s: set(t) for s, t in raw.items() if s != "zoho"} == {
        "lake": {"url"}, "company": {"module_status_query"}, "warehouse": {"schema", "s3_region"},
        "gold": {"inactive_days"},
        "report": {"capacity_warning_share"} | {f.name for f in dataclasses.fields(cfg.ReportSettings)},
        "alerts": {f.name for f in dataclasses.fields(cfg.AlertSettings)},
        "guards": {"max_drop_share", "max_unmatched_share", "max_status_change_share"},
            "runs": {"dir"} | {f.name for f in dataclasses.fields(cfg.RunsSettings)},
        "demo": {"dir", "seed", "history_days", "deactivation_frees_seat", "hard_cases"},
        "reclaim": {f.name for f in dataclasses.fields(cfg.ReclaimSettings)}}


def test_an_empty_file_gives_the_defaults(tmp_path):
    s = cfg.load_settings(write(tmp_path, ""), env={})
    d = cfg.Settings()
    assert s.zoho == dataclasses.replace(d.zoho, api_url="https://analyticsapi.zoho.com",
                                         accounts_url="https://accounts.zoho.com")
    assert (s.inactive_days, s.capacity_warning_share, s.max_drop_share, s.demo_seed) == \
        (d.inactive_days, d.capacity_warning_share, d.max_drop_share, d.demo_seed)
    assert s.lake_url == str(cfg.REPO_ROOT / "var" / "lake")


@pytest.mark.parametrize("dc,api,accounts", [
    ("eu", "https://analyticsapi.zoho.eu", "https://accounts.zoho.eu"),
    ("ca", "https://analyticsapi.zohocloud.ca", "https://accounts.zohocloud.ca"),
    ("com.au", "https://analyticsapi.zoho.com.au", "https://accounts.zoho.com.au"),
])
def test_data_centre_hosts(tmp_path, dc, api, accounts):
    s = cfg.load_settings(write(tmp_path, ""), env={"ZOHO_DATA_CENTER": dc})
    assert (s.zoho.api_url, s.zoho.accounts_url) == (api, accounts)


def test_environment_overrides_the_file(tmp_path):
    p = write(tmp_path, '[zoho]\ndata_center = "eu"\norg_id = "1"\n[lake]\nurl = "/data/lake"\n')
    s = cfg.load_settings(p, env={"ZOHO_API_URL": "http://127.0.0.1:9/", "ZOHO_ORG_ID": "42",
                                  "SEATLIB_LAKE_URL": "s3://my-lake/p", "ZOHO_ACCOUNTS_URL": ""})
    assert s.zoho.api_url == "http://127.0.0.1:9" and s.zoho.accounts_url == "https://accounts.zoho.eu"
    assert s.zoho.org_id == "42" and s.lake_url == "s3://my-lake/p"


@pytest.mark.parametrize("text,check", [
    ("[report]\ncapacity_warning_share = 1\n",  # a float field takes an int: not lossy
     lambda s: s.capacity_warning_share == 1.0 and type(s.capacity_warning_share) is float),
    ("[zoho]\nrequest_timeout_s = 86400\nexport_poll_s = 0.001\n",
     lambda s: (s.zoho.request_timeout_s, s.zoho.export_poll_s) == (86400.0, 0.001)),
    ("[zoho]\ncalls_per_minute = 0\nmax_concurrency = 64\nexcluded_workspaces = []\n",
     lambda s: (s.zoho.calls_per_minute, s.zoho.max_concurrency, s.zoho.excluded_workspaces) == (0, 64, ())),
    ("[guards]\nmax_drop_share = 0\n[gold]\ninactive_days = 3650\n",
     lambda s: (s.max_drop_share, s.inactive_days) == (0.0, 3650)),
    (f"[demo]\nseed = {2**63 - 1}\nhistory_days = 0\nhard_cases = true\n",
     lambda s: (s.demo_seed, s.demo_history_days, s.demo_hard_cases) == (2**63 - 1, 0, True)),
    ('[lake]\nurl = "s3://my.lake-1"\n[runs]\ndir = "/srv/seat-monitor/runs"\n',
     lambda s: (s.lake_url, s.runs_dir) == ("s3://my.lake-1", "/srv/seat-monitor/runs")),
    ("[zoho]\nclient_id_pattern = '^(?P<client>\\d+) - '\naudit_timezone = \"Europe/Berlin\"\n",
     lambda s: s.client_id_regex().match("12 - ACME").group(1) == "12"),
    ("[zoho]\nfuture_tolerance_minutes = 0\n", lambda s: s.zoho.future_tolerance_minutes == 0),
    ('[warehouse]\nschema = "_Seat_Monitor2"\n', lambda s: s.warehouse_schema == "_Seat_Monitor2"),
], ids=["int-for-float", "timeouts", "limits", "guard-0", "seed-max", "paths", "pattern",
        "future-tolerance-0", "schema"])
def test_good_values_load(tmp_path, text, check):
    assert check(cfg.load_settings(write(tmp_path, text), env={}))


LONG = "a" * 300
DEEP = "/" + "/".join(["d" * 200] * 21)  # 4221 bytes, every part short enough

#: (id, file text, environment, fragments the message must hold)
BAD = [
    # unknown names, with the closest known one
    ("typo-guards", "[guards]\nmax_drop_shares = 0.05\n", {},
     ["unknown key [guards] max_drop_shares", "0.05", "did you mean max_drop_share?"]),
    ("typo-gold", "[gold]\ninactive_day = 5\n", {},
     ["unknown key [gold] inactive_day", "did you mean inactive_days?"]),
    ("unknown-zoho", "[zoho]\ncolour = 1\n", {},
     ["unknown key [zoho] colour = 1", "known: data_center, api_url"]),
    ("wrong-section", "[zoho]\ninactive_days = 3\n", {},
     ["unknown key [zoho] inactive_days = 3", "it belongs in [gold]"]),
    ("nested-table", "[zoho.extra]\nx = 1\n", {}, ["unknown key [zoho] extra"]),
    ("unknown-section", "[zohoo]\n", {}, ["unknown section [zohoo]", "did you mean zoho?"]),
    ("unknown-section-2", "[gaurds]\nmax_drop_share = 0.1\n", {},
     ["unknown section [gaurds]", "did you mean guards?"]),
    ("unknown-section-3", "[colours]\n", {}, ["unknown section [colours]", "known: alerts, company, demo"]),
    ("top-level-key", "inactive_days = 3\n", {},
     ["unknown top-level key inactive_days = 3", "it belongs in [gold]"]),
    ("section-not-table", "gold = 3\n", {}, ["[gold] = 3", "expected a table [gold]", "not an integer"]),
    # integers: no coercion, ranges
    ("int-from-string", '[gold]\ninactive_days = "abc"\n', {},
     ["[gold] inactive_days = 'abc'", "expected an integer from 1 to 3650", "not a string"]),
    ("int-from-numeric-string", '[gold]\ninactive_days = "30"\n', {},
     ["[gold] inactive_days = '30'", "expected an integer", "not a string"]),
    ("int-from-float", "[gold]\ninactive_days = 2.9\n", {},
     ["[gold] inactive_days = 2.9", "expected an integer from 1 to 3650", "not a float"]),
    ("int-from-whole-float", "[zoho]\ncalls_per_minute = 60.0\n", {},
     ["[zoho] calls_per_minute = 60.0", "expected an integer from 0 to 10000", "not a float"]),
    ("int-from-bool", "[gold]\ninactive_days = true\n", {},
     ["[gold] inactive_days = True", "not a boolean"]),
    ("int-from-date", "[gold]\ninactive_days = 1979-05-27\n", {},
     ["[gold] inactive_days = datetime.date(1979, 5, 27)", "not a date/time"]),
    ("inactive-0", "[gold]\ninactive_days = 0\n", {}, ["[gold] inactive_days = 0", "from 1 to 3650"]),
    ("inactive-3651", "[gold]\ninactive_days = 3651\n", {}, ["[gold] inactive_days = 3651", "from 1 to 3650"]),
    ("huge-int", "[gold]\ninactive_days = " + "9" * 40 + "\n", {},
     ["[gold] inactive_days = <an integer of 133 bits>", "from 1 to 3650"]),
    ("huge-int-seconds", "[zoho]\nretry_budget_s = " + "9" * 400 + "\n", {},
     ["[zoho] retry_budget_s = <an integer of", "at most 86400"]),
    ("calls-negative", "[zoho]\ncalls_per_minute = -1\n", {},
     ["[zoho] calls_per_minute = -1", "from 0 to 10000 (0 = no limit)"]),
    ("calls-too-many", "[zoho]\ncalls_per_minute = 10001\n", {}, ["[zoho] calls_per_minute = 10001"]),
    ("concurrency-0", "[zoho]\nmax_concurrency = 0\n", {}, ["[zoho] max_concurrency = 0", "from 1 to 64"]),
    ("concurrency-65", "[zoho]\nmax_concurrency = 65\n", {}, ["[zoho] max_concurrency = 65", "from 1 to 64"]),
    ("seed-negative", "[demo]\nseed = -1\n", {}, ["[demo] seed = -1", "from 0 to 9223372036854775807"]),
    ("seed-over-64-bit", f"[demo]\nseed = {2**63}\n", {}, [f"[demo] seed = {2**63}", "from 0 to"]),
    ("seed-float", "[demo]\nseed = 1.5\n", {}, ["[demo] seed = 1.5", "not a float"]),
    ("history-negative", "[demo]\nhistory_days = -1\n", {}, ["[demo] history_days = -1", "from 0 to 3650"]),
    ("history-3651", "[demo]\nhistory_days = 3651\n", {}, ["[demo] history_days = 3651"]),
    # floats: an int is fine, a string is not; ranges; nan and inf
    ("float-from-string", '[report]\ncapacity_warning_share = "high"\n', {},
     ["[report] capacity_warning_share = 'high'", "above 0 and at most 1", "not a string"]),
    ("float-from-bool", "[guards]\nmax_drop_share = false\n", {},
     ["[guards] max_drop_share = False", "not a boolean"]),
    ("share-0", "[report]\ncapacity_warning_share = 0\n", {}, ["[report] capacity_warning_share = 0"]),
    ("share-over-1", "[report]\ncapacity_warning_share = 1.5\n", {},
     ["[report] capacity_warning_share = 1.5", "at most 1"]),
    ("share-nan", "[report]\ncapacity_warning_share = nan\n", {},
     ["[report] capacity_warning_share = nan", "not nan or inf"]),
    ("drop-1", "[guards]\nmax_drop_share = 1\n", {},
     ["[guards] max_drop_share = 1", "from 0 up to (not including) 1"]),
    ("drop-negative", "[guards]\nmax_drop_share = -0.1\n", {}, ["[guards] max_drop_share = -0.1"]),
    ("timeout-0", "[zoho]\nrequest_timeout_s = 0\n", {},
     ["[zoho] request_timeout_s = 0", "above 0 and at most 86400"]),
    ("timeout-over-a-day", "[zoho]\nexport_timeout_s = 86401\n", {}, ["[zoho] export_timeout_s = 86401"]),
    ("timeout-inf", "[zoho]\nretry_budget_s = inf\n", {}, ["[zoho] retry_budget_s = inf", "not nan or inf"]),
    ("poll-negative", "[zoho]\nexport_poll_s = -1\n", {}, ["[zoho] export_poll_s = -1"]),
    ("timeout-string", '[zoho]\nrequest_timeout_s = "30"\n', {},
     ["[zoho] request_timeout_s = '30'", "not a string"]),
    # strings and arrays
    ("list-from-string", '[zoho]\nexcluded_workspaces = "Zoho Analytics Audits"\n', {},
     ["[zoho] excluded_workspaces = 'Zoho Analytics Audits'", "expected an array", "not a string"]),
    ("list-item-number", '[zoho]\nexcluded_workspaces = ["a", 1]\n', {},
     ["[zoho] excluded_workspaces[1] = 1", "a string in the array", "not an integer"]),
    ("list-item-empty", '[zoho]\nexcluded_workspaces = ["a", " "]\n', {},
     ["[zoho] excluded_workspaces = ['a', ' ']", "item 1 is empty"]),
    ("string-from-number", "[zoho]\norg_id = 123\n", {}, ["[zoho] org_id = 123", "not an integer"]),
    ("org-id-letters", '[zoho]\norg_id = "acme"\n', {}, ["[zoho] org_id = 'acme'", "a string of digits"]),
    ("empty-name", '[zoho]\naudit_workspace = ""\n', {}, ["[zoho] audit_workspace = ''", "non-empty"]),
    ("blank-resource", '[zoho]\nseat_resource = "  "\n', {}, ["[zoho] seat_resource = '  '", "it is empty"]),
    ("table-name-number", "[zoho]\naccess_log_table = 1.5\n", {},
     ["[zoho] access_log_table = 1.5", "not a float"]),
    ("empty-query", '[company]\nmodule_status_query = ""\n', {},
     ["[company] module_status_query = ''", "non-empty SQL query"]),
    ("timezone", '[zoho]\naudit_timezone = "Mars/Olympus"\n', {},
     ["[zoho] audit_timezone = 'Mars/Olympus'", "IANA time zone"]),
    ("future-tolerance-negative", "[zoho]\nfuture_tolerance_minutes = -1\n", {},
     ["[zoho] future_tolerance_minutes = -1", "an integer from 0 to 10080"]),
    ("api-url", '[zoho]\napi_url = "analyticsapi.zoho.com"\n', {},
     ["[zoho] api_url = 'analyticsapi.zoho.com'", "http(s):// URL"]),
    ("accounts-url", '[zoho]\naccounts_url = "ftp://accounts.zoho.com"\n', {},
     ["[zoho] accounts_url = 'ftp://accounts.zoho.com'", "http(s):// URL"]),
    ("domain", '[zoho]\ndomain_name = "my domain.com"\n', {}, ["[zoho] domain_name = 'my domain.com'"]),
    ("data-centre", '[zoho]\ndata_center = "uk"\n', {},
     ["[zoho] data_center = 'uk'", "expected one of com, eu, in, com.au, jp, com.cn, sa, ca"]),
    ("data-centre-typo", '[zoho]\ndata_center = "euu"\n', {}, ["did you mean eu?"]),
    ("schema", '[warehouse]\nschema = "x; drop table y"\n', {},
     ["[warehouse] schema = 'x; drop table y'", "plain SQL identifier"]),
    ("schema-too-long", f'[warehouse]\nschema = "{"s" * 64}"\n', {}, ["[warehouse] schema = 'sss", "up to 62"]),
    ("schema-number", "[warehouse]\nschema = 5\n", {}, ["[warehouse] schema = 5", "not an integer"]),
    ("pattern-no-group", "[zoho]\nclient_id_pattern = '^\\s*\\d+'\n", {},
     ["[zoho] client_id_pattern = '^\\\\s*\\\\d+'", "at least one capturing group", "no capturing group"]),
    ("pattern-invalid", "[zoho]\nclient_id_pattern = '('\n", {},
     ["[zoho] client_id_pattern = '('", "not a valid regular expression"]),
    # folders and the lake
    ("lake-number", "[lake]\nurl = 123\n", {},
     ["[lake] url = 123", "s3://bucket/prefix with a valid bucket name, or a local folder", "not an integer"]),
    ("lake-empty", '[lake]\nurl = ""\n', {}, ["[lake] url = ''", "it is empty"]),
    ("lake-bucket", '[lake]\nurl = "s3://My_Bucket/x"\n', {},
     ["[lake] url = 's3://My_Bucket/x'", "'My_Bucket' is not a valid S3 bucket name"]),
    ("lake-bucket-short", '[lake]\nurl = "s3://ab/x"\n', {}, ["'ab' is not a valid S3 bucket name"]),
    ("lake-bucket-ip", '[lake]\nurl = "s3://192.168.1.1/x"\n', {}, ["'192.168.1.1' is not a valid S3 bucket"]),
    ("lake-bucket-dots", '[lake]\nurl = "s3://my..lake/x"\n', {}, ["'my..lake' is not a valid S3 bucket"]),
    ("lake-prefix", '[lake]\nurl = "s3://my-lake//x"\n', {}, ["the prefix '/x' has an empty part"]),
    ("lake-scheme", '[lake]\nurl = "gs://my-lake/x"\n', {}, ["[lake] url = 'gs://my-lake/x'", "gs:// is not supported"]),
    ("lake-long-component", f'[lake]\nurl = "{LONG}"\n', {},
     ["[lake] url = 'aaaa", "(300 characters)", "a path component of 300 bytes is over the limit of 255"]),
    ("runs-number", "[runs]\ndir = 5\n", {}, ["[runs] dir = 5", "expected a local folder", "not an integer"]),
    ("runs-s3", '[runs]\ndir = "s3://my-lake/runs"\n', {}, ["[runs] dir = 's3://my-lake/runs'", "s3:// is not supported"]),
    ("runs-too-deep", f'[runs]\ndir = "{DEEP}"\n', {}, ["[runs] dir = '/ddd", "over the limit of 4096"]),
    ("demo-nul", '[demo]\ndir = "var/\\u0000demo"\n', {}, ["[demo] dir = 'var/\\x00demo'", "NUL"]),
    # the environment overrides, named by variable
    ("env-data-centre", "", {"ZOHO_DATA_CENTER": "uk"},
     ["environment variable ZOHO_DATA_CENTER (overrides [zoho] data_center) = 'uk'", "expected one of com"]),
    ("env-lake", "", {"SEATLIB_LAKE_URL": "s3://b/p"},
     ["environment variable SEATLIB_LAKE_URL (overrides [lake] url) = 's3://b/p'", "'b' is not a valid S3 bucket"]),
    ("env-lake-long", "", {"SEATLIB_LAKE_URL": "/srv/" + LONG},
     ["environment variable SEATLIB_LAKE_URL", "over the limit of 255"]),
    ("env-api-url", "", {"ZOHO_API_URL": "127.0.0.1:8080"},
     ["environment variable ZOHO_API_URL (overrides [zoho] api_url) = '127.0.0.1:8080'", "http(s)://"]),
    ("env-accounts-url", "", {"ZOHO_ACCOUNTS_URL": "https://"},
     ["environment variable ZOHO_ACCOUNTS_URL (overrides [zoho] accounts_url) = 'https://'"]),
    ("env-org-id", "", {"ZOHO_ORG_ID": "org-1"},
     ["environment variable ZOHO_ORG_ID (overrides [zoho] org_id) = 'org-1'", "digits"]),
]


@pytest.mark.parametrize("text,env,fragments", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_settings_name_file_key_value_and_expectation(tmp_path, text, env, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        cfg.load_settings(path, env=env)
    lines = problems(exc, path)
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    if not env:
        assert lines[0].startswith(f"{path}: "), lines[0]


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    path = write(tmp_path, '[guards]\nmax_drop_shares = 0.05\n[gold]\ninactive_days = "abc"\n'
                           '[report]\ncapacity_warning_share = "high"\n[lake]\nurl = 123\n'
                           '[zoho]\nexcluded_workspaces = "Zoho Analytics Audits"\n'
                           "client_id_pattern = '\\d+'\n[zohoo]\n")
    with pytest.raises(ConfigError) as exc:
        cfg.load_settings(path, env={"ZOHO_DATA_CENTER": "uk"})
    lines = problems(exc, path)
    assert len(lines) == 8, lines
    for key in ("[zohoo]", "[guards] max_drop_shares", "[gold] inactive_days", "[lake] url",
                "[report] capacity_warning_share", "[zoho] excluded_workspaces",
                "[zoho] client_id_pattern", "ZOHO_DATA_CENTER"):
        assert sum(key in line for line in lines) == 1, (key, lines)


@pytest.mark.parametrize("text,match", [
    ("not toml ===", "is not valid TOML"),
    ("[gold]\ninactive_days = " + "9" * 5000 + "\n", "is not valid TOML"),  # too long to read at all
    ("[gold]\n[gold]\n", "is not valid TOML"),
])
def test_unreadable_files(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=match) as exc:
        cfg.load_settings(path, env={})
    assert str(path) in str(exc.value)


def test_a_path_over_the_os_limit_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="could not be read"):
        cfg.load_settings(tmp_path / ("x" * 300 + ".toml"), env={})


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="seat-monitor.example.toml"):
        cfg.load_settings(tmp_path / "nope.toml", env={})


def test_secrets_come_from_the_environment_and_hide_in_repr():
    s = cfg.zoho_secrets({"ZOHO_CLIENT_ID": "id-123456", "ZOHO_CLIENT_SECRET": "sec-123456",
                          "ZOHO_REFRESH_TOKEN": "rt-123456"})
    assert s.refresh_token == "rt-123456"
    assert "123456" not in repr(s)


def test_missing_secret_is_named():
    with pytest.raises(ConfigError, match="ZOHO_REFRESH_TOKEN"):
        cfg.zoho_secrets({"ZOHO_CLIENT_ID": "a", "ZOHO_CLIENT_SECRET": "b"})


def test_database_from_dsn_or_redshift_parts():
    d = cfg.database_settings({"SEATLIB_DATABASE_URL": "postgresql://u:pw@h/db"})
    assert d.driver == "postgres" and "pw" not in repr(d)
    r = cfg.database_settings({"REDSHIFT_HOST": "c.x.redshift.amazonaws.com", "REDSHIFT_DATABASE": "dw",
                               "REDSHIFT_USER": "etl", "REDSHIFT_PASSWORD": "pw-secret"})
    assert r.driver == "redshift" and r.port == 5439 and "pw-secret" not in repr(r)
    with pytest.raises(ConfigError, match="REDSHIFT_PASSWORD"):
        cfg.database_settings({"REDSHIFT_HOST": "h", "REDSHIFT_DATABASE": "d", "REDSHIFT_USER": "u"})
    iam = cfg.database_settings({"REDSHIFT_HOST": "h", "REDSHIFT_DATABASE": "d", "REDSHIFT_USER": "u",
                                 "REDSHIFT_IAM_AUTH": "true"})
    assert iam.iam and iam.password == ""
    with pytest.raises(ConfigError, match="SEATLIB_DATABASE_URL"):
        cfg.database_settings({})


def test_run_day():
    assert cfg.run_day("2026-11-29").isoformat() == "2026-11-29"
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        cfg.run_day("29/11/2026")


REDSHIFT = {"REDSHIFT_HOST": "h", "REDSHIFT_DATABASE": "d", "REDSHIFT_USER": "u", "REDSHIFT_PASSWORD": "pw"}


@pytest.mark.parametrize("text,iam", [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), (" Yes ", True),
    ("false", False), ("0", False), ("no", False), ("NO", False), ("", False),
    ("y", True), ("t", True), ("n", False), ("f", False),  # the one flag rule, seatlib.core.values
])
def test_iam_flag_reads_the_flag_words(text, iam):
    assert cfg.database_settings({**REDSHIFT, "REDSHIFT_IAM_AUTH": text}).iam is iam


@pytest.mark.parametrize("name,value,fragments", [
    ("REDSHIFT_IAM_AUTH", "on", ["'on'", "expected one of 0, 1, f, false, n, no, t, true, y, yes"]),
    ("REDSHIFT_IAM_AUTH", "2", ["'2'", "expected one of 0, 1"]),
    ("REDSHIFT_PORT", "54x39", ["'54x39'", "expected a port number from 1 to 65535"]),
    ("REDSHIFT_PORT", "0", ["'0'", "from 1 to 65535"]),
    ("REDSHIFT_PORT", "65536", ["'65536'", "from 1 to 65535"]),
    ("REDSHIFT_PORT", "5439.0", ["'5439.0'", "port number"]),
    ("REDSHIFT_PORT", "٥٤٣٩", ["port number"]),  # Arabic-Indic digits: int() would take them
    ("SEATLIB_DATABASE_URL", "mysql://u:s3cret@h/d", ["postgresql://, postgres://, redshift://"]),
])
def test_bad_database_variables_are_named(name, value, fragments):
    with pytest.raises(ConfigError) as exc:
        cfg.database_settings({**REDSHIFT, name: value})
    text = str(exc.value)
    assert text.startswith(f"environment variable {name}"), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "s3cret" not in text


def test_redshift_port_from_the_environment():
    assert cfg.database_settings({**REDSHIFT, "REDSHIFT_PORT": "5440"}).port == 5440
    assert cfg.database_settings({**REDSHIFT, "REDSHIFT_PORT": ""}).port == 5439
