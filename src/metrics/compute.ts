// One loss's metrics: which of them suit its predictions, what the native side collects for them
// over an epoch (native/core/metrics.h), and each metric's value from those totals, as
// scikit-learn defines them (precision_score, recall_score, f1_score, roc_auc_score,
// average_precision_score, r2_score, confusion_matrix).
import type { LabelSpec, LossName } from '../model/losses.js';
import type { MetricAverage, MetricConfig, MetricKind } from './metrics.js';

/** How a loss's predictions read (metrics.h's PredictionKind). */
export type PredictionKind = 'classes' | 'oneHot' | 'binary' | 'values';

/** What the native side collects for one loss over an epoch. */
export interface NativeMetricPlan {
  kind: PredictionKind;
  columns: number;
  positions: number;
  ignoreIndex?: number;
  link: boolean;
  confusion: boolean;
  thresholds: number[];
  topK: number[];
  moments: boolean;
  scores: boolean;
  weighted: boolean;
}

/** The epoch's sums for one loss (unweighted, or weighted by the samples' weights). */
export interface MetricTally {
  count: number;
  /** [C, C], true class by predicted class. */
  confusion: Float64Array;
  /** [thresholds, columns, 4]: tp, fp, fn, tn. */
  thresholdCounts: Float64Array;
  topKHits: Float64Array;
  /** [columns, 5]: weight, target mean, target squared deviations, sum |error|, sum error². */
  moments: Float64Array;
  /** Per column: exact ROC AUC and average precision, and the positives (when AUC was asked for). */
  curves?: { rocAuc: Float64Array; averagePrecision: Float64Array; positives: Float64Array };
}
export type MetricTotals = MetricTally & { weighted?: MetricTally };

/** One metric as the history and evaluate() name it. */
export interface NamedMetric {
  name: string;
  config: MetricConfig;
  /** From compile's weightedMetrics: weighted by sampleWeight and classWeight. */
  weighted: boolean;
}

/** What one loss's predictions are, as its metrics see them. */
export interface HeadShape {
  loss: LossName;
  /** The output's per-sample shape. */
  outputShape: number[];
  labels: LabelSpec;
}

const CROSS_ENTROPY_KIND: Partial<Record<LossName, PredictionKind>> = {
  softmaxCrossEntropy: 'classes',
  categoricalCrossEntropy: 'oneHot',
  binaryCrossEntropy: 'binary',
};

/** The metrics of one loss: checked against its predictions, with what to collect and how to read it. */
export class HeadMetrics {
  readonly kind: PredictionKind;
  /** Classes (class predictions) or values per sample (binary, regression). */
  readonly columns: number;
  private readonly positions: number;
  /** 'accuracy' among the unweighted metrics: the loss kernels count it (and progress shows it as the epoch runs). */
  readonly nativeAccuracy: boolean;
  /** Every metric but the native accuracy, in the order given (plain first, then weighted). */
  readonly entries: NamedMetric[] = [];
  readonly plan: NativeMetricPlan | null;

  constructor(private readonly head: HeadShape, plain: MetricConfig[], weighted: MetricConfig[], where: string) {
    this.kind = CROSS_ENTROPY_KIND[head.loss] ?? 'values';
    const elements = head.outputShape.reduce((a, b) => a * b, 1);
    const classesKind = this.kind === 'classes' || this.kind === 'oneHot';
    this.columns = classesKind ? head.outputShape[head.outputShape.length - 1] : elements;
    this.positions = classesKind ? elements / this.columns : 1;
    this.nativeAccuracy = plain.some((m) => m.kind === 'accuracy');
    const taken = new Set<string>(this.nativeAccuracy ? ['accuracy'] : []);
    const add = (m: MetricConfig, isWeighted: boolean, at: string) => {
      this.check(m, at);
      let name = m.name ?? (m.kind === 'auc' && m.curve === 'PR' ? 'averagePrecision' : m.kind);
      // A weighted metric also given unweighted is told apart by a prefix; other repeats get _1, _2 (as Keras).
      if (taken.has(name) && isWeighted) name = `weighted${name[0].toUpperCase()}${name.slice(1)}`;
      const base = name;
      for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
      taken.add(name);
      this.entries.push({ name, config: m, weighted: isWeighted });
    };
    plain.forEach((m, i) => m.kind !== 'accuracy' && add(m, false, `${where}: metrics[${i}]`));
    weighted.forEach((m, i) => add(m, true, `${where}: weightedMetrics[${i}]`));
    this.plan = this.entries.length ? this.buildPlan() : null;
  }

