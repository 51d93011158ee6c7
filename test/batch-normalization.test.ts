// batchNormalization (issue 17): training normalizes with the batch's statistics and moves the
// moving ones by Keras' rule; inference (predict, evaluate, validation) uses the moving ones; the
// moving statistics are non-trainable weights (getWeights, summary, checkpoints), never touched by
// the optimizer; a frozen layer normalizes with its moving statistics, as in Keras.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, type Model, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import { batchNorm } from './cases/batch_normalization.js';

const r = new Random(3);
const rows = 64;
// Features far from zero mean and unit variance, so normalization changes them.
const x = tensor(Float32Array.from({ length: rows * 4 }, (_, i) => 3 + (1 + (i % 4)) * r.normal()), [rows, 4]);
const y = tensor(Int32Array.from({ length: rows }, (_, i) => (x.data[i * 4] + x.data[i * 4 + 1] > 7 ? 1 : 0)), [rows], 'int32');
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const byName = (m: Model, name: string) => m.getWeights().find((w) => w.name === name)!.data;

function bnModel(options: Parameters<typeof layers.batchNormalization>[0] = {}) {
  return sequential([layers.batchNormalization({ inputShape: [4], name: 'bn', ...options }), layers.dense({ units: 2, name: 'head' })], { seed: 5 });
}

/** Per-column mean and biased variance of x[rows, 4], in float64. */
function columnStats(t: Tensor): [Float64Array, Float64Array] {
  const mean = new Float64Array(4), variance = new Float64Array(4);
  for (let i = 0; i < rows; i++) for (let c = 0; c < 4; c++) mean[c] += t.data[i * 4 + c] / rows;
  for (let i = 0; i < rows; i++) for (let c = 0; c < 4; c++) variance[c] += (t.data[i * 4 + c] - mean[c]) ** 2 / rows;
  return [mean, variance];
}

