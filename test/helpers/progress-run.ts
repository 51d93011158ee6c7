// Trains a tiny model for 3 epochs with the verbose level given as argv[2], so the tests can
// look at what fit() prints to a pipe and to a terminal. argv[3] = 'slow' adds 15 ms per batch
// so the bar is redrawn mid-epoch (its redraw rate is 10 per second).
import { layers, optimizers, sequential, tensor } from '../../src/index.js';

const verbose = Number(process.argv[2]) as 0 | 1 | 2;
const slow = process.argv[3] === 'slow';
const n = 96;
const x = tensor(Float32Array.from({ length: n * 3 }, (_, i) => Math.sin(i)), [n, 3]);
const y = tensor(Int32Array.from({ length: n }, (_, i) => i % 2), [n], 'int32');
const model = sequential([layers.dense({ inputShape: [3], units: 8, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 1 });
model.compile({ optimizer: optimizers.sgd({ learningRate: 0.1 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'], device: 'cpu' });
const callbacks = slow ? [{ onBatchEnd: () => new Promise<void>((resolve) => setTimeout(resolve, 15)) }] : [];
await model.fit(x, y, { epochs: 3, batchSize: 8, validationSplit: 0.25, seed: 1, verbose, callbacks });
console.log('DONE');
