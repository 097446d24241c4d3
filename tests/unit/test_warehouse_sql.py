"""The Redshift-only statements of seatlib.systems.warehouse_sql, checked as generated text against the
syntax the Amazon Redshift Database Developer Guide gives (docs/redshift-notes.md): COPY with a
column list, a manifest and REGION; LOCK; ALTER COLUMN TYPE VARCHAR; the literal rules; and the
``[warehouse] s3_region`` setting."""

from __future__ import annotations

import json
import re

import pytest

from seatlib.core import config as cfg
from seatlib.core.contracts import GOLD_STATUS
from seatlib.core.errors import ConfigError, WarehouseError
from seatlib.systems.warehouse_sql import (
    CopySource, PostgresDialect, RedshiftDialect, column_type, create_table_sql, day_index_name,
    insert_sql, literal, lock_sql, manifest_json, parameter_type, widen_column_sql,
)

ROLE = "arn:aws:iam::123456789012:role/seat-monitor-copy"
DATA = "s3://lake-bucket/seat-monitor/gold/seat_status/2025-03-01.csv"


def source(columns=("workspace_name", "snapshot_date"), region: str = "") -> CopySource:
    return CopySource(manifest_url=DATA + ".manifest", data_url=DATA, columns=tuple(columns),
                      region=region)


def test_copy_names_the_manifest_the_files_columns_and_no_region_by_default():
    sql = RedshiftDialect().copy_from_s3("seatmon_stage_x", source(), ROLE)
    assert sql == ("COPY seatmon_stage_x (workspace_name, snapshot_date) "
                   f"FROM '{DATA}.manifest' "
                   f"IAM_ROLE '{ROLE}' MANIFEST "
                   "CSV IGNOREHEADER 1 TIMEFORMAT 'auto' EMPTYASNULL BLANKSASNULL")


def test_copy_follows_the_guides_syntax_with_a_region():
    """COPY table [(column-list)] FROM 's3://manifest_file' authorization MANIFEST
    REGION [AS] 'aws-region' [format] [parameters] (copy-parameters-data-source-s3)."""
    sql = RedshiftDialect().copy_from_s3("t", source(region="eu-central-1"), ROLE)
    grammar = (r"COPY t \((\w+)(, \w+)*\) FROM 's3://[^']+\.manifest' IAM_ROLE 'arn:aws:iam::\d{12}:"
               r"role/[\w-]+' MANIFEST REGION 'eu-central-1' CSV IGNOREHEADER 1 TIMEFORMAT 'auto' "
               r"EMPTYASNULL BLANKSASNULL")
    assert re.fullmatch(grammar, sql), sql


@pytest.mark.parametrize("change, message", [
    (dict(manifest_url="https://lake-bucket/x.manifest"), "not an s3://bucket/key URL"),
    (dict(data_url="s3://lake-bucket/x.csv' IAM_ROLE 'evil"), "not an s3://bucket/key URL"),
    (dict(manifest_url=DATA + "\\.manifest"), "backslash"),
    (dict(region="eu-west-1'; DROP"), "not an AWS region name"),
    (dict(columns=("workspace_name", "x) FROM 's3://evil'")), "not plain identifiers"),
    (dict(columns=()), "empty"),
])
def test_copy_rejects_bad_sources(change: dict, message: str):
    parts = dict(manifest_url=DATA + ".manifest", data_url=DATA, columns=("a",), region="")
    parts.update(change)
    with pytest.raises(WarehouseError, match=message):
        RedshiftDialect().copy_from_s3("t", CopySource(**parts), ROLE)


def test_copy_rejects_a_role_that_is_not_an_arn():
    with pytest.raises(WarehouseError, match="not an IAM role ARN"):
        RedshiftDialect().copy_from_s3("t", source(), "seat-monitor-copy")


def test_postgres_cannot_copy_from_s3():
    with pytest.raises(WarehouseError, match="needs Redshift"):
        PostgresDialect().copy_from_s3("t", source(), ROLE)


