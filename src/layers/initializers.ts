// Weight initializers with Keras' definitions and names. Each takes the
// weight's shape with its fan-in/fan-out and a seeded generator.
import { Random } from '../random.js';
import { checkNumber, checkOneOf } from '../validate.js';

export interface Initializer {
  readonly name: string;
  getConfig(): Record<string, unknown>;
  /** Values for a weight of `size` elements. */
  generate(size: number, fanIn: number, fanOut: number, random: Random): Float32Array;
}

// Keras' truncated normal divides by this so the kept samples have the target stddev.
const TRUNCATED_STDDEV_CORRECTION = 0.87962566103423978;

function uniform(size: number, limit: number, random: Random): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (random.uniform() * 2 - 1) * limit;
  return out;
}

/** Normal samples re-drawn outside two standard deviations, as Keras' TruncatedNormal. */
function truncatedNormal(size: number, stddev: number, random: Random): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let z = random.normal();
    while (Math.abs(z) > 2) z = random.normal();
    out[i] = z * stddev;
  }
  return out;
}

/**
 * Keras' Orthogonal: the weight as a matrix of fanIn rows (a kernel's inputs) and size / fanIn
 * columns, drawn N(0, 1), made orthogonal by a QR decomposition with the signs of R's diagonal
 * (so the result is uniform over orthogonal matrices), transposed when it has more columns than
 * rows, times gain. The QR is modified Gram-Schmidt in float64 over the taller side's columns.
 */
function orthogonal(size: number, rows: number, gain: number, random: Random): Float32Array {
  const cols = size / rows;
  const [long, short] = rows >= cols ? [rows, cols] : [cols, rows];
  // a: `short` columns of length `long`, column-major.
  const a = new Float64Array(long * short);
  for (let i = 0; i < long; i++) for (let j = 0; j < short; j++) a[j * long + i] = random.normal();
  for (let j = 0; j < short; j++) {
    const q = a.subarray(j * long, (j + 1) * long);
    for (let k = 0; k < j; k++) {
      const p = a.subarray(k * long, (k + 1) * long);
      let dot = 0;
      for (let i = 0; i < long; i++) dot += p[i] * q[i];
      for (let i = 0; i < long; i++) q[i] -= dot * p[i];
    }
    let norm = 0;
    for (let i = 0; i < long; i++) norm += q[i] * q[i];
    norm = Math.sqrt(norm); // R's diagonal entry, positive: Keras' q * sign(diag(r)) is this q
    for (let i = 0; i < long; i++) q[i] /= norm;
  }
  const out = new Float32Array(size);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? a[c * long + r] : a[r * long + c]);
  return out;
}

const make = (name: string, config: Record<string, unknown>, generate: Initializer['generate']): Initializer => ({
  name,
  getConfig: () => ({ ...config }),
  generate,
});

export const initializers = {
  /** U(-l, l) with l = sqrt(6 / (fanIn + fanOut)). The default for dense kernels. */
  glorotUniform: (): Initializer =>
    make('glorotUniform', {}, (n, fi, fo, r) => uniform(n, Math.sqrt(6 / (fi + fo)), r)),
  /** Truncated normal with stddev sqrt(2 / (fanIn + fanOut)). */
  glorotNormal: (): Initializer =>
    make('glorotNormal', {}, (n, fi, fo, r) => truncatedNormal(n, Math.sqrt(2 / (fi + fo)) / TRUNCATED_STDDEV_CORRECTION, r)),
  /** U(-l, l) with l = sqrt(6 / fanIn). */
  heUniform: (): Initializer => make('heUniform', {}, (n, fi, _fo, r) => uniform(n, Math.sqrt(6 / fi), r)),
  /** Truncated normal with stddev sqrt(2 / fanIn). */
  heNormal: (): Initializer =>
    make('heNormal', {}, (n, fi, _fo, r) => truncatedNormal(n, Math.sqrt(2 / fi) / TRUNCATED_STDDEV_CORRECTION, r)),
  zeros: (): Initializer => make('zeros', {}, (n) => new Float32Array(n)),
  ones: (): Initializer => make('ones', {}, (n) => new Float32Array(n).fill(1)),
  /** U(minval, maxval); Keras' default for embeddings is U(-0.05, 0.05). */
  randomUniform: ({ minval = -0.05, maxval = 0.05 }: { minval?: number; maxval?: number } = {}): Initializer => {
    checkNumber(minval, 'randomUniform: minval');
    checkNumber(maxval, 'randomUniform: maxval', { min: minval });
    return make('randomUniform', { minval, maxval }, (n, _fi, _fo, r) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = minval + (maxval - minval) * r.uniform();
      return out;
    });
  },
  /**
   * A random orthogonal matrix times gain (Keras' Orthogonal; the default recurrent kernel of
   * recurrent layers, which keeps the state's scale over many steps). The weight is read as
   * fanIn rows (its last axis the columns).
   */
  orthogonal: ({ gain = 1 }: { gain?: number } = {}): Initializer => {
    checkNumber(gain, 'orthogonal: gain');
    return make('orthogonal', { gain }, (n, fi, _fo, r) => orthogonal(n, fi, gain, r));
  },
  /** N(mean, stddev). */
  randomNormal: ({ mean = 0, stddev = 0.05 }: { mean?: number; stddev?: number } = {}): Initializer => {
    checkNumber(mean, 'randomNormal: mean');
    checkNumber(stddev, 'randomNormal: stddev', { min: 0 });
    return make('randomNormal', { mean, stddev }, (n, _fi, _fo, r) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = mean + stddev * r.normal();
      return out;
    });
  },
};

export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'zeros' | 'ones' | 'randomUniform' | 'randomNormal' | 'orthogonal';
const NAMES: InitializerName[] = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'zeros', 'ones', 'randomUniform', 'randomNormal', 'orthogonal'];

/** Accepts a name, an initializer object, or a saved config { name, config } (getConfig's form). */
export function getInitializer(value: InitializerName | Initializer | { name: string; config?: Record<string, unknown> }, argument: string): Initializer {
  if (typeof value === 'object' && value !== null && typeof (value as Initializer).generate === 'function') return value as Initializer;
  if (typeof value === 'object' && value !== null && 'name' in value) {
    const name = checkOneOf(value.name, `${argument}.name`, NAMES);
    return (initializers[name] as (config?: Record<string, unknown>) => Initializer)((value as { config?: Record<string, unknown> }).config ?? {});
  }
  return initializers[checkOneOf(value, argument, NAMES)]();
}
