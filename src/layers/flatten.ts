// flatten: [batch, d1, d2, ...] -> [batch, d1 * d2 * ...].
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor(options: BaseLayerOptions = {}) {
    super(options, [], 'flatten');
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32') throw new TypeError(`${this.label}: expects float32 input; flatten after an embedding, not before`);
    return [input.reduce((a, b) => a * b, 1)];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'flatten', name: this.name!, inputs: [input] }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    return g.node('Flatten', [x], this.name!, [{ name: 'axis', i: 1 }]);
  }
}

export const factories = defineLayers({
  flatten: { className: 'Flatten', create: (options: BaseLayerOptions = {}) => new Flatten(options) },
});
