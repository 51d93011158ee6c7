// The MNIST model of the main job; the test suite checks this same model reaches >= 95%.
import { layers, optimizers, sequential, type Sequential } from '../src/index.js';

export const MNIST_FIT = { epochs: 10, batchSize: 128, seed: 42 } as const;

export function mnistModel(): Sequential {
  const model = sequential([
    layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: 256, activation: 'relu' }),
    layers.dropout({ rate: 0.2 }),
    layers.dense({ units: 10 }),
  ], { name: 'mnist_mlp', seed: 7 });
  model.compile({ optimizer: optimizers.adam({ learningRate: 2e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  return model;
}
