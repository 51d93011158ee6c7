// Elementwise activation layers and softmax.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkNumber, checkOneOf } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask } from './layer.js';
import { activation, type GraphBuilder } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export const ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export interface ActivationOptions extends BaseLayerOptions {
  activation: ActivationName;
  /** Negative slope for leakyRelu (Keras' default 0.3). */
  alpha?: number;
}

/** y = f(x) elementwise; softmax normalises over the last axis. */
export class Activation extends Layer {
  readonly className: string;
  readonly activation: ActivationName;
  readonly alpha: number;

  constructor(options: ActivationOptions, className = 'Activation') {
    super(options, ['activation', 'alpha'], className.toLowerCase());
    this.className = className;
    this.activation = checkOneOf(options.activation, `${className}: activation`, ACTIVATIONS);
    this.alpha = checkNumber(options.alpha ?? 0.3, `${className}: alpha`, { min: 0 });
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32') throw new TypeError(`${this.label}: expects float32 input`);
    return input;
  }

  /** Keeps the steps: a mask passes through (Keras' supports_masking). */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return mask;
  }

  get outputActivation(): string | undefined {
    return this.activation === 'linear' ? undefined : this.activation;
  }

  toNodes([input]: number[]): NodeSpec[] {
    if (this.activation === 'softmax') return [{ op: 'softmax', name: this.name!, inputs: [input] }];
    return [{ op: 'activation', name: this.name!, inputs: [input], strings: { activation: this.activation }, numbers: { alpha: this.alpha } }];
  }

  toOnnx(g: GraphBuilder, x: string): string {
    return activation(g, x, this.activation, this.name!, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation, ...(this.activation === 'leakyRelu' ? { alpha: this.alpha } : {}) };
  }
}

const simple = (activationName: ActivationName, className: string) => ({
  className,
  create: (options: BaseLayerOptions = {}) => new Activation({ ...options, activation: activationName }, className),
});

export const factories = defineLayers({
  /** Any activation by name: layers.activation({ activation: 'tanh' }). */
  activation: { className: 'Activation', create: (options: ActivationOptions) => new Activation(options) },
  relu: simple('relu', 'ReLU'),
  leakyRelu: { className: 'LeakyReLU', create: (options: BaseLayerOptions & { alpha?: number } = {}) => new Activation({ ...options, activation: 'leakyRelu' }, 'LeakyReLU') },
  sigmoid: simple('sigmoid', 'Sigmoid'),
  tanh: simple('tanh', 'Tanh'),
  gelu: simple('gelu', 'GELU'),
  softmax: simple('softmax', 'Softmax'),
});
