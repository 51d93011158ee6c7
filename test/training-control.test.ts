// Learning-rate schedules, early stopping with restored weights, and reduce-on-plateau.
import { describe, expect, it } from 'vitest';
import { callbacks, layers, optimizers, schedules, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';

function noise(rows: number, seed: number): [Tensor, Tensor] {
  const r = new Random(seed);
  return [tensor(Float32Array.from({ length: rows * 20 }, () => r.normal()), [rows, 20]), tensor(Int32Array.from({ length: rows }, () => r.int(4)), [rows], 'int32')];
}
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('learning-rate schedules give their documented rate at each step', () => {
  it('stepDecay: initial * factor^floor(t / dropEvery)', () => {
    const s = schedules.stepDecay({ initialLearningRate: 0.1, dropEvery: 2, factor: 0.5 });
    expect(s.per).toBe('epoch');
    expect([0, 1, 2, 3, 4, 5].map((t) => s.rate(t))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
  });

  it('exponentialDecay: initial * rate^(t / steps), or floored with staircase', () => {
    const smooth = schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5 });
    expect(smooth.rate(0)).toBe(1);
    expect(smooth.rate(5)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(smooth.rate(20)).toBeCloseTo(0.25, 12);
    const stairs = schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expect([0, 9, 10, 19, 20].map((t) => stairs.rate(t))).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  it('cosineDecay: half a cosine from the peak to alpha * peak, after a linear warmup', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.1, warmupSteps: 10 });
    expect(s.rate(0)).toBe(0); // warmup from 0
    expect(s.rate(5)).toBeCloseTo(0.05, 12);
    expect(s.rate(10)).toBeCloseTo(0.1, 12); // the peak
    expect(s.rate(60)).toBeCloseTo(0.1 * (0.9 * 0.5 * (1 + Math.cos(Math.PI / 2)) + 0.1), 12); // halfway: 0.055
    expect(s.rate(110)).toBeCloseTo(0.01, 12); // alpha * peak
    expect(s.rate(500)).toBeCloseTo(0.01, 12); // stays there
    const keras = schedules.cosineDecay({ initialLearningRate: 0.0, decaySteps: 10, warmupSteps: 4, warmupTarget: 0.2 });
    expect([0, 2, 4].map((t) => keras.rate(t))).toEqual([0, 0.1, 0.2]);
  });

  it('linearWarmup: linear from start to the target over warmupSteps, then constant', () => {
    const s = schedules.linearWarmup({ initialLearningRate: 0.4, warmupSteps: 4, startLearningRate: 0.0 });
    expect([0, 1, 2, 3, 4, 100].map((t) => s.rate(t))).toEqual([0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.4]);
  });

  it('rejects bad parameters', () => {
    expect(() => schedules.stepDecay({ initialLearningRate: 0.1, dropEvery: 0 })).toThrow(/dropEvery must be an integer >= 1/);
    expect(() => schedules.cosineDecay({ initialLearningRate: -1, decaySteps: 5 })).toThrow(/initialLearningRate must be >= 0/);
    expect(() => schedules.exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.9, per: 'batch' as never })).toThrow(/per must be one of 'step', 'epoch'/);
  });
});

describe('schedules in fit', () => {
  const model = () => {
    const m = sequential([layers.dense({ inputShape: [20], units: 8, activation: 'relu' }), layers.dense({ units: 4 })], { seed: 1 });
    return m;
  };

  it('every step gets its own rate, the same whether or not steps run in groups, and the history records it', async () => {
    const [x, y] = noise(100, 1);
    const run = async (perBatch: boolean) => {
      const m = model();
      const schedule = schedules.exponentialDecay({ initialLearningRate: 0.05, decaySteps: 3, decayRate: 0.7 });
      m.compile({ optimizer: optimizers.sgd({ learningRate: schedule, momentum: 0.9 }), loss: 'softmaxCrossEntropy' });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 10, seed: 2, verbose: 0, callbacks: perBatch ? { onBatchEnd: () => {} } : [] });
      return { m, h, schedule };
    };
    const grouped = await run(false), single = await run(true);
    expect(grouped.m.getWeights().every((w, i) => bits(w.data).equals(bits(single.m.getWeights()[i].data)))).toBe(true);
    expect(grouped.m.optimizer!.iterations).toBe(30);
    // The rate of each epoch's last step: steps 9, 19, 29.
    expect(grouped.h.history.learningRate).toEqual([9, 19, 29].map((t) => grouped.schedule.rate(t)));
    // A constant rate gives different weights, so the schedule really reached the native steps.
    const constant = model();
    constant.compile({ optimizer: optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'softmaxCrossEntropy' });
    await constant.fit(x, y, { epochs: 3, batchSize: 10, seed: 2, verbose: 0 });
    expect(bits(constant.getWeights()[0].data).equals(bits(grouped.m.getWeights()[0].data))).toBe(false);
  });

  it('per-epoch schedules change the rate between epochs', async () => {
    const [x, y] = noise(40, 1);
    const m = model();
    m.compile({ optimizer: optimizers.adam({ learningRate: schedules.stepDecay({ initialLearningRate: 0.01, dropEvery: 2, factor: 0.1 }) }), loss: 'softmaxCrossEntropy' });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    expect(h.history.learningRate.map((r) => +r.toPrecision(6))).toEqual([0.01, 0.01, 0.001, 0.001, 0.0001]);
  });
});

