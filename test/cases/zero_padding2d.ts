// zero_padding2d: a frame of zeros, uneven sides ([[1, 0], [2, 1]]) and the Keras shorthand.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { toChannelsFirst } from './conv2d.js';

function pad(x: Float64Array, batch: number, [h, w, c]: number[], [[t, b], [l, r]]: number[][]): Float64Array {
  const oh = h + t + b, ow = w + l + r;
  const y = new Float64Array(batch * oh * ow * c);
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let ch = 0; ch < c; ch++) y[((n * oh + i + t) * ow + j + l) * c + ch] = x[((n * h + i) * w + j) * c + ch];
  return y;
}

export const cases: OpCase[] = [
  {
    name: 'zeroPadding2d [[1, 0], [2, 1]] of [3, 2, 2]',
    layers: () => [layers.zeroPadding2d({ inputShape: [3, 2, 2], padding: [[1, 0], [2, 1]] })],
    reference: (_p, { x, batch }) => pad(x, batch, [3, 2, 2], [[1, 0], [2, 1]]),
    onnx: { ops: ['Pad'], reduction: 1, depth: 1 },
  },
  {
    name: 'zeroPadding2d 1 then a 3x3 conv2d (a hand-made "same")',
    layers: () => [layers.zeroPadding2d({ inputShape: [3, 3, 1] }), layers.conv2d({ filters: 2, kernelSize: 3, useBias: false })],
    reference: ([k], { x, batch }) => {
      const p = pad(x, batch, [3, 3, 1], [[1, 1], [1, 1]]);
      const y = new Float64Array(batch * 9 * 2);
      for (let n = 0; n < batch; n++)
        for (let oy = 0; oy < 3; oy++)
          for (let ox = 0; ox < 3; ox++)
            for (let f = 0; f < 2; f++) {
              let s = 0;
              for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += p[(n * 5 + oy + i) * 5 + ox + j] * k[(i * 3 + j) * 2 + f];
              y[((n * 3 + oy) * 3 + ox) * 2 + f] = s;
            }
      return y;
    },
    onnx: { ops: ['Pad', 'Conv'], reduction: 9, depth: 1 },
  },
  {
    name: 'channelsFirst: zeroPadding2d [[0, 1], [1, 2]] of [2, 2, 3]',
    layers: () => [layers.zeroPadding2d({ inputShape: [2, 2, 3], padding: [[0, 1], [1, 2]], dataFormat: 'channelsFirst' })],
    reference: (_p, { x, batch }) => toChannelsFirst(pad(toChannelsFirst(x, batch, [2, 3, 2], true), batch, [2, 3, 2], [[0, 1], [1, 2]]), batch, [3, 6, 2]),
    onnx: { ops: ['Pad'], reduction: 1, depth: 1 },
  },
];
