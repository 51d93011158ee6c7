// Bad input raises a JS Error that names the argument or layer and the fix; nothing crashes.
import { describe, expect, it } from 'vitest';
import { layers, optimizers, sequential, tensor } from '../src/index.js';
import { native } from '../src/backend/native.js';

const mlp = () => {
  const model = sequential([layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 1 });
  model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  return model;
};
const x = tensor([[1, 2, 3], [4, 5, 6]]);
const y = tensor([0, 1], [2], 'int32');

describe('layers and models', () => {
  it('layer shape mismatch: an embedding that is not fed token ids', () => {
    const model = sequential([layers.dense({ inputShape: [4], units: 3 }), layers.embedding({ inputDim: 5, outputDim: 2 })]);
    expect(() => model.summary(() => {})).toThrow(TypeError);
    expect(() => model.summary(() => {})).toThrow(/layer 'embedding_1' \(Embedding\): expects int32 token ids/);
  });

  it('layer shape mismatch: token ids fed to a dense layer', () => {
    const model = sequential([layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 }), layers.flatten(), layers.dense({ units: 2 })]);
    expect(() => model.predict(tensor([[1, 2, 3]]))).toThrow(/model expects int32 inputs, got float32/);
  });

  it('a first layer without inputShape, and inputShape on a later layer', () => {
    expect(() => sequential([layers.dense({ units: 3 })]).summary(() => {})).toThrow(/first layer needs inputShape/);
    expect(() => sequential([layers.dense({ inputShape: [2], units: 3 }), layers.dense({ inputShape: [3], units: 1 })])).toThrow(/only the first layer takes inputShape/);
  });

  it('bad layer options name the layer and the option', () => {
    expect(() => layers.dense({ units: 0 })).toThrow(/dense: units must be an integer >= 1, got 0/);
    expect(() => layers.dropout({ rate: 1 })).toThrow(/dropout: rate must be < 1/);
    expect(() => layers.dense({ units: 2, unit: 3 } as never)).toThrow(/dense: unknown option 'unit'/);
    expect(() => layers.embedding({ inputDim: 0, outputDim: 2 })).toThrow(RangeError);
  });

  it('unknown activation, loss, optimizer and metric names', () => {
    expect(() => layers.dense({ units: 2, activation: 'swish' as never })).toThrow(/activation must be one of 'linear', 'relu'/);
    expect(() => mlp().compile({ optimizer: 'adam', loss: 'hinged' as never })).toThrow(/compile: loss must be one of 'softmaxCrossEntropy'/);
    expect(() => mlp().compile({ optimizer: 'rmsprops' as never, loss: 'mse' })).toThrow(/compile: optimizer must be/);
    expect(() => mlp().compile({ optimizer: 'adam', loss: 'mse', metrics: ['f2'] })).toThrow(/compile: metrics\[0\]: unknown metric 'f2'; expected one of 'accuracy'/);
    expect(() => mlp().compile({ optimizer: 'adam', loss: 'mse', metrics: ['f1'] })).toThrow(/metric 'f1' needs class predictions/);
  });

  it('softmaxCrossEntropy on a single output', () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 1 })]);
    expect(() => model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' })).toThrow(/needs a model output of shape \[classes\] \(or \[steps, classes\] for a sequence\) with classes >= 2, got \[1\]/);
  });

  it('setWeights with the wrong count, shape or values', () => {
    const model = mlp();
    const w = model.getWeights();
    expect(() => model.setWeights(w.slice(1))).toThrow(/the model has 4 weights/);
    expect(() => model.setWeights([{ ...w[0], shape: [4, 3], data: new Float32Array(12) }, ...w.slice(1)])).toThrow(/weight 0 \('dense_1\/kernel'\) must have shape \[3, 4\]/);
    const nan = w[1].data.slice();
    nan[2] = NaN;
    expect(() => model.setWeights([w[0], { ...w[1], data: nan }, w[2], w[3]])).toThrow(/weights must be finite/);
  });
});

