// Optimizers as PyTorch defines them; the update itself runs natively, fused
// per parameter tensor. `learningRate` may be changed between steps.
import type { OptimizerSpec } from '../backend/native.js';
import { isSchedule, type LearningRateSchedule, scheduleFromConfig } from './schedules.js';
import { checkKeys, checkNumber } from '../validate.js';

export class Optimizer {
  readonly type: OptimizerSpec['type'];
  /** Steps taken so far, over every fit (Keras' optimizer.iterations); per-step schedules count these. */
  iterations = 0;
  private rate: number;
  private scheduleValue: LearningRateSchedule | undefined;
  private epochValue = 0;
  private readonly config: Omit<OptimizerSpec, 'type'>;

  constructor(type: OptimizerSpec['type'], learningRate: number | LearningRateSchedule, config: Omit<OptimizerSpec, 'type'>) {
    this.type = type;
    if (isSchedule(learningRate)) {
      this.scheduleValue = learningRate;
      this.rate = NaN;
    } else {
      this.rate = checkNumber(learningRate, `${type}: learningRate`, { min: 0 });
    }
    this.config = config;
  }

  /** The rate the next step uses: the constant rate, or the schedule's rate now. */
  get learningRate(): number {
    return this.rateAt(this.iterations, this.epochValue);
  }
  /** Sets a constant rate (replacing any schedule), e.g. between epochs. */
  set learningRate(value: number) {
    this.rate = checkNumber(value, `${this.type}: learningRate`, { min: 0 });
    this.scheduleValue = undefined;
  }

  /** The schedule the rate follows, if any. */
  get schedule(): LearningRateSchedule | undefined {
    return this.scheduleValue;
  }

  /** @internal the rate for a given optimizer step and epoch. */
  rateAt(step: number, epoch: number): number {
    const schedule = this.scheduleValue;
    if (!schedule) return this.rate;
    const t = schedule.per === 'step' ? step : epoch;
    const r = schedule.rate(t);
    if (!Number.isFinite(r) || r < 0) throw new RangeError(`${this.type}: the learning-rate schedule gave ${r} at ${schedule.per} ${t}`);
    return r;
  }

  /** @internal the loop tells the optimizer which epoch runs (per-epoch schedules). */
  set epoch(epoch: number) {
    this.epochValue = epoch;
  }

  /** The spec the native program is compiled with. */
  toNative(): OptimizerSpec {
    return { type: this.type, ...this.config };
  }

  getConfig(): Record<string, unknown> {
    return { type: this.type, learningRate: this.scheduleValue ? this.scheduleValue.getConfig() : this.rate, ...this.config };
  }
}

