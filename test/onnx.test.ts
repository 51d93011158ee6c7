// ONNX export: every layer alone and in stacks, loaded in onnxruntime-node and
// compared with gradloop's predictions; metadata; the trained MNIST model; errors.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../examples/mnist-data.js';
import { MNIST_FIT, mnistModel } from '../examples/mnist-model.js';
import { Layer, layers, sequential, type Sequential, tensor, type Tensor, verifyOnnx } from '../src/index.js';
import type { NodeSpec } from '../src/backend/native.js';
import { onnx } from '../src/onnx/proto.js';
import { Random } from '../src/random.js';
import { VERSION } from '../src/version.js';
import { float32Tolerance } from './helpers/tolerance.js';
import { OP_CASES } from './cases/index.js';
import { caseModel } from './cases/case.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gradloop-onnx-'));
const file = (name: string) => path.join(dir, name);

function rows(n: number, shape: number[], seed = 1): Tensor {
  const r = new Random(seed);
  const per = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n * per }, () => r.normal()), [n, ...shape]);
}

// The layer cases below reduce over at most 32 inputs, through at most 4 layers.
const LAYER_TOLERANCE = float32Tolerance(32, 4);

async function roundTrip(model: Sequential, x: Tensor, opset = 17) {
  const target = file(`${model.name}-${opset}.onnx`);
  await model.exportOnnx(target, { opset });
  return verifyOnnx(model, target, x, LAYER_TOLERANCE);
}

describe('every layer maps to ONNX and matches gradloop in onnxruntime', () => {
  // Every op's cases (test/cases/<op>.ts), at batch sizes 1 and 37.
  it.each(OP_CASES.map(([op, c]) => [`${op}: ${c.name}`, c] as const))('%s', async (_name, c) => {
    const model = caseModel(c, { seed: 2 });
    const shape = model.inputShape;
    const r = new Random(5);
    for (const n of [1, 37]) {
      const made = c.onnxInput?.(n, shape.reduce((a, b) => a * b, 1));
      const x = made
        ? tensor(made, [n, ...shape], made instanceof Int32Array ? 'int32' : 'float32')
        : c.vocab
        ? tensor(Int32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => r.int(c.vocab!)), [n, ...shape], 'int32')
        : rows(n, shape);
      const target = file(`${model.name}-case.onnx`);
      await model.exportOnnx(target);
      const report = await verifyOnnx(model, target, x, float32Tolerance(c.onnx.reduction, c.onnx.depth));
      expect(report.passed, JSON.stringify(report.worst)).toBe(true);
      expect(report.argmaxAgreement).toBe(1);
      expect(report.rows).toBe(n);
      for (const op of c.onnx.ops) expect(report.ops).toContain(op);
      expect(report.ops).not.toContain('Dropout');
    }
  });

  it('a realistic stack, batch sizes 1 and 37', async () => {
    const model = sequential([
      layers.dense({ inputShape: [12], units: 32, activation: 'relu' }), layers.dropout({ rate: 0.2 }),
      layers.dense({ units: 16, activation: 'gelu' }), layers.dense({ units: 8 }), layers.leakyRelu(), layers.dense({ units: 4 }),
    ], { seed: 3 });
    for (const n of [1, 37]) {
      const report = await roundTrip(model, rows(n, [12]));
      expect(report.passed, JSON.stringify(report.worst)).toBe(true);
      for (const op of ['Gemm', 'Relu', 'Erf', 'LeakyRelu']) expect(report.ops).toContain(op);
    }
  });

  it("tokenIds: 'int64' declares an int64 input, as PyTorch/NumPy pipelines feed", async () => {
    const model = sequential([layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 4 }), layers.flatten(), layers.dense({ units: 2 })], { seed: 4 });
    const ids = tensor(Int32Array.from({ length: 5 * 4 }, (_, i) => (i * 7) % 9), [5, 4], 'int32');
    const bytes = await model.exportOnnx(file('ids64.onnx'), { tokenIds: 'int64' });
    expect(onnx.ModelProto.decode(bytes).graph!.input![0].type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.INT64);
    const report = await verifyOnnx(model, file('ids64.onnx'), ids);
    expect(report.passed).toBe(true);
    expect(report.ops).toEqual(['Gather', 'Flatten', 'Gemm']);
    await expect(sequential([layers.dense({ inputShape: [2], units: 2 })]).exportOnnx({ tokenIds: 'int64' })).rejects.toThrow(/tokenIds applies to models with token-id inputs \(int32, for an embedding\)/);
  });

  it('gelu uses the Gelu operator from opset 20 and the erf form before', async () => {
    const model = sequential([layers.dense({ inputShape: [4], units: 4, activation: 'gelu' })], { seed: 2 });
    const at20 = await roundTrip(model, rows(9, [4]), 20);
    expect(at20.ops).toEqual(['Gemm', 'Gelu']);
    expect(at20.passed).toBe(true);
    const at17 = await roundTrip(model, rows(9, [4]), 17);
    expect(at17.ops).toEqual(['Gemm', 'Div', 'Erf', 'Add', 'Mul']);
    expect(at17.passed).toBe(true);
  });

  it('exports opsets 13 to 21, each loadable by onnxruntime', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 4, activation: 'gelu' }), layers.softmax()], { seed: 2 });
    for (let opset = 13; opset <= 21; opset++) {
      const report = await roundTrip(model, rows(3, [3]), opset);
      expect(report.opset).toBe(opset);
      expect(report.passed).toBe(true);
    }
  });
});

