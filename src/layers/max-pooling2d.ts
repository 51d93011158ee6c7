// maxPooling2d: the maximum of each pool window over channels-last samples [height, width,
// channels] (Keras' MaxPooling2D); native/ops/max_pooling2d.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkOneOf, shapeString } from '../validate.js';
import { heightWidth } from './weights-config.js';
import { type BaseLayerOptions, Layer } from './layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface MaxPooling2dOptions extends BaseLayerOptions {
  /** Window height and width, or one number for both (default 2). */
  poolSize?: number | [number, number];
  /** Step between windows (default: poolSize, non-overlapping windows). */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (the padding never wins a maximum). */
  padding?: 'valid' | 'same';
  /** Only 'channelsLast' for now. */
  dataFormat?: 'channelsLast';
}

const pair = heightWidth;

export class MaxPooling2d extends Layer {
  readonly className = 'MaxPooling2D';
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  private pads: [number, number, number, number] = [0, 0, 0, 0];

  constructor(options: MaxPooling2dOptions = {}) {
    super(options, ['poolSize', 'strides', 'padding', 'dataFormat'], 'maxPooling2d');
    this.poolSize = pair(options.poolSize ?? 2, 'maxPooling2d: poolSize');
    this.strides = options.strides === undefined ? this.poolSize : pair(options.strides, 'maxPooling2d: strides');
    this.padding = checkOneOf(options.padding ?? 'valid', 'maxPooling2d: padding', ['valid', 'same'] as const);
    checkOneOf(options.dataFormat ?? 'channelsLast', 'maxPooling2d: dataFormat', ['channelsLast'] as const);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 3) throw new TypeError(`${this.label}: expects float32 samples [height, width, channels], got ${shapeString(input)}`);
    const [h, w, c] = input, [ph, pw] = this.poolSize, [sh, sw] = this.strides;
    if (this.padding === 'same') {
      const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
      const padH = Math.max(0, (oh - 1) * sh + ph - h), padW = Math.max(0, (ow - 1) * sw + pw - w);
      this.pads = [Math.floor(padH / 2), Math.floor(padW / 2), padH - Math.floor(padH / 2), padW - Math.floor(padW / 2)];
      return [oh, ow, c];
    }
    if (ph > h || pw > w) throw new TypeError(`${this.label}: a ${ph}x${pw} pool does not fit in input ${shapeString(input)}; use padding: 'same' or a smaller poolSize`);
    this.pads = [0, 0, 0, 0];
    return [Math.floor((h - ph) / sh) + 1, Math.floor((w - pw) / sw) + 1, c];
  }

  toNodes([input]: number[]): NodeSpec[] {
    const [ph, pw] = this.poolSize, [sh, sw] = this.strides;
    return [{ op: 'max_pooling2d', name: this.name!, inputs: [input], numbers: { poolHeight: ph, poolWidth: pw, strideHeight: sh, strideWidth: sw }, strings: { padding: this.padding } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    const scope = this.name!;
    const nchw = g.node('Transpose', [x], scope, [{ name: 'perm', ints: [0, 3, 1, 2] }]);
    const y = g.node('MaxPool', [nchw], scope, [{ name: 'kernel_shape', ints: this.poolSize }, { name: 'strides', ints: this.strides }, { name: 'pads', ints: this.pads }]);
    return g.node('Transpose', [y], scope, [{ name: 'perm', ints: [0, 2, 3, 1] }]);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

export const factories = defineLayers({
  maxPooling2d: { className: 'MaxPooling2D', create: (options: MaxPooling2dOptions = {}) => new MaxPooling2d(options) },
});
