// The training loop, top to bottom: epochs -> batches -> callbacks. The options are checked and
// the data split before anything runs (fit-options.ts); the data goes to the model's device once
// (fit-data.ts); each step then sends only the batch's row indices, and runs off the main thread
// so timers keep firing.
import type { CallbackList, Logs, TrainingModel } from './callbacks.js';
import type { Dataset } from '../data/dataset.js';
import { History } from './history.js';
import { checkFeatures, checkTargets, type ModelInput, rowsOf } from '../model/inputs.js';
import type { LabelSpec, LossName, LossOptions } from '../model/losses.js';
import { GradientHealth } from './gradient-health.js';
import type { Device } from '../backend/device.js';
import { decodeSteps, type NativeProgram, type StepResult } from '../backend/native.js';
import type { Optimizer } from '../optim/optimizers.js';
import { deriveSeed, Random } from '../random.js';
import { createProgress, type Progress } from './progress.js';
import type { HeadMetrics, MetricTotals } from '../metrics/compute.js';
import type { Metric } from '../metrics/metrics.js';
import type { DistributedJob } from '../distributed/index.js';
import { agree, anyRank, checkReplicas, everyRankHasBatch, joinForFit, shardRows } from './data-parallel.js';
import { allgather } from '../distributed/index.js';
import { FitData, type StagedRows } from './fit-data.js';
import { classWeights, type FitData as FitInput, type FitOptions, type FitSettings, positionAt, readFitOptions, readSampleWeight, splitFitData, type TrainingPosition } from './fit-options.js';

export { FIT_KEYS, type FitOptions, type TrainingPosition } from './fit-options.js';
export type { FitInput as FitData };

/** What compile() fixed: the loop's view of a compiled model. */
export interface CompiledModel {
  optimizer: Optimizer;
  loss: LossName;
  /** As given to compile (losses.<name>({ fromLogits })); undefined for the plain name. */
  fromLogits?: boolean;
  /** softmaxCrossEntropy's padding label, when compile gave one. */
  ignoreIndex?: number;
  /** huber's delta, and the cross-entropies' label smoothing, when compile gave them. */
  delta?: number;
  labelSmoothing?: number;
  /** As compile took them (names, or metrics.<name>() options); weightedMetrics weighted by the samples. */
  metrics: Metric[];
  weightedMetrics: Metric[];
  /** Per output: its metrics, checked against its loss, with what to collect natively. */
  metricHeads: HeadMetrics[];
  labels: LabelSpec;
  clipNorm: number;
  clipValue: number;
  /**
   * A model with several outputs: each one's name, loss, labels, metrics and weight in the total;
   * `labels` is then their packed form and `metrics` empty (the history has them per output).
   */
  heads?: ({ name: string; loss: LossName; labels: LabelSpec; metrics: Metric[]; weightedMetrics: Metric[]; weight: number } & LossOptions)[];
}

/** How the model follows a fit: a resume point to start from, and where the fit stands after every step. */
export interface FitTracking {
  resume?: { epoch: number; step: number; seed: number; worldSize?: number };
  /** Lines printed before the first epoch (which device compile's 'auto' picked and why, warnings). */
  notes?: string[];
  onPosition(position: TrainingPosition): void;
}

type Built = { program: NativeProgram; input: ModelInput; device: Device };

// Consecutive steps per native call aim at this much work, so timers fire at least this often.
const CHUNK_MS = 10;
const MAX_CHUNK = 256;

