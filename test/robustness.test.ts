// What a hostile user found (issue 13), each as a regression test: sizes that overflowed or
// exhausted memory, model.json and optimizer state trusted on load, a resume race, a save that
// removed a stranger's folder, CSV and IDX inputs read wrongly, out-of-range numbers cast in C++.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { data, layers, loadModel, optimizers, sequential, setMemoryCheck, setNumThreads, Tensor, tensor } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { native } from '../src/backend/native.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'gradloop-robust-'));
const at = (name: string) => path.join(root, name);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]]);
const y = tensor(Int32Array.from([0, 1, 0, 1]), [4], 'int32');
function small() {
  const m = sequential([layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), layers.dense({ units: 2 })], { seed: 1 });
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy' });
  return m;
}
async function savedCheckpoint(name: string) {
  const m = small();
  await m.fit(x, y, { epochs: 2, batchSize: 2, seed: 1, verbose: 0 });
  await m.save(at(name));
  return at(name);
}
const editManifest = (dir: string, edit: (manifest: Record<string, any>) => void) => {
  const file = path.join(dir, 'model.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
};

describe('1. sizes that overflow are RangeErrors naming the layer, never a signal', () => {
  it('flatten over [65536, 65536, 65536, 65536], then dense', () => {
    const m = sequential([layers.flatten({ inputShape: [65536, 65536, 65536, 65536] }), layers.dense({ units: 1 })]);
    expect(() => m.countParams()).toThrow(RangeError);
    expect(() => m.countParams()).toThrow(/layer 'flatten_1': inputShape: shape \[65536, 65536, 65536, 65536\] has 1\.845e\+19 elements/);
  });

  it('an embedding of 2^32 x 2^32, then flatten and dense', () => {
    const m = sequential([layers.embedding({ inputDim: 4, outputDim: 2 ** 32, inputLength: 2 ** 32 }), layers.flatten(), layers.dense({ units: 1 })]);
    expect(() => m.countParams()).toThrow(/layer 'embedding_1': .*more than the 2\^31 - 1/);
  });

  it('a dense kernel over 2^31 - 1 elements', () => {
    expect(() => sequential([layers.dense({ inputShape: [8], units: 2 ** 30 })]).countParams()).toThrow(/layer 'dense_1': kernel: shape \[8, 1073741824\]/);
  });

  it('loadModel of a model.json holding such a layer', async () => {
    const dir = await savedCheckpoint('huge-layer');
    editManifest(dir, (m) => (m.model.layers[0].config.inputShape = [65536, 65536, 65536, 65536]));
    await expect(loadModel(dir)).rejects.toThrow(/describes a model gradloop cannot build: .*65536, 65536, 65536, 65536/);
  });
});

describe('2. a model larger than the memory available is a RangeError before anything is allocated', () => {
  it('parameters: names the total, what is available and the biggest tensors', () => {
    // Each pair of layers holds 2 x 8 GiB of weights, 32 GiB with gradients: more than this machine has.
    const pairs = Math.ceil(os.totalmem() / 2 ** 35) + 1;
    const stack = Array.from({ length: pairs }, (_, i) => [layers.dense({ ...(i === 0 ? { inputShape: [1] } : {}), units: 2 ** 31 - 1 }), layers.dense({ units: 1 })]).flat();
    const model = sequential(stack);
    expect(() => model.countParams()).toThrow(RangeError);
    expect(() => model.countParams()).toThrow(/the model needs \d+\.\d GiB of cpu memory but only [\d.]+ (GiB|MiB) is available \((MemAvailable|the cgroup limit)[^)]*\); the biggest: dense_1\/kernel \(value and gradient\) 16\.0 GiB.*setMemoryCheck\(false\)/);
  });

  it('activations at the batch size', async () => {
    // 2^24 outputs per sample is 64 MiB per row (value and gradient twice that): a batch of this
    // many rows needs more than the machine's memory, while the weights (256 MiB) fit.
    const rows = Math.ceil(os.totalmem() / 2 ** 26) + 16;
    const model = sequential([layers.dense({ inputShape: [1], units: 2 ** 24 })], { seed: 1 });
    model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const ids = tensor(new Int32Array(rows), [rows], 'int32');
    await expect(model.evaluate(tensor(new Float32Array(rows), [rows, 1]), ids, { batchSize: rows })).rejects.toThrow(
      /the model needs [\d.]+ GiB of cpu memory .*the biggest: layer 'dense_1' output/,
    );
    model.dispose();
  });
});

