// Whole-epoch metrics (issue 20, item 1) against scikit-learn. The fixtures (test/fixtures/metrics/)
// hold inputs and the values scikit-learn 1.2.1 computed from them, once, with make_sklearn_fixtures.py.
// The models here output their inputs (identity kernels, no bias) through the output's link, so
// both sides see the same predictions: counts-based scores agree to double rounding; AUC too, because
// the fixture's tied scores (rounded logits) stay tied in float32; errors of float32 predictions
// against float64 ones agree to 1e-6.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { input, layers, loadModel, losses, type Metric, metrics, model, optimizers, plotHistory, sequential, tensor } from '../src/index.js';
import { parseRunConfig } from '../src/cli/config.js';

type Expected = Record<string, number | number[][]>;
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/metrics/sklearn.json', import.meta.url), 'utf8'));

/** dense(units, activation) with an identity kernel: the output's pre-activation values are its inputs. */
function identity(units: number, activation: 'sigmoid' | 'softmax' | 'linear', inputShape: number[]) {
  const m = sequential([layers.dense({ units, activation, useBias: false, inputShape, name: 'out' })]);
  const eye = new Float32Array(units * units);
  for (let i = 0; i < units; i++) eye[i * units + i] = 1;
  m.setWeights([eye]);
  return m;
}

const flat = (rows: number[][] | number[][][]) => Float32Array.from((rows as number[][]).flat(2) as number[]);

/** Every key of `want` found in `got` (under `prefix`), to `digits` decimal places. */
function expectMetrics(got: Record<string, unknown>, want: Expected, names: Record<string, string>, digits = 12): void {
  for (const [key, name] of Object.entries(names)) {
    const value = got[name];
    if (Array.isArray(want[key])) expect(value, name).toEqual(want[key]);
    else expect(value as number, `${name} (scikit-learn's ${key} ${want[key]})`).toBeCloseTo(want[key] as number, digits);
  }
}

