// The training loop end to end: learning, the real MNIST digits, determinism,
// the event loop, batching, shuffling, validation, callbacks and weights.
import { describe, expect, it } from 'vitest';
import { withoutBlasWarning } from './helpers/blas-warning.js';
import { loadMnist } from '../examples/mnist-data.js';
import { MNIST_FIT, mnistModel } from '../examples/mnist-model.js';
import { layers, optimizers, sequential, tensor, type Tensor } from '../src/index.js';
import { Random } from '../src/random.js';

const xorX = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const xorY = tensor([0, 1, 1, 0], [4], 'int32');

function randomData(rows: number, features: number, classes: number, seed = 3): [Tensor, Tensor] {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * features }, () => r.normal());
  const y = Int32Array.from({ length: rows }, () => r.int(classes));
  return [tensor(x, [rows, features]), tensor(y, [rows], 'int32')];
}

const bitsEqual = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('learning', () => {
  it('learns XOR to 100% accuracy', async () => {
    const model = sequential([layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 1 });
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const history = await model.fit(xorX, xorY, { epochs: 300, batchSize: 4, verbose: 0, seed: 2 });
    expect(history.history.accuracy.at(-1)).toBe(1);
    expect(Array.from(model.predict(xorX).argMax())).toEqual([0, 1, 1, 0]);
    const { accuracy, loss } = await model.evaluate(xorX, xorY);
    expect(accuracy).toBe(1);
    expect(loss).toBeLessThan(0.05);
  });

  it('reaches >= 95% on 2,000 held-out real MNIST digits after 10 epochs on 8,000', async () => {
    const { xTrain, yTrain, xTest, yTest } = await loadMnist();
    expect(xTrain.shape).toEqual([8000, 784]);
    expect(xTest.shape).toEqual([2000, 784]);
    const model = mnistModel(); // the main job's model and settings
    expect(MNIST_FIT.epochs).toBeLessThanOrEqual(10);
    const history = await model.fit(xTrain, yTrain, { ...MNIST_FIT, verbose: 0 });
    expect(history.history.loss.at(-1)!).toBeLessThan(history.history.loss[0]);
    const { accuracy } = await model.evaluate(xTest, yTest);
    expect(accuracy).toBeGreaterThanOrEqual(0.95);
    // evaluate() agrees with the argmax of predict()
    const predicted = model.predict(xTest, { batchSize: 500 }).argMax();
    const hits = predicted.reduce((n, p, i) => n + (p === yTest.data[i] ? 1 : 0), 0);
    expect(hits / 2000).toBeCloseTo(accuracy!, 10);
  });

  it('fits a regression with mse and a binary classifier with binaryCrossEntropy', async () => {
    const r = new Random(5);
    const xs = Float32Array.from({ length: 64 }, () => r.uniform() * 2 - 1);
    const reg = sequential([layers.dense({ inputShape: [1], units: 1 })], { seed: 1 });
    reg.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    await reg.fit(tensor(xs, [64, 1]), tensor(xs.map((v) => 2 * v + 1), [64, 1]), { epochs: 100, batchSize: 16, verbose: 0, seed: 1 });
    const [kernel, bias] = reg.getWeights();
    expect(kernel.data[0]).toBeCloseTo(2, 3);
    expect(bias.data[0]).toBeCloseTo(1, 3);

    const clf = sequential([layers.dense({ inputShape: [1], units: 1 })], { seed: 1 });
    clf.compile({ optimizer: optimizers.adam({ learningRate: 0.1 }), loss: 'binaryCrossEntropy', metrics: ['accuracy'] });
    const h = await clf.fit(tensor(xs, [64, 1]), tensor(xs.map((v) => (v > 0.2 ? 1 : 0)), [64, 1]), { epochs: 200, batchSize: 64, verbose: 0 });
    expect(h.history.accuracy.at(-1)).toBeGreaterThanOrEqual(0.95);
  });

  it('trains an embedding model on int32 token ids', async () => {
    // Predict the first of 4 tokens: only learnable through the embedding.
    const r = new Random(9);
    const ids = Int32Array.from({ length: 256 * 4 }, () => r.int(5));
    const labels = Int32Array.from({ length: 256 }, (_, i) => ids[i * 4]);
    const model = sequential([
      layers.embedding({ inputDim: 5, outputDim: 8, inputLength: 4 }),
      layers.flatten(),
      layers.dense({ units: 16, activation: 'tanh' }),
      layers.dense({ units: 5 }),
    ], { seed: 3 });
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const h = await model.fit(tensor(ids, [256, 4], 'int32'), tensor(labels, [256], 'int32'), { epochs: 30, batchSize: 32, verbose: 0, seed: 4 });
    expect(h.history.accuracy.at(-1)).toBe(1);
  });
});