  /** Two-way problems: one sigmoid value, or two classes (the positive one being class 1). */
  private get twoWay(): boolean {
    return this.kind === 'binary' ? this.columns === 1 : (this.kind === 'classes' || this.kind === 'oneHot') && this.columns === 2;
  }

  private check(m: MetricConfig, where: string): void {
    const { kind, columns } = this;
    const loss = `the loss '${this.head.loss}'`;
    const needs = (kinds: PredictionKind[], what: string) => {
      if (!kinds.includes(kind)) throw new TypeError(`${where}: metric '${m.kind}' needs ${what}, and ${loss} ${kind === 'values' ? 'is a regression loss' : kind === 'binary' ? 'gives independent sigmoid probabilities' : 'gives class scores with class labels'}`);
    };
    const classes = 'class predictions (softmaxCrossEntropy, categoricalCrossEntropy) or sigmoid probabilities (binaryCrossEntropy)';
    switch (m.kind) {
      case 'accuracy': needs(['classes', 'oneHot', 'binary'], `${classes} when weighted`); break;
      case 'binaryAccuracy': needs(['binary'], "sigmoid probabilities (binaryCrossEntropy); for class scores use 'categoricalAccuracy'"); break;
      case 'categoricalAccuracy': case 'topKCategoricalAccuracy':
        needs(['classes', 'oneHot'], "class scores (softmaxCrossEntropy, categoricalCrossEntropy); for a sigmoid output use 'binaryAccuracy'");
        if (m.kind === 'topKCategoricalAccuracy' && (m.k ?? 5) > columns) throw new RangeError(`${where}: k is ${m.k ?? 5} (the default is 5), more than the output's ${columns} classes`);
        break;
      case 'precision': case 'recall': case 'f1': case 'auc': case 'confusionMatrix':
        needs(['classes', 'oneHot', 'binary'], classes);
        break;
      default: // mae, mse, rmse, r2
        needs(['binary', 'oneHot', 'values'], 'float targets shaped like the output (a regression loss, or the probabilities of binaryCrossEntropy and categoricalCrossEntropy)');
    }
    if (m.threshold !== undefined && kind !== 'binary') throw new TypeError(`${where}: threshold applies to sigmoid outputs (binaryCrossEntropy); class predictions are their highest score`);
    if (m.classId !== undefined && m.classId >= columns) throw new RangeError(`${where}: classId ${m.classId} is not one of the output's ${columns} ${kind === 'binary' ? 'values' : 'classes'} (0 to ${columns - 1})`);
    if (m.average === 'binary' && !this.twoWay)
      throw new TypeError(`${where}: average 'binary' needs a two-way problem (one sigmoid value, or two classes), and the output has ${columns} ${kind === 'binary' ? 'values' : 'classes'}; use classId, or average 'micro', 'macro' or 'weighted'`);
    if (m.kind === 'auc' && m.average === 'micro') throw new TypeError(`${where}: auc takes average 'macro' or 'weighted' (scikit-learn's one-vs-rest), not 'micro'`);
    if (m.kind === 'confusionMatrix' && kind === 'binary' && columns > 1)
      throw new TypeError(`${where}: confusionMatrix of a sigmoid output needs one value per sample, and this one has ${columns}`);
  }

  private thresholdOf(m: MetricConfig): number {
    return m.threshold ?? 0.5;
  }

