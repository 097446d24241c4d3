"""A deterministic demo world: a SaaS company reselling Zoho Analytics (white label) over time.

The world answers three questions for any date, always the same way for the same seed:

* :meth:`World.zoho_state` - what Zoho Analytics shows at 06:00 UTC that day (workspaces, their
  admins and users, the organisation's users and seats, the audit Access Log);
* :meth:`World.company_rows` - the company's ``app.clients`` table at that instant;
* :meth:`World.truth` - the gold the pipeline should produce, derived from the world's own facts.

How the world is built
----------------------
* **Clients** arrive after :data:`ORIGIN` (about 100 a year). Everything about client ``n`` (id,
  name, admin, contract date, churn, engagement, quirks) comes from its own RNG,
  ``random.Random(f"{seed}:client:{n}")``; only its arrival date also depends on the clients before
  it (arrivals are a cumulative sum of gaps), and clients are always generated in order 0, 1, 2...
* **Seats** are a causal event simulation (workspace creations, cancellations, re-contracts, the
  support team's cleanups) processed in time order. It is extended lazily, month by month, and an
  extension never changes what was already simulated, so the state for a day does not depend on
  which days were asked before.
* **Accesses** are drawn per (entity, calendar month) with ``random.Random(f"{seed}:access:...")``
  and then filtered by the simulated seat state (an inactive user cannot open a dashboard).

Nothing reads the clock: every instant is derived from the seed and the requested date.

Tuning note: with ~100 arrivals a year and 70 seats, Little's law caps the number of paying clients
holding a seat at ~50, so the module's mean tenure must be a few months (most clients try the module
and cancel). The churn parameters below are tuned for that, which is the setting the project
describes: seats saturate, ex-clients hold seats, new clients wait.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import heapq
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from .state import AccessRow, SimUser, SimWorkspace, ZohoState

#: First day of the world; every client arrives after it.
ORIGIN = date(2023, 12, 1)
#: The Access Log was enabled on this day; earlier accesses were never logged (no backfill).
AUDIT_START = date(2024, 3, 1)

UTC = timezone.utc
AUDIT_WORKSPACE = "Zoho Analytics Audits"
OWNER_EMAIL = "bi.admin@seatco.example"
SUPPORT_EMAIL = "analytics@seatco.example"
ORG_ID = "671712892"
ORG_NAME = "seatco"
RUN_TIME = time(6, 0, 0)  # a daily run looks at the world at 06:00 UTC

# --- Tuning ---------------------------------------------------------------------------------------
ARRIVALS_PER_YEAR = 100.0
CHURN_PROB = 0.95  # share of clients that cancel the module at some point
CHURN_MEDIAN_DAYS = 90.0  # lognormal tenure of those who cancel...
CHURN_SIGMA = 0.7
CHURN_MIN_DAYS, CHURN_MAX_DAYS = 40, 900  # ...clipped to this range
RECONTRACT_PROB = 0.025  # share of churned clients that come back (~2 % of all clients)
NEVER_ACCEPT_PROB = 0.04  # the admin never accepts the invitation: inactive although seats are free
EMPTY_ADMINS_PROB = 0.04  # /admins is empty; the admin only shows in /workspaces/{id}/users
TWO_ADMINS_PROB = 0.02
MIXED_CASE_PROB = 0.04  # the /admins list shows "Maria.Souza@..." while /users shows lower case
PEEK_PROB = 0.25  # ex-clients that keep opening dashboards for a while after cancelling
CLEANUP_DELAY_DAYS = 10  # tickets pile up for this long before the team cleans up
CLEANUP_SHARE = 0.75  # share of eligible ex-clients whose admin the cleanup deactivates
CLEANUP_GRACE_DAYS = 45  # the team leaves recent cancellations alone (they may come back)
CLEANUP_TIME = time(15, 0, 0)
NO_MODULE_CLIENTS = 60  # company clients that never bought the BI module
RESERVED_IDS = frozenset({8888, 9001})  # leading numbers of the partner workspaces

#: Probability of at least one access on a weekday, by engagement profile (weekends: x0.25).
PROFILE_RATES = {"heavy": 0.75, "regular": 0.35, "light": 0.07, "dormant": 0.35}
PROFILE_WEIGHTS = (("heavy", 0.22), ("regular", 0.36), ("light", 0.27), ("dormant", 0.15))
SUPPORT_RATE = 0.012  # daily chance that support opens a paying client's workspace

# --- Word lists for fake Brazilian companies ------------------------------------------------------
_BUSINESSES = (
    "Padaria", "Transportes", "Farmácia", "Construtora", "Auto Peças", "Supermercado",
    "Distribuidora", "Comercial", "Clínica", "Ótica", "Papelaria", "Materiais de Construção",
    "Restaurante", "Academia", "Imobiliária", "Agropecuária", "Laticínios", "Confecções",
    "Metalúrgica", "Escola", "Pet Shop", "Drogaria", "Madeireira", "Vidraçaria", "Gráfica",
    "Contabilidade", "Tecnologia", "Logística", "Hotel", "Pousada", "Mercearia", "Açougue",
    "Lavanderia", "Floricultura", "Calçados", "Móveis", "Eletrônicos", "Engenharia",
)
_DESCRIPTORS = (
    "Sol Nascente", "Boa Vista", "São Jorge", "Santa Luzia", "Bela Vista", "Estrela do Sul",
    "Nova Era", "Primavera", "Horizonte", "Ipê Amarelo", "Serra Azul", "Três Irmãos", "Vale Verde",
    "Cristal", "Aurora", "Rio Doce", "Pioneira", "Central", "União", "Paraíso", "Bom Jesus",
    "Planalto", "Litoral", "Girassol", "Cruzeiro", "Progresso", "Esperança", "Mar Azul",
)
_SURNAMES = (
    "Araújo", "Silva", "Souza", "Oliveira", "Pereira", "Costa", "Rodrigues", "Almeida",
    "Nascimento", "Lima", "Carvalho", "Gomes", "Ribeiro", "Martins", "Rocha", "Barbosa", "Ferreira",
    "Mendes", "Cardoso", "Teixeira", "Moreira", "Correia", "Pinto", "Cavalcanti", "Monteiro",
    "Freitas", "Barros", "Vieira", "Campos", "Fonseca",
)
_FIRST_NAMES = (
    "Maria", "João", "Ana", "Carlos", "Fernanda", "Paulo", "Juliana", "Rafael", "Patrícia", "Lucas",
    "Camila", "Marcos", "Beatriz", "Rodrigo", "Aline", "Thiago", "Luciana", "Bruno", "Vanessa",
    "Gustavo", "Renata", "Felipe", "Larissa", "André", "Daniela", "Eduardo", "Priscila", "Márcio",
)
_SUFFIXES = ("", "", "", " Ltda", " Ltda", " ME", " & Filhos", " EIRELI")
_CITIES = ("Campinas", "Londrina", "Joinville", "Uberlândia", "Sorocaba", "Maringá", "Caxias",
           "Petrópolis", "Blumenau", "Franca", "Bauru", "Goiânia", "Natal", "Recife")
_VIEWS = (
    "Vendas por Mês", "Painel Financeiro", "Fluxo de Caixa", "Estoque por Produto",
    "Clientes Ativos", "Contas a Receber", "Contas a Pagar", "Ranking de Vendedores",
    "Metas Comerciais", "DRE Gerencial", "Inadimplência", "Pedidos por Status", "Ticket Médio",
    "Curva ABC", "Margem por Categoria", "Comissões",
)
_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
)
_IP_PREFIXES = ("177", "179", "187", "189", "191", "200", "201")

_WS_ID_BASE = 1767024000000060001  # client workspace n gets _WS_ID_BASE + (n + 1) * 1000
_SPECIAL_ID_BASE = 1767024000000001001  # special workspace k gets _SPECIAL_ID_BASE + k * 1000
_CLIENT_ID_RE = re.compile(r"^\s*(\d+)")


# --- Small helpers --------------------------------------------------------------------------------
def _at(day: date, t: time) -> datetime:
    """The UTC instant ``day`` at ``t``."""
    return datetime.combine(day, t, tzinfo=UTC)


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits only ("Padaria Sol Nascente" -> "padariasolnascente")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _business_time(rng: random.Random) -> time:
    """A time during Brazilian office hours (08:00-18:00 BRT = 11:00-21:00 UTC)."""
    secs = rng.randrange(11 * 3600, 21 * 3600)
    return time(secs // 3600, secs % 3600 // 60, secs % 60)


def _access_time(rng: random.Random) -> time:
    """When a Brazilian user opens a dashboard, in UTC: mostly office hours, some evenings."""
    r = rng.random()
    if r < 0.85:
        secs = rng.randrange(11 * 3600, 22 * 3600)
    elif r < 0.95:
        secs = rng.randrange(22 * 3600, 24 * 3600)
    else:  # late evening in Brazil is after midnight UTC: before the 06:00 run of the same day
        secs = rng.randrange(0, 3 * 3600)
    return time(secs // 3600, secs % 3600 // 60, secs % 60)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# --- Entities -------------------------------------------------------------------------------------
@dataclass
class _Workspace:
    """A workspace as the world knows it (the served :class:`SimWorkspace` adds user statuses)."""

    workspace_id: str
    name: str
    created_at: datetime
    admins: tuple[str, ...]  # lower case; the admin emails the gold must report
    admins_display: tuple[str, ...]  # as /admins spells them (may be mixed case)
    admin_list_empty: bool  # /admins answers [] although the admins are in /users
    views: tuple[tuple[str, str, str], ...]
    client_n: int | None = None  # the module client owning it, if any

    @property
    def admin_list(self) -> tuple[str, ...]:
        return () if self.admin_list_empty else self.admins_display


@dataclass
class _Client:
    """One company client that bought the BI module; every field is fixed at generation."""

    n: int
    client_id: int
    name: str
    contract_at: datetime
    cancel_at: datetime | None
    recontract_at: datetime | None
    profile: str
    dormant_from: date | None  # "dormant" profile: no access from this day on, still paying
    peek_days: int  # days of accesses after cancelling (0 for most)
    never_accepts: bool
    ips: tuple[str, ...]
    user_agent: str
    workspace: _Workspace

    def module_active(self, at: datetime) -> bool:
        """Whether the module is active at instant ``at`` (events strictly before count)."""
        if self.contract_at >= at:
            return False
        if self.recontract_at is not None and self.recontract_at < at:
            return True
        return self.cancel_at is None or self.cancel_at >= at

    def paying_on(self, day: date) -> bool:
        """Whether the module is active on calendar ``day`` (day granularity, for accesses)."""
        if day < self.contract_at.date():
            return False
        if self.recontract_at is not None and day >= self.recontract_at.date():
            return True
        return self.cancel_at is None or day < self.cancel_at.date()

    def access_windows(self) -> list[tuple[date, date | None]]:
        """Day ranges ``[lo, hi)`` (``hi`` None = open) in which an access can happen."""
        lo = self.workspace.created_at.date()
        if self.cancel_at is None:
            return [(lo, None)]
        out = [(lo, self.cancel_at.date() + timedelta(days=self.peek_days))]
        if self.recontract_at is not None:
            out.append((max(self.recontract_at.date(), out[0][1]), None))
        return out

    def module_since(self, at: datetime) -> date | None:
        """Start of the current (or last) module period as seen at ``at``."""
        if self.contract_at >= at:
            return None
        if self.recontract_at is not None and self.recontract_at < at:
            return self.recontract_at.date()
        return self.contract_at.date()


@dataclass
class _Special:
    """A non-client workspace (audit, internal, partner) and who opens it how often."""

    workspace: _Workspace
    new_users: tuple[str, ...] = ()  # users added with it (partners); staff already exist
    visitors: tuple[tuple[str, float], ...] = ()  # (email, weekday access probability)


@dataclass
class _Stream:
    """The logged accesses, in time order, plus per-workspace admin access times for the truth."""

    rows: list[AccessRow] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    admin_times: dict[str, list[datetime]] = field(default_factory=dict)  # workspace_id -> times
    done_until: date = AUDIT_START  # first day of the first month not generated yet


class World:
    """The demo world for one seed.

    Args:
        seed: every fact of the world derives from it.
        seats_allocated: Zoho user seats of the plan (Enterprise 50 + 20 add-on).
    """

    def __init__(self, seed: int = 42, *, seats_allocated: int = 70):
        self.seed = seed
        self.seats_allocated = seats_allocated
        self.org_id = ORG_ID
        self.org_name = ORG_NAME
        self.owner_email = OWNER_EMAIL
        self.support_email = SUPPORT_EMAIL
        digest = hashlib.sha256(f"seat-monitor-demo:{seed}".encode()).hexdigest()
        # Fake but Zoho-shaped, and obviously fake ("SIMDEMO"/"simdemo") if one ever leaks.
        self.demo_client_id = "1000.SIMDEMO" + digest[:24].upper()
        self.demo_client_secret = "simdemo-secret-" + digest[24:56]
        self.demo_refresh_token = "1000.simdemo." + digest[:32] + "." + digest[32:64]

        self._clients: list[_Client] = []
        self._cum_days = 0.0  # arrival offset of the last generated client, in days after ORIGIN
        self._used_domains: set[str] = set()
        self._no_module = self._make_no_module_clients()
        self._specials = self._make_specials()

        # Seat simulation state; events strictly before _sim_until have been applied.
        self._heap: list[tuple] = []
        self._sim_until = _at(ORIGIN - timedelta(days=60), time(0))
        self._user_role: dict[str, str] = {}  # insertion order = order users were added
        self._user_added: list[tuple[datetime, str]] = []
        self._user_hist: dict[str, tuple[list[datetime], list[bool]]] = {}
        self._seats_used = 0
        self._ws_log: list[_Workspace] = []  # in creation order
        self._ws_times: list[datetime] = []
        self._module_on: dict[int, bool] = {}
        self._waiting: dict[int, datetime] = {}  # client n -> since when it waits for a seat
        self._cleanup_at: datetime | None = None
        self._cleanups: list[datetime] = []  # when the support team cleaned up
        self._stream = _Stream()

        staff_added = _at(ORIGIN - timedelta(days=30), time(12))
        self._add_user(OWNER_EMAIL, "Organization Admin", staff_added, force_active=True)
        self._add_user(SUPPORT_EMAIL, "User", staff_added, force_active=True)
        for k, sp in enumerate(self._specials):
            heapq.heappush(self._heap, (sp.workspace.created_at, 2, -1 - k, "special", k))

    # ---------------------------------------------------------------------------------------------
    # Public API
    # ---------------------------------------------------------------------------------------------
    def as_of(self, day: date) -> datetime:
        """The instant a run for ``day`` sees: ``day`` at 06:00:00 UTC."""
        return _at(day, RUN_TIME)

    def zoho_state(self, day: date) -> ZohoState:
        """What Zoho Analytics serves at :meth:`as_of` ``(day)``.

        The access log holds every logged access with ``AUDIT_START <= accessed_at < as_of``.
        """
        at = self.as_of(day)
        self._ensure(day)
        workspaces = tuple(self._served_workspace(ws, at) for ws in self._workspaces_at(at))
        users = tuple(SimUser(email=e, active=self._active(e, at), role=self._user_role[e])
                      for t, e in self._user_added if t < at)
        k = bisect.bisect_left(self._stream.times, at)
        return ZohoState(
            org_id=self.org_id, org_name=self.org_name, as_of=at, owner_email=self.owner_email,
            workspaces=workspaces, users=users, seats_allocated=self.seats_allocated,
            access_log=tuple(self._stream.rows[:k]), add_ons="Additional Users (20)",
        )

    def company_rows(self, day: date) -> list[dict]:
        """The company's ``app.clients`` table at :meth:`as_of` ``(day)``, ordered by client id.

        Module clients appear once they contracted; ``bi_module_since`` is the start of the current
        (or last) module period. Clients that never had the module exist from the origin, with
        ``bi_module_active`` False and ``bi_module_since`` None.
        """
        at = self.as_of(day)
        self._ensure_clients(at)
        rows = []
        if day >= ORIGIN:
            rows += [{"client_id": cid, "name": name, "bi_module_active": False,
                      "bi_module_since": None} for cid, name in self._no_module]
        rows += [{"client_id": c.client_id, "name": c.name, "bi_module_active": c.module_active(at),
                  "bi_module_since": c.module_since(at)}
                 for c in self._clients if c.contract_at < at]
        rows.sort(key=lambda r: r["client_id"])
        return rows

    def truth(self, day: date, inactive_days: int = 30) -> dict:
        """The gold the pipeline must produce for ``day``, from the world's own facts.

        Args:
            day: the snapshot date.
            inactive_days: a paying client with a seat is "inactive" when idle for more days.

        Returns:
            ``{"snapshot_date": "YYYY-MM-DD", "clients": [...], "capacity": {...}}``.

            ``clients`` has one row per non-audit workspace and one per module client without a
            workspace, sorted by client id (None last). A row holds ``client_id`` (leading digits
            of the workspace name), ``workspace_id``, ``workspace_name``, ``admin_emails`` (lower
            case, sorted), ``seat_held`` (an admin is an active user), ``module_active`` (None when
            the client is not a module client), ``last_access_at`` (ISO-8601 with ``+00:00``, the
            latest logged access by an admin), ``days_since_last_access`` and ``status``.
            Workspaces of unknown clients, and module clients without a workspace, are
            "unmatched"; the other statuses follow :func:`_status`, idle days falling back to the
            workspace's age when no access was logged.

            ``capacity`` counts seats: used and free, distinct active admin emails over all rows
            (``seats_held_by_clients``) and per status, ``seats_other = used - held_by_clients``
            and the number of "paying_without_user" rows.
        """
        at = self.as_of(day)
        self._ensure(day)
        companies = {c.client_id: c for c in self._clients if c.contract_at < at}
        rows: list[dict] = []
        with_workspace: set[int] = set()
        for ws in self._workspaces_at(at):
            if ws.name == AUDIT_WORKSPACE:
                continue
            m = _CLIENT_ID_RE.match(ws.name)
            cid = int(m.group(1)) if m else None
            client = companies.get(cid) if cid is not None else None
            admins = sorted(set(ws.admins))
            active_admins = [e for e in admins if self._active(e, at)]
            last = self._last_admin_access(ws, at)
            days_since = (day - last.date()).days if last is not None else None
            row = {
                "client_id": cid, "workspace_id": ws.workspace_id, "workspace_name": ws.name,
                "admin_emails": admins, "seat_held": bool(active_admins),
                "module_active": client.module_active(at) if client else None,
                "last_access_at": last.isoformat() if last is not None else None,
                "days_since_last_access": days_since,
            }
            if client is None:
                row["status"] = "unmatched"
            else:
                with_workspace.add(cid)
                idle = days_since if days_since is not None else (day - ws.created_at.date()).days
                row["status"] = _status(row["module_active"], row["seat_held"], idle, inactive_days)
            row["_active_admins"] = active_admins
            rows.append(row)
        for cid, c in companies.items():
            if cid not in with_workspace:
                rows.append({"client_id": cid, "workspace_id": None, "workspace_name": None,
                             "admin_emails": [], "seat_held": False,
                             "module_active": c.module_active(at), "last_access_at": None,
                             "days_since_last_access": None, "status": "unmatched",
                             "_active_admins": []})
        rows.sort(key=lambda r: (r["client_id"] is None, r["client_id"] or 0,
                                 r["workspace_name"] or ""))

        def held(status: str | None = None) -> int:
            return len({e for r in rows if status in (None, r["status"])
                        for e in r["_active_admins"]})

        used = sum(1 for e in self._user_role if self._active(e, at)
                   and self._user_role[e] != "Viewer")
        capacity = {
            "seats_allocated": self.seats_allocated, "seats_used": used,
            "seats_free": self.seats_allocated - used, "seats_held_by_clients": held(),
            "seats_held_by_ex_clients": held("seat_held_by_ex_client"),
            "seats_held_by_inactive_clients": held("inactive"),
            "seats_held_unmatched": held("unmatched"), "seats_other": used - held(),
            "paying_without_user": sum(1 for r in rows if r["status"] == "paying_without_user"),
        }
        for r in rows:
            del r["_active_admins"]
        return {"snapshot_date": day.isoformat(), "clients": rows, "capacity": capacity}

    def cleanups_before(self, day: date) -> list[datetime]:
        """When the support team ran its manual cleanups, up to :meth:`as_of` ``(day)``.

        Handy to narrate the demo (seats drop right after each cleanup).
        """
        at = self.as_of(day)
        self._ensure(day)
        return [t for t in self._cleanups if t < at]

    def summary(self, day: date, inactive_days: int = 30) -> str:
        """A short human summary of :meth:`truth` for ``day``."""
        # Imported here: contracts pulls in pandas, which the simulator itself does not need.
        from ..contracts import STATUSES

        t = self.truth(day, inactive_days)
        counts = Counter(r["status"] for r in t["clients"])
        cap = t["capacity"]
        n_ws = sum(1 for r in t["clients"] if r["workspace_id"] is not None)
        lines = [f"seat-monitor demo world, seed {self.seed}, as of {self.as_of(day).isoformat()}",
                 f"gold rows: {len(t['clients'])} ({n_ws} workspaces, audit excluded)"]
        lines += [f"  {s:<24}{counts.get(s, 0):>5}" for s in STATUSES]
        lines.append(f"seats: {cap['seats_used']}/{cap['seats_allocated']} used, "
                     f"{cap['seats_free']} free")
        lines += [f"  {k:<32}{v:>4}" for k, v in cap.items()
                  if k not in ("seats_allocated", "seats_used", "seats_free")]
        return "\n".join(lines)

    # ---------------------------------------------------------------------------------------------
    # Population
    # ---------------------------------------------------------------------------------------------
    def _fake_name(self, rng: random.Random) -> str:
        r = rng.random()
        if r < 0.45:
            base = f"{rng.choice(_BUSINESSES)} {rng.choice(_DESCRIPTORS)}"
        elif r < 0.85:
            base = f"{rng.choice(_BUSINESSES)} {rng.choice(_SURNAMES)}"
        else:
            a, b = rng.sample(_SURNAMES, 2)
            base = f"{a} & {b} {rng.choice(_BUSINESSES)}"
        return base + rng.choice(_SUFFIXES)

    def _domain(self, name: str, rng: random.Random, client_id: int) -> str:
        """A company e-mail domain, unique across module clients (clients never share a user)."""
        base = _ascii(re.sub(r"( Ltda| ME| EIRELI| & Filhos)$", "", name))
        candidates = [base, base + _ascii(rng.choice(_CITIES)), f"{base}{client_id}"]
        domain = next(d for d in candidates if d not in self._used_domains)
        self._used_domains.add(domain)
        return domain + ".com.br"

    def _make_no_module_clients(self) -> list[tuple[int, str]]:
        out = []
        for m in range(NO_MODULE_CLIENTS):
            rng = random.Random(f"{self.seed}:nomodule:{m}")
            out.append((100 + 13 * m + rng.randint(0, 5), self._fake_name(rng)))
        return out

    def _make_client(self, n: int) -> _Client:
        rng = random.Random(f"{self.seed}:client:{n}")
        self._cum_days += rng.expovariate(ARRIVALS_PER_YEAR / 365.25)
        contract_day = ORIGIN + timedelta(days=1 + int(self._cum_days))
        if contract_day.weekday() >= 5:  # nobody signs on weekends: Monday it is
            contract_day += timedelta(days=7 - contract_day.weekday())
        contract_at = _at(contract_day, _business_time(rng))

        client_id = 1000 + 7 * n + rng.randint(0, 3)
        if client_id in RESERVED_IDS:
            client_id -= 1  # still above the previous client's range: ids stay distinct
        name = self._fake_name(rng)
        domain = self._domain(name, rng, client_id)
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
        admin = f"{_ascii(first)}.{_ascii(last)}@{domain}"
        display = f"{_ascii(first).capitalize()}.{_ascii(last).capitalize()}@{domain}"
        admins = [admin]
        shown = [display if rng.random() < MIXED_CASE_PROB else admin]
        if rng.random() < TWO_ADMINS_PROB:
            second = f"{rng.choice(('financeiro', 'ti', 'controladoria', 'diretoria'))}@{domain}"
            admins.append(second)
            shown.append(second)

        delay = rng.choices((0, 1, 2, 3), weights=(0.35, 0.35, 0.2, 0.1))[0]
        created_at = _at(contract_day + timedelta(days=delay), _business_time(rng))
        if created_at <= contract_at:
            created_at = contract_at + timedelta(minutes=rng.randint(20, 180))

        cancel_at = recontract_at = None
        if rng.random() < CHURN_PROB:
            tenure = math.exp(rng.gauss(math.log(CHURN_MEDIAN_DAYS), CHURN_SIGMA))
            tenure = int(min(max(tenure, CHURN_MIN_DAYS), CHURN_MAX_DAYS))
            cancel_at = _at(contract_day + timedelta(days=tenure), _business_time(rng))
            if rng.random() < RECONTRACT_PROB:
                back = rng.randint(45, 240)
                recontract_at = _at(cancel_at.date() + timedelta(days=back), _business_time(rng))

        profile = rng.choices([p for p, _ in PROFILE_WEIGHTS],
                              weights=[w for _, w in PROFILE_WEIGHTS])[0]
        if recontract_at is not None and profile == "dormant":
            profile = "regular"  # a client who comes back uses the module
        dormant_from = (created_at.date() + timedelta(days=rng.randint(10, 150))
                        if profile == "dormant" else None)
        peek_days = rng.randint(3, 20) if cancel_at is not None and rng.random() < PEEK_PROB else 0
        never_accepts = rng.random() < NEVER_ACCEPT_PROB
        admin_list_empty = rng.random() < EMPTY_ADMINS_PROB

        ws_id = _WS_ID_BASE + (n + 1) * 1000
        views = tuple((str(ws_id + 1 + k), v, rng.choice(("Dashboard", "Dashboard", "Table")))
                      for k, v in enumerate(rng.sample(_VIEWS, rng.randint(2, 6))))
        ips = tuple(f"{rng.choice(_IP_PREFIXES)}.{rng.randint(1, 254)}.{rng.randint(0, 254)}."
                    f"{rng.randint(1, 254)}" for _ in range(rng.randint(1, 2)))
        workspace = _Workspace(
            workspace_id=str(ws_id), name=f"{client_id} - {name}", created_at=created_at,
            admins=tuple(admins), admins_display=tuple(shown), admin_list_empty=admin_list_empty,
            views=views, client_n=n)
        return _Client(
            n=n, client_id=client_id, name=name, contract_at=contract_at, cancel_at=cancel_at,
            recontract_at=recontract_at, profile=profile, dormant_from=dormant_from,
            peek_days=peek_days, never_accepts=never_accepts, ips=ips,
            user_agent=rng.choice(_USER_AGENTS), workspace=workspace)

    def _make_specials(self) -> list[_Special]:
        """The audit workspace, the internal ones and the partner ones: fixed, not random."""

        def ws(k: int, name: str, created: date, admins: tuple[str, ...], views: tuple[str, ...],
               display: tuple[str, ...] | None = None) -> _Workspace:
            wid = _SPECIAL_ID_BASE + k * 1000
            return _Workspace(
                workspace_id=str(wid), name=name, created_at=_at(created, time(13, 30)),
                admins=admins, admins_display=display or admins, admin_list_empty=False,
                views=tuple((str(wid + 1 + i), v, "Table" if "Log" in v else "Dashboard")
                            for i, v in enumerate(views)))

        return [
            _Special(ws(0, AUDIT_WORKSPACE, AUDIT_START, (), ("Access Log", "Activity Log")),
                     visitors=((OWNER_EMAIL, 0.05),)),
            _Special(ws(1, "Demo - Vendas", ORIGIN + timedelta(days=3), (SUPPORT_EMAIL,),
                        ("Vendas por Mês", "Painel Financeiro")),
                     visitors=((SUPPORT_EMAIL, 0.2), (OWNER_EMAIL, 0.03))),
            _Special(ws(2, "Treinamento Interno", date(2024, 2, 19), (SUPPORT_EMAIL,),
                        ("Fluxo de Caixa", "Curva ABC")),
                     visitors=((SUPPORT_EMAIL, 0.04),)),
            _Special(ws(3, "Modelos de Dashboard", date(2024, 9, 10), (SUPPORT_EMAIL,),
                        ("Modelo Comercial", "Modelo Financeiro"))),
            _Special(ws(4, "8888 - Parceiro Teste", date(2024, 5, 14),
                        ("contato@parceiroteste.com.br",), ("Vendas por Mês",)),
                     new_users=("contato@parceiroteste.com.br",),
                     visitors=(("contato@parceiroteste.com.br", 0.1),)),
            _Special(ws(5, "9001 - Revenda Piloto", date(2024, 7, 22),
                        ("ricardo.lima@revendapiloto.com.br",), ("Painel Financeiro", "Comissões"),
                        display=("Ricardo.Lima@revendapiloto.com.br",)),
                     new_users=("ricardo.lima@revendapiloto.com.br",),
                     visitors=(("ricardo.lima@revendapiloto.com.br", 0.02),)),
        ]

    def _ensure_clients(self, until: datetime) -> None:
        """Generate clients (and queue their events) until one contracts at or after ``until``."""
        while not self._clients or self._clients[-1].contract_at < until:
            c = self._make_client(len(self._clients))
            self._clients.append(c)
            self._module_on[c.n] = False
            heapq.heappush(self._heap, (c.contract_at, 1, c.n, "contract", c.n))
            heapq.heappush(self._heap, (c.workspace.created_at, 2, c.n, "workspace", c.n))
            if c.cancel_at is not None:
                heapq.heappush(self._heap, (c.cancel_at, 0, c.n, "cancel", c.n))
            if c.recontract_at is not None:
                heapq.heappush(self._heap, (c.recontract_at, 1, c.n, "recontract", c.n))

    # ---------------------------------------------------------------------------------------------
    # Seat simulation (causal, extended lazily)
    # ---------------------------------------------------------------------------------------------
    def _ensure(self, day: date) -> None:
        """Simulate seats and accesses through the end of ``day``'s month.

        Working in whole months keeps the access generation simple (one RNG per entity and month),
        and because the simulation is causal the extra days change nothing already computed.
        """
        end = _next_month(day)
        if self._sim_until < _at(end, time(0)):
            self._run_until(_at(end, time(0)))
        s = self._stream
        while s.done_until < end:
            self._generate_month(s.done_until)
            s.done_until = _next_month(s.done_until)

    def _run_until(self, until: datetime) -> None:
        self._ensure_clients(until)
        while self._heap and self._heap[0][0] < until:
            t, _, _, kind, arg = heapq.heappop(self._heap)
            if kind == "special":
                sp = self._specials[arg]
                for email in sp.new_users:
                    self._add_user(email, "User", t)
                self._log_workspace(sp.workspace)
            elif kind == "contract":
                self._module_on[arg] = True
            elif kind == "workspace":
                c = self._clients[arg]
                for email in c.workspace.admins:
                    self._add_user(email, "User", t, never_active=c.never_accepts)
                self._log_workspace(c.workspace)
                self._refresh_waiting(c, t)
            elif kind == "cancel":
                self._module_on[arg] = False
                self._waiting.pop(arg, None)
            elif kind == "recontract":
                c = self._clients[arg]
                self._module_on[arg] = True
                # Support re-opens the client's access at once if a seat is free.
                if not self._holds_seat(c) and not c.never_accepts and self._has_free_seat():
                    self._set_active(c.workspace.admins[0], True, t)
                self._refresh_waiting(c, t)
            elif kind == "cleanup":
                self._cleanup(t)
            self._maybe_schedule_cleanup(t)
        self._sim_until = until

    def _log_workspace(self, ws: _Workspace) -> None:
        self._ws_log.append(ws)
        self._ws_times.append(ws.created_at)

    def _add_user(self, email: str, role: str, t: datetime, *, force_active: bool = False,
                  never_active: bool = False) -> None:
        """Zoho's add-user: active if a seat is free, otherwise added inactive (no error)."""
        self._user_role[email] = role
        self._user_added.append((t, email))
        self._user_hist[email] = ([], [])
        active = force_active or (not never_active and self._has_free_seat())
        self._set_active(email, active, t)

    def _set_active(self, email: str, active: bool, t: datetime) -> None:
        times, values = self._user_hist[email]
        was = values[-1] if values else False
        if values and was == active:
            return
        times.append(t)
        values.append(active)
        self._seats_used += int(active) - int(was)

    def _has_free_seat(self) -> bool:
        return self._seats_used < self.seats_allocated

    def _current(self, email: str) -> bool:
        values = self._user_hist[email][1]
        return bool(values) and values[-1]

    def _holds_seat(self, c: _Client) -> bool:
        return any(self._current(e) for e in c.workspace.admins)

    def _refresh_waiting(self, c: _Client, t: datetime) -> None:
        """Track clients that pay but cannot log in for lack of a seat (they open tickets).

        Admins who never accepted the invitation open no ticket, so they do not count.
        """
        if self._module_on[c.n] and not c.never_accepts and not self._holds_seat(c):
            self._waiting.setdefault(c.n, t)
        else:
            self._waiting.pop(c.n, None)

    def _maybe_schedule_cleanup(self, t: datetime) -> None:
        if self._waiting and self._cleanup_at is None:
            when = _at(t.date() + timedelta(days=CLEANUP_DELAY_DAYS), CLEANUP_TIME)
            self._cleanup_at = when
            heapq.heappush(self._heap, (when, 3, 0, "cleanup", None))

    def _cleanup(self, t: datetime) -> None:
        """The support team's manual cleanup.

        They deactivate the admins of ~75% of the ex-clients that cancelled more than the grace
        period ago (each picked by its own RNG for this cleanup), then activate the admins of
        waiting paying clients, oldest first, while seats allow.
        """
        self._cleanup_at = None
        self._cleanups.append(t)
        grace = t - timedelta(days=CLEANUP_GRACE_DAYS)
        for c in self._clients:
            if (c.n in self._module_on and not self._module_on[c.n] and c.cancel_at is not None
                    and c.cancel_at <= grace and c.workspace.created_at < t
                    and self._holds_seat(c)):
                pick = random.Random(f"{self.seed}:cleanup:{t.date().isoformat()}:{c.n}")
                if pick.random() < CLEANUP_SHARE:
                    for email in c.workspace.admins:
                        self._set_active(email, False, t)
        for n, _since in sorted(self._waiting.items(), key=lambda kv: (kv[1], kv[0])):
            if not self._has_free_seat():
                break
            c = self._clients[n]
            self._set_active(c.workspace.admins[0], True, t)
            self._refresh_waiting(c, t)

    # ---------------------------------------------------------------------------------------------
    # Access log
    # ---------------------------------------------------------------------------------------------
    def _generate_month(self, month: date) -> None:
        """Append the logged accesses of one calendar month (UTC), in time order."""
        start, end = _at(month, time(0)), _at(_next_month(month), time(0))
        batch: list[tuple[datetime, str, str, AccessRow]] = []
        for c in self._clients:
            if c.workspace.created_at < end:
                batch += self._client_month(c, month)
        for k, sp in enumerate(self._specials):
            if sp.workspace.created_at < end and sp.visitors:
                batch += self._special_month(k, sp, month)
        batch = [b for b in batch if start <= b[0] < end]
        batch.sort(key=lambda b: (b[0], b[1], b[2]))
        s = self._stream
        for t, ws_id, email, row in batch:
            s.rows.append(row)
            s.times.append(t)
            ws = self._ws_by_id(ws_id)
            if email in ws.admins:
                s.admin_times.setdefault(ws_id, []).append(t)

    def _ws_by_id(self, ws_id: str) -> _Workspace:
        num = int(ws_id)
        if num >= _WS_ID_BASE + 1000:
            return self._clients[(num - _WS_ID_BASE) // 1000 - 1].workspace
        return self._specials[(num - _SPECIAL_ID_BASE) // 1000].workspace

    def _client_month(self, c: _Client, month: date) -> list[tuple]:
        rng = random.Random(f"{self.seed}:access:{c.n}:{month.isoformat()}")
        ws = c.workspace
        out = []
        nxt = _next_month(month)
        # Only days on which an access is possible draw from the RNG, so walking just the
        # client's windows gives the same stream as walking every day.
        for lo, hi in c.access_windows():
            day, last = max(month, lo), min(nxt, hi) if hi is not None else nxt
            while day < last:
                paying = c.paying_on(day)
                rate = self._client_rate(c, day, paying)
                if day.weekday() >= 5:
                    rate *= 0.25
                if rate and rng.random() < rate:
                    for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.15)):
                        two = len(ws.admins) > 1 and rng.random() < 0.3
                        who = ws.admins[-1] if two else ws.admins[0]
                        out.append(self._access(rng, day, ws, who, c.ips, c.user_agent))
                if paying and rng.random() < SUPPORT_RATE:
                    out.append(self._access(rng, day, ws, SUPPORT_EMAIL, ("187.45.10.20",),
                                            _USER_AGENTS[0]))
                day += timedelta(days=1)
        # An access only happens if the user holds an active seat at that instant.
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]

    @staticmethod
    def _client_rate(c: _Client, day: date, paying: bool) -> float:
        """Chance that the client's admin opens the workspace on ``day`` (before weekends)."""
        if paying:
            if c.dormant_from is not None and day >= c.dormant_from:
                return 0.0
            rate = PROFILE_RATES[c.profile]
            if c.cancel_at is not None and c.recontract_at is None and \
                    c.cancel_at.date() - timedelta(days=30) <= day:
                rate *= 0.4  # interest fades in the month before cancelling
            return rate
        return 0.3 if c.peek_days else 0.0  # an ex-client peeking while the seat lasts

    def _special_month(self, k: int, sp: _Special, month: date) -> list[tuple]:
        rng = random.Random(f"{self.seed}:access:special{k}:{month.isoformat()}")
        ws = sp.workspace
        out = []
        day, last = max(month, ws.created_at.date()), _next_month(month)
        while day < last:
            for email, rate in sp.visitors:
                if day.weekday() < 5 and rng.random() < rate:
                    out.append(self._access(rng, day, ws, email, ("187.45.10.20",),
                                            _USER_AGENTS[0]))
            day += timedelta(days=1)
        return [a for a in out if a[0] >= ws.created_at and self._active(a[2], a[0])]

    @staticmethod
    def _access(rng: random.Random, day: date, ws: _Workspace, email: str,
                ips: tuple[str, ...], agent: str) -> tuple[datetime, str, str, AccessRow]:
        t = _at(day, _access_time(rng))
        _vid, view, vtype = rng.choice(ws.views) if ws.views else ("", "Dashboard", "Dashboard")
        row = AccessRow(accessed_at=t, accessed_by=email, workspace_name=ws.name, view_name=view,
                        view_type=vtype, ip_address=rng.choice(ips), user_agent=agent)
        return t, ws.workspace_id, email, row

    # ---------------------------------------------------------------------------------------------
    # Reading the simulated state at an instant
    # ---------------------------------------------------------------------------------------------
    def _active(self, email: str, at: datetime) -> bool:
        """Whether ``email`` is an active user at ``at`` (changes strictly before ``at`` count)."""
        hist = self._user_hist.get(email)
        if hist is None:
            return False
        i = bisect.bisect_left(hist[0], at) - 1
        return i >= 0 and hist[1][i]

    def _workspaces_at(self, at: datetime) -> list[_Workspace]:
        return self._ws_log[:bisect.bisect_left(self._ws_times, at)]

    def _served_workspace(self, ws: _Workspace, at: datetime) -> SimWorkspace:
        users = ((self.owner_email, "Account Admin", True),) + tuple(
            (shown, "Workspace Admin", self._active(email, at))
            for email, shown in zip(ws.admins, ws.admins_display))
        return SimWorkspace(workspace_id=ws.workspace_id, name=ws.name,
                            created_ms=_ms(ws.created_at), created_by=self.owner_email,
                            admins=ws.admin_list, users=users, views=ws.views, owned=True)

    def _last_admin_access(self, ws: _Workspace, at: datetime) -> datetime | None:
        times = self._stream.admin_times.get(ws.workspace_id, [])
        i = bisect.bisect_left(times, at)
        return times[i - 1] if i else None


