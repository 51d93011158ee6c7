// Pooling over images (Keras' names): maxPooling2d and averagePooling2d (native/ops/max_pooling2d,
// avg_pooling2d), and globalMaxPooling2d and globalAveragePooling2d, which are the same ops with
// one window the size of the input, then a reshape to [channels]. Channels last, or first through
// dataFormat (image-layer.ts).
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkOneOf } from '../validate.js';
import { ImageLayer, type ImageLayerOptions } from './image-layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { heightWidth } from './weights-config.js';

export interface Pooling2dOptions extends ImageLayerOptions {
  /** Window height and width, or one number for both (default 2). */
  poolSize?: number | [number, number];
  /** Step between windows (default: poolSize, non-overlapping windows). */
  strides?: number | [number, number];
  /** 'valid' (default) or 'same' (padding that never wins a maximum nor counts in a mean). */
  padding?: 'valid' | 'same';
}

const KINDS = {
  max: { op: 'max_pooling2d', onnx: 'MaxPool', global: 'GlobalMaxPool' },
  average: { op: 'avg_pooling2d', onnx: 'AveragePool', global: 'GlobalAveragePool' },
} as const;

/** Window maxima or means. */
export class Pooling2d extends ImageLayer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  private pads: [number, number, number, number] = [0, 0, 0, 0];

  constructor(
    readonly kind: keyof typeof KINDS,
    readonly className: string,
    options: Pooling2dOptions = {},
  ) {
    const label = `${kind}Pooling2d`;
    super(options, ['poolSize', 'strides', 'padding'], label);
    this.poolSize = heightWidth(options.poolSize ?? 2, `${label}: poolSize`);
    this.strides = options.strides === undefined ? this.poolSize : heightWidth(options.strides, `${label}: strides`);
    this.padding = checkOneOf(options.padding ?? 'valid', `${label}: padding`, ['valid', 'same'] as const);
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    const [ph, pw] = this.poolSize, [sh, sw] = this.strides;
    if (this.padding === 'same') {
      const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
      const padH = Math.max(0, (oh - 1) * sh + ph - h), padW = Math.max(0, (ow - 1) * sw + pw - w);
      this.pads = [Math.floor(padH / 2), Math.floor(padW / 2), padH - Math.floor(padH / 2), padW - Math.floor(padW / 2)];
      return [oh, ow, c];
    }
    if (ph > h || pw > w) throw new TypeError(`${this.label}: a ${ph}x${pw} pool does not fit in input ${h}x${w}; use padding: 'same' or a smaller poolSize`);
    this.pads = [0, 0, 0, 0];
    return [Math.floor((h - ph) / sh) + 1, Math.floor((w - pw) / sw) + 1, c];
  }

  protected imageNodes(input: number): NodeSpec[] {
    const [ph, pw] = this.poolSize, [sh, sw] = this.strides;
    return [{ op: KINDS[this.kind].op, name: this.name!, inputs: [input], numbers: { poolHeight: ph, poolWidth: pw, strideHeight: sh, strideWidth: sw }, strings: { padding: this.padding } }];
  }

  protected onnxNchw(g: GraphBuilder, x: string): string {
    return g.node(KINDS[this.kind].onnx, [x], this.name!, [{ name: 'kernel_shape', ints: this.poolSize }, { name: 'strides', ints: this.strides }, { name: 'pads', ints: this.pads }]);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/** The maximum or mean of each channel over the whole sample: [height, width, channels] to [channels]. */
export class GlobalPooling2d extends ImageLayer {
  private size: [number, number] = [1, 1];
  private channels = 1;

  constructor(
    readonly kind: keyof typeof KINDS,
    readonly className: string,
    options: ImageLayerOptions = {},
  ) {
    super(options, [], `global${kind[0].toUpperCase()}${kind.slice(1)}Pooling2d`);
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    this.size = [h, w];
    this.channels = c;
    return [c];
  }

  protected imageNodes(input: number, firstOutput: number): NodeSpec[] {
    const [h, w] = this.size;
    return [
      { op: KINDS[this.kind].op, name: this.name!, inputs: [input], numbers: { poolHeight: h, poolWidth: w, strideHeight: h, strideWidth: w }, strings: { padding: 'valid' } },
      { op: 'reshape', name: `${this.name}/flatten`, inputs: [firstOutput], strings: { targetShape: String(this.channels) } },
    ];
  }

  protected onnxNchw(g: GraphBuilder, x: string): string {
    const scope = this.name!;
    return g.node('Flatten', [g.node(KINDS[this.kind].global, [x], scope)], scope, [{ name: 'axis', i: 1 }]);
  }
}

export const factories = defineLayers({
  maxPooling2d: { className: 'MaxPooling2D', create: (options: Pooling2dOptions = {}) => new Pooling2d('max', 'MaxPooling2D', options) },
  averagePooling2d: { className: 'AveragePooling2D', create: (options: Pooling2dOptions = {}) => new Pooling2d('average', 'AveragePooling2D', options) },
  globalMaxPooling2d: { className: 'GlobalMaxPooling2D', create: (options: ImageLayerOptions = {}) => new GlobalPooling2d('max', 'GlobalMaxPooling2D', options) },
  globalAveragePooling2d: { className: 'GlobalAveragePooling2D', create: (options: ImageLayerOptions = {}) => new GlobalPooling2d('average', 'GlobalAveragePooling2D', options) },
});