describe('metrics against scikit-learn', () => {
  it('binary: accuracy, precision, recall and f1 at thresholds, exact AUC and average precision with ties, mse, confusion matrix; weighted too', async () => {
    const { x, y, w, expected } = fixtures.binary;
    const n = x.length;
    const list: Metric[] = [
      'accuracy', 'precision', 'recall', 'f1', metrics.precision({ threshold: 0.3, name: 'precisionAt0.3' }), metrics.recall({ threshold: 0.7, name: 'recallAt0.7' }),
      'auc', metrics.auc({ curve: 'PR' }), 'mse', 'confusionMatrix',
    ];
    const m = identity(1, 'sigmoid', [1]);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy', metrics: list, weightedMetrics: list });
    const r = await m.evaluate(tensor(Float32Array.from(x), [n, 1]), tensor(Float32Array.from(y), [n, 1]), { sampleWeight: Float32Array.from(w), batchSize: 37 });
    const keys = ['accuracy', 'precision', 'recall', 'f1', 'precisionAt0.3', 'recallAt0.7', 'auc', 'averagePrecision'];
    expectMetrics(r, expected.plain, Object.fromEntries(keys.map((k) => [k, k])));
    expectMetrics(r, expected.weighted, Object.fromEntries(keys.map((k) => [k, `weighted${k[0].toUpperCase()}${k.slice(1)}`])));
    expect(r.mse).toBeCloseTo(expected.plain.mse, 7);
    expect(r.weightedMse).toBeCloseTo(expected.weighted.mse, 7);
    expect(r.confusionMatrix).toEqual(expected.plain.confusionMatrix);
    expect(r.confusionMatrices!.weightedConfusionMatrix.flat().map((v) => +v.toFixed(9))).toEqual(expected.weighted.confusionMatrix.flat());
  });

  it('several classes: macro, micro and weighted averages, one class, one-vs-rest AUC, top-k, confusion matrix; weighted too', async () => {
    const { z, labels, w, expected } = fixtures.classes;
    const n = z.length, C = z[0].length;
    const list: Metric[] = [
      'accuracy',
      ...(['precision', 'recall', 'f1'] as const).flatMap((kind) => [
        ...(['macro', 'micro', 'weighted'] as const).map((average) => ({ kind, average, name: `${kind}_${average}` })),
        { kind, classId: 2, name: `${kind}_class2` },
      ]),
      metrics.auc({ name: 'auc_macro' }), metrics.auc({ average: 'weighted', name: 'auc_weighted' }), metrics.auc({ classId: 1, name: 'auc_class1' }),
      metrics.auc({ curve: 'PR', name: 'averagePrecision_macro' }), metrics.topKCategoricalAccuracy({ k: 2, name: 'top2' }), 'confusionMatrix',
    ];
    const m = identity(C, 'softmax', [C]);
    m.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy', metrics: list, weightedMetrics: list });
    const r = await m.evaluate(tensor(flat(z), [n, C]), tensor(Int32Array.from(labels), [n], 'int32'), { sampleWeight: Float32Array.from(w), batchSize: 64 });
    const keys = Object.keys(expected.plain).filter((k) => k !== 'confusionMatrix');
    expectMetrics(r, expected.plain, Object.fromEntries(keys.map((k) => [k, k])), 7);
    expectMetrics(r, expected.weighted, Object.fromEntries(keys.map((k) => [k, `weighted${k[0].toUpperCase()}${k.slice(1)}`])), 7);
    expect(r.confusionMatrix).toEqual(expected.plain.confusionMatrix);

    // The same predictions with one-hot targets (categoricalCrossEntropy) score the same.
    const oneHot = new Float32Array(n * C);
    labels.forEach((c: number, i: number) => (oneHot[i * C + c] = 1));
    const m2 = identity(C, 'softmax', [C]);
    m2.compile({ optimizer: 'sgd', loss: 'categoricalCrossEntropy', metrics: ['categoricalAccuracy', metrics.f1({ average: 'macro' }), metrics.auc({ average: 'weighted' })] });
    const r2 = await m2.evaluate(tensor(flat(z), [n, C]), tensor(oneHot, [n, C]));
    expect(r2.categoricalAccuracy).toBeCloseTo(expected.plain.accuracy, 12);
    expect(r2.f1).toBeCloseTo(expected.plain.f1_macro, 7);
    expect(r2.auc).toBeCloseTo(expected.plain.auc_weighted, 7);
  });

  it('multi-label sigmoid outputs: micro, macro and weighted averages, AUC over the labels, binary accuracy at two thresholds', async () => {
    const { x, y, w, expected } = fixtures.multilabel;
    const n = x.length, L = x[0].length;
    const list: Metric[] = [
      ...(['precision', 'recall', 'f1'] as const).flatMap((kind) => (['micro', 'macro', 'weighted'] as const).map((average) => ({ kind, average, name: `${kind}_${average}` }))),
      metrics.auc({ name: 'auc_macro' }), metrics.auc({ average: 'weighted', name: 'auc_weighted' }), metrics.auc({ curve: 'PR', name: 'averagePrecision_macro' }),
      'binaryAccuracy', metrics.binaryAccuracy({ threshold: 0.7, name: 'binaryAccuracyAt0.7' }),
    ];
    const m = identity(L, 'sigmoid', [L]);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy', metrics: list, weightedMetrics: list });
    const r = await m.evaluate(tensor(flat(x), [n, L]), tensor(flat(y), [n, L]), { sampleWeight: Float32Array.from(w) });
    const keys = Object.keys(expected.plain);
    expectMetrics(r, expected.plain, Object.fromEntries(keys.map((k) => [k, k])), 10);
    expectMetrics(r, expected.weighted, Object.fromEntries(keys.map((k) => [k, `weighted${k[0].toUpperCase()}${k.slice(1)}`])), 10);
  });

  it('regression: mae, mse, rmse and R² (averaged over outputs; a constant target scores 0); weighted too', async () => {
    const { pred, target, w, expected } = fixtures.regression;
    const n = pred.length;
    const m = identity(3, 'linear', [3]);
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mse', 'rmse', 'r2'], weightedMetrics: ['mae', 'mse', 'rmse', 'r2'] });
    const r = await m.evaluate(tensor(flat(pred), [n, 3]), tensor(flat(target), [n, 3]), { sampleWeight: Float32Array.from(w), batchSize: 16 });
    expectMetrics(r, expected.plain, { mae: 'mae', mse: 'mse', rmse: 'rmse', r2: 'r2' }, 6);
    expectMetrics(r, expected.weighted, { mae: 'weightedMae', mse: 'weightedMse', rmse: 'weightedRmse', r2: 'weightedR2' }, 6);
    // The loss is the same mean squared error, weighted by the samples.
    expect(r.loss).toBeCloseTo(expected.weighted.mse, 6);
  });

  it('a sequence of class predictions: every position counts, padding labels (ignoreIndex) do not', async () => {
    const { z, labels, expected } = fixtures.sequence;
    const n = z.length, T = z[0].length, C = z[0][0].length;
    const m = identity(C, 'softmax', [T, C]);
    m.compile({ optimizer: 'sgd', loss: losses.softmaxCrossEntropy({ ignoreIndex: -1 }), metrics: ['accuracy', metrics.f1({ average: 'macro' }), 'confusionMatrix'], weightedMetrics: ['accuracy'] });
    const r = await m.evaluate(tensor(flat(z), [n, T, C]), tensor(Int32Array.from(labels.flat()), [n, T], 'int32'));
    expect(r.accuracy).toBeCloseTo(expected.accuracy, 12);
    expect(r.weightedAccuracy).toBeCloseTo(expected.accuracy, 12); // no weights given: the same
    expect(r.f1).toBeCloseTo(expected.f1_macro, 12);
    expect(r.confusionMatrix).toEqual(expected.confusionMatrix);
  });
});

