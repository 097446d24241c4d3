"""seatlib.systems.company against a real PostgreSQL (seatlib.sim.postgres), and through pgbouncer with
redshift_connector: the module-status query, its checks, and its read-only transaction."""

from __future__ import annotations

import uuid

import pytest

from seatlib.systems import db
from seatlib.systems.company import CompanyDatabase
from seatlib.core.config import DatabaseSettings
from seatlib.core.errors import CompanyDatabaseError, DataQualityError, WarehouseError


@pytest.fixture(scope="module")
def company(pg_dsn: str) -> CompanyDatabase:
    return CompanyDatabase(DatabaseSettings(dsn=pg_dsn))


@pytest.fixture(scope="module")
def clients(pg_dsn: str) -> str:
    """A ``<schema>.clients`` table shaped like the company database's."""
    app = f"app_{uuid.uuid4().hex[:6]}"
    with db.connect(DatabaseSettings(dsn=pg_dsn)) as conn:
        conn.execute(f"CREATE SCHEMA {app}")
        conn.execute(f"CREATE TABLE {app}.clients (client_id INTEGER, bi_module_active BOOLEAN, "
                     f"bi_module_since DATE, name TEXT)")
        conn.execute(f"INSERT INTO {app}.clients VALUES (7, TRUE, '2024-01-01', 'a'), "
                     f"(8, FALSE, '2024-02-01', 'b'), (9, TRUE, NULL, 'never had it')")
    return f"{app}.clients"


def test_module_status_from_a_table_with_the_default_query_shape(company: CompanyDatabase,
                                                                 clients: str):
    out = company.module_status(f"SELECT client_id, bi_module_active AS module_active "
                                f"FROM {clients} WHERE bi_module_since IS NOT NULL")
    assert list(out.columns) == ["client_id", "module_active"]
    assert str(out["client_id"].dtype) == "Int64" and str(out["module_active"].dtype) == "boolean"
    assert out.sort_values("client_id").to_dict("list") == {"client_id": [7, 8],
                                                            "module_active": [True, False]}


