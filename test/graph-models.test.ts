// Graph models from the functional API (issue 16): input(), layer.apply(), model({ inputs, outputs });
// several inputs (by array or by name), merges and residual connections, shared layers, freezing
// in a graph, errors that name the layers and shapes, summary's "Connected to", checkpoints.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { input, layers, loadModel, model, optimizers, sequential, tensor, type Tensor, verifyOnnx } from '../src/index.js';
import { onnx } from '../src/onnx/proto.js';
import { float32Tolerance } from './helpers/tolerance.js';
import { loadMnist } from '../examples/mnist-data.js';
import { residualMlp } from '../examples/residual-model.js';
import { Random } from '../src/random.js';

const bits = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// Token ids and numeric features whose label needs both: class = (first token < 10) + (numeric 0 > 0).
// The first token takes 20 ids (each seen often enough to learn its embedding), the rest 1000.
function twoInputData(rows: number, seed: number): { tokens: Tensor; numeric: Tensor; y: Tensor } {
  const r = new Random(seed);
  const ids = new Int32Array(rows * 32), num = new Float32Array(rows * 8), y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < 32; k++) ids[i * 32 + k] = k === 0 ? r.int(20) : r.int(1000);
    for (let k = 0; k < 8; k++) num[i * 8 + k] = r.normal();
    y[i] = (ids[i * 32] < 10 ? 1 : 0) + (num[i * 8] > 0 ? 1 : 0);
  }
  return { tokens: tensor(ids, [rows, 32], 'int32'), numeric: tensor(num, [rows, 8]), y: tensor(y, [rows], 'int32') };
}

function issueExample(seed = 3) {
  const tokens = input({ shape: [32], dtype: 'int32', name: 'tokens' });
  const numeric = input({ shape: [8], name: 'numeric' });
  const t = layers.flatten().apply(layers.embedding({ inputDim: 1000, outputDim: 16 }).apply(tokens));
  const h = layers.dense({ units: 64, activation: 'relu' }).apply(layers.concatenate().apply([t, numeric]));
  const r = layers.add().apply([h, layers.dense({ units: 64, activation: 'relu' }).apply(h)]); // residual
  const out = layers.dense({ units: 3, name: 'label' }).apply(r);
  return model({ inputs: [tokens, numeric], outputs: out, seed });
}

