// The floating-point mode of native calls (native/core/float_mode.h): flush-to-zero and
// denormals-are-zero on by default, on every thread that works for a call (the caller, gradloop's
// pool, OpenBLAS's threads), IEEE gradual underflow after setFlushDenormals(false), and neither
// mode leaking into JavaScript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFlushDenormals, getNumThreads, layers, optimizers, sequential, setFlushDenormals, setNumThreads, tensor } from '../src/index.js';
import { Random } from '../src/random.js';

const FLOAT32_MIN_NORMAL = 2 ** -126; // 1.18e-38

// A 512 -> 512 product on 64 rows is 33.5M FLOPs: over the threshold from which OpenBLAS runs it
// on two threads (native/cpu/cpu_backend.cc), so half of the outputs come from its worker thread.
function tinyProduct() {
  const model = sequential([layers.dense({ inputShape: [512], units: 512, useBias: false })]);
  model.setWeights([new Float32Array(512 * 512).fill(1e-20)]);
  // Each product is 1e-40, a subnormal: flushed to 0, or summed over 512 inputs to 5.1e-38.
  return model.predict(tensor(new Float32Array(64 * 512).fill(1e-20), [64, 512])).data as Float32Array;
}

// One SGD step whose kernel gradient is 1e-20 everywhere (262,144 values, enough for the sum of
// squares to run on gradloop's pool): every square is 1e-40, a subnormal, so the gradient norm
// is exactly 0 when flushing and sqrt(262,656 * 1e-40) = 5.1e-18 with gradual underflow.
async function tinyGradientNorm() {
  const model = sequential([layers.dense({ inputShape: [512], units: 512 })]);
  model.setWeights([new Float32Array(512 * 512), new Float32Array(512)]);
  model.compile({ optimizer: optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
  // mse gradient 2 (y - t) / (64 * 512) with y = 0 and t = -2.56e-18: dW = 2 * 2.56e-18 / 512 = 1e-20.
  const x = tensor(new Float32Array(64 * 512).fill(1), [64, 512]);
  const y = tensor(new Float32Array(64 * 512).fill(-2.56e-18), [64, 512]);
  const history = await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
  return history.history.gradNorm[0];
}

async function trainedBits() {
  const r = new Random(7);
  const x = tensor(Float32Array.from({ length: 256 * 20 }, () => r.uniform()), [256, 20]);
  const y = tensor(Int32Array.from({ length: 256 }, () => r.int(3)), [256], 'int32');
  const model = sequential([layers.dense({ inputShape: [20], units: 64, activation: 'relu' }), layers.dense({ units: 3 })], { seed: 3 });
  model.compile({ optimizer: optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'softmaxCrossEntropy' });
  await model.fit(x, y, { epochs: 3, batchSize: 32, seed: 5, verbose: 0 });
  return model.getWeights().map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).toString('hex')).join('');
}

describe('flush-to-zero', () => {
  let threads: number;
  beforeAll(() => {
    threads = getNumThreads();
    setNumThreads(2); // so that OpenBLAS and the pool both use a second thread, on any machine
  });
  afterAll(() => {
    setNumThreads(threads);
    setFlushDenormals(true);
  });

  it('is on by default, on the calling thread, OpenBLAS threads and gradloop pool alike', async () => {
    expect(getFlushDenormals()).toBe(true);
    expect(tinyProduct().every((v) => v === 0)).toBe(true);
    expect(await tinyGradientNorm()).toBe(0);
  });

  it('setFlushDenormals(false) gives IEEE gradual underflow everywhere, and true flushes again', async () => {
    setFlushDenormals(false);
    expect(getFlushDenormals()).toBe(false);
    const ieee = tinyProduct();
    // Subnormal products are rounded to multiples of 2^-149 (1.4e-45): a relative error of 1e-5 each.
    expect(ieee.every((v) => Math.abs(v - 512e-40) <= 1e-3 * 512e-40 && v >= FLOAT32_MIN_NORMAL)).toBe(true);
    const norm = await tinyGradientNorm();
    expect(Math.abs(norm - Math.sqrt(262_656 * 1e-40))).toBeLessThanOrEqual(1e-3 * norm);
    setFlushDenormals(true);
    expect(tinyProduct().every((v) => v === 0)).toBe(true); // OpenBLAS's threads follow the change back
    expect(await tinyGradientNorm()).toBe(0);
  });

  it('does not leak into JavaScript: subnormal doubles still work after native calls', () => {
    tinyProduct();
    const smallest = [Number.MIN_VALUE];
    expect(smallest[0] * 2).toBe(1e-323);
    expect(smallest[0] > 0).toBe(true);
  });

  it('training is bit-reproducible in each mode, and switching back gives the first mode\'s bits again', async () => {
    const flushed = await trainedBits();
    expect(await trainedBits()).toBe(flushed);
    setFlushDenormals(false);
    const ieee = await trainedBits();
    expect(await trainedBits()).toBe(ieee);
    setFlushDenormals(true);
    expect(await trainedBits()).toBe(flushed);
  });

  it('rejects a non-boolean', () => {
    expect(() => setFlushDenormals(1 as unknown as boolean)).toThrow(/setFlushDenormals: on must be true or false, got 1/);
  });
});
