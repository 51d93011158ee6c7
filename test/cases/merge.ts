// merge: inputs of one shape combined elementwise; graphs from one input: a residual add, every
// other mode between a dense branch and the input, and three inputs.
import { input, layers } from '../../src/index.js';
import type { OpCase } from './case.js';

// branch = tanh(x k + b) over [5]; the merge of the branch and x.
const branch = (k: Float64Array, b: Float64Array, x: Float64Array, batch: number) => {
  const y = new Float64Array(batch * 5);
  for (let r = 0; r < batch; r++)
    for (let u = 0; u < 5; u++) {
      let s = b[u];
      for (let i = 0; i < 5; i++) s += x[r * 5 + i] * k[i * 5 + u];
      y[r * 5 + u] = Math.tanh(s);
    }
  return y;
};
const modes = {
  add: { layer: layers.add, f: (a: number, b: number) => a + b, onnx: 'Add' },
  subtract: { layer: layers.subtract, f: (a: number, b: number) => a - b, onnx: 'Sub' },
  multiply: { layer: layers.multiply, f: (a: number, b: number) => a * b, onnx: 'Mul' },
  average: { layer: layers.average, f: (a: number, b: number) => (a + b) / 2, onnx: 'Mean' },
  maximum: { layer: layers.maximum, f: (a: number, b: number) => Math.max(a, b), onnx: 'Max' },
  minimum: { layer: layers.minimum, f: (a: number, b: number) => Math.min(a, b), onnx: 'Min' },
};

export const cases: OpCase[] = [
  ...Object.entries(modes).map(([mode, { layer, f, onnx }]): OpCase => ({
    name: `${mode}([dense(x), x])${mode === 'add' ? ': a residual connection' : ''}`,
    graph: () => {
      const x = input({ shape: [5] });
      const h = layers.dense({ units: 5, activation: 'tanh' }).apply(x);
      return { inputs: x, outputs: layer().apply([h, x]) };
    },
    reference: ([k, b], { x, batch }) => {
      const h = branch(k, b, x, batch);
      return h.map((v, i) => f(v, x[i]));
    },
    onnx: { ops: ['Gemm', 'Tanh', onnx], reduction: 5, depth: 1 },
  })),
  {
    name: 'add of three: x, a dense branch and the same branch again (its gradient counted twice)',
    graph: () => {
      const x = input({ shape: [5] });
      const h = layers.dense({ units: 5, activation: 'tanh' }).apply(x);
      return { inputs: x, outputs: layers.add().apply([x, h, h]) };
    },
    reference: ([k, b], { x, batch }) => branch(k, b, x, batch).map((v, i) => x[i] + 2 * v),
    onnx: { ops: ['Sum'], reduction: 5, depth: 1 },
  },
];
