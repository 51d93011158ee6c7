// Models with several outputs (issue 16, item 2): a loss per output (by order or name), lossWeights,
// metrics per output, per-output history entries as Keras names them (cls_loss, val_cls_accuracy),
// targets by order or name, predictOutputs; the losses meet in the shared layers.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { data, input, layers, loadModel, losses, model, optimizers, tensor, type Tensor, verifyOnnx } from '../src/index.js';
import { onnx } from '../src/onnx/proto.js';
import { float32Tolerance } from './helpers/tolerance.js';
import { Random } from '../src/random.js';

function dataset(rows: number, seed: number): { x: Tensor; cls: Tensor; reg: Tensor; flag: Tensor } {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * 6 }, () => r.normal());
  const cls = Int32Array.from({ length: rows }, (_, i) => (x[i * 6] > 0.5 ? 2 : x[i * 6] > -0.5 ? 1 : 0));
  const reg = Float32Array.from({ length: rows * 2 }, (_, j) => x[Math.floor(j / 2) * 6 + 1 + (j % 2)] * 0.5);
  const flag = Float32Array.from({ length: rows }, (_, i) => (x[i * 6 + 3] > 0 ? 1 : 0));
  return { x: tensor(x, [rows, 6]), cls: tensor(cls, [rows], 'int32'), reg: tensor(reg, [rows, 2]), flag: tensor(flag, [rows, 1]) };
}

function twoHeads(seed = 3, withFlag = false) {
  const x = input({ shape: [6], name: 'x' });
  const trunk = layers.dense({ units: 16, activation: 'relu', name: 'trunk' }).apply(x);
  const cls = layers.dense({ units: 3, name: 'cls' }).apply(trunk);
  const reg = layers.dense({ units: 2, name: 'reg' }).apply(trunk);
  const outputs = [cls, reg];
  if (withFlag) outputs.push(layers.dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(trunk));
  return model({ inputs: x, outputs, seed });
}

