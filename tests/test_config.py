"""Settings from the file, overrides and secrets from the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatlib import config as cfg
from seatlib.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_example_and_demo_files_load():
    example = cfg.load_settings(cfg.REPO_ROOT / "config" / "seat-monitor.example.toml", env={})
    assert example.lake_url.startswith("s3://")
    assert example.zoho.api_url == "https://analyticsapi.zoho.com"
    demo = cfg.load_settings(cfg.DEMO_CONFIG, env={})
    assert demo.zoho.calls_per_minute == 0 and demo.demo_history_days == 60


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
                                  "SEATLIB_LAKE_URL": "s3://b/p"})
    assert s.zoho.api_url == "http://127.0.0.1:9" and s.zoho.accounts_url == "https://accounts.zoho.eu"
    assert s.zoho.org_id == "42" and s.lake_url == "s3://b/p"


@pytest.mark.parametrize("text,match", [
    ('[zoho]\ndata_center = "uk"\n', "not one of"),
    ("[zoho]\ncolour = 1\n", r"unknown key\(s\) in \[zoho\]"),
    ("[zohoo]\n", r"unknown section"),
    ("[gold]\ninactive_days = 0\n", "inactive_days"),
    ("[zoho]\nclient_id_pattern = '('\n", "regular expression"),
    ('[warehouse]\nschema = "x; drop table y"\n', "plain identifier"),
    ("not toml ===", "not valid TOML"),
])
def test_bad_settings_name_the_key(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        cfg.load_settings(write(tmp_path, text), env={})


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