// The official checker from Debian's python3-onnx (onnx 1.12, installed by scripts/setup.sh).
const checkerPython = '/usr/bin/python3';
const hasChecker = spawnSync(checkerPython, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

describe('the official onnx checker', () => {
  // Skipped only where python3-onnx is not installed (scripts/setup.sh installs it).
  it.skipIf(!hasChecker)('accepts every layer at opsets 13 and 17 with full shape inference (onnx 1.12)', async () => {
    const model = sequential([
      layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 3 }), layers.flatten(),
      layers.dense({ units: 8, activation: 'gelu' }), layers.dropout({ rate: 0.1 }), layers.dense({ units: 5, activation: 'leakyRelu' }),
      layers.tanh(), layers.sigmoid(), layers.relu(), layers.dense({ units: 3, useBias: false }), layers.softmax(),
    ], { seed: 1 });
    const deep = sequential([layers.dense({ inputShape: [2, 3], units: 4, activation: 'relu' }), layers.flatten(), layers.dense({ units: 2 })], { seed: 1 });
    deep.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const files: string[] = [];
    for (const opset of [13, 17]) {
      await model.exportOnnx(file(`checker-${opset}.onnx`), { opset });
      await deep.exportOnnx(file(`checker-deep-${opset}.onnx`), { opset, outputs: 'probabilities' });
      files.push(file(`checker-${opset}.onnx`), file(`checker-deep-${opset}.onnx`));
    }
    const script = 'import onnx, sys\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok", onnx.__version__)';
    const run = spawnSync(checkerPython, ['-c', script, ...files], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^ok 1\./);
  });
});

