// Finite-difference gradient checks of the graph ops (issue 16): merge (add, subtract, multiply,
// average, maximum, minimum; the same tensor twice), concatenate along each axis, reshape, a
// shared layer (one set of weights, gradients added), and a model's several inputs (input_slice).
import { describe, it } from 'vitest';
import type { NodeSpec } from '../src/backend/native.js';
import { checkGradients } from './helpers/gradcheck.js';
import * as ref from './helpers/reference.js';

type Vec = Float64Array;
const node = (op: string, name: string, inputs: number[], numbers: Record<string, number> = {}, strings: Record<string, string> = {}, extra: Partial<NodeSpec> = {}): NodeSpec => ({ op, name, inputs, numbers, strings, ...extra });
const zip = (arrays: Vec[], f: (values: number[]) => number): Vec => Float64Array.from(arrays[0], (_, i) => f(arrays.map((a) => a[i])));
const B = 3; // batch

describe('merge', () => {
  // Two dense branches of one input, merged: d1 = tanh(x k1 + b1), d2 = x k2 + b2 (units 4).
  const branches = (mode: string, inputs = [1, 2]) => ({
    inputShape: [5], batch: B, loss: 'mse' as const,
    nodes: [node('dense', 'a', [0], { units: 4 }, { activation: 'tanh' }), node('dense', 'b', [0], { units: 4 }), node('merge', 'm', inputs, {}, { mode })],
  });
  const d = (p: Vec[], x: Vec): [Vec, Vec] => [ref.activation('tanh', ref.dense(x, B, 5, p[0], p[1], 4)), ref.dense(x, B, 5, p[2], p[3], 4)];
  const cases: [string, (v: number[]) => number][] = [
    ['add', (v) => v[0] + v[1]],
    ['subtract', (v) => v[0] - v[1]],
    ['multiply', (v) => v[0] * v[1]],
    ['average', (v) => (v[0] + v[1]) / 2],
    ['maximum', (v) => Math.max(v[0], v[1])],
    ['minimum', (v) => Math.min(v[0], v[1])],
  ];
  it.each(cases)('%s of two branches', (mode, f) => {
    checkGradients({ ...branches(mode), reference: (p, x, _ids, y) => ref.mse(zip(d(p, x), f), y) });
  });
  it('add of the same tensor twice (its gradient counted twice), and a three-way multiply with the input', () => {
    checkGradients({ ...branches('add', [1, 1]), nodes: branches('add', [1, 1]).nodes.filter((n) => n.name !== 'b'), reference: (p, x, _ids, y) => ref.mse(zip([d([...p, p[0], p[1]], x)[0]], (v) => 2 * v[0]), y) });
    checkGradients({
      inputShape: [4], batch: B, loss: 'mse',
      nodes: [node('dense', 'a', [0], { units: 4 }, { activation: 'tanh' }), node('dense', 'b', [0], { units: 4 }), node('merge', 'm', [0, 1, 2], {}, { mode: 'multiply' })],
      reference: (p, x, _ids, y) => ref.mse(zip([x, ref.activation('tanh', ref.dense(x, B, 4, p[0], p[1], 4)), ref.dense(x, B, 4, p[2], p[3], 4)], (v) => v[0] * v[1] * v[2]), y),
    });
  });
});

