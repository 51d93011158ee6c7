// Loss names, what each expects of the labels, and the loss objects with Keras' fromLogits.
import { checkInteger, checkKeys, checkNumber, checkOneOf, describe } from '../validate.js';

export const LOSSES = [
  'softmaxCrossEntropy', 'mse', 'meanSquaredError', 'binaryCrossEntropy',
  'categoricalCrossEntropy', 'mae', 'meanAbsoluteError', 'huber', 'logCosh', 'hinge', 'poisson', 'kld', 'cosineSimilarity',
] as const;
export type LossName = (typeof LOSSES)[number];

/**
 * - softmaxCrossEntropy: int32 class indices [n] against [classes] scores; numerically stable
 *   log-sum-exp; mean over the batch.
 * - mse / meanSquaredError: float32 targets shaped like the output; mean over all elements.
 * - binaryCrossEntropy: float32 targets in [0, 1] shaped like the output; stable sigmoid
 *   cross-entropy, mean over all elements.
 * - categoricalCrossEntropy: float32 one-hot or soft targets [classes] (Keras'); log-sum-exp over
 *   the logits, mean over the rows.
 * - mae, huber, logCosh, hinge (0/1 targets read as -1/1), poisson: mean over all elements; kld (clipped
 *   to [1e-7, 1]) and cosineSimilarity: over each row of the last axis, mean over the rows. As Keras
 *   defines them (native/core/loss_rules.h).
 * The cross-entropies are computed from logits. A model whose output layer ends in the matching
 * probability activation (sigmoid for binaryCrossEntropy, softmax for softmaxCrossEntropy, as
 * Keras tutorials write it) is trained from the logits before that activation, and predict()
 * still returns the probabilities. `fromLogits` (Keras' name) states which one the output is.
 */
export interface LabelSpec {
  dtype: 'float32' | 'int32';
  /** Values per sample. */
  elements: number;
  /** Number of classes for class-index labels. */
  classes?: number;
  /** Class-index labels of a sequence output: the positions each sample has a label for ([] for one). */
  positions?: number[];
  /** A label value allowed outside [0, classes): padding the loss ignores. */
  ignoreIndex?: number;
}

/** A loss with options: losses.binaryCrossEntropy({ fromLogits: true }). */
export interface Loss {
  readonly name: LossName;
  /**
   * Cross-entropies only. true: the output is logits (an Error if the output layer ends in
   * sigmoid/softmax); false: the output is probabilities (an Error unless it ends in the matching
   * activation); undefined (the string form): whichever the output layer says.
   */
  readonly fromLogits?: boolean;
  /**
   * softmaxCrossEntropy only (PyTorch's ignore_index, Keras' ignore_class): positions whose label is
   * this value (padding) add nothing to the loss, its gradient or the accuracy; the mean is over the rest.
   */
  readonly ignoreIndex?: number;
  /** huber only: where the loss turns from squared to absolute error (default 1, Keras'). */
  readonly delta?: number;
  /**
   * The cross-entropies: the target moves this share towards uniform (Keras' label_smoothing;
   * PyTorch's for softmaxCrossEntropy): t (1 - s) + s / classes (binary: + s / 2).
   */
  readonly labelSmoothing?: number;
}

/** A loss's options as compile keeps them (the defined ones only). */
export type LossOptions = Pick<Loss, 'fromLogits' | 'ignoreIndex' | 'delta' | 'labelSmoothing'>;
export function lossOptions(l: LossOptions): LossOptions {
  const out: { -readonly [K in keyof LossOptions]: LossOptions[K] } = {};
  if (l.fromLogits !== undefined) out.fromLogits = l.fromLogits;
  if (l.ignoreIndex !== undefined) out.ignoreIndex = l.ignoreIndex;
  if (l.delta !== undefined) out.delta = l.delta;
  if (l.labelSmoothing !== undefined) out.labelSmoothing = l.labelSmoothing;
  return out;
}
/** The number the native loss takes: huber's delta (default 1), a cross-entropy's label smoothing, or 0. */
export function lossParam(l: Loss): number {
  return l.name === 'huber' ? l.delta ?? 1 : l.labelSmoothing ?? 0;
}

