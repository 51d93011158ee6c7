// Getting data in: CSV (quoting, missing values, bad cells, empty files), IDX (magic numbers,
// types, gzip, truncation), the bundled MNIST digits, splitting, scaling, one-hot, and
// streamed batches (which must train exactly as the same batches in memory).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { data, layers, optimizers, sequential, tensor, type Tensor } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gradloop-data-'));
let files = 0;
const file = (contents: string | Uint8Array, ext = '.csv') => {
  const p = path.join(dir, `f${files++}${ext}`);
  writeFileSync(p, contents);
  return p;
};

describe('data.fromCsv', () => {
  it('reads a header, numeric features and text labels (sorted into class indices)', async () => {
    const csv = await data.fromCsv(file('a,b,species\n1,2,setosa\n3,4.5,virginica\n-1e-3,0,setosa\n'), { label: 'species' });
    expect(csv.featureNames).toEqual(['a', 'b']);
    expect(csv.x.shape).toEqual([3, 2]);
    expect(Array.from(csv.x.data)).toEqual([1, 2, 3, 4.5, Math.fround(-1e-3), 0]);
    expect(csv.classes).toEqual(['setosa', 'virginica']);
    expect(csv.y!.dtype).toBe('int32');
    expect(Array.from(csv.y!.data)).toEqual([0, 1, 0]);
  });

  it('handles quoted fields: delimiters, doubled quotes and line breaks inside quotes', async () => {
    const text = 'x,"label, with comma",note\n1.5,"yes, really","say ""hi"""\n2,"no\nreally",plain\n3,"a ""quoted"" label",x\n';
    const csv = await data.fromCsv(file(text), { label: 'label, with comma', columns: ['x'] });
    expect(Array.from(csv.x.data)).toEqual([1.5, 2, 3]);
    expect(csv.classes).toEqual(['a "quoted" label', 'no\nreally', 'yes, really']);
    expect(Array.from(csv.y!.data)).toEqual([2, 1, 0]);
    // Line numbers count the physical lines, so the row after a two-line field is on line 6.
    await expect(data.fromCsv(file(text + 'oops,b,c\n'), { label: 'label, with comma', columns: ['x'] })).rejects.toThrow(/line 6, column 'x': 'oops' is not a number/);
  });

  it('quoted numbers are numbers; a quoted comma makes a non-numeric cell named by line and column', async () => {
    const ok = await data.fromCsv(file('x,y\n"3.5","1"\n"4",0\n'), { label: 'y' });
    expect(Array.from(ok.x.data)).toEqual([3.5, 4]);
    expect(Array.from(ok.y!.data)).toEqual([1, 0]); // numeric labels: float32 targets by default
    expect(ok.y!.shape).toEqual([2, 1]);
    await expect(data.fromCsv(file('x,y\n1,0\n"1,5",1\n'), { label: 'y' })).rejects.toThrow(/line 3, column 'x': '1,5' is not a number/);
  });

  it('reports a non-numeric feature cell with file, line and column', async () => {
    const p = file('age,income,label\n30,1000,a\n41,lots,b\n');
    await expect(data.fromCsv(p, { label: 'label' })).rejects.toThrow(new RegExp(`'${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' line 3, column 'income': 'lots' is not a number`));
  });

  it('missing values: an error by default, or skipped rows, column means, or a constant', async () => {
    const text = 'a,b,y\n1,,0\n3,4,1\nNA,8,0\n5,6,\n';
    await expect(data.fromCsv(file(text), { label: 'y' })).rejects.toThrow(/line 2, column 'b': the value is missing \(empty\)/);
    const skipped = await data.fromCsv(file(text), { label: 'y', missing: 'skipRow' });
    expect(skipped.x.shape).toEqual([1, 2]);
    expect(skipped.skippedRows).toBe(3);
    expect(Array.from(skipped.x.data)).toEqual([3, 4]);
    // 'mean' fills features from the values present; the row with a missing label still fails.
    await expect(data.fromCsv(file(text), { label: 'y', missing: 'mean' })).rejects.toThrow(/line 5, column 'y': the label is missing/);
    const mean = await data.fromCsv(file('a,b,y\n1,,0\n3,4,1\nNA,8,0\n'), { label: 'y', missing: 'mean' });
    expect(Array.from(mean.x.data)).toEqual([1, 6, 3, 4, 2, 8]);
    const filled = await data.fromCsv(file('a,b\n1,?\n'), { missing: -1 });
    expect(Array.from(filled.x.data)).toEqual([1, -1]);
  });

  it('empty files, header-only files and ragged rows are clear errors', async () => {
    await expect(data.fromCsv(file(''))).rejects.toThrow(/is empty: expected a header row and at least one data row/);
    await expect(data.fromCsv(file('\n\n'))).rejects.toThrow(/is empty/);
    await expect(data.fromCsv(file('a,b,c\n'))).rejects.toThrow(/has a header but no data rows/);
    await expect(data.fromCsv(file('a,b\n1,2\n3\n'))).rejects.toThrow(/line 3: the row has 1 fields but the header has 2/);
    await expect(data.fromCsv(path.join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv': no such file/);
    await expect(data.fromCsv(dir)).rejects.toThrow(/is a folder, not a CSV file/);
  });

  it('checks column names, label types and options', async () => {
    const p = file('a,b,y\n1,2,0\n3,4,2\n');
    await expect(data.fromCsv(p, { label: 'z' })).rejects.toThrow(/label 'z' is not a column; the columns are 'a', 'b', 'y'/);
    await expect(data.fromCsv(p, { label: 'y', columns: ['a', 'y'] })).rejects.toThrow(/label column 'y' is also listed in columns/);
    await expect(data.fromCsv(file('a,a\n1,2\n'))).rejects.toThrow(/names column 'a' twice/);
    await expect(data.fromCsv(p, { label: 'y', missing: 'drop' as never })).rejects.toThrow(/missing must be 'error', 'skipRow', 'mean' or a finite number/);
    await expect(data.fromCsv(p, { lable: 'y' } as never)).rejects.toThrow(/unknown option 'lable'/);
    const classes = await data.fromCsv(p, { label: 'y', labelType: 'class' });
    expect(classes.y!.dtype).toBe('int32');
    expect(Array.from(classes.y!.data)).toEqual([0, 2]);
    await expect(data.fromCsv(file('a,y\n1,0.5\n'), { label: 'y', labelType: 'class' })).rejects.toThrow(/class label '0.5' in data row 1 must be an integer from 0 to 2\^31 - 1/);
  });

  it('reads files without a header (columns by index) and with a byte-order mark and ; delimiters', async () => {
    const noHeader = await data.fromCsv(file('1,2,1\n3,4,0\n'), { header: false, label: 2, labelType: 'class' });
    expect(noHeader.featureNames).toEqual(['0', '1']);
    expect(Array.from(noHeader.y!.data)).toEqual([1, 0]);
    const bom = await data.fromCsv(file('\ufeffa;b\n1;2\n'), { delimiter: ';', label: 'b' });
    expect(bom.featureNames).toEqual(['a']);
  });

  it('streams a large file into typed arrays', async () => {
    const rows = 50_000;
    const lines = ['f0,f1,f2,label'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${i * 0.5},${-i},${i % 3 === 0 ? 'a' : 'b'}`);
    const csv = await data.fromCsv(file(lines.join('\n')), { label: 'label' });
    expect(csv.x.shape).toEqual([rows, 3]);
    expect(csv.x.data[3 * (rows - 1) + 1]).toBe((rows - 1) * 0.5);
    expect(csv.y!.data[rows - 1]).toBe((rows - 1) % 3 === 0 ? 0 : 1);
  });
});

// An IDX file: zero, zero, type, rank, big-endian dims, then big-endian values.
function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

describe('data.fromIdx', () => {
  it('reads unsigned-byte images and labels, gzip\'d or not', async () => {
    const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const plain = await data.fromIdx(file(idx(0x08, [2, 3, 4], pixels), '.idx'));
    expect(plain.shape).toEqual([2, 3, 4]);
    expect(plain.dtype).toBe('float32');
    expect(Array.from(plain.data)).toEqual(Array.from(pixels));
    const gz = await data.fromIdx(file(gzipSync(idx(0x08, [2, 3, 4], pixels)), '.gz'), { scale: 1 / 255 });
    expect(gz.data[1]).toBeCloseTo(10 / 255, 7);
    const labels = await data.fromIdx(file(idx(0x08, [3], Uint8Array.from([7, 0, 9])), '.idx'));
    expect(labels.dtype).toBe('int32');
    expect(Array.from(labels.data)).toEqual([7, 0, 9]);
  });

  it('reads the other IDX types big-endian', async () => {
    const shorts = Buffer.alloc(4);
    shorts.writeInt16BE(-2, 0);
    shorts.writeInt16BE(300, 2);
    expect(Array.from((await data.fromIdx(file(idx(0x0b, [2], shorts), '.idx'))).data)).toEqual([-2, 300]);
    const floats = Buffer.alloc(8);
    floats.writeFloatBE(1.5, 0);
    floats.writeFloatBE(-0.25, 4);
    const f = await data.fromIdx(file(idx(0x0d, [1, 2], floats), '.idx'));
    expect(Array.from(f.data)).toEqual([1.5, -0.25]);
    await expect(data.fromIdx(file(idx(0x0d, [2], floats), '.idx'), { dtype: 'int32' })).rejects.toThrow(/holds floats; read it as float32/);
  });

  it('rejects a wrong magic number, an unknown type, truncated and oversized files', async () => {
    await expect(data.fromIdx(file(Buffer.from([0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5]), '.idx'))).rejects.toThrow(/is not an IDX file: .*magic number.*0x12 0x34 0x08 0x01/);
    await expect(data.fromIdx(file(Buffer.alloc(0), '.idx'))).rejects.toThrow(/not an IDX file.*an empty file/);
    await expect(data.fromIdx(file(idx(0x07, [1], Uint8Array.of(1)), '.idx'))).rejects.toThrow(/unknown IDX data type 0x7/);
    await expect(data.fromIdx(file(idx(0x08, [10, 28, 28], new Uint8Array(100)), '.idx'))).rejects.toThrow(/shape \[10, 28, 28\] of unsigned bytes needs 7856 bytes but the file has 116 \(truncated\)/);
    await expect(data.fromIdx(file(idx(0x08, [2], new Uint8Array(3)), '.idx'))).rejects.toThrow(/trailing data/);
    await expect(data.fromIdx(file(gzipSync(idx(0x08, [2], new Uint8Array(2))).subarray(0, 12), '.gz'))).rejects.toThrow(/does not decompress/);
  });
});

describe('data.mnist', () => {
  it('gives the 10,000 bundled real digits: pixels in [0, 1], every class present', async () => {
    const { x, y, classes } = await data.mnist();
    expect(x.shape).toEqual([10000, 784]);
    expect(y.shape).toEqual([10000]);
    expect(classes).toHaveLength(10);
    let min = Infinity, max = -Infinity;
    for (const v of x.data) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBe(1);
    const counts = new Array(10).fill(0);
    for (const c of y.data) counts[c]++;
    // MNIST's natural balance: every digit between 8% and 12% of the set.
    for (const c of counts) expect(c).toBeGreaterThan(800), expect(c).toBeLessThan(1200);
    expect((await data.mnist({ shape: 'image' })).x.shape).toEqual([10000, 28, 28]);
  });
});

describe('trainTestSplit, standardize, normalize, oneHot', () => {
  const n = 100;
  const x = tensor(Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 ? i : -i)), [n, 2]);
  const y = tensor(Int32Array.from({ length: n }, (_, i) => (i < 80 ? 0 : 1)), [n], 'int32');

  it('splits every row into exactly one part, the same way for the same seed', () => {
    const a = data.trainTestSplit(x, y, { testSize: 0.25, seed: 3 });
    expect(a.xTrain.shape).toEqual([75, 2]);
    expect(a.xTest.shape).toEqual([25, 2]);
    const firsts = [...a.xTrain.data.filter((_, i) => i % 2 === 1), ...a.xTest.data.filter((_, i) => i % 2 === 1)].sort((p, q) => p - q);
    expect(firsts).toEqual(Array.from({ length: n }, (_, i) => 2 * i + 1));
    const b = data.trainTestSplit(x, y, { testSize: 0.25, seed: 3 });
    expect(Array.from(b.yTest.data)).toEqual(Array.from(a.yTest.data));
    const unshuffled = data.trainTestSplit(x, y, { testSize: 10, shuffle: false });
    expect(Array.from(unshuffled.yTest.data)).toEqual(new Array(10).fill(1));
  });

  it('stratified splits keep each class share', () => {
    const s = data.trainTestSplit(x, y, { testSize: 0.2, seed: 1, stratify: true });
    expect(Array.from(s.yTest.data).filter((c) => c === 1)).toHaveLength(4); // 20% of the 20 ones
    expect(Array.from(s.yTrain.data).filter((c) => c === 1)).toHaveLength(16);
    expect(() => data.trainTestSplit(x, y, { testSize: 1.5 })).toThrow(/testSize \(a row count\) must be an integer/);
    expect(() => data.trainTestSplit(x, y, { testSize: 100 })).toThrow(/leaves no training rows/);
    expect(() => data.trainTestSplit(x, tensor([1, 2], [2]))).toThrow(/x has 100 rows but y has 2/);
  });

  it('standardize fits on the training rows and applies the same map to others', () => {
    const train = tensor([1, 10, 3, 10, 5, 10], [3, 2]);
    const scaler = data.standardize(train);
    const t = scaler.transform(train);
    expect(t.data[0] + t.data[2] + t.data[4]).toBeCloseTo(0, 6);
    expect(Math.sqrt((t.data[0] ** 2 + t.data[2] ** 2 + t.data[4] ** 2) / 3)).toBeCloseTo(1, 6);
    expect(t.data[1]).toBe(0); // a constant column is centred, not divided by zero
    const test = scaler.transform(tensor([7, 11], [1, 2]));
    expect(test.data[0]).toBeCloseTo((7 - 3) / Math.sqrt(8 / 3), 5);
    expect(test.data[1]).toBe(1);
    const again = data.scalerFromJSON(JSON.parse(JSON.stringify(scaler)));
    expect(Array.from(again.transform(train).data)).toEqual(Array.from(t.data));
    expect(Array.from(scaler.inverseTransform(t).data)).toEqual([1, 10, 3, 10, 5, 10]);
    expect(() => scaler.transform(tensor([1, 2, 3], [1, 3]))).toThrow(/fitted on 2 features per sample .* but x has 3/);
    expect(() => data.standardize(tensor([1, NaN], [1, 2]))).toThrow(/NaN at sample 0, feature 1/);
  });

  it('normalize maps each training column onto [0, 1]', () => {
    const scaler = data.normalize(tensor([2, -1, 4, 1, 6, 3], [3, 2]));
    expect(Array.from(scaler.transform(tensor([2, -1, 6, 3, 8, 5], [3, 2])).data)).toEqual([0, 0, 1, 1, 1.5, 1.5]);
  });

  it('oneHot encodes class indices and rejects labels out of range', () => {
    const h = data.oneHot(tensor([2, 0], [2], 'int32'), 3);
    expect(h.shape).toEqual([2, 3]);
    expect(Array.from(h.data)).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => data.oneHot([0, 3], 3)).toThrow(/label 3 at sample 1 is outside \[0, 3\)/);
  });
});

describe('streamed batches (data.fromBatches)', () => {
  const rows = 96, batch = 16;
  const x = tensor(Float32Array.from({ length: rows * 4 }, (_, i) => Math.sin(i * 1.7)), [rows, 4]);
  const y = tensor(Int32Array.from({ length: rows }, (_, i) => (Math.sin(i * 6.8) + Math.cos(i) > 0 ? 1 : 0)), [rows], 'int32');
  const slice = (t: Tensor, from: number, to: number) => {
    const per = t.size / t.shape[0];
    return tensor(t.data.slice(from * per, to * per) as Float32Array | Int32Array, [to - from, ...t.shape.slice(1)], t.dtype);
  };
  const model = () => {
    const m = sequential([layers.dense({ inputShape: [4], units: 8, activation: 'tanh' }), layers.dense({ units: 2 })], { seed: 5 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
    return m;
  };

  it('trains exactly as the same batches in memory', async () => {
    const inMemory = model();
    const h1 = await inMemory.fit(x, y, { epochs: 3, batchSize: batch, shuffle: false, seed: 1, verbose: 0 });
    const streamed = model();
    const source = data.fromBatches(async function* () {
      for (let i = 0; i < rows; i += batch) yield { x: slice(x, i, i + batch), y: slice(y, i, i + batch) };
    });
    const h2 = await streamed.fit(source, { epochs: 3, seed: 1, verbose: 0 });
    expect(h2.history.loss).toEqual(h1.history.loss);
    expect(h2.history.accuracy).toEqual(h1.history.accuracy);
    expect(h2.params.steps).toBe(rows / batch);
    streamed.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(inMemory.getWeights()[i].data)));
    // fitDataset (tfjs' name) and { xs, ys } batches work the same way.
    const tfjsStyle = model();
    await tfjsStyle.fitDataset(data.fromBatches(() => [{ xs: x, ys: y }]), { epochs: 1, verbose: 0 });
  });

  it('resumes a streamed fit from a mid-epoch checkpoint by skipping the batches already trained', async () => {
    const source = () => data.fromBatches(function* () {
      for (let i = 0; i < rows; i += batch) yield { x: slice(x, i, i + batch), y: slice(y, i, i + batch) };
    });
    const straight = model();
    await straight.fit(source(), { epochs: 3, seed: 4, verbose: 0 });
    // Stop after 2 batches of the second epoch, save, and continue in a fresh model.
    const first = model();
    const ck = path.join(dir, 'stream-ck');
    await first.fit(source(), {
      epochs: 3, seed: 4, verbose: 0,
      callbacks: [{ onBatchEnd: async () => { if (first.optimizer!.iterations === rows / batch + 2) { first.stopTraining = true; await first.save(ck); } } }],
    });
    const resumed = model();
    await resumed.fit(source(), { epochs: 3, resumeFrom: ck, verbose: 0 });
    expect(resumed.optimizer!.iterations).toBe(3 * (rows / batch));
    resumed.getWeights().forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(straight.getWeights()[i].data)));
  });

  it('reports bad batches and sources clearly', async () => {
    const m = model();
    await expect(m.fit(data.fromBatches(() => [{ x, y: slice(y, 0, 5) }]), { verbose: 0 })).rejects.toThrow(/batch 0 of epoch 1 has 96 rows of x but 5 of y/);
    await expect(m.fit(data.fromBatches(() => [{ x: tensor([1, 2], [1, 2]), y: slice(y, 0, 1) }]), { verbose: 0 })).rejects.toThrow(/streamed batch 0 of epoch 1: x: each sample has shape \[2\] but the model expects \[4\]/);
    await expect(m.fit(data.fromBatches(() => [{ x }] as never), { verbose: 0 })).rejects.toThrow(/batch 0 of epoch 1 must be \{ x: Tensor, y: Tensor \}/);
    // An async generator object can be read once: the second epoch finds it empty.
    const once = (async function* () { yield { x, y }; })();
    await expect(m.fit(data.fromBatches(once), { epochs: 2, verbose: 0 })).rejects.toThrow(/no batches in epoch 2; an iterable can be read only once/);
    await expect(m.fit(data.fromBatches(() => [{ x, y }]), { validationSplit: 0.2, verbose: 0 })).rejects.toThrow(/validationSplit needs the data in memory/);
    expect(() => data.fromBatches(42 as never)).toThrow(/source must be a function returning an \(async\) iterable/);
    // batchesPerEpoch cuts an endless source.
    let made = 0;
    const endless = data.fromBatches(function* () { for (;;) { made++; yield { x: slice(x, 0, 8), y: slice(y, 0, 8) }; } }, { batchesPerEpoch: 5 });
    const h = await m.fit(endless, { epochs: 2, verbose: 0 });
    expect(h.params.steps).toBe(5);
    expect(made).toBe(10 + 2 - 2); // the generator is not advanced past the 5th batch of each epoch
  });
});
