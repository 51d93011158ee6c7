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
[ -f prebuilds/linux-x64/node.napi.glibc.node ] || npm run build:prebuild >/dev/null

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
cp bench/peers/torch_bench.py "$out/dist/peers/"
cp build/cuda/gradloop_cuda.node "$out/build/cuda/"
xz -T0 -6 -c prebuilds/linux-x64/node.napi.glibc.node > "$out/prebuilds/linux-x64/node.napi.glibc.node.xz"
cp -r data/mnist "$out/data/"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: unpack node, run the checks and the benchmark; results go to $OUT.
set -uo pipefail
cd "$(dirname "$0")"
out=${OUT:-.}
[ -x node ] || { xz -d -k -f node.xz && chmod +x node; }
[ -f prebuilds/linux-x64/node.napi.glibc.node ] || xz -d -k -f prebuilds/linux-x64/node.napi.glibc.node.xz
nvidia-smi -L 2>&1 | tee "$out/nvidia-smi.txt"
./node dist/check.mjs 2>&1 | tee "$out/gpu-checks.jsonl"
checks=${PIPESTATUS[0]}
./node dist/bench.mjs --device cuda --seconds "${SECONDS_PER_WORKLOAD:-3}" 2>&1 | tee "$out/gpu-bench.jsonl"
exit "$checks"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
