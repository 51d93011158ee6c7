// conv2d: channels-last convolutions against a direct float64 convolution: 'valid' with relu,
// 'same' with stride 2 and a non-square kernel, dilation 2, no bias; groups, depthwise, channels first.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

type Vec = Float64Array;

/** [batch, a, b, c] to [batch, c, a, b] (channels last to first), or back with `back`. */
export function toChannelsFirst(x: Vec, batch: number, [a, b, c]: number[], back = false): Vec {
  const y = new Float64Array(x.length);
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < a; i++)
      for (let j = 0; j < b; j++)
        for (let ch = 0; ch < c; ch++) {
          const last = ((n * a + i) * b + j) * c + ch, first = ((n * c + ch) * a + i) * b + j;
          if (back) y[last] = x[first];
          else y[first] = x[last];
        }
  return y;
}
/**
 * y[b, oy, ox, f] = act(bias[f] + sum over (i, j, c) of x[b, oy*s - pad + i*d, ox*s - pad + j*d, c] * k[i, j, c, f]);
 * with groups, filter f sees only its group's channels (k: [kh, kw, c / groups, f]).
 */
export function conv(x: Vec, batch: number, [h, w, c]: number[], k: Vec, bias: Vec | null, o: { kh: number; kw: number; f: number; s: [number, number]; d: [number, number]; same: boolean; groups?: number }, act: (v: number) => number = (v) => v): Vec {
  const groups = o.groups ?? 1, cg = c / groups, fg = o.f / groups;
  const spanH = o.d[0] * (o.kh - 1) + 1, spanW = o.d[1] * (o.kw - 1) + 1;
  const oh = o.same ? Math.ceil(h / o.s[0]) : Math.floor((h - spanH) / o.s[0]) + 1;
  const ow = o.same ? Math.ceil(w / o.s[1]) : Math.floor((w - spanW) / o.s[1]) + 1;
  const top = o.same ? Math.floor(Math.max(0, (oh - 1) * o.s[0] + spanH - h) / 2) : 0;
  const left = o.same ? Math.floor(Math.max(0, (ow - 1) * o.s[1] + spanW - w) / 2) : 0;
  const y = new Float64Array(batch * oh * ow * o.f);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let f = 0; f < o.f; f++) {
          let s = bias ? bias[f] : 0;
          for (let i = 0; i < o.kh; i++)
            for (let j = 0; j < o.kw; j++) {
              const yy = oy * o.s[0] - top + i * o.d[0], xx = ox * o.s[1] - left + j * o.d[1];
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              const first = Math.floor(f / fg) * cg; // this filter's group reads channels first .. first + cg
              for (let ch = 0; ch < cg; ch++) s += x[((b * h + yy) * w + xx) * c + first + ch] * k[((i * o.kw + j) * cg + ch) * o.f + f];
            }
          y[((b * oh + oy) * ow + ox) * o.f + f] = act(s);
        }
  return y;
}

