// Data-parallel scaling on this machine (issue 21): W1 and W3 trained by one process with 2 BLAS
// threads, by 2 ranks with 1 thread each (gradloop launch, the same global batch), and by one
// process with 1 thread on half the batch: what one rank computes, so the 2-rank step's extra time
// over it is what the all-reduce (and waiting for the slower rank) adds. Alternating rounds.
//   npx tsx bench/distributed.ts [rounds=3] [workloads=W1,W3]
// A rank of the job runs this file too (BENCH_RANK_WORKLOAD set): it trains and rank 0 prints.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { distributed, type Model } from '../src/index.js';
import { WORKLOADS } from './workloads.js';

const EPOCHS = 4, STEPS = 32;

async function trainOnce(name: string, batchSize: number): Promise<number> {
  const w = WORKLOADS.find((x) => x.name === name)!;
  const model: Model = w.build();
  const [x, y] = w.data(batchSize * STEPS);
  await model.fit(x, y, { epochs: 1, batchSize, verbose: 0, seed: 1, distributed: 'auto' }); // warm-up
  const start = performance.now();
  await model.fit(x, y, { epochs: EPOCHS, batchSize, verbose: 0, seed: 1, distributed: 'auto' });
  const seconds = (performance.now() - start) / 1000;
  const { seconds: reducing, steps } = model._training('bench').built.program.collectiveTime();
  allReduceMs = steps ? (1000 * reducing) / steps : 0;
  return (EPOCHS * STEPS) / seconds; // steps per second
}
let allReduceMs = 0;

if (process.env.BENCH_RANK_WORKLOAD) {
  const stepsPerSecond = await trainOnce(process.env.BENCH_RANK_WORKLOAD, Number(process.env.BENCH_BATCH));
  if (distributed.isMain) console.log(JSON.stringify({ stepsPerSecond, allReduceMs }));
} else {
  const rounds = Number(process.argv[2] ?? 3);
  const names = (process.argv[3] ?? 'W1,W3').split(',');
  const root = path.resolve(import.meta.dirname, '..');
  const self = path.join(root, 'bench/distributed.ts');
  const run = (args: string[], env: Record<string, string>) => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
    const r = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as { stepsPerSecond: number; allReduceMs: number };
    inside = r.allReduceMs;
    return r.stepsPerSecond;
  };
  let inside = 0;
  for (const name of names) {
    const w = WORKLOADS.find((x) => x.name === name)!;
    const params = w.dense.reduce((n, [i, o]) => n + i * o + o, 0);
    console.log(`${name} (${w.description}): ${params.toLocaleString('en-US')} parameters, ${(params * 4 / 2 ** 20).toFixed(1)} MiB of float32 gradients all-reduced per step`);
    for (let r = 0; r < rounds; r++) {
      const B = w.batchSize;
      const one = run([self], { BENCH_RANK_WORKLOAD: name, BENCH_BATCH: String(B), OPENBLAS_NUM_THREADS: '2' });
      const two = run(['src/cli/main.ts', 'launch', '--nproc', '2', '--threads', '1', self], { BENCH_RANK_WORKLOAD: name, BENCH_BATCH: String(B) });
      const reduceMs = inside;
      const half = run([self], { BENCH_RANK_WORKLOAD: name, BENCH_BATCH: String(B / 2), OPENBLAS_NUM_THREADS: '1' });
      const ms = (s: number) => (1000 / s).toFixed(2);
      console.log(`  round ${r + 1}: 1 process x 2 threads ${Math.round(one * B)} samples/s (${ms(one)} ms/step); 2 ranks x 1 thread ${Math.round(two * B)} samples/s (${ms(two)} ms/step, ${(two / one).toFixed(2)}x); ` +
        `one rank's share alone ${ms(half)} ms/step, so the job adds ${(1000 / two - 1000 / half).toFixed(2)} ms/step, ${reduceMs.toFixed(2)} of it in the all-reduce (rank 0)`);
    }
  }
}
