// recurrent (simpleRnn, lstm, gru, bidirectional): a float64 recurrence written out step by step
// from Keras' formulas, independent of the native op's layout: each cell, last state and whole
// sequences, goBackwards, non-default activations (linear: ONNX's Affine), no bias, masks (the
// token ids, 0 = padding, anywhere in the sequence for the gradients; padding at the end for
// ONNX, whose sequence_lens can only say that), returned states, initial states from other layers,
// and input and recurrent dropout in training (their masks replayed from the counter-based RNG).
import { input, layers, type MultiOutputTensor } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

type Vec = Float64Array;
type Act = 'tanh' | 'sigmoid' | 'relu' | 'linear';
const f64 = (a: Act, x: number) => (a === 'tanh' ? Math.tanh(x) : a === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : a === 'relu' ? Math.max(0, x) : x);

export interface RnnSpec {
  cell: 'simpleRnn' | 'lstm' | 'gru';
  units: number;
  activation?: Act;
  recurrentActivation?: Act;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** Outputs in time order when reading backwards (bidirectional's backward half). */
  timeOrder?: boolean;
  bias?: boolean;
  /** Whether step t of sample n is real (not padding). */
  real?: (n: number, t: number) => boolean;
  /** Initial states, [batch, units] each (LSTM: h, c). */
  initial?: Vec[];
  /** Dropout scales on the input features [batch, features] and on the state [batch, units]. */
  inputScale?: Vec;
  stateScale?: Vec;
}

/**
 * Keras' recurrences over x [batch, steps, features] with weights [kernel, recurrent_kernel, bias?]:
 * the output ([batch, steps, units] or the last state [batch, units]) and the final states.
 */
export function recurrence(x: Vec, batch: number, steps: number, features: number, [kernel, rk, bias]: Vec[], o: RnnSpec): { y: Vec; states: Vec[] } {
  const U = o.units, G = o.cell === 'lstm' ? 4 : o.cell === 'gru' ? 3 : 1, GU = G * U;
  const A = o.activation ?? 'tanh', R = o.recurrentActivation ?? 'sigmoid';
  const useBias = o.bias ?? true;
  const y = new Float64Array(batch * (o.returnSequences ? steps : 1) * U);
  const hOut = new Float64Array(batch * U), cOut = new Float64Array(batch * U);
  for (let n = 0; n < batch; n++) {
    let h = o.initial ? o.initial[0].slice(n * U, (n + 1) * U) : new Float64Array(U);
    let c = o.initial && o.cell === 'lstm' ? o.initial[1].slice(n * U, (n + 1) * U) : new Float64Array(U);
    for (let s = 0; s < steps; s++) {
      const t = o.goBackwards ? steps - 1 - s : s;
      const out = o.timeOrder ? t : s;
      if (o.real && !o.real(n, t)) continue; // the state stays, the output is 0
      // xw = x_t W + b (the input bias), hr = h R (+ GRU's recurrent bias)
      const xw = new Float64Array(GU), hr = new Float64Array(GU);
      for (let j = 0; j < GU; j++) {
        let a = useBias ? bias[j] : 0;
        for (let f = 0; f < features; f++) a += x[(n * steps + t) * features + f] * (o.inputScale ? o.inputScale[n * features + f] : 1) * kernel[f * GU + j];
        xw[j] = a;
        let r = useBias && o.cell === 'gru' ? bias[GU + j] : 0;
        for (let k = 0; k < U; k++) r += h[k] * (o.stateScale ? o.stateScale[n * U + k] : 1) * rk[k * GU + j];
        hr[j] = r;
      }
      const hNew = new Float64Array(U), cNew = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        if (o.cell === 'simpleRnn') hNew[u] = f64(A, xw[u] + hr[u]);
        else if (o.cell === 'lstm') {
          const i = f64(R, xw[u] + hr[u]), fg = f64(R, xw[U + u] + hr[U + u]), g = f64(A, xw[2 * U + u] + hr[2 * U + u]), og = f64(R, xw[3 * U + u] + hr[3 * U + u]);
          cNew[u] = fg * c[u] + i * g;
          hNew[u] = og * f64(A, cNew[u]);
        } else {
          const z = f64(R, xw[u] + hr[u]), r = f64(R, xw[U + u] + hr[U + u]);
          const hh = f64(A, xw[2 * U + u] + r * hr[2 * U + u]);
          hNew[u] = z * h[u] + (1 - z) * hh;
        }
      }
      h = hNew, c = cNew;
      if (o.returnSequences) y.set(h, (n * steps + out) * U);
    }
    if (!o.returnSequences) y.set(h, n * U);
    hOut.set(h, n * U), cOut.set(c, n * U);
  }
  return { y, states: o.cell === 'lstm' ? [hOut, cOut] : [hOut] };
}

