// repeat_vector: [f] -> [n, f]; after a dense layer, so the n copies' gradients add up in it.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'dense, then repeatVector({ n: 3 })',
    layers: () => [layers.dense({ inputShape: [4], units: 2, activation: 'tanh' }), layers.repeatVector({ n: 3 })],
    reference: ([k, b], { x, batch }) => {
      const y = new Float64Array(batch * 6);
      for (let r = 0; r < batch; r++)
        for (let u = 0; u < 2; u++) {
          let s = b[u];
          for (let i = 0; i < 4; i++) s += x[r * 4 + i] * k[i * 2 + u];
          for (let n = 0; n < 3; n++) y[r * 6 + n * 2 + u] = Math.tanh(s);
        }
      return y;
    },
    onnx: { ops: ['Unsqueeze', 'Tile'], reduction: 4, depth: 1 },
  },
];
