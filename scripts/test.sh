#!/usr/bin/env bash
# Set up .venv (if needed) and run the test suite. Extra arguments go to pytest,
# e.g. `scripts/test.sh -m "not slow"` or `scripts/test.sh tests/unit/test_gold.py -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