/** The probability activation each cross-entropy pairs with. */
export const PROBABILITY_ACTIVATION: Partial<Record<LossName, 'sigmoid' | 'softmax'>> = {
  binaryCrossEntropy: 'sigmoid',
  softmaxCrossEntropy: 'softmax',
  categoricalCrossEntropy: 'softmax',
};

export function getLoss(loss: unknown, where: string): Loss {
  if (typeof loss === 'string') return { name: checkOneOf(loss, where, LOSSES) };
  if (typeof loss !== 'object' || loss === null)
    throw new TypeError(`${where}: expected a loss name (${LOSSES.map((l) => `'${l}'`).join(', ')}) or losses.<name>({...}), got ${describe(loss)}`);
  const { name, fromLogits, ignoreIndex, delta, labelSmoothing } = loss as Loss;
  const checked = checkOneOf(name, `${where}.name`, LOSSES);
  if (delta !== undefined) {
    if (checked !== 'huber') throw new TypeError(`${where}: delta applies to huber, not '${checked}'`);
    checkNumber(delta, `${where}: delta`, { min: 0, minExclusive: true });
  }
  if (labelSmoothing !== undefined) {
    if (!PROBABILITY_ACTIVATION[checked]) throw new TypeError(`${where}: labelSmoothing applies to the cross-entropies, not '${checked}'`);
    checkNumber(labelSmoothing, `${where}: labelSmoothing`, { min: 0, max: 1 });
  }
  if (fromLogits !== undefined && typeof fromLogits !== 'boolean') throw new TypeError(`${where}: fromLogits must be true or false, got ${describe(fromLogits)}`);
  if (fromLogits !== undefined && !PROBABILITY_ACTIVATION[checked])
    throw new TypeError(`${where}: fromLogits applies to the cross-entropies, not '${checked}'`);
  if (ignoreIndex !== undefined) {
    if (checked !== 'softmaxCrossEntropy') throw new TypeError(`${where}: ignoreIndex applies to softmaxCrossEntropy, not '${checked}'`);
    checkInteger(ignoreIndex, `${where}: ignoreIndex`, -(2 ** 31) + 1, 2 ** 31 - 1);
  }
  return { name: checked, ...lossOptions({ fromLogits, ignoreIndex, delta, labelSmoothing }) };
}

const withLogits = (name: LossName, label: string) => (options: { fromLogits?: boolean; labelSmoothing?: number } = {}): Loss => {
  checkKeys(options, label, ['fromLogits', 'labelSmoothing']);
  return getLoss({ name, fromLogits: options.fromLogits, labelSmoothing: options.labelSmoothing }, label);
};

