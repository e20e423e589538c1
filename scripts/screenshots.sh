#!/usr/bin/env bash
# Render the GUI screenshots in docs/screenshots/ under a private X server:
# Xvfb, the trayer tray host and (when installed) the dunst notification
# daemon on a private D-Bus session. Nothing touches your own desktop.
# Usage: scripts/screenshots.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshots}"

source scripts/lib/virtual-desktop.sh
start_virtual_desktop --transparent false --tint 0x2b303b
sleep 1

run() {
  DISPLAY="$display" QT_QPA_PLATFORM=xcb .venv/bin/python -m tests.screenshots "$out"
  # Daily use: a retrying session, a dead one with its recovery, the icon on light and dark panels...
  DISPLAY="$display" QT_QPA_PLATFORM=xcb .venv/bin/python -m tests.screenshots_daily "$out"
  # ...and the switcher at twice the scale (offscreen: no screen limits the window's size).
  QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=2 .venv/bin/python -m tests.screenshots_daily "$out" --only-2x
}
if command -v dunst >/dev/null && command -v dbus-run-session >/dev/null; then
  export -f run; export display out
  dbus-run-session -- bash -c 'DISPLAY="$display" dunst -config scripts/dunstrc >/dev/null 2>&1 & d=$!; sleep 1; run; kill $d' 2>/dev/null
else
  run
fi

# The tray icon on a real dark and a real light tray bar (trayer tints its bar only when "transparent").
for panel in "dark 0x1e2127" "light 0xe8e8e7"; do
  set -- $panel
  start_virtual_desktop --transparent true --alpha 0 --tint "$2"
  sleep 1
  DISPLAY="$display" QT_QPA_PLATFORM=xcb .venv/bin/python -m tests.screenshots_daily "$out" --tray-only="tray-icon-$1-panel"
done
