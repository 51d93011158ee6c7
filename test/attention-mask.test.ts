// multiHeadAttention's value mask (issue 18): padded keys are out of every query's reach, in
// fit and predict, natively and in the exported ONNX model. The op cases (test/cases/attention.ts)
// check the values and gradients against a float64 reference; this checks the behaviour.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { input, layers, model, tensor, verifyOnnx } from '../src/index.js';
import { float32Tolerance } from './helpers/tolerance.js';

const T = 6, F = 4;
function masked(causal = false) {
  const x = input({ shape: [T, F], name: 'x' });
  const mask = input({ shape: [T], name: 'mask' });
  const attended = layers.multiHeadAttention({ numHeads: 2, keyDim: 3, useCausalMask: causal, name: 'attention' }).apply(x, { valueMask: mask });
  return model({ inputs: [x, mask], outputs: layers.dense({ units: 2 }).apply(attended), seed: 5 });
}
const values = (n: number, seed: number) => tensor(Float32Array.from({ length: n * T * F }, (_, i) => Math.sin(i * 0.7 + seed)), [n, T, F]);

describe('multiHeadAttention value mask', () => {
  it('changing the padded positions changes nothing at the real ones (float32 mask, 2 of 6 padded)', () => {
    const m = masked();
    const mask = tensor(Float32Array.from([1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0]), [2, T]);
    const a = values(2, 0), b = values(2, 0);
    for (let n = 0; n < 2; n++) for (let t = 3; t < T; t++) for (let c = 0; c < F; c++) if (mask.data[n * T + t] === 0) b.data[(n * T + t) * F + c] = 100 * Math.cos(t + c);
    const [ya, yb] = [m.predict([a, mask]).data, m.predict([b, mask]).data];
    for (let n = 0; n < 2; n++)
      for (let t = 0; t < T; t++)
        if (mask.data[n * T + t] === 1) for (let c = 0; c < 2; c++) expect(yb[(n * T + t) * 2 + c]).toBeCloseTo(ya[(n * T + t) * 2 + c], 6);
    // Without the mask, the padded positions' values do reach the others.
    const open = tensor(new Float32Array(2 * T).fill(1), [2, T]);
    expect(Math.abs(m.predict([b, open]).data[0] - m.predict([a, open]).data[0])).toBeGreaterThan(1e-3);
  });

  it('a sample whose every position is padded attends uniformly (as Keras), not NaN: every query gets the mean of the values', () => {
    const y = masked().predict([values(1, 2), tensor(new Float32Array(T), [1, T])]).data;
    expect(y.every(Number.isFinite)).toBe(true);
    for (let t = 1; t < T; t++) for (let c = 0; c < 2; c++) expect(y[t * 2 + c]).toBeCloseTo(y[c], 6);
  });

  it('exports to ONNX (Where on the mask) and matches in onnxruntime at batch 1 and 37', async () => {
    const m = masked(true);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gradloop-mask-')), 'masked.onnx');
    await m.exportOnnx(file);
    for (const n of [1, 37]) {
      const mask = tensor(Float32Array.from({ length: n * T }, (_, i) => ((i * 7) % 5 === 0 ? 0 : 1)), [n, T]);
      const report = await verifyOnnx(m, file, { x: values(n, 3), mask }, float32Tolerance(T * 3, 3));
      expect(report.passed, JSON.stringify(report)).toBe(true);
      expect(report.ops).toContain('Where');
    }
  });

  it('a mask of the wrong length is an Error naming the layer', () => {
    const x = input({ shape: [T, F] });
    expect(() => layers.multiHeadAttention({ numHeads: 1, keyDim: 2, name: 'mha' }).apply(x, { valueMask: input({ shape: [T + 1] }) })).toThrow(
      /layer 'mha' \(MultiHeadAttention\): the value mask must be \[6\] \(one value per value step, 0 for padding\), got \[7\]/,
    );
  });
});