describe('several outputs', () => {
  const train = dataset(512, 1), val = dataset(128, 2);

  it('a loss each, weighted; history per output as Keras names it; the total is the weighted sum', async () => {
    const m = twoHeads();
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: ['softmaxCrossEntropy', 'mse'], lossWeights: [1, 0.5], metrics: { cls: ['accuracy'] } });
    const h = await m.fit(train.x, [train.cls, train.reg], { epochs: 10, batchSize: 32, seed: 1, verbose: 0, validationData: [val.x, { cls: val.cls, reg: val.reg }] });
    expect(Object.keys(h.history).sort()).toEqual(expect.arrayContaining(['loss', 'cls_loss', 'cls_accuracy', 'reg_loss', 'valLoss', 'val_cls_loss', 'val_cls_accuracy', 'val_reg_loss']));
    expect(h.history).not.toHaveProperty('reg_accuracy');
    h.history.loss.forEach((l, e) => expect(l).toBeCloseTo(h.history.cls_loss[e] + 0.5 * h.history.reg_loss[e], 5));
    expect(h.history.cls_accuracy.at(-1)!).toBeGreaterThan(0.85);
    expect(h.history.reg_loss.at(-1)!).toBeLessThan(h.history.reg_loss[0] / 4);
    const e = await m.evaluate(val.x, { reg: val.reg, cls: val.cls });
    expect(e.loss).toBeCloseTo(e.cls_loss + 0.5 * e.reg_loss, 5);
    expect(e.cls_accuracy).toBeGreaterThan(0.8);
    const [p, q] = m.predictOutputs(val.x);
    expect([p.shape, q.shape]).toEqual([[128, 3], [128, 2]]);
    expect(() => m.predict(val.x)).toThrow(/has 2 outputs \(cls, reg\); predictOutputs\(x\) returns one tensor per output/);
  });

  it('with lossWeights [1, 0] the first output trains exactly as a model of it alone', async () => {
    const both = twoHeads(5);
    both.compile({ optimizer: 'adam', loss: ['softmaxCrossEntropy', 'mse'], lossWeights: [1, 0] });
    const x = input({ shape: [6], name: 'x' });
    const alone = model({ inputs: x, outputs: layers.dense({ units: 3, name: 'cls' }).apply(layers.dense({ units: 16, activation: 'relu', name: 'trunk' }).apply(x)), seed: 5 });
    alone.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const hb = await both.fit(train.x, { cls: train.cls, reg: train.reg }, { epochs: 3, batchSize: 32, seed: 2, verbose: 0 });
    const ha = await alone.fit(train.x, train.cls, { epochs: 3, batchSize: 32, seed: 2, verbose: 0 });
    expect(hb.history.cls_loss).toEqual(ha.history.loss);
    expect(both.getWeights().slice(0, 4)).toEqual(alone.getWeights());
  });

  it('a sigmoid output with binaryCrossEntropy among them trains from its logits; losses and targets by name', async () => {
    const m = twoHeads(7, true);
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: { cls: 'softmaxCrossEntropy', reg: 'mse', flag: losses.binaryCrossEntropy({ fromLogits: false }) }, metrics: ['accuracy'] });
    const h = await m.fit(train.x, { cls: train.cls, reg: train.reg, flag: train.flag }, { epochs: 10, batchSize: 32, seed: 1, verbose: 0 });
    expect(h.history.flag_accuracy.at(-1)!).toBeGreaterThan(0.9);
    const flags = m.predictOutputs(train.x)[2].data;
    expect(Math.min(...flags)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...flags)).toBeLessThanOrEqual(1);
  });

  it("a checkpoint keeps every output's loss and weight; the loaded model trains on step for step", async () => {
    const m = twoHeads(9);
    m.compile({ optimizer: 'adam', loss: ['softmaxCrossEntropy', 'mse'], lossWeights: { reg: 2 }, metrics: { cls: ['accuracy'] } });
    await m.fit(train.x, [train.cls, train.reg], { epochs: 1, batchSize: 64, verbose: 0 });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-heads-')), 'ckpt');
    await m.save(dir);
    const loaded = await loadModel(dir);
    const [a, b] = [await m.fit(train.x, [train.cls, train.reg], { epochs: 1, batchSize: 64, seed: 4, verbose: 0 }), await loaded.fit(train.x, [train.cls, train.reg], { epochs: 1, batchSize: 64, seed: 4, verbose: 0 })];
    expect(b.history).toEqual(a.history);
  });

  it('mismatches are Errors naming the outputs', async () => {
    const m = twoHeads();
    expect(() => m.compile({ optimizer: 'sgd', loss: ['mse'] })).toThrow(/compile: loss has 1 entries for the model's 2 outputs \(cls, reg\)/);
    expect(() => m.compile({ optimizer: 'sgd', loss: { cls: 'softmaxCrossEntropy', other: 'mse' } })).toThrow(/compile: loss names 'other', not an output; the outputs are cls, reg/);
    expect(() => m.compile({ optimizer: 'sgd', loss: { cls: 'softmaxCrossEntropy' } })).toThrow(/compile: loss\.reg/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1, -1] })).toThrow(/compile: lossWeights\[1\]/);
    m.compile({ optimizer: 'sgd', loss: ['softmaxCrossEntropy', 'mse'] });
    await expect(m.fit(train.x, train.cls)).rejects.toThrow(/the model has 2 outputs \(cls, reg\); pass their targets as an array in that order, or an object \{ cls, reg \}/);
    await expect(m.fit(train.x, { cls: train.cls })).rejects.toThrow(/no targets for output 'reg'/);
    await expect(m.fit(train.x, [train.reg, train.cls])).rejects.toThrow(/y\[0\] \(output 'cls'\): loss 'softmaxCrossEntropy' expects int32 class indices/);
    const x = input({ shape: [2] });
    expect(() => model({ inputs: x, outputs: layers.dense({ units: 1 }).apply(x) }).compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [2] }))
      .toThrow(/lossWeights applies to models with several outputs/);
  });

  it('exports to ONNX with an output per head (and two inputs), checked in onnxruntime at batches 1 and 37', async () => {
    const a = input({ shape: [4], name: 'a' }), b = input({ shape: [2], name: 'b' });
    const trunk = layers.dense({ units: 8, activation: 'tanh', name: 'trunk' }).apply(layers.concatenate().apply([a, b]));
    const m = model({ inputs: [a, b], outputs: [layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(trunk), layers.dense({ units: 2, name: 'reg' }).apply(trunk)], seed: 2 });
    const bytes = await m.exportOnnx();
    expect(onnx.ModelProto.decode(bytes).graph!.output!.map((o) => o.name)).toEqual(['cls', 'reg']);
    for (const rows of [1, 37]) {
      const r = new Random(rows);
      const xa = tensor(Float32Array.from({ length: rows * 4 }, () => r.normal()), [rows, 4]);
      const xb = tensor(Float32Array.from({ length: rows * 2 }, () => r.normal()), [rows, 2]);
      const report = await verifyOnnx(m, bytes, { a: xa, b: xb }, float32Tolerance(8, 2));
      expect(report.passed, JSON.stringify(report.worst)).toBe(true);
      expect(report.outputName).toBe('cls, reg');
    }
    await expect(m.exportOnnx({ outputs: 'probabilities' })).rejects.toThrow(/outputs 'probabilities' adds a head to a model's one output; this model has 2 \(cls, reg\)/);
  });

  it('streamed batches (data.fromBatches) and data.fromTensors take inputs and targets as arrays or objects too', async () => {
    const make = () => { const m = twoHeads(4); m.compile({ optimizer: 'sgd', loss: ['softmaxCrossEntropy', 'mse'] }); return m; };
    const [a, b, c] = [make(), make(), make()];
    const ha = await a.fit(train.x, [train.cls, train.reg], { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    const rows = (k: number) => ({ start: k * 64, end: (k + 1) * 64 });
    const slice = (t: Tensor, k: number) => tensor(t.data.slice(rows(k).start * (t.size / 512), rows(k).end * (t.size / 512)) as Float32Array, [64, ...t.shape.slice(1)], t.dtype);
    const stream = data.fromBatches(function* () {
      for (let k = 0; k < 8; k++) yield { x: slice(train.x, k), y: { cls: slice(train.cls, k), reg: slice(train.reg, k) } };
    });
    const hb = await b.fit(stream, { epochs: 1, verbose: 0 });
    expect(hb.history.loss).toEqual(ha.history.loss);
    const hc = await c.fit(data.fromTensors(train.x, [train.cls, train.reg]), { epochs: 1, batchSize: 64, shuffle: false, verbose: 0 });
    expect(hc.history.loss).toEqual(ha.history.loss);
  });
});
