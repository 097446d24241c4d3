"""Local stand-ins for the demo and the tests.

* :mod:`seatlib.sim.state` - the Zoho organisation as the simulator serves it on one instant.
* :mod:`seatlib.sim.world` - a deterministic demo world (seed + date -> Zoho state, company rows, truth).
* :mod:`seatlib.sim.server` - a real HTTP server on 127.0.0.1 speaking Zoho Analytics API v2.
"""
