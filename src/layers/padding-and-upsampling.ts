// zeroPadding2d and upSampling2d over images (Keras' ZeroPadding2D and UpSampling2D with
// 'nearest'); native/ops/zero_padding2d, up_sampling2d. Channels last, or first through dataFormat.
import type { NodeSpec } from '../backend/native.js';
import { checkInteger, checkOneOf } from '../validate.js';
import { ImageLayer, type ImageLayerOptions } from './image-layer.js';
import type { GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { heightWidth } from './weights-config.js';

export interface ZeroPadding2dOptions extends ImageLayerOptions {
  /** As Keras: one number for every side, [rows, columns] (each both sides), or [[top, bottom], [left, right]]. Default 1. */
  padding?: number | [number, number] | [[number, number], [number, number]];
}

export class ZeroPadding2d extends ImageLayer {
  readonly className = 'ZeroPadding2D';
  /** [[top, bottom], [left, right]] */
  readonly padding: [[number, number], [number, number]];

  constructor(options: ZeroPadding2dOptions = {}) {
    super(options, ['padding'], 'zeroPadding2d');
    const p = options.padding ?? 1;
    const n = (v: unknown, what: string) => checkInteger(v, `zeroPadding2d: ${what}`, 0, 65536);
    if (typeof p === 'number') this.padding = [[n(p, 'padding'), n(p, 'padding')], [n(p, 'padding'), n(p, 'padding')]];
    else if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') this.padding = [[n(p[0], 'padding[0]'), n(p[0], 'padding[0]')], [n(p[1], 'padding[1]'), n(p[1], 'padding[1]')]];
    else if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0]) && Array.isArray(p[1]) && p[0].length === 2 && p[1].length === 2)
      this.padding = [[n(p[0][0], 'padding[0][0]'), n(p[0][1], 'padding[0][1]')], [n(p[1][0], 'padding[1][0]'), n(p[1][1], 'padding[1][1]')]];
    else throw new TypeError('zeroPadding2d: padding must be a number, [rows, columns], or [[top, bottom], [left, right]]');
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    const [[t, b], [l, r]] = this.padding;
    return [h + t + b, w + l + r, c];
  }

  protected imageNodes(input: number): NodeSpec[] {
    const [[top, bottom], [left, right]] = this.padding;
    return [{ op: 'zero_padding2d', name: this.name!, inputs: [input], numbers: { top, bottom, left, right } }];
  }

  protected onnxNchw(g: GraphBuilder, x: string): string {
    const [[t, b], [l, r]] = this.padding;
    return g.node('Pad', [x, g.int64Constant(`${this.name}/pads`, [0, 0, t, l, 0, 0, b, r])], this.name!); // constant mode, zeros
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding };
  }
}

export interface UpSampling2dOptions extends ImageLayerOptions {
  /** Repeats of each row and column (default 2), or [rows, columns]. */
  size?: number | [number, number];
  /** Only 'nearest' for now. */
  interpolation?: 'nearest';
}

export class UpSampling2d extends ImageLayer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];

  constructor(options: UpSampling2dOptions = {}) {
    super(options, ['size', 'interpolation'], 'upSampling2d');
    this.size = heightWidth(options.size ?? 2, 'upSampling2d: size');
    checkOneOf(options.interpolation ?? 'nearest', 'upSampling2d: interpolation', ['nearest'] as const);
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    return [h * this.size[0], w * this.size[1], c];
  }

  protected imageNodes(input: number): NodeSpec[] {
    return [{ op: 'up_sampling2d', name: this.name!, inputs: [input], numbers: { sizeHeight: this.size[0], sizeWidth: this.size[1] } }];
  }

  protected onnxNchw(g: GraphBuilder, x: string): string {
    const scales = g.floatConstant(`${this.name}/scales`, [1, 1, this.size[0], this.size[1]]);
    return g.node('Resize', [x, '', scales], this.name!, [{ name: 'mode', s: 'nearest' }, { name: 'nearest_mode', s: 'floor' }, { name: 'coordinate_transformation_mode', s: 'asymmetric' }]);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}

export const factories = defineLayers({
  zeroPadding2d: { className: 'ZeroPadding2D', create: (options: ZeroPadding2dOptions = {}) => new ZeroPadding2d(options) },
  upSampling2d: { className: 'UpSampling2D', create: (options: UpSampling2dOptions = {}) => new UpSampling2d(options) },
});