describe('the functional API', () => {
  it("the issue's example trains on two inputs, given as an array or by name, with the same results", async () => {
    const { tokens, numeric, y } = twoInputData(600, 1);
    const a = issueExample(), b = issueExample();
    for (const m of [a, b]) m.compile({ optimizer: optimizers.adam({ learningRate: 0.005 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const ha = await a.fit([tokens, numeric], y, { epochs: 8, batchSize: 32, seed: 5, verbose: 0 });
    const hb = await b.fit({ numeric, tokens }, y, { epochs: 8, batchSize: 32, seed: 5, verbose: 0 });
    expect(hb.history.loss).toEqual(ha.history.loss);
    expect(ha.history.accuracy.at(-1)!).toBeGreaterThan(0.8); // needs both inputs: either alone reaches about 0.5
    expect(bits(a.predict([tokens, numeric]).data).equals(bits(b.predict({ tokens, numeric }).data))).toBe(true);
    expect(a.predict({ tokens, numeric }).shape).toEqual([600, 3]);
    const test = twoInputData(200, 2);
    const { accuracy } = await a.evaluate({ tokens: test.tokens, numeric: test.numeric }, test.y);
    expect(accuracy!).toBeGreaterThan(0.7);
    expect(a.inputShapes).toEqual([[32], [8]]);
  });

  it('two inputs joined by concatenate take the steps of one input holding both, bit for bit', async () => {
    const r = new Random(4);
    const xa = tensor(Float32Array.from({ length: 256 * 3 }, () => r.normal()), [256, 3]);
    const xb = tensor(Float32Array.from({ length: 256 * 2 }, () => r.normal()), [256, 2]);
    const both = tensor(Float32Array.from({ length: 256 * 5 }, (_, i) => (i % 5 < 3 ? xa.data[Math.floor(i / 5) * 3 + (i % 5)] : xb.data[Math.floor(i / 5) * 2 + (i % 5) - 3])), [256, 5]);
    const y = tensor(Int32Array.from({ length: 256 }, (_, i) => (both.data[i * 5] + both.data[i * 5 + 4] > 0 ? 1 : 0)), [256], 'int32');
    const a = input({ shape: [3] }), b = input({ shape: [2] });
    const graph = model({ inputs: [a, b], outputs: layers.dense({ units: 2 }).apply(layers.dense({ units: 8, activation: 'tanh' }).apply(layers.concatenate().apply([a, b]))), seed: 9 });
    const chain = sequential([layers.dense({ inputShape: [5], units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 9 });
    for (const m of [graph, chain]) m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'softmaxCrossEntropy' });
    const hg = await graph.fit([xa, xb], y, { epochs: 3, batchSize: 16, seed: 1, verbose: 0 });
    const hc = await chain.fit(both, y, { epochs: 3, batchSize: 16, seed: 1, verbose: 0 });
    expect(hg.history.loss).toEqual(hc.history.loss);
    graph.getWeights().forEach((w, i) => expect(bits(w.data).equals(bits(chain.getWeights()[i].data))).toBe(true));
  });

  it('a layer applied twice shares one set of weights, trained by both uses', async () => {
    const x = input({ shape: [6] });
    const shared = layers.dense({ units: 6, activation: 'tanh', name: 'shared' });
    const twice = shared.apply(shared.apply(x));
    const m = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.add().apply([twice, x])), seed: 2 });
    const head = m.layers[2].name; // layers in order of first use: shared, add, the dense head
    expect(m.getWeights().map((w) => w.name)).toEqual(['shared/kernel', 'shared/bias', `${head}/kernel`, `${head}/bias`]);
    expect(m.countParams()).toBe(6 * 6 + 6 + 6 * 2 + 2);
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const r = new Random(3);
    const data = tensor(Float32Array.from({ length: 128 * 6 }, () => r.normal()), [128, 6]);
    const y = tensor(Int32Array.from({ length: 128 }, (_, i) => (data.data[i * 6] > 0 ? 1 : 0)), [128], 'int32');
    const before = m.getWeights()[0].data;
    const h = await m.fit(data, y, { epochs: 5, batchSize: 16, verbose: 0 });
    expect(bits(m.getWeights()[0].data).equals(bits(before))).toBe(false);
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0]);
    expect(() => shared.apply(input({ shape: [4] }))).toThrow(/layer 'shared' \(Dense\): applied again to an input of shape \[4\] from input 'input_\d+', but its weights \(\[6, 6\], \[6\]\) were made for \[6\]/);
  });

  it('a frozen layer in a graph keeps its weights', async () => {
    const x = input({ shape: [4] });
    const frozen = layers.dense({ units: 4, activation: 'relu', trainable: false });
    const m = model({ inputs: x, outputs: layers.dense({ units: 2 }).apply(layers.add().apply([x, frozen.apply(x)])), seed: 1 });
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const before = m.getWeights()[0].data;
    const r = new Random(1);
    await m.fit(tensor(Float32Array.from({ length: 64 * 4 }, () => r.normal()), [64, 4]), tensor(Int32Array.from({ length: 64 }, (_, i) => i % 2), [64], 'int32'), { epochs: 2, verbose: 0 });
    expect(bits(m.getWeights()[0].data).equals(bits(before))).toBe(true);
    expect(m.summary(() => {})).toMatch(/Non-trainable params: 20/);
  });

  it('summary() shows what each layer is connected to', () => {
    const text = issueExample().summary(() => {});
    expect(text).toMatch(/Connected to/);
    expect(text).toMatch(/concatenate_\d+ \(Concatenate\)\s+\[null, 520\]\s+0\s+flatten_\d+, numeric/);
    expect(text).toMatch(/add_\d+ \(Add\)\s+\[null, 64\]\s+0\s+dense_\d+, dense_\d+/);
    expect(text).toMatch(/Total params: 53,699\n/); // embedding 16,000 + dense 33,344 + dense 4,160 + label 195
  });

  it('save and loadModel: the same predictions, and training resumes step for step', async () => {
    const { tokens, numeric, y } = twoInputData(200, 3);
    const m = issueExample(11);
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    await m.fit([tokens, numeric], y, { epochs: 1, batchSize: 32, seed: 2, verbose: 0 });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-graph-')), 'ckpt');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.getConfig()).toEqual(m.getConfig());
    expect(bits(loaded.predict({ tokens, numeric }).data).equals(bits(m.predict([tokens, numeric]).data))).toBe(true);
    const [a, b] = [await m.fit([tokens, numeric], y, { epochs: 1, batchSize: 32, seed: 4, verbose: 0 }), await loaded.fit([tokens, numeric], y, { epochs: 1, batchSize: 32, seed: 4, verbose: 0 })];
    expect(b.history.loss).toEqual(a.history.loss);
  });

  it('reshape in a sequential model: [784] to [28, 28, 1] and back', () => {
    const m = sequential([layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }), layers.reshape({ targetShape: [-1] }), layers.dense({ units: 2 })], { seed: 1 });
    expect(m.layerOutputShapes).toEqual([[28, 28, 1], [784], [2]]);
    const x = tensor(Float32Array.from({ length: 784 * 2 }, (_, i) => (i % 7) / 7), [2, 784]);
    const direct = sequential([layers.dense({ inputShape: [784], units: 2 })], { seed: 1 });
    direct.setWeights(m.getWeights());
    expect(bits(m.predict(x).data).equals(bits(direct.predict(x).data))).toBe(true);
    expect(() => layers.reshape({ targetShape: [-1, -1] })).toThrow(/at most one -1/);
    expect(() => sequential([layers.reshape({ inputShape: [10], targetShape: [3, 3] })]).countParams()).toThrow(/cannot reshape \[10\] \(10 values\) to \[3, 3\]/);
  });
});

