#!/usr/bin/env bash
# Start aws-login-tray in demo mode against the embedded AWS Sign-In emulator.
# Your real ~/.aws and keyring are never touched: the demo lives in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/aws-login-tray --demo "$@"
fi

# No screen (a server, a container): run on a private virtual X server with a
# tray host so the demo still works; look at it with `DISPLAY=$display import -window root shot.png`.
source scripts/lib/virtual-desktop.sh
start_virtual_desktop
echo "No display found: the demo runs on the virtual X server $display (screenshot: DISPLAY=$display import -window root demo.png)." >&2
DISPLAY="$display" QT_QPA_PLATFORM=xcb .venv/bin/aws-login-tray --demo "$@"
