// concatenate: inputs joined along an axis; the input with a dense branch of it along the last
// axis, and [2, 3] samples joined along their first axis.
import { input, layers } from '../../src/index.js';
import type { OpCase } from './case.js';

export const cases: OpCase[] = [
  {
    name: 'concatenate([x, dense(x)]) along the last axis',
    graph: () => {
      const x = input({ shape: [4] });
      return { inputs: x, outputs: layers.concatenate().apply([x, layers.dense({ units: 3, activation: 'relu' }).apply(x)]) };
    },
    reference: ([k, b], { x, batch }) => {
      const y = new Float64Array(batch * 7);
      for (let r = 0; r < batch; r++) {
        for (let i = 0; i < 4; i++) y[r * 7 + i] = x[r * 4 + i];
        for (let u = 0; u < 3; u++) {
          let s = b[u];
          for (let i = 0; i < 4; i++) s += x[r * 4 + i] * k[i * 3 + u];
          y[r * 7 + 4 + u] = Math.max(0, s);
        }
      }
      return y;
    },
    onnx: { ops: ['Concat', 'Gemm', 'Relu'], reduction: 4, depth: 1 },
  },
  {
    name: 'reshape [6] to [2, 3], then concatenate with itself along axis 1 (a sample\'s first axis)',
    graph: () => {
      const x = input({ shape: [6] });
      const r = layers.reshape({ targetShape: [2, 3] }).apply(x);
      return { inputs: x, outputs: layers.concatenate({ axis: 1 }).apply([r, r]) };
    },
    reference: (_p, { x, batch }) => {
      const y = new Float64Array(batch * 12);
      for (let r = 0; r < batch; r++) {
        y.set(x.subarray(r * 6, r * 6 + 6), r * 12);
        y.set(x.subarray(r * 6, r * 6 + 6), r * 12 + 6);
      }
      return y;
    },
    onnx: { ops: ['Reshape', 'Concat'], reduction: 1, depth: 1 },
  },
];
