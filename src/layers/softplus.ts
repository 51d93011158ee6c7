// softplus: y = log(1 + exp(x)), elementwise; a smooth relu whose output is always positive
// (tfjs' and Keras' 'softplus'). Native op: native/ops/softplus/.
import type { NodeSpec } from '../backend/native.js';
import type { GraphBuilder } from '../onnx/graph.js';
import type { DType } from '../tensor.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import { defineLayers } from './registry.js';

export class Softplus extends Layer {
  readonly className = 'Softplus';

  constructor(options: BaseLayerOptions = {}) {
    super(options, [], 'softplus');
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32') throw new TypeError(`${this.label}: expects float32 input`);
    return input;
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'softplus', name: this.name!, inputs: [input] }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    return g.node('Softplus', [x], this.name!);
  }
}

export const factories = defineLayers({
  softplus: { className: 'Softplus', create: (options: BaseLayerOptions = {}) => new Softplus(options) },
});
