// `npm run bench`: trains each workload for a fixed wall time through the public fit() API and
// prints JSON lines: samples/s, achieved GFLOP/s, and the share of the sgemm ceiling measured in
// the same process.
//   npm run bench [-- --seconds 5 --only W1,W3]
//   npm run bench -- --device cuda     W1-W5 on the GPU, each also run in PyTorch (eager, same
//                                      shapes, data on the GPU) in the same run, with the ratio
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { backendInfo, devices } from '../src/index.js';
import { cudaUnavailableReason } from '../src/backend/device.js';
import { loadCudaAddon, native } from '../src/backend/native.js';
import { measure } from './measure.js';
import { flopsPerSample, WORKLOADS } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', '4'));
const only = option('only', '').split(',').filter(Boolean);
const device = option('device', 'cpu');
const gpu = device.startsWith('cuda');

// The matrix-product ceiling: cblas_sgemm on the CPU, cublasSgemm on the GPU.
let sgemm: (m: number, n: number, k: number, seconds: number) => number;
if (gpu) {
  const { addon } = loadCudaAddon();
  const index = Number(device.split(':')[1] ?? 0);
  const problem = cudaUnavailableReason();
  if (!addon || problem) {
    console.error(`bench: --device ${device}: no usable GPU here: ${problem}`);
    process.exit(1);
  }
  sgemm = (m, n, k, s) => addon.sgemmGflops(index, m, n, k, s);
  const d = devices().find((e) => e.type === 'cuda' && e.index === index);
  console.log(JSON.stringify({ kind: 'device', device, name: d?.name, cublas: addon.cublasPath() }));
} else {
  sgemm = (m, n, k, s) => native.sgemmGflops(m, n, k, s);
}

const info = backendInfo();
const ceiling = sgemm(gpu ? 8192 : 1024, gpu ? 8192 : 1024, gpu ? 8192 : 1024, 1.0);
console.log(JSON.stringify({ kind: 'ceiling', sgemm: gpu ? '8192^3 (cuBLAS)' : '1024^3', gflops: +ceiling.toFixed(1), threads: info.threads, blas: gpu ? 'cuBLAS' : info.blas }));
if (!gpu) {
  console.log(JSON.stringify({ kind: 'cpu', cpu: info.cpu, features: info.cpuFeatures, blasKernels: info.blasCore, chosenBy: info.blasCoreChosenBy, flushDenormals: info.flushDenormals }));
  if (info.blasWarning) console.error(`bench: warning: ${info.blasWarning}`);
}

const selected = WORKLOADS.filter((w) => (only.length ? only.includes(w.name) : gpu || !w.gpuOnly));
for (const w of selected) {
  const { samplesPerSec, steps } = await measure(w, seconds, device as 'cpu');
  const gflops = (samplesPerSec * flopsPerSample(w)) / 1e9;
  // The sgemm rate at this workload's own largest forward product, for reference.
  // (a convolution's: its largest im2col product over the batch)
  const largestDense = () => w.dense.reduce((a, b) => (a[0] * a[1] >= b[0] * b[1] ? a : b));
  const [m, outputs, inputs] = w.conv ? [w.conv.largest[0] * w.batchSize, w.conv.largest[1], w.conv.largest[2]] : [w.batchSize, largestDense()[1], largestDense()[0]];
  const shapeCeiling = sgemm(m, outputs, inputs, 0.5);
  const line: Record<string, unknown> = {
    kind: 'workload', workload: w.name, device, description: w.description, batchSize: w.batchSize, steps,
    samplesPerSec: Math.round(samplesPerSec), ...(w.tokensPerSample ? { tokensPerSec: Math.round(samplesPerSec * w.tokensPerSample) } : {}), gflops: +gflops.toFixed(1), tflops: +(gflops / 1000).toFixed(2),
    percentOfCeiling: +((100 * gflops) / ceiling).toFixed(1),
    sgemmAtShape: { m, n: outputs, k: inputs, gflops: +shapeCeiling.toFixed(1) },
    percentOfShapeSgemm: +((100 * gflops) / shapeCeiling).toFixed(1),
  };
  if (gpu) {
    // PyTorch eager on the same GPU, same shapes and optimizer, in the same run.
    const torch = spawnSync('python3', [path.join(import.meta.dirname, 'peers/torch_bench.py'), w.name, '0', String(seconds), 'cuda'], { encoding: 'utf8' });
    const last = torch.stdout.trim().split('\n').pop();
    if (torch.status === 0 && last) {
      const t = JSON.parse(last) as { samplesPerSec: number; version: string };
      line.pytorch = { samplesPerSec: Math.round(t.samplesPerSec), version: t.version };
      line.ratioVsPytorch = +(samplesPerSec / t.samplesPerSec).toFixed(2);
    } else line.pytorch = { error: (torch.stderr || torch.error?.message || 'no output').trim().split('\n').pop() };
  }
  console.log(JSON.stringify(line));
}
