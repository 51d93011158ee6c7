// Finite-difference gradient checks for every op and loss (native/ops, native/core/loss.cc):
// a float64 reference of the forward pass, differentiated numerically, against the native backward.
import { describe, expect, it } from 'vitest';
import { native, type NodeSpec } from '../src/backend/native.js';
import { OP_CASES } from './cases/index.js';
import { checkCase, checkGradients } from './helpers/gradcheck.js';
import * as ref from './helpers/reference.js';

const node = (op: NodeSpec['op'], inputs: number[], numbers: Record<string, number> = {}, strings: Record<string, string> = {}): NodeSpec => ({
  op, name: `${op}_${inputs[0] + 1}`, inputs, numbers, strings,
});

// Every op's cases (test/cases/<op>.ts): the native backward of its layers against finite
// differences of the float64 reference.
describe.each([...new Set(OP_CASES.map(([op]) => op))])('op %s', (op) => {
  it.each(OP_CASES.filter(([o]) => o === op).map(([, c]) => [c.name, c] as const))('%s', (_name, c) => {
    const { checked } = checkCase(c);
    expect(checked).toBeGreaterThan(0);
    // Batch 1 too: batch statistics over one sample, windows and shifts of a single image.
    expect(checkCase(c, 1).checked).toBeGreaterThan(0);
  });
});

describe('L2 regularization (kernelRegularizer: loss += l2 * sum(w^2))', () => {
  const sq = (v: Float64Array) => v.reduce((a, b) => a + b * b, 0);
  it('dense kernel and bias penalties', () => {
    checkGradients({
      inputShape: [5], batch: 3, loss: 'mse',
      nodes: [node('dense', [0], { units: 4, kernelL2: 0.3, biasL2: 0.05 }, { activation: 'tanh' })],
      reference: ([k, b], x, _ids, y) => ref.mse(ref.activation('tanh', ref.dense(x, 3, 5, k, b, 4)), y) + 0.3 * sq(k) + 0.05 * sq(b),
    });
  });

  it('embedding penalty, with an unregularized dense after it', () => {
    checkGradients({
      inputShape: [4], inputDtype: 'int32', vocab: 3, batch: 3, loss: 'mse',
      nodes: [node('embedding', [0], { inputDim: 3, outputDim: 2, embeddingsL2: 0.2 }), node('flatten', [1]), node('dense', [2], { units: 2 })],
      reference: ([table, k, b], _x, ids, y) => ref.mse(ref.dense(ref.embedding(ids, table, 2), 3, 8, k, b, 2), y) + 0.2 * sq(table),
    });
  });
});

