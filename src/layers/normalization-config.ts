// What batchNormalization and layerNormalization share: epsilon, and the learned scale (gamma)
// and offset (beta) with their initializers and regularizers, read and saved the same way.
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkNumber } from '../validate.js';
import type { WeightSpec } from './layer.js';

export interface AffineOptions {
  /** Added to the variance before its square root (default 1e-3, Keras'). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerName | Initializer;
  gammaInitializer?: InitializerName | Initializer;
  betaRegularizer?: Regularizer | 'l2';
  gammaRegularizer?: Regularizer | 'l2';
}

export interface Affine {
  epsilon: number;
  center: boolean;
  scale: boolean;
  betaInitializer: Initializer;
  gammaInitializer: Initializer;
  betaRegularizer: Regularizer | undefined;
  gammaRegularizer: Regularizer | undefined;
}

export const AFFINE_KEYS = ['epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer'] as const;

/** The options checked, with Keras' defaults (epsilon 1e-3, gamma ones, beta zeros). */
export function readAffine(o: AffineOptions, label: string): Affine {
  for (const key of ['center', 'scale'] as const)
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw new TypeError(`${label}: ${key} must be true or false`);
  return {
    epsilon: checkNumber(o.epsilon ?? 1e-3, `${label}: epsilon`, { min: 0, minExclusive: true }),
    center: o.center ?? true,
    scale: o.scale ?? true,
    betaInitializer: getInitializer(o.betaInitializer ?? 'zeros', `${label}: betaInitializer`),
    gammaInitializer: getInitializer(o.gammaInitializer ?? 'ones', `${label}: gammaInitializer`),
    betaRegularizer: getRegularizer(o.betaRegularizer, `${label}: betaRegularizer`),
    gammaRegularizer: getRegularizer(o.gammaRegularizer, `${label}: gammaRegularizer`),
  };
}

/** gamma and beta of `channels` values (those the layer learns), in Keras' order. */
export function affineWeights(a: Affine, channels: number): WeightSpec[] {
  const spec = (suffix: 'gamma' | 'beta', initializer: Initializer): WeightSpec => ({ suffix, shape: [channels], initializer, fanIn: channels, fanOut: channels });
  return [...(a.scale ? [spec('gamma', a.gammaInitializer)] : []), ...(a.center ? [spec('beta', a.betaInitializer)] : [])];
}

/** The native node's numbers for them. */
export const affineNumbers = (a: Affine) => ({ epsilon: a.epsilon, center: a.center ? 1 : 0, scale: a.scale ? 1 : 0, gammaL2: a.gammaRegularizer?.l2 ?? 0, betaL2: a.betaRegularizer?.l2 ?? 0 });

/** getConfig()'s entries for them. */
export function affineConfig(a: Affine): Record<string, unknown> {
  const init = (i: Initializer) => ({ name: i.name, config: i.getConfig() });
  return {
    epsilon: a.epsilon, center: a.center, scale: a.scale, betaInitializer: init(a.betaInitializer), gammaInitializer: init(a.gammaInitializer),
    ...(a.betaRegularizer ? { betaRegularizer: regularizerConfig(a.betaRegularizer) } : {}),
    ...(a.gammaRegularizer ? { gammaRegularizer: regularizerConfig(a.gammaRegularizer) } : {}),
  };
}
