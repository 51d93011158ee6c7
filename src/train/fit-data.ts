// The fit's data on the model's device. The training set is copied once and every step gathers
// its batch there by row index; a set too large for the device goes up in pieces (the rows of each
// run of steps); streamed batches go up one by one. Everything is freed when the fit ends (a GPU's
// memory should not wait for the GC).
import type { Device } from '../backend/device.js';
import { deviceDataLimit } from '../backend/device.js';
import type { NativeDataset } from '../backend/native.js';
import { rowsOf, takeRows } from '../model/inputs.js';
import type { Tensor } from '../tensor.js';
import type { FitSets } from './fit-options.js';

/** Rows of the training set as a native call takes them: a data set, row indices into it, and what frees it. */
export interface StagedRows {
  data: NativeDataset;
  rows: Int32Array;
  release(): void;
}

export class FitData {
  /** Training rows (0 for streamed batches). */
  readonly rows: number;
  /** Bytes of one training row (features and label). */
  readonly bytesPerRow: number;
  /** The training set goes up in pieces: it is larger than the device's data limit. */
  readonly staged: boolean;
  readonly dataLimit: number;
  private readonly train?: NativeDataset;
  readonly validation?: { data: NativeDataset; rows: Int32Array; weights?: Float32Array };
  private localRows = new Int32Array(0);

  constructor(private readonly device: Device, private readonly sets: FitSets) {
    const { stream, trainX, trainY, valX, valY } = sets;
    this.rows = stream ? 0 : rowsOf(trainX);
    this.bytesPerRow = stream ? 0 : (trainX.data.byteLength + trainY.data.byteLength) / this.rows;
    this.dataLimit = stream ? Infinity : deviceDataLimit(device);
    this.staged = this.bytesPerRow * this.rows > this.dataLimit;
    if (!stream && !this.staged) this.train = device.dataset(trainX.data, trainX.shape.slice(1), trainY.data, trainY.shape.slice(1), sets.trainW);
    if (valX && valY) {
      const data = device.dataset(valX.data, valX.shape.slice(1), valY.data, valY.shape.slice(1), sets.valW);
      this.validation = { data, rows: Int32Array.from({ length: data.rows }, (_, i) => i), weights: sets.valW };
    }
  }

  /** 0..m-1: the rows of a streamed batch or a staged piece, each in its own copy. */
  identity(m: number): Int32Array {
    if (this.localRows.length < m) this.localRows = Int32Array.from({ length: m }, (_, i) => i);
    return this.localRows.subarray(0, m);
  }

  /** The data set and row indices a native call uses for `rows` of the training set. */
  stage(rows: Int32Array): StagedRows {
    if (this.train) return { data: this.train, rows, release() {} };
    const xs = takeRows(this.sets.trainX, rows), ys = takeRows(this.sets.trainY, rows);
    const w = this.sets.trainW && Float32Array.from(rows, (r) => this.sets.trainW![r]);
    const data = this.device.dataset(xs.data, xs.shape.slice(1), ys.data, ys.shape.slice(1), w);
    return { data, rows: this.identity(rows.length), release: () => data.dispose() };
  }

  /** A streamed batch, checked by the caller, on the device (with a weight per row, when it has them). */
  batch(x: Tensor, y: Tensor, weights?: Float32Array): StagedRows {
    const data = this.device.dataset(x.data, x.shape.slice(1), y.data, y.shape.slice(1), weights);
    return { data, rows: this.identity(rowsOf(x)), release: () => data.dispose() };
  }

  /** How many steps of `rowsPerStep` rows one staged piece may hold. */
  stepsPerPiece(rowsPerStep: number): number {
    return this.staged ? Math.max(1, Math.floor(this.dataLimit / this.bytesPerRow / rowsPerStep)) : Infinity;
  }

  dispose(): void {
    this.train?.dispose();
    this.validation?.data.dispose();
  }
}
