// Callbacks (Keras' hooks) and the list that runs them; History, what fit() returns, is history.ts.
import type { Optimizer } from '../optim/optimizers.js';
import type { Weight } from '../tensor.js';

export type Logs = Record<string, number>;

/** What a callback may reach of the model it is attached to. */
export interface TrainingModel {
  stopTraining: boolean;
  readonly optimizer: Optimizer | undefined;
  getWeights(): Weight[];
  setWeights(weights: Weight[]): void;
  /** Writes a checkpoint folder (see Sequential.save). */
  save(dir: string): Promise<void>;
}

export interface Callback {
  /** Called by fit() before training with the model being trained. */
  setModel?(model: TrainingModel): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
}

const HOOKS = ['setModel', 'onTrainBegin', 'onEpochBegin', 'onBatchBegin', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/** Runs a list of callbacks in order, awaiting each. */
export class CallbackList {
  private readonly callbacks: Callback[];

  constructor(callbacks: Callback | Callback[] | undefined) {
    const list = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
    for (const [i, cb] of list.entries()) {
      if (typeof cb !== 'object' || cb === null) throw new TypeError(`fit: callbacks[${i}] must be an object with onEpochEnd(...) or other hooks`);
      for (const key of Object.keys(cb))
        if (key.startsWith('on') && !(HOOKS as readonly string[]).includes(key))
          throw new TypeError(`fit: callbacks[${i}] has unknown hook '${key}'; known hooks are ${HOOKS.join(', ')}`);
    }
    this.callbacks = list;
  }

  setModel(model: TrainingModel): void {
    for (const c of this.callbacks) c.setModel?.(model);
  }

  get hasBatchHooks(): boolean {
    return this.callbacks.some((c) => c.onBatchBegin || c.onBatchEnd);
  }

  async trainBegin(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs);
  }
  async epochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs);
  }
  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs);
  }
  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs);
  }
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs);
  }
  async trainEnd(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs);
  }
}
