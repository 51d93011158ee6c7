// random_translation: whole-pixel shifts drawn per sample from the counter-based RNG (replayed
// here in float64 with float32 rounding where the native side rounds), each of Keras' fill modes;
// the identity at inference (absent from ONNX).
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';
import type { FillMode } from '../../src/layers/index.js';

const fitSeed = 77, f32 = Math.fround;

/** Sample b's shift along an axis of `size`, as native/ops/random_translation/functions.h draws it. */
function shift(b: number, axis: number, [low, high]: [number, number], size: number, layerSeed: number, node: number): number {
  const seed = BigInt(fitSeed) ^ ref.mix64(BigInt(layerSeed) + 0x7261n);
  const u = ref.uniformAt(seed, (1n << 16n) | BigInt(node), BigInt(2 * b + axis));
  const f = f32(f32(low) + f32(f32(f32(high) - f32(low)) * u));
  return Math.trunc(f32(f32(f * size) + (f >= 0 ? 0.5 : -0.5)));
}

function source(s: number, n: number, mode: FillMode): number {
  if (s >= 0 && s < n) return s;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return s < 0 ? 0 : n - 1;
  if (mode === 'wrap') return ((s % n) + n) % n;
  const m = ((s % (2 * n)) + 2 * n) % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

function translate(x: Float64Array, batch: number, [h, w, c]: number[], o: { hf: [number, number]; wf: [number, number]; fill: FillMode; value?: number; seed?: number; node?: number }): Float64Array {
  const y = new Float64Array(x.length);
  for (let b = 0; b < batch; b++) {
    const dy = shift(b, 0, o.hf, h, o.seed ?? 0, o.node ?? 0), dx = shift(b, 1, o.wf, w, o.seed ?? 0, o.node ?? 0);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        const si = source(i - dy, h, o.fill), sj = source(j - dx, w, o.fill);
        for (let ch = 0; ch < c; ch++) y[((b * h + i) * w + j) * c + ch] = si < 0 || sj < 0 ? (o.value ?? 0) : x[((b * h + si) * w + sj) * c + ch];
      }
  }
  return y;
}

const modeCase = (fill: FillMode, hf: [number, number], wf: [number, number], extra: { fillValue?: number; seed?: number } = {}): OpCase => ({
  name: `training, fillMode '${fill}', heightFactor [${hf}], widthFactor [${wf}]: [5, 4, 2] (gradients reach the elements read, repeatedly at the border)`,
  layers: () => [layers.randomTranslation({ inputShape: [5, 4, 2], heightFactor: hf, widthFactor: wf, fillMode: fill, ...extra })],
  reference: (_p, { x, batch }) => translate(x, batch, [5, 4, 2], { hf, wf, fill, value: extra.fillValue, seed: extra.seed }),
  training: { seed: fitSeed },
  onnx: { ops: [], reduction: 1, depth: 1 },
});

export const cases: OpCase[] = [
  modeCase('reflect', [-0.4, 0.4], [-0.5, 0.5]),
  modeCase('constant', [-0.2, 0.6], [-0.5, 0.1], { fillValue: 0.5, seed: 3 }),
  modeCase('wrap', [-0.6, 0.6], [-0.3, 0.3]),
  modeCase('nearest', [-0.6, 0.6], [-0.5, 0.5], { seed: 9 }),
  {
    name: 'at inference: the identity, then a dense layer',
    layers: () => [layers.randomTranslation({ inputShape: [3, 3, 1], heightFactor: 0.3, widthFactor: 0.3 }), layers.flatten(), layers.dense({ units: 2 })],
    reference: ([k, b], { x, batch }) => ref.dense(x, batch, 9, k, b, 2),
    onnx: { ops: ['Gemm'], reduction: 9, depth: 1 },
  },
];
