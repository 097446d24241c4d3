"""seatlib.systems.warehouse_copy on moto's S3: each gold file gets a one-file manifest next to it (a
stray file beside it is never listed), the COPY column list follows the file's header (columns
in another order load into the right columns), a header that breaks the contract is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from seatlib.core.contracts import GOLD_CAPACITY, GOLD_STATUS
from seatlib.core.errors import DataQualityError, LakeError
from seatlib.systems.lake import Lake, gold_key
from seatlib.systems.warehouse_copy import copy_sources, header_columns
from seatlib.systems.warehouse_sql import RedshiftDialect
from tests.fixtures.warehouse import DAY1, ROLE, capacity_frame, status_frame


@pytest.fixture()
def lake(s3_lake_url: str) -> Lake:
    lake = Lake(s3_lake_url)
    status = status_frame(DAY1)
    lake.write_csv(gold_key(GOLD_STATUS.name, DAY1), status[list(reversed(status.columns))])
    lake.write_csv(gold_key(GOLD_CAPACITY.name, DAY1), capacity_frame(DAY1))
    return lake


def test_the_column_list_follows_a_reordered_header(lake: Lake):
    sources = copy_sources(lake, DAY1)
    assert sources["status"].columns == tuple(reversed(GOLD_STATUS.columns))
    assert sources["capacity"].columns == tuple(GOLD_CAPACITY.columns)
    sql = RedshiftDialect().copy_from_s3("stage", sources["status"], ROLE)
    assert sql.startswith("COPY stage (note, shared_with, admin_shared, seats_reclaimable, "
                          "client_status, reclaimable, status, module_active, ")
    assert f"FROM '{lake.uri(gold_key(GOLD_STATUS.name, DAY1))}.manifest'" in sql


def test_the_manifest_lists_only_the_gold_file_not_a_stray_one_beside_it(lake: Lake):
    key = gold_key(GOLD_STATUS.name, DAY1)
    lake.write_bytes(key + ".bak", lake.read_bytes(key))  # gold/seat_status/2025-03-01.csv.bak
    lake.write_bytes(gold_key(GOLD_STATUS.name, dt.date(2025, 3, 11)), b"x\n")  # same prefix
    source = copy_sources(lake, DAY1, region="eu-central-1")["status"]
    assert source.manifest_url == lake.uri(key + ".manifest") and source.region == "eu-central-1"
    manifest = json.loads(lake.read_bytes(key + ".manifest"))
    assert manifest == {"entries": [{"url": lake.uri(key), "mandatory": True}]}
    sql = RedshiftDialect().copy_from_s3("stage", source, ROLE)
    assert " MANIFEST REGION 'eu-central-1' " in sql


def test_a_header_that_breaks_the_contract_is_refused_naming_the_file(lake: Lake):
    key = gold_key(GOLD_CAPACITY.name, DAY1)
    frame = capacity_frame(DAY1).rename(columns={"seats_free": "seats_left"})
    lake.write_csv(key, frame)
    with pytest.raises(DataQualityError) as err:
        copy_sources(lake, DAY1)
    text = str(err.value)
    assert lake.uri(key) in text and "missing ['seats_free']" in text
    assert "unexpected ['seats_left']" in text
    assert not lake.exists(key + ".manifest")


def test_a_missing_gold_file_is_a_lake_error(lake: Lake):
    with pytest.raises(LakeError, match="2025-03-09.csv does not exist"):
        copy_sources(lake, dt.date(2025, 3, 9))


@pytest.mark.parametrize("data, message", [
    (b"a,b,a\n1,2,3\n", "repeated ['a']"),
    (b"\xff\xfe\n", "not UTF-8"),
    (b"", "missing ['a', 'b']"),
])
def test_header_checks(data: bytes, message: str):
    from seatlib.core.contracts import Contract

    contract = Contract("t", {"a": "str", "b": "int"})
    with pytest.raises(DataQualityError) as err:
        header_columns(data, contract, "s3://b/t.csv")
    assert message in str(err.value)
    assert header_columns(b"b,a\r\n1,x\r\n", contract, "f") == ("b", "a")