const T = 5, F = 3;

/** Right-padded token ids for the ONNX check: each sample's first 1..steps ids real (1..vocab-1), then 0. */
export const rightPadded = (vocab: number) => (n: number, steps: number) =>
  Int32Array.from({ length: n * steps }, (_, i) => (i % steps < 1 + ((Math.floor(i / steps) * 7) % steps) ? 1 + (i % (vocab - 1)) : 0));

/** Token ids [batch, 6] -> embedding [6, 4] -> a recurrent layer with the ids as its mask. */
const maskedCase = (cell: 'lstm' | 'gru', returnSequences: boolean, goBackwards: boolean): OpCase => ({
  name: `${cell}${returnSequences ? ', returnSequences' : ''}${goBackwards ? ', goBackwards' : ''}, masked by the token ids (0 = padding)`,
  vocab: 3,
  graph: () => {
    const ids = input({ shape: [6], dtype: 'int32' });
    const e = layers.embedding({ inputDim: 3, outputDim: 4 }).apply(ids);
    return { inputs: ids, outputs: layers[cell]({ units: 3, returnSequences, goBackwards }).apply(e, { mask: ids }) };
  },
  reference: ([table, ...p], { ids, batch }) =>
    recurrence(ref.embedding(ids, table, 4), batch, 6, 4, p, { cell, units: 3, returnSequences, goBackwards, real: (n, t) => ids[n * 6 + t] !== 0 }).y,
  onnxInput: rightPadded(3),
  onnx: { ops: [cell === 'lstm' ? 'LSTM' : 'GRU', 'ReduceSum'], reduction: 24, depth: 6 },
});

// Dropout in training: the masks of the recurrent node (node 0) on the first training forward.
const fitSeed = 17, layerSeed = 5;
const scales = (n: number, rate: number, which: bigint) => {
  const seed = BigInt(fitSeed) ^ ref.mix64(BigInt(layerSeed) + 0x726e6en) ^ ref.mix64(which);
  return Float64Array.from({ length: n }, (_, i) => (ref.uniformAt(seed, 1n << 16n, BigInt(i)) >= rate ? 1 / (1 - rate) : 0));
};

/** Keras' Bidirectional: the forward half, the backward half (its outputs in time order), merged. */
function bidirectional(x: Vec, batch: number, steps: number, features: number, p: Vec[], o: RnnSpec, merge: 'concat' | 'sum' | 'mul' | 'ave'): { y: Vec; states: Vec[] } {
  const half = p.length / 2;
  const f = recurrence(x, batch, steps, features, p.slice(0, half), o);
  const b = recurrence(x, batch, steps, features, p.slice(half), { ...o, goBackwards: !o.goBackwards, timeOrder: true });
  const U = o.units;
  const y = merge === 'concat'
    ? Float64Array.from({ length: 2 * f.y.length }, (_, i) => (i % (2 * U) < U ? f.y : b.y)[Math.floor(i / (2 * U)) * U + (i % U)])
    : f.y.map((v, i) => (merge === 'sum' ? v + b.y[i] : merge === 'mul' ? v * b.y[i] : (v + b.y[i]) / 2));
  return { y, states: [...f.states, ...b.states] };
}

