// Child process for test/process-determinism.test.ts: trains the MNIST model for 2 epochs and
// prints a hash of its weights. --predict-first runs a tiny model's predict() before training;
// --ort-first runs onnxruntime (verifyOnnx) in this process before training.
import { createHash } from 'node:crypto';
import { loadMnist } from '../../examples/mnist-data.js';
import { MNIST_FIT, mnistModel } from '../../examples/mnist-model.js';
import { layers, sequential, tensor, verifyOnnx } from '../../src/index.js';

if (process.argv.includes('--predict-first')) {
  sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 }).predict(tensor([[1, 2, 3]]));
}
if (process.argv.includes('--ort-first')) {
  const tiny = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 1 });
  const bytes = await tiny.exportOnnx();
  for (let i = 0; i < 8; i++) await verifyOnnx(tiny, bytes, tensor([[1, 2, 3]]));
}
const { xTrain, yTrain } = await loadMnist();
const model = mnistModel();
await model.fit(xTrain, yTrain, { ...MNIST_FIT, epochs: 2, verbose: 0 });
const hash = createHash('sha256');
for (const w of model.getWeights()) hash.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
console.log(`weights ${hash.digest('hex')}`);
