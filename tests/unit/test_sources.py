"""Sources defined once (seatlib.core.sources): a source added later names the day it exists
from, and the days before it are complete without it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from seatlib.core import sources
from seatlib.core.contracts import BRONZE, SILVER, SOURCES
from seatlib.core.sources import Source
from seatlib.stages.extract import missing_bronze
from seatlib.systems.lake import Lake, bronze_key

DAY = date(2026, 11, 29)


def test_every_source_has_its_contracts_and_one_entry():
    assert SOURCES == tuple(s.name for s in sources.REGISTRY)
    assert list(BRONZE) == list(SOURCES) and set(SILVER) >= set(SOURCES)
    assert sources.on(DAY) == SOURCES  # none starts later today


def later_source(monkeypatch, since: date) -> str:
    name = "zoho_new_source"
    monkeypatch.setattr(sources, "REGISTRY",
                        sources.REGISTRY + (Source(name, "zoho", since=since),))
    return name


def test_a_source_added_later_is_left_out_of_the_days_before_it(monkeypatch):
    name = later_source(monkeypatch, DAY)
    assert name not in sources.on(date(2026, 11, 28))
    assert sources.on(DAY)[-1] == name and name in sources.on(date(2026, 12, 1))


def test_backfill_and_catch_up_find_nothing_missing_on_a_day_before_a_new_source(tmp_path,
                                                                                  monkeypatch):
    lake = Lake(str(tmp_path / "lake"))
    for day in (date(2026, 11, 28), DAY):
        for source in SOURCES:
            lake.write_bytes(bronze_key(source, day), b"x\n")
    name = later_source(monkeypatch, DAY)
    assert missing_bronze(lake, date(2026, 11, 28)) == []  # complete: rebuilt by a back-fill
    assert missing_bronze(lake, DAY) == [name]  # from its day on, its bronze is needed
    lake.write_bytes(bronze_key(name, DAY), pd.DataFrame({"x": [1]}).to_csv(index=False).encode())
    assert missing_bronze(lake, DAY) == []
