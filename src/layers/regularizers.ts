// Weight penalties a layer adds to the loss (Keras' kernelRegularizer). L2 adds
// l2 * sum(w^2) to the loss and 2 * l2 * w to the gradient, natively, each step;
// unlike the optimizers' weightDecay it is part of the loss the history reports.
import { checkKeys, checkNumber, describe } from '../validate.js';

export interface Regularizer {
  readonly name: 'l2';
  /** The penalty factor: loss += l2 * sum(w^2). */
  readonly l2: number;
  getConfig(): { l2: number };
}

function l2(factor: number | { l2?: number } = 0.01): Regularizer {
  let value: unknown = factor;
  if (typeof factor === 'object' && factor !== null) {
    checkKeys(factor, 'regularizers.l2', ['l2']);
    value = factor.l2 ?? 0.01;
  }
  const v = checkNumber(value, 'regularizers.l2: factor', { min: 0 });
  return { name: 'l2', l2: v, getConfig: () => ({ l2: v }) };
}

export const regularizers = {
  /** L2 penalty (Keras' regularizers.L2 / tf.regularizers.l2): l2(0.01) or l2({ l2: 0.01 }). */
  l2,
};

/** A layer option: a regularizer, 'l2' (factor 0.01, as Keras), a saved config { name: 'l2', config }, or undefined. */
export function getRegularizer(value: unknown, label: string): Regularizer | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'l2') return l2();
  if (typeof value === 'object') {
    const v = value as Partial<Regularizer> & { config?: { l2?: number } };
    if (v.name === 'l2' && typeof v.l2 === 'number' && typeof v.getConfig === 'function') return v as Regularizer;
    if (v.name === 'l2' && v.config) return l2(v.config);
    // The JSON form of regularizers.l2({ l2: 0.01 }), as a run config writes it.
    if (v.name === undefined && Object.keys(v).length === 1 && typeof (v as { l2?: unknown }).l2 === 'number') return l2(v as { l2: number });
  }
  throw new TypeError(`${label} must be regularizers.l2(factor), 'l2' or { l2: factor }, got ${describe(value)}`);
}

/** The saved form of a regularizer, for getConfig(). */
export function regularizerConfig(r: Regularizer | undefined): { name: string; config: { l2: number } } | undefined {
  return r && { name: r.name, config: r.getConfig() };
}