/** Loss objects, for options; compile also takes the plain names. */
export const losses = {
  binaryCrossEntropy: withLogits('binaryCrossEntropy', 'losses.binaryCrossEntropy'),
  /** fromLogits and labelSmoothing as binaryCrossEntropy; ignoreIndex: a padding label that counts for nothing. */
  softmaxCrossEntropy: (options: { fromLogits?: boolean; ignoreIndex?: number; labelSmoothing?: number } = {}): Loss => {
    checkKeys(options, 'losses.softmaxCrossEntropy', ['fromLogits', 'ignoreIndex', 'labelSmoothing']);
    return getLoss({ name: 'softmaxCrossEntropy', fromLogits: options.fromLogits, ignoreIndex: options.ignoreIndex, labelSmoothing: options.labelSmoothing }, 'losses.softmaxCrossEntropy');
  },
  /** Squared error within delta (default 1) of the target, absolute error beyond it (Keras' Huber). */
  huber: (options: { delta?: number } = {}): Loss => {
    checkKeys(options, 'losses.huber', ['delta']);
    return getLoss({ name: 'huber', delta: options.delta }, 'losses.huber');
  },
  meanSquaredError: (): Loss => ({ name: 'meanSquaredError' }),
  mse: (): Loss => ({ name: 'mse' }),
  /** One-hot or soft float32 targets [classes] (Keras' CategoricalCrossentropy); fromLogits as binaryCrossEntropy. */
  categoricalCrossEntropy: withLogits('categoricalCrossEntropy', 'losses.categoricalCrossEntropy'),
  /** Mean absolute error. */
  mae: (): Loss => ({ name: 'mae' }),
  meanAbsoluteError: (): Loss => ({ name: 'meanAbsoluteError' }),
  /** log(cosh(prediction - target)): squared error near 0, absolute error far from it. */
  logCosh: (): Loss => ({ name: 'logCosh' }),
  /** max(1 - target * prediction, 0), targets -1/1 (0/1 read as -1/1), as Keras' hinge. */
  hinge: (): Loss => ({ name: 'hinge' }),
  /** prediction - target * log(prediction + 1e-7): counts; the prediction must be positive (a softplus output). */
  poisson: (): Loss => ({ name: 'poisson' }),
  /** Kullback-Leibler divergence of the prediction from the target distribution over the last axis. */
  kld: (): Loss => ({ name: 'kld' }),
  /** -cosine(target, prediction) over the last axis. */
  cosineSimilarity: (): Loss => ({ name: 'cosineSimilarity' }),
};

/**
 * Which tensor the loss reads. `output` is the model's output layer: its final activation and the
 * tensor before it (the logits, when it ends in sigmoid or softmax as its own last node). Returns
 * the logits tensor when the loss is to be computed from them, undefined for the output itself;
 * throws when the output and fromLogits contradict each other.
 */
export function lossTensor(loss: Loss, output: { layer: string; activation?: string; logitsTensor?: number }): number | undefined {
  const pairs = PROBABILITY_ACTIVATION[loss.name];
  const act = output.activation;
  if (!pairs) return undefined; // mse: on the output as it is
  const probability = act === 'sigmoid' || act === 'softmax';
  if (loss.fromLogits === true && probability)
    throw new TypeError(`compile: loss '${loss.name}' with fromLogits: true, but the output layer '${output.layer}' applies ${act}, so the model outputs probabilities; drop fromLogits: true (gradloop then trains from the logits before the ${act}), or remove the activation`);
  if (probability && act !== pairs)
    throw new TypeError(`compile: loss '${loss.name}' needs ${pairs} probabilities or logits, but the output layer '${output.layer}' applies ${act}; use activation: '${pairs}' (or none, for logits), or the loss ${act === 'sigmoid' ? "'binaryCrossEntropy'" : "'softmaxCrossEntropy'"}`);
  if (loss.fromLogits === false && !probability)
    throw new TypeError(`compile: loss '${loss.name}' with fromLogits: false expects probabilities, but the output layer '${output.layer}' applies ${act ?? 'no activation'}; add activation: '${pairs}' to it, or use fromLogits: true`);
  if (!probability) return undefined;
  if (output.logitsTensor === undefined) throw new Error(`compile: the output layer '${output.layer}' has no logits tensor before its ${act}`);
  return output.logitsTensor;
}

export function labelSpec(loss: LossName, outputShape: number[]): LabelSpec {
  const elements = outputShape.reduce((a, b) => a * b, 1);
  if (loss === 'softmaxCrossEntropy') {
    // [classes]: a class index per sample; [steps, classes] (a sequence): one per position.
    const classes = outputShape[outputShape.length - 1];
    if (outputShape.length === 0 || classes < 2)
      throw new TypeError(
        `compile: loss 'softmaxCrossEntropy' needs a model output of shape [classes] (or [steps, classes] for a sequence) with classes >= 2, got [${outputShape.join(', ')}]`,
      );
    return { dtype: 'int32', elements: elements / classes, classes, positions: outputShape.slice(0, -1) };
  }
  return { dtype: 'float32', elements };
}

export function nativeLossName(loss: LossName): string {
  return loss === 'meanSquaredError' ? 'mse' : loss === 'meanAbsoluteError' ? 'mae' : loss;
}
