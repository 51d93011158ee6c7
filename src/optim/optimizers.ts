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
}

function adamLike(type: 'adam' | 'adamw', o: AdamOptions, defaultDecay: number): Optimizer {
  checkKeys(o, type, ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay']);
  return new Optimizer(type, o.learningRate ?? 1e-3, {
    beta1: checkNumber(o.beta1 ?? 0.9, `${type}: beta1`, { min: 0, max: 1, maxExclusive: true }),
    beta2: checkNumber(o.beta2 ?? 0.999, `${type}: beta2`, { min: 0, max: 1, maxExclusive: true }),
    epsilon: checkNumber(o.epsilon ?? 1e-8, `${type}: epsilon`, { min: 0, minExclusive: true }),
    weightDecay: checkNumber(o.weightDecay ?? defaultDecay, `${type}: weightDecay`, { min: 0 }),
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
  /** torch.optim.Adam: learningRate 1e-3, betas (0.9, 0.999), epsilon 1e-8. */
  adam: (o: AdamOptions = {}): Optimizer => adamLike('adam', o, 0),
  /** torch.optim.AdamW: as adam, with decoupled weightDecay (default 0.01). */
  adamw: (o: AdamOptions = {}): Optimizer => adamLike('adamw', o, 0.01),
};

/** compile() also accepts an optimizer by name with its defaults. */
export function getOptimizer(value: unknown): Optimizer {
  if (value instanceof Optimizer) return value;
  if (value === 'sgd' || value === 'adam' || value === 'adamw') return optimizers[value]();
  throw new TypeError(`compile: optimizer must be optimizers.sgd/adam/adamw({...}) or 'sgd', 'adam', 'adamw'; got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
}

/** An optimizer from getConfig()'s form (loading a saved model). */
export function optimizerFromConfig(config: Record<string, unknown>, where: string): Optimizer {
  const { type, learningRate, ...rest } = config ?? {};
  const rate = typeof learningRate === 'object' && learningRate !== null ? scheduleFromConfig(learningRate as Record<string, unknown>, where) : (learningRate as number);
  if (type === 'sgd') return optimizers.sgd({ ...(rest as SgdOptions), learningRate: rate });
  if (type === 'adam' || type === 'adamw') return optimizers[type]({ ...(rest as AdamOptions), learningRate: rate });
  throw new TypeError(`${where}: unknown optimizer type ${JSON.stringify(type)}; expected 'sgd', 'adam' or 'adamw'`);
}
