"""The facts of now, for deriving approved plan rows again right before any call.

The plan was made from a gold day; between it and the call a client may have started paying
again, a consultant may have become admin of a paying client's workspace, a user may have been
deactivated by hand. :func:`facts` reads what decides a row again, the way the daily extract
reads it, without writing anything to the lake: ``GET /users`` now, the company's
module-status query now, and the admins of every workspace (``GET /workspaces`` and one
``/admins`` call per workspace; today's bronze instead when today's extract asked every
workspace). The seat ledger is then built by gold's own rules (:mod:`seatlib.stages.seats`); the
client statuses and idle days come from the plan's gold day, with today's module states.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..stages import extract, gold, seats, silver
from ..core.contracts import GOLD_STATUS
from ..systems.lake import bronze_key

log = logging.getLogger(__name__)


@dataclass
class Facts:
    ledger: pd.DataFrame  # the seat ledger of now (gold's columns)
    gold: pd.DataFrame  # the latest gold day's rows, with today's module states
    admins: pd.DataFrame  # silver zoho_workspace_admins of now
    users: pd.DataFrame  # silver zoho_users of now (every user, active or not)
    pairs: pd.DataFrame  # gold's admin pairs of now (workspace, admin, client, module)
    calls: int  # API calls it took
    admins_fresh: bool  # the admins came from today's full extract (no /admins call made)

    def paying_by_user(self) -> dict[str, list[int]]:
        """Each admin's clients that have the module now."""
        paying = self.pairs[self.pairs["matched"] & self.pairs["module_active"].fillna(False)
                            .astype(bool)]
        return {e: sorted(set(map(int, g))) for e, g in paying.groupby("admin_email")["client_id"]}


def facts(systems, today: date) -> Facts:
    """Read the facts of now (see the module's docstring); client statuses and idle days from
    the latest gold day up to ``today``."""
    from .plan import latest_gold_day

    settings = systems.settings
    lake = systems.lake
    with systems.zoho() as zoho:
        users_raw = extract.read_users(zoho)
        calls = 1
        admins_raw = _todays_full_admins(lake, today)
        fresh = admins_raw is not None
        if not fresh:
            workspaces = zoho.list_workspaces()
            log.info("reclaim check: asking Zoho for the admins of %d workspace(s) now (today's "
                     "extract did not ask every workspace)", len(workspaces))
            admins_raw = extract.read_workspace_admins(zoho, workspaces, users_raw, lake, today,
                                                       settings.zoho, full=True)
            calls += 1 + len(workspaces)
    module_raw = extract.read_module_status(systems)
    where = "the reclaim's check"
    users = silver.transform("zoho_users", users_raw, today, settings, where)
    admins = silver.transform("zoho_workspace_admins", admins_raw, today, settings, where)
    module = silver.transform("module_status", module_raw, today, settings, where)
    ledger, pairs = _ledger(users, admins, module, settings)
    rows = gold.read_day(lake, GOLD_STATUS.name, latest_gold_day(lake, today))
    now = module.set_index("client_id")["module_active"]
    rows["module_active"] = rows["client_id"].map(now).astype("boolean")
    return Facts(ledger, rows, admins, users, pairs, calls, fresh)


def _ledger(users: pd.DataFrame, admins: pd.DataFrame, module: pd.DataFrame, settings
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The seat ledger and the admin pairs of these facts, by gold's rules (docs/seats.md)."""
    mod = module[["client_id", "module_active"]]
    ws = gold.workspaces_of(admins, mod, settings)
    pairs = gold.pairs_of(admins, ws, mod)
    owners = set(admins["created_by"].dropna().astype("string").str.strip().str.lower())
    return seats.build(users, pairs, owners, settings.reclaim).ledger, pairs


def _todays_full_admins(lake, today: date) -> pd.DataFrame | None:
    """Today's admins bronze when today's extract asked every workspace (every row fetched
    today), else None."""
    key = bronze_key("zoho_workspace_admins", today)
    if not lake.exists(key):
        return None
    df = lake.read_csv(key, dtype=str, keep_default_na=False)
    fetched = df.get("admins_fetched_on")
    if fetched is None or len(df) == 0 or (fetched != today.isoformat()).any():
        return None
    return df
