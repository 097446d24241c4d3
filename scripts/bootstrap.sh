#!/usr/bin/env bash
# Create or refresh the project's virtual environment in .venv, installing the tested
# versions from constraints.txt. Idempotent and quick when nothing changed.
#
#   scripts/bootstrap.sh            runtime + test dependencies (.[dev])
#   scripts/bootstrap.sh lab        also JupyterLab (.[dev,lab])
#   scripts/bootstrap.sh --refresh-constraints
#                                   re-resolve the newest versions and rewrite constraints.txt
set -euo pipefail
cd "$(dirname "$0")/.."

extras="dev"
refresh=0
for arg in "$@"; do
  case "$arg" in
    lab) extras="dev,lab" ;;
    --refresh-constraints) refresh=1; extras="dev,lab" ;;
    *) echo "bootstrap: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "bootstrap: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi

venv=.venv
stamp="$venv/.bootstrap-stamp"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16) extras=$extras"

if [ "$refresh" = 1 ]; then
  rm -rf "$venv"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
# An environment with more extras than asked for is fine: keep it.
if [ -f "$stamp" ] && [ "$extras" = "dev" ] && [ "$(cat "$stamp")" = "${want%extras=dev}extras=dev,lab" ]; then
  exit 0
fi

echo "bootstrap: installing .[$extras] into $venv (first run takes about a minute)" >&2
[ -x "$venv/bin/python" ] || "$python_bin" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24" >/dev/null 2>&1 || true
if [ "$refresh" = 1 ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
  { echo '# Tested versions (pip freeze of a Python 3.11 venv with .[dev,lab]); installs use `pip install -c constraints.txt`.'
    echo '# Regenerate: scripts/bootstrap.sh --refresh-constraints'
    "$venv/bin/python" -m pip freeze --exclude-editable; } > constraints.txt
  want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16) extras=$extras"
else
  log="$venv/bootstrap.log"
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check -c constraints.txt -e ".[$extras]" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "bootstrap: pip install failed (full log: $log)" >&2
    exit 1
  fi
fi
echo "$want" > "$stamp"
