// Train/test split (scikit-learn's train_test_split): shuffled with a seed, optionally
// stratified so every class keeps its share in both parts.
import { takeRows } from '../model/inputs.js';
import { Random, freshSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkInteger, checkKeys, checkNumber, describe } from '../validate.js';

export interface SplitOptions {
  /** Fraction of the rows for the test part, in (0, 1) (default 0.2), or a row count >= 1. */
  testSize?: number;
  /** Shuffle before splitting (default true). */
  shuffle?: boolean;
  /** Seeds the shuffle; random when omitted. */
  seed?: number;
  /** Keep each class's proportion in both parts; y must be int32 class indices (default false). */
  stratify?: boolean;
}

export interface Split {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export function trainTestSplit(x: Tensor, y: Tensor, options: SplitOptions = {}): Split {
  checkKeys(options, 'trainTestSplit', ['testSize', 'shuffle', 'seed', 'stratify']);
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) throw new TypeError('trainTestSplit: x and y must be Tensors');
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new TypeError(`trainTestSplit: x has ${n} rows but y has ${y.shape[0]}; they must match row for row`);
  const size = options.testSize ?? 0.2;
  const testRows = size >= 1 ? checkInteger(size, 'trainTestSplit: testSize (a row count)', 1) : Math.round(n * checkNumber(size, 'trainTestSplit: testSize', { min: 0, max: 1, minExclusive: true, maxExclusive: true }));
  if (testRows < 1 || testRows >= n)
    throw new RangeError(`trainTestSplit: testSize ${describe(size)} of ${n} rows leaves ${testRows < 1 ? 'no test' : 'no training'} rows`);
  const shuffle = options.shuffle ?? true;
  const random = new Random(options.seed === undefined ? freshSeed() : checkInteger(options.seed, 'trainTestSplit: seed', 0));
  const all = Int32Array.from({ length: n }, (_, i) => i);

  let train: Int32Array, test: Int32Array;
  if (options.stratify) {
    if (y.dtype !== 'int32' || y.rank !== 1) throw new TypeError('trainTestSplit: stratify needs y as int32 class indices [n]');
    // Each class gives its rounded share of test rows; remainders go to the classes whose
    // share was rounded down the most, so the total is exactly testRows.
    const byClass = new Map<number, number[]>();
    all.forEach((i) => byClass.get(y.data[i])?.push(i) ?? byClass.set(y.data[i], [i]));
    const classes = [...byClass.keys()].sort((a, b) => a - b);
    const exact = classes.map((c) => (byClass.get(c)!.length * testRows) / n);
    const counts = exact.map(Math.floor);
    let left = testRows - counts.reduce((a, b) => a + b, 0);
    for (const i of exact.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]))) if (left-- > 0) counts[i]++;
    const testList: number[] = [], trainList: number[] = [];
    classes.forEach((c, k) => {
      const members = Int32Array.from(byClass.get(c)!);
      if (shuffle) random.shuffle(members);
      testList.push(...members.subarray(0, counts[k]));
      trainList.push(...members.subarray(counts[k]));
    });
    train = Int32Array.from(trainList);
    test = Int32Array.from(testList);
    if (shuffle) { random.shuffle(train); random.shuffle(test); }
  } else {
    if (shuffle) random.shuffle(all);
    train = all.subarray(0, n - testRows);
    test = all.subarray(n - testRows);
  }
  return { xTrain: takeRows(x, train), yTrain: takeRows(y, train), xTest: takeRows(x, test), yTest: takeRows(y, test) };
}
