// Two optimizer steps against values computed by hand from the PyTorch definitions.
// Model: one weight w (dense, 1 unit, no bias, w0 = 1), input 1, target 0, mse:
// loss = w^2, so the gradient is g = 2w.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, loadModel, type Optimizer, optimizers, sequential, tensor } from '../src/index.js';

async function twoSteps(optimizer: Optimizer): Promise<number[]> {
  const model = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false, kernelInitializer: 'ones' })]);
  model.compile({ optimizer, loss: 'mse' });
  const seen: number[] = [];
  await model.fit(tensor([[1]]), tensor([[0]]), {
    epochs: 2, batchSize: 1, shuffle: false, verbose: 0,
    callbacks: { onBatchEnd: () => void seen.push(model.getWeights()[0].data[0]) },
  });
  return seen;
}

describe('optimizers, two steps from w = 1 with g = 2w', () => {
  it('sgd: w -= lr g', async () => {
    // w1 = 1 - 0.1 * 2 = 0.8; w2 = 0.8 - 0.1 * 1.6 = 0.64
    const [w1, w2] = await twoSteps(optimizers.sgd({ learningRate: 0.1 }));
    expect(w1).toBeCloseTo(0.8, 6);
    expect(w2).toBeCloseTo(0.64, 6);
  });

  it('sgd with momentum 0.9 (buffer starts at the first gradient)', async () => {
    // b1 = 2, w1 = 1 - 0.2 = 0.8; g = 1.6, b2 = 0.9 * 2 + 1.6 = 3.4, w2 = 0.8 - 0.34 = 0.46
    const [w1, w2] = await twoSteps(optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }));
    expect(w1).toBeCloseTo(0.8, 6);
    expect(w2).toBeCloseTo(0.46, 6);
  });

  it('sgd with Nesterov momentum', async () => {
    // b1 = 2, d = 2 + 0.9 * 2 = 3.8, w1 = 0.62; g = 1.24, b2 = 1.8 + 1.24 = 3.04,
    // d = 1.24 + 0.9 * 3.04 = 3.976, w2 = 0.62 - 0.3976 = 0.2224
    const [w1, w2] = await twoSteps(optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }));
    expect(w1).toBeCloseTo(0.62, 6);
    expect(w2).toBeCloseTo(0.2224, 6);
  });

  it('sgd with weight decay (L2 added to the gradient)', async () => {
    // d = 2w + 0.1w = 2.1w: w1 = 1 - 0.21 = 0.79, w2 = 0.79 * 0.79 = 0.6241
    const [w1, w2] = await twoSteps(optimizers.sgd({ learningRate: 0.1, weightDecay: 0.1 }));
    expect(w1).toBeCloseTo(0.79, 6);
    expect(w2).toBeCloseTo(0.6241, 6);
  });

  it('adam with bias correction', async () => {
    // t=1: m = 0.2, v = 0.004, m^ = 2, v^ = 4, w1 = 1 - 0.1 * 2 / (2 + 1e-8) = 0.9
    // t=2: g = 1.8, m = 0.36, v = 0.007236, m^ = 0.36 / 0.19 = 1.894737, v^ = 0.007236 / 0.001999 = 3.619810,
    //      w2 = 0.9 - 0.1 * 1.894737 / 1.902580 = 0.8004122
    const [w1, w2] = await twoSteps(optimizers.adam({ learningRate: 0.1 }));
    expect(w1).toBeCloseTo(0.9, 6);
    expect(w2).toBeCloseTo(0.8004122, 6);
  });

  it('adamw: decoupled weight decay shrinks the weight before the Adam step', async () => {
    // t=1: w = 1 * (1 - 0.1 * 0.1) = 0.99, then - 0.1 * 2 / 2 -> 0.89
    // t=2: g = 1.78, w = 0.89 * 0.99 = 0.8811, m = 0.358, v = 0.0071644, m^ = 1.884211, v^ = 3.583992,
    //      w2 = 0.8811 - 0.1 * 1.884211 / 1.893143 = 0.7815719
    const [w1, w2] = await twoSteps(optimizers.adamw({ learningRate: 0.1, weightDecay: 0.1 }));
    expect(w1).toBeCloseTo(0.89, 6);
    expect(w2).toBeCloseTo(0.7815719, 6);
  });

  it('adam with weightDecay adds the L2 term to the gradient (torch.optim.Adam)', async () => {
    // g1 = 2 + 0.1 = 2.1 -> w1 = 1 - 0.1 = 0.9 (the first Adam step has size lr);
    // t=2: g = 1.8 + 0.09 = 1.89, m = 0.21 * 0.9 + 0.189 = 0.378, v = 0.999 * 0.00441 + 0.001 * 3.5721 = 0.00797769,
    //      m^ = 1.989474, v^ = 3.990840, w2 = 0.9 - 0.1 * 1.989474 / 1.997709 = 0.8004122
    const [w1, w2] = await twoSteps(optimizers.adam({ learningRate: 0.1, weightDecay: 0.1 }));
    expect(w1).toBeCloseTo(0.9, 6);
    expect(w2).toBeCloseTo(0.8004122, 6);
  });

  // The optimizers of issue 20 against PyTorch 1.13 (torch.optim, float64, the same w0 = 1 and
  // loss w^2; the numbers come from running it, and the first steps are checked by hand).
  it.each([
    // rmsprop t=1: v = 0.01 * 4 = 0.04, w1 = 1 - 0.01 * 2 / (0.2 + 1e-8) = 0.9
    ['rmsprop', optimizers.rmsprop(), 0.900000005, 0.832917968],
    ['rmsprop with momentum 0.5', optimizers.rmsprop({ momentum: 0.5 }), 0.900000005, 0.78291797],
    ['rmsprop centered, momentum 0.9, weightDecay 0.1', optimizers.rmsprop({ centered: true, momentum: 0.9, weightDecay: 0.1 }), 0.899496223, 0.74130598],
    // adagrad t=1: sum = 0.2 + 4, w1 = 1 - 0.1 * 2 / sqrt(4.2) = 0.902410; t=2: rate 0.1 / 1.5
    ['adagrad, lrDecay 0.5, initialAccumulatorValue 0.2', optimizers.adagrad({ learningRate: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.2 }), 0.902409993, 0.858349471],
    // adadelta t=1: v = 0.4, delta = sqrt(1e-6) / sqrt(0.400001) * 2 = 0.0031623, w1 = 0.9968377
    ['adadelta', optimizers.adadelta(), 0.996837726, 0.993598174],
    ['adadelta, rho 0.8, weightDecay 0.1', optimizers.adadelta({ rho: 0.8, weightDecay: 0.1 }), 0.997763933, 0.995409259],
    // adamax t=1: m = 0.2, u = 2 + 1e-8, w1 = 1 - (0.1 / 0.1) * 0.2 / 2 = 0.9
    ['adamax', optimizers.adamax({ learningRate: 0.1 }), 0.9, 0.805168327],
    // nadam: PyTorch's documented algorithm and its foreach path (torch 1.13's default single-tensor
    // path multiplies mu into the next product twice, 0.895047 here; fixed in PyTorch 2.0).
    // t=1: mu1 = 0.9 (1 - 0.5 * 0.96^0.004) = 0.4500735, mu2 = 0.4501470, denom = 2,
    //      w1 = 1 - 0.1 * 2 / 2 - 0.1 * mu2 / (1 - mu1 mu2) * 0.2 / 2 = 0.8943548
    ['nadam', optimizers.nadam({ learningRate: 0.1 }), 0.894354821, 0.819973069],
    ['nadam, weightDecay 0.1, momentumDecay 0.01', optimizers.nadam({ learningRate: 0.1, weightDecay: 0.1, momentumDecay: 0.01 }), 0.894351006, 0.819975073],
    // amsgrad t=2: v falls (beta2 0.5: 1.5 < 2), so the step divides by v1, where plain Adam gives -0.021026
    ['adam with amsgrad', optimizers.adam({ learningRate: 0.5, beta2: 0.5, amsgrad: true }), 0.500000002, 0.04877821],
    ['adamw with amsgrad, weightDecay 0.1', optimizers.adamw({ learningRate: 0.5, beta2: 0.5, amsgrad: true, weightDecay: 0.1 }), 0.450000002, -0.007606726],
    // lion (by hand): t=1: sign(0.1 * 2) -> w1 = 1 - 0.1 = 0.9, m = 0.01 * 2 = 0.02; t=2: sign(0.018 + 0.18) -> 0.8
    ['lion', optimizers.lion({ learningRate: 0.1 }), 0.9, 0.8],
    // weightDecay 0.5 decoupled: w1 = 1 * 0.95 - 0.1 = 0.85; w2 = 0.85 * 0.95 - 0.1 = 0.7075
    ['lion, weightDecay 0.5', optimizers.lion({ learningRate: 0.1, weightDecay: 0.5 }), 0.85, 0.7075],
  ] as const)('%s', async (_name, optimizer, first, second) => {
    const [w1, w2] = await twoSteps(optimizer);
    expect(w1).toBeCloseTo(first, 6);
    expect(w2).toBeCloseTo(second, 6);
  });

  it('the new optimizers save with the model and continue where they stopped (their state is in the checkpoint)', async () => {
    for (const make of [() => optimizers.nadam({ learningRate: 0.05 }), () => optimizers.rmsprop({ centered: true, momentum: 0.5 }), () => optimizers.adam({ amsgrad: true, learningRate: 0.05 })]) {
      const x = tensor(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [16, 2]), y = tensor(Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [16, 1]);
      const build = () => {
        const m = sequential([layers.dense({ inputShape: [2], units: 4, activation: 'tanh' }), layers.dense({ units: 1 })], { seed: 3 });
        m.compile({ optimizer: make(), loss: 'mse' });
        return m;
      };
      const straight = build();
      await straight.fit(x, y, { epochs: 4, batchSize: 4, seed: 1, verbose: 0 });
      const first = build();
      await first.fit(x, y, { epochs: 2, batchSize: 4, seed: 1, verbose: 0 });
      const dir = mkdtempSync(path.join(tmpdir(), 'gradloop-opt-'));
      await first.save(dir);
      const resumed = await loadModel(dir);
      await resumed.fit(x, y, { epochs: 4, batchSize: 4, seed: 1, verbose: 0, resumeFrom: dir });
      expect(Array.from(resumed.getWeights()[0].data)).toEqual(Array.from(straight.getWeights()[0].data));
      expect(resumed.compileConfig!.optimizer.getConfig()).toEqual(make().getConfig());
    }
  });

  it('refuses bad hyperparameters, naming them', () => {
    expect(() => optimizers.rmsprop({ alpha: 1 })).toThrow(/rmsprop: alpha/);
    expect(() => optimizers.adagrad({ epsilon: 0 })).toThrow(/adagrad: epsilon/);
    expect(() => optimizers.lion({ beta2: -0.1 })).toThrow(/lion: beta2/);
    expect(() => optimizers.adamax({ amsgrad: true } as never)).toThrow(/adamax/);
    expect(() => optimizers.adam({ amsgrad: 1 as never })).toThrow(/adam: amsgrad must be true or false/);
    expect(() => sequential([layers.dense({ inputShape: [1], units: 1 })]).compile({ optimizer: 'adamx' as never, loss: 'mse' })).toThrow(/optimizers\.sgd\/adam\/adamw\/rmsprop/);
  });

  it('learningRate can be changed between steps', async () => {
    const optimizer = optimizers.sgd({ learningRate: 0.1 });
    const model = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false, kernelInitializer: 'ones' })]);
    model.compile({ optimizer, loss: 'mse' });
    await model.fit(tensor([[1]]), tensor([[0]]), {
      epochs: 2, batchSize: 1, verbose: 0,
      callbacks: { onEpochEnd: () => void (optimizer.learningRate = 0.25) },
    });
    // w1 = 0.8; then w2 = 0.8 - 0.25 * 1.6 = 0.4
    expect(model.getWeights()[0].data[0]).toBeCloseTo(0.4, 6);
  });
});
