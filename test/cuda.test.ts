// Devices: the CPU fallback everywhere, the CUDA addon compiled wherever nvcc is (CI has nvcc and
// no GPU), and, where an NVIDIA GPU is present, parity of every op, loss and optimizer with the
// CPU backend, 200-step training parity, MNIST accuracy, memory and out-of-memory errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cudaUnavailableReason } from '../src/backend/device.js';
import { devices, layers, sequential, tensor } from '../src/index.js';
import { loadCudaAddon } from '../src/backend/native.js';
import { OP_CASES } from './cases/index.js';
import { withoutBlasWarning } from './helpers/blas-warning.js';
import { gpuChecks, randomTensor } from './helpers/gpu-checks.js';

const hasNvcc = existsSync('/usr/local/cuda/bin/nvcc') || spawnSync('nvcc', ['--version'], { stdio: 'ignore' }).status === 0;
const gpus = devices().filter((d) => d.type === 'cuda');
const noGpu = cudaUnavailableReason();

describe('devices and the CPU fallback', () => {
  it('lists the CPU first, then any CUDA devices', () => {
    const list = devices();
    expect(list[0]).toMatchObject({ type: 'cpu' });
    expect((list[0] as { threads: number }).threads).toBeGreaterThanOrEqual(1);
    for (const d of list.slice(1)) expect(d).toMatchObject({ type: 'cuda', name: expect.any(String), memory: expect.any(Number) });
  });

  // Reason for skipping: without nvcc no CUDA addon is built (CI and the dev machines have nvcc).
  it.skipIf(!hasNvcc)('builds the CUDA addon where nvcc is, and it loads without a GPU or driver (CUDA runtime linked statically)', () => {
    const { addon, reason } = loadCudaAddon();
    expect(reason).toBeUndefined();
    const list = addon!.devices();
    expect(list.runtimeVersion).toBeGreaterThanOrEqual(12000);
    if (list.devices.length === 0) expect(list.reason).toMatch(/^cuda\w+: /);
    const ldd = execFileSync('ldd', ['build/cuda/gradloop_cuda.node'], { encoding: 'utf8' });
    expect(ldd).not.toMatch(/libcudart|libcublas|openblas/); // cudart static, cuBLAS opened at run time, no BLAS
  });

  const small = (device?: string) => {
    const m = sequential([layers.dense({ inputShape: [2], units: 4, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 1 });
    m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'], ...(device ? { device: device as 'cpu' } : {}) });
    return m;
  };
  const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = tensor(Int32Array.from([0, 1, 1, 0]), [4], 'int32');

  // Reason for skipping: on a machine with a usable GPU, 'auto' picks it (tested below).
  it.skipIf(gpus.length > 0 && !noGpu)('auto runs on the CPU when no GPU is usable and says why, once per compile, in verbose output', async () => {
    const m = small();
    expect(m.device).toBe('cpu');
    const lines: string[] = [];
    await m.fit(x, y, { epochs: 2, printFn: (l) => lines.push(l) });
    const shown = withoutBlasWarning(lines);
    expect(shown[0]).toBe(`Device: cpu (device: 'auto' found no usable GPU: ${noGpu})`);
    expect(shown.slice(1).every((l) => l.startsWith('Epoch '))).toBe(true);
    lines.length = 0;
    await m.fit(x, y, { epochs: 1, printFn: (l) => lines.push(l) });
    expect(withoutBlasWarning(lines)).toHaveLength(1); // said once
    expect(() => small('cuda')).toThrow(new RegExp(`^compile: device 'cuda' is not usable: .+\\. Use device: 'auto' to run on a GPU when there is one and on the CPU otherwise, or device: 'cpu'\\.$`));
    expect(() => small('cuda:3')).toThrow(/device 'cuda:3' is not usable/);
  });

  it('checks device and precision, and explicit cpu says nothing', async () => {
    expect(() => small('gpu')).toThrow(/compile: device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>', got 'gpu'/);
    const m = sequential([layers.dense({ inputShape: [2], units: 2 })]);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', precision: 'fp16' as 'tf32' })).toThrow(/precision must be 'float32' \(default\) or 'tf32'/);
    const cpu = small('cpu');
    const lines: string[] = [];
    await cpu.fit(x, y, { epochs: 1, printFn: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Epoch 1\/1/);
  });

  it('a training set over the device data limit goes up in pieces and trains exactly the same', async () => {
    const rows = 300;
    const data = randomTensor([rows, 6], 1);
    const labels = tensor(Int32Array.from({ length: rows }, (_, i) => (data.data[i * 6] + data.data[i * 6 + 1] > 0 ? 1 : 0)), [rows], 'int32');
    const run = async (limit: string | undefined, callbacks: object[] = []) => {
      if (limit) process.env.GRADLOOP_DEVICE_DATA_BYTES = limit;
      try {
        const m = sequential([layers.dense({ inputShape: [6], units: 16, activation: 'relu' }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 2 })], { seed: 3 });
        m.compile({ optimizer: 'adam', loss: 'softmaxCrossEntropy', metrics: ['accuracy'], device: 'cpu' });
        const h = await m.fit(data, labels, { epochs: 3, batchSize: 16, validationSplit: 0.2, seed: 5, verbose: 0, callbacks });
        return { history: h.history, weights: m.getWeights().map((w) => Array.from(w.data)) };
      } finally {
        delete process.env.GRADLOOP_DEVICE_DATA_BYTES;
      }
    };
    const whole = await run(undefined);
    // 240 training rows of 28 bytes = 6,720 bytes; a 2,000-byte limit stages pieces of 4 steps.
    for (const pieces of [await run('2000'), await run('2000', [{ onBatchEnd() {} }])]) {
      expect(pieces.history).toEqual(whole.history);
      expect(pieces.weights).toEqual(whole.weights);
    }
  });

  it('dispose frees the model; using it afterwards is a clear error', async () => {
    const m = small('cpu');
    await m.fit(x, y, { epochs: 1, verbose: 0 });
    m.dispose();
    expect(() => m.predict(x)).toThrow(/model 'sequential_\d+' was disposed/);
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(/was disposed/);
  });
});

// ---------------------------------------------------------------------------------------------
// On a GPU: test/helpers/gpu-checks.ts, shared with the standalone runner scripts/gpu/check.ts.
// Reason for skipping: no usable NVIDIA GPU here (the reason is in the suite's name).
describe.skipIf(gpus.length === 0 || !!noGpu)(`on the GPU (skipped: ${noGpu ?? ''})`, () => {
  for (const check of gpuChecks(OP_CASES)) it(check.name, async () => { await check.run(); });
});
