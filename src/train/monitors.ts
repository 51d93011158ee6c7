// Callbacks that watch a metric every epoch (Keras' EarlyStopping, ReduceLROnPlateau,
// ModelCheckpoint).
import type { Callback, Logs, TrainingModel } from './callbacks.js';
import { checkInteger, checkKeys, checkNumber, checkOneOf } from '../validate.js';

type Mode = 'auto' | 'min' | 'max';

// Scores where higher is better (Keras' metrics with direction 'up'); losses and errors go down.
const HIGHER_IS_BETTER = /^(accuracy|acc|\w*Accuracy|auc|averagePrecision|precision|recall|f1|r2)$/i;

/** Whether 'auto' maximises a logs key: valAuc, weightedPrecision, label_f1 and val_label_r2 go up; the rest down. */
export function higherIsBetter(name: string): boolean {
  if (/acc/i.test(name)) return true;
  const base = name.replace(/_\d+$/, '').split('_').pop()!.replace(/^val(?=[A-Z])/, '').replace(/^[wW]eighted(?=[A-Z])/, '');
  return HIGHER_IS_BETTER.test(base);
}

/** Tracks the best value of one metric; 'auto' maximises accuracies and scores (AUC, F1, ...) and minimises the rest, as Keras. */
class Monitor {
  readonly maximize: boolean;
  constructor(readonly name: string, mode: Mode, readonly minDelta: number, readonly owner: string) {
    this.maximize = mode === 'max' || (mode === 'auto' && higherIsBetter(name));
  }
  initial(): number {
    return this.maximize ? -Infinity : Infinity;
  }
  improves(current: number, best: number): boolean {
    return this.maximize ? current > best + this.minDelta : current < best - this.minDelta;
  }
  read(logs: Logs | undefined): number {
    const value = logs?.[this.name];
    if (value === undefined)
      throw new Error(
        `${this.owner}: monitor '${this.name}' is not in the epoch logs (${Object.keys(logs ?? {}).join(', ')})` +
          (this.name.startsWith('val') ? '; pass validationData or validationSplit to fit()' : ''),
      );
    return value;
  }
}

const MODES = ['auto', 'min', 'max'] as const;

export interface EarlyStoppingOptions {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  /** Stop only if the metric has not reached this value. */
  baseline?: number;
  /** At the end of training, put back the weights of the best epoch. */
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
}

/** Stops training when `monitor` has not improved for `patience` epochs; can restore the best epoch's weights. */
export class EarlyStopping implements Callback {
  /** Epoch training stopped at (0 if it ran to the end). */
  stoppedEpoch = 0;
  /** Epoch with the best monitored value. */
  bestEpoch = 0;
  best = NaN;
  private readonly monitor: Monitor;
  private readonly patience: number;
  private readonly baseline: number | undefined;
  private readonly restore: boolean;
  private readonly startFrom: number;
  private model!: TrainingModel;
  private wait = 0;
  private bestWeights: ReturnType<TrainingModel['getWeights']> | undefined;

  constructor(o: EarlyStoppingOptions = {}) {
    checkKeys(o, 'earlyStopping', ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch']);
    const minDelta = Math.abs(checkNumber(o.minDelta ?? 0, 'earlyStopping: minDelta'));
    this.monitor = new Monitor(o.monitor ?? 'valLoss', checkOneOf(o.mode ?? 'auto', 'earlyStopping: mode', MODES), minDelta, 'earlyStopping');
    this.patience = checkInteger(o.patience ?? 0, 'earlyStopping: patience', 0);
    this.baseline = o.baseline === undefined ? undefined : checkNumber(o.baseline, 'earlyStopping: baseline');
    this.restore = o.restoreBestWeights ?? false;
    this.startFrom = checkInteger(o.startFromEpoch ?? 0, 'earlyStopping: startFromEpoch', 0);
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.monitor.initial();
    this.bestEpoch = 0;
    this.bestWeights = undefined;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    if (epoch < this.startFrom) return;
    const current = this.monitor.read(logs);
    if (this.restore && !this.bestWeights) this.bestWeights = this.model.getWeights();
    this.wait++;
    if (this.monitor.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restore) this.bestWeights = this.model.getWeights();
      if (this.baseline === undefined || this.monitor.improves(current, this.baseline)) {
        this.wait = 0;
        return;
      }
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restore && this.bestWeights) this.model.setWeights(this.bestWeights);
  }
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  /** New rate = rate * factor (default 0.1). */
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. */
  cooldown?: number;
  minLearningRate?: number;
}

/** Multiplies the optimizer's learning rate by `factor` when `monitor` stops improving for `patience` epochs. */
export class ReduceLROnPlateau implements Callback {
  private readonly monitor: Monitor;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLearningRate: number;
  private model!: TrainingModel;
  private wait = 0;
  private cooldownLeft = 0;
  private best = NaN;

