// Times gradloop on one workload through the public fit() API, after a warm-up.
import type { Workload } from './workloads.js';

export async function measure(w: Workload, timedSeconds: number): Promise<{ samplesPerSec: number; steps: number }> {
  const model = w.build();
  const [x, y] = w.data(w.batchSize * 64);
  let steps = 0, stopAt = 0;
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
  const start = performance.now();
  stopAt = start + timedSeconds * 1000;
  await model.fit(x, y, { epochs: 1000, batchSize: w.batchSize, verbose: 0, seed: 1, callbacks: timing });
  return { samplesPerSec: (steps * w.batchSize) / ((performance.now() - start) / 1000), steps };
}
