// Reading a finished fit the way an experienced practitioner reads its curves. Each finding
// carries the numbers it rests on, so a user (or a test) can check the judgement.
import type { TrainingWarning } from './gradient-health.js';

/** What diagnose reads of a fit's History (history.ts). */
export interface FitRecord {
  epoch: number[];
  history: Record<string, number[]>;
  warnings: TrainingWarning[];
}

export type FindingKind = 'overfitting' | 'underfitting' | 'vanishingGradients' | 'explodingGradients' | 'learningRateTooHigh' | 'learningRateTooLow';

export interface Finding {
  kind: FindingKind;
  message: string;
  /** The numbers behind the finding (epochs are 1-based). */
  values: Record<string, number>;
}

/** Thresholds the judgements use; documented in the README. */
export const DIAGNOSIS = {
  /** Validation loss this much (relative) above its best at the end: overfitting. */
  overfitRise: 0.05,
  /** Loss rising this much (relative) above its lowest, or any NaN: diverged. */
  divergedRise: 0.5,
  /** Less than this relative drop of the training loss over the whole fit: the rate is too low. */
  barelyMoved: 0.05,
  /** Less than this relative drop per epoch over the last third of the fit: flat. */
  flatPerEpoch: 0.01,
  /** Flat while the training accuracy is below this (or, without accuracy, the loss above this share of where it started): underfitting. */
  lowAccuracy: 0.9,
  highLossShare: 0.25,
};

const argMin = (v: number[]) => v.reduce((best, x, i) => (x < v[best] ? i : best), 0);
const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

/** The curves a rule reads, with the epoch numbering and the last learning rate. */
interface Curves {
  loss: number[];
  val?: number[];
  accuracy?: number[];
  n: number;
  rate?: number;
  epochOf(i: number): number;
}

export function diagnose(history: FitRecord): Finding[] {
  const loss = history.history.loss ?? [];
  const lr = history.history.learningRate;
  const curves: Curves = {
    loss, val: history.history.valLoss, accuracy: history.history.accuracy, n: loss.length, rate: lr?.[lr.length - 1],
    epochOf: (i) => (history.epoch[i] ?? i) + 1,
  };
  const diverged = divergence(curves);
  return [
    ...(diverged ? [diverged] : []),
    ...overfitting(curves),
    ...(diverged ? [] : rateOrCapacity(curves)),
    ...vanishingGradients(history.warnings),
    ...explodingGradients(history.warnings),
  ];
}

/** Diverged: a non-finite loss, or the loss far above its lowest point. */
function divergence({ loss, n, rate, epochOf }: Curves): Finding | undefined {
  if (n === 0) return undefined;
  const finite = loss.filter(Number.isFinite);
  const best = argMin(loss.map((v) => (Number.isFinite(v) ? v : Infinity)));
  const last = loss[n - 1];
  if (!(finite.length < n || (n >= 2 && last > loss[best] * (1 + DIAGNOSIS.divergedRise) && best < n - 1))) return undefined;
  return {
    kind: 'learningRateTooHigh',
    values: { lowestLoss: loss[best], lowestLossEpoch: epochOf(best), finalLoss: last, ...(rate !== undefined ? { learningRate: rate } : {}) },
    message:
      `learning rate too high: the training loss diverged, from ${fmt(loss[best])} at epoch ${epochOf(best)} to ${fmt(last)} at the end. ` +
      'Lower the learning rate (findLearningRate suggests one), add warmup, or clip with compile({ clipNorm }).',
  };
}

/** Overfitting: validation loss past its best while the training loss kept falling. */
function overfitting({ loss, val, epochOf }: Curves): Finding[] {
  if (!val || val.length < 2) return [];
  const best = argMin(val);
  const last = val.length - 1;
  if (!(best < last && val[last] > val[best] * (1 + DIAGNOSIS.overfitRise) && loss[last] < loss[best])) return [];
  return [{
    kind: 'overfitting',
    values: { bestEpoch: epochOf(best), bestValLoss: val[best], finalValLoss: val[last], finalLoss: loss[last], gap: val[last] - loss[last], gapAtBest: val[best] - loss[best] },
    message:
      `overfitting: validation loss was lowest at epoch ${epochOf(best)} (${fmt(val[best])}) and rose to ${fmt(val[last])} ` +
      `while the training loss fell to ${fmt(loss[last])} (gap ${fmt(val[last] - loss[last])}). Stop earlier ` +
      "(callbacks.earlyStopping({ monitor: 'valLoss', restoreBestWeights: true })), add dropout or a kernelRegularizer, or get more data.",
  }];
}

