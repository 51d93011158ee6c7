// softplus: y = log(1 + exp(x)), elementwise; large |x| included, where a naive form overflows.
import { layers } from '../../src/index.js';
import type { OpCase } from './case.js';

const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));

export const cases: OpCase[] = [
  {
    name: 'layers.softplus',
    layers: () => [layers.softplus({ inputShape: [7] })],
    reference: (_p, { x }) => x.map(softplus),
    onnx: { ops: ['Softplus'], reduction: 1, depth: 1 },
  },
  {
    name: 'dense, then softplus',
    layers: () => [layers.dense({ inputShape: [5], units: 4 }), layers.softplus()],
    reference: ([k, b], { x, batch }) => {
      const y = new Float64Array(batch * 4);
      for (let r = 0; r < batch; r++)
        for (let u = 0; u < 4; u++) {
          let s = b[u];
          for (let i = 0; i < 5; i++) s += x[r * 5 + i] * k[i * 4 + u];
          y[r * 4 + u] = softplus(s);
        }
      return y;
    },
    onnx: { ops: ['Gemm', 'Softplus'], reduction: 5, depth: 1 },
  },
];
