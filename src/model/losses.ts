// Loss names and what each expects of the labels.
export const LOSSES = ['softmaxCrossEntropy', 'mse', 'meanSquaredError', 'binaryCrossEntropy'] as const;
export type LossName = (typeof LOSSES)[number];

/**
 * - softmaxCrossEntropy: the model outputs logits [classes]; labels are int32 class indices [n].
 *   Numerically stable log-sum-exp; mean over the batch.
 * - mse / meanSquaredError: float32 targets shaped like the output; mean over all elements.
 * - binaryCrossEntropy: the model outputs logits; float32 targets in [0, 1] shaped like the output;
 *   stable sigmoid cross-entropy, mean over all elements.
 */
export interface LabelSpec {
  dtype: 'float32' | 'int32';
  /** Values per sample. */
  elements: number;
  /** Number of classes for class-index labels. */
  classes?: number;
}

export function labelSpec(loss: LossName, outputShape: number[]): LabelSpec {
  const elements = outputShape.reduce((a, b) => a * b, 1);
  if (loss === 'softmaxCrossEntropy') {
    if (outputShape.length !== 1 || outputShape[0] < 2)
      throw new TypeError(
        `compile: loss 'softmaxCrossEntropy' needs a model output of shape [classes] with classes >= 2, got [${outputShape.join(', ')}]`,
      );
    return { dtype: 'int32', elements: 1, classes: outputShape[0] };
  }
  return { dtype: 'float32', elements };
}

export function nativeLossName(loss: LossName): string {
  return loss === 'meanSquaredError' ? 'mse' : loss;
}
