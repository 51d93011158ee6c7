// Graph models trained step by step against an independent float64 reference (issue 16): a
// residual MLP, and the same network fed by two inputs joined by concatenate. The reference
// writes the forward and backward passes and the SGD update out by hand; after each step every
// weight must agree within float32 rounding (relative error <= 1e-5).
import { describe, expect, it } from 'vitest';
import { input, layers, model, optimizers, tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import * as ref from './helpers/reference.js';

type Vec = Float64Array;
const IN = 5, W = 4, C = 3, ROWS = 8, LR = 0.1;

// x[rows, IN] -> h0 = relu(x W0 + b0) -> f = relu(h0 W1 + b1) W2 + b2 -> h1 = relu(h0 + f) -> logits = h1 W3 + b3.
// One SGD step on the mean softmax cross-entropy; `p` is updated in place; returns the loss.
function referenceStep(p: Vec[], x: Vec, labels: Int32Array): number {
  const [w0, b0, w1, b1, w2, b2, w3, b3] = p;
  const z0 = ref.dense(x, ROWS, IN, w0, b0, W), h0 = ref.activation('relu', z0);
  const z1 = ref.dense(h0, ROWS, W, w1, b1, W), a1 = ref.activation('relu', z1);
  const f = ref.dense(a1, ROWS, W, w2, b2, W);
  const s = h0.map((v, i) => v + f[i]), h1 = ref.activation('relu', s);
  const logits = ref.dense(h1, ROWS, W, w3, b3, C);
  const loss = ref.softmaxCrossEntropy(logits, labels);
  // Backward.
  const probs = ref.softmaxRows(logits, C);
  const dLogits = probs.map((v, i) => (v - (labels[Math.floor(i / C)] === i % C ? 1 : 0)) / ROWS);
  const denseBack = (xIn: Vec, inputs: number, w: Vec, dy: Vec, units: number) => {
    const dw = new Float64Array(inputs * units), db = new Float64Array(units), dx = new Float64Array(ROWS * inputs);
    for (let r = 0; r < ROWS; r++)
      for (let u = 0; u < units; u++) {
        const g = dy[r * units + u];
        db[u] += g;
        for (let i = 0; i < inputs; i++) {
          dw[i * units + u] += xIn[r * inputs + i] * g;
          dx[r * inputs + i] += w[i * units + u] * g;
        }
      }
    return { dw, db, dx };
  };
  const reluBack = (pre: Vec, dy: Vec) => dy.map((g, i) => (pre[i] > 0 ? g : 0));
  const g3 = denseBack(h1, W, w3, dLogits, C);
  const dS = reluBack(s, g3.dx); // flows to both h0 (the skip) and f
  const g2 = denseBack(a1, W, w2, dS, W);
  const g1 = denseBack(h0, W, w1, reluBack(z1, g2.dx), W);
  const dH0 = dS.map((v, i) => v + g1.dx[i]);
  const g0 = denseBack(x, IN, w0, reluBack(z0, dH0), W);
  [g0.dw, g0.db, g1.dw, g1.db, g2.dw, g2.db, g3.dw, g3.db].forEach((g, k) => p[k].forEach((_, i) => (p[k][i] -= LR * g[i])));
  return loss;
}

function residual(joined: boolean) {
  const xs = joined ? [input({ shape: [3], name: 'a' }), input({ shape: [2], name: 'b' })] : [input({ shape: [IN] })];
  const x = joined ? layers.concatenate().apply(xs) : xs[0];
  const h0 = layers.dense({ units: W, activation: 'relu' }).apply(x);
  const f = layers.dense({ units: W }).apply(layers.dense({ units: W, activation: 'relu' }).apply(h0));
  const h1 = layers.relu().apply(layers.add().apply([h0, f]));
  const m = model({ inputs: xs, outputs: layers.dense({ units: C }).apply(h1), seed: 3 });
  m.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: 'softmaxCrossEntropy' });
  return m;
}

describe('graph models against a float64 reference, step by step', () => {
  const r = new Random(8);
  const steps = 6;
  const xs = Array.from({ length: steps }, () => Float32Array.from({ length: ROWS * IN }, () => r.normal()));
  const ys = Array.from({ length: steps }, () => Int32Array.from({ length: ROWS }, () => r.int(C)));

  it.each([['a residual MLP', false], ['the same fed by two inputs joined by concatenate', true]] as const)('%s', async (_name, joined) => {
    const m = residual(joined);
    const p = m.getWeights().map((w) => Float64Array.from(w.data));
    for (let step = 0; step < steps; step++) {
      const x = tensor(xs[step], [ROWS, IN]);
      const data = joined
        ? [tensor(Float32Array.from({ length: ROWS * 3 }, (_, i) => xs[step][Math.floor(i / 3) * IN + (i % 3)]), [ROWS, 3]),
           tensor(Float32Array.from({ length: ROWS * 2 }, (_, i) => xs[step][Math.floor(i / 2) * IN + 3 + (i % 2)]), [ROWS, 2])]
        : x;
      const h = await m.fit(data, tensor(ys[step], [ROWS], 'int32'), { epochs: 1, batchSize: ROWS, shuffle: false, verbose: 0 });
      const loss = referenceStep(p, Float64Array.from(xs[step]), ys[step]);
      expect(Math.abs(h.history.loss[0] - loss) / loss).toBeLessThanOrEqual(1e-5);
      m.getWeights().forEach((w, k) => {
        let diff = 0, norm = 0;
        w.data.forEach((v, i) => ((diff += (v - p[k][i]) ** 2), (norm += p[k][i] ** 2)));
        expect(Math.sqrt(diff / norm), `${w.name} after step ${step + 1}`).toBeLessThanOrEqual(1e-5);
      });
    }
  });
});
