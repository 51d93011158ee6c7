// A data set fit() can train on: tensors in memory (copied into native memory once per fit),
// or batches streamed from an (async) iterable for data that does not fit in memory: each
// batch is checked and copied natively as it arrives, then trained on in one step.
import { Tensor } from '../tensor.js';
import { checkInteger, describe } from '../validate.js';

/**
 * One streamed batch: features and labels with the same number of rows ({ xs, ys } as tfjs also
 * works). For a model with several inputs or outputs, x or y is an array (in their order) or an
 * object by name, as fit takes them.
 */
export type Batch = ({ x: BatchData; y: BatchData } | { xs: BatchData; ys: BatchData }) & {
  /** A weight per row (fit's sampleWeight for this batch): a float32 tensor [rows], a Float32Array or numbers. */
  sampleWeight?: Tensor | Float32Array | number[];
};
type BatchData = Tensor | Tensor[] | Record<string, Tensor>;

/** Rows of a tensor, or of the first tensor of an array or object of them; undefined when it is none of those. */
function rowsOf(v: unknown): number | undefined {
  const first = v instanceof Tensor ? v : Array.isArray(v) ? v[0] : typeof v === 'object' && v !== null ? Object.values(v)[0] : undefined;
  const all = v instanceof Tensor ? [v] : Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [];
  return first instanceof Tensor && all.every((t) => t instanceof Tensor) ? first.shape[0] : undefined;
}
type BatchIterable = AsyncIterable<Batch> | Iterable<Batch>;
/**
 * Which epoch a source function is asked for, and in a data-parallel fit which rank asks: a
 * source shards itself by rank and worldSize (every rank must yield the same number of batches).
 */
export interface EpochContext {
  epoch: number;
  rank: number;
  worldSize: number;
}
/** A function returning a fresh iterable per epoch (an async generator function, say), or an iterable. */
export type BatchSource = ((context: EpochContext) => BatchIterable) | BatchIterable;

export interface BatchesOptions {
  /** Batches per epoch: the progress bar's total, and where an endless source stops each epoch. */
  batchesPerEpoch?: number;
}

export class Dataset {
  private constructor(
    /** Set for an in-memory data set. */
    readonly tensors: { x: BatchData; y: BatchData } | undefined,
    private readonly source: BatchSource | undefined,
    readonly batchesPerEpoch: number | undefined,
  ) {}

  /** An in-memory data set; fit() uses it as fit(x, y). */
  static fromTensors(x: BatchData, y: BatchData): Dataset {
    if (rowsOf(x) === undefined || rowsOf(y) === undefined)
      throw new TypeError('Dataset.fromTensors: x and y must be Tensors (or, for several inputs or outputs, arrays or objects of them)');
    return new Dataset({ x, y }, undefined, undefined);
  }

  /**
   * A streamed data set: `source` yields { x, y } batches. Pass a function that returns a fresh
   * iterable (for example an async generator function) so every epoch can read it again.
   */
  static fromBatches(source: BatchSource, options: BatchesOptions = {}): Dataset {
    const iterable = (s: unknown) => typeof s === 'object' && s !== null && (Symbol.asyncIterator in s || Symbol.iterator in s);
    if (typeof source !== 'function' && !iterable(source))
      throw new TypeError(`Dataset.fromBatches: source must be a function returning an (async) iterable of { x, y } batches, or such an iterable; got ${describe(source)}`);
    const per = options.batchesPerEpoch === undefined ? undefined : checkInteger(options.batchesPerEpoch, 'Dataset.fromBatches: batchesPerEpoch', 1);
    return new Dataset(undefined, source, per);
  }

  get streamed(): boolean {
    return this.source !== undefined;
  }

  /** One epoch's batches (for rank `rank` of `worldSize`), checked to be { x, y } pairs of Tensors with matching rows. */
  async *epoch(epoch: number, rank = 0, worldSize = 1): AsyncGenerator<{ x: BatchData; y: BatchData; sampleWeight?: Tensor | Float32Array | number[] }> {
    if (!this.source) throw new Error('Dataset: epoch() is for streamed data sets');
    const made = typeof this.source === 'function' ? this.source({ epoch, rank, worldSize }) : this.source;
    const iterable = made as BatchIterable;
    if (typeof iterable !== 'object' || iterable === null || !(Symbol.asyncIterator in iterable || Symbol.iterator in iterable))
      throw new TypeError(`Dataset: the batch source function returned ${describe(made)}, not an iterable of { x, y } batches`);
    let index = 0;
    for await (const batch of iterable as AsyncIterable<Batch>) {
      const b = batch as Partial<{ x: BatchData; y: BatchData; xs: BatchData; ys: BatchData; sampleWeight: Tensor | Float32Array | number[] }>;
      const x = b?.x ?? b?.xs, y = b?.y ?? b?.ys;
      const xRows = rowsOf(x), yRows = rowsOf(y);
      if (xRows === undefined || yRows === undefined)
        throw new TypeError(`Dataset: batch ${index} of epoch ${epoch + 1} must be { x: Tensor, y: Tensor } (or { xs, ys }; arrays or objects of Tensors for several inputs or outputs), got ${describe(batch)}`);
      if (xRows !== yRows)
        throw new TypeError(`Dataset: batch ${index} of epoch ${epoch + 1} has ${xRows} rows of x but ${yRows} of y; they must match row for row`);
      index++;
      yield { x: x!, y: y!, ...(b.sampleWeight !== undefined ? { sampleWeight: b.sampleWeight } : {}) };
      // Stop before pulling another batch: an endless source makes nothing it will not train on.
      if (this.batchesPerEpoch !== undefined && index >= this.batchesPerEpoch) break;
    }
    if (index === 0)
      throw new Error(
        `Dataset: the batch source yielded no batches in epoch ${epoch + 1}` +
          (epoch > 0 && typeof this.source !== 'function' ? '; an iterable can be read only once, so pass a function that returns a fresh one for every epoch' : ''),
      );
  }
}
