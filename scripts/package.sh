#!/usr/bin/env bash
# Build the standalone Linux package: a PyInstaller one-folder bundle (no Python needed on the
# target) and a .deb made from it with dpkg-deb.
#
#   scripts/package.sh   ->  dist/aws-login-tray/                      the bundle
#                            dist/aws-login-tray_<version>_<arch>.deb  /usr/bin/aws-login-tray, the desktop
#                                                                      entry, icon, metainfo, systemd user unit
# Environment:
#   PYTHON           the interpreter with the app and PyInstaller installed (default: .venv/bin/python)
#   DIST_DIR         where the bundle and the .deb go (default: dist)
#   BUILD_DIR        PyInstaller's work folder, its cache and the .deb staging tree (default: build/package)
#   DEB_COMPRESSION  zstd (default: seconds) or xz (a quarter smaller, minutes)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
DIST_DIR=$(realpath -m "${DIST_DIR:-dist}")
BUILD_DIR=$(realpath -m "${BUILD_DIR:-build/package}")
DEB_COMPRESSION=${DEB_COMPRESSION:-zstd}
APP_ID=io.github.awslogintray.AwsLoginTray

version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
arch=$(dpkg --print-architecture)

# PyInstaller's cache stays inside the build folder: nothing lands in ~/.cache.
export PYINSTALLER_CONFIG_DIR="$BUILD_DIR/pyinstaller-cache"
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST_DIR" --workpath "$BUILD_DIR/work" packaging/aws-login-tray.spec

stage="$BUILD_DIR/deb"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/lib" "$stage/usr/bin"
cp -a "$DIST_DIR/aws-login-tray" "$stage/usr/lib/aws-login-tray"
ln -s ../lib/aws-login-tray/aws-login-tray "$stage/usr/bin/aws-login-tray"
install -D -m 644 "resources/desktop/$APP_ID.desktop" "$stage/usr/share/applications/$APP_ID.desktop"
install -D -m 644 "resources/icons/$APP_ID.svg" "$stage/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
install -D -m 644 "resources/desktop/$APP_ID.metainfo.xml" "$stage/usr/share/metainfo/$APP_ID.metainfo.xml"
install -D -m 644 packaging/systemd/aws-login-tray-agent.service \
  "$stage/usr/lib/systemd/user/aws-login-tray-agent.service"
mkdir -p "$stage/usr/share/doc/aws-login-tray"
"$PYTHON" packaging/debian/copyright.py >"$stage/usr/share/doc/aws-login-tray/copyright"

libc=$(dpkg-query -W -f='${Version}' libc6 | cut -d- -f1)  # the glibc the bundle was linked against
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@LIBC@/$libc/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  packaging/debian/control.in >"$stage/DEBIAN/control"

deb="$DIST_DIR/aws-login-tray_${version}_${arch}.deb"
rm -f "$DIST_DIR"/aws-login-tray_*.deb
dpkg-deb --root-owner-group "-Z$DEB_COMPRESSION" --build "$stage" "$deb" >/dev/null
echo "$deb"