def _status(module_active: bool, seat_held: bool, idle_days: int, inactive_days: int) -> str:
    """The gold status of a client matched to a workspace."""
    if not module_active:
        return "seat_held_by_ex_client" if seat_held else "released"
    if not seat_held:
        return "paying_without_user"
    return "inactive" if idle_days > inactive_days else "active"


def main(argv: list[str] | None = None) -> int:
    """``python -m seatlib.sim.world --day 2026-11-29 [--seed 42] --truth|--summary``."""
    p = argparse.ArgumentParser(prog="python -m seatlib.sim.world",
                                description=__doc__.split("\n")[0])
    p.add_argument("--day", required=True, type=date.fromisoformat,
                   help="snapshot date, YYYY-MM-DD")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--seats", type=int, default=70, help="seats allocated")
    p.add_argument("--inactive-days", type=int, default=30)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--truth", action="store_true", help="print the expected gold as JSON")
    mode.add_argument("--summary", action="store_true", help="print a short summary (default)")
    args = p.parse_args(argv)
    world = World(args.seed, seats_allocated=args.seats)
    if args.truth:
        json.dump(world.truth(args.day, args.inactive_days), sys.stdout, ensure_ascii=False,
                  indent=1)
        sys.stdout.write("\n")
    else:
        print(world.summary(args.day, args.inactive_days))
    return 0


if __name__ == "__main__":
    sys.exit(main())