describe('metrics in fit', () => {
  const { x, y, w, expected } = fixtures.binary;
  const n = x.length;
  const xs = tensor(Float32Array.from(x), [n, 1]), ys = tensor(Float32Array.from(y), [n, 1]);

  it('are computed over the whole epoch, not averaged over batches, for training and validation data', async () => {
    const m = identity(1, 'sigmoid', [1]);
    m.layers[0].trainable = false; // the predictions stay those of the fixture for the whole epoch
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy', metrics: ['precision', 'recall', 'auc'] });
    const h = await m.fit(xs, ys, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0, validationData: [xs, ys] });
    for (const key of ['precision', 'recall', 'auc']) {
      expect(h.history[key], key).toHaveLength(2);
      expect(h.history[key][1], key).toBeCloseTo(expected.plain[key], 12);
      expect(h.history[`val${key[0].toUpperCase()}${key.slice(1)}`][1], key).toBeCloseTo(expected.plain[key], 12);
    }
    // The mean of per-batch precisions (what a per-batch metric would report) is another number.
    let sum = 0, batches = 0;
    for (let start = 0; start < n; start += 16) {
      let tp = 0, fp = 0;
      for (let i = start; i < Math.min(start + 16, n); i++) if (x[i] > 0) (y[i] === 1 ? tp++ : fp++);
      sum += tp + fp ? tp / (tp + fp) : 0;
      batches++;
    }
    expect(Math.abs(sum / batches - h.history.precision[0])).toBeGreaterThan(1e-3);
  });

  it('weightedMetrics follow sampleWeight and classWeight; metrics stay unweighted', async () => {
    const m = identity(1, 'sigmoid', [1]);
    m.layers[0].trainable = false;
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy', metrics: ['auc', 'precision'], weightedMetrics: ['auc', 'precision'] });
    const h = await m.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0, sampleWeight: Float32Array.from(w) });
    expect(h.history.auc[0]).toBeCloseTo(expected.plain.auc, 12);
    expect(h.history.weightedAuc[0]).toBeCloseTo(expected.weighted.auc, 12);
    expect(h.history.weightedPrecision[0]).toBeCloseTo(expected.weighted.precision, 12);

    const byClass = await m.fit(xs, ys, { epochs: 1, batchSize: 32, verbose: 0, classWeight: { 0: 1, 1: 3 } });
    const perSample = Float32Array.from(y, (v: number) => (v === 1 ? 3 : 1));
    const r = await m.evaluate(xs, ys, { sampleWeight: perSample });
    expect(byClass.history.weightedAuc[0]).toBeCloseTo(r.weightedAuc, 12);
    expect(byClass.history.weightedPrecision[0]).toBeCloseTo(r.weightedPrecision, 12);
    expect(byClass.history.precision[0]).toBeCloseTo(expected.plain.precision, 12);
    expect(byClass.history.weightedPrecision[0]).not.toBeCloseTo(expected.plain.precision, 3);
  });

  it('train a real classifier: AUC rises, the history, progress lines and report carry the metrics and the confusion matrix', async () => {
    // Two noisy classes in 4 features; a small MLP.
    const rows = 600, f = 4;
    const xs2 = new Float32Array(rows * f), ys2 = new Float32Array(rows);
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < f; j++) xs2[i * f + j] = rand();
      ys2[i] = xs2[i * f] * xs2[i * f + 1] + 0.3 * rand() > 0 ? 1 : 0;
    }
    const m = sequential([layers.dense({ units: 16, activation: 'relu', inputShape: [f] }), layers.dense({ units: 1, activation: 'sigmoid' })], { seed: 3 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'binaryCrossEntropy', metrics: ['accuracy', 'auc', 'f1', 'confusionMatrix'] });
    const lines: string[] = [];
    const h = await m.fit(tensor(xs2, [rows, f]), tensor(ys2, [rows, 1]), { epochs: 15, batchSize: 32, seed: 1, validationSplit: 0.25, verbose: 1, printFn: (l: string) => lines.push(l) });
    expect(h.history.auc[14]).toBeGreaterThan(h.history.auc[0] + 0.1);
    expect(h.history.valAuc[14]).toBeGreaterThan(0.85);
    expect(lines.some((l) => /valAuc: 0\.\d{4}/.test(l) && /f1: 0\.\d{4}/.test(l))).toBe(true);
    // The matrix counts the validation rows.
    const valMatrix = h.confusionMatrices.valConfusionMatrix;
    expect(valMatrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-metrics-')), 'report.html');
    const html = Buffer.from(await plotHistory(h, file, { model: m })).toString();
    expect(html).toContain('<section id="confusion">');
    expect(html).toContain('valConfusionMatrix');
    expect(html).toContain(`predicted ${0}: ${valMatrix[1][0]}`);
  });
});

