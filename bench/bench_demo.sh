#!/usr/bin/env bash
# Time and peak memory of the whole demo: a first run (fills 60 days of history, then the five
# stage notebooks for today) and a second run of the same day (notebooks only).
# Usage: bench/bench_demo.sh   (moves var/demo, everything the demo writes, aside first; puts it
# back after; production's runs/ is not the demo's and stays as it is)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
stash="$(mktemp -d)"
[ -d var/demo ] && mv var/demo "$stash/demo"
restore() {
  rm -rf var/demo
  if [ -d "$stash/demo" ]; then mv "$stash/demo" var/demo; fi
  rm -rf "$stash"
}
trap restore EXIT
for label in "first run (60 days of history + today)" "same day again"; do
  echo "## $label"
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB (runner process)" \
    ./run_daily.sh --demo 2>&1 >/dev/null | grep -E "^wall|run succeeded|FAILED"
done
du -sh var/demo/lake var/demo/runs/"$(date -u +%F)" | sed 's/^/size /'
