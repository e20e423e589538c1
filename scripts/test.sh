#!/usr/bin/env bash
# The whole suite: lint, format check, types, import contracts, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff check" && ruff check .
echo "== ruff format --check" && ruff format --check .
echo "== mypy" && mypy
echo "== import contracts" && lint-imports
echo "== pytest" && pytest -p no:cacheprovider "$@"
