// Seeded training gives the same bits in every process, whatever the process did before.
// Found while adding per-product BLAS threading: with OpenBLAS 0.3.21, a process whose first
// GEMM ran single-threaded (a tiny predict()) trained to different weights than a fresh one.
// The CPU backend now runs one threaded product at start-up (native/cpu/cpu_backend.cc), and
// each native call runs in one floating-point mode (native/core/float_mode.h).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const train = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/train-hash.ts', ...args], { encoding: 'utf8' }).match(/weights (\w+)/)![1];

describe('determinism across processes', () => {
  it('training gives bit-identical weights after a predict() or onnxruntime ran first', () => {
    const fresh = train();
    expect(train('--predict-first')).toBe(fresh);
    expect(train('--ort-first')).toBe(fresh);
  }, 120_000);
});