  constructor(o: ReduceLROnPlateauOptions = {}) {
    checkKeys(o, 'reduceLROnPlateau', ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLearningRate']);
    this.factor = checkNumber(o.factor ?? 0.1, 'reduceLROnPlateau: factor', { min: 0, max: 1, maxExclusive: true });
    this.monitor = new Monitor(o.monitor ?? 'valLoss', checkOneOf(o.mode ?? 'auto', 'reduceLROnPlateau: mode', MODES), Math.abs(checkNumber(o.minDelta ?? 1e-4, 'reduceLROnPlateau: minDelta')), 'reduceLROnPlateau');
    this.patience = checkInteger(o.patience ?? 10, 'reduceLROnPlateau: patience', 0);
    this.cooldown = checkInteger(o.cooldown ?? 0, 'reduceLROnPlateau: cooldown', 0);
    this.minLearningRate = checkNumber(o.minLearningRate ?? 0, 'reduceLROnPlateau: minLearningRate', { min: 0 });
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    if (this.model.optimizer?.schedule)
      throw new Error('reduceLROnPlateau: the optimizer follows a learning-rate schedule; use a constant learningRate with this callback');
    this.wait = 0;
    this.cooldownLeft = 0;
    this.best = this.monitor.initial();
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    const current = this.monitor.read(logs);
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.wait = 0;
    }
    if (this.monitor.improves(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownLeft === 0 && ++this.wait >= this.patience) {
      const optimizer = this.model.optimizer!;
      if (optimizer.learningRate > this.minLearningRate) {
        optimizer.learningRate = Math.max(optimizer.learningRate * this.factor, this.minLearningRate);
        this.cooldownLeft = this.cooldown;
        this.wait = 0;
      }
    }
  }
}

export interface ModelCheckpointOptions {
  /** Checkpoint folder; `{epoch}` and `{step}` in it are replaced (1-based), e.g. 'ckpt/epoch-{epoch}'. */
  dir: string;
  /** Metric saveBestOnly compares (default 'valLoss'). */
  monitor?: string;
  mode?: Mode;
  /** Save only when `monitor` improved on the best so far. */
  saveBestOnly?: boolean;
  /** Save every this many epochs (default 1). */
  every?: number;
  /** Also save every this many optimizer steps, mid-epoch (PyTorch Lightning's every_n_train_steps). */
  everySteps?: number;
}

/**
 * Saves checkpoints during fit (model.save: weights, optimizer state, training position; atomic),
 * every `every` epochs, or only on improvement with saveBestOnly. Resume with fit(..., { resumeFrom: dir }).
 */
export class ModelCheckpoint implements Callback {
  /** Folders written, in order. */
  readonly saved: string[] = [];
  best = NaN;
  private readonly dir: string;
  private readonly monitor: Monitor;
  private readonly saveBestOnly: boolean;
  private readonly every: number;
  private model!: TrainingModel;
  private steps = 0;
  private epoch = 0;
  onBatchEnd?: (batch: number, logs?: Logs) => Promise<void>;

  constructor(o: ModelCheckpointOptions) {
    checkKeys(o, 'modelCheckpoint', ['dir', 'monitor', 'mode', 'saveBestOnly', 'every', 'everySteps']);
    if (typeof o?.dir !== 'string' || o.dir === '') throw new TypeError("modelCheckpoint: dir must be a folder path, e.g. 'checkpoints/run1'");
    this.dir = o.dir;
    this.monitor = new Monitor(o.monitor ?? 'valLoss', checkOneOf(o.mode ?? 'auto', 'modelCheckpoint: mode', MODES), 0, 'modelCheckpoint');
    this.saveBestOnly = o.saveBestOnly ?? false;
    if (typeof this.saveBestOnly !== 'boolean') throw new TypeError('modelCheckpoint: saveBestOnly must be a boolean');
    this.every = checkInteger(o.every ?? 1, 'modelCheckpoint: every', 1);
    if (o.everySteps !== undefined) {
      const everySteps = checkInteger(o.everySteps, 'modelCheckpoint: everySteps', 1);
      // Only then does the callback watch batches (which makes fit run one native call per step).
      this.onBatchEnd = async (batch: number) => {
        if (++this.steps % everySteps === 0) await this.write(this.epoch + 1, batch + 1);
      };
    }
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  onTrainBegin(): void {
    this.best = this.monitor.initial();
    this.steps = 0;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    if ((epoch + 1) % this.every !== 0) return;
    if (this.saveBestOnly) {
      const current = this.monitor.read(logs);
      if (!this.monitor.improves(current, this.best)) return;
      this.best = current;
    }
    await this.write(epoch + 1, 0);
  }

  private async write(epoch: number, step: number): Promise<void> {
    const dir = this.dir.replaceAll('{epoch}', String(epoch)).replaceAll('{step}', String(step));
    await this.model.save(dir);
    this.saved.push(dir);
  }
}

export const callbacks = {
  earlyStopping: (o?: EarlyStoppingOptions) => new EarlyStopping(o),
  reduceLROnPlateau: (o?: ReduceLROnPlateauOptions) => new ReduceLROnPlateau(o),
  modelCheckpoint: (o: ModelCheckpointOptions) => new ModelCheckpoint(o),
};
