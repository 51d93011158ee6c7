// max_pooling2d: window maxima over channels-last samples; after a conv2d (so the gradient reaches
// weights through the chosen places), 2x2 'valid', and 3x3 with strides 2 and 'same' (windows overlap).
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { toChannelsFirst } from './conv2d.js';
import * as ref from '../helpers/reference.js';

const pool = (x: Float64Array, batch: number, shape: number[], size: number[], strides: number[], same: boolean) => ref.pool2d(x, batch, shape, size, strides, same, 'max');
// A 1x1 convolution (per-pixel channel mix), so the pooled values carry weights.
function mix(x: Float64Array, batch: number, pixels: number, cin: number, k: Float64Array, b: Float64Array, cout: number): Float64Array {
  const y = new Float64Array(batch * pixels * cout);
  for (let p = 0; p < batch * pixels; p++)
    for (let o = 0; o < cout; o++) {
      let s = b[o];
      for (let i = 0; i < cin; i++) s += x[p * cin + i] * k[i * cout + o];
      y[p * cout + o] = s;
    }
  return y;
}

export const cases: OpCase[] = [
  {
    name: "1x1 conv2d, then 2x2 'valid' pooling: [4, 6, 2] to [2, 3, 3]",
    layers: () => [layers.conv2d({ inputShape: [4, 6, 2], filters: 3, kernelSize: 1 }), layers.maxPooling2d({ poolSize: 2 })],
    reference: ([k, b], { x, batch }) => pool(mix(x, batch, 24, 2, k, b, 3), batch, [4, 6, 3], [2, 2], [2, 2], false),
    onnx: { ops: ['Conv', 'MaxPool', 'Transpose'], reduction: 2, depth: 1 },
  },
  {
    name: "3x3 pooling with strides 2, 'same' (overlapping windows): [5, 5, 2] to [3, 3, 2]",
    layers: () => [layers.maxPooling2d({ inputShape: [5, 5, 2], poolSize: 3, strides: 2, padding: 'same' })],
    reference: (_p, { x, batch }) => pool(x, batch, [5, 5, 2], [3, 3], [2, 2], true),
    onnx: { ops: ['MaxPool'], reduction: 1, depth: 1 },
  },
  {
    name: 'maxPooling1d (size 3, strides 2) and globalMaxPooling1d: pooling of height 1',
    layers: () => [layers.maxPooling1d({ inputShape: [9, 2], poolSize: 3, strides: 2 }), layers.globalMaxPooling1d()],
    reference: (_p, { x, batch }) => {
      const pooled = pool(x, batch, [1, 9, 2], [1, 3], [1, 2], false); // [1, 4, 2]
      return pool(pooled, batch, [1, 4, 2], [1, 4], [1, 4], false);
    },
    onnx: { ops: ['MaxPool', 'GlobalMaxPool'], reduction: 1, depth: 1 },
  },
  {
    name: "channelsFirst: 2x2 pooling with strides 1 of [2, 3, 4] to [2, 2, 3]",
    layers: () => [layers.maxPooling2d({ inputShape: [2, 3, 4], poolSize: 2, strides: 1, dataFormat: 'channelsFirst' })],
    reference: (_p, { x, batch }) => toChannelsFirst(pool(toChannelsFirst(x, batch, [3, 4, 2], true), batch, [3, 4, 2], [2, 2], [1, 1], false), batch, [2, 3, 2]),
    onnx: { ops: ['MaxPool'], reduction: 1, depth: 1 },
  },
];
