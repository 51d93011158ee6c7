// The 10,000 real MNIST digits shipped with gradloop (data/mnist/, IDX format, 1.6 MB gzip'd):
// enough to train and test a real model with no download.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../tensor.js';
import { checkKeys } from '../validate.js';
import { fromIdx } from './idx.js';

/** The data folder of the gradloop package (src/data/ in the repository, dist/ when bundled). */
function dataDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = path.dirname(dir))
    if (existsSync(path.join(dir, 'data', 'mnist', 'labels-idx1-ubyte.gz'))) return path.join(dir, 'data', 'mnist');
  throw new Error("data.mnist(): the bundled digits (data/mnist/*.gz) are missing from the gradloop package; reinstall it");
}

export interface MnistOptions {
  /** 'flat' (default): x is [10000, 784]; 'image': [10000, 28, 28]. */
  shape?: 'flat' | 'image';
}

/**
 * The bundled digits: x float32 pixels in [0, 1], y int32 classes 0-9, in one fixed shuffled
 * order (split them with trainTestSplit).
 */
export async function mnist(options: MnistOptions = {}): Promise<{ x: Tensor; y: Tensor; classes: string[] }> {
  checkKeys(options, 'mnist', ['shape']);
  const dir = dataDir();
  const images = await fromIdx(path.join(dir, 'images-idx3-ubyte.gz'), { scale: 1 / 255 });
  const y = await fromIdx(path.join(dir, 'labels-idx1-ubyte.gz'));
  const n = images.shape[0];
  const x = options.shape === 'image' ? images : new Tensor(images.data, [n, images.size / n], 'float32');
  return { x, y, classes: Array.from({ length: 10 }, (_, d) => String(d)) };
}
