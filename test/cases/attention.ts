// attention (multiHeadAttention): a float64 multi-head attention written out by hand: causal and
// not, several heads, valueDim and outputShape of their own, no bias, cross-attention (query from
// a permute of the input, key = value), all three of [query, value, key], and dropout on the
// probabilities in training (its mask replayed from the counter-based RNG), and a value mask (the
// token ids themselves, 0 the padding id), causal and not: padded keys get -1e9 before the
// softmax, so a query whose every key is padding attends uniformly, as in Keras.
import { input, layers } from '../../src/index.js';
import * as ref from '../helpers/reference.js';
import type { OpCase } from './case.js';

type Vec = Float64Array;
interface Mha { heads: number; dk: number; dv: number; causal?: boolean; bias?: boolean; keep?: (index: number) => number; mask?: ArrayLike<number> }

/** Keras' MultiHeadAttention over batch samples: xq [tq, dq], xv [tv, dvIn], xk [tv, dkIn]; p = its weights in order. */
export function mha(xq: Vec, xv: Vec, xk: Vec, batch: number, [tq, dq]: number[], [tv, dvIn]: number[], dkIn: number, p: Vec[], o: Mha): Vec {
  const b = o.bias ?? true;
  const [qK, qB, kK, kB, vK, vB, oK, oB] = b ? p : [p[0], null, p[1], null, p[2], null, p[3], null];
  const H = o.heads, out = oK!.length / (H * o.dv);
  const q = ref.dense(xq, batch * tq, dq, qK!, qB ?? new Float64Array(H * o.dk), H * o.dk);
  const k = ref.dense(xk, batch * tv, dkIn, kK!, kB ?? new Float64Array(H * o.dk), H * o.dk);
  const v = ref.dense(xv, batch * tv, dvIn, vK!, vB ?? new Float64Array(H * o.dv), H * o.dv);
  const heads = new Float64Array(batch * tq * H * o.dv);
  for (let n = 0; n < batch; n++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < tq; i++) {
        const s = new Float64Array(tv);
        for (let j = 0; j < tv; j++) {
          let dot = 0;
          for (let c = 0; c < o.dk; c++) dot += q[(n * tq + i) * H * o.dk + h * o.dk + c] * k[(n * tv + j) * H * o.dk + h * o.dk + c];
          s[j] = o.causal && j > i ? -Infinity : o.mask && o.mask[n * tv + j] === 0 ? -1e9 : dot / Math.sqrt(o.dk);
        }
        const max = Math.max(...s);
        const e = s.map((x) => Math.exp(x - max)), sum = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < tv; j++) {
          const w = (e[j] / sum) * (o.keep ? o.keep(((n * H + h) * tq + i) * tv + j) : 1);
          for (let c = 0; c < o.dv; c++) heads[(n * tq + i) * H * o.dv + h * o.dv + c] += w * v[(n * tv + j) * H * o.dv + h * o.dv + c];
        }
      }
  return ref.dense(heads, batch * tq, H * o.dv, oK!, oB ?? new Float64Array(out), out);
}

const fitSeed = 21, rate = 0.3;
/** The attention node's dropout keep-scale on the first training forward (node 3 of the layer's 5). */
const keep = (index: number) => {
  const seed = BigInt(fitSeed) ^ ref.mix64(0n + 0x61747465n);
  return ref.uniformAt(seed, (1n << 16n) | 3n, BigInt(index)) >= rate ? 1 / (1 - rate) : 0;
};

