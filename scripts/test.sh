#!/usr/bin/env bash
# Set up .venv (if needed) and run the test suite, one worker per core (pytest-xdist; each test
# file stays on one worker, so a module's fixtures are built once). Extra arguments go to pytest,
# e.g. `scripts/test.sh -m "not slow"`, `scripts/test.sh tests/unit/test_gold.py -x`, or `-n 0`
# for one process (a debugger, `-s`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest -n auto --dist loadfile "$@"