describe('fit, evaluate and predict arguments', () => {
  it('fit before compile', async () => {
    const model = sequential([layers.dense({ inputShape: [3], units: 2 })]);
    await expect(model.fit(x, y)).rejects.toThrow(/fit: call model.compile\(\{ optimizer, loss \}\) before fit\(\)/);
    await expect(model.evaluate(x, y)).rejects.toThrow(/before evaluate\(\)/);
  });

  it('data and label row counts differ', async () => {
    await expect(mlp().fit(x, tensor([0, 1, 1], [3], 'int32'))).rejects.toThrow(/x has 2 samples but y has 3/);
  });

  it('feature count mismatch in fit and predict', async () => {
    const wrong = tensor([[1, 2], [3, 4]]);
    await expect(mlp().fit(wrong, y)).rejects.toThrow(/x: each sample has shape \[2\] but the model expects \[3\]/);
    expect(() => mlp().predict(wrong)).toThrow(TypeError);
  });

  it('labels out of range, of the wrong type or shape', async () => {
    await expect(mlp().fit(x, tensor([0, 2], [2], 'int32'))).rejects.toThrow(/y: label 2 at sample 1 is outside \[0, 2\)/);
    await expect(mlp().fit(x, tensor([0, -1], [2], 'int32'))).rejects.toThrow(RangeError);
    await expect(mlp().fit(x, tensor([0, 1]))).rejects.toThrow(/expects int32 class indices/);
    const reg = sequential([layers.dense({ inputShape: [3], units: 2 })]);
    reg.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(reg.fit(x, tensor([1, 2], [2, 1]))).rejects.toThrow(/expects 2 target value\(s\) per sample/);
    const bce = sequential([layers.dense({ inputShape: [3], units: 1 })]);
    bce.compile({ optimizer: 'sgd', loss: 'binaryCrossEntropy' });
    await expect(bce.fit(x, tensor([0, 2], [2, 1]))).rejects.toThrow(/targets must lie in \[0, 1\], got 2/);
  });

  it('token ids outside the embedding vocabulary', async () => {
    const model = sequential([layers.embedding({ inputDim: 4, outputDim: 2, inputLength: 2 }), layers.flatten(), layers.dense({ units: 2 })]);
    model.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy' });
    await expect(model.fit(tensor([0, 1, 2, 9], [2, 2], 'int32'), y)).rejects.toThrow(/token id 9 at sample 1 is outside \[0, 4\) of layer 'embedding_1'/);
  });

  it('NaN or Infinity in inputs and targets', async () => {
    await expect(mlp().fit(tensor([[1, NaN, 3], [4, 5, 6]]), y)).rejects.toThrow(/x: NaN at sample 0, position 1; inputs must be finite/);
    expect(() => mlp().predict(tensor([[1, 2, 3], [4, 5, Infinity]]))).toThrow(/x: Infinity at sample 1, position 2/);
    const reg = sequential([layers.dense({ inputShape: [3], units: 1 })]);
    reg.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(reg.fit(x, tensor([1, -Infinity], [2, 1]))).rejects.toThrow(/y: -Infinity at sample 1/);
  });

  it('an empty data set', async () => {
    await expect(mlp().fit(tensor(new Float32Array(0), [0, 3]), tensor(new Int32Array(0), [0], 'int32'))).rejects.toThrow(/x: the data set is empty/);
  });

  it('batchSize < 1 or not an integer', async () => {
    await expect(mlp().fit(x, y, { batchSize: 0 })).rejects.toThrow(/fit: batchSize must be an integer >= 1, got 0/);
    await expect(mlp().fit(x, y, { batchSize: 2.5 })).rejects.toThrow(RangeError);
    expect(() => mlp().predict(x, { batchSize: -1 })).toThrow(/predict: batchSize/);
  });

  it('non-finite or negative learning rates', () => {
    expect(() => optimizers.adam({ learningRate: NaN })).toThrow(/adam: learningRate must be a finite number, got NaN/);
    expect(() => optimizers.sgd({ learningRate: -0.1 })).toThrow(/sgd: learningRate must be >= 0, got -0.1/);
    expect(() => optimizers.adamw({ learningRate: Infinity })).toThrow(RangeError);
    const opt = optimizers.sgd();
    expect(() => { opt.learningRate = -1; }).toThrow(/learningRate must be >= 0/);
    expect(() => optimizers.adam({ beta1: 1 })).toThrow(/beta1 must be < 1/);
    expect(() => optimizers.sgd({ nesterov: true })).toThrow(/nesterov needs momentum > 0/);
  });

  it('bad fit options', async () => {
    await expect(mlp().fit(x, y, { epoch: 3 } as never)).rejects.toThrow(/fit: unknown option 'epoch'/);
    await expect(mlp().fit(x, y, { epochs: 0 })).rejects.toThrow(/epochs must be an integer >= 1/);
    await expect(mlp().fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit must be < 1/);
    await expect(mlp().fit(x, y, { validationSplit: 0.1 })).rejects.toThrow(/leaves no validation samples/);
    await expect(mlp().fit(x, y, { callbacks: [{ onEpochStart: () => {} } as never] })).rejects.toThrow(/unknown hook 'onEpochStart'/);
  });

  it('a second fit, compile or evaluate while one is running', async () => {
    const model = mlp();
    const first = model.fit(x, y, { epochs: 20, verbose: 0 });
    await expect(model.fit(x, y)).rejects.toThrow(/fit: model 'sequential_\d+' is in the middle of fit\(\)/);
    await expect(model.evaluate(x, y)).rejects.toThrow(/in the middle of fit\(\)/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' })).toThrow(/in the middle of fit\(\)/);
    await first;
  });

  it('weights and predict work from callbacks during fit; a call during a running step is refused', async () => {
    const model = mlp();
    const seen: number[] = [];
    await model.fit(x, y, {
      epochs: 3, verbose: 0,
      callbacks: {
        onEpochEnd: () => {
          seen.push(model.predict(x).size);
          model.setWeights(model.getWeights());
        },
      },
    });
    expect(seen).toEqual([4, 4, 4]);
    // While a queued step has not settled (the main thread cannot see it finish before this
    // synchronous code yields), the program refuses other work instead of racing it.
    const data = new native.Dataset(x.data as Float32Array, [3], y.data as Int32Array, [1]);
    const step = model._program.trainStep(data, new Int32Array([0, 1]), 0.01, 1);
    expect(() => model.getWeights()).toThrow(/model is busy: a fit\(\) or evaluate\(\) is still running on it; await it first/);
    await step;
    expect(model.getWeights()).toHaveLength(4);
  });
});

describe('the native binding guards itself', () => {
  it('rejects malformed calls with JS errors instead of crashing', () => {
    expect(() => new native.Program({ inputShape: [3], inputDtype: 'float32', nodes: [] })).toThrow(/at least one layer/);
    expect(() => new native.Program({ inputShape: [3], inputDtype: 'float32', nodes: [{ op: 'conv' as never, name: 'c', inputs: [0] }] })).toThrow(/unknown op 'conv'/);
    expect(() => new native.Program({ inputShape: [3], inputDtype: 'float32', nodes: [{ op: 'dense', name: 'd', inputs: [5], numbers: { units: 2 } }] })).toThrow(/not produced before it/);
    expect(() => new native.Dataset(new Float32Array(5), [2])).toThrow(/not a multiple of the 2 per sample/);
    expect(() => new native.Dataset(new Float64Array(4) as never, [2])).toThrow(/Float32Array or Int32Array/);
    const program = new native.Program({ inputShape: [2], inputDtype: 'float32', nodes: [{ op: 'dense', name: 'd', inputs: [0], numbers: { units: 2 } }] });
    expect(() => program.compile('softmaxCrossEntropy', { type: 'lions' as never })).toThrow(/unknown optimizer 'lions'/);
    program.compile('softmaxCrossEntropy', { type: 'sgd' });
    const data = new native.Dataset(new Float32Array(4), [2], new Int32Array([0, 7]), [1]);
    expect(() => program.computeGradients(data, new Int32Array([0, 5]), false, 0)).toThrow(/row index 5 is outside the data set of 2 rows/);
    expect(() => program.computeGradients(data, new Int32Array([1]), false, 0)).toThrow(/label 7 is outside \[0, 2\)/);
    expect(() => program.setParameter(0, new Float32Array(3))).toThrow(/needs a Float32Array of 4 values/);
    expect(() => program.getParameter(9)).toThrow(/parameter index out of range/);
  });

  it('rejects a bad asynchronous step with a rejected promise', async () => {
    const program = new native.Program({ inputShape: [2], inputDtype: 'float32', nodes: [{ op: 'dense', name: 'd', inputs: [0], numbers: { units: 2 } }] });
    program.compile('softmaxCrossEntropy', { type: 'sgd' });
    const data = new native.Dataset(new Float32Array(4), [2], new Int32Array([0, 7]), [1]);
    await expect(program.trainStep(data, new Int32Array([1]), 0.1, 0)).rejects.toThrow(RangeError);
    await expect(program.trainStep(data, new Int32Array([0]), 0.1, 0)).resolves.toMatchObject({ count: 1 });
  });
});

describe('runtime settings', () => {
  it('setNumThreads sets the CPU backend threads and rejects bad counts', async () => {
    const { setNumThreads, getNumThreads } = await import('../src/index.js');
    const before = getNumThreads();
    try {
      setNumThreads(1);
      expect(getNumThreads()).toBe(1);
      await mlp().fit(x, y, { epochs: 2, verbose: 0 }); // trains with one thread
    } finally {
      setNumThreads(before);
    }
    expect(getNumThreads()).toBe(before);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: threads must be an integer >= 1, got 0/);
  });
});
