// A recurrent layer's ONNX form: the RNN, GRU or LSTM operator of one direction, its weights
// rearranged from Keras' layout ([features, gates * units], gates i f c o) to ONNX's
// ([1, gates * units, features], gates i o f c), batch-major tensors transposed to ONNX's
// time-major ones and back. A mask becomes sequence_lens (its count of real steps), which equals
// gradloop's mask for padding at the end of a sequence (pad 'post'), the usual layout.
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { stepMaskOnnx } from './masking.js';

const ONNX_OP = { simpleRnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;
const ONNX_ACTIVATION = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu', linear: 'Affine' } as const;
type Activation = keyof typeof ONNX_ACTIVATION;

/** What recurrentOnnx needs of the layer. */
export interface RecurrentForOnnx {
  cell: 'simpleRnn' | 'lstm' | 'gru';
  units: number;
  gates: number;
  activation: Activation;
  recurrentActivation: Activation;
  useBias: boolean;
  returnSequences: boolean;
}

export interface RecurrentOnnxInputs {
  x: string;
  /** Initial states' tensors ([batch, units] each), or none. */
  states: string[];
  mask?: string;
  /** The mask is a Masking layer's input [batch, steps, features] with this padding value (else [batch, steps]). */
  maskValue?: number;
  goBackwards: boolean;
  /** Outputs in time order even when reading backwards (a bidirectional layer's backward half). */
  timeOrder: boolean;
}

/** Appends the layer (weights under `${prefix}kernel`, ...); returns its output and final states' names. */
export function recurrentOnnx(g: GraphBuilder, layer: RecurrentForOnnx, scope: string, weights: LayerWeights, prefix: string, io: RecurrentOnnxInputs): { output: string; states: string[] } {
  const { cell, units: U, gates: G } = layer;
  const kernel = weights[`${prefix}kernel`], recurrent = weights[`${prefix}recurrent_kernel`];
  const F = kernel.shape[0], GU = G * U;
  // ONNX's gate k is Keras' gate order[k].
  const order = cell === 'lstm' ? [0, 3, 1, 2] : cell === 'gru' ? [0, 1, 2] : [0];
  const transpose = (w: Float32Array, rows: number) => {
    const out = new Float32Array(GU * rows);
    for (let k = 0; k < G; k++)
      for (let u = 0; u < U; u++)
        for (let r = 0; r < rows; r++) out[(k * U + u) * rows + r] = w[r * GU + order[k] * U + u];
    return out;
  };
  const bias = new Float32Array(2 * GU); // [input bias, recurrent bias]
  if (layer.useBias) {
    const b = weights[`${prefix}bias`].data;
    for (let k = 0; k < G; k++)
      for (let u = 0; u < U; u++) {
        bias[k * U + u] = b[order[k] * U + u];
        if (cell === 'gru') bias[GU + k * U + u] = b[GU + order[k] * U + u];
      }
  }
  const name = (s: string) => `${scope}/${prefix}${s}`;
  const W = g.constant(name('W'), [1, GU, F], transpose(kernel.data, F));
  const R = g.constant(name('R'), [1, GU, U], transpose(recurrent.data, U));
  const B = g.constant(name('B'), [1, 2 * GU], bias);
  const axes = (values: number[], what: string) => g.int64Constant(name(what), values);
  const X = g.node('Transpose', [io.x], scope, [{ name: 'perm', ints: [1, 0, 2] }]); // [steps, batch, features]
  // sequence_lens: each sample's count of real steps (int32).
  const steps = io.mask === undefined ? '' : io.maskValue === undefined ? io.mask : stepMaskOnnx(g, io.mask, io.maskValue, name('mask'), false);
  const lengths = io.mask === undefined ? '' : g.node('ReduceSum', [
    g.node('Cast', [g.node('Cast', [steps], scope, [{ name: 'to', i: 9 }])], scope, [{ name: 'to', i: 6 }]), // to BOOL, then INT32
    axes([1], 'time_axis'),
  ], scope, [{ name: 'keepdims', i: 0 }]);
  const initial = io.states.map((s) => g.node('Unsqueeze', [s, axes([0], 'direction_axis')], scope)); // [1, batch, units]
  const activations: Activation[] = cell === 'lstm' ? [layer.recurrentActivation, layer.activation, layer.activation]
    : cell === 'gru' ? [layer.recurrentActivation, layer.activation] : [layer.activation];
  const affine = activations.filter((a) => a === 'linear').length; // Affine(x) = alpha x + beta
  const outputs = g.nodeWithOutputs(ONNX_OP[cell], [X, W, R, B, lengths, ...initial], scope, cell === 'lstm' ? 3 : 2, [
    { name: 'hidden_size', i: U },
    { name: 'direction', s: io.goBackwards ? 'reverse' : 'forward' },
    { name: 'activations', strings: activations.map((a) => ONNX_ACTIVATION[a]) },
    ...(affine ? [{ name: 'activation_alpha', floats: Array(affine).fill(1) }, { name: 'activation_beta', floats: Array(affine).fill(0) }] : []),
    ...(cell === 'gru' ? [{ name: 'linear_before_reset', i: 1 }] : []),
  ]);
  const states = outputs.slice(1).map((s) => g.node('Squeeze', [s, axes([0], 'direction_axis')], scope)); // [batch, units]
  if (!layer.returnSequences) return { output: states[0], states };
  // Y [steps, 1, batch, units] -> [batch, steps, units]; ONNX's reverse direction gives the steps
  // in time order, Keras' goBackwards in the order read, so reverse them unless asked for time order.
  let y = g.node('Transpose', [g.node('Squeeze', [outputs[0], axes([1], 'y_direction_axis')], scope)], scope, [{ name: 'perm', ints: [1, 0, 2] }]);
  if (io.goBackwards && !io.timeOrder)
    y = g.node('Slice', [y, axes([-1], 'reverse_starts'), axes([-(2 ** 53)], 'reverse_ends'), axes([1], 'reverse_axes'), axes([-1], 'reverse_steps')], scope);
  return { output: y, states };
}
