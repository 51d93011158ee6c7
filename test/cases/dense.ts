// dense: y = act(x · kernel + bias) over the last axis, the activation fused into the product's pass.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu'] as const;

export const cases: OpCase[] = [
  ...ACTIVATIONS.map((activation): OpCase => ({
    name: `dense with fused ${activation}`,
    layers: () => [layers.dense({ inputShape: [5], units: 4, activation, alpha: 0.2 })],
    reference: ([k, b], { x, batch }) => ref.activation(activation, ref.dense(x, batch, 5, k, b, 4), 0.2),
    onnx: { ops: ['Gemm'], reduction: 5, depth: 1 },
  })),
  {
    name: 'dense without bias',
    layers: () => [layers.dense({ inputShape: [6], units: 3, useBias: false, activation: 'tanh' })],
    reference: ([k], { x, batch }) => ref.activation('tanh', ref.dense(x, batch, 6, k, null, 3)),
    onnx: { ops: ['Gemm', 'Tanh'], reduction: 6, depth: 1 },
  },
  {
    name: 'dense over the last axis of a 3-D input (MatMul + Add in ONNX)',
    // [batch, 2, 3] -> [batch, 2, 4]: the same kernel applied to each of the 2 rows per sample.
    layers: () => [layers.dense({ inputShape: [2, 3], units: 4, activation: 'sigmoid' })],
    reference: ([k, b], { x, batch }) => ref.activation('sigmoid', ref.dense(x, batch * 2, 3, k, b, 4)),
    onnx: { ops: ['MatMul', 'Add', 'Sigmoid'], reduction: 3, depth: 1 },
  },
  {
    name: 'dense with softmax (its own node after the product)',
    layers: () => [layers.dense({ inputShape: [5], units: 4, activation: 'softmax' })],
    reference: ([k, b], { x, batch }) => ref.softmaxRows(ref.dense(x, batch, 5, k, b, 4), 4),
    onnx: { ops: ['Gemm', 'Softmax'], reduction: 5, depth: 1 },
  },
];
