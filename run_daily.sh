#!/usr/bin/env bash
# Daily seat-monitor run: extract, silver, gold, load, report, each a papermill-executed notebook
# saved under runs/<date>/. Cron calls this script and nothing else.
#
#   ./run_daily.sh --demo                      the whole pipeline on the embedded defaults
#   ./run_daily.sh                             today (UTC), production settings
#   ./run_daily.sh --date 2026-11-28 --stage gold load report
#   ./run_daily.sh --backfill 2026-11-01 2026-11-28
#   ./run_daily.sh --help
#
# Exit codes: 0 success, 1 a stage failed, 2 bad usage or configuration, 3 another run in progress.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
scripts/bootstrap.sh
exec .venv/bin/python -m seatlib.run.runner "$@"
