#!/usr/bin/env bash
# Installs what fangcha needs on a fresh Debian 12 machine (run as root or with sudo):
# a C toolchain, cmake and the sqlite3 CLI (PROJ is built from source by proj-sys),
# GDAL's command-line tools (interoperability tests), the X11/Vulkan libraries the window and
# the egui_kittest renderer (lavapipe) load at run time, and checks for Rust.
set -euo pipefail

PKGS=(gcc g++ libc6-dev make cmake sqlite3 pkg-config gdal-bin python3-gdal
  libx11-6 libx11-xcb1 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0 libxkbcommon0
  libvulkan1 mesa-vulkan-drivers libgl1 libegl1)
if [ "${FANGCHA_SCREENSHOT_DEPS:-}" = 1 ]; then PKGS+=(xvfb xauth imagemagick xdotool); fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "deps: Rust is not installed; install it with rustup (https://rustup.rs) and re-run" >&2
    exit 2
  fi
fi
