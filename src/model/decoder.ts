// Incremental decoding with a key/value cache (model.decoder()): a second native program built
// from the same graph and a copy of the weights, which runs one position per call. Causal
// attention layers keep the keys and values of the positions already fed, so position t costs
// one position's work instead of t + 1 (native/ops/attention, Program::decode).
import type { NativeProgram } from '../backend/native.js';
import { Tensor } from '../tensor.js';
import { shapeString } from '../validate.js';
import type { ModelInput } from './inputs.js';

export class Decoder {
  /** The most positions it holds: the model's steps. */
  readonly positions: number;
  /** Per-sample shape of what next() returns: the first output at one position (e.g. [vocabulary]). */
  readonly outputShape: number[];
  private program: NativeProgram | undefined;
  private at = 0;
  private batch = 0;

  /** @internal made by model.decoder(). */
  constructor(program: NativeProgram, private readonly input: ModelInput, positions: number, outputShape: number[]) {
    this.program = program;
    this.positions = positions;
    this.outputShape = outputShape;
  }

  /** Positions fed since the last reset (the next one's index). */
  get position(): number {
    return this.at;
  }

  /**
   * Feeds every sample's next position and returns the first output there, [batch, ...outputShape].
   * `x` is one position per sample: for a model of token ids, the ids (an array or Int32Array, one
   * per sample); otherwise a Tensor [batch, ...one position's shape]. The batch size stays the
   * same until reset().
   */
  next(x: ArrayLike<number> | Tensor): Tensor {
    const program = this.program;
    if (!program) throw new Error('decoder: it was disposed');
    const per = this.input.shape.slice(1);
    const tokens = this.input.dtype === 'int32';
    let data: Int32Array | Float32Array;
    let batch: number;
    if (x instanceof Tensor) {
      if (x.rank < 1 || !sameTail(x.shape.slice(1), per) || x.dtype !== this.input.dtype)
        throw new TypeError(`decoder.next: x must be ${this.input.dtype} ${shapeString([null, ...per])} (one position per sample), got ${x.dtype} ${shapeString(x.shape)}`);
      data = x.data;
      batch = x.shape[0];
    } else {
      if (!tokens) throw new TypeError(`decoder.next: the model takes float32 ${shapeString(this.input.shape)} samples; pass a Tensor ${shapeString([null, ...per])}`);
      const ids = Array.from(x as ArrayLike<number>);
      ids.forEach((id, i) => {
        if (!Number.isInteger(id)) throw new TypeError(`decoder.next: token id ${id} of sample ${i} is not an integer`);
      });
      data = Int32Array.from(ids);
      batch = data.length;
    }
    if (batch < 1) throw new RangeError('decoder.next: no samples');
    if (this.at > 0 && batch !== this.batch) throw new RangeError(`decoder.next: ${batch} samples after ${this.batch}; call reset() to start a new batch`);
    if (this.at >= this.positions) throw new RangeError(`decoder.next: all ${this.positions} positions of the model are used; call reset() and feed the recent context again`);
    if (tokens) {
      const vocab = this.input.vocab;
      for (let i = 0; i < data.length; i++) {
        if (vocab && (data[i] < 0 || data[i] >= vocab.size))
          throw new RangeError(`decoder.next: token id ${data[i]} of sample ${i} is outside [0, ${vocab?.size}) of layer '${vocab?.layer}'`);
      }
    } else {
      for (let i = 0; i < data.length; i++)
        if (data[i] - data[i] !== 0) throw new RangeError(`decoder.next: ${data[i]} at index ${i}; inputs must be finite`);
    }
    const out = program.decode(data, batch, this.at);
    this.at += 1;
    this.batch = batch;
    return new Tensor(out, [batch, ...this.outputShape], 'float32');
  }

  /** Forgets every position: the next call is position 0 again (of any batch size). */
  reset(): void {
    this.at = 0;
  }

  /** Frees its native memory (a copy of the weights and the caches) now. */
  dispose(): void {
    this.program?.dispose();
    this.program = undefined;
  }
}

function sameTail(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

