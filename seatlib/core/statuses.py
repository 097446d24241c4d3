"""The statuses of a gold row, each defined once: its name, its label, its colour, its glossary
sentence and its action.

Everything that shows or counts a status reads this registry: the contracts (:data:`STATUSES`,
the guard of unknown statuses), gold's compact history (one count column per status, ``n_<name>``
and ``clients_<name>``, read as 0 and empty on a lake written before the status existed), the
report's charts, tables and glossary, and the client notebook. Adding a status is an entry here,
the rule in :func:`seatlib.stages.gold.statuses` that gives it, and the simulator's oracle
(:mod:`seatlib.sim.truth`); an existing lake keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    name: str  # as gold writes it (seat_status.status, client_status)
    label: str  # the one name a person reads (charts, tables, glossary)
    colour: str  # the same colour in every chart
    glossary: str  # one sentence for the page's glossary (``{days}``: [gold] inactive_days)
    action: str  # what to do about a client in this status, in a few words ("" for nothing)


#: In the order the report shows them.
REGISTRY: tuple[Status, ...] = (
    Status("active", "Active", "#2ca02c",
           "Has the module and a seat, and an admin used it in the last {days} days.", ""),
    Status("inactive", "Inactive (seat held, idle)", "#ff7f0e",
           "Has the module and a seat, but no admin has used it for more than {days} days "
           "(or never, counting from the workspace's creation). Free the seat after a check "
           "with the client.",
           "ask the client, then free the seat"),
    Status("seat_held_by_ex_client", "Ex-client holding a seat", "#d62728",
           "No longer has the module but its admin still holds a seat. Free it, "
           "unless the admin also serves a paying client (a consultant: the "
           "row says whose seat it is); then it is not reclaimable.",
           "free the seat"),
    Status("paying_without_user", "Paying, no user", "#9467bd",
           "Has the module but no active admin user: Zoho created the user "
           "inactive because the seats were full. Activate it once a seat is free.",
           "activate the user once a seat is free"),
    Status("released", "Released", "#c7c7c7",
           "No module and no seat: nothing to do (history only).", ""),
    Status("unmatched", "Unmatched", "#8c564b",
           "A workspace or client the monitor cannot pair: a workspace whose client the "
           "company database does not know, a non-client workspace, or a client with the "
           "module and no workspace. Check by hand.",
           "check by hand"),
)

BY_NAME: dict[str, Status] = {s.name: s for s in REGISTRY}
STATUSES: tuple[str, ...] = tuple(s.name for s in REGISTRY)
LABELS: dict[str, str] = {s.name: s.label for s in REGISTRY}
COLOURS: dict[str, str] = {s.name: s.colour for s in REGISTRY}
GLOSSARY: dict[str, str] = {s.name: s.glossary for s in REGISTRY}