export async function fitLoop(model: TrainingModel, built: Built, compiled: CompiledModel, data: FitInput, options: FitOptions, tracking?: FitTracking): Promise<History> {
  const settings = readFitOptions(options, tracking?.resume);
  const sets = splitFitData(data, built.input, compiled, options, settings);
  const job = joinForFit(options.distributed, sets.stream, settings, tracking?.resume ? tracking.resume.worldSize ?? 1 : undefined);
  const program = built.program;
  program.setGradientControl(compiled.clipNorm, compiled.clipValue, settings.terminateOnNaN);
  program.setMetrics(compiled.metricHeads.map((h) => h.plan));
  if (!job) return new FitRun(model, built, compiled, settings, options, new FitData(built.device, sets), sets.stream, tracking).run();
  // Data parallel: every rank starts from rank 0's weights, optimizer state and seed.
  agree(settings, job);
  const note = built.device.joinCollective?.(job.timeoutSeconds); // a GPU: NCCL, or host memory and why
  if (note && tracking) tracking.notes = [...(tracking.notes ?? []), `Distributed: ${note}`];
  program.setDistributed(true);
  try {
    program.broadcastState();
    return await new FitRun(model, built, compiled, settings, options, new FitData(built.device, sets), sets.stream, tracking).run();
  } finally {
    program.setDistributed(false);
  }
}

/** One epoch's running totals: the sample-weighted loss, accuracy, gradient norms and the rate. */
class EpochStats {
  lossSum = 0;
  correct = 0;
  counted = 0;
  seen = 0;
  normSum = 0;
  normMax = 0;
  steps = 0;
  lastRate = NaN;
  readonly started = performance.now();

  /** Several outputs: each one's loss sum, correct count and count over the epoch. */
  heads: { lossSum: number; correct: number; counted: number }[] = [];

  add(r: StepResult, size: number): void {
    r.heads?.forEach((h, k) => {
      const sums = (this.heads[k] ??= { lossSum: 0, correct: 0, counted: 0 });
      sums.lossSum += h.loss * size;
      sums.correct += h.correct;
      sums.counted += h.count;
    });
    this.lossSum += r.loss * size;
    this.seen += size;
    this.correct += r.correct;
    this.counted += r.count;
    this.normSum += r.gradNorm;
    this.normMax = Math.max(this.normMax, r.gradNorm);
    this.steps++;
  }

  /** Keras reports the sample-weighted mean of the batch losses seen during the epoch. */
  logs(compiled: CompiledModel): Logs {
    const logs: Logs = { loss: this.lossSum / this.seen };
    if (!compiled.heads && compiled.metricHeads[0].nativeAccuracy) logs.accuracy = this.correct / this.counted;
    compiled.heads?.forEach((h, k) => Object.assign(logs, headLogs(compiled, k, this.heads[k] ? { loss: this.heads[k].lossSum / this.seen, correct: this.heads[k].correct, count: this.heads[k].counted } : undefined)));
    return logs;
  }
}

/** One output's entries in the logs, named as Keras names them: label_loss, label_accuracy (prefix: 'val_'). */
export function headLogs(compiled: CompiledModel, k: number, r: { loss: number; correct: number; count: number } | undefined, prefix = ''): Logs {
  if (!r) return {};
  const name = compiled.heads![k].name;
  return { [`${prefix}${name}_loss`]: r.loss, ...(compiled.metricHeads[k].nativeAccuracy ? { [`${prefix}${name}_accuracy`]: r.correct / r.count } : {}) };
}

/** A metric's key in the logs: precision, valPrecision; several outputs: label_precision, val_label_precision. */
export function metricKey(compiled: CompiledModel, k: number, validation: boolean): (name: string) => string {
  if (compiled.heads) return (n) => `${validation ? 'val_' : ''}${compiled.heads![k].name}_${n}`;
  return (n) => (validation ? `val${n[0].toUpperCase()}${n.slice(1)}` : n);
}

/** The whole-epoch metrics from the native totals (one per output; null: none asked for). */
export function metricLogs(compiled: CompiledModel, totals: (MetricTotals | null)[], validation: boolean): Logs {
  const logs: Logs = {};
  compiled.metricHeads.forEach((h, k) => totals[k] && Object.assign(logs, h.values(totals[k]!, metricKey(compiled, k, validation))));
  return logs;
}

/** The confusion matrices asked for, keyed as metricLogs keys the metrics. */
export function metricMatrices(compiled: CompiledModel, totals: (MetricTotals | null)[], validation: boolean): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  compiled.metricHeads.forEach((h, k) => {
    const key = metricKey(compiled, k, validation);
    if (totals[k]) for (const [name, m] of Object.entries(h.matrices(totals[k]!))) out[key(name)] = m;
  });
  return out;
}

