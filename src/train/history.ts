// What fit() returns: per-epoch metrics, as Keras' History. Plain data plus the reading of it
// (diagnose), which takes any object of this shape.
import { diagnose, type Finding } from './diagnose.js';
import type { LayerNorms, TrainingWarning } from './gradient-health.js';

import type { Logs } from './callbacks.js';

/** What fit() returns: per-epoch metrics, as Keras' History. */
export class History {
  /** Epoch indices that ran (0-based). */
  readonly epoch: number[] = [];
  /** Metric name -> one value per epoch: loss, accuracy, valLoss, valAccuracy. */
  readonly history: Record<string, number[]> = {};
  /** Parameters of the run: epochs, batchSize, samples, steps, accumulateSteps. */
  params: Record<string, number> = {};
  /** Per layer: gradient and weight L2 norms, mean and max over each epoch's steps. */
  readonly layers: Record<string, LayerNorms> = {};
  /** The last epoch's confusion matrices (compile's 'confusionMatrix' metric): confusionMatrix, valConfusionMatrix. */
  confusionMatrices: Record<string, number[][]> = {};
  /** Vanishing/exploding gradient warnings raised during the fit. */
  readonly warnings: TrainingWarning[] = [];

  /** What the curves say: overfitting, underfitting, gradient trouble, a learning rate too high or too low. */
  diagnose(): Finding[] {
    return diagnose(this);
  }

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}
