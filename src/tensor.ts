// A minimal tensor: a typed array plus a shape. gradloop keeps the math in
// native code, so tensors here only carry data in and out.
export type DType = 'float32' | 'int32';
export type TypedData = Float32Array | Int32Array;

type Nested = number | Nested[];

/** One weight of a model, as getWeights() returns it and setWeights() takes it. */
export interface Weight {
  /** "<layer>/<kind>", e.g. "dense_1/kernel". */
  name: string;
  shape: number[];
  data: Float32Array;
}

export class Tensor {
  readonly data: TypedData;
  readonly shape: number[];
  readonly dtype: DType;

  constructor(data: TypedData, shape: number[], dtype: DType) {
    // The same checks as tensor(): a Tensor whose data does not fill its shape would be read past
    // its end by native code, or give results for rows that hold no data.
    if (dtype !== 'float32' && dtype !== 'int32') throw new TypeError(`Tensor: dtype must be 'float32' or 'int32', got ${String(dtype)}`);
    if (!(dtype === 'float32' ? data instanceof Float32Array : data instanceof Int32Array))
      throw new TypeError(`Tensor: ${dtype} data must be a ${dtype === 'float32' ? 'Float32Array' : 'Int32Array'}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new TypeError(`Tensor: shape must be an array of integers >= 0, got ${JSON.stringify(shape)}`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new RangeError(`Tensor: shape [${shape.join(', ')}] holds ${size} values but the data has ${data.length}`);
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }
  /** The underlying typed array (no copy), as tfjs' dataSync(). */
  dataSync(): TypedData {
    return this.data;
  }
  /** Nested plain arrays in the tensor's shape. */
  arraySync(): Nested {
    const build = (dim: number, offset: number): Nested => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
  /** Index of the largest value along the last axis, per row. */
  argMax(): Int32Array {
    const cols = this.shape[this.shape.length - 1] ?? 1;
    const rows = this.data.length / cols;
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (this.data[r * cols + c] > this.data[r * cols + best]) best = c;
      out[r] = best;
    }
    return out;
  }
  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

function inferShape(values: Nested): number[] {
  const shape: number[] = [];
  let v = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/**
 * Creates a tensor, as tfjs' `tf.tensor(values, shape?, dtype?)`.
 * `values` is a Float32Array/Int32Array (used without copying when the dtype matches),
 * a flat number array, or nested arrays whose shape is inferred.
 */
export function tensor(values: TypedData | Nested[], shape?: number[], dtype?: DType): Tensor {
  const type: DType = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  if (type !== 'float32' && type !== 'int32') throw new TypeError(`tensor: dtype must be 'float32' or 'int32', got '${String(type)}'`);
  let data: TypedData;
  let inferred: number[];
  if (values instanceof Float32Array || values instanceof Int32Array) {
    data = (type === 'int32') === values instanceof Int32Array ? values : type === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
    inferred = [values.length];
  } else if (Array.isArray(values)) {
    inferred = inferShape(values);
    const flat = (values as unknown[]).flat(Infinity) as number[];
    if (type === 'int32' && flat.some((v) => !Number.isInteger(v)))
      throw new TypeError("tensor: int32 tensors need integer values");
    data = type === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat);
  } else {
    throw new TypeError('tensor: values must be a Float32Array, an Int32Array or an array of numbers');
  }
  const finalShape = shape ?? inferred;
  if (!Array.isArray(finalShape) || finalShape.some((d) => !Number.isInteger(d) || d < 0))
    throw new TypeError(`tensor: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  const expected = finalShape.reduce((a, b) => a * b, 1);
  if (expected !== data.length)
    throw new TypeError(`tensor: shape [${finalShape.join(', ')}] holds ${expected} values but ${data.length} were given`);
  return new Tensor(data, [...finalShape], type);
}
