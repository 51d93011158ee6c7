// dropout: during training zeroes each element with probability `rate` and
// scales the rest by 1 / (1 - rate); at inference it passes values through.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, checkNumber } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask } from './layer.js';
import { defineLayers } from './registry.js';

export interface DropoutOptions extends BaseLayerOptions {
  rate: number;
  /** Mixed into fit's seed, so two dropout layers can be given unrelated masks. */
  seed?: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number;

  constructor(options: DropoutOptions) {
    super(options, ['rate', 'seed'], 'dropout');
    this.rate = checkNumber(options.rate, 'dropout: rate', { min: 0, max: 1, maxExclusive: true });
    this.seed = options.seed === undefined ? 0 : checkInteger(options.seed, 'dropout: seed', 0);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32') throw new TypeError(`${this.label}: expects float32 input`);
    return input;
  }

  /** Keeps the steps: a mask passes through (Keras' supports_masking). */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return mask;
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'dropout', name: this.name!, inputs: [input], numbers: { rate: this.rate, seed: this.seed } }];
  }

  toOnnx(_g: unknown, x: string): string {
    return x; // identity at inference
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, ...(this.seed ? { seed: this.seed } : {}) };
  }
}

export const factories = defineLayers({
  dropout: { className: 'Dropout', create: (options: DropoutOptions) => new Dropout(options) },
});
