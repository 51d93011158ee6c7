#!/usr/bin/env bash
# Sets up a clone of gradloop on Debian/Ubuntu (as root): the system packages the native build
# needs, `npm ci`, then the addon with the main build (cmake-js). Safe to run again; it skips
# what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-onnx: the official ONNX checker, run by the tests on exported files.
# debootstrap: the Debian 11 root the release prebuild is built in (test/package-install.test.ts).
# fonts-dejavu-core: the font plotHistory's PNG charts (rendered by resvg) draw their text with.
# openmpi-bin: mpirun and Open MPI, which data-parallel training runs over (gradloop launch; the
# distributed tests start 2 and 3 ranks); the addon loads libmpi at run time, not at build time.
packages=(cmake g++ make pkg-config libopenblas-dev python3 python3-onnx debootstrap fonts-dejavu-core openmpi-bin)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: gradloop needs Node.js 20 or newer, found $(node --version)." >&2
  echo "       Install a current Node.js (https://nodejs.org or your distribution's backports) and run this again." >&2
  exit 1
fi

# --ignore-scripts: the package's own install script (node-gyp-build) is what users run; here the
# addon is built with the main build instead, and no dependency runs install scripts.
npm ci --no-audit --no-fund --ignore-scripts
npm run build:native
