// Devices: the CPU fallback everywhere, the CUDA addon compiled wherever nvcc is (CI has nvcc and
// no GPU), and, where an NVIDIA GPU is present, parity of every op, loss and optimizer with the
// CPU backend, 200-step training parity, MNIST accuracy, memory and out-of-memory errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../examples/mnist-data.js';
import { MNIST_FIT } from '../examples/mnist-model.js';
import { cudaUnavailableReason } from '../src/device.js';
import { devices, layers, optimizers, sequential, tensor, type Layer, type LossName, type Optimizer, type Sequential, type Tensor } from '../src/index.js';
import { loadCudaAddon } from '../src/native.js';

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
    expect(lines[0]).toBe(`Device: cpu (device: 'auto' found no usable GPU: ${noGpu})`);
    expect(lines.slice(1).every((l) => l.startsWith('Epoch '))).toBe(true);
    lines.length = 0;
    await m.fit(x, y, { epochs: 1, printFn: (l) => lines.push(l) });
    expect(lines).toHaveLength(1); // said once
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
// On a GPU. Reason for skipping: no usable NVIDIA GPU here (the reason is in the suite's name).

/** ||a - b|| / ||b||, in float64. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
}

function randomTensor(shape: number[], seed: number, scale = 1): Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2 * scale);
  return tensor(data, shape);
}

describe.skipIf(gpus.length === 0 || !!noGpu)(`on the GPU (skipped: ${noGpu ?? ''})`, () => {
  const twin = (make: () => Layer[], loss: LossName, optimizer: () => Optimizer, device: string) => {
    const m = sequential(make(), { seed: 11 });
    m.compile({ optimizer: optimizer(), loss, metrics: ['accuracy'], device: device as 'cpu' });
    return m;
  };

  // One training step (forward, loss, backward, update) from the same weights on both backends:
  // outputs, losses and the weight change (the gradient times the rate) must agree.
  const cases: { name: string; layers: () => Layer[]; features: number; ids?: number; loss: LossName; classes: number; optimizer: () => Optimizer }[] = [
    ...(['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'gelu', 'softmax'] as const).map((activation) => ({
      name: `dense ${activation}`,
      layers: () => [layers.dense({ inputShape: [37], units: 64, activation }), layers.dense({ units: 5 })],
      features: 37, loss: 'softmaxCrossEntropy' as LossName, classes: 5, optimizer: () => optimizers.sgd({ learningRate: 0.5 }),
    })),
    { name: 'dropout', layers: () => [layers.dense({ inputShape: [20], units: 128, activation: 'relu' }), layers.dropout({ rate: 0.3 }), layers.dense({ units: 4 })], features: 20, loss: 'softmaxCrossEntropy', classes: 4, optimizer: () => optimizers.sgd({ learningRate: 0.5 }) },
    { name: 'embedding + flatten', layers: () => [layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 6 }), layers.flatten(), layers.dense({ units: 3 })], features: 6, ids: 50, loss: 'softmaxCrossEntropy', classes: 3, optimizer: () => optimizers.sgd({ learningRate: 0.5 }) },
    { name: 'mse', layers: () => [layers.dense({ inputShape: [9], units: 16, activation: 'tanh' }), layers.dense({ units: 3 })], features: 9, loss: 'mse', classes: 0, optimizer: () => optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }) },
    { name: 'binaryCrossEntropy', layers: () => [layers.dense({ inputShape: [9], units: 16, activation: 'gelu' }), layers.dense({ units: 1 })], features: 9, loss: 'binaryCrossEntropy', classes: 0, optimizer: () => optimizers.adam({ learningRate: 0.01 }) },
    { name: 'adamw + sgd weight decay', layers: () => [layers.dense({ inputShape: [12], units: 32, activation: 'relu' }), layers.dense({ units: 6 })], features: 12, loss: 'softmaxCrossEntropy', classes: 6, optimizer: () => optimizers.adamw({ learningRate: 0.01, weightDecay: 0.01 }) },
  ];

  for (const c of cases) {
    it(`${c.name}: forward, loss, backward and update match the CPU (relative error <= 1e-4)`, async () => {
      const rows = 96;
      const x = c.ids
        ? tensor(Int32Array.from({ length: rows * c.features }, (_, i) => (i * 7919) % c.ids!), [rows, c.features], 'int32')
        : randomTensor([rows, c.features], 3);
      const y = c.loss === 'softmaxCrossEntropy'
        ? tensor(Int32Array.from({ length: rows }, (_, i) => (i * 31) % c.classes), [rows], 'int32')
        : c.loss === 'mse' ? randomTensor([rows, 3], 5) : tensor(Float32Array.from({ length: rows }, (_, i) => i % 2), [rows, 1]);
      const cpu = twin(c.layers, c.loss, c.optimizer, 'cpu');
      const gpu = twin(c.layers, c.loss, c.optimizer, 'cuda');
      expect(gpu.device).toBe('cuda:0');
      const before = cpu.getWeights();
      expect(relativeError(gpu.predict(x).data, cpu.predict(x).data)).toBeLessThanOrEqual(1e-4);
      const hc = await cpu.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, seed: 9, verbose: 0 });
      const hg = await gpu.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, seed: 9, verbose: 0 });
      expect(Math.abs(hg.history.loss[0] - hc.history.loss[0]) / Math.abs(hc.history.loss[0])).toBeLessThanOrEqual(1e-4);
      cpu.getWeights().forEach((w, i) => {
        const g = gpu.getWeights()[i].data;
        const stepCpu = w.data.map((v, k) => v - before[i].data[k]);
        const stepGpu = g.map((v, k) => v - before[i].data[k]);
        expect(relativeError(stepGpu, stepCpu), `${w.name} update`).toBeLessThanOrEqual(1e-4);
      });
      cpu.dispose();
      gpu.dispose();
    });
  }

  it('the same model, seed and data train 200 steps with losses within 1e-3 relative at every step', async () => {
    const { xTrain, yTrain } = await loadMnist(3200);
    const make = (device: string) => {
      const m = sequential([layers.dense({ inputShape: [784], units: 256, activation: 'relu' }), layers.dropout({ rate: 0.1 }), layers.dense({ units: 10 })], { seed: 4 });
      m.compile({ optimizer: optimizers.adam({ learningRate: 1e-3 }), loss: 'softmaxCrossEntropy', device: device as 'cpu' });
      return m;
    };
    const losses = async (m: Sequential) => {
      const out: number[] = [];
      await m.fit(xTrain, yTrain, { epochs: 4, batchSize: 64, seed: 2, verbose: 0, callbacks: [{ onBatchEnd: (_b, logs) => { out.push(logs!.loss); } }] });
      return out;
    };
    const [cpu, gpu] = [await losses(make('cpu')), await losses(make('cuda'))];
    expect(cpu).toHaveLength(200);
    cpu.forEach((l, i) => expect(Math.abs(gpu[i] - l) / l, `step ${i}`).toBeLessThanOrEqual(1e-3));
  });

  it('MNIST reaches the same accuracy on the GPU', async () => {
    const { xTrain, yTrain, xTest, yTest } = await loadMnist();
    const run = async (device: string) => {
      const m = sequential([layers.dense({ inputShape: [784], units: 512, activation: 'relu' }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 256, activation: 'relu' }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 10 })], { seed: 7 });
      m.compile({ optimizer: optimizers.adam({ learningRate: 2e-3 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'], device: device as 'cpu' });
      await m.fit(xTrain, yTrain, { ...MNIST_FIT, verbose: 0 });
      return (await m.evaluate(xTest, yTest)).accuracy!;
    };
    const [cpu, gpu] = [await run('cpu'), await run('cuda')];
    expect(gpu).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(gpu - cpu)).toBeLessThanOrEqual(0.005);
  });

  it('20 consecutive fits do not grow device memory; dispose gives it back', async () => {
    const { addon } = loadCudaAddon();
    const x = randomTensor([4096, 512], 1);
    const y = tensor(Int32Array.from({ length: 4096 }, (_, i) => i % 10), [4096], 'int32');
    const m = twin(() => [layers.dense({ inputShape: [512], units: 1024, activation: 'relu' }), layers.dense({ units: 10 })], 'softmaxCrossEntropy', () => optimizers.adam(), 'cuda');
    await m.fit(x, y, { epochs: 1, batchSize: 256, verbose: 0 }); // warm: activations and scratch allocated
    const start = addon!.memoryInfo(0).free;
    for (let i = 0; i < 20; i++) await m.fit(x, y, { epochs: 1, batchSize: 256, verbose: 0 });
    expect(start - addon!.memoryInfo(0).free).toBeLessThan(4 << 20); // not one 8 MiB data set leaked
    m.dispose();
    expect(addon!.memoryInfo(0).free).toBeGreaterThan(start);
  });

  it('out of memory is an Error naming the tensor size, not a crash', () => {
    const m = sequential([layers.dense({ inputShape: [200_000], units: 200_000 })]); // a 160 GB kernel
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', device: 'cuda' })).toThrow(/out of GPU memory: cannot allocate a tensor of 160000000000 bytes \(152587 MiB\) on cuda:0/);
  });

  it("precision: 'tf32' trains on tensor cores", async () => {
    const x = randomTensor([512, 64], 2);
    const y = tensor(Int32Array.from({ length: 512 }, (_, i) => (x.data[i * 64] > 0 ? 1 : 0)), [512], 'int32');
    const m = sequential([layers.dense({ inputShape: [64], units: 64, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 1 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'], device: 'cuda', precision: 'tf32' });
    const h = await m.fit(x, y, { epochs: 20, batchSize: 64, verbose: 0 });
    expect(h.history.accuracy.at(-1)).toBeGreaterThan(0.95);
  });
});