/** Too low a rate (the loss barely moved), or a model too small (flat while still high). */
function rateOrCapacity({ loss, val, accuracy, n, rate }: Curves): Finding[] {
  if (n < 2) return [];
  const moved = (loss[0] - loss[n - 1]) / Math.abs(loss[0]);
  const k = Math.max(1, Math.floor(n / 3));
  const recent = (loss[n - 1 - k] - loss[n - 1]) / Math.abs(loss[n - 1 - k]) / k;
  const stillHigh = accuracy ? accuracy[n - 1] < DIAGNOSIS.lowAccuracy : loss[n - 1] > DIAGNOSIS.highLossShare * loss[0];
  if (moved < DIAGNOSIS.barelyMoved)
    return [{
      kind: 'learningRateTooLow',
      values: { firstLoss: loss[0], finalLoss: loss[n - 1], relativeDrop: moved, ...(rate !== undefined ? { learningRate: rate } : {}) },
      message:
        `learning rate too low: the training loss barely moved over ${n} epochs (${fmt(loss[0])} -> ${fmt(loss[n - 1])}, ` +
        `${(moved * 100).toFixed(1)}%). Raise the learning rate (findLearningRate suggests one).`,
    }];
  if (!(recent < DIAGNOSIS.flatPerEpoch && stillHigh)) return [];
  return [{
    kind: 'underfitting',
    values: {
      finalLoss: loss[n - 1],
      dropPerEpochRecently: recent,
      ...(accuracy ? { finalAccuracy: accuracy[n - 1] } : {}),
      ...(val ? { finalValLoss: val[val.length - 1] } : {}),
    },
    message:
      `underfitting: the training loss has flattened at ${fmt(loss[n - 1])}` +
      (accuracy ? ` with training accuracy ${(accuracy[n - 1] * 100).toFixed(1)}%` : '') +
      ` (under ${(DIAGNOSIS.flatPerEpoch * 100).toFixed(0)}% better per epoch over the last ${k} epochs). ` +
      'Use a larger model, train longer with a schedule, or lower regularization.',
  }];
}

/** Vanishing gradients: the warnings the fit raised, by layer. */
function vanishingGradients(warnings: TrainingWarning[]): Finding[] {
  const vanishing = warnings.filter((w) => w.kind === 'vanishing');
  if (vanishing.length === 0) return [];
  const layers = [...new Set(vanishing.map((w) => w.layer!))];
  return [{
    kind: 'vanishingGradients',
    values: { layers: layers.length, epochs: new Set(vanishing.map((w) => w.epoch)).size, firstEpoch: vanishing[0].epoch + 1 },
    message: `vanishing gradients in ${layers.map((l) => `'${l}'`).join(', ')} (gradient norm below 1e-7 for whole epochs, first at epoch ${vanishing[0].epoch + 1}). ${vanishing[0].message.split('; ')[1] ?? ''}`.trim(),
  }];
}

/** Exploding gradients: the largest jump of the global norm the fit saw. */
function explodingGradients(warnings: TrainingWarning[]): Finding[] {
  const exploding = warnings.filter((w) => w.kind === 'exploding');
  if (exploding.length === 0) return [];
  const worst = exploding.reduce((a, b) => (b.values.ratio > a.values.ratio ? b : a));
  return [{
    kind: 'explodingGradients',
    values: { times: exploding.length, worstRatio: worst.values.ratio, worstEpoch: worst.epoch + 1, worstStep: (worst.step ?? 0) + 1 },
    message: `exploding gradients: the global gradient norm jumped by ${worst.values.ratio.toFixed(0)}x at epoch ${worst.epoch + 1}, step ${(worst.step ?? 0) + 1} (${exploding.length} epoch(s) with such a jump). Clip with compile({ clipNorm: 1 }) or lower the learning rate.`,
  }];
}
