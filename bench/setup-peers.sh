#!/usr/bin/env bash
# Installs the peers of `npm run bench:compare` (Debian/Ubuntu, as root):
# PyTorch from Debian's python3-torch (there is no PyPI here), TensorFlow.js cpu + wasm from npm,
# and tries @tensorflow/tfjs-node, recording exactly what happens.
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p results

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench: installing python3-torch (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-torch || echo "bench: python3-torch could not be installed; PyTorch is left out"
fi

[ -d peers/node_modules/@tensorflow/tfjs ] || npm ci --prefix peers --no-audit --no-fund

# tfjs-node downloads libtensorflow in its install script; attempt it once and keep the outcome.
if [ ! -f results/tfjs-node-attempt.txt ]; then
  attempt=$(mktemp -d)
  {
    echo "npm install @tensorflow/tfjs-node@4.22.0 with its install script allowed (scratch project), then require('@tensorflow/tfjs-node'):"
    (cd "$attempt" && npm init -y >/dev/null 2>&1 \
      && node -e "const f='package.json',p=require('./'+f);p.allowScripts={'@tensorflow/tfjs-node':true};require('fs').writeFileSync(f,JSON.stringify(p))" \
      && timeout 300 npm install --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 2>&1 | grep -v -E 'nodedir|Unknown (user|project) config' | tail -n 12) || true
    (cd "$attempt" && node -e "require('@tensorflow/tfjs-node'); console.log('require: loaded')" 2>&1 | grep -E 'Error|loaded|Cannot' | head -n 3) || true
  } > results/tfjs-node-attempt.txt 2>&1
  rm -rf "$attempt"
fi
