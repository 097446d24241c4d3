"""Systems: the adapters of everything outside seatlib, and the one place that chooses them.

What the package holds: the lake (:mod:`.lake`), the company database (:mod:`.company`) and the
warehouse (:mod:`.warehouse`, :mod:`.warehouse_sql`, :mod:`.warehouse_copy`), both on
:mod:`.db`; Zoho Analytics (:mod:`.zoho`, a package of one-way layers); the operator's channels
(:mod:`.notify`, delivery only). What it may import: :mod:`seatlib.core` only. Here, in the
package itself, :class:`Systems`: the one place that chooses the external systems a stage
talks to.

A stage never builds an adapter or reads the environment: it receives a :class:`Systems`,
built once per stage (per notebook kernel) from the settings and the environment. Production
and the demo differ only in how it is built: :meth:`Systems.from_environment` reads the
production variables (``ZOHO_*``, ``SEATLIB_DATABASE_URL`` or ``REDSHIFT_*``, or AWS Secrets
Manager); the demo builds one from its stand-ins (:class:`seatlib.run.demo.DemoEnvironment`) and
hands the same variables to the stage kernels it starts, without editing its own environment.

What it holds:

* ``lake``: the data lake (:class:`seatlib.systems.lake.Lake`), a folder or ``s3://``.
* ``zoho()``: an open Zoho Analytics client (a context manager; a shared client is lent, not
  closed).
* ``company()``: the company database, which answers which clients have the module.
* ``warehouse()``: an open connection to the warehouse Power BI reads (a context manager).
* ``database``: how to reach both databases (one Redshift cluster in production).

Secrets are read when a system is first used, not when this object is built, so a stage that
needs no database needs no database credentials.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Mapping

from ..core import config as cfg
from ..core.errors import ConfigError
from .lake import Lake

if TYPE_CHECKING:  # imported when used: a stage that needs no Zoho never loads the client
    from .company import CompanyDatabase
    from .warehouse import Warehouse
    from .zoho import ZohoClient


@dataclass
class Systems:
    """The lake, Zoho, the company database and the warehouse of one run."""

    settings: cfg.Settings
    lake: Lake
    zoho_secrets: Callable[[], cfg.ZohoSecrets]
    database_settings: Callable[[], cfg.DatabaseSettings]
    #: An open client to lend to every stage instead of one per stage (the demo's in-process
    #: history fill); None builds one per :meth:`zoho` call.
    shared_zoho: "ZohoClient | None" = None
    _database: cfg.DatabaseSettings | None = field(default=None, init=False, repr=False)

    @staticmethod
    def lake_for(settings: cfg.Settings) -> Lake:
        """The lake of ``settings`` (``[lake] url``: a folder or ``s3://``): the one place a
        lake is chosen, for every Systems and for the runner's own reads and writes."""
        return Lake(settings.lake_url)

    @classmethod
    def from_environment(cls, settings: cfg.Settings,
                         env: Mapping[str, str] | None = None) -> "Systems":
        """Production: every system from ``settings`` and the environment (default
        ``os.environ``), secrets read on first use."""
        env = dict(os.environ if env is None else env)
        return cls(settings=settings, lake=cls.lake_for(settings),
                   zoho_secrets=lambda: cfg.zoho_secrets(env),
                   database_settings=lambda: cfg.database_settings(env))

    @classmethod
    def of(cls, settings: cfg.Settings, *, zoho_secrets: cfg.ZohoSecrets | None = None,
           database: cfg.DatabaseSettings | None = None,
           shared_zoho: "ZohoClient | None" = None) -> "Systems":
        """Systems from values already at hand (the demo's stand-ins, a test's servers); a
        system whose value is missing fails with a ConfigError when first used."""
        def secrets() -> cfg.ZohoSecrets:
            if zoho_secrets is None:
                raise ConfigError("no Zoho credentials were given for this run")
            return zoho_secrets

        def db() -> cfg.DatabaseSettings:
            if database is None:
                raise ConfigError("no database was given for this run")
            return database

        return cls(settings=settings, lake=cls.lake_for(settings), zoho_secrets=secrets,
                   database_settings=db, shared_zoho=shared_zoho)

    @property
    def database(self) -> cfg.DatabaseSettings:
        """How to reach the databases (read once, on first use)."""
        if self._database is None:
            self._database = self.database_settings()
        return self._database

    @contextlib.contextmanager
    def zoho(self) -> Iterator["ZohoClient"]:
        """An open Zoho client, closed on exit unless it is the shared one."""
        if self.shared_zoho is not None:
            yield self.shared_zoho
            return
        from .zoho import ZohoClient

        with ZohoClient(self.settings.zoho, self.zoho_secrets()) as client:
            yield client

    def company(self) -> "CompanyDatabase":
        """The company database (connects per query)."""
        from .company import CompanyDatabase

        return CompanyDatabase(self.database)

    def warehouse(self) -> "Warehouse":
        """An open warehouse connection; use it as a context manager."""
        from . import warehouse

        return warehouse.connect(self.database)
