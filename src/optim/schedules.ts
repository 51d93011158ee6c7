// Learning-rate schedules: a rate for every step (per: 'step', counted over the optimizer's
// whole life, as Keras' optimizer.iterations) or every epoch (per: 'epoch'). Pass one as an
// optimizer's learningRate: optimizers.adam({ learningRate: schedules.cosineDecay({...}) }).
import { checkInteger, checkKeys, checkNumber, checkOneOf } from '../validate.js';

export interface LearningRateSchedule {
  readonly name: string;
  /** Whether t counts optimizer steps or epochs. */
  readonly per: 'step' | 'epoch';
  /** The rate at step or epoch t (0-based). */
  rate(t: number): number;
  getConfig(): Record<string, unknown>;
}

const PER = ['step', 'epoch'] as const;

function make(name: string, per: 'step' | 'epoch', config: Record<string, unknown>, rate: (t: number) => number): LearningRateSchedule {
  return { name, per, rate, getConfig: () => ({ name, per, ...config }) };
}

export const schedules = {
  /** initialLearningRate * factor^floor(t / dropEvery); per epoch by default. */
  stepDecay(o: { initialLearningRate: number; dropEvery: number; factor?: number; per?: 'step' | 'epoch' }): LearningRateSchedule {
    checkKeys(o, 'stepDecay', ['initialLearningRate', 'dropEvery', 'factor', 'per']);
    const initial = checkNumber(o.initialLearningRate, 'stepDecay: initialLearningRate', { min: 0 });
    const every = checkInteger(o.dropEvery, 'stepDecay: dropEvery', 1);
    const factor = checkNumber(o.factor ?? 0.5, 'stepDecay: factor', { min: 0, max: 1 });
    const per = checkOneOf(o.per ?? 'epoch', 'stepDecay: per', PER);
    return make('stepDecay', per, { initialLearningRate: initial, dropEvery: every, factor }, (t) => initial * factor ** Math.floor(t / every));
  },

  /** initialLearningRate * decayRate^(t / decaySteps), floored exponent with staircase (Keras' ExponentialDecay). */
  exponentialDecay(o: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean; per?: 'step' | 'epoch' }): LearningRateSchedule {
    checkKeys(o, 'exponentialDecay', ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'per']);
    const initial = checkNumber(o.initialLearningRate, 'exponentialDecay: initialLearningRate', { min: 0 });
    const steps = checkInteger(o.decaySteps, 'exponentialDecay: decaySteps', 1);
    const decay = checkNumber(o.decayRate, 'exponentialDecay: decayRate', { min: 0 });
    const staircase = o.staircase ?? false;
    const per = checkOneOf(o.per ?? 'step', 'exponentialDecay: per', PER);
    return make('exponentialDecay', per, { initialLearningRate: initial, decaySteps: steps, decayRate: decay, staircase }, (t) =>
      initial * decay ** (staircase ? Math.floor(t / steps) : t / steps));
  },

  /**
   * Cosine decay (Keras' CosineDecay) from the peak to alpha * peak over decaySteps, after an
   * optional linear warmup of warmupSteps: from 0 to initialLearningRate, or, with warmupTarget,
   * from initialLearningRate to warmupTarget (the peak), as Keras does.
   */
  cosineDecay(o: { initialLearningRate: number; decaySteps: number; alpha?: number; warmupSteps?: number; warmupTarget?: number; per?: 'step' | 'epoch' }): LearningRateSchedule {
    checkKeys(o, 'cosineDecay', ['initialLearningRate', 'decaySteps', 'alpha', 'warmupSteps', 'warmupTarget', 'per']);
    const initial = checkNumber(o.initialLearningRate, 'cosineDecay: initialLearningRate', { min: 0 });
    const steps = checkInteger(o.decaySteps, 'cosineDecay: decaySteps', 1);
    const alpha = checkNumber(o.alpha ?? 0, 'cosineDecay: alpha', { min: 0, max: 1 });
    const warmup = checkInteger(o.warmupSteps ?? 0, 'cosineDecay: warmupSteps', 0);
    const target = o.warmupTarget === undefined ? undefined : checkNumber(o.warmupTarget, 'cosineDecay: warmupTarget', { min: 0 });
    const per = checkOneOf(o.per ?? 'step', 'cosineDecay: per', PER);
    const peak = target ?? initial, start = target === undefined ? 0 : initial;
    return make('cosineDecay', per, { initialLearningRate: initial, decaySteps: steps, alpha, warmupSteps: warmup, warmupTarget: target }, (t) => {
      if (t < warmup) return start + ((peak - start) * t) / warmup;
      const progress = Math.min(t - warmup, steps) / steps;
      return peak * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * progress)) + alpha);
    });
  },

  /** Linear from startLearningRate (default 0) to initialLearningRate over warmupSteps, then constant. */
  linearWarmup(o: { initialLearningRate: number; warmupSteps: number; startLearningRate?: number; per?: 'step' | 'epoch' }): LearningRateSchedule {
    checkKeys(o, 'linearWarmup', ['initialLearningRate', 'warmupSteps', 'startLearningRate', 'per']);
    const target = checkNumber(o.initialLearningRate, 'linearWarmup: initialLearningRate', { min: 0 });
    const warmup = checkInteger(o.warmupSteps, 'linearWarmup: warmupSteps', 1);
    const start = checkNumber(o.startLearningRate ?? 0, 'linearWarmup: startLearningRate', { min: 0 });
    const per = checkOneOf(o.per ?? 'step', 'linearWarmup: per', PER);
    return make('linearWarmup', per, { initialLearningRate: target, warmupSteps: warmup, startLearningRate: start }, (t) =>
      t >= warmup ? target : start + ((target - start) * t) / warmup);
  },
};

export function isSchedule(v: unknown): v is LearningRateSchedule {
  return typeof v === 'object' && v !== null && typeof (v as LearningRateSchedule).rate === 'function' && 'per' in v;
}

/** A schedule from getConfig()'s form { name, per, ...options } (loading a saved model). */
export function scheduleFromConfig(config: Record<string, unknown>, where: string): LearningRateSchedule {
  const { name, ...options } = config;
  if (typeof name !== 'string' || !Object.hasOwn(schedules, name))
    throw new TypeError(`${where}: unknown learning-rate schedule ${JSON.stringify(name)}; known: ${Object.keys(schedules).join(', ')}`);
  for (const key of Object.keys(options)) if (options[key] === undefined || options[key] === null) delete options[key];
  return (schedules[name as keyof typeof schedules] as (o: Record<string, unknown>) => LearningRateSchedule)(options);
}