@pytest.mark.postgres_only  # VALUES lists as tables, ::numeric
def test_module_status_coerces_text_and_number_flags_and_drops_extra_columns(company: CompanyDatabase):
    out = company.module_status(
        "SELECT * FROM (VALUES ('1', 't', 'x'), ('2', 'No', 'y'), ('3', ' TRUE ', 'z'), "
        "('4', '0', 'w'), ('5', 'yes', 'v'), ('6', 'false', 'u'), ('7', 'Y', 't'), ('8', 'n', 's')) "
        "v(client_id, module_active, extra)")
    assert list(out.columns) == ["client_id", "module_active"]
    assert out["client_id"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert out["module_active"].tolist() == [True, False, True, False, True, False, True, False]
    numeric = company.module_status("SELECT * FROM (VALUES (10::numeric, 1), (11::numeric, 0)) "
                                    "v(client_id, module_active)")
    assert numeric["module_active"].tolist() == [True, False]


@pytest.mark.parametrize("sql, message", [
    ("SELECT 1 AS client_id, TRUE AS active", "missing column 'module_active'"),
    ("SELECT 1 AS id, TRUE AS module_active", "missing column 'client_id'"),
    ("SELECT * FROM (VALUES (1, TRUE), (2, FALSE), (1, FALSE)) v(client_id, module_active)",
     "appear more than once: [1]"),
    ("SELECT * FROM (VALUES (1, TRUE), (NULL, FALSE)) v(client_id, module_active)",
     "1 row(s) have an empty client_id"),
    ("SELECT * FROM (VALUES (1, 'yes'), (2, 'maybe')) v(client_id, module_active)",
     "module_active 'maybe' for client_id 2 is not a boolean"),
    ("SELECT * FROM (VALUES (1, 'yes'), (2, NULL)) v(client_id, module_active)",
     "module_active is empty for client_id 2"),
    ("SELECT * FROM (VALUES ('x1', TRUE)) v(client_id, module_active)",
     "client_id 'x1' is not an integer"),
])
@pytest.mark.postgres_only  # VALUES lists as tables
def test_module_status_errors_name_the_problem(company: CompanyDatabase, sql: str, message: str):
    with pytest.raises(DataQualityError) as err:
        company.module_status(sql)
    assert message in str(err.value)
    assert "module status query" in str(err.value)


def test_module_status_missing_column_quotes_the_returned_columns(company: CompanyDatabase):
    with pytest.raises(DataQualityError, match=r"returned columns \['client_id', 'active'\]"):
        company.module_status("SELECT 1 AS client_id, TRUE AS active")


def test_failing_query_is_a_database_error_and_the_next_query_works(company: CompanyDatabase):
    with pytest.raises(CompanyDatabaseError, match="no_such_table") as err:
        company.module_status("SELECT client_id, module_active FROM no_such_table")
    assert isinstance(err.value, WarehouseError) and "module status query" in str(err.value)
    again = company.module_status("SELECT 1 AS client_id, TRUE AS module_active")
    assert again["client_id"].tolist() == [1]


def _module_rows(pg_dsn: str, clients: str) -> list:
    with db.connect(DatabaseSettings(dsn=pg_dsn)) as conn:
        return conn.fetch_frame(f"SELECT * FROM {clients} ORDER BY client_id").values.tolist()


def test_a_query_that_writes_is_refused_and_writes_nothing(company: CompanyDatabase, clients: str,
                                                          pg_dsn: str):
    before = _module_rows(pg_dsn, clients)
    sql = (f"DELETE FROM {clients} WHERE client_id = 7 "
           f"RETURNING client_id, bi_module_active AS module_active")
    with pytest.raises(CompanyDatabaseError) as err:
        company.module_status(sql)
    text = str(err.value)
    assert f"module status query 'DELETE FROM {clients} WHERE client_id = 7" in text
    assert "read-only transaction" in text and "module_status_query a SELECT" in text
    with pytest.raises(CompanyDatabaseError, match="read-only transaction"):  # a writable CTE
        company.module_status(f"WITH d AS (UPDATE {clients} SET name = 'x' "
                              f"RETURNING client_id, bi_module_active) "
                              f"SELECT client_id, bi_module_active AS module_active FROM d")
    assert _module_rows(pg_dsn, clients) == before


def test_connection_failure_is_a_company_database_error_without_the_password(pg_server):
    dsn = (f"postgresql://postgres:s3cret-pw@/no_such_db?host={pg_server.socket_dir}"
           f"&port={pg_server.port}")
    with pytest.raises(CompanyDatabaseError) as err:
        CompanyDatabase(DatabaseSettings(dsn=dsn)).module_status("SELECT 1")
    assert "no_such_db" in str(err.value) and "s3cret-pw" not in str(err.value)


class _FakeRedshift:
    """Records what seatlib.systems.db asks of a redshift_connector connection."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.autocommit = False

    def cursor(self) -> "_FakeRedshift":
        return self

    def execute(self, sql: str, params=None) -> None:
        self.calls.append(f"execute {sql} (autocommit={self.autocommit})")

    description = [("client_id",), ("module_active",)]

    def fetchall(self) -> list:
        return [(1, True)]

    def commit(self) -> None:
        self.calls.append("commit")

    def rollback(self) -> None:
        self.calls.append("rollback")

    def close(self) -> None:
        pass


def test_redshift_connector_read_only_transaction_is_opened_with_begin_read_only():
    """redshift_connector sends its own "begin transaction" unless in autocommit mode: for a
    read-only transaction seatlib switches autocommit on and opens it with BEGIN READ ONLY."""
    fake = _FakeRedshift()
    conn = db.Connection(fake, target="t", driver=db.REDSHIFT_CONNECTOR, driver_errors=())
    assert conn.fetch_frame("SELECT 1", read_only=True).values.tolist() == [[1, True]]
    assert fake.calls == ["execute BEGIN READ ONLY (autocommit=True)",
                          "execute SELECT 1 (autocommit=True)", "commit"]
    assert fake.autocommit is False
    conn.fetch_frame("SELECT 2")
    assert fake.calls[-2:] == ["execute SELECT 2 (autocommit=False)", "commit"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_redshift_connector_through_pgbouncer_reads_module_status_read_only(redshift_dsn: str,
                                                                           clients: str,
                                                                           pg_dsn: str):
    company = CompanyDatabase(DatabaseSettings(dsn=redshift_dsn))
    flags = company.module_status("SELECT 1 AS client_id, 't' AS module_active "
                                  "UNION ALL SELECT 2, 'no'")  # no VALUES list: Redshift SQL
    assert sorted(flags["module_active"].tolist()) == [False, True]
    before = _module_rows(pg_dsn, clients)
    with pytest.raises(CompanyDatabaseError, match="read-only transaction"):
        company.module_status(f"DELETE FROM {clients} "
                              f"RETURNING client_id, bi_module_active AS module_active")
    assert _module_rows(pg_dsn, clients) == before
    assert len(company.module_status(f"SELECT client_id, bi_module_active AS module_active "
                                     f"FROM {clients}")) == len(before)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_redshift_connector_path_runs_the_query_inside_a_read_only_transaction(redshift_dsn: str):
    """Through pgbouncer the server itself reports the transaction READ ONLY (BEGIN READ ONLY was
    sent before the query, docs/redshift-notes.md §9), and the next query is back to normal."""
    company = CompanyDatabase(DatabaseSettings(dsn=redshift_dsn))
    out = company.module_status("SELECT 1 AS client_id, "
                                "current_setting('transaction_read_only') = 'on' AS module_active")
    assert out["module_active"].tolist() == [True]
    with db.connect(DatabaseSettings(dsn=redshift_dsn)) as conn:
        conn.fetch_frame("SELECT 1", read_only=True)
        again = conn.fetch_frame("SELECT current_setting('transaction_read_only')")
        assert again.iloc[0, 0] == "off"
