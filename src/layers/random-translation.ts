// randomTranslation: Keras' RandomTranslation, data augmentation inside the model. In training
// each sample moves by a whole number of pixels, drawn per sample and step from the factors (a
// fraction of the height and width), the uncovered border filled by fillMode; at inference it
// is the identity (and absent from ONNX). native/ops/random_translation. Keras moves by fractions
// of a pixel with bilinear interpolation; here the shift is rounded to whole pixels ('nearest').
import type { NodeSpec } from '../backend/native.js';
import { checkInteger, checkNumber, checkOneOf } from '../validate.js';
import { ImageLayer, type ImageLayerOptions } from './image-layer.js';
import { defineLayers } from './registry.js';

export type FillMode = 'reflect' | 'wrap' | 'nearest' | 'constant';

export interface RandomTranslationOptions extends ImageLayerOptions {
  /** Vertical shift as a fraction of the height: f for [-f, f], or [lower, upper] (negative: up). */
  heightFactor: number | [number, number];
  /** Horizontal shift as a fraction of the width: f for [-f, f], or [lower, upper] (negative: left). */
  widthFactor: number | [number, number];
  /** What fills the uncovered border: 'reflect' (default, as Keras), 'wrap', 'nearest' or 'constant'. */
  fillMode?: FillMode;
  /** The value for fillMode 'constant' (default 0). */
  fillValue?: number;
  /** Only 'nearest': shifts are whole pixels. */
  interpolation?: 'nearest';
  /** Mixed into fit's seed, so two augmentation layers draw unrelated shifts. */
  seed?: number;
}

function range(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') {
    const f = checkNumber(v, what, { min: 0, max: 1 });
    return [-f, f];
  }
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${what} must be a fraction in [0, 1] or [lower, upper]`);
  const lower = checkNumber(v[0], `${what}[0]`, { min: -1, max: 1 }), upper = checkNumber(v[1], `${what}[1]`, { min: lower, max: 1 });
  return [lower, upper];
}

export class RandomTranslation extends ImageLayer {
  readonly className = 'RandomTranslation';
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];
  readonly fillMode: FillMode;
  readonly fillValue: number;
  readonly seed: number;

  constructor(options: RandomTranslationOptions) {
    super(options, ['heightFactor', 'widthFactor', 'fillMode', 'fillValue', 'interpolation', 'seed'], 'randomTranslation');
    if (options.heightFactor === undefined || options.widthFactor === undefined)
      throw new TypeError('randomTranslation: heightFactor and widthFactor are required, e.g. { heightFactor: 0.1, widthFactor: 0.1 }');
    this.heightFactor = range(options.heightFactor, 'randomTranslation: heightFactor');
    this.widthFactor = range(options.widthFactor, 'randomTranslation: widthFactor');
    this.fillMode = checkOneOf(options.fillMode ?? 'reflect', 'randomTranslation: fillMode', ['reflect', 'wrap', 'nearest', 'constant'] as const);
    this.fillValue = checkNumber(options.fillValue ?? 0, 'randomTranslation: fillValue');
    checkOneOf(options.interpolation ?? 'nearest', 'randomTranslation: interpolation', ['nearest'] as const);
    this.seed = options.seed === undefined ? 0 : checkInteger(options.seed, 'randomTranslation: seed', 0);
  }

  protected imageOutputShape(input: [number, number, number]): number[] {
    return [...input];
  }

  protected imageNodes(input: number): NodeSpec[] {
    return [{
      op: 'random_translation', name: this.name!, inputs: [input],
      numbers: { heightLower: this.heightFactor[0], heightUpper: this.heightFactor[1], widthLower: this.widthFactor[0], widthUpper: this.widthFactor[1], fillValue: this.fillValue, seed: this.seed },
      strings: { fillMode: this.fillMode },
    }];
  }

  protected onnxNchw(_g: unknown, x: string): string {
    return x; // identity at inference
  }

  toOnnx(_g: unknown, x: string): string {
    return x; // identity at inference, whatever the layout
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor, fillMode: this.fillMode,
      ...(this.fillValue !== 0 ? { fillValue: this.fillValue } : {}), ...(this.seed ? { seed: this.seed } : {}),
    };
  }
}

export const factories = defineLayers({
  randomTranslation: { className: 'RandomTranslation', create: (options: RandomTranslationOptions) => new RandomTranslation(options) },
});
