"""The suite, in layers (each a folder):

* ``unit/``: rules and transforms on small frames, settings, the runner's parsing and lock.
* ``adapters/``: each external system's module against its real local stand-in (the Zoho client
  against the simulator over HTTP, the databases against PostgreSQL, the lake on moto's S3).
* ``stages/``: one stage in-process through real stand-ins (the extract's fault matrix, guards).
* ``e2e/``: whole runs through papermill kernels (``-m slow``): the demo, back-fills, kills.

Shared fixtures live in ``tests/fixtures/``, one module per external system, loaded here.
"""

pytest_plugins = ["tests.fixtures.pg", "tests.fixtures.zoho", "tests.fixtures.lake",
                  "tests.fixtures.demo", "tests.fixtures.reclaim", "tests.fixtures.warehouse"]