describe('batchNormalization', () => {
  it("keeps Keras' weights in Keras' order; summary counts the moving statistics as non-trainable", () => {
    const m = bnModel();
    expect(m.getWeights().map((w) => `${w.name} ${w.shape.join('x')}`)).toEqual(['bn/gamma 4', 'bn/beta 4', 'bn/moving_mean 4', 'bn/moving_variance 4', 'head/kernel 4x2', 'head/bias 2']);
    expect([...byName(m, 'bn/gamma')]).toEqual([1, 1, 1, 1]);
    expect([...byName(m, 'bn/moving_variance')]).toEqual([1, 1, 1, 1]);
    const text = m.summary(() => {});
    expect(text).toContain('Total params: 26');
    expect(text).toContain('Trainable params: 18');
    expect(text).toContain('Non-trainable params: 8');
    expect(bnModel({ center: false, scale: false }).getWeights().map((w) => w.name).slice(0, 2)).toEqual(['bn/moving_mean', 'bn/moving_variance']);
  });

  it('one training step moves the moving statistics by momentum toward the batch mean and (biased) variance; gamma and beta train', async () => {
    const m = bnModel({ momentum: 0.9 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'softmaxCrossEntropy' });
    await m.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, verbose: 0 });
    const [mean, variance] = columnStats(x);
    const movingMean = byName(m, 'bn/moving_mean'), movingVariance = byName(m, 'bn/moving_variance');
    for (let c = 0; c < 4; c++) {
      expect(movingMean[c]).toBeCloseTo(0.9 * 0 + 0.1 * mean[c], 5);
      expect(movingVariance[c]).toBeCloseTo(0.9 * 1 + 0.1 * variance[c], 4);
    }
    expect([...byName(m, 'bn/gamma')].some((v) => v !== 1)).toBe(true);
    expect([...byName(m, 'bn/beta')].some((v) => v !== 0)).toBe(true);
  });

  it('predict and evaluate normalize with the moving statistics, not the batch', async () => {
    const m = bnModel();
    const w = m.getWeights();
    const mean = Float32Array.of(1, 2, 3, 4), variance = Float32Array.of(0.5, 1, 2, 4);
    m.setWeights(w.map((v) => (v.name === 'bn/moving_mean' ? mean : v.name === 'bn/moving_variance' ? variance : v.data)));
    const out = m.predict(x).data;
    // The reference: the moving statistics, then the head.
    const h = batchNorm(f64(x.data), rows, [4], 0, { gamma: f64(byName(m, 'bn/gamma')), beta: f64(byName(m, 'bn/beta')), moving: [f64(mean), f64(variance)] });
    const k = byName(m, 'head/kernel'), b = byName(m, 'head/bias');
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < 2; j++) {
        let s = b[j];
        for (let c = 0; c < 4; c++) s += h[i * 4 + c] * k[c * 2 + j];
        expect(out[i * 2 + j]).toBeCloseTo(s, 4);
      }
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const before = m.getWeights().map((v) => [...v.data]);
    await m.evaluate(x, y);
    expect(m.getWeights().map((v) => [...v.data])).toEqual(before); // inference moves nothing
  });

  it('the optimizer never updates the moving statistics: with momentum 1 they stay bit-identical under adamw and an L2 penalty', async () => {
    const m = sequential([
      layers.dense({ inputShape: [4], units: 8, kernelRegularizer: 'l2' }),
      layers.batchNormalization({ momentum: 1, name: 'bn', gammaRegularizer: 'l2' }),
      layers.dense({ units: 2 }),
    ], { seed: 2 });
    m.compile({ optimizer: optimizers.adamw({ learningRate: 0.01, weightDecay: 0.1 }), loss: 'softmaxCrossEntropy' });
    const before = [byName(m, 'bn/moving_mean').slice(), byName(m, 'bn/moving_variance').slice()];
    const h = await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    expect(byName(m, 'bn/moving_mean')).toEqual(before[0]);
    expect(byName(m, 'bn/moving_variance')).toEqual(before[1]);
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]);
  });

  it('a frozen layer (trainable: false) normalizes with its moving statistics in training too, and moves nothing', async () => {
    const frozen = bnModel({ trainable: false, momentum: 0.5 });
    frozen.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'softmaxCrossEntropy' });
    const bn = frozen.getWeights().slice(0, 4).map((w) => w.data.slice());
    // Training on the frozen model equals training the head alone on the inference-mode output.
    const features = frozen.layers[0];
    expect(features.trainable).toBe(false);
    const head = sequential([layers.dense({ inputShape: [4], units: 2, name: 'head' })], { seed: 9 });
    head.setWeights(frozen.getWeights().slice(4));
    head.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'softmaxCrossEntropy' });
    const normalized = tensor(Float32Array.from(batchNorm(f64(x.data), rows, [4], 0, { gamma: f64(bn[0]), beta: f64(bn[1]), moving: [f64(bn[2]), f64(bn[3])] })), [rows, 4]);
    const a = await frozen.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    const b = await head.fit(normalized, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    a.history.loss.forEach((v, i) => expect(v).toBeCloseTo(b.history.loss[i], 5));
    frozen.getWeights().slice(0, 4).forEach((w, i) => expect(w.data).toEqual(bn[i]));
  });

  it('a checkpoint keeps the moving statistics; the loaded model predicts the same', async () => {
    const m = bnModel();
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    await m.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-bn-')), 'model');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.getWeights().map((w) => w.name)).toEqual(m.getWeights().map((w) => w.name));
    expect(byName(loaded, 'bn/moving_variance')).toEqual(byName(m, 'bn/moving_variance'));
    expect(loaded.predict(x).data).toEqual(m.predict(x).data);
  });

  it('clear errors for bad options and shapes', () => {
    expect(() => layers.batchNormalization({ axis: 0 })).toThrow(/axis 0 is the batch/);
    expect(() => layers.batchNormalization({ momentum: 1.5 })).toThrow(/momentum/);
    expect(() => layers.batchNormalization({ epsilon: 0 })).toThrow(/epsilon/);
    expect(() => sequential([layers.batchNormalization({ inputShape: [4], axis: 2 })]).outputShape).toThrow(/axis 2 needs float32 samples with that axis/);
    expect(() => sequential([layers.embedding({ inputDim: 5, outputDim: 3, inputLength: 2 }), layers.batchNormalization({ axis: 3 })]).outputShape).toThrow(/axis 3/);
  });
});