describe('2b. an allocation that fails anyway leaves the model usable', () => {
  it('setMemoryCheck(false) and a batch beyond any address space: a RangeError, then the model predicts as before', async () => {
    // 2^23 rows of 2^22 outputs is a 128 TiB activation: no allocator gives that (the 47-bit user
    // address space, whatever the overcommit setting). The program freed its old activations first;
    // it must not keep pointers to them (those 32 MiB were unmapped: using them would crash).
    const model = sequential([layers.dense({ inputShape: [1], units: 2 ** 22 })], { seed: 1 });
    model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' });
    const probe = tensor(Float32Array.from([1, -1]), [2, 1]);
    const before = model.predict(probe).data;
    const rows = 2 ** 23;
    setMemoryCheck(false);
    try {
      await expect(model.evaluate(tensor(new Float32Array(rows), [rows, 1]), tensor(new Int32Array(rows), [rows], 'int32'), { batchSize: rows }))
        .rejects.toThrow(/out of memory: could not allocate 140737488355328 bytes on the CPU; use a smaller batchSize or model/);
    } finally {
      setMemoryCheck(true);
    }
    const after = model.predict(probe).data;
    expect(after.findIndex((v, i) => v !== before[i])).toBe(-1); // (toEqual on 8M values is slow)
    const h = await model.fit(probe, tensor(Int32Array.from([3, 5]), [2], 'int32'), { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    model.dispose();
  });
});

describe('3. loadModel checks every field of model.json before applying anything', () => {
  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['epoch -1e12', (m) => (m.training.position.epoch = -1e12), /"training\.position\.epoch": .*got -1000000000000/],
    ['step -3', (m) => (m.training.position.step = -3), /"training\.position\.step"/],
    ['seed null', (m) => (m.training.position.seed = null), /"training\.position\.seed": .*got null/],
    ["batchSize 'x'", (m) => (m.training.position.batchSize = 'x'), /"training\.position\.batchSize": .*got "x"/],
    ['epoch "1"', (m) => (m.training.position.epoch = '1'), /"training\.position\.epoch"/],
    ['no optimizerSlots', (m) => delete m.training.optimizerSlots, /"training\.optimizerSlots": .*got nothing/],
    ['counters of the wrong type', (m) => (m.training.counters.optimizerStep = 1.5), /"training\.counters\.optimizerStep"/],
  ];
  it.each(cases)('%s: an Error naming the file and the key', async (name, edit, message) => {
    const dir = await savedCheckpoint(`manifest-${name.replace(/\W+/g, '-')}`);
    editManifest(dir, edit);
    await expect(loadModel(dir)).rejects.toThrow(new RegExp(`loadModel: '.*model\\.json' is invalid at ${message.source}`));
    const model = small();
    await expect(model.fit(x, y, { resumeFrom: dir, verbose: 0 })).rejects.toThrow(message);
  });
});

describe('4. optimizer state is checked on load', () => {
  const poison = async (name: string, value: number) => {
    const dir = await savedCheckpoint(name);
    const file = path.join(dir, 'optimizer.safetensors');
    const { tensors } = decodeSafetensors(readFileSync(file), file);
    tensors.find((t) => t.name === 'dense_1/kernel/v')!.data[3] = value;
    const bytes = encodeSafetensors(tensors, { format: 'gradloop-optimizer' });
    writeFileSync(file, bytes);
    // A matching size and SHA-256: the corruption is in the values, not the file.
    editManifest(dir, (m) => (m.files['optimizer.safetensors'] = { bytes: bytes.length, sha256: sha256(bytes) }));
    return dir;
  };

  it("NaN or a negative value in Adam's v is refused, and the weights stay as they were", async () => {
    await expect(loadModel(await poison('nan-v', NaN))).rejects.toThrow(/holds NaN in 'dense_1\/kernel\/v' at index 3 \(values must be finite and >= 0\)/);
    const model = small();
    const before = model.getWeights().map((w) => w.data.slice());
    await expect(model.fit(x, y, { resumeFrom: await poison('negative-v', -1), verbose: 0 })).rejects.toThrow(/holds -1 in 'dense_1\/kernel\/v'/);
    model.getWeights().forEach((w, i) => expect(w.data).toEqual(before[i]));
  });

  it('the native program refuses such state too', () => {
    const model = small();
    model.countParams();
    const state = new Float32Array(12);
    state[5] = -0.5;
    expect(() => model._program.setOptimizerState(0, 1, state)).toThrow(/'dense_1\/kernel\/v' holds -0\.5.* at index 5; values must be finite and >= 0/);
    state[5] = Infinity;
    expect(() => model._program.setOptimizerState(0, 0, state)).toThrow(/'dense_1\/kernel\/m' holds inf at index 5; values must be finite/);
  });
});

describe('4b. the NaN guard covers the update itself', () => {
  it('finite gradients whose update overflows float32: the step is not applied and fit says why', async () => {
    // w = 1, x = 1, y = 0: the mse gradient is 2, finite; w - 3e38 * 2 is beyond float32.
    const model = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false })]);
    model.setWeights([Float32Array.of(1)]);
    model.compile({ optimizer: optimizers.sgd({ learningRate: 3e38 }), loss: 'mse' });
    await expect(model.fit(tensor([[1]]), tensor([[0]]), { epochs: 1, batchSize: 1, verbose: 0 })).rejects.toThrow(
      /fit: the update of 'dense_1\/kernel' \(layer 'dense_1'\) would have overflowed float32: its weights or optimizer state became NaN or Infinity at epoch 1, step 1; training stopped and that step was not applied/,
    );
    expect(Array.from(model.getWeights()[0].data)).toEqual([1]);
    // Adam moves each weight by about the learning rate: from -2e38 by -3e38 is beyond float32,
    // though the gradient (2 * 8e8 * 1e-30) is tiny. Its m and v stay as they were too.
    const adam = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false })]);
    adam.setWeights([Float32Array.of(-2e38)]);
    adam.compile({ optimizer: optimizers.adam({ learningRate: 3e38 }), loss: 'mse' });
    await expect(adam.fit(tensor([[1e-30]]), tensor([[-1e9]]), { epochs: 1, batchSize: 1, verbose: 0 })).rejects.toThrow(/the update of 'dense_1\/kernel' .* would have overflowed float32/);
    expect(Array.from(adam.getWeights()[0].data)).toEqual([Math.fround(-2e38)]);
    expect([...adam._program.getOptimizerState(0, 0), ...adam._program.getOptimizerState(0, 1)]).toEqual([0, 0]);
  });

  it('the same for the optimizers of core/optimizer_rules.h (their bounds in the guard): lion and rmsprop', async () => {
    // Lion moves each weight by the learning rate: 2e38 + 3e38 is beyond float32.
    const lion = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false })]);
    lion.setWeights([Float32Array.of(2e38)]);
    lion.compile({ optimizer: optimizers.lion({ learningRate: 3e38 }), loss: 'mse' });
    await expect(lion.fit(tensor([[-1e-30]]), tensor([[0]]), { epochs: 1, batchSize: 1, verbose: 0 })).rejects.toThrow(/the update of 'dense_1\/kernel' .* would have overflowed float32/);
    expect(Array.from(lion.getWeights()[0].data)).toEqual([Math.fround(2e38)]);
    expect(Array.from(lion._program.getOptimizerState(0, 0))).toEqual([0]);
    // RMSprop with centered statistics and momentum (three slots): a step of lr * g / sqrt(v) ~ lr * 10.
    const rms = sequential([layers.dense({ inputShape: [1], units: 1, useBias: false })]);
    rms.setWeights([Float32Array.of(1)]);
    rms.compile({ optimizer: optimizers.rmsprop({ learningRate: 1e38, centered: true, momentum: 0.9 }), loss: 'mse' });
    await expect(rms.fit(tensor([[1]]), tensor([[0]]), { epochs: 1, batchSize: 1, verbose: 0 })).rejects.toThrow(/would have overflowed float32/);
    expect(Array.from(rms.getWeights()[0].data)).toEqual([1]);
    expect([0, 1, 2].flatMap((s) => Array.from(rms._program.getOptimizerState(0, s)))).toEqual([0, 0, 0]);
  });
});

