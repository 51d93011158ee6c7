// Symbolic tensors: what input() returns and layer.apply() passes along, so a graph of layers
// (residual connections, several inputs, shared layers) can be described before any data exists,
// as tfjs' SymbolicTensor and Keras' KerasTensor. model({ inputs, outputs }) compiles the graph.
import type { Layer } from '../layers/layer.js';
import type { DType } from '../tensor.js';
import { checkKeys, checkOneOf, checkShape } from '../validate.js';

/**
 * Where a symbolic tensor comes from: a model input, or the `index`-th application of a layer.
 * A layer with several outputs (a recurrent layer's returned states) gives each its `part`, and
 * all of them the same `parts` list (part 0 the output itself).
 */
export type SymbolicSource = { input: string } | { layer: Layer; index: number; inputs: SymbolicTensor[]; part?: number; parts?: SymbolicTensor[] };

export class SymbolicTensor {
  constructor(
    /** Per-sample shape (no batch dimension). */
    readonly shape: number[],
    readonly dtype: DType,
    readonly source: SymbolicSource,
  ) {}

  /** For messages: "input 'tokens'" or "layer 'dense_2'". */
  get sourceLabel(): string {
    if ('input' in this.source) return `input '${this.source.input}'`;
    const { layer, index, part } = this.source;
    return `layer '${layer.name}'${index > 0 ? ` (its use ${index + 1})` : ''}${part ? ` (its output ${part + 1})` : ''}`;
  }
}

/**
 * The output of a layer that has several (a recurrent layer with returnState): the first output
 * itself, usable wherever a tensor is, and iterable over all of them, so that
 * `const [output, stateH, stateC] = lstm.apply(x)` reads as in Keras.
 */
export class MultiOutputTensor extends SymbolicTensor implements Iterable<SymbolicTensor> {
  [Symbol.iterator](): Iterator<SymbolicTensor> {
    return (this.source as { parts: SymbolicTensor[] }).parts[Symbol.iterator]();
  }
}

const counts = new Map<string, number>();
/** A name unique in this process for an unnamed layer or input: 'dense_3', 'input_1'. */
export function autoName(base: string): string {
  const n = (counts.get(base) ?? 0) + 1;
  counts.set(base, n);
  return `${base}_${n}`;
}

export interface InputOptions {
  /** Shape of one sample, without the batch dimension: [784], [32] token ids, [28, 28, 1]. */
  shape: number[];
  /** 'float32' (default) or 'int32' (token ids for an embedding). */
  dtype?: DType;
  /** Used to pass data by name: fit({ tokens: ..., numeric: ... }, y). Default input_<n>. */
  name?: string;
}

/** A model input for the functional API, as tf.input / keras.Input. */
export function input(options: InputOptions): SymbolicTensor {
  if (typeof options !== 'object' || options === null) throw new TypeError('input: expected { shape, dtype?, name? }');
  checkKeys(options, 'input', ['shape', 'dtype', 'name']);
  const shape = checkShape(options.shape, 'input: shape');
  const dtype = checkOneOf(options.dtype ?? 'float32', 'input: dtype', ['float32', 'int32'] as const);
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z_][\w.-]*$/.test(options.name)))
    throw new TypeError(`input: name must be a word (letters, digits, _ . -), got ${JSON.stringify(options.name)}`);
  return new SymbolicTensor(shape, dtype, { input: options.name ?? autoName('input') });
}