describe('losses', () => {
  it('softmaxCrossEntropy', () => {
    checkGradients({
      inputShape: [5], batch: 4, loss: 'softmaxCrossEntropy',
      nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => ref.softmaxCrossEntropy(x, y as Int32Array),
    });
  });

  it('mse', () => {
    checkGradients({
      inputShape: [3], batch: 4, loss: 'mse',
      nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => ref.mse(x, y),
    });
  });

  it('binaryCrossEntropy from logits', () => {
    checkGradients({
      inputShape: [3], batch: 4, loss: 'binaryCrossEntropy',
      nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => ref.binaryCrossEntropy(x, y),
    });
  });

  // Issue 20's losses (native/core/loss_rules.h), against float64 forms of Keras' definitions.
  type Vec = Float64Array;
  const mean = (f: (i: number) => number, n: number) => { let s = 0; for (let i = 0; i < n; i++) s += f(i); return s / n; };
  const rowsOf = (x: Vec, cols: number) => Array.from({ length: x.length / cols }, (_, r) => x.subarray(r * cols, (r + 1) * cols));
  /** Rows of `cols` positive values summing to 1: a soft target distribution. */
  const distributions = (cols: number) => (n: number, rng: { uniform(): number }) => {
    const t = Float32Array.from({ length: n }, () => 0.05 + rng.uniform());
    for (let r = 0; r < n / cols; r++) { let s = 0; for (let c = 0; c < cols; c++) s += t[r * cols + c]; for (let c = 0; c < cols; c++) t[r * cols + c] /= s; }
    return t;
  };
  const clip = (v: number) => Math.min(1, Math.max(1e-7, v));
  it.each([
    ['mae', (x: Vec, y: Vec) => mean((i) => Math.abs(x[i] - y[i]), x.length)],
    ['logCosh', (x: Vec, y: Vec) => mean((i) => Math.log(Math.cosh(x[i] - y[i])), x.length)],
  ] as const)('%s', (loss, reference) => {
    checkGradients({ inputShape: [3], batch: 4, loss, nodes: [node('flatten', [0])], reference: (_p, x, _ids, y) => reference(x, Float64Array.from(y)) });
  });

  it.each([0.5, 2])('huber with delta %s', (delta) => {
    checkGradients({
      inputShape: [4], batch: 3, loss: 'huber', param: delta, nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => mean((i) => { const a = Math.abs(x[i] - y[i]); return a <= delta ? 0.5 * a * a : delta * (a - 0.5 * delta); }, x.length),
    });
  });

  it('label smoothing 0.2: softmaxCrossEntropy (class indices), categoricalCrossEntropy (soft targets), binaryCrossEntropy', () => {
    const e = 0.2;
    checkGradients({
      inputShape: [4], batch: 4, loss: 'softmaxCrossEntropy', param: e, nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => {
        const logp = ref.softmaxRows(x, 4).map(Math.log);
        return mean((r) => { let s = 0; for (let c = 0; c < 4; c++) s -= ((c === y[r] ? 1 - e : 0) + e / 4) * logp[r * 4 + c]; return s; }, 4);
      },
    });
    checkGradients({
      inputShape: [3], batch: 4, loss: 'categoricalCrossEntropy', param: e, nodes: [node('flatten', [0])], targets: distributions(3),
      reference: (_p, x, _ids, y) => {
        const logp = ref.softmaxRows(x, 3).map(Math.log);
        return mean((r) => { let s = 0; for (let c = 0; c < 3; c++) s -= (y[r * 3 + c] * (1 - e) + e / 3) * logp[r * 3 + c]; return s; }, 4);
      },
    });
    checkGradients({
      inputShape: [3], batch: 4, loss: 'binaryCrossEntropy', param: e, nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => ref.binaryCrossEntropy(x, Float64Array.from(y, (t) => t * (1 - e) + e / 2)),
    });
  });

  it('hinge (0/1 targets read as -1/1, as Keras)', () => {
    checkGradients({
      inputShape: [3], batch: 4, loss: 'hinge', nodes: [node('flatten', [0])],
      targets: (n, rng) => Float32Array.from({ length: n }, () => [-1, 0, 1][rng.int(3)]),
      reference: (_p, x, _ids, y) => mean((i) => Math.max(1 - (y[i] === 0 ? -1 : y[i]) * x[i], 0), x.length),
    });
  });

  it('poisson, on a softplus output (positive rates)', () => {
    checkGradients({
      inputShape: [3], batch: 4, loss: 'poisson', nodes: [node('softplus', [0])],
      targets: (n, rng) => Float32Array.from({ length: n }, () => rng.int(4)),
      reference: (_p, x, _ids, y) => mean((i) => { const p = Math.log1p(Math.exp(x[i])); return p - y[i] * Math.log(p + 1e-7); }, x.length),
    });
  });

  it('kld, on softmax probabilities, against soft targets', () => {
    checkGradients({
      inputShape: [4], batch: 3, loss: 'kld', nodes: [node('softmax', [0])], targets: distributions(4),
      reference: (_p, x, _ids, y) => {
        const p = ref.softmaxRows(x, 4), t = Float64Array.from(y);
        return mean((r) => { let s = 0; for (let c = 0; c < 4; c++) s += clip(t[r * 4 + c]) * Math.log(clip(t[r * 4 + c]) / clip(p[r * 4 + c])); return s; }, 3);
      },
    });
  });

  it('categoricalCrossEntropy from logits, soft targets, over a sequence [2 positions, 4 classes]', () => {
    checkGradients({
      inputShape: [2, 4], batch: 3, loss: 'categoricalCrossEntropy', nodes: [node('reshape', [0], {}, { targetShape: '2,4' })], targets: distributions(4),
      reference: (_p, x, _ids, y) => {
        const logp = ref.softmaxRows(x, 4).map(Math.log), t = Float64Array.from(y);
        return mean((r) => { let s = 0; for (let c = 0; c < 4; c++) s -= t[r * 4 + c] * logp[r * 4 + c]; return s; }, 6);
      },
    });
  });

  it('cosineSimilarity over each row', () => {
    checkGradients({
      inputShape: [5], batch: 3, loss: 'cosineSimilarity', nodes: [node('flatten', [0])],
      reference: (_p, x, _ids, y) => {
        const ys = rowsOf(Float64Array.from(y), 5);
        return mean((r) => {
          const p = x.subarray(r * 5, r * 5 + 5), t = ys[r];
          const dot = p.reduce((a, v, i) => a + v * t[i], 0), np = Math.hypot(...p), nt = Math.hypot(...t);
          return -dot / (np * nt);
        }, 3);
      },
    });
  });

  it('softmaxCrossEntropy is exact for huge logits (log-sum-exp, no overflow)', () => {
    // logits [1000, 0, -1000]: exp(1000) overflows float32, the stable form does not.
    const program = new native.Program({ inputShape: [3], inputDtype: 'float32', nodes: [node('flatten', [0])], inputGradient: true });
    program.compile('softmaxCrossEntropy', { type: 'sgd' });
    const data = new native.Dataset(Float32Array.of(1000, 0, -1000, 1000, 0, -1000), [3], Int32Array.of(0, 2), [1]);
    const r = program.computeGradients(data, Int32Array.of(0, 1), false, 0);
    // Row losses: logsumexp = 1000, so 1000 - 1000 = 0 and 1000 - (-1000) = 2000; mean 1000.
    expect(r.loss).toBe(1000);
    expect(r.correct).toBe(1);
    // d/dz = (softmax - onehot) / rows, softmax = [1, 0, 0] (exactly, in float32).
    expect(Array.from(program.inputGradient(2))).toEqual([0, 0, 0, 0.5, 0, -0.5]);
  });
});

describe('a whole stack', () => {
  it('dense relu -> dropout -> dense gelu -> dense -> softmaxCrossEntropy, in training mode', () => {
    const fitSeed = 99;
    const mask = ref.dropoutScale(5 * 5, 0.3, fitSeed, 0, 1, 1);
    checkGradients({
      inputShape: [6], batch: 5, loss: 'softmaxCrossEntropy', training: true, seed: fitSeed,
      nodes: [
        node('dense', [0], { units: 5 }, { activation: 'relu' }),
        node('dropout', [1], { rate: 0.3 }),
        node('dense', [2], { units: 4 }, { activation: 'gelu' }),
        node('dense', [3], { units: 3 }),
      ],
      reference: ([k1, b1, k2, b2, k3, b3], x, _ids, y) => {
        const h1 = ref.activation('relu', ref.dense(x, 5, 6, k1, b1, 5)).map((v, i) => v * mask[i]);
        const h2 = ref.activation('gelu', ref.dense(h1, 5, 5, k2, b2, 4));
        return ref.softmaxCrossEntropy(ref.dense(h2, 5, 4, k3, b3, 3), y as Int32Array);
      },
    });
  });
});
