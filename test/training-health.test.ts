// L2 regularization, per-layer gradient/weight norms and their warnings, gradient accumulation,
// history.diagnose() and findLearningRate.
import { describe, expect, it } from 'vitest';
import { findLearningRate, History, layers, optimizers, regularizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import { GradientHealth } from '../src/train/gradient-health.js';

function blobs(rows: number, seed: number, features = 8): [Tensor, Tensor] {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * features }, () => r.normal());
  const y = Int32Array.from({ length: rows }, (_, i) => (x[i * features] + 0.5 * x[i * features + 1] > 0 ? 1 : 0));
  return [tensor(x, [rows, features]), tensor(y, [rows], 'int32')];
}
const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

describe('kernelRegularizer (L2)', () => {
  it('adds l2 * sum(w^2) to the reported loss, as Keras', async () => {
    const [x, y] = blobs(64, 1);
    const make = (l2?: number) => {
      const m = sequential([layers.dense({ inputShape: [8], units: 2, kernelRegularizer: l2 === undefined ? undefined : regularizers.l2(l2) })], { seed: 4 });
      m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
      return m;
    };
    const plain = await make().evaluate(x, y, { batchSize: 64 });
    const reg = make(0.05);
    const kernel = reg.getWeights()[0].data;
    const penalized = await reg.evaluate(x, y, { batchSize: 64 });
    expect(penalized.loss).toBeCloseTo(plain.loss + 0.05 * kernel.reduce((s, v) => s + v * v, 0), 5);
  });

  it('shrinks the weights it applies to', async () => {
    const [x, y] = blobs(256, 2);
    const train = async (options: { kernelRegularizer?: 'l2' | ReturnType<typeof regularizers.l2> }) => {
      const m = sequential([layers.dense({ inputShape: [8], units: 16, activation: 'relu', ...options }), layers.dense({ units: 2 })], { seed: 1 });
      m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'softmaxCrossEntropy' });
      await m.fit(x, y, { epochs: 20, batchSize: 32, seed: 3, verbose: 0 });
      return m.getWeights();
    };
    const [free, strong] = [await train({}), await train({ kernelRegularizer: regularizers.l2(0.05) })];
    expect(norm(strong[0].data)).toBeLessThan(0.6 * norm(free[0].data));
  });

  it('rejects a bad factor, naming the option', () => {
    expect(() => layers.dense({ units: 2, kernelRegularizer: regularizers.l2(-1) })).toThrow(/regularizers\.l2: factor/);
    expect(() => layers.dense({ units: 2, kernelRegularizer: 'l1' as 'l2' })).toThrow(/dense: kernelRegularizer must be regularizers\.l2\(factor\), 'l2' or \{ l2: factor \}/);
  });
});

