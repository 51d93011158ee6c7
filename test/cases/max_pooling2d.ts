// max_pooling2d: window maxima over channels-last samples; after a conv2d (so the gradient reaches
// weights through the chosen places), 2x2 'valid', and 3x3 with strides 2 and 'same' (windows overlap).
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

function pool(x: Float64Array, batch: number, [h, w, c]: number[], [ph, pw]: number[], [sh, sw]: number[], same: boolean): Float64Array {
  const oh = same ? Math.ceil(h / sh) : Math.floor((h - ph) / sh) + 1, ow = same ? Math.ceil(w / sw) : Math.floor((w - pw) / sw) + 1;
  const top = same ? Math.floor(Math.max(0, (oh - 1) * sh + ph - h) / 2) : 0, left = same ? Math.floor(Math.max(0, (ow - 1) * sw + pw - w) / 2) : 0;
  const y = new Float64Array(batch * oh * ow * c);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity;
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) {
              const yy = oy * sh - top + i, xx = ox * sw - left + j;
              if (yy >= 0 && yy < h && xx >= 0 && xx < w) m = Math.max(m, x[((b * h + yy) * w + xx) * c + ch]);
            }
          y[((b * oh + oy) * ow + ox) * c + ch] = m;
        }
  return y;
}
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
];
