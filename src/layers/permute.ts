// permute: a sample's axes in a new order (Keras' Permute: dims count a sample's axes from 1,
// e.g. [2, 1] swaps the two axes of [steps, features]); native/ops/permute.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface PermuteOptions extends BaseLayerOptions {
  /** The input axis each output axis takes, counted from 1 (the batch axis stays first). */
  dims: number[];
}

export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: number[];

  constructor(options: PermuteOptions) {
    super(options, ['dims'], 'permute');
    const d = options.dims;
    if (!Array.isArray(d) || d.length === 0 || d.length > 8 || [...d].sort((a, b) => a - b).some((v, i) => v !== i + 1))
      throw new TypeError(`permute: dims must order the axes 1..n (at most 8), e.g. [2, 1]; got ${JSON.stringify(d)}`);
    this.dims = [...d];
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32') throw new TypeError(`${this.label}: expects float32 input`);
    if (input.length !== this.dims.length)
      throw new TypeError(`${this.label}: dims ${JSON.stringify(this.dims)} order ${this.dims.length} axes, but the input ${shapeString(input)} has ${input.length}`);
    return this.dims.map((d) => input[d - 1]);
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'permute', name: this.name!, inputs: [input], strings: { dims: this.dims.map((d) => d - 1).join(',') } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    return g.node('Transpose', [x], this.name!, [{ name: 'perm', ints: [0, ...this.dims] }]);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: this.dims };
  }
}

export const factories = defineLayers({
  permute: { className: 'Permute', create: (options: PermuteOptions) => new Permute(options) },
});