def test_manifest_lists_exactly_the_files_each_mandatory():
    assert json.loads(manifest_json([DATA])) == {"entries": [{"url": DATA, "mandatory": True}]}


def test_literal_doubles_quotes_and_refuses_backslashes_and_control_characters():
    assert literal("it's", "x") == "'it''s'"
    for bad in ("a\\b", "a\nb", "a\x00b"):
        with pytest.raises(WarehouseError, match="backslash or a control character"):
            literal(bad, "COPY manifest URL")


def test_lock_statement_follows_the_guides_syntax():
    """LOCK [ TABLE ] table_name [, ...] (r_LOCK); PostgreSQL reads it as ACCESS EXCLUSIVE too."""
    sql = lock_sql("gold", ["seat_status_daily", "seat_capacity_daily"])
    assert sql == "LOCK TABLE gold.seat_status_daily, gold.seat_capacity_daily"


def test_widening_is_the_one_alter_column_type_redshift_allows():
    """ALTER TABLE t ALTER COLUMN c TYPE new_data_type, VARCHAR only (r_ALTER_TABLE)."""
    assert widen_column_sql("gold", "seat_status_daily", "workspace_name", 2048) == (
        "ALTER TABLE gold.seat_status_daily ALTER COLUMN workspace_name TYPE VARCHAR(2048)")


def test_only_postgres_gets_a_snapshot_date_index():
    """Redshift has no indexes; its sort key does the work (docs/redshift-notes.md §11)."""
    assert RedshiftDialect().day_index_sql("gold", "seat_status_daily") is None
    assert day_index_name("seat_status_daily") == "seat_status_daily_snapshot_date_idx"
    assert PostgresDialect().day_index_sql("gold", "seat_status_daily") == (
        "CREATE INDEX seat_status_daily_snapshot_date_idx ON gold.seat_status_daily "
        "(snapshot_date)")
    table = create_table_sql(RedshiftDialect(), "gold", "seat_status_daily", GOLD_STATUS)
    assert "INDEX" not in table and table.endswith("SORTKEY (snapshot_date)")


def test_text_columns_are_sized_in_bytes_for_utf8():
    assert column_type("workspace_name", "str") == "VARCHAR(2048)"  # 512 four-byte characters
    assert column_type("admin_email", "str") == "VARCHAR(4096)"  # 16 addresses of 254 octets
    assert column_type("status", "str") == "VARCHAR(256)"
    assert column_type("client_id", "int") == "BIGINT"
    table = create_table_sql(RedshiftDialect(), "gold", "seat_status_daily", GOLD_STATUS)
    assert "workspace_name VARCHAR(2048)" in table and "CHECK" not in table


def test_insert_casts_text_without_a_shorter_length():
    """An explicit CAST to VARCHAR(n) cuts a longer value without an error; the INSERT casts text
    to the widest VARCHAR, so the column's own width applies and errors."""
    assert parameter_type("workspace_name", "str") == "VARCHAR(65535)"
    assert parameter_type("seats_held", "int") == "BIGINT"
    assert insert_sql("t", ["a"], [parameter_type("a", "str")], 1) == (
        "INSERT INTO t (a) VALUES (CAST(%s AS VARCHAR(65535)))")


def _settings(tmp_path, text: str) -> cfg.Settings:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return cfg.load_settings(path, env={})


def test_s3_region_setting(tmp_path):
    assert _settings(tmp_path, "").warehouse_s3_region == ""
    assert _settings(tmp_path, '[warehouse]\ns3_region = "eu-west-1"\n').warehouse_s3_region == "eu-west-1"
    with pytest.raises(ConfigError, match=r"\[warehouse\] s3_region = 'Frankfurt'.*AWS region name"):
        _settings(tmp_path, '[warehouse]\ns3_region = "Frankfurt"\n')
