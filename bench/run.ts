// `npm run bench`: trains each workload for a fixed wall time through the public
// fit() API and prints JSON lines: samples/s, achieved GFLOP/s, and the share of
// the cblas_sgemm ceiling measured in the same process.
//   npm run bench [-- --seconds 5 --only W1,W3]
import { backendInfo } from '../src/index.js';
import { native } from '../src/native.js';
import { measure } from './measure.js';
import { flopsPerSample, WORKLOADS } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', '4'));
const only = option('only', '').split(',').filter(Boolean);

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
