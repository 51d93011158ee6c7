// Sample and class weights (issue 20, item 2): each sample's loss and gradient are multiplied by
// its weight natively, and the loss is the weighted mean, sum(w loss) / sum(w), so that a weight
// of 2 is the same as the sample appearing twice, and a weight of 0 as its absence.
import { describe, expect, it } from 'vitest';
import { data, layers, losses, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';

const r = new Random(5);
const N = 12;
const x = Float32Array.from({ length: N * 4 }, () => r.uniform() * 2 - 1);
const classes = Int32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0)); // 4 of 12 in class 1
const model = (loss: 'softmaxCrossEntropy' | 'binaryCrossEntropy' | 'mse' = 'softmaxCrossEntropy') => {
  const m = sequential([layers.dense({ inputShape: [4], units: 6, activation: 'tanh' }), layers.dense({ units: loss === 'softmaxCrossEntropy' ? 2 : 1 })], { seed: 3 });
  m.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss });
  return m;
};
const rowsOf = (src: Float32Array | Int32Array, per: number, rows: number[]) => {
  const out = new (src.constructor as Float32ArrayConstructor)(rows.length * per);
  rows.forEach((row, k) => out.set(src.subarray(row * per, (row + 1) * per), k * per));
  return out;
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));

describe('sampleWeight and classWeight', () => {
  it('classWeight { 1: 2 } trains as the data with every class-1 sample twice (full batches)', async () => {
    const weighted = model(), doubled = model();
    const h1 = await weighted.fit(tensor(x, [N, 4]), tensor(classes, [N], 'int32'), { epochs: 3, batchSize: N, shuffle: false, verbose: 0, classWeight: { 1: 2 } });
    const rows = [...Array.from({ length: N }, (_, i) => i), ...Array.from({ length: N }, (_, i) => i).filter((i) => classes[i] === 1)];
    const h2 = await doubled.fit(tensor(rowsOf(x, 4, rows), [rows.length, 4]), tensor(rowsOf(classes, 1, rows), [rows.length], 'int32'), { epochs: 3, batchSize: rows.length, shuffle: false, verbose: 0 });
    close(h1.history.loss as number[], h2.history.loss as number[]);
    weighted.getWeights().forEach((w, k) => close(w.data, doubled.getWeights()[k].data));
  });

  it('a sampleWeight of 0 is the sample left out; accumulateSteps shares the gradient by weight', async () => {
    const w = Float32Array.from({ length: N }, (_, i) => (i < 4 ? 0 : 1 + (i % 2)));
    const zeroed = model('mse'), kept = model('mse'), accumulated = model('mse');
    const y = Float32Array.from({ length: N }, (_, i) => Math.sin(i));
    await zeroed.fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 2, batchSize: N, shuffle: false, verbose: 0, sampleWeight: w });
    await accumulated.fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 2, batchSize: N / 2, accumulateSteps: 2, shuffle: false, verbose: 0, sampleWeight: w });
    const rows = Array.from({ length: N }, (_, i) => i).filter((i) => i >= 4);
    const twice = rows.flatMap((i) => (w[i] === 2 ? [i, i] : [i]));
    await kept.fit(tensor(rowsOf(x, 4, twice), [twice.length, 4]), tensor(rowsOf(y, 1, twice), [twice.length, 1]), { epochs: 2, batchSize: twice.length, shuffle: false, verbose: 0 });
    zeroed.getWeights().forEach((t, k) => close(t.data, kept.getWeights()[k].data));
    accumulated.getWeights().forEach((t, k) => close(t.data, kept.getWeights()[k].data));
  });

  it('validation: validationData takes [x, y, weights]; validationSplit splits the weights with the rows', async () => {
    const m = model('mse');
    const y = Float32Array.from({ length: N }, (_, i) => i / N);
    const vw = Float32Array.from({ length: N }, (_, i) => (i % 2 ? 3 : 1));
    // Validation in batches of 5 (5, 5, 2): the batches count by their weights, not their rows.
    const h = await m.fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 1, batchSize: N, validationBatchSize: 5, verbose: 0, validationData: [tensor(x, [N, 4]), tensor(y, [N, 1]), vw] });
    const p = m.predict(tensor(x, [N, 4])).data;
    let sum = 0, weights = 0;
    for (let i = 0; i < N; i++) sum += vw[i] * (p[i] - y[i]) ** 2, weights += vw[i];
    expect(h.history.valLoss![0]).toBeCloseTo(sum / weights, 6);
    expect((await m.evaluate(tensor(x, [N, 4]), tensor(y, [N, 1]), { batchSize: 5, sampleWeight: vw })).loss).toBeCloseTo(sum / weights, 6);
    // The last quarter (validation) weighs 0: its weighted mean is 0.
    const split = await model('mse').fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 1, verbose: 0, validationSplit: 0.25, sampleWeight: Float32Array.from({ length: N }, (_, i) => (i < 9 ? 1 : 0)) });
    expect(split.history.valLoss![0]).toBe(0);
  });

  it('binaryCrossEntropy reads the 0/1 target as the class; one-hot targets their largest', async () => {
    const y = Float32Array.from(classes);
    const a = model('binaryCrossEntropy'), b = model('binaryCrossEntropy');
    await a.fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 2, batchSize: N, shuffle: false, verbose: 0, classWeight: [1, 3] });
    await b.fit(tensor(x, [N, 4]), tensor(y, [N, 1]), { epochs: 2, batchSize: N, shuffle: false, verbose: 0, sampleWeight: Float32Array.from(classes, (c) => (c ? 3 : 1)) });
    a.getWeights().forEach((t, k) => expect(Array.from(t.data)).toEqual(Array.from(b.getWeights()[k].data)));
    const oneHot = data.oneHot(tensor(classes, [N], 'int32'), 2) as Tensor;
    const c = sequential([layers.dense({ inputShape: [4], units: 2 })], { seed: 3 }), d = sequential([layers.dense({ inputShape: [4], units: 2 })], { seed: 3 });
    c.compile({ optimizer: 'sgd', loss: losses.categoricalCrossEntropy() });
    d.compile({ optimizer: 'sgd', loss: losses.categoricalCrossEntropy() });
    await c.fit(tensor(x, [N, 4]), oneHot, { epochs: 1, batchSize: N, verbose: 0, classWeight: { 1: 4 } });
    await d.fit(tensor(x, [N, 4]), oneHot, { epochs: 1, batchSize: N, verbose: 0, sampleWeight: Float32Array.from(classes, (k) => (k ? 4 : 1)) });
    expect(Array.from(c.getWeights()[0].data)).toEqual(Array.from(d.getWeights()[0].data));
  });

  it('streamed batches carry their own sampleWeight; classWeight applies to each', async () => {
    const y = tensor(classes, [N], 'int32'), xs = tensor(x, [N, 4]);
    const w = Float32Array.from({ length: N }, (_, i) => 1 + (i % 3));
    const half = (k: number) => ({ x: tensor(x.slice(k * 24, (k + 1) * 24), [6, 4]), y: tensor(classes.slice(k * 6, (k + 1) * 6), [6], 'int32'), sampleWeight: w.slice(k * 6, (k + 1) * 6) });
    const streamed = model(), inMemory = model();
    await streamed.fit(data.fromBatches(() => [half(0), half(1)]), { epochs: 2, verbose: 0, classWeight: { 1: 2 } });
    await inMemory.fit(xs, y, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0, sampleWeight: w, classWeight: { 1: 2 } });
    streamed.getWeights().forEach((t, k) => expect(Array.from(t.data)).toEqual(Array.from(inMemory.getWeights()[k].data)));
    await expect(model().fit(data.fromBatches(() => [half(0)]), { epochs: 1, verbose: 0, sampleWeight: w })).rejects.toThrow(/with streamed batches, give each batch its weights/);
    await expect(model().fit(data.fromBatches(() => [{ ...half(0), sampleWeight: [1, 2] }]), { epochs: 1, verbose: 0 })).rejects.toThrow(/streamed batch 0 of epoch 1: sampleWeight has 2 weights for 6 samples/);
  });

  it('refuses weights it cannot use, saying why', async () => {
    const m = model();
    const fit = (options: Record<string, unknown>) => m.fit(tensor(x, [N, 4]), tensor(classes, [N], 'int32'), { epochs: 1, verbose: 0, ...options });
    await expect(fit({ sampleWeight: new Float32Array(3) })).rejects.toThrow(/fit: sampleWeight has 3 weights for 12 samples/);
    await expect(fit({ sampleWeight: Float32Array.from({ length: N }, (_, i) => (i === 5 ? -1 : 1)) })).rejects.toThrow(/weight -1 at sample 5 must be finite and >= 0/);
    await expect(fit({ classWeight: { 1: -2 } })).rejects.toThrow(/classWeight\[1\] must be a finite number >= 0/);
    await expect(fit({ classWeight: 'balanced' })).rejects.toThrow(/classWeight must be/);
    const seq = sequential([layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 }), layers.dense({ units: 5 })], { seed: 1 });
    seq.compile({ optimizer: 'sgd', loss: losses.softmaxCrossEntropy({ ignoreIndex: -1 }) });
    const ids = tensor(Int32Array.from({ length: 12 }, (_, i) => i % 5), [4, 3], 'int32');
    await expect(seq.fit(ids, ids, { epochs: 1, verbose: 0, classWeight: [1, 2] })).rejects.toThrow(/one class label per sample/);
    await expect(seq.fit(ids, ids, { epochs: 1, verbose: 0, sampleWeight: [1, 1, 1, 2] })).rejects.toThrow(/together with the loss's ignoreIndex is not supported yet/);
  });
});