describe('graph errors name the layers and the shapes', () => {
  it('merging tensors of different shapes', () => {
    const x = input({ shape: [10] });
    const a = layers.dense({ units: 64, name: 'wide' }).apply(x), b = layers.dense({ units: 32, name: 'narrow' }).apply(x);
    expect(() => layers.add({ name: 'join' }).apply([a, b])).toThrow(/layer 'join' \(Add\): inputs must have one shape, got \[64\] and \[32\] \(inputs: \[64\] from layer 'wide', \[32\] from layer 'narrow'\)/);
    expect(() => layers.concatenate({ axis: 1 }).apply([a, input({ shape: [2, 3] })])).toThrow(/inputs must match except along axis 1, got \[64\] and \[2, 3\]/);
    expect(() => layers.subtract().apply([a, a, a])).toThrow(/takes exactly 2 inputs, got 3/);
    expect(() => layers.add().apply(a)).toThrow(/takes 2 to 16 inputs, got 1/);
    expect(() => layers.dense({ units: 2 }).apply([a, b])).toThrow(/takes one input, got 2/);
    expect(() => layers.dense({ units: 2 }).apply(x.shape as never)).toThrow(/input 0 is .*not a symbolic tensor/);
  });

  it('a model whose output needs an input it was not given, or with an unused input', () => {
    const a = input({ shape: [3], name: 'a' }), b = input({ shape: [3], name: 'b' });
    const out = layers.add().apply([a, b]);
    expect(() => model({ inputs: a, outputs: out })).toThrow(/the output depends on input 'b', which is not among inputs/);
    expect(() => model({ inputs: [a, b, input({ shape: [1], name: 'extra' })], outputs: out })).toThrow(/input 'extra' is not connected to the output/);
    expect(() => model({ inputs: [a, b], outputs: [out, out] })).toThrow(/layer 'add_\d+' is listed twice in outputs/);
    expect(() => model({ inputs: [a, b], outputs: a })).toThrow(/outputs is input 'a' itself; apply at least one layer/);
    expect(() => input({ shape: [0] })).toThrow(/input: shape/);
  });

  it('data that does not match the inputs', async () => {
    const m = issueExample();
    const { tokens, numeric } = twoInputData(10, 1);
    expect(() => m.predict(tokens)).toThrow(/the model has 2 inputs \(tokens, numeric\); pass their tensors as an array in that order, or an object \{ tokens, numeric \}/);
    expect(() => m.predict({ tokens })).toThrow(/no data for input 'numeric'/);
    expect(() => m.predict({ tokens, numeric, other: numeric })).toThrow(/no input named 'other'/);
    expect(() => m.predict([numeric, tokens])).toThrow(/x\[0\] \(input 'tokens'\): each sample has shape \[8\] but the model expects \[32\]/);
    expect(() => m.predict({ tokens: tensor(new Int32Array(32 * 10).fill(1000), [10, 32], 'int32'), numeric })).toThrow(/x\.tokens: token id 1000 at sample 0 is outside \[0, 1000\) of layer 'embedding_\d+'/);
    expect(() => m.predict({ tokens, numeric: tensor(new Float32Array(8 * 9), [9, 8]) })).toThrow(/input 'tokens' has 10 samples but 'numeric' has 9/);
  });
});