export const cases: OpCase[] = [
  {
    name: 'simpleRnn (tanh), the last state: [5, 3] to [4]',
    layers: () => [layers.simpleRnn({ inputShape: [T, F], units: 4 })],
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'simpleRnn', units: 4 }).y,
    onnx: { ops: ['RNN'], reduction: 12, depth: 5 },
  },
  {
    name: 'simpleRnn (linear), returnSequences, goBackwards: the steps in reading order',
    layers: () => [layers.simpleRnn({ inputShape: [T, F], units: 3, activation: 'linear', returnSequences: true, goBackwards: true })],
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'simpleRnn', units: 3, activation: 'linear', returnSequences: true, goBackwards: true }).y,
    onnx: { ops: ['RNN', 'Slice'], reduction: 12, depth: 5 },
  },
  {
    name: 'lstm, returnSequences, then dense over each step',
    layers: () => [layers.lstm({ inputShape: [T, F], units: 4, returnSequences: true }), layers.dense({ units: 2 })],
    reference: ([k, rk, b, dk, db], { x, batch }) => ref.dense(recurrence(x, batch, T, F, [k, rk, b], { cell: 'lstm', units: 4, returnSequences: true }).y, batch * T, 4, dk, db, 2),
    onnx: { ops: ['LSTM', 'MatMul'], reduction: 16, depth: 6 },
  },
  {
    name: 'lstm, goBackwards, no bias, relu activation and tanh gates, the last state',
    layers: () => [layers.lstm({ inputShape: [T, F], units: 3, goBackwards: true, useBias: false, activation: 'relu', recurrentActivation: 'tanh' })],
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'lstm', units: 3, goBackwards: true, bias: false, activation: 'relu', recurrentActivation: 'tanh' }).y,
    onnx: { ops: ['LSTM'], reduction: 12, depth: 5 },
  },
  {
    name: 'gru (reset after), returnSequences',
    layers: () => [layers.gru({ inputShape: [T, F], units: 4, returnSequences: true })],
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'gru', units: 4, returnSequences: true }).y,
    onnx: { ops: ['GRU'], reduction: 16, depth: 5 },
  },
  {
    name: 'gru, goBackwards, tanh gates over relu, the last state',
    layers: () => [layers.gru({ inputShape: [T, F], units: 3, goBackwards: true, activation: 'relu', recurrentActivation: 'tanh' })],
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'gru', units: 3, goBackwards: true, activation: 'relu', recurrentActivation: 'tanh' }).y,
    onnx: { ops: ['GRU'], reduction: 12, depth: 5 },
  },
  maskedCase('lstm', true, false),
  maskedCase('gru', false, true),
  {
    name: 'embedding with maskZero, lstm with returnSequences, dropout, lstm: the mask carried through',
    vocab: 4,
    layers: () => [layers.embedding({ inputDim: 4, outputDim: 3, inputLength: 6, maskZero: true }), layers.lstm({ units: 3, returnSequences: true }), layers.dropout({ rate: 0.5 }), layers.lstm({ units: 2 })],
    reference: ([table, ...p], { ids, batch }) => {
      const real = (n: number, t: number) => ids[n * 6 + t] !== 0;
      const h = recurrence(ref.embedding(ids, table, 3), batch, 6, 3, p.slice(0, 3), { cell: 'lstm', units: 3, returnSequences: true, real }).y;
      return recurrence(h, batch, 6, 3, p.slice(3), { cell: 'lstm', units: 2, real }).y;
    },
    onnxInput: rightPadded(4),
    onnx: { ops: ['LSTM', 'ReduceSum'], reduction: 24, depth: 12 },
  },
  {
    name: 'lstm returnState: [output, h, c] concatenated',
    graph: () => {
      const x = input({ shape: [T, F] });
      const [y, h, c] = layers.lstm({ units: 3, returnState: true }).apply(x) as MultiOutputTensor;
      return { inputs: x, outputs: layers.concatenate().apply([y, h, c]) };
    },
    reference: (p, { x, batch }) => {
      const { y, states } = recurrence(x, batch, T, F, p, { cell: 'lstm', units: 3 });
      return Float64Array.from({ length: batch * 9 }, (_, i) => [y, ...states][Math.floor((i % 9) / 3)][Math.floor(i / 9) * 3 + (i % 3)]);
    },
    onnx: { ops: ['LSTM', 'Concat'], reduction: 12, depth: 5 },
  },
  {
    name: 'gru returnState with returnSequences: only the state is used, the sequence output is not',
    graph: () => {
      const x = input({ shape: [T, F] });
      const [, h] = layers.gru({ units: 3, returnSequences: true, returnState: true }).apply(x) as MultiOutputTensor;
      return { inputs: x, outputs: h };
    },
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, { cell: 'gru', units: 3, returnSequences: true }).states[0],
    onnx: { ops: ['GRU'], reduction: 12, depth: 5 },
  },
  {
    name: 'lstm with initial states from dense layers over the sequence\'s first step',
    graph: () => {
      const x = input({ shape: [T, F] });
      const first = layers.reshape({ targetShape: [T * F] }).apply(x);
      const h0 = layers.dense({ units: 3, activation: 'tanh' }).apply(first);
      const c0 = layers.dense({ units: 3 }).apply(first);
      return { inputs: x, outputs: layers.lstm({ units: 3, returnSequences: true }).apply(x, { initialState: [h0, c0] }) };
    },
    reference: ([hk, hb, ck, cb, ...p], { x, batch }) => {
      const h0 = ref.activation('tanh', ref.dense(x, batch, T * F, hk, hb, 3)), c0 = ref.dense(x, batch, T * F, ck, cb, 3);
      return recurrence(x, batch, T, F, p, { cell: 'lstm', units: 3, returnSequences: true, initial: [h0, c0] }).y;
    },
    onnx: { ops: ['LSTM', 'Unsqueeze'], reduction: 15, depth: 6 },
  },
  {
    name: 'bidirectional lstm, concatenated, returnSequences: [5, 3] to [5, 6]',
    layers: () => [layers.bidirectional({ inputShape: [T, F], layer: layers.lstm({ units: 3, returnSequences: true }) })],
    reference: (p, { x, batch }) => bidirectional(x, batch, T, F, p, { cell: 'lstm', units: 3, returnSequences: true }, 'concat').y,
    onnx: { ops: ['LSTM', 'Concat'], reduction: 12, depth: 5 },
  },
  {
    name: 'bidirectional gru, summed, the last states, masked by the token ids',
    vocab: 3,
    graph: () => {
      const ids = input({ shape: [6], dtype: 'int32' });
      const e = layers.embedding({ inputDim: 3, outputDim: 4 }).apply(ids);
      return { inputs: ids, outputs: layers.bidirectional({ layer: layers.gru({ units: 3 }), mergeMode: 'sum' }).apply(e, { mask: ids }) };
    },
    reference: ([table, ...p], { ids, batch }) => bidirectional(ref.embedding(ids, table, 4), batch, 6, 4, p, { cell: 'gru', units: 3, real: (n, t) => ids[n * 6 + t] !== 0 }, 'sum').y,
    onnxInput: rightPadded(3),
    onnx: { ops: ['GRU', 'Add'], reduction: 24, depth: 6 },
  },
  {
    name: 'bidirectional simpleRnn, averaged, returnState: [output, forward h, backward h] concatenated',
    graph: () => {
      const x = input({ shape: [T, F] });
      const [y, hf, hb] = layers.bidirectional({ layer: layers.simpleRnn({ units: 3, returnState: true }), mergeMode: 'ave' }).apply(x) as MultiOutputTensor;
      return { inputs: x, outputs: layers.concatenate().apply([y, hf, hb]) };
    },
    reference: (p, { x, batch }) => {
      const { y, states } = bidirectional(x, batch, T, F, p, { cell: 'simpleRnn', units: 3 }, 'ave');
      return Float64Array.from({ length: batch * 9 }, (_, i) => [y, ...states][Math.floor((i % 9) / 3)][Math.floor(i / 9) * 3 + (i % 3)]);
    },
    onnx: { ops: ['RNN', 'Mean'], reduction: 12, depth: 5 },
  },
  {
    name: 'lstm with dropout 0.3 and recurrentDropout 0.4 in training (one mask per sample for every step)',
    layers: () => [layers.lstm({ inputShape: [T, F], units: 3, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4, seed: layerSeed })],
    training: { seed: fitSeed },
    reference: (p, { x, batch }) => recurrence(x, batch, T, F, p, {
      cell: 'lstm', units: 3, returnSequences: true, inputScale: scales(batch * F, 0.3, 1n), stateScale: scales(batch * 3, 0.4, 2n),
    }).y,
    onnx: { ops: ['LSTM'], reduction: 12, depth: 5 },
    skipGpu: 'the dropout masks of a training forward are the CPU\'s and CUDA\'s same counter-based draw, checked by the dropout case',
  },
];
