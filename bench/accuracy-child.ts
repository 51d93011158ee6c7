// Accuracy parity, gradloop side: the W1-shaped MLP (784-512-512-10 relu, adam 1e-3, batch 128)
// trained 5 epochs on the bundled MNIST digits (8,000 train / 2,000 test); prints the test accuracy.
//   tsx bench/accuracy-child.ts <seed> [--export <dir>]   (--export also writes the split for PyTorch)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadMnist } from '../examples/mnist-data.js';
import { layers, optimizers, sequential } from '../src/index.js';

const seed = Number(process.argv[2] ?? 1);
const data = await loadMnist();
const exportAt = process.argv.indexOf('--export');
if (exportAt > 0) {
  const dir = process.argv[exportAt + 1];
  mkdirSync(dir, { recursive: true });
  for (const [name, t] of Object.entries(data)) writeFileSync(path.join(dir, `${name}.bin`), new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}
const model = sequential([
  layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
  layers.dense({ units: 512, activation: 'relu' }),
  layers.dense({ units: 10 }),
], { seed });
model.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
await model.fit(data.xTrain, data.yTrain, { epochs: 5, batchSize: 128, seed, verbose: 0 });
const { accuracy } = await model.evaluate(data.xTest, data.yTest);
console.log(JSON.stringify({ system: 'gradloop', seed, accuracy }));
