// A small convolutional network on the bundled digits (Keras' MNIST CNN, smaller): reshape the
// 784 pixels to [28, 28, 1], two conv2d + maxPooling2d blocks, dropout, a dense head.
//   npx tsx examples/cnn-mnist.ts
import { layers, optimizers, sequential } from '../src/index.js';
import { loadMnist } from './mnist-data.js';

const { xTrain, yTrain, xTest, yTest } = await loadMnist();
const model = sequential([
  layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }),
  layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.flatten(),
  layers.dropout({ rate: 0.3 }),
  layers.dense({ units: 10 }),
], { name: 'mnist_cnn', seed: 3 });
model.compile({ optimizer: optimizers.adam({ learningRate: 2e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
model.summary();
const started = performance.now();
const history = await model.fit(xTrain, yTrain, { epochs: 4, batchSize: 64, seed: 1, verbose: 0 });
const seconds = (performance.now() - started) / 1000;
const { accuracy } = await model.evaluate(xTest, yTest);
console.log(`trained ${history.epoch.length} epochs in ${seconds.toFixed(1)}s (${Math.round((history.params.samples * history.epoch.length) / seconds)} samples/s); test accuracy ${(accuracy! * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);
