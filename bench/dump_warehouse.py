"""Dump every table of the demo's warehouse (and company database) to sorted CSV files.

    .venv/bin/python bench/dump_warehouse.py OUT_DIR [--demo-dir var/demo]

One file per table, ``<schema>.<table>.csv``, rows sorted on all columns, so two demo runs of the
same day can be compared with ``diff -r``. Uses the demo's embedded PostgreSQL (started, or
found running) and the project's own connection code.
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from seatlib.systems import db
from seatlib.core import settings as cfg
from seatlib.sim import postgres

TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2
"""


def dump(out: Path, demo_dir: Path) -> list[Path]:
    pg = postgres.start_postgres(demo_dir / "pg")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with db.connect(cfg.DatabaseSettings(dsn=pg.dsn())) as conn:
            for schema, table in conn.fetch_frame(TABLES).itertuples(index=False):
                frame = conn.fetch_frame(f'SELECT * FROM "{schema}"."{table}"')
                frame = frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)
                path = out / f"{schema}.{table}.csv"
                frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
                written.append(path)
    finally:
        pg.stop()  # the demo starts its server again; a stopped one can be copied or removed
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--demo-dir", type=Path, default=Path("var/demo"))
    args = parser.parse_args()
    for path in dump(args.out, args.demo_dir):
        print(path)


if __name__ == "__main__":
    main()