describe('the model file', () => {
  it('has named input and output, a symbolic batch dimension, float32 weights and metadata', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })], { name: 'tiny', seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const history = await model.fit(rows(8, [3]), tensor([0, 1, 0, 1, 0, 1, 0, 1], [8], 'int32'), { epochs: 2, verbose: 0 });
    const bytes = await model.exportOnnx();
    const proto = onnx.ModelProto.decode(bytes);
    expect(Number(proto.irVersion)).toBe(8);
    expect(proto.opsetImport.map((o) => Number(o.version))).toEqual([17]);
    expect(proto.producerName).toBe('gradloop');
    expect(proto.producerVersion).toBe(VERSION);
    expect(proto.docString).toContain('tiny');
    const input = proto.graph!.input![0];
    expect(input.name).toBe('input');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 3]);
    expect(proto.graph!.output![0].name).toBe('logits');
    const kernel = proto.graph!.initializer!.find((t) => t.name === 'dense_1/kernel')!;
    expect(kernel.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(kernel.dims!.map(Number)).toEqual([3, 2]);
    // rawData decodes as a view into a pooled buffer: copy out exactly its bytes.
    expect(Array.from(new Float32Array(Uint8Array.from(kernel.rawData!).buffer))).toEqual(Array.from(model.getWeights()[0].data));
    const meta = Object.fromEntries(proto.metadataProps!.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta['gradloop.layers'])[0].className).toBe('Dense');
    expect(JSON.parse(meta['gradloop.input_shape'])).toEqual(['batch', 3]);
    expect(meta['gradloop.loss']).toBe('softmaxCrossEntropy');
    expect(JSON.parse(meta['gradloop.optimizer']).type).toBe('adam');
    expect(JSON.parse(meta['gradloop.training'])).toMatchObject({ epochs: 2, batchSize: 32, samples: 8 });
    // The last epoch's metrics, exactly as the fit reported them.
    expect(JSON.parse(meta['gradloop.training']).final).toMatchObject({ loss: history.history.loss[1], accuracy: history.history.accuracy[1] });
    expect(package_version()).toBe(VERSION);
  });

  it("outputs: 'probabilities' adds a softmax head", async () => {
    const model = sequential([layers.dense({ inputShape: [5], units: 4 })], { seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    await model.exportOnnx(file('probs.onnx'), { outputs: 'probabilities' });
    const report = await verifyOnnx(model, file('probs.onnx'), rows(6, [5]));
    expect(report.outputName).toBe('probabilities');
    expect(report.ops).toEqual(['Gemm', 'Softmax']);
    expect(report.passed).toBe(true);
    const session = await ort.InferenceSession.create(file('probs.onnx'));
    const out = (await session.run({ input: new ort.Tensor('float32', rows(2, [5]).data, [2, 5]) })).probabilities.data as Float32Array;
    expect(out[0] + out[1] + out[2] + out[3]).toBeCloseTo(1, 6);
  });
});

describe('a trained MNIST model', () => {
  let model: Sequential;
  let xTest: Tensor, yTest: Tensor;
  beforeAll(async () => {
    const data = await loadMnist();
    xTest = data.xTest;
    yTest = data.yTest;
    model = mnistModel();
    await model.fit(data.xTrain, data.yTrain, { ...MNIST_FIT, verbose: 0 });
    await model.exportOnnx(file('mnist.onnx'));
  }, 120_000);

  it('gives the same logits (within float32 rounding over 784-512-256 sums) and argmax on every row, at batch sizes 1 and 37', async () => {
    for (const n of [1, 37]) {
      const sample = tensor(xTest.data.slice(0, n * 784), [n, 784]);
      // Three layers reducing over up to 784 inputs: rtol 4e-5, and the logits reach about 30.
      const report = await verifyOnnx(model, file('mnist.onnx'), sample, float32Tolerance(784, 3));
      expect(report.passed, JSON.stringify(report.worst)).toBe(true);
      expect(report.argmaxAgreement).toBe(1);
    }
  });

  it('agrees on all 2,000 test digits: every argmax, every logit within atol 1e-5 + rtol 1e-4', async () => {
    // Over 20,000 logits (|logit| up to about 32) the largest difference is a few float32 ulps
    // (OpenBLAS and onnxruntime's MLAS sum in different orders); the default allclose test bounds it.
    const report = await verifyOnnx(model, file('mnist.onnx'), xTest);
    expect(report.rows).toBe(2000);
    expect(report.argmaxAgreement).toBe(1);
    expect(report.passed).toBe(true);
  });

  it('keeps its >= 95% accuracy when scored by onnxruntime alone', async () => {
    const session = await ort.InferenceSession.create(file('mnist.onnx'));
    const out = await session.run({ input: new ort.Tensor('float32', xTest.data, xTest.shape) });
    const logits = out.logits.data as Float32Array;
    let hits = 0;
    for (let r = 0; r < 2000; r++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[r * 10 + c] > logits[r * 10 + best]) best = c;
      if (best === yTest.data[r]) hits++;
    }
    expect(hits / 2000).toBeGreaterThanOrEqual(0.95);
    expect(hits / 2000).toBeCloseTo((await model.evaluate(xTest, yTest)).accuracy!, 10);
  });
});

