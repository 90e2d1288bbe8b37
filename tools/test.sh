#!/usr/bin/env bash
# The whole test suite, from a clean machine: creates .venv if needed, installs the
# project with its test extras, runs pytest. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
# the versions the suite passes with (constraints.txt); pyproject.toml only bounds them
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[test,spark]'
# the Spark tests run (never skipped) wherever this script runs the suite, CI included
export SLRT_REQUIRE_SPARK=1
# a run that hangs (a worker process or thread left behind at exit) fails here, not at CI's own limit
if command -v timeout >/dev/null 2>&1; then
  exec timeout --kill-after=60 1800 .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest "$@"  # macOS has no timeout(1)