export interface SgdOptions {
  /** A number, or a schedule from `schedules`. */
  learningRate?: number | LearningRateSchedule;
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (torch.optim.SGD's weight_decay). */
  weightDecay?: number;
}

export interface AdamOptions {
  /** A number, or a schedule from `schedules`. */
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** adam: L2 penalty added to the gradient; adamw: decoupled decay of the weights. */
  weightDecay?: number;
  /** Divide by the largest second moment so far (torch's amsgrad; adam and adamw only). */
  amsgrad?: boolean;
}

export interface RmspropOptions {
  learningRate?: number | LearningRateSchedule;
  /** The squared gradients' decay (PyTorch's alpha; Keras' rho). */
  alpha?: number;
  epsilon?: number;
  weightDecay?: number;
  momentum?: number;
  /** Divide by the gradients' variance (their mean squared minus their mean, squared) instead of their mean square. */
  centered?: boolean;
}

export interface AdagradOptions {
  learningRate?: number | LearningRateSchedule;
  /** The rate at step t is learningRate / (1 + (t - 1) lrDecay). */
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  epsilon?: number;
}

export interface AdadeltaOptions {
  learningRate?: number | LearningRateSchedule;
  rho?: number;
  epsilon?: number;
  weightDecay?: number;
}

export interface NadamOptions extends Omit<AdamOptions, 'amsgrad'> {
  /** psi in mu_t = beta1 (1 - 0.5 * 0.96^(t psi)). */
  momentumDecay?: number;
}

export interface LionOptions {
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  /** Decoupled: the weights shrink by learningRate * weightDecay each step. */
  weightDecay?: number;
}

const unit = (v: number | undefined, fallback: number, what: string) => checkNumber(v ?? fallback, what, { min: 0, max: 1, maxExclusive: true });
const positive = (v: number | undefined, fallback: number, what: string) => checkNumber(v ?? fallback, what, { min: 0, minExclusive: true });
const nonNegative = (v: number | undefined, fallback: number, what: string) => checkNumber(v ?? fallback, what, { min: 0 });

function adamLike(type: 'adam' | 'adamw' | 'adamax' | 'nadam', o: AdamOptions & NadamOptions, defaults: { lr: number; decay: number }): Optimizer {
  const keys = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay'];
  checkKeys(o, type, type === 'nadam' ? [...keys, 'momentumDecay'] : type === 'adamax' ? keys : [...keys, 'amsgrad']);
  if (o.amsgrad !== undefined && typeof o.amsgrad !== 'boolean') throw new TypeError(`${type}: amsgrad must be true or false`);
  return new Optimizer(type, o.learningRate ?? defaults.lr, {
    beta1: unit(o.beta1, 0.9, `${type}: beta1`),
    beta2: unit(o.beta2, 0.999, `${type}: beta2`),
    epsilon: positive(o.epsilon, 1e-8, `${type}: epsilon`),
    weightDecay: nonNegative(o.weightDecay, defaults.decay, `${type}: weightDecay`),
    ...(o.amsgrad ? { amsgrad: true } : {}),
    ...(type === 'nadam' ? { momentumDecay: nonNegative(o.momentumDecay, 4e-3, 'nadam: momentumDecay') } : {}),
  });
}

export const optimizers = {
  /** torch.optim.SGD: learningRate 0.01 (Keras' default), momentum 0, no Nesterov, no weight decay. */
  sgd(o: SgdOptions = {}): Optimizer {
    checkKeys(o, 'sgd', ['learningRate', 'momentum', 'nesterov', 'weightDecay']);
    const momentum = checkNumber(o.momentum ?? 0, 'sgd: momentum', { min: 0 });
    if (o.nesterov !== undefined && typeof o.nesterov !== 'boolean') throw new TypeError('sgd: nesterov must be a boolean');
    if (o.nesterov && momentum === 0) throw new RangeError('sgd: nesterov needs momentum > 0');
    return new Optimizer('sgd', o.learningRate ?? 0.01, {
      momentum,
      nesterov: o.nesterov ?? false,
      weightDecay: checkNumber(o.weightDecay ?? 0, 'sgd: weightDecay', { min: 0 }),
    });
  },
  /** torch.optim.Adam: learningRate 1e-3, betas (0.9, 0.999), epsilon 1e-8; amsgrad optional. */
  adam: (o: AdamOptions = {}): Optimizer => adamLike('adam', o, { lr: 1e-3, decay: 0 }),
  /** torch.optim.AdamW: as adam, with decoupled weightDecay (default 0.01). */
  adamw: (o: AdamOptions = {}): Optimizer => adamLike('adamw', o, { lr: 1e-3, decay: 0.01 }),
  /** torch.optim.RMSprop: learningRate 0.01, alpha 0.99, epsilon 1e-8, momentum 0, not centered. */
  rmsprop(o: RmspropOptions = {}): Optimizer {
    checkKeys(o, 'rmsprop', ['learningRate', 'alpha', 'epsilon', 'weightDecay', 'momentum', 'centered']);
    if (o.centered !== undefined && typeof o.centered !== 'boolean') throw new TypeError('rmsprop: centered must be true or false');
    return new Optimizer('rmsprop', o.learningRate ?? 0.01, {
      alpha: unit(o.alpha, 0.99, 'rmsprop: alpha'), epsilon: positive(o.epsilon, 1e-8, 'rmsprop: epsilon'),
      weightDecay: nonNegative(o.weightDecay, 0, 'rmsprop: weightDecay'), momentum: nonNegative(o.momentum, 0, 'rmsprop: momentum'), centered: o.centered ?? false,
    });
  },
  /** torch.optim.Adagrad: learningRate 0.01, lrDecay 0, initialAccumulatorValue 0, epsilon 1e-10. */
  adagrad(o: AdagradOptions = {}): Optimizer {
    checkKeys(o, 'adagrad', ['learningRate', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'epsilon']);
    return new Optimizer('adagrad', o.learningRate ?? 0.01, {
      lrDecay: nonNegative(o.lrDecay, 0, 'adagrad: lrDecay'), weightDecay: nonNegative(o.weightDecay, 0, 'adagrad: weightDecay'),
      initialAccumulatorValue: nonNegative(o.initialAccumulatorValue, 0, 'adagrad: initialAccumulatorValue'), epsilon: positive(o.epsilon, 1e-10, 'adagrad: epsilon'),
    });
  },
  /** torch.optim.Adadelta: learningRate 1, rho 0.9, epsilon 1e-6. */
  adadelta(o: AdadeltaOptions = {}): Optimizer {
    checkKeys(o, 'adadelta', ['learningRate', 'rho', 'epsilon', 'weightDecay']);
    return new Optimizer('adadelta', o.learningRate ?? 1, {
      rho: unit(o.rho, 0.9, 'adadelta: rho'), epsilon: positive(o.epsilon, 1e-6, 'adadelta: epsilon'), weightDecay: nonNegative(o.weightDecay, 0, 'adadelta: weightDecay'),
    });
  },
  /** torch.optim.Adamax: learningRate 2e-3, betas (0.9, 0.999), epsilon 1e-8 (Adam with the infinity norm). */
  adamax: (o: Omit<AdamOptions, 'amsgrad'> = {}): Optimizer => adamLike('adamax', o, { lr: 2e-3, decay: 0 }),
  /** torch.optim.NAdam: learningRate 2e-3, betas (0.9, 0.999), epsilon 1e-8, momentumDecay 4e-3 (Adam with Nesterov momentum). */
  nadam: (o: NadamOptions = {}): Optimizer => adamLike('nadam', o, { lr: 2e-3, decay: 0 }),
  /** Lion (Chen et al. 2023, lion-pytorch's defaults): learningRate 1e-4, betas (0.9, 0.99), decoupled weightDecay 0: w -= lr sign(update). */
  lion(o: LionOptions = {}): Optimizer {
    checkKeys(o, 'lion', ['learningRate', 'beta1', 'beta2', 'weightDecay']);
    return new Optimizer('lion', o.learningRate ?? 1e-4, {
      beta1: unit(o.beta1, 0.9, 'lion: beta1'), beta2: unit(o.beta2, 0.99, 'lion: beta2'), weightDecay: nonNegative(o.weightDecay, 0, 'lion: weightDecay'),
    });
  },
};

const NAMES = Object.keys(optimizers) as (keyof typeof optimizers)[];

/** compile() also accepts an optimizer by name with its defaults. */
export function getOptimizer(value: unknown): Optimizer {
  if (value instanceof Optimizer) return value;
  if (typeof value === 'string' && (NAMES as string[]).includes(value)) return optimizers[value as keyof typeof optimizers]();
  throw new TypeError(`compile: optimizer must be optimizers.${NAMES.join('/')}({...}) or one of those names; got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
}

/** An optimizer from getConfig()'s form (loading a saved model). */
export function optimizerFromConfig(config: Record<string, unknown>, where: string): Optimizer {
  const { type, learningRate, ...rest } = config ?? {};
  const rate = typeof learningRate === 'object' && learningRate !== null ? scheduleFromConfig(learningRate as Record<string, unknown>, where) : (learningRate as number);
  if (typeof type === 'string' && (NAMES as string[]).includes(type))
    return (optimizers[type as keyof typeof optimizers] as (o: Record<string, unknown>) => Optimizer)({ ...rest, learningRate: rate });
  throw new TypeError(`${where}: unknown optimizer type ${JSON.stringify(type)}; expected ${NAMES.map((n) => `'${n}'`).join(', ')}`);
}
