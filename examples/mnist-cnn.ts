// Issue 17's convolutional network on the bundled digits (8,000 to train, 2,000 held out): two
// conv2d + maxPooling2d blocks, dropout and a dense head, with batch normalization after each
// convolution (the convolutions then need no bias). The same run as `gradloop train
// examples/mnist-cnn.json`; the ONNX export is checked in onnxruntime.
//   npx tsx examples/mnist-cnn.ts
import { layers, optimizers, schedules, sequential, tensor, verifyOnnx } from '../src/index.js';
import { loadMnist } from './mnist-data.js';

const { xTrain, yTrain, xTest, yTest } = await loadMnist();
const epochs = 15, batchSize = 32;
const model = sequential([
  layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
  layers.conv2d({ filters: 32, kernelSize: 3, useBias: false }),
  layers.batchNormalization(),
  layers.relu(),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 64, kernelSize: 3, useBias: false }),
  layers.batchNormalization(),
  layers.relu(),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.flatten(),
  layers.dropout({ rate: 0.5 }),
  layers.dense({ units: 10 }),
], { name: 'mnist_cnn', seed: 3 });
const steps = Math.ceil(xTrain.shape[0] / batchSize) * epochs;
model.compile({
  optimizer: optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 2e-3, decaySteps: steps, alpha: 0.02 }) }),
  loss: 'softmaxCrossEntropy',
  metrics: ['accuracy'],
});
model.summary();
const started = performance.now();
const history = await model.fit(xTrain, yTrain, { epochs, batchSize, seed: 1, verbose: 0 });
const seconds = (performance.now() - started) / 1000;
const { accuracy } = await model.evaluate(xTest, yTest);
console.log(`trained ${history.epoch.length} epochs in ${seconds.toFixed(1)}s (${Math.round((xTrain.shape[0] * epochs) / seconds)} samples/s); test accuracy ${(accuracy! * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);
const file = 'mnist-cnn.onnx';
await model.exportOnnx(file);
const report = await verifyOnnx(model, file, tensor(xTest.data.slice(0, 256 * 784), [256, 784]));
console.log(`ONNX (${['Conv', 'BatchNormalization', 'MaxPool'].filter((op) => report.ops.includes(op)).join(', ')}): ${report.passed ? 'PASSED' : 'FAILED'} on ${report.rows} digits`);
if (!report.passed) process.exitCode = 1;
