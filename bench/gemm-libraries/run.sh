#!/usr/bin/env bash
# Builds and runs gemm_libraries.cc against Debian's OpenBLAS, oneDNN (libdnnl-dev) and libxsmm
# (libxsmm-dev), installing them first when missing (as root). One thread; the OpenBLAS kernel set
# is OPENBLAS_CORETYPE's, or its own detection. Prints JSON lines (GFLOP/s per library and shape).
set -euo pipefail
cd "$(dirname "$0")"
for p in libopenblas-dev libdnnl-dev libxsmm-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null; }
done
out=$(mktemp -d)
g++ -O2 -std=c++17 gemm_libraries.cc -o "$out/gemm_libraries" -I/usr/include/x86_64-linux-gnu/openblas-pthread \
  -ldnnl -lxsmm -lxsmmext -lxsmmnoblas -lopenblas -lpthread -ldl
OMP_NUM_THREADS=1 DNNL_VERBOSE=0 "$out/gemm_libraries"