describe('5. fit({ resumeFrom }) marks the model busy before it reads the checkpoint', () => {
  it('a second fit or a compile started meanwhile fails instead of running a second loop', async () => {
    const dir = await savedCheckpoint('race');
    const model = small();
    const first = model.fit(x, y, { resumeFrom: dir, epochs: 4, verbose: 0 });
    await expect(model.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/fit: model '.*' is in the middle of fit\(\)/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'softmaxCrossEntropy' })).toThrow(/in the middle of fit\(\)/);
    expect((await first).epoch).toEqual([2, 3]);
  });

  it('evaluate is busy while it runs, too', async () => {
    const model = small();
    const running = model.evaluate(x, y);
    await expect(model.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/in the middle of evaluate\(\)/);
    await running;
  });
});

describe("6. save(dir) never removes a <dir>.previous that is not one of its own", () => {
  it("keeps the user's results.previous/thesis.txt and says why it stops", async () => {
    const dir = at('results');
    await small().save(dir);
    mkdirSync(`${dir}.previous`);
    writeFileSync(path.join(`${dir}.previous`, 'thesis.txt'), 'years of work');
    await expect(small().save(dir)).rejects.toThrow(/'.*results\.previous' exists and is not a checkpoint left by an earlier save \(it holds thesis\.txt\)/);
    expect(readFileSync(path.join(`${dir}.previous`, 'thesis.txt'), 'utf8')).toBe('years of work');
    expect(existsSync(path.join(dir, 'model.json'))).toBe(true);
  });
});

