// masking (Keras' Masking): a step whose every feature equals maskValue is zeroed and skipped by
// the recurrent layers after it. Random inputs never hit a value exactly, so a relu makes the
// padding: a step of one feature is padding where the input is negative. For ONNX, whose
// sequence_lens says only "padding at the end", the inputs are negative from a point on.
import { layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import { recurrence } from './recurrent.js';
import type { OpCase } from './case.js';

const T = 6;
/** n samples of T steps: the first 1 + (7 n mod T) positive, the rest negative (padding after a relu). */
const rightPadded = (n: number) => Float32Array.from({ length: n * T }, (_, i) => (i % T < 1 + ((Math.floor(i / T) * 7) % T) ? 0.2 + ((i * 0.37) % 1) : -0.5));
const real = (x: Float64Array) => (n: number, t: number) => x[n * T + t] > 0;

export const cases: OpCase[] = [
  {
    name: 'relu makes whole steps 0, masking(0) zeroes and masks them, lstm with returnSequences skips them',
    layers: () => [layers.relu({ inputShape: [T, 1] }), layers.masking(), layers.lstm({ units: 3, returnSequences: true })],
    reference: (p, { x, batch }) => recurrence(ref.activation('relu', x), batch, T, 1, p, { cell: 'lstm', units: 3, returnSequences: true, real: real(x) }).y,
    onnxInput: rightPadded,
    onnx: { ops: ['LSTM', 'Equal', 'ReduceSum'], reduction: 12, depth: 5 },
  },
  {
    name: 'masking(0) then a dense layer over each step (the mask carried) and a bidirectional gru, summed',
    layers: () => [
      layers.relu({ inputShape: [T, 1] }), layers.masking(), layers.dense({ units: 2, activation: 'tanh' }),
      layers.bidirectional({ layer: layers.gru({ units: 2 }), mergeMode: 'sum' }),
    ],
    reference: ([k, b, ...p], { x, batch }) => {
      const h = ref.activation('tanh', ref.dense(ref.activation('relu', x), batch * T, 1, k, b, 2));
      const f = recurrence(h, batch, T, 2, p.slice(0, 3), { cell: 'gru', units: 2, real: real(x) });
      const r = recurrence(h, batch, T, 2, p.slice(3), { cell: 'gru', units: 2, real: real(x), goBackwards: true });
      return f.y.map((v, i) => v + r.y[i]);
    },
    onnxInput: rightPadded,
    onnx: { ops: ['GRU', 'Equal'], reduction: 12, depth: 6 },
  },
];
