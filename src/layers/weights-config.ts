// What layers with a kernel and a bias (dense, conv2d) share in their configs: the initializers'
// and regularizers' saved form, and how [height, width] options are read.
import { ACTIVATIONS, type ActivationName } from './activations.js';
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkInteger, checkNumber, checkOneOf } from '../validate.js';

/** The options of a layer with a kernel, a bias and a fused activation (dense, conv2d). */
export interface KernelAndBiasOptions {
  /** Applied after the bias; default 'linear' (none). */
  activation?: ActivationName;
  /** Negative slope when activation is 'leakyRelu' (default 0.3). */
  alpha?: number;
  useBias?: boolean;
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  /** Penalty on the kernel added to the loss: regularizers.l2(0.01) or 'l2'. */
  kernelRegularizer?: Regularizer | 'l2';
  /** Penalty on the bias added to the loss. */
  biasRegularizer?: Regularizer | 'l2';
}

export interface KernelAndBias {
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer: Regularizer | undefined;
  biasRegularizer: Regularizer | undefined;
  alpha: number;
}

/** The options checked, with Keras' defaults (glorotUniform kernel, zeros bias, a bias, linear). */
export function readKernelAndBias(o: KernelAndBiasOptions, label: string): KernelAndBias {
  if (o.useBias !== undefined && typeof o.useBias !== 'boolean') throw new TypeError(`${label}: useBias must be a boolean`);
  return {
    activation: checkOneOf(o.activation ?? 'linear', `${label}: activation`, ACTIVATIONS),
    alpha: checkNumber(o.alpha ?? 0.3, `${label}: alpha`, { min: 0 }),
    useBias: o.useBias ?? true,
    kernelInitializer: getInitializer(o.kernelInitializer ?? 'glorotUniform', `${label}: kernelInitializer`),
    biasInitializer: getInitializer(o.biasInitializer ?? 'zeros', `${label}: biasInitializer`),
    kernelRegularizer: getRegularizer(o.kernelRegularizer, `${label}: kernelRegularizer`),
    biasRegularizer: getRegularizer(o.biasRegularizer, `${label}: biasRegularizer`),
  };
}

/** getConfig()'s entries for the initializers, regularizers and (when not Keras' 0.3) alpha. */
export function kernelAndBiasConfig(l: KernelAndBias): Record<string, unknown> {
  return {
    kernelInitializer: { name: l.kernelInitializer.name, config: l.kernelInitializer.getConfig() },
    biasInitializer: { name: l.biasInitializer.name, config: l.biasInitializer.getConfig() },
    ...(l.alpha !== 0.3 ? { alpha: l.alpha } : {}),
    ...(l.kernelRegularizer ? { kernelRegularizer: regularizerConfig(l.kernelRegularizer) } : {}),
    ...(l.biasRegularizer ? { biasRegularizer: regularizerConfig(l.biasRegularizer) } : {}),
  };
}

/** A [height, width] option given as one positive integer for both, or as the pair. */
export function heightWidth(v: number | [number, number], what: string): [number, number] {
  if (typeof v === 'number') return [checkInteger(v, what, 1), checkInteger(v, what, 1)];
  if (!Array.isArray(v) || v.length !== 2) throw new TypeError(`${what} must be a positive integer or [height, width]`);
  return [checkInteger(v[0], `${what}[0]`, 1), checkInteger(v[1], `${what}[1]`, 1)];
}
