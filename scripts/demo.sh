#!/usr/bin/env bash
# Start aws-login-tray in demo mode against the embedded AWS Sign-In emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/aws-login-tray --demo "$@"
