#!/usr/bin/env bash
# Runs the whole test suite once per OpenBLAS kernel set (OPENBLAS_CORETYPE), to show that no
# test depends on the summation order of one CPU's kernels: tests that compare gradloop with
# another implementation use float32 tolerances (test/helpers/tolerance.ts), bit-exact ones
# compare gradloop with itself. Usage: npm run test:kernels [-- Prescott Haswell ...]
# Default: Prescott (SSE3), Haswell (AVX2) and, where the CPU has AVX-512, SkylakeX.
set -euo pipefail
cd "$(dirname "$0")/.."
cores=("$@")
if [ ${#cores[@]} -eq 0 ]; then
  cores=(Prescott Haswell)
  grep -qw avx512f /proc/cpuinfo && cores+=(SkylakeX)
fi
failed=()
for core in "${cores[@]}"; do
  echo "=== OPENBLAS_CORETYPE=$core"
  if ! OPENBLAS_CORETYPE=$core npx vitest run; then failed+=("$core"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test:kernels: failed under ${failed[*]}" >&2
  exit 1
fi
echo "test:kernels: passed under ${cores[*]}"
