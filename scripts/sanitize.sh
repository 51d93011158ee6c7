#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (float-cast-overflow too,
# every finding fatal) into build-sanitize/, and runs the native-heavy tests against it. Node is not
# instrumented, so the ASan runtime is preloaded; leak detection is off (V8 keeps memory until exit).
# Any sanitizer report aborts the process that hit it, and so fails the run.
# Usage: bash scripts/sanitize.sh [test files...]   (CI: .ci/run runs it after the suite)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
npx cmake-js compile --out build-sanitize --CDGRADLOOP_SANITIZE=ON --CDGRADLOOP_CUDA=OFF --CDCMAKE_BUILD_TYPE=RelWithDebInfo >/tmp/gradloop-sanitize-build.log 2>&1 \
  || { tail -30 /tmp/gradloop-sanitize-build.log; exit 1; }
addon=$(pwd)/build-sanitize/RelWithDebInfo/gradloop.node
[ -f "$addon" ] || addon=$(pwd)/build-sanitize/Release/gradloop.node
asan=$(g++ -print-file-name=libasan.so)
ubsan=$(g++ -print-file-name=libubsan.so)
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(test/gradients.test.ts test/errors.test.ts test/robustness.test.ts test/checkpoint.test.ts test/float-mode.test.ts
         test/optimizers.test.ts test/training.test.ts test/training-control.test.ts test/training-health.test.ts test/fuzz.test.ts
         test/graph-ops.test.ts test/graph-models.test.ts test/graph-reference.test.ts test/freezing.test.ts test/probability-outputs.test.ts
         test/multi-output.test.ts test/batch-normalization.test.ts test/cnn-reference.test.ts test/sequence-loss.test.ts test/transformer-reference.test.ts test/text.test.ts
         test/decoder.test.ts test/attention-mask.test.ts test/recurrent.test.ts test/losses.test.ts test/sample-weights.test.ts test/metrics.test.ts)
fi
echo "sanitize: $addon against ${#files[@]} test files"
GRADLOOP_ADDON=$addon LD_PRELOAD="$asan $ubsan" \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
  npx vitest run "${files[@]}"
echo "sanitize: passed in $(( $(date +%s) - start )) s"
