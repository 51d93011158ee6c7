// The training loop, top to bottom: epochs -> batches -> callbacks.
// Data is copied into native memory once; each step sends only the batch's
// row indices, and runs off the main thread so timers keep firing.
import { type Callback, CallbackList, type Logs, type TrainingModel } from './callbacks.js';
import { History } from './history.js';
import type { Dataset } from '../data/dataset.js';
import { checkFeatures, checkLabels, type ModelInput, rowsOf, sliceRows, takeRows } from '../model/inputs.js';
import type { LabelSpec, LossName } from '../model/losses.js';
import { GradientHealth } from './gradient-health.js';
import { type Device, deviceDataLimit } from '../backend/device.js';
import { type NativeDataset, type NativeProgram, stepStride } from '../backend/native.js';
import type { Optimizer } from '../optim/optimizers.js';
import { deriveSeed, freshSeed, Random } from '../random.js';
import { createProgress } from './progress.js';
import { Tensor } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, describe, MAX_BATCH_SIZE } from '../validate.js';

export interface FitOptions {
  /** Epochs to train (default 1). With initialEpoch, the epoch to stop at. */
  epochs?: number;
  /** Samples per step (default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Fraction of the data, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  /** Explicit validation set [x, y]; overrides validationSplit. */
  validationData?: [Tensor, Tensor];
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


/** What compile() fixed: the loop's view of a compiled model. */
export interface CompiledModel {
  optimizer: Optimizer;
  loss: LossName;
  metrics: string[];
  labels: LabelSpec;
  clipNorm: number;
  clipValue: number;
}

// Consecutive steps per native call aim at this much work, so timers fire at least this often.
const CHUNK_MS = 10;
const MAX_CHUNK = 256;

export const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'validationData', 'validationBatchSize', 'shuffle', 'seed', 'callbacks', 'verbose', 'initialEpoch', 'printFn', 'terminateOnNaN', 'accumulateSteps', 'resumeFrom'];

/** How the model follows a fit: a resume point to start from, and where the fit stands after every step. */
export interface FitTracking {
  resume?: { epoch: number; step: number; seed: number };
  /** A line saying which device compile's 'auto' picked and why, printed before the first epoch. */
  deviceNote?: string;
  onPosition(position: TrainingPosition): void;
}

/** What fit() trains on: tensors in memory, or a streamed Dataset of batches. */
export type FitData = { x: Tensor; y: Tensor } | { stream: Dataset };

