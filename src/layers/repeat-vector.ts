// repeatVector: [features] -> [n, features], the sample repeated n times (Keras' RepeatVector;
// an encoder's summary fed to every step of a decoder); native/ops/repeat_vector.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface RepeatVectorOptions extends BaseLayerOptions {
  n: number;
}

export class RepeatVector extends Layer {
  readonly className = 'RepeatVector';
  readonly n: number;

  constructor(options: RepeatVectorOptions) {
    super(options, ['n'], 'repeatVector');
    this.n = checkInteger(options.n, 'repeatVector: n', 1);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 1) throw new TypeError(`${this.label}: expects float32 samples of shape [features], got ${shapeString(input)}`);
    return [this.n, input[0]];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'repeat_vector', name: this.name!, inputs: [input], numbers: { n: this.n } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    const scope = this.name!;
    const expanded = g.node('Unsqueeze', [x, g.int64Constant(`${scope}/axes`, [1])], scope);
    return g.node('Tile', [expanded, g.int64Constant(`${scope}/repeats`, [1, this.n, 1])], scope);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), n: this.n };
  }
}

export const factories = defineLayers({
  repeatVector: { className: 'RepeatVector', create: (options: RepeatVectorOptions) => new RepeatVector(options) },
});
