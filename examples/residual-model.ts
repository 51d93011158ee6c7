// A residual MLP for the bundled digits, written with the functional API: each block adds its
// input back (h + f(h)), as in ResNets. `skip: false` builds the same layers without the adds,
// for bench/residual.ts's comparison.
import { input, layers, model, type Model, optimizers } from '../src/index.js';

export function residualMlp(options: { width?: number; blocks?: number; skip?: boolean; seed?: number } = {}): Model {
  const { width = 256, blocks = 2, skip = true, seed = 7 } = options;
  const pixels = input({ shape: [784], name: 'pixels' });
  let h = layers.dense({ units: width, activation: 'relu', name: 'stem' }).apply(pixels);
  for (let b = 1; b <= blocks; b++) {
    const f = layers.dense({ units: width, name: `block${b}_b` }).apply(layers.dense({ units: width, activation: 'relu', name: `block${b}_a` }).apply(h));
    h = layers.relu({ name: `block${b}_out` }).apply(skip ? layers.add({ name: `block${b}_add` }).apply([h, f]) : f);
  }
  const digits = layers.dense({ units: 10, name: 'digits' }).apply(h);
  const m = model({ inputs: pixels, outputs: digits, name: skip ? 'residual_mlp' : 'plain_mlp', seed });
  m.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  return m;
}