export async function fitLoop(
  model: TrainingModel,
  built: { program: NativeProgram; input: ModelInput; device: Device },
  compiled: CompiledModel,
  data: FitData,
  options: FitOptions,
  tracking?: FitTracking,
): Promise<History> {
  // ---- arguments ----
  if (typeof options !== 'object' || options === null) throw new TypeError('fit: options must be an object');
  checkKeys(options, 'fit', FIT_KEYS);
  const epochs = checkInteger(options.epochs ?? 1, 'fit: epochs', 1);
  const batchSize = checkInteger(options.batchSize ?? 32, 'fit: batchSize', 1, MAX_BATCH_SIZE);
  const resume = tracking?.resume;
  const initialEpoch = resume ? resume.epoch : checkInteger(options.initialEpoch ?? 0, 'fit: initialEpoch', 0);
  const accumulateSteps = checkInteger(options.accumulateSteps ?? 1, 'fit: accumulateSteps', 1);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new TypeError(`fit: shuffle must be a boolean, got ${describe(shuffle)}`);
  const seed = resume ? resume.seed : options.seed === undefined ? freshSeed() : checkInteger(options.seed, 'fit: seed', 0);
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`fit: verbose must be 0, 1 or 2, got ${describe(verbose)}`);
  const terminateOnNaN = options.terminateOnNaN ?? true;
  if (typeof terminateOnNaN !== 'boolean') throw new TypeError(`fit: terminateOnNaN must be a boolean, got ${describe(terminateOnNaN)}`);
  const callbacks = new CallbackList(options.callbacks);

  const stream = 'stream' in data ? data.stream : undefined;
  let x: Tensor, y: Tensor;
  if (stream) {
    // Streamed batches are checked one by one as they arrive; no split can be taken from them.
    if (options.validationSplit !== undefined)
      throw new TypeError('fit: validationSplit needs the data in memory; with streamed batches pass validationData: [xVal, yVal]');
    if (accumulateSteps > 1) throw new TypeError('fit: accumulateSteps needs the data in memory; with streamed batches, make the source yield larger batches');
    x = y = new Tensor(new Float32Array(0), [0], 'float32'); // unused
  } else {
    ({ x, y } = data as { x: Tensor; y: Tensor });
    checkFeatures(x, 'x', built.input);
    checkLabels(y, 'y', rowsOf(x), compiled.loss, compiled.labels);
  }
  const total = stream ? 0 : rowsOf(x);

  // ---- train / validation split ----
  let trainX = x, trainY = y;
  let valX: Tensor | undefined, valY: Tensor | undefined;
  if (options.validationData !== undefined) {
    const vd = options.validationData;
    if (!Array.isArray(vd) || vd.length !== 2) throw new TypeError('fit: validationData must be [xVal, yVal]');
    valX = checkFeatures(vd[0], 'validationData[0]', built.input);
    valY = checkLabels(vd[1], 'validationData[1]', rowsOf(valX), compiled.loss, compiled.labels, 'validationData[0]');
  } else if (options.validationSplit !== undefined && !stream) {
    const split = checkNumber(options.validationSplit, 'fit: validationSplit', { min: 0, max: 1, maxExclusive: true });
    const valRows = Math.floor(total * split);
    if (split > 0 && (valRows === 0 || valRows === total))
      throw new RangeError(`fit: validationSplit ${split} of ${total} samples leaves ${valRows === 0 ? 'no validation' : 'no training'} samples`);
    if (valRows > 0) {
      trainX = sliceRows(x, 0, total - valRows);
      trainY = sliceRows(y, 0, total - valRows);
      valX = sliceRows(x, total - valRows, total);
      valY = sliceRows(y, total - valRows, total);
    }
  }
  const validationBatchSize = checkInteger(options.validationBatchSize ?? batchSize, 'fit: validationBatchSize', 1, MAX_BATCH_SIZE);

  // ---- data into native memory, once ----
  const program = built.program;
  program.setGradientControl(compiled.clipNorm, compiled.clipValue, terminateOnNaN);
  const parameterNames = program.parameters().map((p) => p.name);
  // A non-finite step (a step's fifth value): stop with the epoch, step and first layer.
  const stopOnNonFinite = (nonFinite: number, epoch: number, step: number) => {
    if (!terminateOnNaN || nonFinite === -2) return;
    const where = nonFinite === -1 ? 'the loss' : `the gradient of '${parameterNames[nonFinite]}' (the first layer affected: '${parameterNames[nonFinite].split('/')[0]}')`;
    throw new Error(
      `fit: ${where} became NaN or Infinity at epoch ${epoch + 1}, step ${step + 1}; training stopped and that step was not applied, ` +
        'so the weights are those from before it. Lower the learning rate, standardize the inputs, or clip gradients with compile({ clipNorm }).',
    );
  };
  // The data sets live on the model's device and are freed when the fit ends (a GPU's memory
  // should not wait for the GC). A training set too large for the device goes up in pieces:
  // the rows of each run of steps, gathered here (normally it is copied once and steps gather
  // their batches on the device).
  const n = stream ? 0 : rowsOf(trainX);
  const bytesPerRow = stream ? 0 : (trainX.data.byteLength + trainY.data.byteLength) / n;
  const dataLimit = stream ? Infinity : deviceDataLimit(built.device);
  const staged = bytesPerRow * n > dataLimit;
  const train = stream || staged ? undefined : built.device.dataset(trainX.data, trainX.shape.slice(1), trainY.data, trainY.shape.slice(1));
  const val = valX && valY ? built.device.dataset(valX.data, valX.shape.slice(1), valY.data, valY.shape.slice(1)) : undefined;
  const valRowsIndex = val ? Int32Array.from({ length: val.rows }, (_, i) => i) : undefined;
  let localRows = new Int32Array(0); // 0..m-1: rows of a streamed batch or a staged piece in its own copy
  const identity = (m: number) => {
    if (localRows.length < m) localRows = Int32Array.from({ length: m }, (_, i) => i);
    return localRows.subarray(0, m);
  };
  // The data set and row indices a native call uses for `rows` of the training set.
  const stage = (rows: Int32Array): { data: NativeDataset; rows: Int32Array; release(): void } => {
    if (train) return { data: train, rows, release() {} };
    const xs = takeRows(trainX, rows), ys = takeRows(trainY, rows);
    const data = built.device.dataset(xs.data, xs.shape.slice(1), ys.data, ys.shape.slice(1));
    return { data, rows: identity(rows.length), release: () => data.dispose() };
  };
  // With accumulation a step (one update) covers accumulateSteps batches.
  const rowsPerStep = batchSize * accumulateSteps;
  const microBatch = accumulateSteps > 1 ? batchSize : 0;
  // A streamed source's length is known once an epoch has read it (or from batchesPerEpoch).
  let stepsPerEpoch: number | undefined = stream ? stream.batchesPerEpoch : Math.ceil(n / rowsPerStep);
  const withAccuracy = compiled.metrics.includes('accuracy');
  const health = new GradientHealth(parameterNames);
  const params = parameterNames.length;
  const stride = stepStride(params);

  const history = new History();
  history.params = { epochs, initialEpoch, batchSize, samples: n, steps: stepsPerEpoch ?? 0, accumulateSteps };
  const progress = createProgress(verbose, options.printFn);
  const position = (epoch: number, step: number): TrainingPosition => ({
    epoch, step, seed, batchSize, accumulateSteps, shuffle, epochs,
    ...(options.validationSplit !== undefined && options.validationData === undefined ? { validationSplit: options.validationSplit } : {}),
  });
  tracking?.onPosition(position(initialEpoch, resume?.step ?? 0));
  const warn = (warnings: ReturnType<GradientHealth['drain']>) => {
    history.warnings.push(...warnings);
    for (const w of warnings) progress.log(`Warning: ${w.message}`);
  };
  model.stopTraining = false;
  callbacks.setModel(model);
  const optimizer = compiled.optimizer;
  const order = new Int32Array(n);
  const perBatchHooks = callbacks.hasBatchHooks;
  const stepValues = new Float64Array(stride); // trainStep's result in trainSteps' layout, reused
  let chunk = 1; // steps per native call when no callback watches single batches

  try {
  if (tracking?.deviceNote) progress.log(tracking.deviceNote);
  await callbacks.trainBegin({});
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    const started = performance.now();
    optimizer.epoch = epoch;
    await callbacks.epochBegin(epoch, {});
    for (let i = 0; i < n; i++) order[i] = i;
    // Each epoch's shuffle depends only on (seed, epoch): a resumed run reproduces it.
    if (shuffle) new Random(deriveSeed(seed, epoch)).shuffle(order);
    progress.epochBegin(epoch, epochs, stepsPerEpoch);

    let lossSum = 0, correct = 0, counted = 0, seen = 0, lastRate = NaN, normSum = 0, normMax = 0, steps = 0;
    const firstStep = epoch === initialEpoch && resume ? resume.step : 0;
    // One step's results (a trainSteps slice, or trainStep's arrays laid out the same way).
    const record = (step: number, size: number, values: ArrayLike<number>, at: number) => {
      stopOnNonFinite(values[at + 4], epoch, step);
      optimizer.iterations++;
      lossSum += values[at] * size;
      seen += size;
      correct += values[at + 1];
      counted += values[at + 2];
      normSum += values[at + 3];
      normMax = Math.max(normMax, values[at + 3]);
      steps++;
      health.step(epoch, step, values[at + 3], values, at + 5, params);
      tracking?.onPosition(position(epoch, step + 1));
    };
    const showProgress = (done: number) =>
      progress.update(done, {
        loss: lossSum / seen,
        accuracy: withAccuracy ? correct / counted : undefined,
        samplesPerSecond: seen / ((performance.now() - started) / 1000),
      });
    // One native call for one step (one batch), with the batch callbacks around it.
    const oneStep = async (dataset: NativeDataset, rows: Int32Array, step: number) => {
      await callbacks.batchBegin(step, { size: rows.length });
      lastRate = optimizer.rateAt(optimizer.iterations, epoch);
      const r = await program.trainStep(dataset, rows, lastRate, seed, microBatch);
      const values = stepValues;
      values[0] = r.loss;
      values[1] = r.correct;
      values[2] = r.count;
      values[3] = r.gradNorm;
      values[4] = r.nonFinite;
      values.set(r.gradSquares, 5);
      values.set(r.weightSquares, 5 + params);
      record(step, rows.length, values, 0);
      warn(health.drain());
      showProgress(step + 1);
      const batchLogs: Logs = { batch: step, size: rows.length, loss: r.loss, gradNorm: r.gradNorm };
      if (withAccuracy) batchLogs.accuracy = r.correct / r.count;
      await callbacks.batchEnd(step, batchLogs);
    };
    let step = firstStep;
    if (stream) {
      // Streamed: each batch is checked, copied into native memory and trained on as it comes.
      // A resumed epoch skips the batches the checkpoint had already trained on.
      let index = 0;
      for await (const batch of stream.epoch(epoch)) {
        if (index++ < firstStep) continue;
        if (model.stopTraining) break;
        const where = `fit: streamed batch ${index - 1} of epoch ${epoch + 1}`;
        checkFeatures(batch.x, `${where}: x`, built.input);
        checkLabels(batch.y, `${where}: y`, rowsOf(batch.x), compiled.loss, compiled.labels, `${where}: x`);
        const dataset = built.device.dataset(batch.x.data, batch.x.shape.slice(1), batch.y.data, batch.y.shape.slice(1));
        try {
          await oneStep(dataset, identity(rowsOf(batch.x)), step);
        } finally {
          dataset.dispose();
        }
        step++;
      }
      if (!model.stopTraining) stepsPerEpoch = step;
      history.params.steps = stepsPerEpoch ?? step;
      history.params.samples = Math.max(history.params.samples, seen);
    }
    while (!stream && step < stepsPerEpoch! && !model.stopTraining) {
      const start = step * rowsPerStep;
      if (perBatchHooks) {
        // A callback may inspect or stop each batch: one native call per step.
        const piece = stage(order.subarray(start, Math.min(start + rowsPerStep, n)));
        try {
          await oneStep(piece.data, piece.rows, step);
        } finally {
          piece.release();
        }
        step++;
        continue;
      }
      // Nothing observes single batches: run `chunk` consecutive steps per native call, sized
      // to about CHUNK_MS of work, so the thread hand-off per call is amortised while timers
      // still run every few milliseconds. The steps, and so the results, are the same.
      const k = Math.min(chunk, stepsPerEpoch! - step, staged ? Math.max(1, Math.floor(dataLimit / bytesPerRow / rowsPerStep)) : Infinity);
      const piece = stage(order.subarray(start, Math.min(start + k * rowsPerStep, n)));
      const rates = Float64Array.from({ length: k }, (_, i) => optimizer.rateAt(optimizer.iterations + i, epoch));
      lastRate = rates[k - 1];
      const t0 = performance.now();
      let results: Float64Array;
      try {
        results = await program.trainSteps(piece.data, piece.rows, rowsPerStep, rates, seed, microBatch);
      } finally {
        piece.release();
      }
      const ran = results.length / stride; // fewer than k when a step was not finite
      const perStep = (performance.now() - t0) / ran;
      chunk = Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_MS / Math.max(perStep, 1e-3))));
      for (let i = 0; i < ran; i++) record(step + i, Math.min(rowsPerStep, n - (start + i * rowsPerStep)), results, stride * i);
      warn(health.drain());
      step += ran;
      showProgress(step);
    }

    // Keras reports the sample-weighted mean of the batch losses seen during the epoch.
    const logs: Logs = { loss: lossSum / seen };
    if (withAccuracy) logs.accuracy = correct / counted;
    if (val && valRowsIndex) {
      const v = await program.evaluate(val, valRowsIndex, validationBatchSize);
      logs.valLoss = v.loss;
      if (withAccuracy) logs.valAccuracy = v.correct / v.count;
    }
    if (Number.isFinite(lastRate)) logs.learningRate = lastRate; // the rate of the epoch's last step
    if (steps > 0) {
      logs.gradNorm = normSum / steps; // global gradient norm before clipping: mean and max over the epoch's steps
      logs.gradNormMax = normMax;
    }
    health.endEpoch(epoch, history.layers);
    history.record(epoch, logs);
    if (step === stepsPerEpoch) tracking?.onPosition(position(epoch + 1, 0)); // a checkpoint saved now resumes at the next epoch
    const ms = performance.now() - started;
    progress.epochEnd(formatEpoch(epoch, epochs, `${step}/${stepsPerEpoch ?? step}`, ms, Math.round(seen / (ms / 1000)), logs));
    warn(health.drain());
    await callbacks.epochEnd(epoch, logs);
  }
  await callbacks.trainEnd({});
  } finally {
    progress.stop();
    train?.dispose();
    val?.dispose();
  }
  return history;
}

function formatEpoch(epoch: number, epochs: number, steps: string, ms: number, samplesPerSecond: number, logs: Logs): string {
  // Small values (learning rates, converged losses) keep their digits: 1.00e-5, not 0.0000.
  const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4)}`);
  return [`Epoch ${epoch + 1}/${epochs}`, steps, `${(ms / 1000).toFixed(1)}s`, `${samplesPerSecond} samples/s`, ...parts].join(' - ');
}
