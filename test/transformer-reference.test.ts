// One pre-LN transformer block trained step by step against an independent float64 reference
// (issue 18): token and position embeddings, layer normalization, causal multi-head attention, a
// residual add, a gelu MLP with its residual, a final normalization and a per-position softmax
// cross-entropy. The reference is the float64 forward pass (test/cases' attention and layer norm
// written out by hand) and its gradient by central differences in float64 (h = 1e-6, errors far
// below the tolerance); after each SGD step every weight must agree within float32 rounding
// (relative error <= 1e-5), and the loss too.
import { describe, expect, it } from 'vitest';
import { input, layers, model, optimizers, tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import { mha } from './cases/attention.js';
import { layerNorm } from './cases/layer_normalization.js';
import * as ref from './helpers/reference.js';

type Vec = Float64Array;
const V = 5, T = 4, D = 8, HEADS = 2, HIDDEN = 16, BATCH = 3, LR = 0.1, EPS = 1e-3;

// p in getWeights() order: token, position, ln1 (gamma, beta), attention (q, k, v, out: kernel
// and bias each), ln2, dense1, dense2, ln3, head.
function loss(p: Vec[], ids: Int32Array, labels: Int32Array): number {
  const [tok, pos, g1, b1, ...rest] = p;
  const att = rest.slice(0, 8), [g2, b2, k1, c1, k2, c2, g3, b3, kh, ch] = rest.slice(8);
  const rows = BATCH * T;
  const x = ref.embedding(ids, tok, D).map((v, i) => v + pos[i % (T * D)]);
  const a = mha(layerNorm(x, D, g1, b1, EPS), layerNorm(x, D, g1, b1, EPS), layerNorm(x, D, g1, b1, EPS), BATCH, [T, D], [T, D], D, att, { heads: HEADS, dk: D / HEADS, dv: D / HEADS, causal: true });
  const h = x.map((v, i) => v + a[i]);
  const f = ref.dense(ref.activation('gelu', ref.dense(layerNorm(h, D, g2, b2, EPS), rows, D, k1, c1, HIDDEN)), rows, HIDDEN, k2, c2, D);
  const h2 = h.map((v, i) => v + f[i]);
  return ref.softmaxCrossEntropy(ref.dense(layerNorm(h2, D, g3, b3, EPS), rows, D, kh, ch, V), labels);
}

function referenceStep(p: Vec[], ids: Int32Array, labels: Int32Array): number {
  const value = loss(p, ids, labels);
  const grads = p.map((w) => w.map((_, i) => {
    const keep = w[i];
    w[i] = keep + 1e-6;
    const up = loss(p, ids, labels);
    w[i] = keep - 1e-6;
    const down = loss(p, ids, labels);
    w[i] = keep;
    return (up - down) / 2e-6;
  }));
  p.forEach((w, k) => w.forEach((_, i) => (w[i] -= LR * grads[k][i])));
  return value;
}

describe('a pre-LN transformer block against a float64 reference, step by step', () => {
  it('loss and every weight agree after each of 3 SGD steps', async () => {
    const ids = input({ shape: [T], dtype: 'int32' });
    const x = layers.tokenAndPositionEmbedding({ vocabularySize: V, sequenceLength: T, embeddingDim: D, embeddingsInitializer: 'glorotUniform' }).apply(ids);
    const a = layers.multiHeadAttention({ numHeads: HEADS, keyDim: D / HEADS, useCausalMask: true, biasInitializer: 'glorotUniform' }).apply(layers.layerNormalization().apply(x));
    const h = layers.add().apply([x, a]);
    const f = layers.dense({ units: D }).apply(layers.dense({ units: HIDDEN, activation: 'gelu' }).apply(layers.layerNormalization().apply(h)));
    const out = layers.dense({ units: V }).apply(layers.layerNormalization().apply(layers.add().apply([h, f])));
    const m = model({ inputs: ids, outputs: out, seed: 5 });
    m.compile({ optimizer: optimizers.sgd({ learningRate: LR }), loss: 'softmaxCrossEntropy' });
    expect(m.getWeights().length).toBe(22);
    const p = m.getWeights().map((w) => Float64Array.from(w.data));
    const r = new Random(17);
    for (let step = 0; step < 3; step++) {
      const xs = Int32Array.from({ length: BATCH * T }, () => r.int(V));
      const ys = Int32Array.from({ length: BATCH * T }, () => r.int(V));
      const hist = await m.fit(tensor(xs, [BATCH, T], 'int32'), tensor(ys, [BATCH, T], 'int32'), { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
      const expected = referenceStep(p, xs, ys);
      expect(Math.abs(hist.history.loss[0] - expected) / expected).toBeLessThanOrEqual(1e-5);
      m.getWeights().forEach((w, k) => {
        let diff = 0, norm = 0;
        w.data.forEach((v, i) => ((diff += (v - p[k][i]) ** 2), (norm += p[k][i] ** 2)));
        expect(Math.sqrt(diff / norm), `${w.name} after step ${step + 1}`).toBeLessThanOrEqual(1e-5);
      });
    }
  });
});
