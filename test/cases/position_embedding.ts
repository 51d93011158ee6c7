// position_embedding: keras-nlp's PositionEmbedding (the table's first rows, broadcast; no
// gradient reaches its input), added to a projection in a graph; TokenAndPositionEmbedding (ids
// looked up, the position vectors added) before a dense head.
import { input, layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

/** table's first `steps` rows of `d` values, repeated for each of `batch` samples. */
const tiled = (table: Float64Array, batch: number, steps: number, d: number) => {
  const y = new Float64Array(batch * steps * d);
  for (let b = 0; b < batch; b++) y.set(table.subarray(0, steps * d), b * steps * d);
  return y;
};

export const cases: OpCase[] = [
  {
    name: 'positionEmbedding (sequenceLength 5) of a [3, 4] projection, added to it: add([h, positions(h)])',
    graph: () => {
      const x = input({ shape: [3, 2] });
      const h = layers.dense({ units: 4 }).apply(x);
      return { inputs: x, outputs: layers.add().apply([h, layers.positionEmbedding({ sequenceLength: 5 }).apply(h)]) };
    },
    reference: ([k, b, table], { x, batch }) => {
      const h = ref.dense(x, batch * 3, 2, k, b, 4);
      const p = tiled(table, batch, 3, 4);
      return h.map((v, i) => v + p[i]);
    },
    onnx: { ops: ['Expand', 'Slice', 'Add'], reduction: 2, depth: 1 },
  },
  {
    name: 'positionEmbedding after an embedding: the table alone, broadcast (its input gets no gradient)',
    vocab: 6,
    layers: () => [layers.embedding({ inputDim: 6, outputDim: 3, inputLength: 4 }), layers.positionEmbedding({ sequenceLength: 4 })],
    reference: ([_e, table], { batch }) => tiled(table, batch, 4, 3),
    onnx: { ops: ['Expand'], reduction: 1, depth: 1 },
  },
  {
    name: 'tokenAndPositionEmbedding (vocabulary 7, sequenceLength 6, 4 steps, dim 3), flatten, dense',
    vocab: 7,
    layers: () => [layers.tokenAndPositionEmbedding({ inputShape: [4], vocabularySize: 7, sequenceLength: 6, embeddingDim: 3 }), layers.flatten(), layers.dense({ units: 2 })],
    reference: ([tokens, positions, k, b], { ids, batch }) => {
      const e = ref.embedding(ids, tokens, 3);
      const p = tiled(positions, batch, 4, 3);
      return ref.dense(e.map((v, i) => v + p[i]), batch, 12, k, b, 2);
    },
    onnx: { ops: ['Gather', 'Add', 'Gemm'], reduction: 12, depth: 2 },
  },
];
