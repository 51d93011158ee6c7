// multiHeadAttention: Keras' MultiHeadAttention. Applied to [query, value] (cross-attention),
// [query, value, key], or one tensor (self-attention, also as a layer of a sequential model),
// with an optional value mask last (Keras' value_mask: [valueSteps], 0 for a padded position):
// queries, keys and values are projected per head (dense nodes 'query', 'key', 'value'), each
// head attends with softmax(Q K^T / sqrt(keyDim)) (causal when useCausalMask), and the heads'
// outputs are projected back ('attention_output'). native/ops/attention for the middle.
// The projection kernels are 2-D, [features, heads * keyDim] (Keras' 3-D [features, heads,
// keyDim] has the same memory layout).
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, checkNumber, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { SymbolicTensor } from '../model/symbolic.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface MultiHeadAttentionOptions extends BaseLayerOptions {
  numHeads: number;
  /** Size of each head's queries and keys. */
  keyDim: number;
  /** Size of each head's values (default keyDim). */
  valueDim?: number;
  /** Dropout on the attention probabilities in fit (default 0). */
  dropout?: number;
  /** Biases in the four projections (default true). */
  useBias?: boolean;
  /** Features of the output (default: the query's). */
  outputShape?: number;
  /**
   * A query attends only to itself and the positions before it (decoders, language models).
   * Keras passes it when calling the layer; here it is the layer's option.
   */
  useCausalMask?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  /** Mixed into fit's seed for the attention dropout. */
  seed?: number;
}

interface Dims { tq: number; dq: number; tv: number; dv: number; dk: number; masked: boolean }

export class MultiHeadAttention extends Layer {
  readonly className = 'MultiHeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputDim: number | undefined;
  readonly useCausalMask: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly seed: number;
  private dims: Dims = { tq: 1, dq: 1, tv: 1, dv: 1, dk: 1, masked: false };

