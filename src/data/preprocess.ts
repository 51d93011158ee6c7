// Feature scaling fitted on the training set and applied unchanged to validation, test and
// prediction inputs (as scikit-learn's StandardScaler/MinMaxScaler), and one-hot labels.
import { Tensor } from '../tensor.js';
import { checkInteger, describe } from '../validate.js';

export interface ScalerJSON {
  kind: 'standardize' | 'normalize';
  /** Per-feature offset and divisor: x' = (x - offset) / scale. */
  offset: number[];
  scale: number[];
  /** Per-sample shape the scaler was fitted on. */
  featureShape: number[];
}

/** A fitted per-feature affine map: x' = (x - offset) / scale. */
export class Scaler {
  readonly kind: 'standardize' | 'normalize';
  readonly offset: Float32Array;
  readonly scale: Float32Array;
  readonly featureShape: number[];

  constructor(kind: 'standardize' | 'normalize', offset: Float32Array, scale: Float32Array, featureShape: number[]) {
    this.kind = kind;
    this.offset = offset;
    this.scale = scale;
    this.featureShape = featureShape;
  }

  /** Scales x (float32 [n, ...featureShape]) into a new tensor. */
  transform(x: Tensor): Tensor {
    const features = this.offset.length;
    checkFeatureTensor(x, `${this.kind}().transform`);
    const per = x.size / x.shape[0];
    if (per !== features)
      throw new TypeError(`${this.kind}().transform: the scaler was fitted on ${features} features per sample (shape [${this.featureShape.join(', ')}]) but x has ${per} (shape [${x.shape.join(', ')}])`);
    const out = new Float32Array(x.size);
    const d = x.data;
    for (let i = 0; i < d.length; i++) {
      const f = i % features;
      out[i] = (d[i] - this.offset[f]) / this.scale[f];
    }
    return new Tensor(out, [...x.shape], 'float32');
  }

  /** Undoes transform. */
  inverseTransform(x: Tensor): Tensor {
    const features = this.offset.length;
    const out = new Float32Array(x.size);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] * this.scale[i % features] + this.offset[i % features];
    return new Tensor(out, [...x.shape], 'float32');
  }

  toJSON(): ScalerJSON {
    return { kind: this.kind, offset: Array.from(this.offset), scale: Array.from(this.scale), featureShape: [...this.featureShape] };
  }

  static fromJSON(json: ScalerJSON): Scaler {
    if (!json || (json.kind !== 'standardize' && json.kind !== 'normalize') || !Array.isArray(json.offset) || !Array.isArray(json.scale) || json.offset.length !== json.scale.length)
      throw new TypeError('Scaler.fromJSON: expected { kind, offset[], scale[], featureShape[] } as written by toJSON()');
    return new Scaler(json.kind, Float32Array.from(json.offset), Float32Array.from(json.scale), [...(json.featureShape ?? [json.offset.length])]);
  }
}

function checkFeatureTensor(x: unknown, name: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${name}: x must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') throw new TypeError(`${name}: x must be float32, got ${x.dtype}`);
  if (x.rank < 2 || x.shape[0] === 0) throw new TypeError(`${name}: x must have shape [samples, features...] with at least one sample, got [${x.shape.join(', ')}]`);
}

/** Per-feature statistics over the rows, in float64. */
function columnStats(x: Tensor, name: string) {
  checkFeatureTensor(x, name);
  const features = x.size / x.shape[0];
  const rows = x.shape[0];
  const sum = new Float64Array(features), min = new Float64Array(features).fill(Infinity), max = new Float64Array(features).fill(-Infinity);
  const d = x.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i], f = i % features;
    if (v - v !== 0) throw new RangeError(`${name}: x holds ${v} at sample ${Math.floor(i / features)}, feature ${f}; remove or impute NaN/Infinity first`);
    sum[f] += v;
    if (v < min[f]) min[f] = v;
    if (v > max[f]) max[f] = v;
  }
  const mean = sum.map((s) => s / rows);
  const sq = new Float64Array(features);
  for (let i = 0; i < d.length; i++) {
    const dev = d[i] - mean[i % features];
    sq[i % features] += dev * dev;
  }
  return { features, mean, std: sq.map((s) => Math.sqrt(s / rows)), min, max };
}

/**
 * Fits zero mean, unit variance per feature on x (the training set) and returns the scaler;
 * apply it with scaler.transform(x) to train, validation and test data alike. Constant
 * features are centred and left unscaled.
 */
export function standardize(x: Tensor): Scaler {
  const s = columnStats(x, 'standardize');
  return new Scaler('standardize', Float32Array.from(s.mean), Float32Array.from(s.std, (v) => (v > 0 ? v : 1)), x.shape.slice(1));
}

/** Fits a min-max map of each feature to [0, 1] on x (the training set); constant features map to 0. */
export function normalize(x: Tensor): Scaler {
  const s = columnStats(x, 'normalize');
  return new Scaler('normalize', Float32Array.from(s.min), Float32Array.from(s.max, (hi, f) => (hi > s.min[f] ? hi - s.min[f] : 1)), x.shape.slice(1));
}

/** Class indices [n] -> float32 one-hot rows [n, numClasses]. */
export function oneHot(labels: Tensor | Int32Array | number[], numClasses: number): Tensor {
  checkInteger(numClasses, 'oneHot: numClasses', 1);
  const values = labels instanceof Tensor ? labels.data : labels;
  if (labels instanceof Tensor && (labels.dtype !== 'int32' || labels.rank !== 1))
    throw new TypeError(`oneHot: labels must be int32 class indices of shape [n], got ${labels.dtype} [${labels.shape.join(', ')}]`);
  if (!(values instanceof Int32Array) && !Array.isArray(values)) throw new TypeError(`oneHot: labels must be a Tensor, an Int32Array or an array, got ${describe(labels)}`);
  const out = new Float32Array(values.length * numClasses);
  for (let i = 0; i < values.length; i++) {
    const c = values[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`oneHot: label ${c} at sample ${i} is outside [0, ${numClasses}); raise numClasses or fix the label`);
    out[i * numClasses + c] = 1;
  }
  return new Tensor(out, [values.length, numClasses], 'float32');
}
