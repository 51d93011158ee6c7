// conv2d_transpose: each input position adds its kernel-weighted window to the output (a direct
// float64 scatter): 'valid' with strides 2 (overlapping windows), 'same', strides beyond the
// kernel (gaps of bias only), dilation, channels first.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';
import { toChannelsFirst } from './conv2d.js';
import * as ref from '../helpers/reference.js';

type Vec = Float64Array;
/** y[b, y*s - pad + i*d, x*s - pad + j*d, f] += x[b, y, x, c] * k[i, j, f, c], then bias and act. */
function convTranspose(x: Vec, batch: number, [h, w, c]: number[], k: Vec, bias: Vec | null, o: { kh: number; kw: number; f: number; s: number; d?: number; same: boolean }, act: (v: number) => number = (v) => v): Vec {
  const d = o.d ?? 1, spanH = d * (o.kh - 1) + 1, spanW = d * (o.kw - 1) + 1;
  const oh = h * o.s + (o.same ? 0 : Math.max(spanH - o.s, 0)), ow = w * o.s + (o.same ? 0 : Math.max(spanW - o.s, 0));
  const top = o.same ? Math.floor(Math.max(0, (h - 1) * o.s + spanH - oh) / 2) : 0;
  const left = o.same ? Math.floor(Math.max(0, (w - 1) * o.s + spanW - ow) / 2) : 0;
  const y = new Float64Array(batch * oh * ow * o.f);
  for (let b = 0; b < batch; b++)
    for (let yy = 0; yy < h; yy++)
      for (let xx = 0; xx < w; xx++)
        for (let i = 0; i < o.kh; i++)
          for (let j = 0; j < o.kw; j++) {
            const ty = yy * o.s - top + i * d, tx = xx * o.s - left + j * d;
            if (ty < 0 || ty >= oh || tx < 0 || tx >= ow) continue;
            for (let f = 0; f < o.f; f++)
              for (let ch = 0; ch < c; ch++) y[((b * oh + ty) * ow + tx) * o.f + f] += x[((b * h + yy) * w + xx) * c + ch] * k[((i * o.kw + j) * o.f + f) * c + ch];
          }
  return y.map((v, at) => act(v + (bias ? bias[at % o.f] : 0)));
}

export const cases: OpCase[] = [
  {
    name: "3x3 'valid', strides 2, relu: [3, 3, 2] to [7, 7, 3] (overlapping windows add up)",
    layers: () => [layers.conv2dTranspose({ inputShape: [3, 3, 2], filters: 3, kernelSize: 3, strides: 2, activation: 'relu' })],
    reference: ([k, b], { x, batch }) => convTranspose(x, batch, [3, 3, 2], k, b, { kh: 3, kw: 3, f: 3, s: 2, same: false }, (v) => Math.max(0, v)),
    onnx: { ops: ['ConvTranspose', 'Relu'], reduction: 8, depth: 1 },
  },
  {
    name: "3x2 'same', strides 2, without bias: [2, 3, 3] to [4, 6, 2]",
    layers: () => [layers.conv2dTranspose({ inputShape: [2, 3, 3], filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same', useBias: false })],
    reference: ([k], { x, batch }) => convTranspose(x, batch, [2, 3, 3], k, null, { kh: 3, kw: 2, f: 2, s: 2, same: true }),
    onnx: { ops: ['ConvTranspose'], reduction: 12, depth: 1 },
  },
  {
    name: "2x2 'valid', strides 3 (beyond the kernel: rows and columns of bias only): [2, 2, 1] to [6, 6, 2]",
    layers: () => [layers.conv2dTranspose({ inputShape: [2, 2, 1], filters: 2, kernelSize: 2, strides: 3 })],
    reference: ([k, b], { x, batch }) => convTranspose(x, batch, [2, 2, 1], k, b, { kh: 2, kw: 2, f: 2, s: 3, same: false }),
    onnx: { ops: ['ConvTranspose'], reduction: 1, depth: 1 },
  },
  {
    name: "dilation 2, 'same', gelu: [4, 4, 2] to [4, 4, 2]",
    layers: () => [layers.conv2dTranspose({ inputShape: [4, 4, 2], filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'gelu' })],
    reference: ([k, b], { x, batch }) => ref.activation('gelu', convTranspose(x, batch, [4, 4, 2], k, b, { kh: 3, kw: 3, f: 2, s: 1, d: 2, same: true })),
    onnx: { ops: ['ConvTranspose', 'Erf'], reduction: 18, depth: 1 },
  },
  {
    name: "channelsFirst, 2x2 'valid', strides 2: [2, 3, 2] to [3, 6, 4]",
    layers: () => [layers.conv2dTranspose({ inputShape: [2, 3, 2], filters: 3, kernelSize: 2, strides: 2, dataFormat: 'channelsFirst' })],
    reference: ([k, b], { x, batch }) => toChannelsFirst(convTranspose(toChannelsFirst(x, batch, [3, 2, 2], true), batch, [3, 2, 2], k, b, { kh: 2, kw: 2, f: 3, s: 2, same: false }), batch, [6, 4, 3]),
    onnx: { ops: ['ConvTranspose'], reduction: 8, depth: 1 },
  },
];