describe('earlyStopping', () => {
  it('stops patience epochs after the best validation loss and restores that epoch\'s weights (a set built to overfit)', async () => {
    // Random labels: the model memorises the 64 training rows, and the validation loss rises.
    const [x, y] = noise(64, 3);
    const [xv, yv] = noise(400, 4);
    const m = sequential([layers.dense({ inputShape: [20], units: 128, activation: 'relu' }), layers.dense({ units: 4 })], { seed: 5 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
    const stopper = callbacks.earlyStopping({ monitor: 'valLoss', patience: 3, restoreBestWeights: true });
    const h = await m.fit(x, y, { epochs: 100, batchSize: 16, validationData: [xv, yv], seed: 6, verbose: 0, callbacks: [stopper] });
    const val = h.history.valLoss;
    const best = val.indexOf(Math.min(...val));
    expect(h.epoch.length).toBeLessThan(100); // it stopped early
    expect(stopper.bestEpoch).toBe(best);
    expect(stopper.stoppedEpoch).toBe(best + 3);
    expect(h.epoch.at(-1)).toBe(best + 3);
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[best]); // training loss kept falling: overfitting
    const { loss } = await m.evaluate(xv, yv);
    expect(loss).toBeCloseTo(val[best], 6); // the best epoch's weights are back
    expect(Math.abs(loss - val.at(-1)!)).toBeGreaterThan(1e-3);
  });

  it('names a missing monitor', async () => {
    const [x, y] = noise(16, 1);
    const m = sequential([layers.dense({ inputShape: [20], units: 4 })]);
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    await expect(m.fit(x, y, { epochs: 2, verbose: 0, callbacks: [callbacks.earlyStopping()] })).rejects.toThrow(/earlyStopping: monitor 'valLoss' is not in the epoch logs \(loss, learningRate, gradNorm, gradNormMax\); pass validationData or validationSplit/);
  });
});

describe('reduceLROnPlateau', () => {
  it('multiplies the rate by factor after patience epochs without improvement, then waits out the cooldown', async () => {
    const [x, y] = noise(32, 1);
    const m = sequential([layers.dense({ inputShape: [20], units: 4 })], { seed: 1 });
    // A rate far too small to move any float32 weight: the loss never changes, every epoch is a plateau.
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1e-30 }), loss: 'softmaxCrossEntropy' });
    const plateau = callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1, minDelta: 0 });
    const h = await m.fit(x, y, { epochs: 8, batchSize: 32, verbose: 0, callbacks: [plateau] });
    // As Keras: epoch 0 sets the best; 1, 2 do not improve -> cut at the end of 2. Epoch 3 spends the
    // cooldown (counter 1 -> 0) and, the cooldown over, counts as the first plateau epoch; 4 -> cut.
    // Epoch 5: cooldown, counts 1; 6 -> cut. The history holds the rate each epoch trained with.
    expect(h.history.learningRate).toEqual([1e-30, 1e-30, 1e-30, 5e-31, 5e-31, 2.5e-31, 2.5e-31, 1.25e-31]);
  });

  it('refuses an optimizer that follows a schedule', async () => {
    const [x, y] = noise(16, 1);
    const m = sequential([layers.dense({ inputShape: [20], units: 4 })]);
    m.compile({ optimizer: optimizers.adam({ learningRate: schedules.linearWarmup({ initialLearningRate: 0.01, warmupSteps: 5 }) }), loss: 'softmaxCrossEntropy' });
    await expect(m.fit(x, y, { verbose: 0, callbacks: [callbacks.reduceLROnPlateau({ monitor: 'loss' })] })).rejects.toThrow(/follows a learning-rate schedule/);
  });
});

