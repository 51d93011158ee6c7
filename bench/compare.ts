// `npm run bench:compare`: gradloop against PyTorch (CPU) and TensorFlow.js (cpu, wasm) on the
// workloads W1-W4, W6 (the small GPT) and W7 (the LSTM; both PyTorch only), side by side in one run. Every measurement is its own child process
// (so peak RSS is per workload), and rounds interleave the systems (A B C D, A B C D, ...).
// Writes bench/results/<date>-<host>.json and chart.svg, and prints a markdown table.
//   npm run bench:compare [-- --rounds 3 --seconds 2 --seeds 5]
import { execFileSync } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backendInfo } from '../src/index.js';
import { native } from '../src/backend/native.js';
import { VERSION } from '../src/version.js';
import { renderChart } from './chart.js';
import { flopsPerSample, type Workload, WORKLOADS as ALL_WORKLOADS } from './workloads.js';

// On the CPU: the dense workloads W1-W4, the GPT (W6) and the LSTM (W7); W8, the CNN, is in `npm run bench`.
const WORKLOADS = ALL_WORKLOADS.filter((w) => !w.gpuOnly && (!w.conv || w.pytorchOnly));

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = option('rounds', 3), SECONDS = option('seconds', 2), SEEDS = option('seeds', 5);
const PYTHON = '/usr/bin/python3'; // Debian's python3-torch installs for the system Python
const here = path.dirname(new URL(import.meta.url).pathname);
const peers = path.join(here, 'peers');
const resultsDir = path.join(here, 'results');
// PyTorch at its fastest fair setting: OpenBLAS single-threaded under torch's own pool, and the
// same OpenBLAS kernel set gradloop runs (Debian's torch calls the system OpenBLAS, which would
// otherwise fall back to generic kernels on CPUs newer than it, as gradloop's did before it chose
// by features: src/blas-kernels.ts).
const torchEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? backendInfo().blasCore };

type Sample = { system: string; workload: string; samplesPerSec: number; peakRssMb: number; threads?: number; version?: string; steps: number };
const log = (line: string) => process.stderr.write(line + '\n');

