// reshape: a sample's values in a new shape (Keras' Reshape; one dimension may be -1, worked out
// from the others). The layout is kept, so natively it is a copy (native/ops/reshape).
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface ReshapeOptions extends BaseLayerOptions {
  /** The new per-sample shape, e.g. [28, 28, 1]; at most one -1. */
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  private resolved: number[] = [];

  constructor(options: ReshapeOptions) {
    super(options, ['targetShape'], 'reshape');
    const t = options.targetShape;
    if (!Array.isArray(t) || t.length === 0 || t.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) || t.filter((d) => d === -1).length > 1)
      throw new TypeError(`reshape: targetShape must be a list of positive integers with at most one -1, got ${JSON.stringify(t)}`);
    this.targetShape = [...t];
  }

  computeOutputShape(input: number[], _dtype: DType): number[] {
    const total = input.reduce((a, b) => a * b, 1);
    const known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const free = this.targetShape.includes(-1);
    if (free ? total % known !== 0 : total !== known)
      throw new TypeError(`${this.label}: cannot reshape ${shapeString(input)} (${total} values) to ${shapeString(this.targetShape)}`);
    this.resolved = this.targetShape.map((d) => (d === -1 ? total / known : d));
    return this.resolved;
  }

  computeOutputDtype(dtypes: DType[]): DType {
    return dtypes[0];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'reshape', name: this.name!, inputs: [input], strings: { targetShape: this.resolved.join(',') } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    const shape = g.int64Constant(`${this.name}/shape`, [-1, ...this.resolved]);
    return g.node('Reshape', [x, shape], this.name!);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

export const factories = defineLayers({
  reshape: { className: 'Reshape', create: (options: ReshapeOptions) => new Reshape(options) },
});
