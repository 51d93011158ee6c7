// `npx tsx bench/denormals.ts [--seconds 3 --rounds 2 --only W2]`: each workload trained with
// flush-to-zero on (the default) and off (IEEE, as gradloop ran before), alternating in one
// process, on the benchmark's own inputs (uniform in [0, 1)) and on the same inputs centred
// (minus 0.5). Prints one JSON line per measurement and a summary of medians.
import os from 'node:os';
import { backendInfo, setFlushDenormals, tensor } from '../src/index.js';
import { measure } from './measure.js';
import { WORKLOADS, type Workload } from './workloads.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', '3'));
const rounds = Number(option('rounds', '2'));
const only = option('only', 'W1,W2,W3,W4').split(',');

const centred = (w: Workload): Workload => ({
  ...w,
  data: (n) => {
    const [x, y] = w.data(n);
    return x.dtype === 'float32' ? [tensor((x.data as Float32Array).map((v) => v - 0.5), x.shape), y] : [x, y];
  },
});

console.log(JSON.stringify({ kind: 'machine', cpu: os.cpus()[0]?.model, blas: backendInfo().blas, threads: backendInfo().threads }));
const results: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const w of WORKLOADS.filter((x) => only.includes(x.name))) {
    for (const [inputs, workload] of [['uniform', w], ['centred', centred(w)]] as const) {
      if (inputs === 'centred' && w.name === 'W4') continue; // token ids: nothing to centre
      for (const flush of [true, false]) {
        setFlushDenormals(flush);
        const { samplesPerSec } = await measure(workload, seconds);
        const key = `${w.name} ${inputs} ${flush ? 'flush' : 'ieee'}`;
        (results[key] ??= []).push(samplesPerSec);
        console.log(JSON.stringify({ kind: 'run', round, workload: w.name, inputs, flushDenormals: flush, samplesPerSec: Math.round(samplesPerSec) }));
      }
    }
  }
}
setFlushDenormals(true);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(JSON.stringify({ kind: 'summary', medians: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))])) }));
