// The 10,000 real MNIST digits bundled with gradloop (data.mnist(): pixels in [0, 1]), split
// once with a fixed seed into training and test sets that keep each digit's share.
import { data, type Tensor } from '../src/index.js';

export interface MnistSplit {
  xTrain: Tensor; // [train, 784] float32
  yTrain: Tensor; // [train] int32 class indices
  xTest: Tensor; // [10000 - train, 784] float32
  yTest: Tensor; // [10000 - train] int32
}

export async function loadMnist(train = 8000, seed = 1234): Promise<MnistSplit> {
  const { x, y } = await data.mnist();
  return data.trainTestSplit(x, y, { testSize: x.shape[0] - train, seed, stratify: true });
}
