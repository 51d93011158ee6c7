#!/usr/bin/env bash
# Packs into .gpu/ what a GPU machine without Node.js, node_modules or a network needs to run the
# GPU checks and the GPU benchmark: the CUDA addon (built here with nvcc, CUDA runtime static), the
# self-contained CPU prebuild (the reference side), both scripts bundled with their packages, the
# MNIST digits, PyTorch's side of the benchmark, and this machine's node binary, xz-compressed.
# Then, with the device tool:  run(command: "bash .gpu/run.sh", carry: [".gpu"])
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
rm -rf "$out"
mkdir -p "$out/dist/peers" "$out/build/cuda" "$out/prebuilds/linux-x64" "$out/data"

npm run build:native >/dev/null                     # build/cuda/gradloop_cuda.node needs nvcc
[ -f build/cuda/gradloop_cuda.node ] || { echo "pack: no CUDA addon was built (is nvcc installed?)" >&2; exit 1; }
prebuild=prebuilds/linux-x64/node.napi.glibc.node
if [ ! -f "$prebuild" ] || [ -n "$(find native CMakeLists.txt -newer "$prebuild" -print -quit)" ]; then
  npm run build:prebuild >/dev/null                 # missing, or older than the native sources
fi

# One file per script; the loader finds the addons one folder up from it, as from dist/ in the package.
bundle() {
  npx esbuild "$1" --bundle --platform=node --format=esm --target=node20 --outfile="$2" --log-level=warning \
    --external:onnxruntime-node --external:@resvg/resvg-js \
    --banner:js="import { createRequire as __gradloopRequire } from 'node:module'; const require = __gradloopRequire(import.meta.url);"
}
# The op cases (test/cases/<op>.ts) for the checks: an entry that imports each, then check.ts.
entry=$(mktemp -d)/check-entry.ts
imports="" list=""
for f in test/cases/*.ts; do
  case "$f" in */index.ts|*/case.ts) continue ;; esac
  op=$(basename "$f" .ts)
  imports+="import { cases as case_$op } from '$PWD/$f';"$'\n'
  list+="  ...case_$op.map((c) => ['$op', c]),"$'\n'
done
printf "%s(globalThis as { gradloopOpCases?: unknown }).gradloopOpCases = [\n%s];\nawait import('%s/scripts/gpu/check.ts');\n" "$imports" "$list" "$PWD" > "$entry"
bundle "$entry" "$out/dist/check.mjs"
bundle bench/run.ts "$out/dist/bench.mjs"
bundle bench/denormals.ts "$out/dist/denormals.mjs"
cp bench/peers/torch_bench.py "$out/dist/peers/"
cp build/cuda/gradloop_cuda.node "$out/build/cuda/"
xz -T0 -6 -c prebuilds/linux-x64/node.napi.glibc.node > "$out/prebuilds/linux-x64/node.napi.glibc.node.xz"
cp -r data/mnist "$out/data/"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"

# Sourced by both scripts: unpack node and the CPU addon, and name the addons by path (carried
# inside a checkout, the loader's package root is the checkout's, whose build/ and prebuilds/ stay here).
cat > "$out/env.sh" <<'ENV'
cd "$(dirname "${BASH_SOURCE[0]}")"
out=${OUT:-.}
[ -x node ] || { xz -d -k -f node.xz && chmod +x node; }
[ -f prebuilds/linux-x64/node.napi.glibc.node ] || xz -d -k -f prebuilds/linux-x64/node.napi.glibc.node.xz
export GRADLOOP_ADDON=$PWD/prebuilds/linux-x64/node.napi.glibc.node GRADLOOP_CUDA_ADDON=$PWD/build/cuda/gradloop_cuda.node
ENV

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: the GPU checks and the GPU benchmark; results go to $OUT.
set -uo pipefail
source "$(dirname "$0")/env.sh"
nvidia-smi -L 2>&1 | tee "$out/nvidia-smi.txt"
./node dist/check.mjs 2>&1 | tee "$out/gpu-checks.jsonl"
checks=${PIPESTATUS[0]}
./node dist/bench.mjs --device cuda --seconds "${SECONDS_PER_WORKLOAD:-3}" 2>&1 | tee "$out/gpu-bench.jsonl"
exit "$checks"
RUN

cat > "$out/cpu.sh" <<'CPU'
#!/usr/bin/env bash
# On the GPU machine, its CPU (an Intel Xeon on the team's machines, where the sessions' own are
# AMD): the kernel set chosen, W1-W4, W6, W7 and W8, the generic kernels for the factor, the float
# mode's cost (bench/denormals.ts), and PyTorch's CPU side at 1 and 2 threads and at 1 thread with
# OpenBLAS threaded (bench:compare's three settings); on CORES (default 2 cores, as CI). WORKLOADS=W8 SKIP_GENERIC=1 SKIP_DENORMALS=1 for a short run.
set -uo pipefail
source "$(dirname "$0")/env.sh"
on="taskset -c ${CORES:-0,1}"
s=${SECONDS_PER_WORKLOAD:-3}
lscpu > "$out/lscpu.txt"
only=${WORKLOADS:-W1,W2,W3,W4,W6,W7,W8}
blas=$(echo "${CORES:-0,1}" | tr ',' '\n' | wc -l)
{
  $on ./node dist/bench.mjs --seconds "$s" --only "$only"
  [ -n "${SKIP_GENERIC:-}" ] || OPENBLAS_CORETYPE=Prescott $on ./node dist/bench.mjs --seconds "$s" --only W1,W3
  for w in ${only//,/ }; do
    for t in 1 2; do
      r=$(OPENBLAS_NUM_THREADS=1 $on python3 dist/peers/torch_bench.py $w $t "$s" 2>/dev/null | tail -1)
      echo "{\"kind\":\"pytorch\",\"workload\":\"$w\",\"threads\":$t,\"result\":${r:-null}}"
    done
    r=$(OPENBLAS_NUM_THREADS=$blas $on python3 dist/peers/torch_bench.py $w 1 "$s" 2>/dev/null | tail -1)
    echo "{\"kind\":\"pytorch\",\"workload\":\"$w\",\"threads\":1,\"openblasThreads\":$blas,\"result\":${r:-null}}"
  done
} 2>&1 | tee "$out/cpu-bench.jsonl"
[ -n "${SKIP_DENORMALS:-}" ] || $on ./node dist/denormals.mjs --seconds 2 --rounds 2 --only W2,W1 2>&1 | tee "$out/denormals.jsonl"
CPU
chmod +x "$out/run.sh" "$out/cpu.sh"
du -sh "$out"
