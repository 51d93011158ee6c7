// fit()'s options, checked, and the data they describe: tensors in memory (with the validation
// rows split off) or a streamed Dataset. Everything here runs before any native work.
import type { Dataset } from '../data/dataset.js';
import { checkFeatures, checkTargets, type InputData, type TargetData, checkLabels, type ModelInput, rowsOf, sliceRows } from '../model/inputs.js';
import type { LabelSpec, LossName } from '../model/losses.js';
import { freshSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, describe, MAX_BATCH_SIZE } from '../validate.js';
import { type Callback, CallbackList } from './callbacks.js';
import type { DistributedJob } from '../distributed/index.js';

export const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'validationBatchSize', 'shuffle', 'seed', 'callbacks', 'verbose', 'initialEpoch', 'printFn', 'terminateOnNaN', 'accumulateSteps', 'resumeFrom', 'sampleWeight', 'classWeight', 'distributed'];

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
  /** A data-parallel fit's job (set by fitLoop once joined). */
  job?: DistributedJob;
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
  /** A weight per training (validation) row, from sampleWeight and classWeight; undefined: all 1. */
  trainW?: Float32Array;
  valW?: Float32Array;
}

/** A weight per sample: sampleWeight as given, checked against the number of rows. */
export function readSampleWeight(value: unknown, rows: number, where: string): Float32Array {
  const data = value instanceof Tensor ? (value.dtype === 'float32' && value.shape.length === 1 ? value.data : null) : value instanceof Float32Array || Array.isArray(value) ? value : null;
  if (!data) throw new TypeError(`${where} must be a float32 tensor [samples], a Float32Array or an array of numbers, got ${describe(value)}`);
  if (data.length !== rows) throw new TypeError(`${where} has ${data.length} weights for ${rows} samples; give one per sample`);
  const w = Float32Array.from(data as ArrayLike<number>);
  w.forEach((v, i) => {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${where}: weight ${v} at sample ${i} must be finite and >= 0`);
  });
  return w;
}

/**
 * Keras' classWeight: { class: weight } or [weight by class]; each sample's weight is its class's
 * (a class index; for binary targets 0/1 the target, for one-hot targets the argmax), times its sampleWeight.
 */
export function classWeights(classWeight: unknown, y: Tensor, labels: LabelSpec, where: string): Float32Array {
  const table = new Map<number, number>();
  if (Array.isArray(classWeight)) classWeight.forEach((v, k) => table.set(k, v));
  else if (typeof classWeight === 'object' && classWeight !== null) for (const [k, v] of Object.entries(classWeight)) table.set(Number(k), v as number);
  else throw new TypeError(`${where} must be { class: weight } or an array of weights by class index, got ${describe(classWeight)}`);
  for (const [k, v] of table) {
    if (!Number.isInteger(k) || k < 0) throw new TypeError(`${where}: class ${k} is not a class index`);
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${where}[${k}] must be a finite number >= 0, got ${describe(v)}`);
  }
  const rows = rowsOf(y), per = y.size / rows;
  if (labels.dtype === 'int32' && per !== 1) throw new TypeError(`${where} needs one class label per sample; this model's labels are a sequence (${per} per sample)`);
  return Float32Array.from({ length: rows }, (_, r) => {
    let cls: number;
    if (labels.dtype === 'int32' || per === 1) cls = per === 1 && labels.dtype === 'float32' ? (y.data[r] > 0.5 ? 1 : 0) : y.data[r];
    else {
      cls = 0;
      for (let c = 1; c < per; c++) if (y.data[r * per + c] > y.data[r * per + cls]) cls = c;
    }
    return table.get(cls) ?? 1;
  });
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
  // Sample and class weights multiply; they weight each sample's loss and gradient natively.
  const weigh = (rows: number, targets: Tensor, sampleWeight: unknown, where: string) => {
    const w = sampleWeight === undefined ? undefined : readSampleWeight(sampleWeight, rows, where);
    const c = options.classWeight === undefined ? undefined : classWeights(options.classWeight, targets, compiled.labels, 'fit: classWeight');
    return w && c ? w.map((v, i) => v * c[i]) : w ?? c;
  };
  if (stream && options.sampleWeight !== undefined)
    throw new TypeError('fit: with streamed batches, give each batch its weights: { x, y, sampleWeight }');
  if (!stream) sets.trainW = weigh(rowsOf(x), y, options.sampleWeight, 'fit: sampleWeight');
  if (options.validationData !== undefined) {
    const vd = options.validationData;
    if (!Array.isArray(vd) || (vd.length !== 2 && vd.length !== 3)) throw new TypeError('fit: validationData must be [xVal, yVal] or [xVal, yVal, sampleWeightVal]');
    sets.valX = checkFeatures(vd[0], 'validationData[0]', input);
    sets.valY = checkTargets(vd[1], 'validationData[1]', rowsOf(sets.valX), compiled, 'validationData[0]');
    // Keras weighs validation by classWeight only through validationData's own weights.
    if (vd.length === 3) sets.valW = readSampleWeight(vd[2], rowsOf(sets.valX), 'fit: validationData[2] (sample weights)');
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
      if (sets.trainW) {
        sets.valW = sets.trainW.slice(total - valRows);
        sets.trainW = sets.trainW.slice(0, total - valRows);
      }
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
    ...(settings.job ? { worldSize: settings.job.worldSize } : {}),
  };
}

export interface FitOptions {
  /** Epochs to train (default 1). With initialEpoch, the epoch to stop at. */
  epochs?: number;
  /** Samples per step (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Fraction of the data, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Explicit validation set [x, y] or [x, y, sampleWeight]; overrides validationSplit. */
  validationData?: [InputData, TargetData] | [InputData, TargetData, Tensor | Float32Array | number[]];
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
  /**
   * A weight per training sample (float32 [samples]): each sample's loss and gradient count that
   * many times, natively; the loss is the weighted mean, sum(w loss) / sum(w) (PyTorch's: a weight
   * of 2 counts a sample twice). Split with validationSplit as the samples are.
   */
  sampleWeight?: Tensor | Float32Array | number[];
  /**
   * Keras' class_weight: { class: weight } or [weight by class index]; a sample weighs its class's
   * weight (times its sampleWeight). Class: the label (softmaxCrossEntropy), the 0/1 target
   * (binaryCrossEntropy with one output), or the largest target (one-hot targets).
   */
  classWeight?: Record<number, number> | number[];
  /**
   * Data-parallel training across the ranks of a job (started by `gradloop launch`, mpirun or srun):
   * true joins it (an Error outside one), 'auto' joins when launched as one of several ranks, and
   * { timeoutSeconds } joins with that wait for the other ranks (default 300). Each global batch of
   * batchSize rows is split evenly over the ranks; see the README's "Training on several machines".
   */
  distributed?: boolean | 'auto' | { timeoutSeconds?: number };
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
  /** The ranks of a data-parallel fit (absent: one process). */
  worldSize?: number;
}