  private buildPlan(): NativeMetricPlan {
    const kinds = new Set(this.entries.map((e) => e.config.kind));
    const binary = this.kind === 'binary';
    const thresholds = binary ? [...new Set(this.entries.filter((e) => !['auc', 'mae', 'mse', 'rmse', 'r2'].includes(e.config.kind)).map((e) => this.thresholdOf(e.config)))] : [];
    const classScored = ['accuracy', 'categoricalAccuracy', 'precision', 'recall', 'f1', 'confusionMatrix'] as MetricKind[];
    return {
      kind: this.kind,
      columns: this.columns,
      positions: this.positions,
      ...(this.head.labels.ignoreIndex !== undefined ? { ignoreIndex: this.head.labels.ignoreIndex } : {}),
      link: this.kind !== 'values',
      confusion: !binary && this.kind !== 'values' && classScored.some((k) => kinds.has(k)),
      thresholds,
      topK: [...new Set(this.entries.filter((e) => e.config.kind === 'topKCategoricalAccuracy').map((e) => e.config.k ?? 5))],
      moments: ['mae', 'mse', 'rmse', 'r2'].some((k) => kinds.has(k as MetricKind)),
      scores: kinds.has('auc'),
      weighted: this.entries.some((e) => e.weighted),
    };
  }