describe('7-8. fromCsv', () => {
  it('reads 200,000 columns (the duplicate-header check is linear) and finds a duplicate among them', async () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `c${i}`);
    writeFileSync(at('wide.csv'), `${names.join(',')}\n${names.map((_, i) => i % 10).join(',')}\n`);
    const wide = await data.fromCsv(at('wide.csv'));
    expect(wide.x.shape).toEqual([1, 200_000]);
    expect(wide.x.data[123_457]).toBe(7);
    writeFileSync(at('dup.csv'), `${names.join(',')},c199998\n${names.map(() => 0).join(',')},0\n`);
    await expect(data.fromCsv(at('dup.csv'))).rejects.toThrow(/the header names column 'c199998' twice/);
  });

  it('rejects values it would change: class labels >= 2^31, numbers beyond float32, hexadecimal and binary', async () => {
    const csv = (name: string, text: string) => (writeFileSync(at(name), text), at(name));
    await expect(data.fromCsv(csv('big-label.csv', 'a,y\n1,4294967296\n'), { label: 'y', labelType: 'class' })).rejects.toThrow(/class label '4294967296' in data row 1 must be an integer from 0 to 2\^31 - 1/);
    await expect(data.fromCsv(csv('inf.csv', 'a,b\n1,1e39\n'))).rejects.toThrow(/line 2, column 'b': '1e39' is outside the float32 range/);
    await expect(data.fromCsv(csv('inf-label.csv', 'a,y\n1,-1e39\n'), { label: 'y' })).rejects.toThrow(/label '-1e39' in data row 1 is outside the float32 range/);
    await expect(data.fromCsv(csv('hex.csv', 'a,b\n1,0x10\n'))).rejects.toThrow(/line 2, column 'b': '0x10' is not a decimal number/);
    await expect(data.fromCsv(csv('bin.csv', 'a,b\n0b11,1\n'))).rejects.toThrow(/'0b11' is not a decimal number/);
    const ok = await data.fromCsv(csv('fine.csv', 'a,b\n-0.5,3.4e38\n.25,1e-3\n'));
    expect(Array.from(ok.x.data)).toEqual([-0.5, Math.fround(3.4e38), 0.25, Math.fround(1e-3)]);
  });

  it('cuts a 10 MB bad cell in the message', async () => {
    writeFileSync(at('huge-cell.csv'), `a,b\n1,"${'z'.repeat(10_000_000)}"\n`);
    const error = await data.fromCsv(at('huge-cell.csv')).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/'z{40}\.\.\.' \(10000000 characters\) is not a number/);
    expect((error as Error).message.length).toBeLessThan(400);
  });
});

