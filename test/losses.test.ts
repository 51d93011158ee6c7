// Issue 20's losses through the API (their gradients: test/gradients.test.ts): categorical
// cross-entropy against the sparse one, a softmax output trained from its logits, the regression
// losses training, and the messages for targets that do not fit.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, losses, sequential, tensor } from '../src/index.js';
import { Random } from '../src/random.js';

const r = new Random(3);
const x = tensor(Float32Array.from({ length: 64 * 6 }, () => r.uniform() * 2 - 1), [64, 6]);
const classes = Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 3);
const oneHot = Float32Array.from({ length: 64 * 3 }, (_, i) => (classes[Math.floor(i / 3)] === i % 3 ? 1 : 0));

const classifier = (activation: 'linear' | 'softmax' = 'linear') =>
  sequential([layers.dense({ inputShape: [6], units: 8, activation: 'tanh' }), layers.dense({ units: 3, activation })], { seed: 4 });

describe('losses', () => {
  it('categoricalCrossEntropy with one-hot targets trains as softmaxCrossEntropy with their class indices', async () => {
    const sparse = classifier(), dense = classifier();
    sparse.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    dense.compile({ optimizer: 'adam', loss: 'categoricalCrossEntropy', metrics: ['accuracy'] });
    const a = await sparse.fit(x, tensor(classes, [64], 'int32'), { epochs: 5, batchSize: 16, seed: 1, verbose: 0 });
    const b = await dense.fit(x, tensor(oneHot, [64, 3]), { epochs: 5, batchSize: 16, seed: 1, verbose: 0 });
    (a.history.loss as number[]).forEach((loss, k) => expect((b.history.loss as number[])[k]).toBeCloseTo(loss, 5));
    expect(b.history.accuracy).toEqual(a.history.accuracy);
    const wa = sparse.getWeights()[2].data, wb = dense.getWeights()[2].data;
    wa.forEach((v, i) => expect(wb[i]).toBeCloseTo(v, 5));
  });

  it('a softmax output is trained from its logits; predictProba and fromLogits as for softmaxCrossEntropy', async () => {
    const m = classifier('softmax');
    m.compile({ optimizer: 'adam', loss: losses.categoricalCrossEntropy(), metrics: ['accuracy'] });
    const h = await m.fit(x, tensor(oneHot, [64, 3]), { epochs: 30, batchSize: 16, seed: 1, verbose: 0 });
    expect((h.history.loss as number[])[29]).toBeLessThan((h.history.loss as number[])[0]);
    const p = m.predict(x).data;
    for (let i = 0; i < 64; i++) expect(p[3 * i] + p[3 * i + 1] + p[3 * i + 2]).toBeCloseTo(1, 5);
    expect(Array.from(m.predictProba(x).data)).toEqual(Array.from(p));
    expect(() => classifier('softmax').compile({ optimizer: 'adam', loss: losses.categoricalCrossEntropy({ fromLogits: true }) })).toThrow(/fromLogits: true, but the output layer .* applies softmax/);
  });

  it.each(['mae', 'logCosh', 'poisson', 'cosineSimilarity'] as const)('%s trains a regression down', async (loss) => {
    const y = Float32Array.from({ length: 64 * 2 }, (_, i) => 1 + Math.abs(x.data[(i * 3) % (64 * 6)]));
    const m = sequential([layers.dense({ inputShape: [6], units: 16, activation: 'tanh' }), layers.dense({ units: 2 }), layers.softplus()], { seed: 2 });
    m.compile({ optimizer: 'adam', loss });
    const h = await m.fit(x, tensor(y, [64, 2]), { epochs: 40, batchSize: 16, seed: 1, verbose: 0 });
    const l = h.history.loss as number[];
    // cosineSimilarity starts near its floor of -1 (-0.97 here): it must get within 0.01 of it.
    if (loss === 'cosineSimilarity') expect(l[39]).toBeLessThan(-0.99);
    else expect(l[39]).toBeLessThan(l[0] - 0.05 * Math.abs(l[0]));
  });

  it('huber({ delta }) and labelSmoothing are kept in checkpoints, and a resumed fit continues bit-identically', async () => {
    const y = tensor(Float32Array.from({ length: 64 * 3 }, (_, i) => Math.sin(i)), [64, 3]);
    for (const [loss, targets] of [[losses.huber({ delta: 0.5 }), y], [losses.softmaxCrossEntropy({ labelSmoothing: 0.1 }), tensor(classes, [64], 'int32')], [losses.categoricalCrossEntropy({ labelSmoothing: 0.2 }), tensor(oneHot, [64, 3])]] as const) {
      const make = () => { const m = classifier(); m.compile({ optimizer: 'adam', loss }); return m; };
      const straight = make();
      await straight.fit(x, targets, { epochs: 4, batchSize: 16, seed: 1, verbose: 0 });
      const first = make();
      await first.fit(x, targets, { epochs: 2, batchSize: 16, seed: 1, verbose: 0 });
      const dir = mkdtempSync(path.join(tmpdir(), 'gradloop-loss-'));
      await first.save(dir);
      const resumed = await loadModel(dir);
      const { name, ...options } = loss;
      expect(resumed.compileConfig).toMatchObject({ loss: name, ...options });
      await resumed.fit(x, targets, { epochs: 4, batchSize: 16, seed: 1, verbose: 0, resumeFrom: dir });
      expect(Array.from(resumed.getWeights()[2].data)).toEqual(Array.from(straight.getWeights()[2].data));
    }
  });

  it('says what the targets must be', async () => {
    const m = classifier();
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossEntropy' });
    await expect(m.fit(x, tensor(classes, [64], 'int32'), { epochs: 1, verbose: 0 })).rejects.toThrow(/loss 'categoricalCrossEntropy' expects float32 targets/);
    await expect(m.fit(x, tensor(new Float32Array(64), [64, 1]), { epochs: 1, verbose: 0 })).rejects.toThrow(/expects 3 target value\(s\) per sample/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'huberr' as 'mae' })).toThrow(/'kld', 'cosineSimilarity'/);
    expect(() => m.compile({ optimizer: 'adam', loss: { name: 'mae', fromLogits: true } })).toThrow(/fromLogits applies to the cross-entropies, not 'mae'/);
    expect(() => m.compile({ optimizer: 'adam', loss: { name: 'mae', delta: 1 } })).toThrow(/delta applies to huber, not 'mae'/);
    expect(() => losses.huber({ delta: 0 })).toThrow(/losses.huber: delta/);
    expect(() => m.compile({ optimizer: 'adam', loss: { name: 'mse', labelSmoothing: 0.1 } })).toThrow(/labelSmoothing applies to the cross-entropies, not 'mse'/);
    expect(() => losses.binaryCrossEntropy({ labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
  });
});