describe('ONNX export of graph models, checked in onnxruntime-node', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradloop-graph-onnx-'));

  it("the issue's example: two named inputs (int32 ids, float32 features), concatenate, residual add; batches of 1 and 37", async () => {
    const m = issueExample(7);
    const file = path.join(dir, 'two-inputs.onnx');
    await m.exportOnnx(file);
    for (const rows of [1, 37]) {
      const { tokens, numeric } = twoInputData(rows, rows);
      const report = await verifyOnnx(m, file, { tokens, numeric }, float32Tolerance(520, 4));
      expect(report.passed, JSON.stringify(report.worst)).toBe(true);
      expect(report.inputName).toBe('tokens, numeric');
      expect(report.ops).toEqual(expect.arrayContaining(['Gather', 'Flatten', 'Concat', 'Gemm', 'Relu', 'Add']));
    }
    // int64 token ids, the usual type in Python pipelines
    await m.exportOnnx(path.join(dir, 'ids64.onnx'), { tokenIds: 'int64' });
    const { tokens, numeric } = twoInputData(5, 9);
    expect((await verifyOnnx(m, path.join(dir, 'ids64.onnx'), [tokens, numeric], float32Tolerance(520, 4))).passed).toBe(true);
  });

  it('every merge mode, a shared layer (its weights stored once), reshape and a sigmoid output', async () => {
    const x = input({ shape: [6], name: 'x' });
    const shared = layers.dense({ units: 6, activation: 'tanh' });
    const a = shared.apply(x), b = shared.apply(a);
    const merged = [layers.add, layers.subtract, layers.multiply, layers.average, layers.maximum, layers.minimum].map((merge) => merge().apply([a, b]));
    const three = layers.add().apply([a, b, x]);
    const joined = layers.concatenate().apply([...merged, three]);
    const squared = layers.reshape({ targetShape: [7, 6] }).apply(joined);
    const out = layers.dense({ units: 1, activation: 'sigmoid' }).apply(layers.flatten().apply(squared));
    const m = model({ inputs: x, outputs: out, seed: 3 });
    const bytes = await m.exportOnnx();
    const initializers = onnx.ModelProto.decode(bytes).graph!.initializer!.map((t) => t.name);
    expect(initializers.filter((n) => n!.startsWith(`${shared.name}/`))).toHaveLength(2);
    const r = new Random(2);
    const rows = tensor(Float32Array.from({ length: 37 * 6 }, () => r.normal()), [37, 6]);
    const report = await verifyOnnx(m, bytes, rows, float32Tolerance(42, 4));
    expect(report.passed, JSON.stringify(report.worst)).toBe(true);
    expect(report.ops).toEqual(expect.arrayContaining(['Sub', 'Mul', 'Mean', 'Max', 'Min', 'Sum', 'Concat', 'Reshape', 'Sigmoid']));
  });
});

describe('a residual MLP on the bundled digits (examples/residual-model.ts)', () => {
  it('trains, and a run resumed from its checkpoint takes the uninterrupted run\'s steps; the ONNX export checks out', async () => {
    const { xTrain, yTrain, xTest, yTest } = await loadMnist(4000);
    const fit = { batchSize: 128, seed: 3, verbose: 0 as const };
    const straight = residualMlp({ width: 128 });
    const hs = await straight.fit(xTrain, yTrain, { ...fit, epochs: 4 });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-residual-')), 'ckpt');
    const first = residualMlp({ width: 128 });
    await first.fit(xTrain, yTrain, { ...fit, epochs: 2, callbacks: [{ onEpochEnd: () => first.save(dir) }] });
    const resumed = await loadModel(dir);
    const hr = await resumed.fit(xTrain, yTrain, { ...fit, epochs: 4, resumeFrom: dir });
    expect(hr.history.loss).toEqual(hs.history.loss.slice(2));
    expect(bits(resumed.predict(xTest).data).equals(bits(straight.predict(xTest).data))).toBe(true);
    expect((await resumed.evaluate(xTest, yTest)).accuracy!).toBeGreaterThan(0.9);
    const report = await verifyOnnx(resumed, await resumed.exportOnnx(), tensor(xTest.data.slice(0, 37 * 784), [37, 784]), float32Tolerance(784, 5));
    expect(report.passed, JSON.stringify(report.worst)).toBe(true);
  });
});
