// A conv -> batch norm -> relu -> max pool -> dense network trained step by step against an
// independent float64 reference (issue 17): the reference writes every forward and backward pass
// and the SGD update out by hand, in float64; after each step every weight, gamma, beta and the
// moving statistics must agree within float32 rounding (relative error <= 1e-5).
import { describe, expect, it } from 'vitest';
import { layers, optimizers, sequential, tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import * as ref from './helpers/reference.js';

type Vec = Float64Array;
const ROWS = 8, H = 6, CIN = 2, F = 3, K = 3, OH = H - K + 1, PH = OH / 2, CLASSES = 3, LR = 0.1, MOMENTUM = 0.9, EPS = 1e-3;
const at = (b: number, i: number, j: number, c: number, h: number, w: number, ch: number) => ((b * h + i) * w + j) * ch + c;

// x[ROWS, 6, 6, 2] -> conv 3x3 (3 filters, no bias) -> batch norm (batch statistics) -> relu
// -> 2x2 max pool -> flatten [12] -> dense 3 -> softmax cross-entropy; one SGD step on p = [kernel,
// gamma, beta, movingMean, movingVariance, denseKernel, denseBias], in place; returns the loss.
function referenceStep(p: Vec[], x: Vec, labels: Int32Array): number {
  const [k, gamma, beta, movingMean, movingVar, w, bias] = p;
  // Convolution.
  const z = new Float64Array(ROWS * OH * OH * F);
  for (let b = 0; b < ROWS; b++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OH; j++)
        for (let f = 0; f < F; f++) {
          let s = 0;
          for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) for (let c = 0; c < CIN; c++) s += x[at(b, i + di, j + dj, c, H, H, CIN)] * k[((di * K + dj) * CIN + c) * F + f];
          z[at(b, i, j, f, OH, OH, F)] = s;
        }
  // Batch normalization over [ROWS * OH * OH] values per channel.
  const n = ROWS * OH * OH, mean = new Float64Array(F), variance = new Float64Array(F);
  z.forEach((v, e) => (mean[e % F] += v / n));
  z.forEach((v, e) => (variance[e % F] += (v - mean[e % F]) ** 2 / n));
  const invStd = variance.map((v) => 1 / Math.sqrt(v + EPS));
  const xhat = z.map((v, e) => (v - mean[e % F]) * invStd[e % F]);
  const bn = xhat.map((v, e) => gamma[e % F] * v + beta[e % F]);
  const a = ref.activation('relu', bn);
  // Max pooling 2x2, remembering where each maximum was.
  const pooled = new Float64Array(ROWS * PH * PH * F), from = new Int32Array(pooled.length);
  for (let b = 0; b < ROWS; b++)
    for (let i = 0; i < PH; i++)
      for (let j = 0; j < PH; j++)
        for (let f = 0; f < F; f++) {
          let best = -1;
          for (let di = 0; di < 2; di++) for (let dj = 0; dj < 2; dj++) {
            const e = at(b, 2 * i + di, 2 * j + dj, f, OH, OH, F);
            if (best < 0 || a[e] > a[best]) best = e;
          }
          const o = at(b, i, j, f, PH, PH, F);
          pooled[o] = a[best];
          from[o] = best;
        }
  const D = PH * PH * F;
  const logits = ref.dense(pooled, ROWS, D, w, bias, CLASSES);
  const loss = ref.softmaxCrossEntropy(logits, labels);
  // Backward.
  const probs = ref.softmaxRows(logits, CLASSES);
  const dLogits = probs.map((v, i) => (v - (labels[Math.floor(i / CLASSES)] === i % CLASSES ? 1 : 0)) / ROWS);
  const dw = new Float64Array(w.length), db = new Float64Array(CLASSES), dPooled = new Float64Array(pooled.length);
  for (let r = 0; r < ROWS; r++)
    for (let u = 0; u < CLASSES; u++) {
      const g = dLogits[r * CLASSES + u];
      db[u] += g;
      for (let i = 0; i < D; i++) (dw[i * CLASSES + u] += pooled[r * D + i] * g), (dPooled[r * D + i] += w[i * CLASSES + u] * g);
    }
  const dA = new Float64Array(a.length);
  dPooled.forEach((g, o) => (dA[from[o]] += g));
  const dBn = dA.map((g, e) => (bn[e] > 0 ? g : 0));
  const dGamma = new Float64Array(F), dBeta = new Float64Array(F);
  dBn.forEach((g, e) => ((dGamma[e % F] += g * xhat[e]), (dBeta[e % F] += g)));
  const dz = dBn.map((g, e) => (gamma[e % F] * invStd[e % F] * (g - dBeta[e % F] / n - xhat[e] * dGamma[e % F] / n)));
  const dk = new Float64Array(k.length);
  for (let b = 0; b < ROWS; b++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OH; j++)
        for (let f = 0; f < F; f++) {
          const g = dz[at(b, i, j, f, OH, OH, F)];
          for (let di = 0; di < K; di++) for (let dj = 0; dj < K; dj++) for (let c = 0; c < CIN; c++) dk[((di * K + dj) * CIN + c) * F + f] += x[at(b, i + di, j + dj, c, H, H, CIN)] * g;
        }
  // The update, and the moving statistics (Keras' rule, with the biased batch variance).
  [[k, dk], [gamma, dGamma], [beta, dBeta], [w, dw], [bias, db]].forEach(([v, g]) => v.forEach((_, i) => (v[i] -= LR * g[i])));
  for (let f = 0; f < F; f++) {
    movingMean[f] = MOMENTUM * movingMean[f] + (1 - MOMENTUM) * mean[f];
    movingVar[f] = MOMENTUM * movingVar[f] + (1 - MOMENTUM) * variance[f];
  }
  return loss;
}

describe('a conv-bn-pool-dense network against a float64 reference, step by step', () => {
  it('loss, weights, gamma, beta and moving statistics agree after each of 6 SGD steps', async () => {
    const m = sequential([
      layers.conv2d({ inputShape: [H, H, CIN], filters: F, kernelSize: K, useBias: false }),
      layers.batchNormalization({ momentum: MOMENTUM }),
      layers.relu(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: CLASSES }),
    ], { seed: 4 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: 'softmaxCrossEntropy' });
    expect(m.getWeights().map((w) => w.name.split('/')[1])).toEqual(['kernel', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'kernel', 'bias']);
    const p = m.getWeights().map((w) => Float64Array.from(w.data));
    const r = new Random(12);
    for (let step = 0; step < 6; step++) {
      const x = Float32Array.from({ length: ROWS * H * H * CIN }, () => r.normal());
      const labels = Int32Array.from({ length: ROWS }, () => r.int(CLASSES));
      const h = await m.fit(tensor(x, [ROWS, H, H, CIN]), tensor(labels, [ROWS], 'int32'), { epochs: 1, batchSize: ROWS, shuffle: false, verbose: 0 });
      const loss = referenceStep(p, Float64Array.from(x), labels);
      expect(Math.abs(h.history.loss[0] - loss) / loss).toBeLessThanOrEqual(1e-5);
      m.getWeights().forEach((w, k) => {
        let diff = 0, norm = 0;
        w.data.forEach((v, i) => ((diff += (v - p[k][i]) ** 2), (norm += p[k][i] ** 2)));
        expect(Math.sqrt(diff / norm), `${w.name} after step ${step + 1}`).toBeLessThanOrEqual(1e-5);
      });
    }
  });
});
