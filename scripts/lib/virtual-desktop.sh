# shellcheck shell=bash
# Sourced, not run: a private virtual desktop for scripts that show the tray
# without touching the user's screen. `start_virtual_desktop [TRAYER_ARG...]`
# starts Xvfb on a randomly numbered display and the trayer tray host on it,
# sets $display (e.g. ":123") and stops both when the calling script exits.

virtual_desktop_pids=()

stop_virtual_desktop() {
  local pid
  for pid in "${virtual_desktop_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}

start_virtual_desktop() {
  display=":$(( 50 + RANDOM % 200 ))"
  trap stop_virtual_desktop EXIT
  Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  virtual_desktop_pids+=($!)
  sleep 1
  DISPLAY="$display" trayer --edge top --align right --widthtype request --height 24 \
    --SetDockType true "$@" >/dev/null 2>&1 &
  virtual_desktop_pids+=($!)
}
