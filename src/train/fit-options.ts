// fit()'s options, checked, and the data they describe: tensors in memory (with the validation
// rows split off) or a streamed Dataset. Everything here runs before any native work.
import type { Dataset } from '../data/dataset.js';
import { checkFeatures, checkTargets, type InputData, type TargetData, checkLabels, type ModelInput, rowsOf, sliceRows } from '../model/inputs.js';
import type { LabelSpec, LossName } from '../model/losses.js';
import { freshSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, describe, MAX_BATCH_SIZE } from '../validate.js';
import { type Callback, CallbackList } from './callbacks.js';

export const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'validationBatchSize', 'shuffle', 'seed', 'callbacks', 'verbose', 'initialEpoch', 'printFn', 'terminateOnNaN', 'accumulateSteps', 'resumeFrom'];

/** What fit() trains on: tensors in memory, or a streamed Dataset of batches. */
export type FitData = { x: InputData; y: TargetData } | { stream: Dataset };

/** fit()'s options, checked, with their defaults. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  initialEpoch: number;
  accumulateSteps: number;
  shuffle: boolean;
  seed: number;
  verbose: 0 | 1 | 2;
  terminateOnNaN: boolean;
  callbacks: CallbackList;
  validationBatchSize: number;
}

export function readFitOptions(options: FitOptions, resume: { epoch: number; seed: number } | undefined): FitSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('fit: options must be an object');
  checkKeys(options, 'fit', FIT_KEYS);
  const epochs = checkInteger(options.epochs ?? 1, 'fit: epochs', 1);
  const batchSize = checkInteger(options.batchSize ?? 32, 'fit: batchSize', 1, MAX_BATCH_SIZE);
  const initialEpoch = resume ? resume.epoch : checkInteger(options.initialEpoch ?? 0, 'fit: initialEpoch', 0);
  const accumulateSteps = checkInteger(options.accumulateSteps ?? 1, 'fit: accumulateSteps', 1);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new TypeError(`fit: shuffle must be a boolean, got ${describe(shuffle)}`);
  const seed = resume ? resume.seed : options.seed === undefined ? freshSeed() : checkInteger(options.seed, 'fit: seed', 0);
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`fit: verbose must be 0, 1 or 2, got ${describe(verbose)}`);
  const terminateOnNaN = options.terminateOnNaN ?? true;
  if (typeof terminateOnNaN !== 'boolean') throw new TypeError(`fit: terminateOnNaN must be a boolean, got ${describe(terminateOnNaN)}`);
  const validationBatchSize = checkInteger(options.validationBatchSize ?? batchSize, 'fit: validationBatchSize', 1, MAX_BATCH_SIZE);
  return { epochs, batchSize, initialEpoch, accumulateSteps, shuffle, seed, verbose, terminateOnNaN, callbacks: new CallbackList(options.callbacks), validationBatchSize };
}

/** The rows fit trains and validates on. */
export interface FitSets {
  /** Streamed batches (no tensors in memory), or undefined. */
  stream?: Dataset;
  trainX: Tensor;
  trainY: Tensor;
  valX?: Tensor;
  valY?: Tensor;
}

