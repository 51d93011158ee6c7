// up_sampling2d: nearest-neighbour repeats, [2, 3] and the default 2.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { toChannelsFirst } from './conv2d.js';

function up(x: Float64Array, batch: number, [h, w, c]: number[], [sh, sw]: number[]): Float64Array {
  const y = new Float64Array(batch * h * sh * w * sw * c);
  for (let n = 0; n < batch; n++)
    for (let oy = 0; oy < h * sh; oy++)
      for (let ox = 0; ox < w * sw; ox++)
        for (let ch = 0; ch < c; ch++) y[((n * h * sh + oy) * w * sw + ox) * c + ch] = x[((n * h + Math.floor(oy / sh)) * w + Math.floor(ox / sw)) * c + ch];
  return y;
}

export const cases: OpCase[] = [
  {
    name: 'upSampling2d [2, 3] of [2, 2, 3]',
    layers: () => [layers.upSampling2d({ inputShape: [2, 2, 3], size: [2, 3] })],
    reference: (_p, { x, batch }) => up(x, batch, [2, 2, 3], [2, 3]),
    onnx: { ops: ['Resize'], reduction: 1, depth: 1 },
  },
  {
    name: 'upSampling2d 2 of [3, 1, 2]',
    layers: () => [layers.upSampling2d({ inputShape: [3, 1, 2] })],
    reference: (_p, { x, batch }) => up(x, batch, [3, 1, 2], [2, 2]),
    onnx: { ops: ['Resize'], reduction: 1, depth: 1 },
  },
  {
    name: 'channelsFirst: upSampling2d [2, 1] of [3, 2, 2]',
    layers: () => [layers.upSampling2d({ inputShape: [3, 2, 2], size: [2, 1], dataFormat: 'channelsFirst' })],
    reference: (_p, { x, batch }) => toChannelsFirst(up(toChannelsFirst(x, batch, [2, 2, 3], true), batch, [2, 2, 3], [2, 1]), batch, [4, 2, 3]),
    onnx: { ops: ['Resize'], reduction: 1, depth: 1 },
  },
];
