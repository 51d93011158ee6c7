// The metrics compile() takes, by name or as objects with options (Keras' names in camelCase).
// Each is plain data, so a compiled model saves its metrics with the checkpoint. What a metric
// needs collected and how its value follows from the epoch's totals is in compute.ts.
import { checkInteger, checkKeys, checkNumber, checkOneOf, describe } from '../validate.js';

export const METRIC_KINDS = [
  'accuracy', 'binaryAccuracy', 'categoricalAccuracy', 'topKCategoricalAccuracy',
  'precision', 'recall', 'f1', 'auc', 'mae', 'mse', 'rmse', 'r2', 'confusionMatrix',
] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** How precision, recall, F1 and AUC combine several classes (scikit-learn's `average`). */
export type MetricAverage = 'binary' | 'micro' | 'macro' | 'weighted';

/** A metric with its options, as metrics.<name>({...}) makes it. */
export interface MetricConfig {
  readonly kind: MetricKind;
  /** The key in the history and evaluate()'s result (default: the kind, or 'averagePrecision' for auc({ curve: 'PR' })). */
  readonly name?: string;
  /** binaryAccuracy, precision, recall, f1, confusionMatrix of a sigmoid output: positive when the probability is > threshold (default 0.5). */
  readonly threshold?: number;
  /** precision, recall, f1, auc: that class only (one against the rest). */
  readonly classId?: number;
  /** precision, recall, f1, auc: how several classes combine. */
  readonly average?: MetricAverage;
  /** topKCategoricalAccuracy: how many of the highest scores count (default 5). */
  readonly k?: number;
  /** auc: 'ROC' (area under the ROC curve, default) or 'PR' (average precision). */
  readonly curve?: 'ROC' | 'PR';
}

/** A metric as compile() takes it: a name ('precision'), or metrics.<name>({...}). */
export type Metric = string | MetricConfig;

// Names compile() takes besides the kinds: Keras' aliases.
const ALIASES: Record<string, MetricKind> = {
  acc: 'accuracy',
  sparseCategoricalAccuracy: 'categoricalAccuracy',
  sparseTopKCategoricalAccuracy: 'topKCategoricalAccuracy',
  f1Score: 'f1',
  meanAbsoluteError: 'mae',
  meanSquaredError: 'mse',
  rootMeanSquaredError: 'rmse',
  r2Score: 'r2',
};

const OPTIONS: Record<MetricKind, readonly (keyof MetricConfig)[]> = {
  accuracy: [],
  binaryAccuracy: ['threshold'],
  categoricalAccuracy: [],
  topKCategoricalAccuracy: ['k'],
  precision: ['threshold', 'classId', 'average'],
  recall: ['threshold', 'classId', 'average'],
  f1: ['threshold', 'classId', 'average'],
  auc: ['curve', 'classId', 'average'],
  mae: [],
  mse: [],
  rmse: [],
  r2: [],
  confusionMatrix: ['threshold'],
};

/** A metric given to compile, checked: its kind and options (the name is filled in by compute.ts). */
export function getMetric(metric: unknown, where: string): MetricConfig {
  if (typeof metric === 'string') {
    const kind = ALIASES[metric] ?? METRIC_KINDS.find((k) => k === metric);
    if (!kind) throw new TypeError(`${where}: unknown metric '${metric}'; expected one of ${[...METRIC_KINDS, ...Object.keys(ALIASES)].map((k) => `'${k}'`).join(', ')}, or metrics.<name>({...})`);
    return { kind };
  }
  if (typeof metric !== 'object' || metric === null || Array.isArray(metric))
    throw new TypeError(`${where}: expected a metric name such as 'precision', or metrics.<name>({...}), got ${describe(metric)}`);
  const m = metric as MetricConfig;
  const kind = checkOneOf(m.kind, `${where}.kind`, METRIC_KINDS);
  checkKeys(m, `${where} (${kind})`, ['kind', 'name', ...OPTIONS[kind]]);
  const out: { -readonly [K in keyof MetricConfig]: MetricConfig[K] } = { kind };
  if (m.name !== undefined) {
    if (typeof m.name !== 'string' || !/^[A-Za-z][\w.-]*$/.test(m.name)) throw new TypeError(`${where}: name must be a word such as 'precisionAt0.3', got ${describe(m.name)}`);
    out.name = m.name;
  }
  if (m.threshold !== undefined) out.threshold = checkNumber(m.threshold, `${where}: threshold`, { min: 0, max: 1 });
  if (m.classId !== undefined) out.classId = checkInteger(m.classId, `${where}: classId`, 0, 2 ** 31 - 1);
  if (m.average !== undefined) out.average = checkOneOf(m.average, `${where}: average`, ['binary', 'micro', 'macro', 'weighted'] as const);
  if (m.classId !== undefined && m.average !== undefined) throw new TypeError(`${where}: give classId (one class) or average (all classes), not both`);
  if (m.k !== undefined) out.k = checkInteger(m.k, `${where}: k`, 1, 2 ** 31 - 1);
  if (m.curve !== undefined) out.curve = checkOneOf(m.curve, `${where}: curve`, ['ROC', 'PR'] as const);
  return out;
}

type Named = { name?: string };
type Thresholded = Named & { threshold?: number };
type PerClass = { classId?: number; average?: MetricAverage };
const factory = <O extends Named>(kind: MetricKind) => (options: O = {} as O): MetricConfig => getMetric({ ...options, kind }, `metrics.${kind}`);

/**
 * Metric objects, for options; compile also takes the plain names. Every metric is computed over
 * the whole epoch (or the whole data evaluate() was given), not averaged over batches, so
 * precision, recall and AUC are exact.
 */
export const metrics = {
  /** The loss's own accuracy: argmax for class scores, probability > 0.5 for a sigmoid output. */
  accuracy: factory<Named>('accuracy'),
  /** Share of a sigmoid output's values on the right side of threshold (default 0.5). */
  binaryAccuracy: factory<Thresholded>('binaryAccuracy'),
  /** Share of predictions whose highest score is the true class (class ids or one-hot targets). */
  categoricalAccuracy: factory<Named>('categoricalAccuracy'),
  sparseCategoricalAccuracy: factory<Named>('categoricalAccuracy'),
  /** Share of predictions whose true class is among the k (default 5) highest scores. */
  topKCategoricalAccuracy: factory<Named & { k?: number }>('topKCategoricalAccuracy'),
  sparseTopKCategoricalAccuracy: factory<Named & { k?: number }>('topKCategoricalAccuracy'),
  /** tp / (tp + fp): of one class (classId), or several combined (average); see the README for the defaults. */
  precision: factory<Thresholded & PerClass>('precision'),
  /** tp / (tp + fn), as precision. */
  recall: factory<Thresholded & PerClass>('recall'),
  /** The harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn), as precision. */
  f1: factory<Thresholded & PerClass>('f1'),
  /** Exact area under the ROC curve, or with curve: 'PR' the average precision, from the epoch's scores (scikit-learn's roc_auc_score, average_precision_score). */
  auc: factory<Named & PerClass & { curve?: 'ROC' | 'PR' }>('auc'),
  /** Mean absolute error over every value. */
  mae: factory<Named>('mae'),
  /** Mean squared error over every value. */
  mse: factory<Named>('mse'),
  /** Square root of the epoch's mean squared error. */
  rmse: factory<Named>('rmse'),
  /** Coefficient of determination per output value, averaged over them (scikit-learn's r2_score). */
  r2: factory<Named>('r2'),
  /** Counts of true class (rows) by predicted class (columns), in evaluate()'s result and the report. */
  confusionMatrix: factory<Thresholded>('confusionMatrix'),
};

/** How a metric reads in a report: 'precision', or 'auc(curve: PR)' for one with options. */
export function metricLabel(m: Metric): string {
  if (typeof m === 'string') return m;
  const { kind, ...options } = m;
  const list = Object.entries(options).map(([k, v]) => `${k}: ${v}`);
  return list.length ? `${kind}(${list.join(', ')})` : kind;
}