describe('determinism', () => {
  async function train(fitSeed: number): Promise<Float32Array[]> {
    const [x, y] = randomData(300, 12, 4);
    const model = sequential([
      layers.dense({ inputShape: [12], units: 32, activation: 'gelu' }),
      layers.dropout({ rate: 0.3 }),
      layers.dense({ units: 4 }),
    ], { seed: 11 });
    model.compile({ optimizer: optimizers.adamw({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
    await model.fit(x, y, { epochs: 3, batchSize: 32, seed: fitSeed, shuffle: true, verbose: 0 });
    return model.getWeights().map((w) => w.data);
  }

  it('the same seeds, data and thread count give bit-identical weights (dropout and shuffling on)', async () => {
    const a = await train(5), b = await train(5), c = await train(6);
    expect(a.every((w, i) => bitsEqual(w, b[i]))).toBe(true);
    expect(a.every((w, i) => bitsEqual(w, c[i]))).toBe(false);
  });

  it('several steps per native call (no batch callbacks) give the same bits as one step per call', async () => {
    const run = async (perBatch: boolean) => {
      const [x, y] = randomData(1000, 16, 4);
      const model = sequential([layers.dense({ inputShape: [16], units: 8, activation: 'relu' }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 4 })], { seed: 4 });
      model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
      const h = await model.fit(x, y, { epochs: 3, batchSize: 8, seed: 9, verbose: 0, callbacks: perBatch ? { onBatchEnd: () => {} } : [] });
      return { weights: model.getWeights().map((w) => w.data), history: h.history };
    };
    const chunked = await run(false), single = await run(true);
    expect(chunked.weights.every((w, i) => bitsEqual(w, single.weights[i]))).toBe(true);
    expect(chunked.history).toEqual(single.history);
  });

  it('the model seed fixes the initial weights', () => {
    const make = (seed: number) => sequential([layers.dense({ inputShape: [4], units: 3 })], { seed }).getWeights()[0].data;
    expect(bitsEqual(make(1), make(1))).toBe(true);
    expect(bitsEqual(make(1), make(2))).toBe(false);
  });
});

describe('the loop', () => {
  it('keeps the event loop free: a timer fires throughout fit', async () => {
    const [x, y] = randomData(2048, 256, 10);
    const model = sequential([layers.dense({ inputShape: [256], units: 512, activation: 'relu' }), layers.dense({ units: 10 })], { seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const start = performance.now();
    await model.fit(x, y, { epochs: 4, batchSize: 64, verbose: 0, seed: 1 });
    const end = performance.now();
    clearInterval(timer);
    const during = ticks.filter((t) => t > start && t < end);
    // A blocked loop would deliver at most one tick at the end; require many, spread over the run.
    expect(during.length).toBeGreaterThanOrEqual(Math.min(20, ((end - start) / 5) * 0.3));
    const largestGap = Math.max(...during.slice(1).map((t, i) => t - during[i]));
    expect(largestGap).toBeLessThan((end - start) / 4);
  });

  it('runs ceil(N / batchSize) steps per epoch, the last partial batch included', async () => {
    const [x, y] = randomData(10, 3, 2);
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 });
    model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const sizes: number[][] = [];
    const history = await model.fit(x, y, {
      epochs: 2, batchSize: 4, verbose: 0,
      callbacks: { onEpochBegin: () => void sizes.push([]), onBatchEnd: (_b, logs) => void sizes.at(-1)!.push(logs!.size) },
    });
    expect(sizes).toEqual([[4, 4, 2], [4, 4, 2]]);
    expect(history.params.steps).toBe(3);
  });

  it('shuffles with a new seeded order each epoch, and not at all with shuffle: false', async () => {
    // With learningRate 0 the weights never change, so each batch's loss identifies its one sample.
    const [x, y] = randomData(12, 3, 2);
    const run = async (shuffle: boolean, seed: number) => {
      const model = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 });
      model.compile({ optimizer: optimizers.sgd({ learningRate: 0 }), loss: 'softmaxCrossEntropy' });
      const losses: number[][] = [];
      await model.fit(x, y, {
        epochs: 2, batchSize: 1, shuffle, seed, verbose: 0,
        callbacks: { onEpochBegin: () => void losses.push([]), onBatchEnd: (_b, l) => void losses.at(-1)!.push(l!.loss) },
      });
      return { losses };
    };
    const plain = await run(false, 1);
    expect(plain.losses[0]).toEqual(plain.losses[1]); // same order every epoch
    const shuffled = await run(true, 1);
    expect(shuffled.losses[0]).not.toEqual(shuffled.losses[1]); // a new order each epoch
    expect([...shuffled.losses[0]].sort()).toEqual([...plain.losses[0]].sort()); // still every sample once
    const again = await run(true, 1);
    expect(again.losses).toEqual(shuffled.losses); // seeded
  });

  it('validationSplit holds out the last fraction (before shuffling), as Keras', async () => {
    const [x, y] = randomData(40, 5, 3);
    const model = sequential([layers.dense({ inputShape: [5], units: 3 })], { seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, validationSplit: 0.25, verbose: 0, seed: 1 });
    expect(h.params.samples).toBe(30);
    const lastTen = await model.evaluate(tensor(x.data.slice(30 * 5), [10, 5]), tensor(y.data.slice(30), [10], 'int32'));
    expect(h.history.valLoss[0]).toBeCloseTo(lastTen.loss, 6);
    expect(h.history.valAccuracy[0]).toBeCloseTo(lastTen.accuracy!, 10);
  });

  it('validationData is evaluated every epoch', async () => {
    const [x, y] = randomData(32, 4, 2);
    const [xv, yv] = randomData(16, 4, 2, 8);
    const model = sequential([layers.dense({ inputShape: [4], units: 2 })], { seed: 1 });
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 8, validationData: [xv, yv], verbose: 0 });
    expect(h.history.valLoss).toHaveLength(3);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.history.valLoss[2]).toBeCloseTo((await model.evaluate(xv, yv)).loss, 6);
  });

  it('calls the callbacks in order, and stopTraining ends fit after the current batch', async () => {
    const [x, y] = randomData(20, 3, 2);
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 });
    model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const events: string[] = [];
    const history = await model.fit(x, y, {
      epochs: 5, batchSize: 5, verbose: 0,
      callbacks: [{
        onTrainBegin: () => void events.push('trainBegin'),
        onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
        onBatchEnd: (b) => {
          events.push(`batchEnd ${b}`);
          if (events.filter((e) => e.startsWith('batchEnd')).length === 6) model.stopTraining = true;
        },
        onEpochEnd: async (e) => { await new Promise((r) => setTimeout(r, 1)); events.push(`epochEnd ${e}`); },
        onTrainEnd: () => void events.push('trainEnd'),
      }],
    });
    expect(events).toEqual([
      'trainBegin', 'epochBegin 0', 'batchEnd 0', 'batchEnd 1', 'batchEnd 2', 'batchEnd 3', 'epochEnd 0',
      'epochBegin 1', 'batchEnd 0', 'batchEnd 1', 'epochEnd 1', 'trainEnd',
    ]);
    expect(history.epoch).toEqual([0, 1]);
  });

  it('prints one line per epoch when verbose', async () => {
    const [x, y] = randomData(8, 2, 2);
    const model = sequential([layers.dense({ inputShape: [2], units: 2 })], { seed: 1 });
    model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    const lines: string[] = [];
    await model.fit(x, y, { epochs: 2, validationSplit: 0.25, printFn: (l) => lines.push(l) });
    // First the device compile's 'auto' chose and why, then one line per epoch.
    lines.splice(0, lines.length, ...withoutBlasWarning(lines));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Device: (cpu \(device: 'auto' found no usable GPU: .+\)|cuda:0 \(picked by device: 'auto'\))$/);
    expect(lines[2]).toMatch(/^Epoch 2\/2 - 1\/1 - [\d.]+s - \d+ samples\/s - loss: [\d.]+ - accuracy: [\d.]+ - valLoss: [\d.]+ - valAccuracy: [\d.]+ - learningRate: 0\.0100 - gradNorm: [\d.e-]+ - gradNormMax: [\d.e-]+$/);
  });
});