describe('errors', () => {
  class Scale extends Layer {
    readonly className = 'Scale';
    constructor() { super({}, [], 'scale'); }
    computeOutputShape(input: number[]) { return input; }
    toNodes([input]: number[]): NodeSpec[] { return [{ op: 'activation', name: this.name!, inputs: [input], strings: { activation: 'linear' } }]; }
  }

  it('a layer without an ONNX form is named before anything is written', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 }), new Scale()]);
    expect(model.predict(rows(1, [3])).shape).toEqual([1, 2]); // it runs natively...
    await expect(model.exportOnnx(file('custom.onnx'))).rejects.toThrow(/layer 'scale_1' \(Scale\) has no ONNX mapping/); // ...but does not export
    expect(existsSync(file('custom.onnx'))).toBe(false);
  });

  it('an unwritable path raises an Error naming it', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })]);
    const bad = path.join(dir, 'no-such-folder', 'model.onnx');
    await expect(model.exportOnnx(bad)).rejects.toThrow(`exportOnnx: cannot write '${bad}'`);
    await expect(model.exportOnnx(dir)).rejects.toThrow(/exportOnnx: cannot write/); // a folder
  });

  it('bad options', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })]);
    await expect(model.exportOnnx({ opset: 12 })).rejects.toThrow(/opset must be an integer >= 13/);
    await expect(model.exportOnnx({ opset: 22 })).rejects.toThrow(/opset must be between 13 and 21/);
    await expect(model.exportOnnx({ outputs: 'scores' as never })).rejects.toThrow(/outputs must be one of 'logits', 'probabilities'/);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(model.exportOnnx({ outputs: 'probabilities' })).rejects.toThrow(/needs a model compiled with softmaxCrossEntropy/);
  });

  it("atol counts in units of the output's scale (its root mean square, at least 1)", async () => {
    // Outputs of about 100: a difference of 5e-4 is float32-sized there (atol 1e-5 x 100 = 1e-3
    // allowed, even for an output near zero); 5e-3 is not.
    const model = sequential([layers.dense({ inputShape: [3], units: 2, kernelInitializer: 'ones' })], { seed: 1 });
    const x = tensor(Float32Array.from([40, 30, 30, 50, 25, 25, -10, 5, 5, 20, 20, 10]), [4, 3]);
    const w = model.getWeights();
    const stale = async (shift: number) => {
      w[1].data[1] = shift;
      model.setWeights(w);
      await model.exportOnnx(file('scaled.onnx'));
      w[1].data[1] = 0;
      model.setWeights(w);
      return verifyOnnx(model, file('scaled.onnx'), x);
    };
    const small = await stale(5e-4);
    expect(small.scales[0]).toBeCloseTo(Math.sqrt((100 ** 2 + 100 ** 2 + 0 + 50 ** 2) / 4), 3);
    expect(small.passed).toBe(true);
    expect((await stale(5e-3)).passed).toBe(false);
  });

  it('a mismatch is reported with the worst row, not thrown', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 });
    await model.exportOnnx(file('stale.onnx'));
    const w = model.getWeights();
    w[1].data[1] += 0.5;
    model.setWeights(w);
    const report = await verifyOnnx(model, file('stale.onnx'), rows(4, [3]));
    expect(report.passed).toBe(false);
    expect(report.maxAbsDiff).toBeCloseTo(0.5, 5);
    expect(report.worst).toMatchObject({ column: 1 });
    expect(report.worst!.expected - report.worst!.actual).toBeCloseTo(0.5, 5);
  });

  it("a file onnxruntime cannot load gives an Error carrying onnxruntime's message", async () => {
    writeFileSync(file('garbage.onnx'), 'this is not a protobuf');
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })]);
    await expect(verifyOnnx(model, file('garbage.onnx'), rows(1, [3]))).rejects.toThrow(/verifyOnnx: onnxruntime could not load '.*garbage\.onnx': .+/);
    await expect(verifyOnnx(model, file('missing.onnx'), rows(1, [3]))).rejects.toThrow(/verifyOnnx: cannot read/);
  });
});

function package_version(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}
