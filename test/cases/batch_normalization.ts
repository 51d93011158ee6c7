// batch_normalization: training mode (the batch's statistics, whose gradient reaches the input
// through the mean and variance), inference mode (the moving statistics), channels first (axis 1),
// without gamma and beta, and after a convolution.
import { initializers, layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { conv } from './conv2d.js';

/**
 * Normalizes x[batch, ...sample] over sample axis `axis`: with batch statistics (biased variance,
 * as Keras) when `moving` is absent, else with moving = [mean, variance]; then gamma and beta.
 */
export function batchNorm(x: Float64Array, batch: number, sample: number[], axis: number, o: { gamma?: Float64Array; beta?: Float64Array; moving?: [Float64Array, Float64Array]; epsilon?: number }): Float64Array {
  const c = sample[axis];
  const inner = sample.slice(axis + 1).reduce((a, b) => a * b, 1);
  const groups = (batch * sample.reduce((a, b) => a * b, 1)) / (c * inner);
  const at = (g: number, ch: number, i: number) => (g * c + ch) * inner + i;
  const eps = o.epsilon ?? 1e-3;
  const y = new Float64Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    let mean: number, variance: number;
    if (o.moving) [mean, variance] = [o.moving[0][ch], o.moving[1][ch]];
    else {
      let s = 0, q = 0;
      for (let g = 0; g < groups; g++) for (let i = 0; i < inner; i++) s += x[at(g, ch, i)];
      mean = s / (groups * inner);
      for (let g = 0; g < groups; g++) for (let i = 0; i < inner; i++) q += (x[at(g, ch, i)] - mean) ** 2;
      variance = q / (groups * inner);
    }
    const scale = (o.gamma ? o.gamma[ch] : 1) / Math.sqrt(variance + eps);
    for (let g = 0; g < groups; g++)
      for (let i = 0; i < inner; i++) y[at(g, ch, i)] = (x[at(g, ch, i)] - mean) * scale + (o.beta ? o.beta[ch] : 0);
  }
  return y;
}

// Weights away from Keras' starting values (gamma 1, beta 0, moving mean 0, variance 1), so the
// ONNX export and the GPU checks see every term.
const drawn = {
  gammaInitializer: initializers.randomUniform({ minval: 0.5, maxval: 1.5 }),
  betaInitializer: initializers.randomNormal({ stddev: 0.5 }),
  movingMeanInitializer: initializers.randomNormal({ stddev: 0.5 }),
  movingVarianceInitializer: initializers.randomUniform({ minval: 0.5, maxval: 2 }),
};

export const cases: OpCase[] = [
  {
    name: 'training: batch statistics of [2, 3] samples over the last axis (3 channels)',
    layers: () => [layers.batchNormalization({ inputShape: [2, 3], ...drawn })],
    training: { seed: 1 },
    reference: ([gamma, beta], { x, batch }) => batchNorm(x, batch, [2, 3], 1, { gamma, beta }),
    onnx: { ops: ['BatchNormalization'], reduction: 1, depth: 1 },
  },
  {
    name: 'inference: the moving statistics, channels first (axis 1) of [3, 2, 2]',
    layers: () => [layers.batchNormalization({ inputShape: [3, 2, 2], axis: 1, epsilon: 0.01, ...drawn })],
    reference: ([gamma, beta, mean, variance], { x, batch }) => batchNorm(x, batch, [3, 2, 2], 0, { gamma, beta, moving: [mean, variance], epsilon: 0.01 }),
    onnx: { ops: ['Reshape', 'BatchNormalization'], reduction: 1, depth: 1 },
  },
  {
    name: 'training without gamma and beta (center and scale false), channels first',
    layers: () => [layers.batchNormalization({ inputShape: [2, 3], axis: 1, center: false, scale: false, ...drawn })],
    training: { seed: 1 },
    reference: (_p, { x, batch }) => batchNorm(x, batch, [2, 3], 0, {}),
    onnx: { ops: ['BatchNormalization'], reduction: 1, depth: 1 },
  },
  {
    name: "training: conv2d (no bias) -> batchNormalization -> relu, [4, 4, 2] to [4, 4, 3]",
    layers: () => [
      layers.conv2d({ inputShape: [4, 4, 2], filters: 3, kernelSize: 3, padding: 'same', useBias: false }),
      layers.batchNormalization(drawn),
      layers.relu(),
    ],
    training: { seed: 1 },
    reference: ([k, gamma, beta], { x, batch }) => {
      const h = conv(x, batch, [4, 4, 2], k, null, { kh: 3, kw: 3, f: 3, s: [1, 1], d: [1, 1], same: true });
      return batchNorm(h, batch, [4, 4, 3], 2, { gamma, beta }).map((v) => Math.max(0, v));
    },
    onnx: { ops: ['Conv', 'BatchNormalization', 'Relu'], reduction: 18, depth: 2 },
  },
];