/** Checks the data against the model and splits off the validation rows (validationData or validationSplit). */
export function splitFitData(data: FitData, input: ModelInput, compiled: { loss: LossName; labels: LabelSpec }, options: FitOptions, settings: FitSettings): FitSets {
  const stream = 'stream' in data ? data.stream : undefined;
  let x: Tensor, y: Tensor;
  if (stream) {
    // Streamed batches are checked one by one as they arrive; no split can be taken from them.
    if (options.validationSplit !== undefined)
      throw new TypeError('fit: validationSplit needs the data in memory; with streamed batches pass validationData: [xVal, yVal]');
    if (settings.accumulateSteps > 1) throw new TypeError('fit: accumulateSteps needs the data in memory; with streamed batches, make the source yield larger batches');
    x = y = new Tensor(new Float32Array(0), [0], 'float32'); // unused
  } else {
    x = checkFeatures((data as { x: InputData }).x, 'x', input); // several inputs: packed into one tensor here
    y = checkTargets((data as { y: TargetData }).y, 'y', rowsOf(x), compiled); // several outputs: likewise
  }
  const sets: FitSets = { stream, trainX: x, trainY: y };
  if (options.validationData !== undefined) {
    const vd = options.validationData;
    if (!Array.isArray(vd) || vd.length !== 2) throw new TypeError('fit: validationData must be [xVal, yVal]');
    sets.valX = checkFeatures(vd[0], 'validationData[0]', input);
    sets.valY = checkTargets(vd[1], 'validationData[1]', rowsOf(sets.valX), compiled, 'validationData[0]');
  } else if (options.validationSplit !== undefined && !stream) {
    const total = rowsOf(x);
    const split = checkNumber(options.validationSplit, 'fit: validationSplit', { min: 0, max: 1, maxExclusive: true });
    const valRows = Math.floor(total * split);
    if (split > 0 && (valRows === 0 || valRows === total))
      throw new RangeError(`fit: validationSplit ${split} of ${total} samples leaves ${valRows === 0 ? 'no validation' : 'no training'} samples`);
    if (valRows > 0) {
      sets.trainX = sliceRows(x, 0, total - valRows);
      sets.trainY = sliceRows(y, 0, total - valRows);
      sets.valX = sliceRows(x, total - valRows, total);
      sets.valY = sliceRows(y, total - valRows, total);
    }
  }
  return sets;
}

/** The position a checkpoint saves for `settings` at (epoch, step). */
export function positionAt(settings: FitSettings, options: FitOptions, epoch: number, step: number): TrainingPosition {
  const { seed, batchSize, accumulateSteps, shuffle, epochs } = settings;
  return {
    epoch, step, seed, batchSize, accumulateSteps, shuffle, epochs,
    ...(options.validationSplit !== undefined && options.validationData === undefined ? { validationSplit: options.validationSplit } : {}),
  };
}

export interface FitOptions {
  /** Epochs to train (default 1). With initialEpoch, the epoch to stop at. */
  epochs?: number;
  /** Samples per step (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Fraction of the data, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Explicit validation set [x, y]; overrides validationSplit. */
  validationData?: [InputData, TargetData];
  /** Batch size for validation (default: batchSize). */
  validationBatchSize?: number;
  /** Reshuffle the training samples every epoch (default true). Streamed batches come in the source's order. */
  shuffle?: boolean;
  /** Seeds the shuffles and dropout masks; random when omitted. */
  seed?: number;
  callbacks?: Callback | Callback[];
  /**
   * 0: silent; 1 (default): a live progress bar per epoch when stdout is a terminal, one line per
   * epoch otherwise (CI logs, pipes, printFn); 2: one line per epoch.
   */
  verbose?: 0 | 1 | 2;
  /** Epoch to start counting from (default 0). */
  initialEpoch?: number;
  /** Where verbose lines go (default console.log); given, lines are printed instead of a bar. */
  printFn?: (line: string) => void;
  /**
   * Stop with an Error when the loss or a gradient becomes NaN/Infinity (default true); the step
   * that produced it is not applied, so the weights from before it are kept.
   */
  terminateOnNaN?: boolean;
  /**
   * Gradient accumulation: each update sums the gradients of this many consecutive batches, so it
   * equals one update on a batch accumulateSteps times larger, with the memory of one batch
   * (default 1). Steps, schedules and batch callbacks then count updates.
   */
  accumulateSteps?: number;
  /**
   * A checkpoint folder (model.save, callbacks.modelCheckpoint) to continue from: its weights,
   * optimizer state, counters and seed are loaded and training resumes at the saved epoch and step
   * up to `epochs` (the total, as Keras' epochs with initialEpoch).
   */
  resumeFrom?: string;
}


/** Where a fit stands: what a checkpoint saves to resume at the same epoch and step. */
export interface TrainingPosition {
  /** The epoch to run next (0-based) and the update within it. */
  epoch: number;
  step: number;
  seed: number;
  batchSize: number;
  accumulateSteps: number;
  shuffle: boolean;
  epochs: number;
  validationSplit?: number;
}
