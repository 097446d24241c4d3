"""The sources of the pipeline, each defined once: its name, the system it is read from, its
e-mail column and the day it exists from.

The extract reads every source that exists on the day, in this order, into
``bronze/<source>/<YYYY-MM-DD>.csv``; its contracts are :data:`seatlib.core.contracts.BRONZE`
and :data:`~seatlib.core.contracts.SILVER` under the same name, its reader the extract's and its
typing the silver stage's (both by the source's name). A source added later names the day it
exists from (``since``): a day before it is complete without it, so the back-fill, the daily
catch-up, the silver stage and the report's data-quality panel leave it out of such a day
(:func:`on`), and every earlier day can still be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Source:
    name: str  # bronze/<name>/, silver/<name>/, the contracts' key
    system: str  # where the extract reads it: "zoho" or "company" (the company database)
    email_column: str | None = None  # the addresses the data-quality panel checks
    since: date | None = None  # the first day it exists (None: from the beginning)

    def exists_on(self, day: date) -> bool:
        return self.since is None or day >= self.since


#: In extraction order.
REGISTRY: tuple[Source, ...] = (
    Source("zoho_workspace_admins", "zoho", "admin_email"),
    Source("zoho_users", "zoho", "email"),
    Source("zoho_seats", "zoho"),
    Source("zoho_last_access", "zoho", "user_email"),
    Source("module_status", "company"),
)

BY_NAME: dict[str, Source] = {s.name: s for s in REGISTRY}
SOURCES: tuple[str, ...] = tuple(s.name for s in REGISTRY)
ZOHO_SOURCES: tuple[str, ...] = tuple(s.name for s in REGISTRY if s.system == "zoho")
EMAIL_COLUMNS: dict[str, str] = {s.name: s.email_column for s in REGISTRY if s.email_column}


def on(day: date) -> tuple[str, ...]:
    """The sources that exist on ``day``, in extraction order."""
    return tuple(s.name for s in REGISTRY if s.exists_on(day))