class FitRun {
  private readonly history = new History();
  private readonly progress: Progress;
  private readonly health: GradientHealth;
  private readonly parameterNames: string[];
  private readonly withAccuracy: boolean;
  private readonly callbacks: CallbackList;
  private readonly order: Int32Array;
  // The epoch's rows this process trains on: the whole order, or a rank's shard of it.
  private epochRows: Int32Array;
  private readonly job: DistributedJob | undefined;
  // With accumulation a step (one update) covers accumulateSteps batches.
  private readonly rowsPerStep: number;
  private readonly microBatch: number;
  // A streamed source's length is known once an epoch has read it (or from batchesPerEpoch).
  private stepsPerEpoch: number | undefined;
  private chunk = 1; // steps per native call when no callback watches single batches

  constructor(
    private readonly model: TrainingModel,
    private readonly built: Built,
    private readonly compiled: CompiledModel,
    private readonly settings: FitSettings,
    private readonly options: FitOptions,
    private readonly data: FitData,
    private readonly stream: Dataset | undefined,
    private readonly tracking: FitTracking | undefined,
  ) {
    const { batchSize, accumulateSteps, epochs, initialEpoch, verbose } = settings;
    this.job = settings.job;
    const ranks = this.job?.worldSize ?? 1;
    // A data-parallel step: each rank takes batchSize / ranks rows of the global batch.
    this.rowsPerStep = (batchSize / ranks) * accumulateSteps;
    this.microBatch = accumulateSteps > 1 ? batchSize : 0;
    this.stepsPerEpoch = stream ? stream.batchesPerEpoch : Math.ceil(Math.ceil(data.rows / ranks) / this.rowsPerStep);
    this.withAccuracy = !compiled.heads && compiled.metricHeads[0].nativeAccuracy;
    this.parameterNames = built.program.parameters().map((p) => p.name);
    this.health = new GradientHealth(this.parameterNames);
    this.callbacks = settings.callbacks;
    this.order = new Int32Array(data.rows);
    this.epochRows = this.order;
    this.history.params = { epochs, initialEpoch, batchSize, samples: data.rows, steps: this.stepsPerEpoch ?? 0, accumulateSteps };
    this.progress = createProgress(verbose, options.printFn);
  }

  async run(): Promise<History> {
    const { initialEpoch, epochs } = this.settings;
    this.tracking?.onPosition(this.position(initialEpoch, this.tracking.resume?.step ?? 0));
    this.model.stopTraining = false;
    this.callbacks.setModel(this.model);
    try {
      for (const line of this.tracking?.notes ?? []) this.progress.log(line);
      await this.callbacks.trainBegin({});
      for (let epoch = initialEpoch; epoch < epochs && !this.model.stopTraining; epoch++) await this.epoch(epoch);
      await this.callbacks.trainEnd({});
    } finally {
      this.progress.stop();
      this.data.dispose();
    }
    return this.history;
  }

  private position(epoch: number, step: number): TrainingPosition {
    return positionAt(this.settings, this.options, epoch, step);
  }

  private async epoch(epoch: number): Promise<void> {
    const { epochs, shuffle, seed, initialEpoch } = this.settings;
    const stats = new EpochStats();
    this.compiled.optimizer.epoch = epoch;
    await this.callbacks.epochBegin(epoch, {});
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    // Each epoch's shuffle depends only on (seed, epoch): a resumed run reproduces it.
    if (shuffle) new Random(deriveSeed(seed, epoch)).shuffle(this.order);
    this.epochRows = this.job ? shardRows(this.order, this.job.rank, this.job.worldSize) : this.order;
    this.progress.epochBegin(epoch, epochs, this.stepsPerEpoch);
    const firstStep = epoch === initialEpoch && this.tracking?.resume ? this.tracking.resume.step : 0;
    const step = this.stream ? await this.streamedEpoch(epoch, firstStep, stats) : await this.inMemoryEpoch(epoch, firstStep, stats);
    await this.endEpoch(epoch, step, stats);
  }

