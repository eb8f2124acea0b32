#!/usr/bin/env bash
# The HA bridge's checks, in the venv .venv (created by scripts/setup.sh from integration-bridge/.python-version and
# integration-bridge/requirements-test.txt, which brings mypy and jsonschema too):
#   1. mypy with Home Assistant core's strict settings for integrations (integration-bridge/pyproject.toml);
#   2. the pytest suite against the real in-process HA core, with line coverage of the
#      integration, failing under 95 % (the quality scale's test-coverage rule asks for more than 95 %).
# Arguments go to pytest (and switch the coverage floor off, for a run of a few tests).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "test-bridge: .venv is missing; run scripts/setup.sh first" >&2
  exit 1
fi
if ! .venv/bin/python -c 'import mypy, jsonschema' 2>/dev/null; then
  echo "test-bridge: mypy or jsonschema is missing from .venv; run scripts/setup.sh again" >&2
  exit 1
fi
mkdir -p .cache
# Caches and the coverage data stay in the ignored .cache folder.
export MYPY_CACHE_DIR="$PWD/.cache/mypy" COVERAGE_FILE="$PWD/.cache/bridge.coverage"
echo "==> mypy --strict (Home Assistant's settings) on integration-bridge/custom_components/smart_power_station"
(cd integration-bridge && ../.venv/bin/python -m mypy --config-file pyproject.toml)
echo "==> pytest integration-bridge/tests"
coverage=()
# The whole suite measures coverage; a run of some tests (arguments given) does not.
if [ "$#" -eq 0 ]; then
  coverage=(--cov=integration-bridge/custom_components/smart_power_station --cov-report=term --cov-fail-under=95)
fi
exec .venv/bin/python -m pytest integration-bridge/tests -q -p no:sugar "${coverage[@]}" "$@"
