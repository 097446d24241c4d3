"""Who lives in the demo world of :mod:`seatlib.sim.world`: its fixed facts, its tuning and the
clients and special workspaces generated from the seed.

Everything about client ``n`` comes from its own RNG, ``random.Random(f"{seed}:client:{n}")``;
only its arrival date also depends on the clients before it (arrivals are a cumulative sum of
gaps), so :meth:`Population.client` must be called in order 0, 1, 2...
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

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
#: Another organisation the account belongs to (its own trial org) and one that shared a
#: workspace with it: GET /workspaces lists their workspaces too (docs/zoho-api-notes.md §4).
OTHER_ORG_ID = "700000999888"
PARTNER_ORG_ID = "700000123456"
#: The white-label (client portal) domain the clients' users are added through (§4).
PORTAL_DOMAIN = "bi.seatco.example"
#: The Access Log's declared dateFormat: Zoho's documented example (§4).
ACCESS_TIME_FORMAT = "dd MMM, yyyy HH:mm:ss"
#: The instant a run for a day sees: the day's start in UTC. A real run of the day, whenever the
#: clock has it start, is never before it, so the simulator never serves an access the extract's
#: cutoff (its start plus [zoho] future_tolerance_minutes) takes for one that has not happened yet.
RUN_TIME = time(0, 0, 0)

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
USER_AGENTS = (
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

WS_ID_BASE = 1767024000000060001  # client workspace n gets WS_ID_BASE + (n + 1) * 1000
SPECIAL_ID_BASE = 1767024000000001001  # special workspace k gets SPECIAL_ID_BASE + k * 1000

# --- Small helpers --------------------------------------------------------------------------------
def at_utc(day: date, t: time) -> datetime:
    """The UTC instant ``day`` at ``t``."""
    return datetime.combine(day, t, tzinfo=UTC)


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits only ("Padaria Sol Nascente" -> "padariasolnascente")."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _business_time(rng: random.Random) -> time:
    """A time during Brazilian office hours (08:00-18:00 BRT = 11:00-21:00 UTC)."""
    secs = rng.randrange(11 * 3600, 21 * 3600)
    return time(secs // 3600, secs % 3600 // 60, secs % 60)


# --- Entities -------------------------------------------------------------------------------------
@dataclass
class Workspace:
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
class Client:
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
    workspace: Workspace

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
class Special:
    """A non-client workspace (audit, internal, partner) and who opens it how often."""

    workspace: Workspace
    new_users: tuple[str, ...] = ()  # users added with it (partners); staff already exist
    visitors: tuple[tuple[str, float], ...] = ()  # (email, weekday access probability)


class Population:
    """Generates the world's clients and special workspaces for one seed.

    Holds what client generation carries from one client to the next: the arrival offset and
    the e-mail domains already taken.
    """

    def __init__(self, seed: int):
        self.seed = seed
        self._cum_days = 0.0  # arrival offset of the last generated client, in days after ORIGIN
        self._used_domains: set[str] = set()

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

    def no_module_clients(self) -> list[tuple[int, str]]:
        """The company clients that never bought the BI module: (client id, name)."""
        out = []
        for m in range(NO_MODULE_CLIENTS):
            rng = random.Random(f"{self.seed}:nomodule:{m}")
            out.append((100 + 13 * m + rng.randint(0, 5), self._fake_name(rng)))
        return out

    def client(self, n: int) -> Client:
        """Client ``n`` (call in order: its arrival follows the previous client's)."""
        rng = random.Random(f"{self.seed}:client:{n}")
        contract_day, contract_at = self._arrival(rng)
        client_id, name, admins, shown = self._identity(rng, n)

        delay = rng.choices((0, 1, 2, 3), weights=(0.35, 0.35, 0.2, 0.1))[0]
        created_at = at_utc(contract_day + timedelta(days=delay), _business_time(rng))
        if created_at <= contract_at:
            created_at = contract_at + timedelta(minutes=rng.randint(20, 180))

        cancel_at, recontract_at = _churn(rng, contract_day)

        profile = rng.choices([p for p, _ in PROFILE_WEIGHTS],
                              weights=[w for _, w in PROFILE_WEIGHTS])[0]
        if recontract_at is not None and profile == "dormant":
            profile = "regular"  # a client who comes back uses the module
        dormant_from = (created_at.date() + timedelta(days=rng.randint(10, 150))
                        if profile == "dormant" else None)
        peek_days = rng.randint(3, 20) if cancel_at is not None and rng.random() < PEEK_PROB else 0
        never_accepts = rng.random() < NEVER_ACCEPT_PROB
        admin_list_empty = rng.random() < EMPTY_ADMINS_PROB

        ws_id = WS_ID_BASE + (n + 1) * 1000
        views = tuple((str(ws_id + 1 + k), v, rng.choice(("Dashboard", "Dashboard", "Table")))
                      for k, v in enumerate(rng.sample(_VIEWS, rng.randint(2, 6))))
        ips = tuple(f"{rng.choice(_IP_PREFIXES)}.{rng.randint(1, 254)}.{rng.randint(0, 254)}."
                    f"{rng.randint(1, 254)}" for _ in range(rng.randint(1, 2)))
        workspace = Workspace(
            workspace_id=str(ws_id), name=f"{client_id} - {name}", created_at=created_at,
            admins=tuple(admins), admins_display=tuple(shown), admin_list_empty=admin_list_empty,
            views=views, client_n=n)
        return Client(
            n=n, client_id=client_id, name=name, contract_at=contract_at, cancel_at=cancel_at,
            recontract_at=recontract_at, profile=profile, dormant_from=dormant_from,
            peek_days=peek_days, never_accepts=never_accepts, ips=ips,
            user_agent=rng.choice(USER_AGENTS), workspace=workspace)

    def _arrival(self, rng: random.Random) -> tuple[date, datetime]:
        """The next client's contract day and instant (a gap after the previous client's)."""
        self._cum_days += rng.expovariate(ARRIVALS_PER_YEAR / 365.25)
        contract_day = ORIGIN + timedelta(days=1 + int(self._cum_days))
        if contract_day.weekday() >= 5:  # nobody signs on weekends: Monday it is
            contract_day += timedelta(days=7 - contract_day.weekday())
        return contract_day, at_utc(contract_day, _business_time(rng))

    def _identity(self, rng: random.Random,
                  n: int) -> tuple[int, str, list[str], list[str]]:
        """Client ``n``'s id, name, admin emails and the admins as /admins spells them."""
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
        return client_id, name, admins, shown

    @staticmethod
    def specials() -> list[Special]:
        """The audit workspace, the internal ones and the partner ones: fixed, not random."""

        def ws(k: int, name: str, created: date, admins: tuple[str, ...], views: tuple[str, ...],
               display: tuple[str, ...] | None = None) -> Workspace:
            wid = SPECIAL_ID_BASE + k * 1000
            return Workspace(
                workspace_id=str(wid), name=name, created_at=at_utc(created, time(13, 30)),
                admins=admins, admins_display=display or admins, admin_list_empty=False,
                views=tuple((str(wid + 1 + i), v, "Table" if "Log" in v else "Dashboard")
                            for i, v in enumerate(views)))

        return [
            Special(ws(0, AUDIT_WORKSPACE, AUDIT_START, (), ("Access Log", "Activity Log")),
                     visitors=((OWNER_EMAIL, 0.05),)),
            Special(ws(1, "Demo - Vendas", ORIGIN + timedelta(days=3), (SUPPORT_EMAIL,),
                        ("Vendas por Mês", "Painel Financeiro")),
                     visitors=((SUPPORT_EMAIL, 0.2), (OWNER_EMAIL, 0.03))),
            Special(ws(2, "Treinamento Interno", date(2024, 2, 19), (SUPPORT_EMAIL,),
                        ("Fluxo de Caixa", "Curva ABC")),
                     visitors=((SUPPORT_EMAIL, 0.04),)),
            Special(ws(3, "Modelos de Dashboard", date(2024, 9, 10), (SUPPORT_EMAIL,),
                        ("Modelo Comercial", "Modelo Financeiro"))),
            Special(ws(4, "8888 - Parceiro Teste", date(2024, 5, 14),
                        ("contato@parceiroteste.com.br",), ("Vendas por Mês",)),
                     new_users=("contato@parceiroteste.com.br",),
                     visitors=(("contato@parceiroteste.com.br", 0.1),)),
            Special(ws(5, "9001 - Revenda Piloto", date(2024, 7, 22),
                        ("ricardo.lima@revendapiloto.com.br",), ("Painel Financeiro", "Comissões"),
                        display=("Ricardo.Lima@revendapiloto.com.br",)),
                     new_users=("ricardo.lima@revendapiloto.com.br",),
                     visitors=(("ricardo.lima@revendapiloto.com.br", 0.02),)),
        ]


def _churn(rng: random.Random, contract_day: date) -> tuple[datetime | None, datetime | None]:
    """When a client cancels the module (most do) and, rarely, when it contracts again."""
    cancel_at = recontract_at = None
    if rng.random() < CHURN_PROB:
        tenure = math.exp(rng.gauss(math.log(CHURN_MEDIAN_DAYS), CHURN_SIGMA))
        tenure = int(min(max(tenure, CHURN_MIN_DAYS), CHURN_MAX_DAYS))
        cancel_at = at_utc(contract_day + timedelta(days=tenure), _business_time(rng))
        if rng.random() < RECONTRACT_PROB:
            back = rng.randint(45, 240)
            recontract_at = at_utc(cancel_at.date() + timedelta(days=back), _business_time(rng))
    return cancel_at, recontract_at