describe('per-layer gradient and weight norms', () => {
  it('are recorded per epoch, agree with the global norm, and give the weight norm after the step', async () => {
    const [x, y] = blobs(48, 3);
    const m = sequential([layers.dense({ inputShape: [8], units: 6, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 2 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
    // One step per epoch: the epoch's mean and max are that step's values.
    const history = await m.fit(x, y, { epochs: 3, batchSize: 48, seed: 1, verbose: 0 });
    expect(Object.keys(history.layers)).toEqual(['dense_1', 'dense_2']);
    for (let e = 0; e < 3; e++) {
      const layerNorms = ['dense_1', 'dense_2'].map((l) => history.layers[l].gradNorm[e]);
      expect(Math.hypot(...layerNorms)).toBeCloseTo(history.history.gradNorm[e], 6);
      expect(history.layers.dense_1.gradNormMax[e]).toBe(history.layers.dense_1.gradNorm[e]);
    }
    const w = m.getWeights();
    expect(history.layers.dense_2.weightNorm[2]).toBeCloseTo(Math.hypot(norm(w[2].data), norm(w[3].data)), 5);
    expect(history.layers.dense_1.weightNormMax[2]).toBeCloseTo(Math.hypot(norm(w[0].data), norm(w[1].data)), 5);
  });

  it('warn when a layer gradient vanished for a whole epoch', async () => {
    const [x, y] = blobs(64, 4);
    // A relu layer with zero weights outputs 0 everywhere, and relu'(0) = 0: nothing below it learns.
    const m = sequential([
      layers.dense({ inputShape: [8], units: 8, activation: 'relu' }),
      layers.dense({ units: 8, activation: 'relu', kernelInitializer: 'zeros' }),
      layers.dense({ units: 2 }),
    ], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const lines: string[] = [];
    const history = await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 1, printFn: (l) => lines.push(l) });
    const vanishing = history.warnings.filter((w) => w.kind === 'vanishing');
    expect(vanishing.map((w) => [w.layer, w.epoch])).toEqual([['dense_1', 0], ['dense_2', 0], ['dense_1', 1], ['dense_2', 1]]);
    expect(vanishing[0].values.gradNormMax).toBe(0);
    expect(lines.filter((l) => l.startsWith("Warning: vanishing gradients: layer 'dense_1'")).length).toBe(2);
    expect(history.diagnose().find((f) => f.kind === 'vanishingGradients')?.message).toMatch(/'dense_1', 'dense_2'/);
  });

  it('warn when the global norm jumps 100x between steps, naming epoch and step', async () => {
    const [x, y] = blobs(32, 5);
    x.data.fill(0.01, 20 * 8, 21 * 8); // sample 20 is tiny...
    x.data.fill(300, 21 * 8, 22 * 8); // ...and sample 21 huge: its step's gradient is orders larger
    const m = sequential([layers.dense({ inputShape: [8], units: 4 }), layers.dense({ units: 2 })], { seed: 3 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: 1e-4 }), loss: 'softmaxCrossEntropy' });
    const history = await m.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    const exploding = history.warnings.filter((w) => w.kind === 'exploding');
    expect(exploding.length).toBe(1);
    expect(exploding[0]).toMatchObject({ epoch: 0, step: 21 });
    expect(exploding[0].values.ratio).toBeGreaterThanOrEqual(100);
    expect(history.diagnose().map((f) => f.kind)).toContain('explodingGradients');
  });
});

describe('the exploding-gradient warning reads the recent level, not the last step alone', () => {
  const run = (norms: number[]) => {
    const health = new GradientHealth(['dense/kernel']);
    norms.forEach((n, k) => health.step(0, k, n, [n * n], [1]));
    return health.pending.filter((w) => w.kind === 'exploding');
  };
  it('one nearly perfect batch (a tiny gradient) followed by ordinary ones is no explosion', () => {
    expect(run([1, 1.2, 0.9, 1.1, 0.005, 1.2, 1])).toEqual([]); // 0.005 -> 1.2 was a false 240x alarm
  });
  it('a jump to 100x the recent level is one', () => {
    const [w] = run([1, 1.2, 0.9, 1.1, 150]);
    expect(w).toMatchObject({ epoch: 0, step: 4 });
    expect(w.values.ratio).toBeGreaterThan(100);
    expect(w.message).toMatch(/jumped to 150, 1\d\dx its recent level/);
  });
});

describe('gradient accumulation', () => {
  it('accumulateSteps: k gives the update of a k-times larger batch (uneven last group included)', async () => {
    const [x, y] = blobs(100, 6); // 100 = 3 groups of 32 and one of 4
    const run = async (batchSize: number, accumulateSteps?: number) => {
      const m = sequential([layers.dense({ inputShape: [8], units: 12, activation: 'gelu' }), layers.dense({ units: 2 })], { seed: 7 });
      m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
      const history = await m.fit(x, y, { epochs: 3, batchSize, accumulateSteps, seed: 5, verbose: 0 });
      return { history, weights: m.getWeights(), iterations: m.optimizer!.iterations };
    };
    const big = await run(32);
    const accumulated = await run(8, 4);
    expect(accumulated.iterations).toBe(big.iterations);
    expect(accumulated.history.params.steps).toBe(4);
    accumulated.weights.forEach((w, i) => {
      for (let k = 0; k < w.data.length; k++) expect(w.data[k]).toBeCloseTo(big.weights[i].data[k], 5);
    });
    accumulated.history.history.loss.forEach((l, e) => expect(l).toBeCloseTo(big.history.history.loss[e], 5));
    expect(accumulated.history.history.accuracy).toEqual(big.history.history.accuracy);
  });

  it('rejects a bad value, naming the option', async () => {
    const [x, y] = blobs(8, 1);
    const m = sequential([layers.dense({ inputShape: [8], units: 2 })]);
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    await expect(m.fit(x, y, { accumulateSteps: 0 })).rejects.toThrow(/fit: accumulateSteps/);
  });
});

function history(series: Record<string, number[]>): History {
  const h = new History();
  const n = series.loss.length;
  for (let e = 0; e < n; e++) h.record(e, Object.fromEntries(Object.entries(series).map(([k, v]) => [k, v[e]])));
  return h;
}

describe('history.diagnose()', () => {
  it('finds overfitting in a real run built to overfit, with the best epoch and the gap', async () => {
    const r = new Random(8);
    // 40 samples with random labels and a wide model: it memorises the training set.
    const x = tensor(Float32Array.from({ length: 40 * 20 }, () => r.normal()), [40, 20]);
    const y = tensor(Int32Array.from({ length: 40 }, () => r.int(2)), [40], 'int32');
    const vx = tensor(Float32Array.from({ length: 40 * 20 }, () => r.normal()), [40, 20]);
    const vy = tensor(Int32Array.from({ length: 40 }, () => r.int(2)), [40], 'int32');
    const m = sequential([layers.dense({ inputShape: [20], units: 128, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 2 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
    const h = await m.fit(x, y, { epochs: 40, batchSize: 8, seed: 1, validationData: [vx, vy], verbose: 0 });
    const finding = h.diagnose().find((f) => f.kind === 'overfitting')!;
    expect(finding).toBeDefined();
    const val = h.history.valLoss;
    expect(finding.values.bestEpoch).toBe(val.indexOf(Math.min(...val)) + 1);
    expect(finding.values.gap).toBeCloseTo(val[39] - h.history.loss[39], 12);
    expect(finding.message).toMatch(/validation loss was lowest at epoch \d+/);
  });

  it('learning rate too high: a diverging loss', () => {
    const f = history({ loss: [1.0, 0.7, 0.9, 2.5, 8], learningRate: [1, 1, 1, 1, 1] }).diagnose();
    expect(f.map((d) => d.kind)).toEqual(['learningRateTooHigh']);
    expect(f[0].values).toMatchObject({ lowestLoss: 0.7, lowestLossEpoch: 2, finalLoss: 8, learningRate: 1 });
    expect(history({ loss: [1, NaN] }).diagnose()[0].kind).toBe('learningRateTooHigh');
  });

  it('learning rate too low: the loss barely moved', () => {
    const f = history({ loss: [0.693, 0.692, 0.691, 0.690], learningRate: [1e-6, 1e-6, 1e-6, 1e-6] }).diagnose();
    expect(f.map((d) => d.kind)).toEqual(['learningRateTooLow']);
    expect(f[0].values.relativeDrop).toBeCloseTo(0.003 / 0.693, 10);
  });

  it('underfitting: flat at a low accuracy', () => {
    const f = history({ loss: [1.2, 0.9, 0.86, 0.855, 0.853, 0.852], accuracy: [0.4, 0.55, 0.6, 0.61, 0.61, 0.61] }).diagnose();
    expect(f.map((d) => d.kind)).toEqual(['underfitting']);
    expect(f[0].values).toMatchObject({ finalLoss: 0.852, finalAccuracy: 0.61 });
  });

  it('a healthy run has no findings', () => {
    expect(history({ loss: [1, 0.5, 0.3, 0.2], accuracy: [0.6, 0.8, 0.9, 0.95], valLoss: [1, 0.55, 0.35, 0.3] }).diagnose()).toEqual([]);
  });
});

describe('findLearningRate', () => {
  it('sweeps rates on a log scale, stops when the loss blows up, suggests a rate that trains, and restores the model', async () => {
    const [x, y] = blobs(512, 9);
    const make = () => {
      const m = sequential([layers.dense({ inputShape: [8], units: 32, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 6 });
      m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
      return m;
    };
    const m = make();
    const before = m.getWeights();
    const counters = m._program.getCounters();
    const found = await findLearningRate(m, x, y, { minRate: 1e-5, maxRate: 1000, steps: 80, seed: 1 });
    expect(found.stoppedEarly).toBe(true);
    expect(found.rates.length).toBeLessThan(80);
    found.rates.slice(1).forEach((rate, i) => expect(rate / found.rates[i]).toBeCloseTo((1000 / 1e-5) ** (1 / 79), 8));
    expect(found.suggestedRate).toBeGreaterThan(1e-3);
    expect(found.suggestedRate).toBeLessThan(found.minLossRate * 1.0001);
    // Nothing of the sweep stays in the model.
    m.getWeights().forEach((w, i) => expect(w.data).toEqual(before[i].data));
    expect(m._program.getCounters()).toEqual(counters);
    expect(m.optimizer!.iterations).toBe(0);
    // The suggestion trains better than the sweep's low end.
    const loss = async (rate: number) => {
      const t = make();
      t.optimizer!.learningRate = rate;
      const h = await t.fit(x, y, { epochs: 3, batchSize: 32, seed: 2, verbose: 0 });
      return h.history.loss[2];
    };
    expect(await loss(found.suggestedRate)).toBeLessThan(await loss(1e-5));
  });
});
