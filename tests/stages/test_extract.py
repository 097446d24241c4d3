"""The extract stage end to end over real HTTP: :func:`seatlib.stages.extract.run` with a real
:class:`~seatlib.systems.zoho.ZohoClient` against the simulator serving the demo world's
organisation (``World(42).zoho_state(DAY)``: 300 workspaces, 302 users, ~13,500 Access Log rows),
into a temporary lake. Only the Zoho sources run, so no database is needed.

Bronze is checked against the state the simulator served, computed here independently: every
workspace of the organisation with its admins and their domains (and the
``/workspaces/{id}/users`` fallback where ``/admins`` is empty), none of the other
organisations' workspaces the world lists too, the users with their portal domains, the seats,
and the latest access per (workspace, user) of the Access Log as Zoho shows it, with the date
format its metadata declares.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from seatlib.stages import extract
from seatlib.core.config import Settings, ZohoSecrets, ZohoSettings
from seatlib.core.contracts import BRONZE
from seatlib.core.errors import ConfigError
from seatlib.systems.lake import Lake, bronze_key
from seatlib.sim.protocol import show_time
from seatlib.sim.server import AUDIT_WORKSPACE, STANDARD_DOMAIN, SimLimits, ZohoSimulator
from seatlib.sim.state import ZohoState
from seatlib.sim.world import World
from seatlib.stages import StageOptions
from seatlib.systems import Systems
from seatlib.systems.zoho import ZohoClient

DAY = date(2026, 11, 29)


def _secrets() -> ZohoSecrets:
    # a refresh token of its own: the client's 10-tokens-per-10-minutes ledger is keyed by it
    return ZohoSecrets(client_id="1000.EXTRACTTEST", client_secret="extract-test-secret",
                       refresh_token=f"1000.extract-{uuid.uuid4().hex[:12]}")


def _settings(sim: ZohoSimulator, lake_url: str, org_id: str) -> Settings:
    return Settings(lake_url=lake_url, zoho=ZohoSettings(
        api_url=sim.url, accounts_url=sim.url, org_id=org_id, calls_per_minute=0,
        max_concurrency=4, request_timeout_s=5.0, retry_budget_s=5.0, export_timeout_s=20.0,
        export_poll_s=0.1))


@dataclasses.dataclass
class Extracted:
    state: ZohoState
    sim: ZohoSimulator
    settings: Settings
    secrets: ZohoSecrets
    result: extract.ExtractResult

    def bronze(self, source: str, day: date = DAY) -> pd.DataFrame:
        return Lake(self.settings.lake_url).read_csv(bronze_key(source, day), dtype=str,
                                                     keep_default_na=False)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Extracted:
    """One fault-free extract of the four Zoho sources for DAY (limits off: the rate limiter
    has its own tests and the benchmark)."""
    state = World(42).zoho_state(DAY)
    secrets = _secrets()
    sim = ZohoSimulator(state, client_id=secrets.client_id, client_secret=secrets.client_secret,
                        refresh_token=secrets.refresh_token,
                        limits=SimLimits(enabled=False, job_seconds=0.2)).start()
    settings = _settings(sim, str(tmp_path_factory.mktemp("extract") / "lake"), state.org_id)
    try:
        with ZohoClient(settings.zoho, secrets, backoff_base_s=0.01) as client:
            result = extract.run(DAY, Systems.of(settings, shared_zoho=client),
                                 StageOptions(allow_replay=True), sources=extract.ZOHO_SOURCES)
        yield Extracted(state, sim, settings, secrets, result)
    finally:
        sim.stop()


def _unique_ci(emails) -> list[str]:
    """First spelling of each address, compared case-insensitively (as the client keeps them)."""
    seen: dict[str, str] = {}
    for email in emails:
        seen.setdefault(email.strip().lower(), email.strip())
    return list(seen.values())


def _domain(state: ZohoState, email: str) -> str:
    user = next((u for u in state.users if u.email.lower() == email.lower()), None)
    return (user.domain if user else "") or STANDARD_DOMAIN


def _ours(state: ZohoState) -> list:
    return [w for w in state.workspaces if w.org_id in ("", state.org_id)]


def test_every_workspace_with_its_admins(extracted):
    df = extracted.bronze("zoho_workspace_admins")
    state = extracted.state
    foreign = {w.workspace_id for w in state.workspaces} - {w.workspace_id for w in _ours(state)}
    assert len(foreign) == 2  # the world lists two other organisations' workspaces...
    assert set(df["workspace_id"]) == {w.workspace_id for w in _ours(state)}  # ...left out
    assert extracted.sim.stats["errors"] == {}  # none of their calls was made
    admins = df[df["admin_email"] != ""]
    assert admins["admin_domain"].tolist() == [_domain(state, e) for e in admins["admin_email"]]
    assert {"", STANDARD_DOMAIN, "bi.seatco.example"} >= set(df["admin_domain"]) > {""}
    sources = defaultdict(int)
    for ws in _ours(state):
        rows = df[df["workspace_id"] == ws.workspace_id]
        if ws.admins:
            want, source = _unique_ci(ws.admins), "admins"
        else:  # /admins is empty: the workspace users with role "Workspace Admin"
            want = _unique_ci(e for e, role, _ in ws.users if role == "Workspace Admin")
            source = "users_fallback" if want else "none"
        sources[source] += 1
        assert sorted(rows["admin_email"]) == sorted(want or [""]), ws.name
        assert set(rows["admin_source"]) == {source}, ws.name
        assert set(rows["workspace_name"]) == {ws.name}
        assert set(rows["created_time_ms"]) == {str(ws.created_ms)}
        assert set(rows["created_by"]) == {ws.created_by}
    # the world has all three cases; the audit workspace is the one without any admin
    assert sources["users_fallback"] >= 5 and sources["admins"] >= 250
    assert df.loc[df["admin_source"] == "none", "workspace_name"].tolist() == [AUDIT_WORKSPACE]


def test_users(extracted):
    df = extracted.bronze("zoho_users")
    want = [(u.email, "true" if u.active else "false", u.role, u.domain or STANDARD_DOMAIN)
            for u in extracted.state.users]  # the world's org is a client-portal one
    assert sorted(df.itertuples(index=False, name=None)) == sorted(want)
    assert df["domain"].value_counts()["bi.seatco.example"] > 250
    assert len(want) > 300


@pytest.mark.parametrize("source", extract.ZOHO_SOURCES)
def test_bronze_is_written_in_key_order(extracted, source):
    """Whatever order Zoho or the company database answer in, a source lands sorted by its
    key, so a re-run writes the same bytes."""
    df = extracted.bronze(source)
    key = list(BRONZE[source].key)
    ints = [c for c in key if BRONZE[source].columns[c] == "int"]
    typed = df[key].apply(lambda s: pd.to_numeric(s) if s.name in ints else s)
    assert len(df) > 0
    assert typed.equals(typed.sort_values(key, kind="stable")), f"{source} is not in key order"


def test_seats(extracted):
    state = extracted.state
    df = extracted.bronze("zoho_seats").set_index("resource_name")
    ro_used = sum(1 for u in state.users if u.active and u.role == "Viewer")
    assert df.loc["users"].tolist() == [str(state.seats_allocated), str(state.seats_used),
                                        str(max(state.seats_allocated - state.seats_used, 0))]
    assert df.loc["roUsers"].tolist() == [str(state.ro_seats_allocated), str(ro_used),
                                          str(state.ro_seats_allocated - ro_used)]


def test_last_access_is_the_latest_per_workspace_and_user(extracted):
    latest: dict[tuple[str, str], datetime] = {}
    for row in extracted.state.access_log:
        key = (row.workspace_name, row.accessed_by)
        latest[key] = max(latest.get(key, row.accessed_at), row.accessed_at)
    pattern = extracted.state.access_time_format  # Zoho's documented example, "dd MMM, ..."
    assert pattern == "dd MMM, yyyy HH:mm:ss"
    want = {(ws, user, show_time(at.astimezone(timezone.utc), pattern), pattern, "0")
            for (ws, user), at in latest.items()}
    df = extracted.bronze("zoho_last_access")
    assert list(df.columns) == ["workspace_name", "user_email", "last_access_at", "time_format",
                                "future_accesses"]
    got = set(df.itertuples(index=False, name=None))
    assert len(got) == len(df) == len(want) > 400
    assert got == want


def test_result_and_calls(extracted):
    result, state, stats = extracted.result, extracted.state, extracted.sim.stats
    assert set(result.rows) == set(extract.ZOHO_SOURCES)
    assert result.rows["zoho_users"] == len(state.users)
    requests = stats["requests"]
    assert requests["GET /restapi/v2/workspaces/{ws}/admins"] == len(_ours(state))
    # the fallback asks /users only of the workspaces whose /admins was empty
    assert requests["GET /restapi/v2/workspaces/{ws}/users"] == sum(
        1 for w in _ours(state) if not w.admins)
    assert requests["GET /restapi/v2/workspaces/{ws}/views/{view}/metadata"] == 1
    assert stats["tokens_issued"] == 1 and stats["errors"] == {}


def test_a_past_day_is_refused_without_allow_replay(extracted):
    before = extracted.sim.stats["requests_total"]
    past = date(2026, 11, 1)
    with pytest.raises(ConfigError) as info:
        extract.run(past, Systems.of(extracted.settings, zoho_secrets=extracted.secrets),
                    sources=extract.ZOHO_SOURCES)
    text = str(info.value)
    assert f"cannot extract {past}" in text and "Zoho answers only for today" in text
    assert "--backfill" in text  # what to do instead
    assert extracted.sim.stats["requests_total"] == before  # refused before any call
    assert not Lake(extracted.settings.lake_url).list(f"bronze/zoho_users/{past}")


def test_today_needs_no_replay_and_the_stage_builds_its_own_client(extracted, tmp_path,
                                                                   monkeypatch):
    """Systems built from the environment give the stage a client from the settings and the
    ZOHO_* secrets."""
    secrets = extracted.secrets
    monkeypatch.setenv("ZOHO_CLIENT_ID", secrets.client_id)
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", secrets.client_secret)
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN", secrets.refresh_token)
    monkeypatch.delenv("SEATLIB_SECRETS_ID", raising=False)
    settings = dataclasses.replace(extracted.settings, lake_url=str(tmp_path / "lake"))
    today = datetime.now(timezone.utc).date()
    result = extract.run(today, Systems.from_environment(settings), sources=("zoho_seats",))
    assert result.rows == {"zoho_seats": 2}
    assert Lake(settings.lake_url).exists(bronze_key("zoho_seats", today))


def test_access_export_in_another_engines_shape_is_normalised():
    """An export that kept the table's column names and ignored the GROUP BY still lands as one
    row per workspace and user with the latest access."""
    import pandas as pd

    from seatlib.core.config import ZohoSettings
    from seatlib.stages.extract import normalize_access_export

    raw = pd.DataFrame({"Workspace Name": ["1 - A", "1 - A", "2 - B"],
                        "Accessed By": ["x@a.com", "x@a.com", "y@b.com"],
                        "Accessed Time": ["2026-11-28 10:00:00", "2026-11-28 09:00:00",
                                          "2026-11-27 08:00:00"]})
    out = normalize_access_export(raw, ZohoSettings())
    assert out.to_dict("records") == [
        {"workspace_name": "1 - A", "user_email": "x@a.com", "last_access_at": "2026-11-28 10:00:00",
         "time_format": "", "future_accesses": "0"},
        {"workspace_name": "2 - B", "user_email": "y@b.com", "last_access_at": "2026-11-27 08:00:00",
         "time_format": "", "future_accesses": "0"}]


def test_access_export_deduplicated_with_the_declared_month_first_format():
    """Reduced by the time the declared format reads (month first), not a day-first guess."""
    import pandas as pd

    from seatlib.core.config import ZohoSettings
    from seatlib.stages.extract import normalize_access_export

    raw = pd.DataFrame({"workspace_name": ["1 - A", "1 - A"], "user_email": ["x@a.com"] * 2,
                        "last_access_at": ["02/03/2026 10:00:00", "03/02/2026 10:00:00"]})
    out = normalize_access_export(raw, ZohoSettings(), "MM/dd/yyyy HH:mm:ss")
    # month first: 3 Feb < 2 Mar, so the latest is "03/02" (day first would keep "02/03")
    assert out["last_access_at"].tolist() == ["03/02/2026 10:00:00"]
    assert out["time_format"].tolist() == ["MM/dd/yyyy HH:mm:ss"]


def test_access_export_missing_a_column_is_left_for_the_contract_to_name():
    import pandas as pd

    from seatlib.core.config import ZohoSettings
    from seatlib.stages.extract import normalize_access_export

    raw = pd.DataFrame({"workspace_name": ["1 - A"], "user_email": ["x@a.com"]})
    assert list(normalize_access_export(raw, ZohoSettings()).columns) == ["workspace_name", "user_email"]