function child(cmd: string, argv: string[], env = process.env): Sample | { error: string } {
  try {
    const out = execFileSync(cmd, argv, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const text = (e.stderr || e.message).trim().split('\n');
    return { error: (text.find((l) => /Error:/.test(l)) ?? text.slice(-3).join(' ')).trim() };
  }
}

// ---- what is there ----
const torchVersion = (() => {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();
const tfjsThere = existsSync(path.join(peers, 'node_modules/@tensorflow/tfjs'));
const tfjsNodeAttempt = existsSync(path.join(resultsDir, 'tfjs-node-attempt.txt'))
  ? readFileSync(path.join(resultsDir, 'tfjs-node-attempt.txt'), 'utf8').trim()
  : 'not attempted (run bench/setup-peers.sh)';

// One line for the table: what tfjs-node's install did here.
const tfjsNodeSummary = (() => {
  const host = tfjsNodeAttempt.match(/hostname: '([^']+)'/)?.[1];
  const code = tfjsNodeAttempt.match(/code: '([A-Z_]+)'/)?.[1];
  if (host)
    return `cannot install offline: its install script downloads libtensorflow and fails with ${code ?? 'an error'} for ${host}; ` +
      `npm rolls the install back, so require('@tensorflow/tfjs-node') fails (${tfjsNodeAttempt.includes('Cannot find module') ? 'Cannot find module' : 'see the attempt log'})`;
  return tfjsNodeAttempt.split('\n').slice(0, 3).join(' ');
})();

const systems: { name: string; run: (w: Workload) => Sample | { error: string } }[] = [
  { name: 'gradloop', run: (w) => child(process.execPath, ['--import', 'tsx', path.join(here, 'gradloop-child.ts'), w.name, String(SECONDS)]) },
];
if (torchVersion) {
  for (const t of [1, 2])
    systems.push({ name: `pytorch-${t}t`, run: (w) => child(PYTHON, [path.join(peers, 'torch_bench.py'), w.name, String(t), String(SECONDS)], torchEnv) });
  // One torch thread with OpenBLAS threaded instead: where a step is a few large products (W7's
  // LSTM), OpenBLAS's own threads serve PyTorch better than torch's pool.
  const blasThreads = String(backendInfo().threads);
  systems.push({ name: 'pytorch-blas', run: (w) => child(PYTHON, [path.join(peers, 'torch_bench.py'), w.name, '1', String(SECONDS)], { ...torchEnv, OPENBLAS_NUM_THREADS: blasThreads }) });
}
if (tfjsThere)
  for (const b of ['cpu', 'wasm'])
    systems.push({ name: `tfjs-${b}`, run: (w) => child(process.execPath, [path.join(peers, 'tfjs_bench.mjs'), w.name, b, String(SECONDS)]) });

// ---- the ceiling: cblas_sgemm at each workload's own products, best of 1 and 2 threads ----
// The products a step really runs: forward y = x W and dW = x^T dy for every dense layer, and
// dx = dy W^T for every layer whose input needs a gradient (not the first, unless an embedding
// feeds it). `secondsPerSample` is what sgemm alone needs for them: the ideal step time.
interface Ceiling {
  gflops: number;
  secondsPerSample: number;
  shapes: { m: number; n: number; k: number; transA: boolean; transB: boolean; gflops: number }[];
}
function ceiling(w: Workload): Ceiling {
  const shapes: { m: number; n: number; k: number; transA: boolean; transB: boolean; gflops: number }[] = [];
  const B = w.batchSize;
  if (w.conv) {
    // The GPT: all of its training FLOPs at the rate sgemm reaches on its largest product (as
    // bench/run.ts models W6 and W8); its attention's small per-head products run slower.
    const [rows, n, k] = w.conv.largest;
    let best = 0;
    const configured = backendInfo().threads;
    for (const t of [1, configured]) {
      native.setThreads(t);
      best = Math.max(best, native.sgemmGflops(B * rows, n, k, 0.2));
    }
    native.setThreads(configured);
    shapes.push({ m: B * rows, n, k, transA: false, transB: false, gflops: +best.toFixed(1) });
    return { gflops: best, secondsPerSample: flopsPerSample(w) / (best * 1e9), shapes };
  }
  w.dense.forEach(([inputs, outputs], i) => {
    shapes.push({ m: B, n: outputs, k: inputs, transA: false, transB: false, gflops: 0 }); // y = x W
    shapes.push({ m: inputs, n: outputs, k: B, transA: true, transB: false, gflops: 0 }); // dW = x^T dy
    if (i > 0 || w.name === 'W4') shapes.push({ m: B, n: inputs, k: outputs, transA: false, transB: true, gflops: 0 }); // dx = dy W^T
  });
  const configured = backendInfo().threads;
  let flops = 0, seconds = 0;
  for (const s of shapes) {
    let best = 0;
    for (const t of [1, configured]) {
      native.setThreads(t);
      best = Math.max(best, native.sgemmGflops(s.m, s.n, s.k, 0.2, s.transA, s.transB));
    }
    s.gflops = +best.toFixed(1);
    const f = 2 * s.m * s.n * s.k;
    flops += f;
    seconds += f / (best * 1e9);
  }
  native.setThreads(configured);
  return { gflops: flops / seconds / 1e9, secondsPerSample: seconds / B, shapes };
}

// ---- run ----
const started = Date.now();
log(`systems: ${systems.map((s) => s.name).join(', ')}; ${ROUNDS} rounds x ${SECONDS}s`);
// The ceiling is measured again in every round (the machine's speed drifts) and the median kept.
const peaks: number[] = [];
const ceilingRounds: Record<string, Ceiling[]> = Object.fromEntries(WORKLOADS.map((w) => [w.name, []]));
const samples: Sample[] = [];
const errors: Record<string, string> = {};
for (let round = 1; round <= ROUNDS; round++) {
  peaks.push(native.sgemmGflops(1024, 1024, 1024, 0.5));
  for (const w of WORKLOADS) ceilingRounds[w.name].push(ceiling(w));
  for (const w of WORKLOADS) {
    for (const s of systems) {
      if (w.pytorchOnly && s.name.startsWith('tfjs')) continue; // tfjs_bench.mjs builds the dense workloads only
      const r = s.run(w);
      if ('error' in r) {
        errors[`${s.name}/${w.name}`] = r.error;
        log(`  round ${round} ${w.name} ${s.name}: ERROR ${r.error}`);
        continue;
      }
      samples.push({ ...r, system: s.name });
      log(`  round ${round} ${w.name} ${s.name}: ${Math.round(r.samplesPerSec)} samples/s, ${r.peakRssMb.toFixed(0)} MB`);
    }
  }
}

// ---- accuracy parity: the W1-shaped MLP on the bundled MNIST digits, 5 epochs, same hyperparameters ----
const cache = path.join(resultsDir, '.cache');
const accuracy: { gradloop: number[]; pytorch: number[] } = { gradloop: [], pytorch: [] };
for (let seed = 1; seed <= SEEDS; seed++) {
  const g = child(process.execPath, ['--import', 'tsx', path.join(here, 'accuracy-child.ts'), String(seed), ...(seed === 1 ? ['--export', cache] : [])]) as unknown as { accuracy: number };
  accuracy.gradloop.push(g.accuracy);
  if (torchVersion) {
    const t = child(PYTHON, [path.join(peers, 'torch_accuracy.py'), String(seed), cache], torchEnv) as unknown as { accuracy: number };
    accuracy.pytorch.push(t.accuracy);
  }
  log(`  accuracy seed ${seed}: gradloop ${accuracy.gradloop.at(-1)}, pytorch ${accuracy.pytorch.at(-1)}`);
}

// ---- summary ----
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const peak = median(peaks);
const ceilings = Object.fromEntries(WORKLOADS.map((w) => {
  const rounds = ceilingRounds[w.name];
  return [w.name, { gflops: median(rounds.map((c) => c.gflops)), secondsPerSample: median(rounds.map((c) => c.secondsPerSample)), shapes: rounds[0].shapes }];
}));
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const of = (system: string, w: string) => samples.filter((s) => s.system === system && s.workload === w);
const summary = WORKLOADS.map((w) => {
  const row: Record<string, unknown> = {
    workload: w.name, description: w.description, ceilingGflops: +ceilings[w.name].gflops.toFixed(1),
    ceilingSamplesPerSec: Math.round(1 / ceilings[w.name].secondsPerSample),
  };
  for (const s of systems) {
    const runs = of(s.name, w.name);
    if (!runs.length) continue;
    const sps = runs.map((r) => r.samplesPerSec);
    row[s.name] = {
      median: Math.round(median(sps)), min: Math.round(Math.min(...sps)), max: Math.round(Math.max(...sps)),
      gflops: +((median(sps) * flopsPerSample(w)) / 1e9).toFixed(1), peakRssMb: Math.round(Math.max(...runs.map((r) => r.peakRssMb))),
      // The share of the time sgemm alone would need for the step's products that the step takes.
      efficiency: +(100 * median(sps) * ceilings[w.name].secondsPerSample).toFixed(1),
    };
  }
  const best = ['pytorch-1t', 'pytorch-2t', 'pytorch-blas'].filter((k) => row[k]).sort((a, b) => (row[b] as { median: number }).median - (row[a] as { median: number }).median)[0];
  if (best) row.pytorch = { ...(row[best] as object), threads: best === 'pytorch-1t' ? '1 thread' : best === 'pytorch-2t' ? '2 threads' : `1 thread, OpenBLAS ${backendInfo().threads}` };
  return row;
});

const date = new Date().toISOString().slice(0, 10);
const result = {
  date: new Date().toISOString(), host: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
  versions: { gradloop: VERSION, node: process.version, blas: backendInfo().blas, pytorch: torchVersion, tfjs: tfjsThere ? '4.22.0' : null },
  settings: { rounds: ROUNDS, seconds: SECONDS, threads: backendInfo().threads, openblasEnvironment: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OPENBLAS_'))), blasKernels: backendInfo().blasCore, cpuFeatures: backendInfo().cpuFeatures, pytorch: `OPENBLAS_NUM_THREADS=1, OPENBLAS_CORETYPE=${torchEnv.OPENBLAS_CORETYPE}, set_flush_denormal(True), zero_grad(set_to_none=False), best of 1 and 2 torch threads, and of 1 torch thread with OPENBLAS_NUM_THREADS=${backendInfo().threads}`, tfjs: 'trainOnBatch on tf.gather-ed batches; wasm with 2 threads' },
  tfjsNode: { summary: tfjsNodeSummary, log: tfjsNodeAttempt },
  sgemmPeakGflops: +peak.toFixed(1),
  ceilings,
  summary,
  accuracy: { ...accuracy, gradloopMean: mean(accuracy.gradloop), pytorchMean: accuracy.pytorch.length ? mean(accuracy.pytorch) : null },
  samples,
  errors,
  seconds: Math.round((Date.now() - started) / 1000),
};
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `${date}-${hostname()}.json`);
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
writeFileSync(path.join(resultsDir, 'chart.svg'), renderChart(result));

// ---- the markdown table ----
type Cell = { median: number; min: number; max: number; gflops: number; peakRssMb: number; efficiency: number; threads?: string };
const fmt = (n: number) => n.toLocaleString('en-US');
const lines = [
  `| workload | system | samples/s (median, min-max) | gradloop / system | GFLOP/s | % of sgemm ceiling | peak RSS |`,
  `|---|---|---:|---:|---:|---:|---:|`,
];
for (const row of summary) {
  const g = row.gradloop as Cell | undefined;
  for (const name of ['gradloop', 'pytorch', 'tfjs-cpu', 'tfjs-wasm']) {
    const c = row[name] as Cell | undefined;
    if (!c) continue;
    const label = name === 'pytorch' ? `PyTorch ${torchVersion} (${c.threads})` : name === 'gradloop' ? `gradloop ${VERSION}` : `TF.js ${name.slice(5)}`;
    const ratio = g && name !== 'gradloop' ? `${(g.median / c.median).toFixed(2)}x` : '';
    lines.push(`| ${row.workload} | ${label} | ${fmt(c.median)} (${fmt(c.min)}-${fmt(c.max)}) | ${ratio} | ${c.gflops} | ${c.efficiency}% | ${c.peakRssMb} MB |`);
  }
}
console.log(`\n${result.cpu}, ${result.cores} cores; sgemm 1024^3: ${result.sgemmPeakGflops} GFLOP/s; sgemm at the workloads' own products: ${WORKLOADS.map((w) => `${w.name} ${ceilings[w.name].gflops.toFixed(0)}`).join(', ')} GFLOP/s`);
console.log(`GFLOP/s counts 6 x sum(in x out) per sample; % of sgemm ceiling = (time sgemm alone needs for the step's products) / (measured time)\n`);
console.log(lines.join('\n'));
console.log(`\nAccuracy (MNIST, W1-shaped MLP, 5 epochs, mean of ${SEEDS} seeds): gradloop ${(100 * result.accuracy.gradloopMean).toFixed(2)}%` +
  (result.accuracy.pytorchMean !== null ? `, PyTorch ${(100 * result.accuracy.pytorchMean).toFixed(2)}% (difference ${(100 * (result.accuracy.gradloopMean - result.accuracy.pytorchMean)).toFixed(2)} points)` : ''));
console.log(`tfjs-node: ${tfjsNodeSummary}`);
console.log(`\nwrote ${path.relative(process.cwd(), file)} and bench/results/chart.svg in ${result.seconds}s`);
