// softmax over the last axis, as its own layer.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'layers.softmax',
    layers: () => [layers.softmax({ inputShape: [6] })],
    reference: (_p, { x }) => ref.softmaxRows(x, 6),
    onnx: { ops: ['Softmax'], reduction: 6, depth: 1 },
  },
];
