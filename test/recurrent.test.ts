// Recurrent layers (issue 19) beyond the op cases (test/cases/recurrent.ts, masking.ts: gradients,
// ONNX, GPU parity): a long sequence against the float64 recurrence, padding that changes
// nothing, training, checkpoints (graph wiring with states, masks and returned states), resume,
// the initializers, and the errors a user meets.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initializers, input, layers, loadModel, model, type MultiOutputTensor, optimizers, sequential, tensor } from '../src/index.js';
import { Random } from '../src/random.js';
import { recurrence } from './cases/recurrent.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'gradloop-rnn-'));
const rows = (n: number, perSample: number, seed = 3) => {
  const r = new Random(seed);
  return Float32Array.from({ length: n * perSample }, () => r.uniform() * 2 - 1);
};

describe('recurrent layers', () => {
  it('an LSTM over 200 steps stays on the float64 recurrence (Keras weights, default initializers)', () => {
    const T = 200, F = 4, U = 16, N = 3;
    const m = sequential([layers.lstm({ inputShape: [T, F], units: U, returnSequences: true })], { seed: 7 });
    const x = rows(N, T * F);
    const got = m.predict(tensor(x, [N, T, F])).data;
    const want = recurrence(Float64Array.from(x), N, T, F, m.getWeights().map((w) => Float64Array.from(w.data)), { cell: 'lstm', units: U, returnSequences: true }).y;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(2e-5);
  });

  it('padding changes nothing: ids after the padding, and a batch of 1, give the unpadded result', () => {
    const m = sequential([layers.embedding({ inputDim: 7, outputDim: 5, inputLength: 8, maskZero: true }), layers.gru({ units: 4, returnSequences: true }), layers.gru({ units: 3 })], { seed: 2 });
    const short = sequential([layers.embedding({ inputDim: 7, outputDim: 5, inputLength: 3 }), layers.gru({ units: 4, returnSequences: true }), layers.gru({ units: 3 })], { seed: 2 });
    short.setWeights(m.getWeights());
    const padded = m.predict(tensor(Int32Array.of(3, 1, 6, 0, 0, 0, 0, 0, 3, 1, 6, 0, 0, 0, 0, 0), [2, 8], 'int32')).data;
    const plain = short.predict(tensor(Int32Array.of(3, 1, 6), [1, 3], 'int32')).data;
    expect(Array.from(padded.slice(0, 3))).toEqual(Array.from(plain));
    expect(Array.from(padded.slice(3))).toEqual(Array.from(plain));
    // Padding in front (Keras' pad_sequences default) leaves the state at zero until the first id.
    const front = m.predict(tensor(Int32Array.of(0, 0, 0, 0, 0, 3, 1, 6), [1, 8], 'int32')).data;
    expect(Array.from(front)).toEqual(Array.from(plain));
  });

  it('learns to add a sequence of numbers (LSTM, then a regression head)', async () => {
    const N = 512, T = 6, r = new Random(1);
    const x = Float32Array.from({ length: N * T }, () => r.uniform());
    const y = Float32Array.from({ length: N }, (_, n) => x.slice(n * T, (n + 1) * T).reduce((a, b) => a + b, 0));
    const m = sequential([layers.lstm({ inputShape: [T, 1], units: 16 }), layers.dense({ units: 1 })], { seed: 3 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'mse' });
    const h = await m.fit(tensor(x, [N, T, 1]), tensor(y, [N, 1]), { epochs: 30, batchSize: 32, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[0]).toBeGreaterThan(0.5);
    expect(loss[loss.length - 1]).toBeLessThan(0.02);
  });

  it('a graph with initial states, a mask, returned states and a bidirectional layer saves, loads and resumes bit-identically', async () => {
    const T = 5;
    const build = () => {
      const ids = input({ shape: [T], dtype: 'int32', name: 'ids' });
      const e = layers.embedding({ inputDim: 6, outputDim: 4 }).apply(ids);
      const [seq, h, c] = layers.lstm({ units: 3, returnSequences: true, returnState: true }).apply(e, { mask: ids }) as MultiOutputTensor;
      const b = layers.bidirectional({ layer: layers.gru({ units: 3 }), mergeMode: 'concat' }).apply(seq, { initialState: [h, layers.dense({ units: 3 }).apply(c)], mask: ids });
      return model({ inputs: ids, outputs: layers.dense({ units: 2 }).apply(b), seed: 5 });
    };
    const r = new Random(4);
    const x = tensor(Int32Array.from({ length: 64 * T }, (_, i) => (i % T < 2 + (Math.floor(i / T) % 4) ? 1 + r.int(5) : 0)), [64, T], 'int32');
    const y = tensor(rows(64, 2), [64, 2]);
    const fit = { batchSize: 16, verbose: 0 as const, seed: 9 };
    const straight = build();
    straight.compile({ optimizer: 'adam', loss: 'mse' });
    await straight.fit(x, y, { ...fit, epochs: 4 });

    const first = build();
    first.compile({ optimizer: 'adam', loss: 'mse' });
    const folder = dir();
    await first.fit(x, y, { ...fit, epochs: 2 });
    await first.save(folder);
    const loaded = await loadModel(folder);
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(first.predict(x).data));
    await loaded.fit(x, y, { ...fit, epochs: 4, resumeFrom: folder });
    expect(Array.from(loaded.predict(x).data)).toEqual(Array.from(straight.predict(x).data));
    expect(loaded.wiring.nodes.find((n) => n.layer.startsWith("bidirectional"))!.args).toEqual({ initialStates: 2, masked: true });
  });

  it('unitForgetBias starts the forget gate at 1; orthogonal gives orthonormal rows or columns', () => {
    const m = sequential([layers.lstm({ inputShape: [3, 2], units: 4 })], { seed: 1 });
    const [, recurrent, bias] = m.getWeights();
    expect(Array.from(bias.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const gram = (w: Float32Array, rows: number, cols: number, byRows: boolean) => {
      const n = byRows ? rows : cols, len = byRows ? cols : rows;
      const at = (i: number, k: number) => (byRows ? w[i * cols + k] : w[k * cols + i]);
      let worst = 0;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
          worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
        }
      return worst;
    };
    expect(gram(recurrent.data, 4, 16, true)).toBeLessThan(1e-5); // [4, 16]: orthonormal rows
    const tall = initializers.orthogonal({ gain: 2 }).generate(8 * 3, 8, 3, new Random(3));
    expect(gram(tall.map((v) => v / 2), 8, 3, false)).toBeLessThan(1e-5); // [8, 3]: orthonormal columns
  });

  it('refuses what it cannot do, naming the layer and the fix', () => {
    expect(() => sequential([layers.lstm({ inputShape: [5], units: 2 })]).outputShape).toThrow(/expects float32 \[steps, features\].*reshape to \[steps, 1\]/);
    expect(() => sequential([layers.embedding({ inputDim: 3, outputDim: 2, inputLength: 4 }), layers.flatten(), layers.gru({ units: 2 })]).outputShape).toThrow(/\[steps, features\]/);
    expect(() => layers.gru({ units: 2, resetAfter: false })).toThrow(/resetAfter false .* not implemented/);
    expect(() => layers.lstm({ units: 2, activation: 'gelu' as 'tanh' })).toThrow(/lstm: activation/);
    expect(() => layers.simpleRnn({ units: 2, recurrentActivation: 'tanh' } as never)).toThrow(/recurrentActivation/);
    expect(() => layers.lstm({ units: 0 })).toThrow(/units/);
    expect(() => layers.lstm({ units: 2, dropout: 1 })).toThrow(/dropout/);
    expect(() => sequential([layers.lstm({ inputShape: [3, 2], units: 2, returnState: true }), layers.dense({ units: 1 })]).outputShape).toThrow(/several outputs \(returnState\); use it in a graph model/);
    expect(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never })).toThrow(/bidirectional: layer must be a recurrent layer/);
    expect(() => layers.bidirectional({ layer: { type: 'dense', units: 2 } })).toThrow(/bidirectional: layer must be a recurrent layer/);
    expect(layers.bidirectional({ layer: { type: 'gru', units: 3 }, mergeMode: 'ave' }).backwardLayer.goBackwards).toBe(true); // a run config's form
    const x = input({ shape: [4, 3] });
    expect(() => layers.lstm({ units: 2 }).apply(x, { initialState: [input({ shape: [2] })] })).toThrow(/takes 2 initial states, \[h, c\], got 1/);
    expect(() => layers.gru({ units: 2 }).apply(x, { initialState: input({ shape: [3] }) })).toThrow(/initial state 0 must be float32 \[2\], got float32 \[3\]/);
    expect(() => layers.gru({ units: 2 }).apply(x, { mask: input({ shape: [5] }) })).toThrow(/the mask must be \[4\]/);
    expect(() => layers.lstm({ units: 2 }).apply([x, input({ shape: [2] })], { initialState: [input({ shape: [2] })] })).toThrow(/initial states were given twice/);
  });
});
