// `npx tsx bench/residual.ts [--seconds 2 --rounds 3]`: what a residual connection costs. The
// residual MLP of examples/residual-model.ts (784-256, two blocks of 256-256-256 adding h + f(h),
// 10 classes; Adam, batch 128) against the same layers without the adds, alternating in one
// process; samples/s and step time per round, and the median ratio.
import { backendInfo, tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import { residualMlp } from '../examples/residual-model.js';
import { measure } from './measure.js';
import type { Workload } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = option('seconds', 2), rounds = option('rounds', 3);

const workload = (skip: boolean): Workload => ({
  name: skip ? 'residual' : 'plain',
  description: `residual MLP ${skip ? 'with' : 'without'} its skip connections`,
  batchSize: 128,
  dense: [[784, 256], [256, 256], [256, 256], [256, 256], [256, 256], [256, 10]],
  build: () => residualMlp({ skip }),
  data: (rows) => {
    const r = new Random(7);
    return [
      tensor(Float32Array.from({ length: rows * 784 }, () => r.uniform()), [rows, 784]),
      tensor(Int32Array.from({ length: rows }, () => r.int(10)), [rows], 'int32'),
    ];
  },
});

const info = backendInfo();
console.log(JSON.stringify({ kind: 'machine', cpu: info.cpu, blasKernels: info.blasCore, threads: info.threads }));
const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const result: Record<string, number> = {};
  for (const skip of round % 2 ? [false, true] : [true, false]) {
    const { samplesPerSec } = await measure(workload(skip), seconds);
    result[skip ? 'residual' : 'plain'] = samplesPerSec;
    console.log(JSON.stringify({ kind: 'run', round, model: skip ? 'residual' : 'plain', samplesPerSec: Math.round(samplesPerSec), stepMs: +((128 / samplesPerSec) * 1000).toFixed(3) }));
  }
  ratios.push(result.residual / result.plain);
}
ratios.sort((a, b) => a - b);
console.log(JSON.stringify({ kind: 'summary', residualOverPlain: +ratios[Math.floor(ratios.length / 2)].toFixed(3), ratios: ratios.map((r) => +r.toFixed(3)) }));
