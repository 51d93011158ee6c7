// Times gradloop on one workload through the public fit() API, after a warm-up. It counts
// whole epochs (onEpochEnd), because a per-batch callback would switch fit() to one native
// call per step, and the users this measures do not watch single batches either.
import type { DeviceRequest } from '../src/index.js';
import type { Workload } from './workloads.js';

export const STEPS_PER_EPOCH = 64;

export async function measure(w: Workload, timedSeconds: number, device: DeviceRequest = 'cpu'): Promise<{ samplesPerSec: number; steps: number }> {
  const model = w.build(device);
  const perEpoch = w.stepsPerEpoch ?? STEPS_PER_EPOCH;
  const [x, y] = w.data(w.batchSize * perEpoch);
  let epochs = 0, stopAt = 0;
  const timing = {
    onEpochEnd: () => {
      epochs++;
      if (performance.now() >= stopAt) model.stopTraining = true;
    },
  };
  // Warm-up: allocations, page faults, BLAS thread start-up, the step-run size.
  stopAt = performance.now() + 500;
  await model.fit(x, y, { epochs: 1_000_000, batchSize: w.batchSize, verbose: 0, seed: 1, callbacks: timing });
  epochs = 0;
  const start = performance.now();
  stopAt = start + timedSeconds * 1000;
  await model.fit(x, y, { epochs: 1_000_000, batchSize: w.batchSize, verbose: 0, seed: 1, callbacks: timing });
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  return { samplesPerSec: (epochs * w.batchSize * perEpoch) / seconds, steps: epochs * perEpoch };
}