  constructor(options: MultiHeadAttentionOptions) {
    super(options, ['numHeads', 'keyDim', 'valueDim', 'dropout', 'useBias', 'outputShape', 'useCausalMask', 'kernelInitializer', 'biasInitializer', 'seed'], 'multiHeadAttention');
    const label = 'multiHeadAttention';
    this.numHeads = checkInteger(options?.numHeads, `${label}: numHeads`, 1);
    this.keyDim = checkInteger(options.keyDim, `${label}: keyDim`, 1);
    this.valueDim = checkInteger(options.valueDim ?? this.keyDim, `${label}: valueDim`, 1);
    this.dropout = checkNumber(options.dropout ?? 0, `${label}: dropout`, { min: 0, max: 1, maxExclusive: true });
    for (const key of ['useBias', 'useCausalMask'] as const)
      if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new TypeError(`${label}: ${key} must be true or false`);
    this.useBias = options.useBias ?? true;
    this.useCausalMask = options.useCausalMask ?? false;
    this.outputDim = options.outputShape === undefined ? undefined : checkInteger(options.outputShape, `${label}: outputShape`, 1);
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? 'glorotUniform', `${label}: kernelInitializer`);
    this.biasInitializer = getInitializer(options.biasInitializer ?? 'zeros', `${label}: biasInitializer`);
    this.seed = options.seed === undefined ? 0 : checkInteger(options.seed, `${label}: seed`, 0);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    return this.computeOutputShapes([input], [dtype]);
  }

  /**
   * Applies the layer: `inputs` is the query (self-attention), [query, value] or [query, value,
   * key]; `valueMask` (Keras' value_mask) a [valueSteps] tensor per sample, 0 where the value (and
   * key) is padding, which no query then attends to: float32, or the int32 token ids themselves
   * (0 the padding id, as Keras' mask_zero). A query whose every key is padding gets uniform
   * weights, as in Keras.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options: { valueMask?: SymbolicTensor } = {}): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return super.apply(options.valueMask === undefined ? list : [...list, options.valueMask]);
  }

  /** [query], [query, value] or [query, value, key], each [steps, features]; then, optionally, the value mask [valueSteps]. */
  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    const masked = inputs.length >= 2 && inputs[inputs.length - 1].length === 1;
    const tensors = masked ? inputs.slice(0, -1) : inputs;
    if (tensors.length < 1 || tensors.length > 3) throw new TypeError(`${this.label}: takes [query], [query, value] or [query, value, key] (and a value mask), got ${inputs.length} inputs`);
    tensors.forEach((s, k) => {
      if (dtypes[k] !== 'float32' || s.length !== 2) throw new TypeError(`${this.label}: ${['query', 'value', 'key'][k]} must be float32 [steps, features], got ${dtypes[k]} ${shapeString(s)}`);
    });
    const [q, v = q, k = v] = tensors;
    if (k[0] !== v[0]) throw new TypeError(`${this.label}: key ${shapeString(k)} and value ${shapeString(v)} need the same number of steps`);
    if (masked && inputs[inputs.length - 1][0] !== v[0])
      throw new TypeError(`${this.label}: the value mask must be [${v[0]}] (one value per value step, 0 for padding), got ${shapeString(inputs[inputs.length - 1])}`);
    this.dims = { tq: q[0], dq: q[1], tv: v[0], dv: v[1], dk: k[1], masked };
    return [q[0], this.outputDim ?? q[1]];
  }

  weightSpecs(): WeightSpec[] {
    const { dq, dv, dk } = this.dims, h = this.numHeads, out = this.outputDim ?? dq;
    const dense = (inputs: number, units: number): WeightSpec[] => [
      { suffix: 'kernel', shape: [inputs, units], initializer: this.kernelInitializer, fanIn: inputs, fanOut: units },
      ...(this.useBias ? [{ suffix: 'bias' as const, shape: [units], initializer: this.biasInitializer, fanIn: inputs, fanOut: units }] : []),
    ];
    return [...dense(dq, h * this.keyDim), ...dense(dk, h * this.keyDim), ...dense(dv, h * this.valueDim), ...dense(h * this.valueDim, out)];
  }

  toNodes(inputs: number[], firstOutput: number): NodeSpec[] {
    const mask = this.dims.masked ? inputs[inputs.length - 1] : undefined;
    const [q, v = q, k = v] = mask === undefined ? inputs : inputs.slice(0, -1);
    const h = this.numHeads, name = this.name!;
    const dense = (part: string, input: number, units: number): NodeSpec => ({
      op: 'dense', name: `${name}/${part}`, inputs: [input], numbers: { units, useBias: this.useBias ? 1 : 0 }, strings: { activation: 'linear' },
    });
    return [
      dense('query', q, h * this.keyDim),
      dense('key', k, h * this.keyDim),
      dense('value', v, h * this.valueDim),
      {
        op: 'attention', name: `${name}/attention`, inputs: [firstOutput, firstOutput + 1, firstOutput + 2, ...(mask === undefined ? [] : [mask])],
        numbers: { heads: h, keyDim: this.keyDim, valueDim: this.valueDim, causal: this.useCausalMask ? 1 : 0, dropout: this.dropout, seed: this.seed },
      },
      dense('attention_output', firstOutput + 3, this.outputDim ?? this.dims.dq),
    ];
  }

  toOnnx(g: GraphBuilder, x: string, inputRank: number, weights: LayerWeights): string {
    return this.toOnnxInputsAndWeights(g, [x], inputRank, weights);
  }

  // The projections as MatMul + Add; heads split by Reshape [N, T, heads, dim] and Transpose to
  // [N, heads, T, dim]; scores by MatMul, scaled, masked (an additive -inf constant), Softmax.
  toOnnxInputsAndWeights(g: GraphBuilder, xs: string[], _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!, h = this.numHeads;
    const mask = this.dims.masked ? xs[xs.length - 1] : undefined;
    const [xq, xv = xq, xk = xv] = mask === undefined ? xs : xs.slice(0, -1);
    const project = (part: string, x: string) => {
      let y = g.node('MatMul', [x, g.constant(`${scope}/${part}/kernel`, weights[`${part}/kernel`].shape, weights[`${part}/kernel`].data)], scope);
      if (this.useBias) y = g.node('Add', [y, g.constant(`${scope}/${part}/bias`, weights[`${part}/bias`].shape, weights[`${part}/bias`].data)], scope);
      return y;
    };
    const heads = (x: string, steps: number, dim: number, part: string) =>
      g.node('Transpose', [g.node('Reshape', [x, g.int64Constant(`${scope}/${part}/heads`, [-1, steps, h, dim])], scope)], scope, [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    const { tq, tv } = this.dims;
    const q = heads(project('query', xq), tq, this.keyDim, 'query');
    const k = heads(project('key', xk), tv, this.keyDim, 'key');
    const v = heads(project('value', xv), tv, this.valueDim, 'value');
    const kT = g.node('Transpose', [k], scope, [{ name: 'perm', ints: [0, 1, 3, 2] }]);
    let scores = g.node('Mul', [g.node('MatMul', [q, kT], scope), g.constant(`${scope}/scale`, [], Float32Array.of(1 / Math.sqrt(this.keyDim)))], scope);
    if (mask !== undefined) {
      // Padded keys' scores become -1e9, as the native op sets them: Where(mask == 0, -1e9, scores).
      // Cast first: the mask may be float32 or token ids (int32, or int64 with exportOnnx's tokenIds).
      const values = g.node('Cast', [mask], scope, [{ name: 'to', i: 1 }]); // 1: FLOAT
      const padded = g.node('Equal', [g.node('Reshape', [values, g.int64Constant(`${scope}/mask_shape`, [-1, 1, 1, tv])], scope), g.constant(`${scope}/zero`, [], Float32Array.of(0))], scope);
      scores = g.node('Where', [padded, g.constant(`${scope}/masked_score`, [], Float32Array.of(-1e9)), scores], scope);
    }
    if (this.useCausalMask) {
      const mask = new Float32Array(tq * tv);
      for (let i = 0; i < tq; i++) for (let j = i + 1; j < tv; j++) mask[i * tv + j] = -Infinity;
      scores = g.node('Add', [scores, g.constant(`${scope}/causal_mask`, [tq, tv], mask)], scope);
    }
    const probabilities = g.node('Softmax', [scores], scope, [{ name: 'axis', i: -1 }]);
    const o = g.node('Transpose', [g.node('MatMul', [probabilities, v], scope)], scope, [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    return project('attention_output', g.node('Reshape', [o, g.int64Constant(`${scope}/merge_heads`, [-1, tq, h * this.valueDim])], scope));
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, dropout: this.dropout, useBias: this.useBias,
      ...(this.outputDim !== undefined ? { outputShape: this.outputDim } : {}), useCausalMask: this.useCausalMask,
      kernelInitializer: { name: this.kernelInitializer.name, config: this.kernelInitializer.getConfig() },
      biasInitializer: { name: this.biasInitializer.name, config: this.biasInitializer.getConfig() },
      ...(this.seed ? { seed: this.seed } : {}),
    };
  }
}

export const factories = defineLayers({
  multiHeadAttention: { className: 'MultiHeadAttention', create: (options: MultiHeadAttentionOptions) => new MultiHeadAttention(options) },
});
