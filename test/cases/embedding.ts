// embedding: int32 token ids -> rows of a table; its gradient scatter-adds over repeated ids.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'embedding (scatter-add over repeated ids), flatten, dense',
    layers: () => [layers.embedding({ inputDim: 3, outputDim: 2, inputLength: 4 }), layers.flatten(), layers.dense({ units: 2, activation: 'tanh' })],
    reference: ([table, k, b], { ids, batch }) => ref.activation('tanh', ref.dense(ref.embedding(ids, table, 2), batch, 8, k, b, 2)),
    vocab: 3,
    onnx: { ops: ['Gather', 'Flatten', 'Gemm'], reduction: 8, depth: 1 },
  },
];