  /** Streamed: each batch is checked, copied to the device and trained on as it comes. */
  private async streamedEpoch(epoch: number, firstStep: number, stats: EpochStats): Promise<number> {
    const { input } = this.built;
    let step = firstStep, index = 0;
    // In a data-parallel fit each rank streams its own shard (the source gets rank and worldSize).
    const batches = this.stream!.epoch(epoch, this.job?.rank ?? 0, this.job?.worldSize ?? 1)[Symbol.asyncIterator]();
    for (;;) {
      const next = await batches.next();
      if (this.job && !everyRankHasBatch(!next.done, epoch, index)) break;
      if (next.done) break;
      const batch = next.value;
      if (index++ < firstStep) continue; // a resumed epoch skips the batches the checkpoint had trained on
      if (this.model.stopTraining) break;
      const where = `fit: streamed batch ${index - 1} of epoch ${epoch + 1}`;
      const x = checkFeatures(batch.x, `${where}: x`, input);
      const y = checkTargets(batch.y, `${where}: y`, rowsOf(x), this.compiled, `${where}: x`);
      // The batch's own weights, times the classes' (fit's classWeight).
      const own = batch.sampleWeight === undefined ? undefined : readSampleWeight(batch.sampleWeight, rowsOf(x), `${where}: sampleWeight`);
      const byClass = this.options.classWeight === undefined ? undefined : classWeights(this.options.classWeight, y, this.compiled.labels, 'fit: classWeight');
      const weights = own && byClass ? own.map((w, i) => w * byClass[i]) : own ?? byClass;
      await this.oneStep(this.data.batch(x, y, weights), epoch, step, stats);
      step++;
    }
    if (!this.model.stopTraining) this.stepsPerEpoch = step;
    this.history.params.steps = this.stepsPerEpoch ?? step;
    this.history.params.samples = Math.max(this.history.params.samples, stats.seen);
    return step;
  }

  /** In memory: one native call per step when a callback watches batches, else runs of steps. */
  private async inMemoryEpoch(epoch: number, firstStep: number, stats: EpochStats): Promise<number> {
    const n = this.epochRows.length;
    let step = firstStep;
    while (step < this.stepsPerEpoch! && !this.model.stopTraining) {
      const start = step * this.rowsPerStep;
      if (this.callbacks.hasBatchHooks) {
        // A callback may inspect or stop each batch: one native call per step.
        await this.oneStep(this.data.stage(this.epochRows.subarray(start, Math.min(start + this.rowsPerStep, n))), epoch, step, stats);
        step++;
      } else {
        step += await this.runOfSteps(epoch, step, stats);
      }
    }
    return step;
  }

  /** One native call for one step (one batch), with the batch callbacks around it. */
  private async oneStep(piece: StagedRows, epoch: number, step: number, stats: EpochStats): Promise<void> {
    const size = piece.rows.length;
    await this.callbacks.batchBegin(step, { size });
    const optimizer = this.compiled.optimizer;
    stats.lastRate = optimizer.rateAt(optimizer.iterations, epoch);
    let r: StepResult;
    try {
      r = await this.built.program.trainStep(piece.data, piece.rows, stats.lastRate, this.settings.seed, this.microBatch);
    } finally {
      piece.release();
    }
    this.record(r, size, epoch, step, stats);
    this.warn();
    this.showProgress(step + 1, stats);
    const batchLogs: Logs = { batch: step, size, loss: r.loss, gradNorm: r.gradNorm };
    if (this.withAccuracy) batchLogs.accuracy = r.correct / r.count;
    await this.callbacks.batchEnd(step, batchLogs);
    this.agreeToStop();
  }

