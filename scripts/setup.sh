#!/usr/bin/env bash
# Sets up a clone of gradloop on Debian/Ubuntu (as root): the system packages
# the native build needs, then `npm ci`, which compiles the addon (cmake-js)
# and the TypeScript (tsup). Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-onnx: the official ONNX checker, run by the tests on exported files.
packages=(cmake g++ make pkg-config libopenblas-dev python3 python3-onnx)
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

npm ci --no-audit --no-fund
