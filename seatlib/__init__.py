"""seatlib: the logic behind the daily Zoho Analytics seat monitor.

Stages (one module each): :mod:`seatlib.extract`, :mod:`seatlib.silver`, :mod:`seatlib.gold`,
:mod:`seatlib.load`, :mod:`seatlib.report`. External systems (one module each):
:mod:`seatlib.zoho`, :mod:`seatlib.lake`, :mod:`seatlib.warehouse`. Configuration:
:mod:`seatlib.config`. The demo's stand-ins live in :mod:`seatlib.sim` and :mod:`seatlib.demo`.

Nothing is loaded, connected or logged at import time.
"""

__version__ = "0.1.0"
