// masking: Keras' Masking. A step whose every feature equals maskValue is padding: its values
// become 0, and recurrent layers after it skip it (the mask passes through layers that keep the
// steps: dropout, dense, activations, layer norm). native/ops/masking.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkNumber, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface MaskingOptions extends BaseLayerOptions {
  /** The padding value (default 0). */
  maskValue?: number;
}

export class Masking extends Layer {
  readonly className = 'Masking';
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    super(options, ['maskValue'], 'masking');
    this.maskValue = checkNumber(options.maskValue ?? 0, 'masking: maskValue');
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length < 2) throw new TypeError(`${this.label}: expects float32 [steps, features] per sample, got ${dtype} ${shapeString(input)}`);
    return input;
  }

  outputMask<R>(input: R): SequenceMask<R> | undefined {
    return { tensor: input, value: this.maskValue };
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'masking', name: this.name!, inputs: [input], numbers: { maskValue: this.maskValue } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    return g.node('Mul', [x, stepMaskOnnx(g, x, this.maskValue, this.name!, true)], this.name!);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}

/**
 * ONNX: 1 for a step with any feature other than `value`, else 0, over the last axis of x:
 * [batch, steps, 1] float with keepdims, [batch, steps] otherwise.
 */
export function stepMaskOnnx(g: GraphBuilder, x: string, value: number, scope: string, keepdims: boolean): string {
  const differs = g.node('Cast', [g.node('Not', [g.node('Equal', [x, g.floatConstant(`${scope}/mask_value`, [value])], scope)], scope)], scope, [{ name: 'to', i: 1 }]);
  const count = g.node('ReduceSum', [differs, g.int64Constant(`${scope}/feature_axis`, [-1])], scope, [{ name: 'keepdims', i: keepdims ? 1 : 0 }]);
  return g.node('Cast', [g.node('Greater', [count, g.floatConstant(`${scope}/zero`, [0])], scope)], scope, [{ name: 'to', i: 1 }]);
}

export const factories = defineLayers({
  masking: { className: 'Masking', create: (options: MaskingOptions = {}) => new Masking(options) },
});