  /**
   * Nothing observes single batches: `chunk` consecutive steps per native call, sized to about
   * CHUNK_MS of work, so the thread hand-off per call is amortised while timers still run every
   * few milliseconds. The steps, and so the results, are the same. Returns the steps that ran.
   */
  private async runOfSteps(epoch: number, step: number, stats: EpochStats): Promise<number> {
    const n = this.epochRows.length, optimizer = this.compiled.optimizer, start = step * this.rowsPerStep;
    const k = Math.min(this.chunk, this.stepsPerEpoch! - step, this.data.stepsPerPiece(this.rowsPerStep));
    const piece = this.data.stage(this.epochRows.subarray(start, Math.min(start + k * this.rowsPerStep, n)));
    const rates = Float64Array.from({ length: k }, (_, i) => optimizer.rateAt(optimizer.iterations + i, epoch));
    stats.lastRate = rates[k - 1];
    const t0 = performance.now();
    let values: Float64Array;
    try {
      values = await this.built.program.trainSteps(piece.data, piece.rows, this.rowsPerStep, rates, this.settings.seed, this.microBatch);
    } finally {
      piece.release();
    }
    const results = decodeSteps(values, this.parameterNames.length, this.compiled.heads?.length ?? 1); // fewer than k when a step was not finite
    const perStep = (performance.now() - t0) / results.length;
    this.chunk = Math.max(1, Math.min(MAX_CHUNK, Math.floor(CHUNK_MS / Math.max(perStep, 1e-3))));
    results.forEach((r, i) => this.record(r, Math.min(this.rowsPerStep, n - (start + i * this.rowsPerStep)), epoch, step + i, stats));
    this.warn();
    this.showProgress(step + results.length, stats);
    return results.length;
  }

  /** One step's results, after the native call applied it (or refused it: not finite). */
  private record(r: StepResult, size: number, epoch: number, step: number, stats: EpochStats): void {
    this.stopOnNonFinite(r.nonFinite, epoch, step);
    this.compiled.optimizer.iterations++;
    stats.add(r, size * (this.job?.worldSize ?? 1)); // a data-parallel step trains on every rank's rows
    this.health.step(epoch, step, r.gradNorm, r.gradSquares, r.weightSquares);
    this.tracking?.onPosition(this.position(epoch, step + 1));
  }

  /** A non-finite step: stop with the epoch, step and first layer (the step was not applied). */
  private stopOnNonFinite(nonFinite: number, epoch: number, step: number): void {
    if (!this.settings.terminateOnNaN || nonFinite === -2) return;
    // -1: the loss; k >= 0: parameter k's gradient; -3 - k: parameter k's update overflowed float32.
    const name = this.parameterNames[nonFinite <= -3 ? -3 - nonFinite : nonFinite];
    const where = nonFinite === -1 ? 'the loss'
      : nonFinite <= -3 ? `the update of '${name}' (layer '${name.split('/')[0]}') would have overflowed float32: its weights or optimizer state`
      : `the gradient of '${name}' (the first layer affected: '${name.split('/')[0]}')`;
    throw new Error(
      `fit: ${where} became NaN or Infinity at epoch ${epoch + 1}, step ${step + 1}; training stopped and that step was not applied, ` +
        'so the weights are those from before it. Lower the learning rate, standardize the inputs, or clip gradients with compile({ clipNorm }).',
    );
  }

  private async endEpoch(epoch: number, step: number, stats: EpochStats): Promise<void> {
    const program = this.built.program, compiled = this.compiled;
    const logs = stats.logs(compiled);
    // The epoch's whole-epoch metrics (precision, AUC, ...), and the totals start over.
    const trained = program.readMetrics(0, true, !!this.job);
    Object.assign(logs, metricLogs(compiled, trained, false));
    this.history.confusionMatrices = metricMatrices(compiled, trained, false);
    const validation = this.data.validation;
    if (validation) {
      const v = this.job ? await this.validateShared(validation) : await program.evaluate(validation.data, validation.rows, this.settings.validationBatchSize);
      logs.valLoss = v.loss;
      if (this.withAccuracy) logs.valAccuracy = v.correct / v.count;
      compiled.heads?.forEach((_, k) => Object.assign(logs, headLogs(compiled, k, v.heads?.[k], 'val_')));
      const evaluated = program.readMetrics(1, true, !!this.job);
      Object.assign(logs, metricLogs(compiled, evaluated, true));
      Object.assign(this.history.confusionMatrices, metricMatrices(compiled, evaluated, true));
    }
    if (this.job) checkReplicas(program, this.job, epoch);
    if (Number.isFinite(stats.lastRate)) logs.learningRate = stats.lastRate; // the rate of the epoch's last step
    if (stats.steps > 0) {
      logs.gradNorm = stats.normSum / stats.steps; // global gradient norm before clipping: mean and max over the epoch's steps
      logs.gradNormMax = stats.normMax;
    }
    this.health.endEpoch(epoch, this.history.layers);
    this.history.record(epoch, logs);
    if (step === this.stepsPerEpoch) this.tracking?.onPosition(this.position(epoch + 1, 0)); // a checkpoint saved now resumes at the next epoch
    const ms = performance.now() - stats.started;
    const steps = `${step}/${this.stepsPerEpoch ?? step}`;
    this.progress.epochEnd(formatEpoch(epoch, this.settings.epochs, steps, ms, Math.round(stats.seen / (ms / 1000)), logs));
    this.warn();
    await this.callbacks.epochEnd(epoch, logs);
    this.agreeToStop();
  }

