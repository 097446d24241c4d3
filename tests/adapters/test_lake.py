"""The lake on a local folder and on S3 (moto's server over HTTP): same keys, atomic writes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from seatlib.core.errors import LakeError
from seatlib.systems.lake import Lake, bronze_key, days_in, gold_key, silver_key


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    if request.param == "local":
        return Lake(str(tmp_path / "lake"))
    return Lake(request.getfixturevalue("s3_lake_url"))


def test_keys_follow_the_layout():
    d = date(2026, 11, 29)
    assert bronze_key("zoho_users", d) == "bronze/zoho_users/2026-11-29.csv"
    assert silver_key("zoho_users", d) == "silver/zoho_users/snapshot_date=2026-11-29/part.parquet"
    assert gold_key("seat_status", d) == "gold/seat_status/2026-11-29.csv"


def test_bytes_round_trip_replace_and_list(lake):
    lake.write_bytes("bronze/x/2026-11-28.csv", b"a\n1\n")
    lake.write_bytes("bronze/x/2026-11-29.csv", b"a\n2\n")
    lake.write_bytes("bronze/x/2026-11-29.csv", b"a\n3\n")
    assert lake.read_bytes("bronze/x/2026-11-29.csv") == b"a\n3\n"
    assert lake.list("bronze/x/") == ["bronze/x/2026-11-28.csv", "bronze/x/2026-11-29.csv"]
    assert days_in(lake, "bronze/x/") == [date(2026, 11, 28), date(2026, 11, 29)]
    assert lake.exists("bronze/x/2026-11-28.csv") and not lake.exists("bronze/x/2026-11-27.csv")


def test_missing_object_names_the_uri(lake):
    with pytest.raises(LakeError, match="gold/none.csv does not exist"):
        lake.read_bytes("gold/none.csv")


def test_parquet_and_csv_round_trip(lake):
    df = pd.DataFrame({"a": pd.array([1, None], dtype="Int64"),
                       "b": pd.array(["x", None], dtype="string")})
    lake.write_parquet("silver/t/part.parquet", df)
    pd.testing.assert_frame_equal(lake.read_parquet("silver/t/part.parquet"), df)
    lake.write_csv("gold/t.csv", df)
    assert lake.read_bytes("gold/t.csv") == b"a,b\n1,x\n,\n"


def test_failed_local_write_keeps_the_old_file(tmp_path, monkeypatch):
    lake = Lake(str(tmp_path))
    lake.write_bytes("gold/a.csv", b"good")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(LakeError, match="could not write .*gold/a.csv.*disk full"):
        lake.write_bytes("gold/a.csv", b"bad")
    assert lake.read_bytes("gold/a.csv") == b"good"
    assert [p.name for p in (tmp_path / "gold").iterdir()] == ["a.csv"]  # no temp file left


def test_s3_url_needs_a_bucket():
    with pytest.raises(LakeError, match="no bucket"):
        Lake("s3:///prefix")


def test_create_never_replaces_an_object_locally_or_on_s3(lake):
    """The append-only logs (the reclaim trail, the run ledger) rely on it: on S3 the PUT carries
    If-None-Match: *, which moto's server, like S3, refuses with 412 when the key exists."""
    lake.create_bytes("reclaim/trail/2026-11-29/a.json", b"first")
    with pytest.raises(LakeError, match=r"could not create .*reclaim/trail/2026-11-29/a\.json"):
        lake.create_bytes("reclaim/trail/2026-11-29/a.json", b"second")
    assert lake.read_bytes("reclaim/trail/2026-11-29/a.json") == b"first"
    lake.create_bytes("reclaim/trail/2026-11-29/b.json", b"other")  # a new key is fine
    assert lake.list("reclaim/trail/") == ["reclaim/trail/2026-11-29/a.json",
                                           "reclaim/trail/2026-11-29/b.json"]