describe('9. numbers out of range at the native boundary', () => {
  it('batch sizes, seeds and thread counts are checked in TypeScript with the right limits', async () => {
    const model = small();
    expect(() => model.predict(x, { batchSize: 1e19 })).toThrow(/predict: batchSize must be an integer from 1 to 2147483647, got 10000000000000000000/);
    await expect(model.fit(x, y, { batchSize: 2 ** 31, verbose: 0 })).rejects.toThrow(/fit: batchSize must be an integer from 1 to 2147483647/);
    expect(() => sequential([], { seed: 2 ** 64 })).toThrow(/sequential: seed must be an integer from 0 to 9007199254740991, got 18446744073709552000/);
    expect(() => sequential([], { seed: 1e300 })).toThrow(/sequential: seed must be an integer from 0 to 9007199254740991/);
    await expect(model.fit(x, y, { seed: 2 ** 64, verbose: 0 })).rejects.toThrow(/fit: seed must be an integer from 0 to 9007199254740991/);
    expect(() => setNumThreads(2000)).toThrow(/setNumThreads: threads must be an integer from 1 to \d+, got 2000/);
    expect(() => setNumThreads(1024)).toThrow(/from 1 to \d+, got 1024/);
  });

  it('the native side checks them again instead of casting', () => {
    const model = small();
    model.countParams();
    const program = model._program;
    const rows = new native.Dataset(new Float32Array(6), [3]);
    expect(() => program.predict(rows, 1e19)).toThrow(/batchSize must be an integer from 1 to 2147483647/);
    expect(() => program.inputGradient(1e19)).toThrow(/count must be an integer from 0 to 2147483647/);
    expect(() => new native.Dataset(new Float32Array(6), [1e300])).toThrow(/x shape must be an array of positive integers up to 2\^31 - 1/);
    rows.dispose();
  });
});

describe('10. smaller API gaps', () => {
  it('the Tensor constructor checks its data against its shape', () => {
    expect(() => new Tensor(new Float32Array(8), [1000, 4], 'float32')).toThrow(/Tensor: shape \[1000, 4\] holds 4000 values but the data has 8/);
    expect(() => new Tensor(new Int32Array(4), [4], 'float32')).toThrow(/float32 data must be a Float32Array/);
    expect(new Tensor(new Float32Array(8), [2, 4], 'float32').shape).toEqual([2, 4]);
  });

  it('setWeights with a wrong data length says what the lengths are', () => {
    const model = sequential([layers.dense({ inputShape: [4], units: 8 })]);
    const [kernel, bias] = model.getWeights();
    expect(() => model.setWeights([{ ...kernel, data: new Float32Array(31) }, bias])).toThrow(/weight 0 \('dense_1\/kernel'\) has shape \[4, 8\], which holds 32 values, but its data has 31/);
  });

  it('a custom initializer returning NaN or the wrong length is refused', () => {
    const nan = { generate: (size: number) => new Float32Array(size).fill(NaN), getConfig: () => ({}), className: 'Nan' };
    expect(() => sequential([layers.dense({ inputShape: [2], units: 2, kernelInitializer: nan as never })]).countParams()).toThrow(/layer 'dense_1': the kernel initializer returned NaN at index 0; initial weights must be finite/);
    const short = { ...nan, generate: () => new Float32Array(1) };
    expect(() => sequential([layers.dense({ inputShape: [2], units: 2, kernelInitializer: short as never })]).countParams()).toThrow(/must return a Float32Array of 4 values, got 1 values/);
  });

  it('fromIdx stops a gzip that expands beyond maxBytes (default 1 GiB)', async () => {
    // About 1 MB of gzip (17 members of 64 MiB of zeros each) claiming a [1140850680] ubyte
    // tensor: it would expand to 1.06 GiB.
    const chunk = 2 ** 26;
    const header = Buffer.from([0, 0, 0x08, 1, 0x43, 0xff, 0xff, 0xf8]);
    const zeros = gzipSync(Buffer.alloc(chunk), { level: 9 });
    const first = gzipSync(Buffer.concat([header, Buffer.alloc(chunk - header.length)]), { level: 9 });
    writeFileSync(at('bomb.idx.gz'), Buffer.concat([first, ...Array.from({ length: 16 }, () => zeros)]));
    await expect(data.fromIdx(at('bomb.idx.gz'))).rejects.toThrow(/decompresses to more than maxBytes \(1073741824 bytes\)/);
    await expect(data.fromIdx(at('bomb.idx.gz'), { maxBytes: 1000 })).rejects.toThrow(/more than maxBytes \(1000 bytes\)/);
    writeFileSync(at('plain.idx'), Buffer.concat([Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 3]), Buffer.from([1, 2, 3])]));
    await expect(data.fromIdx(at('plain.idx'), { maxBytes: 10 })).rejects.toThrow(/holds 11 bytes, more than maxBytes \(10\)/);
    expect(Array.from((await data.fromIdx(at('plain.idx'))).data)).toEqual([1, 2, 3]);
  }, 30_000);
});