/** Token ids [batch, 5] -> embedding [5, 4] -> self-attention with the ids as the value mask. */
const maskedCase = (causal: boolean): OpCase => ({
  name: `${causal ? 'causal ' : ''}self-attention with a value mask (the token ids, 0 = padding), 2 heads`,
  vocab: 3,
  graph: () => {
    const ids = input({ shape: [5], dtype: 'int32' });
    const e = layers.embedding({ inputDim: 3, outputDim: 4 }).apply(ids);
    return { inputs: ids, outputs: layers.multiHeadAttention({ numHeads: 2, keyDim: 2, useCausalMask: causal }).apply(e, { valueMask: ids }) };
  },
  reference: ([table, ...p], { ids, batch }) => {
    const e = ref.embedding(ids, table, 4);
    return mha(e, e, e, batch, [5, 4], [5, 4], 4, p, { heads: 2, dk: 2, dv: 2, causal, mask: ids });
  },
  onnx: { ops: ['Where', 'Softmax'], reduction: 8, depth: 4 },
});

export const cases: OpCase[] = [
  maskedCase(false),
  maskedCase(true),
  {
    name: 'causal self-attention, 2 heads of 3, in a sequential model: [4, 6] to [4, 6]',
    layers: () => [layers.multiHeadAttention({ inputShape: [4, 6], numHeads: 2, keyDim: 3, useCausalMask: true })],
    reference: (p, { x, batch }) => mha(x, x, x, batch, [4, 6], [4, 6], 6, p, { heads: 2, dk: 3, dv: 3, causal: true }),
    onnx: { ops: ['MatMul', 'Softmax', 'Transpose', 'Reshape'], reduction: 12, depth: 4 },
  },
  {
    name: 'self-attention, 3 heads, keyDim 2, valueDim 4, outputShape 5, no bias: [3, 4] to [3, 5]',
    layers: () => [layers.multiHeadAttention({ inputShape: [3, 4], numHeads: 3, keyDim: 2, valueDim: 4, outputShape: 5, useBias: false })],
    reference: (p, { x, batch }) => mha(x, x, x, batch, [3, 4], [3, 4], 4, p, { heads: 3, dk: 2, dv: 4, bias: false }),
    onnx: { ops: ['MatMul', 'Softmax'], reduction: 12, depth: 4 },
  },
  {
    name: 'cross-attention: a query of 4 steps (a permute of the input) over 6 values (key = value)',
    graph: () => {
      const x = input({ shape: [6, 4] });
      const query = layers.permute({ dims: [2, 1] }).apply(x); // [4, 6]
      return { inputs: x, outputs: layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([query, x]) };
    },
    reference: (p, { x, batch }) => {
      const xq = new Float64Array(batch * 24);
      for (let n = 0; n < batch; n++) for (let i = 0; i < 6; i++) for (let c = 0; c < 4; c++) xq[n * 24 + c * 6 + i] = x[n * 24 + i * 4 + c];
      return mha(xq, x, x, batch, [4, 6], [6, 4], 4, p, { heads: 2, dk: 2, dv: 2 });
    },
    onnx: { ops: ['MatMul', 'Softmax'], reduction: 12, depth: 4 },
  },
  {
    name: '[query, value, key], three different tensors (a dense layer makes the key)',
    graph: () => {
      const x = input({ shape: [3, 4] });
      const key = layers.dense({ units: 5 }).apply(x);
      return { inputs: x, outputs: layers.multiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3 }).apply([x, x, key]) };
    },
    reference: ([dk, db, ...p], { x, batch }) => mha(x, x, ref.dense(x, batch * 3, 4, dk, db, 5), batch, [3, 4], [3, 4], 5, p, { heads: 2, dk: 2, dv: 3 }),
    onnx: { ops: ['MatMul', 'Softmax'], reduction: 12, depth: 5 },
  },
  {
    name: 'dropout 0.3 on the probabilities in training (causal, 2 heads)',
    layers: () => [layers.multiHeadAttention({ inputShape: [4, 4], numHeads: 2, keyDim: 2, dropout: rate, useCausalMask: true })],
    training: { seed: fitSeed },
    reference: (p, { x, batch }) => mha(x, x, x, batch, [4, 4], [4, 4], 4, p, { heads: 2, dk: 2, dv: 2, causal: true, keep }),
    onnx: { ops: ['Softmax'], reduction: 8, depth: 4 },
  },
];
