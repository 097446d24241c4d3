"""Zoho fixtures: a small hand-built organisation served by a real local simulator.

* ``zoho_state``: 5 workspaces (one shared, the audit workspace, one whose admins list is empty
  but whose users hold a "Workspace Admin", one with no admin at all), 8 users, access rows.
* ``zoho_secrets``: OAuth credentials, with a refresh token unique to the test (the client's
  process-wide 10-tokens-per-10-minutes ledger is keyed by it).
* ``zoho_sim``: a running :class:`~seatlib.sim.server.ZohoSimulator` with Zoho's limits on.
* ``zoho_settings``: :class:`~seatlib.config.ZohoSettings` pointing at the simulator, with no
  client-side rate limit, short timeouts and a small retry budget.
* ``make_zoho_client``: builds clients (closed at teardown); keyword overrides go to the settings,
  ``backoff_base_s``/``sleep`` to the client. Backoff is 10 ms so retries stay fast.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone
from typing import Callable, Iterator

import pytest

from seatlib.config import ZohoSecrets, ZohoSettings
from seatlib.sim.server import AUDIT_WORKSPACE, SimLimits, ZohoSimulator
from seatlib.sim.state import AccessRow, SimUser, SimWorkspace, ZohoState
from seatlib.zoho import ZohoClient

OWNER = "bi@reseller.example"
ORG_ID = "671712892"
AS_OF = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)

WS_ALPHA = "1767024000000060001"  # admins: ana
WS_BETA = "1767024000000060002"  # no admins; users: bob is "Workspace Admin" -> users_fallback
WS_GAMMA = "1767024000000060003"  # no admins, no workspace admin -> none
WS_DELTA = "1767024000000060004"  # shared with the account; admins dan (twice, case differs)
WS_AUDIT = "1767024000000060005"  # "Zoho Analytics Audits"


def _ws(ws_id: str, name: str, day: int, admins: tuple[str, ...] = (),
        users: tuple[tuple[str, str, bool], ...] = (), owned: bool = True) -> SimWorkspace:
    created = int(datetime(2025, 1, day, tzinfo=timezone.utc).timestamp() * 1000)
    return SimWorkspace(ws_id, name, created, OWNER, admins,
                        ((OWNER, "Account Admin", True),) + users,
                        ((str(int(ws_id) + 10_000), "Dashboard", "Dashboard"),), owned)


def build_zoho_state() -> ZohoState:
    """The organisation every Zoho test starts from (a plain function, for tests that tweak it)."""
    workspaces = (
        _ws(WS_ALPHA, "1001 - Alpha Ltda", 1, ("ana@alpha.example",),
            (("ana@alpha.example", "Workspace Admin", True),)),
        _ws(WS_BETA, "1002 - Beta SA", 2, (),
            (("bob@beta.example", "Workspace Admin", True), ("bea@beta.example", "User", False))),
        _ws(WS_GAMMA, "1003 - Gamma", 3, (), (("carl@gamma.example", "User", True),)),
        _ws(WS_DELTA, "1004 - Delta", 4, ("dan@delta.example", "DAN@delta.example"),
            (("dan@delta.example", "Workspace Admin", True),), owned=False),
        _ws(WS_AUDIT, AUDIT_WORKSPACE, 5),
    )
    users = (
        SimUser(OWNER, True, "Organization Admin"),
        SimUser("ana@alpha.example", True),
        SimUser("bob@beta.example", True),
        SimUser("bea@beta.example", False),
        SimUser("carl@gamma.example", True),
        SimUser("dan@delta.example", True),
        SimUser("eve@alpha.example", True, "Viewer"),
        SimUser("fay@gamma.example", False),
    )
    access = (
        AccessRow(datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc), "ana@alpha.example",
                  "1001 - Alpha Ltda"),
        AccessRow(datetime(2026, 3, 9, 17, 5, 42, tzinfo=timezone.utc), "ana@alpha.example",
                  "1001 - Alpha Ltda"),
        AccessRow(datetime(2026, 1, 15, 8, 0, tzinfo=timezone.utc), "bob@beta.example",
                  "1002 - Beta SA"),
        AccessRow(datetime(2026, 2, 20, 12, 0, tzinfo=timezone.utc), "ana@alpha.example",
                  "1002 - Beta SA"),
        AccessRow(datetime(2026, 3, 8, 23, 59, 59, tzinfo=timezone.utc), "dan@delta.example",
                  "1004 - Delta"),
    )
    return ZohoState(org_id=ORG_ID, org_name="reseller", as_of=AS_OF, owner_email=OWNER,
                     workspaces=workspaces, users=users, seats_allocated=70,
                     ro_seats_allocated=100, access_log=access)


@pytest.fixture
def zoho_state() -> ZohoState:
    return build_zoho_state()


@pytest.fixture
def zoho_secrets() -> ZohoSecrets:
    tag = uuid.uuid4().hex[:12]
    return ZohoSecrets(client_id="1000.TESTCLIENTIDQ7X2",
                       client_secret="cs-5ecret-d0-not-leak",
                       refresh_token=f"1000.rt-{tag}.n3ver-in-messages")


def start_sim(state: ZohoState, secrets: ZohoSecrets, **kwargs) -> ZohoSimulator:
    """A started simulator accepting ``secrets`` (kwargs go to :class:`ZohoSimulator`)."""
    kwargs.setdefault("limits", SimLimits(job_seconds=0.1))
    return ZohoSimulator(state, client_id=secrets.client_id, client_secret=secrets.client_secret,
                         refresh_token=secrets.refresh_token, **kwargs).start()


@pytest.fixture
def zoho_sim(zoho_state: ZohoState, zoho_secrets: ZohoSecrets) -> Iterator[ZohoSimulator]:
    sim = start_sim(zoho_state, zoho_secrets)
    try:
        yield sim
    finally:
        sim.stop()


def settings_for(sim: ZohoSimulator, **overrides) -> ZohoSettings:
    """Settings pointing at ``sim``: no client rate limit, short timeouts, small budgets."""
    base = ZohoSettings(api_url=sim.url, accounts_url=sim.url, org_id=sim.state.org_id,
                        calls_per_minute=0, max_concurrency=4, request_timeout_s=2.0,
                        retry_budget_s=5.0, export_timeout_s=10.0, export_poll_s=0.2)
    return dataclasses.replace(base, **overrides)


@pytest.fixture
def zoho_settings(zoho_sim: ZohoSimulator) -> ZohoSettings:
    return settings_for(zoho_sim)


@pytest.fixture
def make_zoho_client(zoho_settings: ZohoSettings,
                     zoho_secrets: ZohoSecrets) -> Iterator[Callable[..., ZohoClient]]:
    clients: list[ZohoClient] = []

    def make(*, settings: ZohoSettings | None = None, secrets: ZohoSecrets | None = None,
             backoff_base_s: float = 0.01, backoff_cap_s: float = 0.2, sleep=None,
             log=None, **overrides) -> ZohoClient:
        chosen = settings or zoho_settings
        if overrides:
            chosen = dataclasses.replace(chosen, **overrides)
        kwargs = {} if sleep is None else {"sleep": sleep}
        client = ZohoClient(chosen, secrets or zoho_secrets, log=log,
                            backoff_base_s=backoff_base_s, backoff_cap_s=backoff_cap_s,
                            **kwargs)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def zoho_client(make_zoho_client: Callable[..., ZohoClient]) -> ZohoClient:
    return make_zoho_client()
