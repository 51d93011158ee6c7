// Float64 reference implementations of every op and loss, written
// independently of the native code, for finite-difference gradient checks.
export type Vec = Float64Array;

export function dense(x: Vec, rows: number, inputs: number, kernel: Vec, bias: Vec | null, units: number): Vec {
  const y = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++)
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u] : 0;
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * kernel[i * units + u];
      y[r * units + u] = s;
    }
  return y;
}

const erf = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse for gradient checks; use a series/continued fraction to ~1e-15.
  const t = Math.abs(x);
  let result: number;
  if (t < 2.5) {
    let sum = t, term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    result = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz)
    let f = t, c = t, d = 0;
    for (let n = 1; n < 200; n++) {
      const an = n / 2;
      d = t + an * d;
      d = 1 / d;
      c = t + an / c;
      f *= c * d;
    }
    result = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -result : result;
};

export function activation(name: string, x: Vec, alpha = 0.3): Vec {
  return x.map((v) => {
    switch (name) {
      case 'relu': return Math.max(0, v);
      case 'leakyRelu': return v > 0 ? v : alpha * v;
      case 'sigmoid': return 1 / (1 + Math.exp(-v));
      case 'tanh': return Math.tanh(v);
      case 'gelu': return 0.5 * v * (1 + erf(v / Math.SQRT2));
      default: return v;
    }
  });
}

export function softmaxRows(x: Vec, cols: number): Vec {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += (y[r * cols + c] = Math.exp(x[r * cols + c] - mx));
    for (let c = 0; c < cols; c++) y[r * cols + c] /= s;
  }
  return y;
}

export function embedding(ids: Int32Array, table: Vec, dim: number): Vec {
  const y = new Float64Array(ids.length * dim);
  ids.forEach((id, i) => y.set(table.subarray(id * dim, (id + 1) * dim), i * dim));
  return y;
}

// ---- losses (means as the native code defines them) ----

export function mse(pred: Vec, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - target[i]) ** 2;
  return s / pred.length;
}

export function softmaxCrossEntropy(logits: Vec, labels: Int32Array): number {
  const classes = logits.length / labels.length;
  let s = 0;
  labels.forEach((label, r) => {
    let mx = -Infinity;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, logits[r * classes + c]);
    let e = 0;
    for (let c = 0; c < classes; c++) e += Math.exp(logits[r * classes + c] - mx);
    s += Math.log(e) + mx - logits[r * classes + label];
  });
  return s / labels.length;
}

export function binaryCrossEntropy(logits: Vec, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i], t = target[i];
    s += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return s / logits.length;
}

// ---- the native dropout mask, re-derived with BigInt arithmetic ----

const MASK = (1n << 64n) - 1n;
export function mix64(z: bigint): bigint {
  z &= MASK;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}
export function uniformAt(seed: bigint, stream: bigint, index: bigint): number {
  const h = mix64(seed ^ mix64((stream + 0x9e3779b97f4a7c15n) & MASK) ^ mix64((index * 0xd1b54a32d192ed03n) & MASK));
  return Number(h >> 40n) / 16777216;
}
/** Keep-mask scale (0 or 1 / (1 - rate)) of a dropout node on the program's `forward`-th training pass. */
export function dropoutScale(n: number, rate: number, fitSeed: number, layerSeed: number, forward: number, node: number): Vec {
  const seed = BigInt(fitSeed) ^ mix64(BigInt(layerSeed) + 1n);
  const stream = (BigInt(forward) << 16n) | BigInt(node);
  return Float64Array.from({ length: n }, (_, i) => (uniformAt(seed, stream, BigInt(i)) >= rate ? 1 / (1 - rate) : 0));
}

/**
 * 2-D pooling over channels-last samples [h, w, c]: each window's maximum or mean over the input
 * positions it covers ('same': TensorFlow's padding, which is never a maximum nor counted in a mean).
 */
export function pool2d(x: Vec, batch: number, [h, w, c]: number[], [ph, pw]: number[], [sh, sw]: number[], same: boolean, reduce: 'max' | 'mean'): Vec {
  const oh = same ? Math.ceil(h / sh) : Math.floor((h - ph) / sh) + 1, ow = same ? Math.ceil(w / sw) : Math.floor((w - pw) / sw) + 1;
  const top = same ? Math.floor(Math.max(0, (oh - 1) * sh + ph - h) / 2) : 0, left = same ? Math.floor(Math.max(0, (ow - 1) * sw + pw - w) / 2) : 0;
  const y = new Float64Array(batch * oh * ow * c);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity, s = 0, n = 0;
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) {
              const yy = oy * sh - top + i, xx = ox * sw - left + j;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              const v = x[((b * h + yy) * w + xx) * c + ch];
              m = Math.max(m, v), s += v, n++;
            }
          y[((b * oh + oy) * ow + ox) * c + ch] = reduce === 'max' ? m : s / n;
        }
  return y;
}
