#!/usr/bin/env bash
# Runs the HA bridge's pytest suite against the real in-process HA core in .venv
# (created by scripts/setup.sh from integration-bridge/.python-version + requirements-test.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "test-bridge: .venv is missing; run scripts/setup.sh first" >&2
  exit 1
fi
exec .venv/bin/python -m pytest integration-bridge/tests -q -p no:sugar "$@"
