// `npm run bench`: trains each workload for a fixed wall time through the public
// fit() API and prints JSON lines: samples/s, achieved GFLOP/s, and the share of
// the cblas_sgemm ceiling measured in the same process.
//   npm run bench [-- --seconds 5 --only W1,W3]
import { backendInfo } from '../src/index.js';
import { native } from '../src/native.js';
import { flopsPerSample, type Workload, WORKLOADS } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', '4'));
const only = option('only', '').split(',').filter(Boolean);

/** Samples per second of fit() on the workload, timed after a warm-up. */
async function measure(w: Workload, timedSeconds: number): Promise<{ samplesPerSec: number; steps: number }> {
  const model = w.build();
  const [x, y] = w.data(w.batchSize * 64);
  let steps = 0, start = 0, stopAt = 0;
  const timing = {
    onBatchEnd: () => {
      steps++;
      if (performance.now() >= stopAt) model.stopTraining = true;
    },
  };
  // Warm-up: allocations, page faults, BLAS thread start-up.
  stopAt = performance.now() + 500;
  await model.fit(x, y, { epochs: 1000, batchSize: w.batchSize, verbose: 0, seed: 1, callbacks: timing });
  steps = 0;
  start = performance.now();
  stopAt = start + timedSeconds * 1000;
  await model.fit(x, y, { epochs: 1000, batchSize: w.batchSize, verbose: 0, seed: 1, callbacks: timing });
  const elapsed = (performance.now() - start) / 1000;
  return { samplesPerSec: (steps * w.batchSize) / elapsed, steps };
}

const info = backendInfo();
const ceiling = native.sgemmGflops(1024, 1024, 1024, 1.0);
console.log(JSON.stringify({ kind: 'ceiling', sgemm: '1024x1024x1024', gflops: +ceiling.toFixed(1), threads: info.threads, blas: info.blas }));
for (const w of WORKLOADS.filter((w) => only.length === 0 || only.includes(w.name))) {
  const { samplesPerSec, steps } = await measure(w, seconds);
  const gflops = (samplesPerSec * flopsPerSample(w)) / 1e9;
  // The sgemm ceiling at this workload's own largest forward product, for reference.
  const [inputs, outputs] = w.dense.reduce((a, b) => (a[0] * a[1] >= b[0] * b[1] ? a : b));
  const shapeCeiling = native.sgemmGflops(w.batchSize, outputs, inputs, 0.5);
  console.log(JSON.stringify({
    kind: 'workload', workload: w.name, description: w.description, batchSize: w.batchSize, steps,
    samplesPerSec: Math.round(samplesPerSec), gflops: +gflops.toFixed(1),
    percentOfCeiling: +((100 * gflops) / ceiling).toFixed(1),
    sgemmAtShape: { m: w.batchSize, n: outputs, k: inputs, gflops: +shapeCeiling.toFixed(1) },
  }));
}