describe('gradient health', () => {
  // One sgd step with learningRate 1 and no momentum moves the weights by exactly the (clipped) gradient.
  async function oneStep(compileExtra: { clipNorm?: number; clipValue?: number }) {
    const [x, y] = noise(16, 7);
    const m = sequential([layers.dense({ inputShape: [20], units: 8, activation: 'tanh' }), layers.dense({ units: 4 })], { seed: 2 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1 }), loss: 'softmaxCrossEntropy', ...compileExtra });
    const before = m.getWeights();
    const h = await m.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const after = m.getWeights();
    const deltas = before.flatMap((w, i) => Array.from(w.data, (v, k) => v - after[i].data[k]));
    return { h, norm: Math.hypot(...deltas), maxAbs: Math.max(...deltas.map(Math.abs)) };
  }

  it('records the global gradient norm, and clipNorm bounds it exactly', async () => {
    const free = await oneStep({});
    expect(free.h.history.gradNorm[0]).toBeCloseTo(free.norm, 4); // the recorded norm is the real one
    expect(free.h.history.gradNormMax[0]).toBe(free.h.history.gradNorm[0]); // one step
    const clip = free.norm / 4;
    const clipped = await oneStep({ clipNorm: clip });
    expect(clipped.h.history.gradNorm[0]).toBeCloseTo(free.norm, 4); // reported before clipping
    expect(clipped.norm / clip).toBeCloseTo(1, 5); // the update's norm is exactly clipNorm
    const loose = await oneStep({ clipNorm: free.norm * 2 }); // above the norm: no change
    expect(loose.norm).toBeCloseTo(free.norm, 6);
  });

  it('clipValue bounds every gradient element', async () => {
    const free = await oneStep({});
    const limit = free.maxAbs / 3;
    const clipped = await oneStep({ clipValue: limit });
    expect(clipped.maxAbs).toBeLessThanOrEqual(limit * (1 + 1e-6));
    expect(clipped.maxAbs).toBeGreaterThan(limit * 0.999);
  });

  it('a diverging run stops with an Error naming epoch, step and layer; the bad step is not applied', async () => {
    const [x, y] = noise(64, 8);
    const m = sequential([layers.dense({ inputShape: [20], units: 32, activation: 'relu' }), layers.dense({ units: 32, activation: 'relu' }), layers.dense({ units: 4 })], { seed: 3 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1e6 }), loss: 'softmaxCrossEntropy' });
    let applied = 0;
    let lastGood: Float32Array[] = [];
    const record = { onBatchEnd: () => void (applied++, (lastGood = m.getWeights().map((w) => w.data.slice()))) };
    const error = await m.fit(x, y, { epochs: 20, batchSize: 8, seed: 1, verbose: 0, callbacks: record }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^fit: (the loss|the gradient of '(dense_\d)\/(kernel|bias)' \(the first layer affected: 'dense_\d'\)) became NaN or Infinity at epoch \d+, step \d+; training stopped and that step was not applied/);
    expect(applied).toBeGreaterThan(0); // some steps ran before it diverged
    // The weights are, bit for bit, those after the last step that was applied.
    m.getWeights().forEach((w, i) => expect(w.data).toEqual(lastGood[i]));
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', clipNorm: 0 })).toThrow(/clipNorm must be > 0/);

    // The same stop when steps run in groups (no batch callbacks): the same weights, bit for bit.
    const grouped = sequential([layers.dense({ inputShape: [20], units: 32, activation: 'relu' }), layers.dense({ units: 32, activation: 'relu' }), layers.dense({ units: 4 })], { seed: 3 });
    grouped.compile({ optimizer: optimizers.sgd({ learningRate: 1e6 }), loss: 'softmaxCrossEntropy' });
    await expect(grouped.fit(x, y, { epochs: 20, batchSize: 8, seed: 1, verbose: 0 })).rejects.toThrow(/became NaN or Infinity at epoch \d+, step \d+/);
    grouped.getWeights().forEach((w, i) => expect(w.data).toEqual(lastGood[i]));
  });
});
