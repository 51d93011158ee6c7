// dropout: a counter-based mask in training, the identity at inference.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

const rate = 0.4, fitSeed = 1234, layerSeed = 5;

export const cases: OpCase[] = [
  {
    name: 'dropout in training: the gradient flows through the mask of the forward pass',
    layers: () => [layers.dropout({ inputShape: [8], rate, seed: layerSeed })],
    // A fresh program's first training forward, node 0 (the mask's counter-based stream).
    reference: (_p, { x, batch }) => {
      const mask = ref.dropoutScale(batch * 8, rate, fitSeed, layerSeed, 1, 0);
      return x.map((v, i) => v * mask[i]);
    },
    training: { seed: fitSeed },
    onnx: { ops: [], reduction: 1, depth: 1 },
    skipGpu: 'a training mask is compared through whole training steps in the dropout model check',
  },
  {
    name: 'dropout at inference: the identity (removed from the ONNX graph)',
    layers: () => [layers.dense({ inputShape: [5], units: 5 }), layers.dropout({ rate: 0.5 })],
    reference: ([k, b], { x, batch }) => ref.dense(x, batch, 5, k, b, 5),
    onnx: { ops: ['Gemm'], reduction: 5, depth: 1 },
  },
];
