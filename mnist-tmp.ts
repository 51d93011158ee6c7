import { sequential, layers, optimizers, tensor } from './src/index.ts';
import { loadMnist } from './examples/mnist-data.ts';
const { xTrain, yTrain, xTest, yTest } = loadMnist();
for (const [name, hidden, drop, bs, lr, opt] of [['512-256 bs32', [512, 256], 0.2, 32, 1e-3, 'adam'], ['512-256 bs128 lr2e-3', [512, 256], 0.2, 128, 2e-3, 'adam'], ['1024-256 d0.3', [1024, 256], 0.3, 64, 1e-3, 'adam'], ['512-256 adamw', [512, 256], 0.2, 64, 1e-3, 'adamw'], ['512-256 d0.1', [512, 256], 0.1, 64, 1e-3, 'adam']]) {
  const ls = [];
  hidden.forEach((u, i) => { ls.push(layers.dense({ ...(i === 0 ? { inputShape: [784] } : {}), units: u, activation: 'relu' })); ls.push(layers.dropout({ rate: drop })); });
  ls.push(layers.dense({ units: 10 }));
  const model = sequential(ls, { seed: 7 });
  model.compile({ optimizer: optimizers[opt]({ learningRate: lr }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  const h = await model.fit(xTrain, yTrain, { epochs: 10, batchSize: bs, seed: 42, verbose: 0, validationData: [xTest, yTest] });
  console.log(name, 'fit ms', (performance.now() - t0).toFixed(0), h.history.valAccuracy.map(a => a.toFixed(3)).join(' '));
}
