"""The demo pipeline with its lake on S3 (moto's server over HTTP): the stage kernels, which are
separate processes, reach the bucket through boto3's normal environment, as on EC2."""

from __future__ import annotations

from datetime import date

import boto3
import pytest

from seatlib.core import config as cfg
from seatlib.run import demo, runner
from seatlib.systems.lake import Lake

from tests.fixtures.demo import STAGE_NOTEBOOKS, demo_config

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 29)


def test_demo_day_on_an_s3_lake(tmp_path, s3_lake_url, monkeypatch):
    monkeypatch.setenv("SEATLIB_LAKE_URL", s3_lake_url)
    path = demo_config(tmp_path, history_days=1)
    assert runner.main(["--demo", "--config", str(path), "--date", DAY.isoformat()]) == 0

    settings = cfg.load_settings(path)
    assert settings.lake_url == s3_lake_url
    bucket, _, prefix = s3_lake_url[len("s3://"):].partition("/")
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
    assert f"{prefix}/gold/seat_status/{DAY}.csv" in keys
    assert f"{prefix}/gold/seat_status_latest.csv" in keys
    assert f"{prefix}/silver/zoho_users/snapshot_date={DAY}/part.parquet" in keys
    assert not (tmp_path / "lake").exists()  # nothing went to the local folder of the config
    assert demo.check_against_truth(settings, DAY) == []
    assert sorted(p.name for p in (tmp_path / "runs" / DAY.isoformat() / "latest").glob("*.ipynb")) == STAGE_NOTEBOOKS
    assert len(Lake(s3_lake_url).list("bronze/")) == 10  # 5 sources x (history day + the day)
