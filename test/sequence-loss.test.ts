// softmaxCrossEntropy over sequence outputs (issue 18): a model whose output is [steps, classes]
// takes int32 labels [n, steps], one class index per position; the loss is the mean over every
// position of every sample, accuracy counts positions; losses.softmaxCrossEntropy({ ignoreIndex })
// leaves padding labels out of the loss, its gradient and the accuracy.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, losses, optimizers, sequential, tensor } from '../src/index.js';
import type { NodeSpec } from '../src/backend/native.js';
import { checkGradients } from './helpers/gradcheck.js';
import * as ref from './helpers/reference.js';

describe('softmaxCrossEntropy over a sequence output [steps, classes]', () => {
  it('its gradient matches finite differences of the mean over every position', () => {
    const nodes: NodeSpec[] = [
      { op: 'embedding', name: 'tokens', inputs: [0], numbers: { inputDim: 7, outputDim: 4 } },
      { op: 'dense', name: 'head', inputs: [1], numbers: { units: 6 }, strings: { activation: 'linear' } },
    ];
    const { checked } = checkGradients({
      inputShape: [5], inputDtype: 'int32', vocab: 7, batch: 3, loss: 'softmaxCrossEntropy', sequence: true, nodes,
      reference: ([table, k, b], _x, ids, labels) => ref.softmaxCrossEntropy(ref.dense(ref.embedding(ids, table, 4), 15, 4, k, b, 6), labels as Int32Array),
    });
    expect(checked).toBeGreaterThan(0);
  });

  it('a next-token model learns (id + 1) mod 7 at every position; accuracy counts positions', async () => {
    const n = 64, steps = 6;
    const x = Int32Array.from({ length: n * steps }, (_, i) => (Math.floor(i / steps) * 3 + (i % steps)) % 7);
    const y = x.map((v) => (v + 1) % 7);
    const m = sequential([
      layers.tokenAndPositionEmbedding({ inputShape: [steps], vocabularySize: 7, sequenceLength: steps, embeddingDim: 8 }),
      layers.dense({ units: 7 }),
    ], { seed: 2 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const h = await m.fit(tensor(x, [n, steps], 'int32'), tensor(y, [n, steps], 'int32'), { epochs: 30, batchSize: 16, verbose: 0, seed: 1 });
    expect(h.history.loss.at(-1)!).toBeLessThan(0.1);
    const { loss, accuracy } = await m.evaluate(tensor(x, [n, steps], 'int32'), tensor(y, [n, steps], 'int32'));
    expect(accuracy).toBe(1);
    // The loss is the mean over all n * steps positions, as predict's probabilities give it.
    const p = m.predict(tensor(x, [n, steps], 'int32')).data;
    let sum = 0;
    for (let i = 0; i < n * steps; i++) {
      const row = Array.from(p.subarray(i * 7, i * 7 + 7));
      const mx = Math.max(...row), lse = Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0)) + mx;
      sum += lse - row[y[i]];
    }
    expect(loss).toBeCloseTo(sum / (n * steps), 5);
  });

  it('labels that are not one per position are an Error saying the shape needed', async () => {
    const m = sequential([layers.embedding({ inputDim: 5, outputDim: 3, inputLength: 4 }), layers.dense({ units: 5 })]);
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const x = tensor(new Int32Array(8), [2, 4], 'int32');
    await expect(m.fit(x, tensor(new Int32Array(2), [2], 'int32'), { verbose: 0 })).rejects.toThrow(/a class index per position \(shape \[n, 4\]\), got \[2\]/);
    await expect(m.fit(x, tensor(Int32Array.of(0, 1, 2, 3, 4, 0, 1, 2), [2, 4], 'int32'), { verbose: 0 })).resolves.toBeDefined();
    await expect(m.fit(x, tensor(Int32Array.of(0, 1, 2, 3, 4, 0, 1, 9), [2, 4], 'int32'), { verbose: 0 })).rejects.toThrow(/label 9 at sample 1, position 3 is outside \[0, 5\)/);
  });

  it('ignoreIndex: padding positions add no loss and no gradient; the mean is over the rest (finite differences)', () => {
    const nodes: NodeSpec[] = [
      { op: 'embedding', name: 'tokens', inputs: [0], numbers: { inputDim: 7, outputDim: 4 } },
      { op: 'dense', name: 'head', inputs: [1], numbers: { units: 6 }, strings: { activation: 'linear' } },
    ];
    const { checked } = checkGradients({
      inputShape: [5], inputDtype: 'int32', vocab: 7, batch: 3, loss: 'softmaxCrossEntropy', sequence: true, ignoreIndex: -100, nodes,
      reference: ([table, k, b], _x, ids, labels) => {
        const logits = ref.dense(ref.embedding(ids, table, 4), 15, 4, k, b, 6);
        const keep = [...(labels as Int32Array).keys()].filter((i) => labels[i] !== -100);
        return ref.softmaxCrossEntropy(Float64Array.from(keep.flatMap((i) => [...logits.subarray(i * 6, i * 6 + 6)])), Int32Array.from(keep.map((i) => labels[i])));
      },
    });
    expect(checked).toBeGreaterThan(0);
  });

  it('ignoreIndex in fit and evaluate: loss and accuracy over the labelled positions only; kept by checkpoints', async () => {
    const n = 32, steps = 5, pad = -1;
    const x = Int32Array.from({ length: n * steps }, (_, i) => (i * 5) % 7);
    // Each sample's last two positions are padding.
    const y = x.map((v, i) => (i % steps >= steps - 2 ? pad : (v + 1) % 7));
    const m = sequential([layers.embedding({ inputDim: 7, outputDim: 8, inputLength: steps }), layers.dense({ units: 7 })], { seed: 3 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: losses.softmaxCrossEntropy({ ignoreIndex: pad }), metrics: ['accuracy'] });
    const xs = tensor(x, [n, steps], 'int32'), ys = tensor(y, [n, steps], 'int32');
    await m.fit(xs, ys, { epochs: 25, batchSize: 8, verbose: 0, seed: 1 });
    const { loss, accuracy } = await m.evaluate(xs, ys);
    const p = m.predict(xs).data;
    let sum = 0, count = 0, hits = 0;
    for (let i = 0; i < n * steps; i++) {
      if (y[i] === pad) continue;
      const row = Array.from(p.subarray(i * 7, i * 7 + 7));
      const mx = Math.max(...row), lse = Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0)) + mx;
      sum += lse - row[y[i]];
      count++;
      hits += row.indexOf(mx) === y[i] ? 1 : 0;
    }
    expect(count).toBe(n * 3);
    expect(loss).toBeCloseTo(sum / count, 5);
    expect(accuracy).toBeCloseTo(hits / count, 10);
    expect(accuracy).toBe(1); // the labelled positions are learnt; the padding's predictions are never scored
    // A checkpoint keeps the ignoreIndex: the loaded model evaluates the same.
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-seq-')), 'model');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect((await loaded.evaluate(xs, ys)).loss).toBeCloseTo(loss, 6);
    // A label other than the padding that is out of range is still an Error.
    await expect(m.fit(xs, tensor(y.map((v, i) => (i === 3 ? 9 : v)), [n, steps], 'int32'), { verbose: 0 })).rejects.toThrow(/label 9 at sample 0, position 3 is outside \[0, 7\) for the model's 7 output classes \(nor the ignoreIndex -1\)/);
    expect(() => losses.softmaxCrossEntropy({ ignoreIndex: 1.5 })).toThrow(/ignoreIndex must be an integer/);
    expect(() => m.compile({ optimizer: 'sgd', loss: { name: 'mse', ignoreIndex: 0 } as never })).toThrow(/ignoreIndex applies to softmaxCrossEntropy, not 'mse'/);
  });
});
