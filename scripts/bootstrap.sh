#!/usr/bin/env bash
# Set up everything aws-login-tray needs on a fresh Debian machine with python3:
# Debian packages (when missing), then a virtualenv in .venv with the project
# and its test extra installed in editable mode. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # X server, tray host, screenshots, input: the GUI tests and the demo
  xvfb trayer x11-utils xdotool imagemagick
  # Qt's xcb platform plugin needs these on a bare system
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-shape0 libegl1 libgl1
  libfontconfig1 libdbus-1-3 fonts-dejavu-core
  # notifications over D-Bus, and a real Secret Service keyring
  dbus dbus-x11 dunst libnotify-bin gnome-keyring libsecret-tools
  # a real browser for the sign-in page tests
  chromium
  # validators for the desktop entry and the AppStream metainfo
  desktop-file-utils appstream
  # the frozen bundle and its .deb: PyInstaller reads shared libraries with objdump
  binutils
)
# Debian's python3 ships venv/ensurepip separately
python3 -c 'import venv, ensurepip' 2>/dev/null || DEBIAN_PACKAGES+=(python3-venv)
# PyInstaller embeds the shared libpython, which Debian ships apart from its (static) python3
if [ "$(python3 -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
  DEBIAN_PACKAGES+=("libpython$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "Installing Debian packages: ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[test]' >&2
  rm -f .venv/.installed-*
  touch "$stamp"
fi
