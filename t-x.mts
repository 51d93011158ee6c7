import { layers, optimizers, sequential, tensor } from './src/index.js';
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor(Int32Array.from([0, 1, 1, 0]), [4], 'int32');
const model = sequential([layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 1 });
model.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
const before = model.getWeights()[0].data.slice(0, 3);
const h = await model.fit(x, y, { epochs: 5, batchSize: 4, seed: 1, verbose: 0 });
console.log(before, model.getWeights()[0].data.slice(0, 3), h.history.loss);
