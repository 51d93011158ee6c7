// layer_normalization: each position normalized over its own features (the last axis), with and
// without gamma and beta, over a sequence of positions, then a dense layer.
import { initializers, layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

/** Each row of `cols` values: (x - mean) / sqrt(var + eps) * gamma + beta (biased variance). */
export function layerNorm(x: Float64Array, cols: number, gamma?: Float64Array, beta?: Float64Array, epsilon = 1e-3): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    let mean = 0, variance = 0;
    for (let c = 0; c < cols; c++) mean += x[r * cols + c] / cols;
    for (let c = 0; c < cols; c++) variance += (x[r * cols + c] - mean) ** 2 / cols;
    for (let c = 0; c < cols; c++) y[r * cols + c] = ((x[r * cols + c] - mean) / Math.sqrt(variance + epsilon)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
  }
  return y;
}

const drawn = { gammaInitializer: initializers.randomUniform({ minval: 0.5, maxval: 1.5 }), betaInitializer: initializers.randomNormal({ stddev: 0.5 }) };

export const cases: OpCase[] = [
  {
    name: 'over 6 features',
    layers: () => [layers.layerNormalization({ inputShape: [6], ...drawn })],
    reference: ([gamma, beta], { x }) => layerNorm(x, 6, gamma, beta),
    onnx: { ops: ['LayerNormalization'], reduction: 6, depth: 1 },
  },
  {
    name: 'each of 3 positions of [3, 4] on its own (epsilon 1e-5), then dense over the last axis',
    layers: () => [layers.layerNormalization({ inputShape: [3, 4], epsilon: 1e-5, ...drawn }), layers.dense({ units: 2 })],
    reference: ([gamma, beta, k, b], { x, batch }) => ref.dense(layerNorm(x, 4, gamma, beta, 1e-5), batch * 3, 4, k, b, 2),
    onnx: { ops: ['LayerNormalization', 'MatMul'], reduction: 4, depth: 2 },
  },
  {
    name: 'without gamma and beta (center and scale false)',
    layers: () => [layers.layerNormalization({ inputShape: [2, 5], center: false, scale: false })],
    reference: (_p, { x }) => layerNorm(x, 5),
    onnx: { ops: ['ReduceMean', 'Sqrt'], reduction: 5, depth: 1 },
  },
];
