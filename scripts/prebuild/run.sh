#!/usr/bin/env bash
# `npm run build:prebuild`: the release binary users install, prebuilds/linux-x64/node.napi.glibc.node.
# prebuildify names, strips and places it; the build itself is the CMake build run inside a
# Debian 11 root (node-gyp-bullseye.sh). Then the checks a user's machine depends on:
# glibc symbol versions <= 2.28 (Node 20's own floor) and no shared library beyond glibc's.
set -euo pipefail
cd "$(dirname "$0")/../.."
stage=build/prebuild-stage
rm -rf "$stage" prebuilds
mkdir -p "$stage"
# --name node.napi: prebuildify 6.0.1 no longer adds the napi tag its README documents, and
# node-gyp-build needs it to treat the binary as runtime-agnostic (Electron too).
npx prebuildify --napi --name node.napi --strip --tag-libc --cwd "$stage" --out . \
  --node-gyp "$PWD/scripts/prebuild/node-gyp-bullseye.sh"

# The CUDA addon (built when this machine has a CUDA toolkit): loaded on demand from
# prebuilds/cuda/ (outside node-gyp-build's platform folders), stripped like the CPU one.
if [ -f "$stage/build/cuda/gradloop_cuda.node" ]; then
  mkdir -p prebuilds/cuda/linux-x64
  strip --strip-all -o prebuilds/cuda/linux-x64/gradloop_cuda.node "$stage/build/cuda/gradloop_cuda.node"
fi

check() {
  local binary=$1 newest libraries
  newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
  if [ "$(printf '%s\n' "$newest" GLIBC_2.28 | sort -V | tail -1)" != GLIBC_2.28 ]; then
    echo "build:prebuild: $binary needs $newest; Node 20 supports glibc 2.28, so it must not" >&2
    objdump -T "$binary" | grep -E 'GLIBC_2\.(29|[3-9][0-9])' >&2
    exit 1
  fi
  libraries=$(ldd "$binary" | awk '{print $1}' | grep -vE '^(linux-vdso\.so|/lib64/ld-linux|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so)' || true)
  if [ -n "$libraries" ]; then
    echo "build:prebuild: $binary depends on libraries beyond glibc: $libraries" >&2
    exit 1
  fi
  echo "build:prebuild: $binary: $(stat -c %s "$binary") bytes, newest glibc symbol $newest, exports: $(nm -D --defined-only "$binary" | awk '{print $3}' | tr '\n' ' ')"
}
check prebuilds/linux-x64/node.napi.glibc.node
[ ! -f prebuilds/cuda/linux-x64/gradloop_cuda.node ] || check prebuilds/cuda/linux-x64/gradloop_cuda.node
