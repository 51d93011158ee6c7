// Child process for test/checkpoint.test.ts's kill -9 test: saves the same checkpoint folder over
// and over, version v holding weights that all equal v and optimizer.iterations = v, and prints
// "saved v" after each save returns. The parent kills it mid-save.
import { layers, optimizers, sequential } from '../../src/index.js';

const dir = process.argv[2];
// About 2.1M weights: 8 MB of weights and 17 MB of Adam state per save.
const model = sequential([layers.dense({ inputShape: [1024], units: 1024 }), layers.dense({ units: 1024 })], { seed: 1 });
model.compile({ optimizer: optimizers.adam(), loss: 'mse' });
const shapes = model.getWeights();
for (let v = 1; ; v++) {
  model.setWeights(shapes.map((w) => ({ ...w, data: new Float32Array(w.data.length).fill(v) })));
  model.optimizer!.iterations = v;
  await model.save(dir);
  console.log(`saved ${v}`);
}