  /**
   * Data parallel: each rank evaluates rows rank, rank + N, ... of the validation data, and the
   * ranks' losses (weighted by their rows or sample weights) and counts add up to the whole set's;
   * the metrics' totals are combined when read.
   */
  private async validateShared(validation: NonNullable<FitData['validation']>): Promise<Pick<StepResult, 'loss' | 'correct' | 'count' | 'heads'>> {
    const { rank, worldSize } = this.job!;
    const rows = validation.rows.filter((_, i) => i % worldSize === rank);
    const program = this.built.program;
    const r = rows.length ? await program.evaluate(validation.data, rows, this.settings.validationBatchSize) : undefined;
    if (!r) program.readMetrics(1, true); // no rows here: an earlier evaluate's totals must not count
    let weight = rows.length;
    if (validation.weights) weight = rows.reduce((sum, i) => sum + validation.weights![i], 0);
    const heads = this.compiled.heads?.length ?? 0;
    const mine = [r ? r.loss * weight : 0, weight, r?.correct ?? 0, r?.count ?? 0];
    for (let k = 0; k < heads; k++) mine.push(r?.heads ? r.heads[k].loss * weight : 0, r?.heads?.[k].correct ?? 0, r?.heads?.[k].count ?? 0);
    const all = allgather(mine, 'fit: combining the validation loss');
    const sum = mine.map((_, i) => all.reduce((s, values) => s + values[i], 0));
    const divisor = sum[1] > 0 ? sum[1] : 1;
    return {
      loss: sum[0] / divisor, correct: sum[2], count: sum[3],
      ...(heads ? { heads: Array.from({ length: heads }, (_, k) => ({ loss: sum[4 + 3 * k] / divisor, correct: sum[5 + 3 * k], count: sum[6 + 3 * k] })) } : {}),
    };
  }

  /** Data parallel: a callback that stops training on one rank stops every rank (else the others wait for it). */
  private agreeToStop(): void {
    if (this.job) this.model.stopTraining = anyRank(this.model.stopTraining);
  }

  private warn(): void {
    const warnings = this.health.drain();
    this.history.warnings.push(...warnings);
    for (const w of warnings) this.progress.log(`Warning: ${w.message}`);
  }

  private showProgress(done: number, stats: EpochStats): void {
    this.progress.update(done, {
      loss: stats.lossSum / stats.seen,
      accuracy: this.withAccuracy ? stats.correct / stats.counted : undefined,
      samplesPerSecond: stats.seen / ((performance.now() - stats.started) / 1000),
    });
  }
}

function formatEpoch(epoch: number, epochs: number, steps: string, ms: number, samplesPerSecond: number, logs: Logs): string {
  // Small values (learning rates, converged losses) keep their digits: 1.00e-5, not 0.0000.
  const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4)}`);
  return [`Epoch ${epoch + 1}/${epochs}`, steps, `${(ms / 1000).toFixed(1)}s`, `${samplesPerSecond} samples/s`, ...parts].join(' - ');
}
