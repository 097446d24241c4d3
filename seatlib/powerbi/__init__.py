"""The Power BI project (PBIP) over the warehouse, generated from the warehouse's own definitions.

* :mod:`.model`: what the semantic model holds (tables from the gold contracts and the warehouse
  views, the date table, the measures, the parameters);
* :mod:`.tmdl`: that model as TMDL files; :mod:`.pbir`: the report page as PBIR JSON;
* :mod:`.schemas`: Microsoft's JSON schemas, resolved offline, and validation against them;
* :mod:`.project`: the files under ``powerbi/``, written or checked (``python -m seatlib.powerbi``).

What it may import: :mod:`seatlib.core`, :mod:`seatlib.systems` (the warehouse's relation
names) and :mod:`seatlib.history` (the ledger's table). Nothing here connects to a database; see docs/powerbi.md for opening the project.
"""
