// flatten: [batch, d1, d2, ...] -> [batch, d1 * d2 * ...], a copy.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'flatten, then dense',
    layers: () => [layers.flatten({ inputShape: [2, 3, 2] }), layers.dense({ units: 3 })],
    reference: ([k, b], { x, batch }) => ref.dense(x, batch, 12, k, b, 3),
    onnx: { ops: ['Flatten', 'Gemm'], reduction: 12, depth: 1 },
  },
];
