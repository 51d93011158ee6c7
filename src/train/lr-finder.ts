// The learning-rate range test (Smith 2017, as fastai's lr_find): train a few hundred steps
// while the rate grows exponentially from minRate to maxRate, record the smoothed loss per
// rate, stop when the loss blows up, and suggest the rate where the loss fell fastest.
// The model's weights, optimizer state and counters are put back afterwards.
import { checkFeatures, checkTargets, type InputData, rowsOf, type TargetData } from '../model/inputs.js';
import type { Model } from '../model/model.js';
import { decodeSteps } from '../backend/native.js';
import { freshSeed, Random } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, MAX_BATCH_SIZE } from '../validate.js';

export interface FindLearningRateOptions {
  /** Rate of the first step (default 1e-7). */
  minRate?: number;
  /** Rate of the last step (default 10). */
  maxRate?: number;
  /** Steps, one rate each, spaced evenly on a log scale (default 100). */
  steps?: number;
  batchSize?: number;
  /** Exponential smoothing of the loss curve (default 0.98, as fastai). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this many times its lowest value (default 4). */
  divergeFactor?: number;
  seed?: number;
}

export interface LearningRateFinding {
  /** The rate of each step run. */
  rates: number[];
  /** Smoothed (bias-corrected) loss after each step. */
  losses: number[];
  rawLosses: number[];
  /** Where the smoothed loss fell fastest per decade of rate: a good learning rate. */
  suggestedRate: number;
  /** The rate at the lowest smoothed loss; the suggestion is usually 3-10x below it. */
  minLossRate: number;
  /** True when the loss diverged before maxRate. */
  stoppedEarly: boolean;
}

export async function findLearningRate(model: Model, data: InputData, y: TargetData, options: FindLearningRateOptions = {}): Promise<LearningRateFinding> {
  checkKeys(options, 'findLearningRate', ['minRate', 'maxRate', 'steps', 'batchSize', 'smoothing', 'divergeFactor', 'seed']);
  const minRate = checkNumber(options.minRate ?? 1e-7, 'findLearningRate: minRate', { min: 0, minExclusive: true });
  const maxRate = checkNumber(options.maxRate ?? 10, 'findLearningRate: maxRate', { min: minRate, minExclusive: true });
  const steps = checkInteger(options.steps ?? 100, 'findLearningRate: steps', 5);
  const batchSize = checkInteger(options.batchSize ?? 32, 'findLearningRate: batchSize', 1, MAX_BATCH_SIZE);
  const beta = checkNumber(options.smoothing ?? 0.98, 'findLearningRate: smoothing', { min: 0, max: 1, maxExclusive: true });
  const divergeFactor = checkNumber(options.divergeFactor ?? 4, 'findLearningRate: divergeFactor', { min: 1, minExclusive: true });
  const seed = options.seed === undefined ? freshSeed() : checkInteger(options.seed, 'findLearningRate: seed', 0);

  const { built, compiled } = model._training('findLearningRate');
  const x = checkFeatures(data, 'x', built.input);
  const labels = checkTargets(y, 'y', rowsOf(x), compiled);
  const program = built.program;
  const set = built.device.dataset(x.data, x.shape.slice(1), labels.data, labels.shape.slice(1));

  // Everything the test changes, to put back.
  const weights = built.weights.map((_, i) => program.getParameter(i));
  const slots = program.optimizerSlots();
  const state = built.weights.map((_, i) => slots.map((_, k) => program.getOptimizerState(i, k)));
  const counters = program.getCounters();

  // Rows for every step, cycling through seeded shuffles of the data.
  const n = rowsOf(x);
  const random = new Random(seed);
  const order = new Int32Array(steps * batchSize);
  const epochOrder = new Int32Array(n);
  for (let filled = 0; filled < order.length; ) {
    for (let i = 0; i < n; i++) epochOrder[i] = i;
    random.shuffle(epochOrder);
    const take = Math.min(n, order.length - filled);
    order.set(epochOrder.subarray(0, take), filled);
    filled += take;
  }
  const rateOf = (i: number) => minRate * (maxRate / minRate) ** (i / (steps - 1));

  const rates: number[] = [], losses: number[] = [], rawLosses: number[] = [];
  let average = 0, best = Infinity, stoppedEarly = false;
  const CHUNK = 8;
  try {
    program.setGradientControl(compiled.clipNorm, compiled.clipValue, true);
    outer: for (let step = 0; step < steps; step += CHUNK) {
      const k = Math.min(CHUNK, steps - step);
      const chunkRates = Float64Array.from({ length: k }, (_, i) => rateOf(step + i));
      const rows = order.subarray(step * batchSize, (step + k) * batchSize);
      const results = await program.trainSteps(set, rows, batchSize, chunkRates, seed);
      for (const [i, { loss, nonFinite }] of decodeSteps(results, built.weights.length, compiled.heads?.length ?? 1).entries()) {
        const t = step + i;
        if (!Number.isFinite(loss) || nonFinite !== -2) {
          stoppedEarly = true;
          break outer;
        }
        average = beta * average + (1 - beta) * loss;
        const smoothed = average / (1 - beta ** (t + 1));
        rates.push(chunkRates[i]);
        rawLosses.push(loss);
        losses.push(smoothed);
        best = Math.min(best, smoothed);
        if (t > 0 && smoothed > divergeFactor * best) {
          stoppedEarly = true;
          break outer;
        }
      }
    }
  } finally {
    weights.forEach((w, i) => program.setParameter(i, w));
    state.forEach((s, i) => s.forEach((v, k) => program.setOptimizerState(i, k, v)));
    program.setCounters(counters);
    set.dispose();
  }
  if (rates.length < 3) throw new Error(`findLearningRate: the loss diverged within ${rates.length} steps; lower minRate (now ${minRate})`);

  // Steepest fall of the smoothed loss per decade of rate, before its lowest point, skipping the
  // first 10 steps while the smoothing settles (as fastai); slopes span +-2 steps against noise.
  const lowest = losses.indexOf(Math.min(...losses));
  const W = 2;
  const from = Math.max(W, Math.min(10, lowest - W - 1));
  let steepest = Math.max(0, Math.min(from, lowest)), slope = Infinity;
  for (let i = from; i <= lowest - 1 && i + W < rates.length; i++) {
    const s = (losses[i + W] - losses[i - W]) / (Math.log10(rates[i + W]) - Math.log10(rates[i - W]));
    if (s < slope) {
      slope = s;
      steepest = i;
    }
  }
  return { rates, losses, rawLosses, suggestedRate: rates[steepest], minLossRate: rates[lowest], stoppedEarly };
}
