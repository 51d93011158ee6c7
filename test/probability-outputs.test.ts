// Outputs that are probabilities (issue 16, item 5): a final sigmoid with binaryCrossEntropy, or
// softmax with softmaxCrossEntropy, as Keras tutorials write them, train from the logits before
// the activation (the same steps as the logits form, bit for bit), predict still returns the
// probabilities, and combinations that cannot be trained correctly are Errors, never silent.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Layer, layers, loadModel, losses, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';

// Two noisy blobs: a binary problem a small MLP separates well above 90%.
function blobs(rows: number, seed: number): { x: Tensor; y01: Tensor; ids: Tensor } {
  const r = new Random(seed);
  const x = new Float32Array(rows * 4), y = new Float32Array(rows), ids = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const label = i % 2;
    for (let k = 0; k < 4; k++) x[i * 4 + k] = r.normal() + (label ? 1 : -1) * (k < 2 ? 1 : 0.2);
    y[i] = label;
    ids[i] = label;
  }
  return { x: tensor(x, [rows, 4]), y01: tensor(y, [rows, 1]), ids: tensor(ids, [rows], 'int32') };
}

const train = async (out: Layer[], loss: Parameters<ReturnType<typeof sequential>['compile']>[0]['loss'], y: Tensor, x: Tensor) => {
  const m = sequential([layers.dense({ inputShape: [4], units: 16, activation: 'relu' }), ...out], { seed: 5 });
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss, metrics: ['accuracy'] });
  const h = await m.fit(x, y, { epochs: 8, batchSize: 32, seed: 3, verbose: 0 });
  return { m, h };
};
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('probability outputs train from their logits', () => {
  const { x, y01, ids } = blobs(512, 1);

  it("dense({ units: 1, activation: 'sigmoid' }) + binaryCrossEntropy: the logits form's steps exactly, probabilities out", async () => {
    const logits = await train([layers.dense({ units: 1 })], 'binaryCrossEntropy', y01, x);
    const probs = await train([layers.dense({ units: 1, activation: 'sigmoid' })], 'binaryCrossEntropy', y01, x);
    expect(probs.h.history.loss).toEqual(logits.h.history.loss);
    expect(probs.h.history.accuracy.at(-1)).toBeGreaterThan(0.9);
    const p = probs.m.predict(x).data, z = logits.m.predict(x).data;
    for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(sigmoid(z[i]), 6);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...p)).toBeLessThanOrEqual(1);
  });

  it('a separate layers.sigmoid() output, and fromLogits: false, train the same way', async () => {
    const logits = await train([layers.dense({ units: 1 })], 'binaryCrossEntropy', y01, x);
    const separate = await train([layers.dense({ units: 1 }), layers.sigmoid()], losses.binaryCrossEntropy({ fromLogits: false }), y01, x);
    expect(separate.h.history.loss).toEqual(logits.h.history.loss);
  });

  it("dense({ activation: 'softmax' }) and layers.softmax() + softmaxCrossEntropy: the logits form's steps, rows summing to 1", async () => {
    const logits = await train([layers.dense({ units: 2 })], 'softmaxCrossEntropy', ids, x);
    const fused = await train([layers.dense({ units: 2, activation: 'softmax' })], 'softmaxCrossEntropy', ids, x);
    const separate = await train([layers.dense({ units: 2 }), layers.softmax()], 'softmaxCrossEntropy', ids, x);
    expect(fused.h.history.loss).toEqual(logits.h.history.loss);
    expect(separate.h.history.loss).toEqual(logits.h.history.loss);
    expect(fused.h.history.accuracy.at(-1)).toBeGreaterThan(0.9);
    const p = fused.m.predict(x).data;
    for (let i = 0; i < 8; i += 2) expect(p[i] + p[i + 1]).toBeCloseTo(1, 6);
    expect((await fused.m.evaluate(x, ids)).loss).toBeCloseTo((await logits.m.evaluate(x, ids)).loss, 6);
  });

  it('predictProba: the logits and the probability forms of a classifier give the same probabilities; mse has none', async () => {
    const logits = await train([layers.dense({ units: 2 })], 'softmaxCrossEntropy', ids, x);
    const softmax = await train([layers.dense({ units: 2, activation: 'softmax' })], 'softmaxCrossEntropy', ids, x);
    const [a, b] = [logits.m.predictProba(x), softmax.m.predictProba(x)];
    expect(a.shape).toEqual([512, 2]);
    for (let i = 0; i < a.size; i++) expect(a.data[i]).toBeCloseTo(b.data[i], 6);
    expect(b.data).toEqual(softmax.m.predict(x).data); // already probabilities: predict() unchanged
    for (let r = 0; r < 512; r++) expect(a.data[2 * r] + a.data[2 * r + 1]).toBeCloseTo(1, 6);
    const binary = await train([layers.dense({ units: 1 })], 'binaryCrossEntropy', y01, x);
    const z = binary.m.predict(x).data, p = binary.m.predictProba(x).data;
    for (let i = 0; i < p.length; i++) expect(p[i]).toBeCloseTo(sigmoid(z[i]), 6);
    const regression = await train([layers.dense({ units: 1 })], 'mse', y01, x);
    expect(() => regression.m.predictProba(x)).toThrow(/compiled with loss 'mse', not a classifier's \(softmaxCrossEntropy, categoricalCrossEntropy or binaryCrossEntropy\); predict\(\) gives its outputs/);
    expect(() => sequential([layers.dense({ inputShape: [4], units: 2 })]).predictProba(x)).toThrow(/predictProba: call model.compile/);
  });

  it('mse on a sigmoid output stays on the probabilities', async () => {
    const a = await train([layers.dense({ units: 1, activation: 'sigmoid' })], 'mse', y01, x);
    const b = await train([layers.dense({ units: 1 })], 'mse', y01, x);
    expect(a.h.history.loss).not.toEqual(b.h.history.loss);
    expect(a.h.history.loss.at(-1)).toBeLessThan(0.1); // squared error of probabilities against 0/1
  });

  it('combinations that cannot be trained correctly are Errors saying what to do', () => {
    const model = (activation?: 'sigmoid' | 'softmax') => sequential([layers.dense({ inputShape: [4], units: 2, ...(activation ? { activation } : {}) })]);
    expect(() => model('sigmoid').compile({ optimizer: 'sgd', loss: losses.binaryCrossEntropy({ fromLogits: true }) }))
      .toThrow(/fromLogits: true, but the output layer 'dense_\d+' applies sigmoid, so the model outputs probabilities; drop fromLogits: true/);
    expect(() => model().compile({ optimizer: 'sgd', loss: losses.binaryCrossEntropy({ fromLogits: false }) }))
      .toThrow(/fromLogits: false expects probabilities, but the output layer 'dense_\d+' applies no activation; add activation: 'sigmoid' to it, or use fromLogits: true/);
    expect(() => model('softmax').compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy' }))
      .toThrow(/loss 'binaryCrossEntropy' needs sigmoid probabilities or logits, but the output layer 'dense_\d+' applies softmax; use activation: 'sigmoid'.*or the loss 'softmaxCrossEntropy'/);
    expect(() => model('sigmoid').compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' }))
      .toThrow(/loss 'softmaxCrossEntropy' needs softmax probabilities or logits, but the output layer 'dense_\d+' applies sigmoid/);
    expect(() => model().compile({ optimizer: 'sgd', loss: { name: 'mse', fromLogits: true } }))
      .toThrow(/fromLogits applies to the cross-entropies, not 'mse'/);
    expect(() => model().compile({ optimizer: 'sgd', loss: losses.binaryCrossEntropy({ fromLogit: true } as never) }))
      .toThrow(/losses\.binaryCrossEntropy: unknown option 'fromLogit'/);
  });

  it('a checkpoint keeps fromLogits, and the loaded model trains on from the same step', async () => {
    const { m } = await train([layers.dense({ units: 1, activation: 'sigmoid' })], losses.binaryCrossEntropy({ fromLogits: false }), y01, x);
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-logits-')), 'ckpt');
    await m.save(dir);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).compile).toMatchObject({ loss: 'binaryCrossEntropy', fromLogits: false });
    const loaded = await loadModel(dir);
    const [a, b] = [await m.fit(x, y01, { epochs: 1, batchSize: 32, seed: 9, verbose: 0 }), await loaded.fit(x, y01, { epochs: 1, batchSize: 32, seed: 9, verbose: 0 })];
    expect(b.history.loss).toEqual(a.history.loss);
  });
});