export const cases: OpCase[] = [
  {
    name: "3x3 'valid' with relu, [5, 5, 2] to [3, 3, 4]",
    layers: () => [layers.conv2d({ inputShape: [5, 5, 2], filters: 4, kernelSize: 3, activation: 'relu' })],
    reference: ([k, b], { x, batch }) => conv(x, batch, [5, 5, 2], k, b, { kh: 3, kw: 3, f: 4, s: [1, 1], d: [1, 1], same: false }, (v) => Math.max(0, v)),
    onnx: { ops: ['Transpose', 'Conv', 'Relu'], reduction: 18, depth: 1 },
  },
  {
    name: "2x3 'same' with strides 2 and tanh, [5, 6, 3] to [3, 3, 2]",
    layers: () => [layers.conv2d({ inputShape: [5, 6, 3], filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'tanh' })],
    reference: ([k, b], { x, batch }) => conv(x, batch, [5, 6, 3], k, b, { kh: 2, kw: 3, f: 2, s: [2, 2], d: [1, 1], same: true }, Math.tanh),
    onnx: { ops: ['Conv', 'Tanh'], reduction: 18, depth: 1 },
  },
  {
    name: "dilation 2 without bias, then a second conv2d ('same')",
    layers: () => [
      layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 2, dilationRate: 2, useBias: false }),
      layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }),
    ],
    reference: ([k1, k2, b2], { x, batch }) => {
      const h = conv(x, batch, [6, 6, 1], k1, null, { kh: 2, kw: 2, f: 3, s: [1, 1], d: [2, 2], same: false });
      return conv(h, batch, [4, 4, 3], k2, b2, { kh: 3, kw: 3, f: 2, s: [1, 1], d: [1, 1], same: true });
    },
    onnx: { ops: ['Conv'], reduction: 27, depth: 2 },
  },
  {
    name: "conv1d ('same', strides 2, relu; a conv2d of height 1 with Keras' kernel [k, c, filters]), [7, 3] to [4, 2]",
    layers: () => [layers.conv1d({ inputShape: [7, 3], filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })],
    reference: ([k, b], { x, batch }) => conv(x, batch, [1, 7, 3], k, b, { kh: 1, kw: 3, f: 2, s: [1, 2], d: [1, 1], same: true }, (v) => Math.max(0, v)),
    onnx: { ops: ['Reshape', 'Conv', 'Relu'], reduction: 9, depth: 1 },
  },
  {
    name: "groups 2 with relu: [5, 5, 4] to [3, 3, 6], each half of the filters reading half of the channels",
    layers: () => [layers.conv2d({ inputShape: [5, 5, 4], filters: 6, kernelSize: 3, groups: 2, activation: 'relu' })],
    reference: ([k, b], { x, batch }) => conv(x, batch, [5, 5, 4], k, b, { kh: 3, kw: 3, f: 6, s: [1, 1], d: [1, 1], same: false, groups: 2 }, (v) => Math.max(0, v)),
    onnx: { ops: ['Conv'], reduction: 18, depth: 1 },
  },
  {
    name: "depthwiseConv2d, depthMultiplier 2, 'same', strides 2: [5, 5, 3] to [3, 3, 6] (Keras' kernel [3, 3, 3, 2])",
    layers: () => [layers.depthwiseConv2d({ inputShape: [5, 5, 3], kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' })],
    // The depthwise kernel [kh, kw, c, m] is the grouped kernel [kh, kw, 1, c * m] in memory.
    reference: ([k, b], { x, batch }) => conv(x, batch, [5, 5, 3], k, b, { kh: 3, kw: 3, f: 6, s: [2, 2], d: [1, 1], same: true, groups: 3 }),
    onnx: { ops: ['Conv'], reduction: 9, depth: 1 },
  },
  {
    name: "channelsFirst: conv2d [2, 5, 4] to [3, 5, 4] ('same', tanh), then a channelsFirst depthwiseConv2d without bias",
    layers: () => [
      layers.conv2d({ inputShape: [2, 5, 4], filters: 3, kernelSize: [3, 2], padding: 'same', activation: 'tanh', dataFormat: 'channelsFirst' }),
      layers.depthwiseConv2d({ kernelSize: 2, useBias: false, dataFormat: 'channelsFirst' }),
    ],
    reference: ([k1, b1, k2], { x, batch }) => {
      const h = conv(toChannelsFirst(x, batch, [5, 4, 2], true), batch, [5, 4, 2], k1, b1, { kh: 3, kw: 2, f: 3, s: [1, 1], d: [1, 1], same: true }, Math.tanh);
      return toChannelsFirst(conv(h, batch, [5, 4, 3], k2, null, { kh: 2, kw: 2, f: 3, s: [1, 1], d: [1, 1], same: false, groups: 3 }), batch, [4, 3, 3]);
    },
    onnx: { ops: ['Conv', 'Tanh'], reduction: 12, depth: 2 },
  },
];
