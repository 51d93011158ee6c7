// Freezing (issue 16, item 4): layer.trainable = false takes effect at the next compile; a frozen
// layer's weights get no gradient (the native backward skips that work), no update and no
// optimizer state, layers before and after it still train, summary() counts its parameters as
// non-trainable, and checkpoints keep the flag.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, type Model, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { native } from '../src/backend/native.js';
import { Random } from '../src/random.js';

function data(rows: number, seed = 2): [Tensor, Tensor] {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * 6 }, () => r.normal());
  const y = Int32Array.from({ length: rows }, (_, i) => (x[i * 6] + x[i * 6 + 1] > 0 ? 1 : 0) + (x[i * 6 + 2] > 0 ? 1 : 0));
  return [tensor(x, [rows, 6]), tensor(y, [rows], 'int32')];
}
const [x, y] = data(256);
const mlp = () => sequential([
  layers.dense({ inputShape: [6], units: 12, activation: 'relu', name: 'first' }),
  layers.dense({ units: 12, activation: 'tanh', name: 'middle' }),
  layers.dense({ units: 3, name: 'head' }),
], { seed: 4 });
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const weightsOf = (m: Model, layer: string) => m.getWeights().filter((w) => w.name.startsWith(`${layer}/`));

describe('layer.trainable = false', () => {
  it('a frozen middle layer: its weights stay bit-identical, the layers before and after it train, the loss falls', async () => {
    const m = mlp();
    m.layers[1].trainable = false;
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
    const before = m.getWeights();
    const h = await m.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0, seed: 1 });
    const after = m.getWeights();
    before.forEach((w, i) => {
      const same = bits(w.data).equals(bits(after[i].data));
      expect(same, w.name).toBe(w.name.startsWith('middle/'));
    });
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]);
    // No Adam state was made for it either.
    const k = m.getWeights().findIndex((w) => w.name === 'middle/kernel');
    expect(m._program.getOptimizerState(k, 0).every((v) => v === 0)).toBe(true);
  });

  it('no gradient is computed for frozen weights, and none flows where no trainable weight is upstream', () => {
    const m = mlp();
    m.layers[0].trainable = false;
    m.layers[1].trainable = false;
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const program = m._program;
    const ds = new native.Dataset(x.data, [6], y.data, [1]);
    program.computeGradients(ds, Int32Array.from({ length: 64 }, (_, i) => i), false, 0);
    const names = m.getWeights().map((w) => w.name);
    names.forEach((name, i) => {
      const nonzero = program.getGradient(i).some((v) => v !== 0);
      expect(nonzero, name).toBe(name.startsWith('head/'));
    });
    ds.dispose();
  });

  it('is read at compile, as in Keras: changing it later needs a new compile', async () => {
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    m.layers[0].trainable = false; // not yet in effect
    const w0 = weightsOf(m, 'first')[0].data;
    await m.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(bits(weightsOf(m, 'first')[0].data).equals(bits(w0))).toBe(false);
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const w1 = weightsOf(m, 'first')[0].data;
    await m.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(bits(weightsOf(m, 'first')[0].data).equals(bits(w1))).toBe(true);
  });

  it('model.trainable = false freezes everything; a frozen pretrained embedding stays as loaded', async () => {
    const m = mlp();
    m.trainable = false;
    expect(m.trainable).toBe(false);
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const before = m.getWeights();
    await m.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    m.getWeights().forEach((w, i) => expect(bits(w.data).equals(bits(before[i].data)), w.name).toBe(true));

    const ids = tensor(Int32Array.from({ length: 64 * 4 }, (_, i) => (i * 7) % 20), [64, 4], 'int32');
    const labels = tensor(Int32Array.from({ length: 64 }, (_, i) => i % 2), [64], 'int32');
    const e = sequential([layers.embedding({ inputDim: 20, outputDim: 5, inputLength: 4, trainable: false }), layers.flatten(), layers.dense({ units: 2 })], { seed: 1 });
    e.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const [table, kernel] = e.getWeights().map((w) => w.data);
    await e.fit(ids, labels, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(bits(e.getWeights()[0].data).equals(bits(table))).toBe(true);
    expect(bits(e.getWeights()[1].data).equals(bits(kernel))).toBe(false); // the dense head after it trains
  });

  it('summary() counts frozen parameters as non-trainable; a checkpoint keeps the flag and the loaded model keeps them frozen', async () => {
    const m = mlp();
    m.layers[0].trainable = false;
    const text = m.summary(() => {});
    expect(text).toMatch(/Total params: 279\nTrainable params: 195\nNon-trainable params: 84/);
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    await m.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-frozen-')), 'ckpt');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.trainable)).toEqual([false, true, true]);
    const w = weightsOf(loaded, 'first')[0].data;
    await loaded.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    expect(bits(weightsOf(loaded, 'first')[0].data).equals(bits(w))).toBe(true);
    expect(() => layers.dense({ units: 2, trainable: 'no' as never })).toThrow(/dense: trainable must be true or false/);
  });
});
