#!/usr/bin/env bash
# Builds and runs bench/conv/conv_compare.cc (needs Debian's libdnnl-dev and libopenblas-dev; not
# part of the package or of CI): gradloop's im2col + OpenBLAS against oneDNN, 2 threads each.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)/conv_compare
g++ -O3 -march=native -std=c++17 conv_compare.cc -o "$out" -ldnnl -lopenblas
OMP_NUM_THREADS=${THREADS:-2} OPENBLAS_NUM_THREADS=${THREADS:-2} "$out" "${SECONDS_PER_SHAPE:-3}"
