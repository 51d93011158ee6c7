// data: getting data in (CSV, IDX, the bundled MNIST digits, streamed batches) and the usual
// preparation (split, scaling, one-hot), under one namespace: data.fromCsv(...), ...
import { fromCsv } from './csv.js';
import { Dataset } from './dataset.js';
import { fromIdx } from './idx.js';
import { mnist } from './mnist.js';
import { normalize, oneHot, Scaler, standardize } from './preprocess.js';
import { trainTestSplit } from './split.js';

export { Dataset, Scaler };
export type { CsvData, CsvOptions } from './csv.js';
export type { Batch, BatchSource, BatchesOptions, EpochContext } from './dataset.js';
export type { IdxOptions } from './idx.js';
export type { MnistOptions } from './mnist.js';
export type { ScalerJSON } from './preprocess.js';
export type { Split, SplitOptions } from './split.js';

export const data = {
  fromCsv,
  fromIdx,
  mnist,
  trainTestSplit,
  standardize,
  normalize,
  oneHot,
  fromTensors: Dataset.fromTensors,
  fromBatches: Dataset.fromBatches,
  scalerFromJSON: Scaler.fromJSON,
};