describe('metrics with several outputs, checkpoints and run configs', () => {
  it('several outputs: each output its metrics, named label_metric and val_label_metric', async () => {
    const x = input({ shape: [3], name: 'x' });
    const flag = layers.dense({ units: 1, activation: 'sigmoid', name: 'flag' }).apply(x);
    const value = layers.dense({ units: 2, name: 'value' }).apply(x);
    const m = model({ inputs: x, outputs: [flag, value], seed: 1 });
    m.compile({ optimizer: 'adam', loss: ['binaryCrossEntropy', 'mse'], metrics: { flag: ['auc', 'precision'], value: ['r2'] } });
    const rows = 64;
    const xs = tensor(Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)), [rows, 3]);
    const flags = tensor(Float32Array.from({ length: rows }, (_, i) => (Math.sin(3 * i) > 0 ? 1 : 0)), [rows, 1]);
    const values = tensor(Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(i)), [rows, 2]);
    const h = await m.fit(xs, [flags, values], { epochs: 1, batchSize: 16, verbose: 0, validationData: [xs, [flags, values]] });
    expect(Object.keys(h.history)).toEqual(expect.arrayContaining(['flag_auc', 'flag_precision', 'value_r2', 'val_flag_auc', 'val_flag_precision', 'val_value_r2']));
    const r = await m.evaluate(xs, [flags, values]);
    expect(r.flag_auc).toBeCloseTo(h.history.val_flag_auc[0], 12);
  });

  it('metric objects are saved with the model and work after loadModel', async () => {
    const m = identity(4, 'softmax', [4]);
    const list: Metric[] = ['accuracy', metrics.f1({ average: 'weighted' }), metrics.auc({ curve: 'PR', name: 'pr' })];
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: list, weightedMetrics: ['precision'] });
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-metrics-')), 'ckpt');
    await m.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.compileConfig!.metrics).toEqual(list);
    expect(loaded.compileConfig!.weightedMetrics).toEqual(['precision']);
    const { z, labels } = fixtures.classes;
    const xs = tensor(flat(z), [z.length, 4]), ys = tensor(Int32Array.from(labels), [labels.length], 'int32');
    expect(await loaded.evaluate(xs, ys)).toEqual(await m.evaluate(xs, ys));
  });

  it('run configs take metrics by name and as objects, and say what is wrong with a bad one', () => {
    const base = { name: 'm', data: { source: 'mnist' }, model: { layers: [{ type: 'dense', units: 10 }] }, fit: { epochs: 1 } };
    const config = parseRunConfig({ ...base, compile: { optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy', 'f1', { kind: 'auc', curve: 'PR' }] } }, 'run.json');
    expect(config.compile.metrics).toEqual(['accuracy', 'f1', { kind: 'auc', curve: 'PR' }]);
    expect(() => parseRunConfig({ ...base, compile: { optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: [{ kind: 'auc', curve: 'XY' }] } }, 'run.json')).toThrow(/curve.*'ROC'.*'PR'/);
    expect(() => parseRunConfig({ ...base, compile: { optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['precison'] } }, 'run.json')).toThrow(/unknown metric 'precison'/);
  });
});

describe('metric errors name the metric and the fix', () => {
  const compile = (loss: string, list: Metric[], units = 3, activation: 'softmax' | 'sigmoid' | 'linear' = 'softmax') => () =>
    identity(units, activation, [units]).compile({ optimizer: 'sgd', loss: loss as 'mse', metrics: list });
  it.each([
    ['an unknown name', compile('softmaxCrossEntropy', ['precison']), /compile: metrics\[0\]: unknown metric 'precison'; expected one of .*'precision'/],
    ['auc on a regression loss', compile('mse', ['auc'], 3, 'linear'), /metric 'auc' needs class predictions .* and the loss 'mse' is a regression loss/],
    ['r2 on class labels', compile('softmaxCrossEntropy', ['r2']), /metric 'r2' needs float targets .* gives class scores with class labels/],
    ['binaryAccuracy on class scores', compile('softmaxCrossEntropy', ['binaryAccuracy']), /use 'categoricalAccuracy'/],
    ['a classId the output lacks', compile('softmaxCrossEntropy', [metrics.precision({ classId: 3 })]), /classId 3 is not one of the output's 3 classes \(0 to 2\)/],
    ['a threshold on class scores', compile('softmaxCrossEntropy', [metrics.recall({ threshold: 0.3 })]), /threshold applies to sigmoid outputs/],
    ["average 'binary' on three classes", compile('softmaxCrossEntropy', [metrics.f1({ average: 'binary' })]), /average 'binary' needs a two-way problem .* has 3 classes; use classId/],
    ['k above the classes', compile('softmaxCrossEntropy', ['topKCategoricalAccuracy']), /k is 5 \(the default is 5\), more than the output's 3 classes/],
    ["micro-averaged AUC", compile('softmaxCrossEntropy', [metrics.auc({ average: 'micro' })]), /auc takes average 'macro' or 'weighted'/],
    ['an option the metric lacks', compile('softmaxCrossEntropy', [{ kind: 'mae', threshold: 0.5 } as Metric]), /compile: metrics\[0\] \(mae\): unknown option 'threshold'; known options are kind, name/],
    ['classId and average together', () => metrics.precision({ classId: 1, average: 'macro' }), /give classId \(one class\) or average \(all classes\), not both/],
  ])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});
