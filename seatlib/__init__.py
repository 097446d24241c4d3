"""seatlib: the logic behind the daily Zoho Analytics seat monitor.

* Stages, one module each, all ``run(day, systems, options)``: :mod:`seatlib.extract`,
  :mod:`seatlib.silver`, :mod:`seatlib.gold`, :mod:`seatlib.load`, :mod:`seatlib.report`; their
  order is :data:`seatlib.stages.STAGES`, run by :mod:`seatlib.runner`.
* External systems, one module each: :mod:`seatlib.zoho` (a package of one-way layers),
  :mod:`seatlib.company`, :mod:`seatlib.warehouse` (both on :mod:`seatlib.db`),
  :mod:`seatlib.lake`; chosen in one place, :class:`seatlib.systems.Systems`.
* Rules shared by all: :mod:`seatlib.contracts`, :mod:`seatlib.guards`, :mod:`seatlib.config`,
  :mod:`seatlib.values`, :mod:`seatlib.log`, :mod:`seatlib.errors`.
* The demo's stand-ins live in :mod:`seatlib.sim`, started by :mod:`seatlib.demo`.

Nothing is loaded, connected or logged at import time.
"""

__version__ = "0.1.0"