  /** Each scalar metric's value from the epoch's totals (confusionMatrix is left out: see matrices). */
  values(totals: MetricTotals, prefix: (name: string) => string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) {
      if (e.config.kind === 'confusionMatrix') continue;
      out[prefix(e.name)] = this.value(e.config, e.weighted ? totals.weighted! : totals);
    }
    return out;
  }

  /** The confusion matrices asked for (true class by predicted class), by name. */
  matrices(totals: MetricTotals): Record<string, number[][]> {
    const out: Record<string, number[][]> = {};
    for (const e of this.entries)
      if (e.config.kind === 'confusionMatrix') out[e.name] = this.confusionMatrix(e.config, e.weighted ? totals.weighted! : totals);
    return out;
  }

  private confusionMatrix(m: MetricConfig, t: MetricTally): number[][] {
    if (this.kind === 'binary') {
      const [tp, fp, fn, tn] = this.countsAt(t, this.thresholdOf(m), 0);
      return [[tn, fp], [fn, tp]];
    }
    const C = this.columns;
    return Array.from({ length: C }, (_, i) => Array.from(t.confusion.subarray(i * C, (i + 1) * C)));
  }

  // tp, fp, fn, tn of binary column j at a threshold.
  private countsAt(t: MetricTally, threshold: number, j: number): [number, number, number, number] {
    const at = (this.plan!.thresholds.indexOf(threshold) * this.columns + j) * 4;
    return [t.thresholdCounts[at], t.thresholdCounts[at + 1], t.thresholdCounts[at + 2], t.thresholdCounts[at + 3]];
  }

  // Per column (class, or binary value): tp, fp, fn, and whether it takes part in a macro average
  // (scikit-learn averages over the classes present in the labels or the predictions; every value of a multi-label output).
  private perColumn(m: MetricConfig, t: MetricTally): { tp: number; fp: number; fn: number; present: boolean }[] {
    const C = this.columns;
    if (this.kind === 'binary')
      return Array.from({ length: C }, (_, j) => {
        const [tp, fp, fn] = this.countsAt(t, this.thresholdOf(m), j);
        return { tp, fp, fn, present: true };
      });
    return Array.from({ length: C }, (_, j) => {
      let predicted = 0, actual = 0;
      for (let i = 0; i < C; i++) predicted += t.confusion[i * C + j], actual += t.confusion[j * C + i];
      const tp = t.confusion[j * C + j];
      return { tp, fp: predicted - tp, fn: actual - tp, present: predicted + actual > 0 };
    });
  }

  private averageOf(m: MetricConfig): MetricAverage | number {
    if (m.classId !== undefined) return m.classId;
    const average = m.average ?? (this.twoWay ? 'binary' : 'macro');
    // A two-way problem's positive class: the sigmoid value, or class 1.
    return average === 'binary' ? (this.kind === 'binary' ? 0 : 1) : average;
  }

  private value(m: MetricConfig, t: MetricTally): number {
    switch (m.kind) {
      case 'accuracy': case 'binaryAccuracy': case 'categoricalAccuracy':
        if (this.kind === 'binary') {
          let right = 0;
          for (let j = 0; j < this.columns; j++) {
            const [tp, , , tn] = this.countsAt(t, this.thresholdOf(m), j);
            right += tp + tn;
          }
          return right / t.count;
        } else {
          let right = 0;
          for (let j = 0; j < this.columns; j++) right += t.confusion[j * this.columns + j];
          return right / t.count;
        }
      case 'topKCategoricalAccuracy':
        return t.topKHits[this.plan!.topK.indexOf(m.k ?? 5)] / t.count;
      case 'precision': case 'recall': case 'f1':
        return this.classificationScore(m, t);
      case 'auc':
        return this.curveScore(m, t);
      default:
        return this.regressionScore(m.kind, t);
    }
  }

  private classificationScore(m: MetricConfig, t: MetricTally): number {
    const score = ({ tp, fp, fn }: { tp: number; fp: number; fn: number }) => {
      // A zero denominator gives 0, as scikit-learn's zero_division default.
      const d = m.kind === 'precision' ? tp + fp : m.kind === 'recall' ? tp + fn : 2 * tp + fp + fn;
      return d > 0 ? (m.kind === 'f1' ? 2 * tp : tp) / d : 0;
    };
    const columns = this.perColumn(m, t);
    const average = this.averageOf(m);
    if (typeof average === 'number') return score(columns[average]);
    if (average === 'micro') return score(columns.reduce((s, c) => ({ tp: s.tp + c.tp, fp: s.fp + c.fp, fn: s.fn + c.fn }), { tp: 0, fp: 0, fn: 0 }));
    if (average === 'weighted') {
      const support = columns.reduce((s, c) => s + c.tp + c.fn, 0);
      return support > 0 ? columns.reduce((s, c) => s + (c.tp + c.fn) * score(c), 0) / support : 0;
    }
    const present = columns.filter((c) => c.present);
    return present.length ? present.reduce((s, c) => s + score(c), 0) / present.length : 0;
  }

  private curveScore(m: MetricConfig, t: MetricTally): number {
    const c = t.curves!;
    const values = m.curve === 'PR' ? c.averagePrecision : c.rocAuc;
    const average = this.averageOf(m);
    if (typeof average === 'number') return values[average];
    // One against the rest per class; a class with no positives (or, for ROC, no negatives) has no
    // curve and is left out of the average (scikit-learn raises an error instead).
    let sum = 0, weight = 0;
    values.forEach((v, j) => {
      if (Number.isNaN(v)) return;
      const w = average === 'weighted' ? c.positives[j] : 1;
      sum += w * v, weight += w;
    });
    return weight > 0 ? sum / weight : NaN;
  }

  private regressionScore(kind: MetricKind, t: MetricTally): number {
    const m = t.moments;
    let weight = 0, absolute = 0, squared = 0, r2 = 0;
    for (let j = 0; j < this.columns; j++) {
      const [w, , spread, abs, sq] = m.subarray(j * 5, j * 5 + 5);
      weight += w, absolute += abs, squared += sq;
      // scikit-learn's r2_score with force_finite: a constant target scores 1 if predicted exactly, else 0.
      r2 += spread > 0 ? 1 - sq / spread : sq === 0 ? 1 : 0;
    }
    if (kind === 'mae') return absolute / weight;
    if (kind === 'mse') return squared / weight;
    if (kind === 'rmse') return Math.sqrt(squared / weight);
    return r2 / this.columns;
  }
}
