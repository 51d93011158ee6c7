// Two optimizer steps against values computed by hand from the PyTorch definitions.
// Model: one weight w (dense, 1 unit, no bias, w0 = 1), input 1, target 0, mse:
// loss = w^2, so the gradient is g = 2w.
import { describe, expect, it } from 'vitest';
import { layers, type Optimizer, optimizers, sequential, tensor } from '../src/index.js';

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
