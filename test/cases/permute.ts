// permute: a sample's axes reordered; [2, 3] transposed (then a dense layer over the new last
// axis, so each axis' gradient differs), and a [2, 3, 4] sample's axes rotated.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'reshape to [2, 3], permute [2, 1], dense over the last axis',
    layers: () => [layers.reshape({ inputShape: [6], targetShape: [2, 3] }), layers.permute({ dims: [2, 1] }), layers.dense({ units: 3 })],
    reference: ([k, b], { x, batch }) => {
      const y = new Float64Array(batch * 9);
      for (let r = 0; r < batch; r++)
        for (let j = 0; j < 3; j++) // output row j = input column j: [x[0][j], x[1][j]]
          for (let u = 0; u < 3; u++) y[r * 9 + j * 3 + u] = b[u] + x[r * 6 + j] * k[u] + x[r * 6 + 3 + j] * k[3 + u];
      return y;
    },
    onnx: { ops: ['Reshape', 'Transpose', 'MatMul'], reduction: 2, depth: 1 },
  },
  {
    name: 'permute [3, 1, 2] of a [2, 3, 4] sample',
    layers: () => [layers.reshape({ inputShape: [24], targetShape: [2, 3, 4] }), layers.permute({ dims: [3, 1, 2] })],
    reference: (_p, { x, batch }) => {
      const y = new Float64Array(batch * 24);
      for (let r = 0; r < batch; r++)
        for (let a = 0; a < 4; a++)
          for (let b2 = 0; b2 < 2; b2++)
            for (let c = 0; c < 3; c++) y[r * 24 + a * 6 + b2 * 3 + c] = x[r * 24 + b2 * 12 + c * 4 + a];
      return y;
    },
    onnx: { ops: ['Transpose'], reduction: 1, depth: 1 },
  },
];
