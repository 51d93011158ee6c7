// Merge layers, which take a list of inputs (Keras' merging layers): add, subtract, multiply,
// average, maximum, minimum (one native op, native/ops/merge) and concatenate
// (native/ops/concatenate). layers.add().apply([a, b]) in a graph model.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, sameShape, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

/** A layer over several inputs: used through apply([a, b, ...]) in a graph model. */
export abstract class MergeLayer extends Layer {
  computeOutputShape(): number[] {
    throw new TypeError(`${this.label}: takes a list of inputs, as layers.${this.className.toLowerCase()}().apply([a, b]) in a graph model (model({ inputs, outputs }))`);
  }

  toOnnx(): string {
    throw new Error(`${this.label}: exported through toOnnxInputs`);
  }

  /** Appends this layer's ONNX form over the input tensors `xs` (ranks with the batch dimension). */
  abstract toOnnxInputs(g: GraphBuilder, xs: string[], inputRank: number): string;
}

export type MergeMode = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum' | 'minimum';
const MAX_INPUTS = 16; // native/ops/merge: the inputs travel to a GPU kernel by value

/** Elementwise over inputs of one shape. */
export class Merge extends MergeLayer {
  constructor(
    readonly mode: MergeMode,
    readonly className: string,
    options: BaseLayerOptions = {},
  ) {
    super(options, [], mode);
  }

  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    const [min, max] = this.mode === 'subtract' ? [2, 2] : [2, MAX_INPUTS];
    if (inputs.length < min || inputs.length > max)
      throw new TypeError(`${this.label}: takes ${min === max ? 'exactly 2' : `2 to ${max}`} inputs, got ${inputs.length}`);
    if (dtypes.some((d) => d !== 'float32')) throw new TypeError(`${this.label}: expects float32 inputs; put token ids through an embedding first`);
    const odd = inputs.findIndex((s) => !sameShape(s, inputs[0]));
    if (odd >= 0) throw new TypeError(`${this.label}: inputs must have one shape, got ${shapeString(inputs[0])} and ${shapeString(inputs[odd])}`);
    return inputs[0];
  }

  toNodes(inputs: number[]): NodeSpec[] {
    return [{ op: 'merge', name: this.name!, inputs, strings: { mode: this.mode } }];
  }

  toOnnxInputs(g: GraphBuilder, xs: string[]): string {
    const scope = this.name!;
    switch (this.mode) {
      case 'add': return g.node(xs.length === 2 ? 'Add' : 'Sum', xs, scope);
      case 'subtract': return g.node('Sub', xs, scope);
      case 'multiply': return xs.slice(1).reduce((y, x) => g.node('Mul', [y, x], scope), xs[0]);
      case 'average': return g.node('Mean', xs, scope);
      case 'maximum': return g.node('Max', xs, scope);
      case 'minimum': return g.node('Min', xs, scope);
    }
  }
}

export interface ConcatenateOptions extends BaseLayerOptions {
  /** As Keras, counting the batch dimension: -1 (default) is the last axis, 1 the first of a sample. */
  axis?: number;
}

/** Joins inputs along one axis; the others must match. */
export class Concatenate extends MergeLayer {
  readonly className = 'Concatenate';
  readonly axis: number;
  private sampleAxis = 0;

  constructor(options: ConcatenateOptions = {}) {
    super(options, ['axis'], 'concatenate');
    this.axis = checkInteger(options.axis ?? -1, 'concatenate: axis', -64, 64);
    if (this.axis === 0) throw new RangeError('concatenate: axis 0 is the batch; use -1 (the last axis) or 1, 2, ... for a sample\'s axes');
  }

  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    if (inputs.length < 2) throw new TypeError(`${this.label}: takes at least 2 inputs, got ${inputs.length}`);
    const rank = inputs[0].length;
    const axis = this.axis < 0 ? rank + this.axis : this.axis - 1;
    if (axis < 0 || axis >= rank) throw new TypeError(`${this.label}: axis ${this.axis} is outside inputs of shape ${shapeString([null, ...inputs[0]])}`);
    if (dtypes.some((d) => d !== dtypes[0])) throw new TypeError(`${this.label}: inputs must share one dtype, got ${[...new Set(dtypes)].join(' and ')}`);
    const odd = inputs.findIndex((s) => s.length !== rank || s.some((d, i) => i !== axis && d !== inputs[0][i]));
    if (odd >= 0)
      throw new TypeError(`${this.label}: inputs must match except along axis ${this.axis}, got ${shapeString(inputs[0])} and ${shapeString(inputs[odd])}`);
    this.sampleAxis = axis;
    const out = [...inputs[0]];
    out[axis] = inputs.reduce((n, s) => n + s[axis], 0);
    return out;
  }

  computeOutputDtype(dtypes: DType[]): DType {
    return dtypes[0];
  }

  toNodes(inputs: number[]): NodeSpec[] {
    return [{ op: 'concatenate', name: this.name!, inputs, numbers: { axis: this.sampleAxis } }];
  }

  toOnnxInputs(g: GraphBuilder, xs: string[]): string {
    return g.node('Concat', xs, this.name!, [{ name: 'axis', i: this.sampleAxis + 1 }]);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

const mergeType = (mode: MergeMode, className: string) => ({ className, create: (options: BaseLayerOptions = {}) => new Merge(mode, className, options) });

export const factories = defineLayers({
  add: mergeType('add', 'Add'),
  subtract: mergeType('subtract', 'Subtract'),
  multiply: mergeType('multiply', 'Multiply'),
  average: mergeType('average', 'Average'),
  maximum: mergeType('maximum', 'Maximum'),
  minimum: mergeType('minimum', 'Minimum'),
  concatenate: { className: 'Concatenate', create: (options: ConcatenateOptions = {}) => new Concatenate(options) },
});