describe('concatenate and reshape', () => {
  it('along the last axis of [5] and [3] (a residual-style join of the input and a branch)', () => {
    checkGradients({
      inputShape: [5], batch: B, loss: 'mse',
      nodes: [node('dense', 'a', [0], { units: 3 }, { activation: 'tanh' }), node('concatenate', 'c', [0, 1], { axis: 0 }), node('dense', 'out', [2], { units: 2 })],
      reference: (p, x, _ids, y) => {
        const h = ref.activation('tanh', ref.dense(x, B, 5, p[0], p[1], 3));
        const joined = new Float64Array(B * 8);
        for (let r = 0; r < B; r++) { joined.set(x.subarray(r * 5, r * 5 + 5), r * 8); joined.set(h.subarray(r * 3, r * 3 + 3), r * 8 + 5); }
        return ref.mse(ref.dense(joined, B, 8, p[2], p[3], 2), y);
      },
    });
  });
  it('reshape [6] to [2, 3], then concatenate along axis 0 and along axis 1', () => {
    for (const axis of [0, 1]) {
      checkGradients({
        inputShape: [6], batch: B, loss: 'mse',
        nodes: [
          node('reshape', 'r', [0], {}, { targetShape: '2,3' }),
          node('dense', 'a', [1], { units: 3 }, { activation: 'tanh' }), // over the last axis: [2, 3]
          node('concatenate', 'c', [1, 2], { axis }),
          node('flatten', 'f', [3]),
        ],
        reference: (p, x, _ids, y) => {
          const h = ref.activation('tanh', ref.dense(x, B * 2, 3, p[0], p[1], 3)); // rows of 3
          const out = new Float64Array(B * 12);
          for (let r = 0; r < B; r++)
            for (let i = 0; i < 2; i++)
              for (let j = 0; j < 6; j++) {
                // axis 0: [x rows; h rows] as [4, 3]; axis 1: [x row i | h row i] as [2, 6]
                const v = axis === 0
                  ? (i * 6 + j < 6 ? x[r * 6 + i * 6 + j] : 0)
                  : (j < 3 ? x[r * 6 + i * 3 + j] : h[(r * 2 + i) * 3 + j - 3]);
                if (axis === 1) out[r * 12 + i * 6 + j] = v;
              }
          if (axis === 0) for (let r = 0; r < B; r++) { out.set(x.subarray(r * 6, r * 6 + 6), r * 12); out.set(h.subarray(r * 6, r * 6 + 6), r * 12 + 6); }
          return ref.mse(out, y);
        },
      });
    }
  });
});

describe('shared layers', () => {
  it('one dense applied twice: its kernel and bias get the sum of both uses', () => {
    checkGradients({
      inputShape: [4], batch: B, loss: 'mse',
      nodes: [node('dense', 'shared', [0], { units: 4 }, { activation: 'tanh' }), node('dense', 'shared', [1], { units: 4 }, { activation: 'tanh' }, { shareParamsWith: 0 }), node('merge', 'm', [1, 2], {}, { mode: 'add' })],
      reference: ([k, b], x, _ids, y) => {
        const h1 = ref.activation('tanh', ref.dense(x, B, 4, k, b, 4));
        const h2 = ref.activation('tanh', ref.dense(h1, B, 4, k, b, 4));
        return ref.mse(zip([h1, h2], (v) => v[0] + v[1]), y);
      },
    });
  });
});

describe('several inputs (input_slice)', () => {
  it('a packed row [5] read as a [3] and a [2] input, each through its own dense, then added', () => {
    checkGradients({
      inputShape: [5], batch: B, loss: 'mse',
      nodes: [
        node('input_slice', 'x1', [0], { offset: 0 }, { shape: '3', dtype: 'float32' }),
        node('input_slice', 'x2', [0], { offset: 3 }, { shape: '2', dtype: 'float32' }),
        node('dense', 'a', [1], { units: 2 }), node('dense', 'b', [2], { units: 2 }, { activation: 'tanh' }),
        node('merge', 'm', [3, 4], {}, { mode: 'add' }),
      ],
      reference: (p, x, _ids, y) => {
        const x1 = new Float64Array(B * 3), x2 = new Float64Array(B * 2);
        for (let r = 0; r < B; r++) { x1.set(x.subarray(r * 5, r * 5 + 3), r * 3); x2.set(x.subarray(r * 5 + 3, r * 5 + 5), r * 2); }
        return ref.mse(zip([ref.dense(x1, B, 3, p[0], p[1], 2), ref.activation('tanh', ref.dense(x2, B, 2, p[2], p[3], 2))], (v) => v[0] + v[1]), y);
      },
    });
  });
});
