// avg_pooling2d: window means over channels-last samples ('same' padding not counted in a mean),
// and the global poolings built on it and on max_pooling2d (one window the size of the input).
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { toChannelsFirst } from './conv2d.js';
import * as ref from '../helpers/reference.js';

const avg = (x: Float64Array, batch: number, shape: number[], size: number[], strides: number[], same: boolean) => ref.pool2d(x, batch, shape, size, strides, same, 'mean');
const globalMax = (x: Float64Array, batch: number, [h, w, c]: number[]) => ref.pool2d(x, batch, [h, w, c], [h, w], [h, w], false, 'max');

export const cases: OpCase[] = [
  {
    name: "2x2 'valid' average pooling: [4, 6, 3] to [2, 3, 3]",
    layers: () => [layers.averagePooling2d({ inputShape: [4, 6, 3], poolSize: 2 })],
    reference: (_p, { x, batch }) => avg(x, batch, [4, 6, 3], [2, 2], [2, 2], false),
    onnx: { ops: ['AveragePool', 'Transpose'], reduction: 4, depth: 1 },
  },
  {
    name: "3x3 average pooling with strides 2, 'same' (overlapping; edge windows average fewer inputs)",
    layers: () => [layers.averagePooling2d({ inputShape: [5, 4, 2], poolSize: 3, strides: 2, padding: 'same' })],
    reference: (_p, { x, batch }) => avg(x, batch, [5, 4, 2], [3, 3], [2, 2], true),
    onnx: { ops: ['AveragePool'], reduction: 9, depth: 1 },
  },
  {
    name: 'globalAveragePooling2d: [3, 4, 5] to [5]',
    layers: () => [layers.globalAveragePooling2d({ inputShape: [3, 4, 5] })],
    reference: (_p, { x, batch }) => avg(x, batch, [3, 4, 5], [3, 4], [3, 4], false),
    onnx: { ops: ['GlobalAveragePool', 'Flatten'], reduction: 12, depth: 1 },
  },
  {
    name: 'globalMaxPooling2d: [3, 4, 5] to [5]',
    layers: () => [layers.globalMaxPooling2d({ inputShape: [3, 4, 5] })],
    reference: (_p, { x, batch }) => globalMax(x, batch, [3, 4, 5]),
    onnx: { ops: ['GlobalMaxPool', 'Flatten'], reduction: 1, depth: 1 },
  },
  {
    name: "averagePooling1d ('same') and globalAveragePooling1d after a conv1d",
    layers: () => [layers.conv1d({ inputShape: [6, 2], filters: 3, kernelSize: 1 }), layers.averagePooling1d({ poolSize: 4, strides: 3, padding: 'same' }), layers.globalAveragePooling1d()],
    reference: ([k, b], { x, batch }) => {
      const mixed = new Float64Array(batch * 6 * 3);
      for (let p = 0; p < batch * 6; p++) for (let o = 0; o < 3; o++) mixed[p * 3 + o] = b[o] + x[p * 2] * k[o] + x[p * 2 + 1] * k[3 + o];
      const pooled = avg(mixed, batch, [1, 6, 3], [1, 4], [1, 3], true); // [1, 2, 3]
      return avg(pooled, batch, [1, 2, 3], [1, 2], [1, 2], false);
    },
    onnx: { ops: ['Conv', 'AveragePool', 'GlobalAveragePool'], reduction: 4, depth: 2 },
  },
  {
    name: "channelsFirst: 2x2 'same' average pooling of [2, 3, 3] to [2, 2, 2], then globalAveragePooling2d to [2]",
    layers: () => [
      layers.averagePooling2d({ inputShape: [2, 3, 3], padding: 'same', dataFormat: 'channelsFirst' }),
      layers.globalAveragePooling2d({ dataFormat: 'channelsFirst' }),
    ],
    reference: (_p, { x, batch }) => {
      const h = avg(toChannelsFirst(x, batch, [3, 3, 2], true), batch, [3, 3, 2], [2, 2], [2, 2], true);
      return avg(h, batch, [2, 2, 2], [2, 2], [2, 2], false);
    },
    onnx: { ops: ['AveragePool', 'GlobalAveragePool'], reduction: 4, depth: 2 },
  },
];
