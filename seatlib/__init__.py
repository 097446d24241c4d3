"""seatlib: the logic behind the daily Zoho Analytics seat monitor.

* Stages, one module each, all ``run(day, systems, options)``: :mod:`seatlib.stages.extract`,
  :mod:`seatlib.stages.silver`, :mod:`seatlib.stages.gold`, :mod:`seatlib.stages.load`,
  :mod:`seatlib.stages.report`; their order is :data:`seatlib.stages.STAGES`, run by
  :mod:`seatlib.run.runner`.
* External systems, one module each: :mod:`seatlib.systems.zoho` (a package of one-way layers),
  :mod:`seatlib.systems.company`, :mod:`seatlib.systems.warehouse` (both on
  :mod:`seatlib.systems.db`),
  :mod:`seatlib.systems.lake`; chosen in one place, :class:`seatlib.systems.Systems`.
* Rules shared by all: :mod:`seatlib.core.contracts`, :mod:`seatlib.stages.guards`,
:mod:`seatlib.core.config`,
  :mod:`seatlib.core.values`, :mod:`seatlib.core.log`, :mod:`seatlib.core.errors`.
* The demo's stand-ins live in :mod:`seatlib.sim`, started by :mod:`seatlib.run.demo`.

Nothing is loaded, connected or logged at import time.
"""

__version__ = "0.1.0"
