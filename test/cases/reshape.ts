// reshape: a sample's values in a new shape; [6] to [2, 3], a dense layer over the last axis, and
// back to [-1] (worked out: 4).
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'reshape to [2, 3], dense over the last axis, reshape to [-1]',
    layers: () => [layers.reshape({ inputShape: [6], targetShape: [2, 3] }), layers.dense({ units: 2 }), layers.reshape({ targetShape: [-1] })],
    reference: ([k, b], { x, batch }) => {
      const y = new Float64Array(batch * 4);
      for (let row = 0; row < batch * 2; row++)
        for (let u = 0; u < 2; u++) {
          let s = b[u];
          for (let i = 0; i < 3; i++) s += x[row * 3 + i] * k[i * 2 + u];
          y[row * 2 + u] = s;
        }
      return y;
    },
    onnx: { ops: ['Reshape', 'MatMul', 'Add'], reduction: 3, depth: 1 },
  },
];