describe('weights and summary', () => {
  it('getWeights gives dense kernel [inputs, units] then bias; setWeights drives predict', () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2, activation: 'relu' })], { seed: 1 });
    const weights = model.getWeights();
    expect(weights.map((w) => [w.name, w.shape])).toEqual([['dense_1/kernel', [3, 2]], ['dense_1/bias', [2]]]);
    model.setWeights([
      { name: 'dense_1/kernel', shape: [3, 2], data: Float32Array.from([1, -1, 2, 0, 3, 1]) },
      { name: 'dense_1/bias', shape: [2], data: Float32Array.from([0.5, -10]) },
    ]);
    // x = [1, 1, 1]: [1 + 2 + 3 + 0.5, relu(-1 + 0 + 1 - 10)] = [6.5, 0]
    expect(Array.from(model.predict(tensor([[1, 1, 1]])).data)).toEqual([6.5, 0]);
    expect(Array.from(model.getWeights()[1].data)).toEqual([0.5, -10]);
  });

  it('summary lists layers, output shapes and parameter counts', () => {
    const model = sequential([
      layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
      layers.dropout({ rate: 0.1 }),
      layers.dense({ units: 10 }),
    ], { name: 'mlp' });
    const lines: string[] = [];
    const text = model.summary((l) => lines.push(l));
    expect(text).toContain('Model: "mlp"');
    expect(text).toMatch(/dense_1 \(Dense\)\s+\[null, 256\]\s+200,960/);
    expect(text).toMatch(/dropout_1 \(Dropout\)\s+\[null, 256\]\s+0/);
    expect(text).toMatch(/dense_2 \(Dense\)\s+\[null, 10\]\s+2,570/);
    expect(text).toContain('Total params: 203,530');
    expect(model.countParams()).toBe(203530);
    expect(lines.join('\n')).toBe(text);
  });

  it('predict turns dropout off and returns [n, ...outputShape]', () => {
    const model = sequential([layers.dense({ inputShape: [4], units: 3 }), layers.dropout({ rate: 0.9 }), layers.softmax()], { seed: 1 });
    const [x] = randomData(5, 4, 2);
    const a = model.predict(x), b = model.predict(x, { batchSize: 2 });
    expect(a.shape).toEqual([5, 3]);
    expect(bitsEqual(a.data as Float32Array, b.data as Float32Array)).toBe(true);
    for (let r = 0; r < 5; r++) expect(a.data[r * 3] + a.data[r * 3 + 1] + a.data[r * 3 + 2]).toBeCloseTo(1, 6);
  });
});
