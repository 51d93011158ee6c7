// Checkpoints: save/load round trip, bit-identical resume in a fresh process (dropout, shuffles,
// Adam and a schedule included), mid-epoch resume, modelCheckpoint, clear errors for corrupt or
// truncated files with nothing half-loaded, and kill -9 during a save.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callbacks, layers, loadModel, optimizers, schedules, sequential, tensor, text, type Tensor } from '../src/index.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import { Random } from '../src/random.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'gradloop-ckpt-'));
const bits = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const hashWeights = (ws: { data: Float32Array }[]) => {
  const h = createHash('sha256');
  for (const w of ws) h.update(bits(w.data));
  return h.digest('hex');
};

function data(rows: number, seed: number): [Tensor, Tensor] {
  const r = new Random(seed);
  const x = Float32Array.from({ length: rows * 10 }, () => r.normal());
  const y = Int32Array.from({ length: rows }, (_, i) => (x[i * 10] > 0 ? 1 : 0) + (x[i * 10 + 1] > 0 ? 2 : 0));
  return [tensor(x, [rows, 10]), tensor(y, [rows], 'int32')];
}

function model(seed = 3) {
  const m = sequential(
    [
      layers.dense({ inputShape: [10], units: 24, activation: 'relu', kernelRegularizer: 'l2' }),
      layers.dropout({ rate: 0.25 }),
      layers.dense({ units: 4 }),
    ],
    { seed, name: 'classifier' },
  );
  m.compile({
    optimizer: optimizers.adam({ learningRate: schedules.exponentialDecay({ initialLearningRate: 0.01, decaySteps: 20, decayRate: 0.5 }) }),
    loss: 'softmaxCrossEntropy',
    metrics: ['accuracy'],
    clipNorm: 5,
  });
  return m;
}

describe('save and loadModel', () => {
  it('round-trips architecture, compile settings, weights, optimizer state and position', async () => {
    const [x, y] = data(200, 1);
    const a = model();
    await a.fit(x, y, { epochs: 2, batchSize: 20, seed: 4, verbose: 0 });
    const dir = path.join(scratch(), 'run');
    await a.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'optimizer.safetensors', 'weights.safetensors']);

    const b = await loadModel(dir);
    expect(b.name).toBe('classifier');
    expect(b.getConfig()).toEqual(a.getConfig());
    expect(b.summary(() => {})).toBe(a.summary(() => {}));
    expect(hashWeights(b.getWeights())).toBe(hashWeights(a.getWeights()));
    expect(bits(b.predict(x).data).equals(bits(a.predict(x).data))).toBe(true);
    expect(b.compileConfig!.loss).toBe('softmaxCrossEntropy');
    expect(b.optimizer!.getConfig()).toEqual(a.optimizer!.getConfig());
    expect(b.optimizer!.iterations).toBe(20);
    expect(b._program.getCounters()).toEqual(a._program.getCounters());
    for (let i = 0; i < 4; i++)
      for (let k = 0; k < 2; k++) expect(bits(b._program.getOptimizerState(i, k)).equals(bits(a._program.getOptimizerState(i, k)))).toBe(true);

    const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'gradloop-checkpoint', formatVersion: 1, compile: { clipNorm: 5 } });
    expect(manifest.training.position).toMatchObject({ epoch: 2, step: 0, seed: 4, batchSize: 20, accumulateSteps: 1 });
  });

  it('an uncompiled model saves and loads its weights alone', async () => {
    const a = sequential([layers.dense({ inputShape: [3], units: 2 })], { seed: 9 });
    const dir = path.join(scratch(), 'plain');
    await a.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.safetensors']);
    const b = await loadModel(dir);
    expect(b.compileConfig).toBeUndefined();
    expect(hashWeights(b.getWeights())).toBe(hashWeights(a.getWeights()));
  });

  it("a text model's tokenizer is saved in the checkpoint (tokenizer.json, checksummed) and loaded with it", async () => {
    const corpus = 'the sea, the whale and the ship';
    const tokenizer = text.wordTokenizer().fit(corpus);
    const a = sequential([layers.embedding({ inputDim: tokenizer.vocabularySize, outputDim: 4, inputLength: 3 }), layers.flatten(), layers.dense({ units: tokenizer.vocabularySize })], { seed: 2 });
    a.tokenizer = tokenizer;
    const dir = path.join(scratch(), 'words');
    await a.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'tokenizer.json', 'weights.safetensors']);
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).files)).toContain('tokenizer.json');
    const b = await loadModel(dir);
    expect(b.tokenizer?.toJSON()).toEqual(a.tokenizer.toJSON());
    expect(text.generate(b, b.tokenizer!, 'the sea', { maxTokens: 4, seed: 1 })).toBe(text.generate(a, tokenizer, 'the sea', { maxTokens: 4, seed: 1 }));
    // Edited by hand: the checksum in model.json no longer matches.
    writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ ...tokenizer.toJSON(), lowercase: false }));
    await expect(loadModel(dir)).rejects.toThrow(/tokenizer.json' (has \d+ bytes but model.json says|does not match the SHA-256)/);
  });

  it('weights.safetensors opens in an independent reader (Python: json, struct, numpy)', async () => {
    const a = model();
    const dir = path.join(scratch(), 'interop');
    await a.save(dir);
    const script = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
assert (8 + n) % 8 == 0
out = {}
for name, t in header.items():
    if name == '__metadata__': continue
    b, e = t['data_offsets']
    a = np.frombuffer(raw[8 + n + b:8 + n + e], dtype='<f4').reshape(t['shape'])
    out[name] = [t['dtype'], list(a.shape), float(a.astype(np.float64).sum())]
print(json.dumps(out))`;
    const py = spawnSync('/usr/bin/python3', ['-c', script, path.join(dir, 'weights.safetensors')], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const seen = JSON.parse(py.stdout);
    for (const w of a.getWeights()) {
      expect(seen[w.name].slice(0, 2)).toEqual(['F32', w.shape]);
      expect(seen[w.name][2]).toBeCloseTo(w.data.reduce((s, v) => s + v, 0), 4);
    }
  });

  // The safetensors package is not in Debian's archive, so CI cannot install it; where it is
  // installed (pip install safetensors), the reference implementation reads our file too.
  const hasSafetensors = spawnSync('/usr/bin/python3', ['-c', 'import safetensors.numpy'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasSafetensors)('weights.safetensors opens with the reference safetensors package', async () => {
    const a = model();
    const dir = path.join(scratch(), 'reference');
    await a.save(dir);
    const script = `
import json, sys
from safetensors.numpy import load_file
print(json.dumps({k: [list(v.shape), str(v.dtype), float(v.sum())] for k, v in load_file(sys.argv[1]).items()}))`;
    const seen = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, path.join(dir, 'weights.safetensors')], { encoding: 'utf8' }));
    for (const w of a.getWeights()) {
      expect(seen[w.name].slice(0, 2)).toEqual([w.shape, 'float32']);
      expect(seen[w.name][2]).toBeCloseTo(w.data.reduce((s, v) => s + v, 0), 4);
    }
  });
});

describe('exact resume', () => {
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', 'test/helpers/resume-run.ts', ...args], { encoding: 'utf8' }).trim();

  it('4 epochs, save, load in a new process, resume to 8 = 8 uninterrupted epochs, bit for bit', () => {
    const dir = path.join(scratch(), 'half');
    const full = run('full', '8');
    expect(run('first', '4', dir)).toMatch(/iterations 60$/);
    expect(run('resume', '8', dir)).toBe(full);
    expect(full).toMatch(/iterations 120$/);
  });

  it('resumes from a mid-epoch checkpoint (modelCheckpoint everySteps) bit for bit', async () => {
    const [x, y] = data(150, 2);
    const fit = { epochs: 3, batchSize: 16, seed: 8, verbose: 0 as const };
    const reference = model();
    await reference.fit(x, y, fit);

    const root = scratch();
    const saving = model();
    const checkpoints = callbacks.modelCheckpoint({ dir: path.join(root, 'e{epoch}-s{step}'), everySteps: 7 });
    await saving.fit(x, y, { ...fit, callbacks: checkpoints });
    expect(checkpoints.saved.length).toBeGreaterThan(3);
    const mid = checkpoints.saved.find((d) => d.endsWith('e2-s4'))!; // step 14 of 30: epoch 2, 4 steps in
    expect(mid).toBeDefined();

    const resumed = await loadModel(mid);
    await resumed.fit(x, y, { epochs: 3, resumeFrom: mid, verbose: 0 });
    expect(hashWeights(resumed.getWeights())).toBe(hashWeights(reference.getWeights()));
  });

  it('accumulateSteps and the batch size carry over into the resumed fit', async () => {
    const [x, y] = data(120, 3);
    const fit = { epochs: 4, batchSize: 8, accumulateSteps: 3, seed: 1, verbose: 0 as const };
    const reference = model();
    await reference.fit(x, y, fit);
    const first = model();
    await first.fit(x, y, { ...fit, epochs: 2 });
    const dir = path.join(scratch(), 'acc');
    await first.save(dir);
    const resumed = await loadModel(dir);
    const history = await resumed.fit(x, y, { epochs: 4, resumeFrom: dir, verbose: 0 });
    expect(history.epoch).toEqual([2, 3]);
    expect(history.params).toMatchObject({ batchSize: 8, accumulateSteps: 3 });
    expect(hashWeights(resumed.getWeights())).toBe(hashWeights(reference.getWeights()));
  });
});

describe('modelCheckpoint', () => {
  it('saveBestOnly writes only on improvement; every skips epochs; {epoch} names folders', async () => {
    const [x, y] = data(160, 4);
    const [vx, vy] = data(60, 5);
    const root = scratch();
    const best = callbacks.modelCheckpoint({ dir: path.join(root, 'best'), monitor: 'valLoss', saveBestOnly: true });
    const periodic = callbacks.modelCheckpoint({ dir: path.join(root, 'epoch-{epoch}'), every: 2 });
    const seen: number[] = [];
    const m = model();
    const history = await m.fit(x, y, {
      epochs: 6, batchSize: 16, seed: 1, verbose: 0, validationData: [vx, vy],
      callbacks: [best, periodic, { onEpochEnd: (_e, logs) => void seen.push(logs!.valLoss) }],
    });
    expect(periodic.saved.map((d) => path.basename(d))).toEqual(['epoch-2', 'epoch-4', 'epoch-6']);
    const improving = seen.filter((v, i) => v < Math.min(...seen.slice(0, i)));
    expect(best.saved.length).toBe(improving.length);
    expect(best.best).toBe(Math.min(...history.history.valLoss));
    const loaded = await loadModel(path.join(root, 'best'));
    expect(JSON.parse(readFileSync(path.join(root, 'best', 'model.json'), 'utf8')).training.position.epoch).toBe(seen.indexOf(best.best) + 1);
    expect(loaded.countParams()).toBe(m.countParams());
  });

  it('a missing monitor names the available metrics', async () => {
    const [x, y] = data(40, 6);
    const m = model();
    const cb = callbacks.modelCheckpoint({ dir: path.join(scratch(), 'x'), saveBestOnly: true });
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: cb })).rejects.toThrow(/modelCheckpoint: monitor 'valLoss' is not in the epoch logs .*validationData/);
  });
});

describe('corrupt and truncated checkpoints', () => {
  async function saved() {
    const [x, y] = data(80, 7);
    const m = model();
    await m.fit(x, y, { epochs: 1, batchSize: 16, seed: 2, verbose: 0 });
    const dir = path.join(scratch(), 'ck');
    await m.save(dir);
    return { dir, x, y };
  }

  it('a truncated weights file is named, with what is wrong', async () => {
    const { dir } = await saved();
    const file = path.join(dir, 'weights.safetensors');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.safetensors' has 100 bytes but model\.json says \d+; the file is truncated/);
  });

  it('a flipped byte fails the checksum', async () => {
    const { dir } = await saved();
    const file = path.join(dir, 'optimizer.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0x40;
    writeFileSync(file, bytes);
    await expect(loadModel(dir)).rejects.toThrow(/optimizer\.safetensors' does not match the SHA-256 in model\.json; the file is corrupt/);
  });

  it('a damaged model.json, a foreign folder and a missing folder', async () => {
    const { dir } = await saved();
    writeFileSync(path.join(dir, 'model.json'), '{"format": "gradloop-checkpoint", ');
    await expect(loadModel(dir)).rejects.toThrow(/model\.json' is not valid JSON .*corrupt/);
    const other = scratch();
    await expect(loadModel(other)).rejects.toThrow(/is not a checkpoint: it has no model\.json/);
    await expect(loadModel(path.join(other, 'nope'))).rejects.toThrow(/no checkpoint at .*nope.*does not exist/);
  });

  it('a well-formed file with a malformed safetensors header is rejected by the parser', async () => {
    const { dir } = await saved();
    // Rewrite weights.safetensors with a wrong shape and fix up model.json's size and hash, so
    // only the architecture check can catch it.
    const bad = encodeSafetensors([{ name: 'dense_1/kernel', shape: [5, 24], data: new Float32Array(120) }]);
    writeFileSync(path.join(dir, 'weights.safetensors'), bad);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    manifest.files['weights.safetensors'] = { bytes: bad.length, sha256: createHash('sha256').update(bad).digest('hex') };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.safetensors' has 'dense_1\/kernel' with shape \[5, 24\], the model needs \[10, 24\]/);

    const garbage = new Uint8Array(64);
    new DataView(garbage.buffer).setBigUint64(0, 10_000n, true);
    writeFileSync(path.join(dir, 'weights.safetensors'), garbage);
    manifest.files['weights.safetensors'] = { bytes: 64, sha256: createHash('sha256').update(garbage).digest('hex') };
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.safetensors' is not a valid safetensors file: its header claims 10000 bytes/);
  });

  it('resumeFrom a corrupt checkpoint changes nothing in the model', async () => {
    const { dir, x, y } = await saved();
    const m = model(42);
    const before = hashWeights(m.getWeights());
    const state = m._program.getCounters();
    const file = path.join(dir, 'optimizer.safetensors');
    writeFileSync(file, readFileSync(file).subarray(0, 50));
    await expect(m.fit(x, y, { epochs: 3, resumeFrom: dir, verbose: 0 })).rejects.toThrow(/optimizer\.safetensors' has 50 bytes/);
    expect(hashWeights(m.getWeights())).toBe(before);
    expect(m._program.getCounters()).toEqual(state);
    expect(m.optimizer!.iterations).toBe(0);
  });

  it('a checkpoint of another architecture is refused before anything is applied', async () => {
    const { dir } = await saved();
    const other = sequential([layers.dense({ inputShape: [10], units: 24, activation: 'relu' }), layers.dense({ units: 3 })], { seed: 1, name: 'other' });
    other.compile({ optimizer: optimizers.adam(), loss: 'softmaxCrossEntropy' });
    const before = hashWeights(other.getWeights());
    const [x, y] = data(20, 1);
    await expect(other.fit(x, tensor(Int32Array.from(y.data as Int32Array, (v) => v % 3), [20], 'int32'), { epochs: 2, resumeFrom: dir, verbose: 0 })).rejects.toThrow(
      /weights\.safetensors' has 'dense_2\/kernel' with shape \[24, 4\], the model needs \[24, 3\]/,
    );
    expect(hashWeights(other.getWeights())).toBe(before);
  });

  it('save refuses a folder holding other files, and an interrupted swap falls back to <dir>.previous', async () => {
    const root = scratch();
    const m = model();
    mkdirSync(path.join(root, 'mine'));
    writeFileSync(path.join(root, 'mine', 'notes.txt'), 'keep me');
    await expect(m.save(path.join(root, 'mine'))).rejects.toThrow(/holds files that are not part of a checkpoint \(notes\.txt\)/);
    expect(readdirSync(path.join(root, 'mine'))).toEqual(['notes.txt']);

    // The one instant a save leaves no <dir>: after renaming it to <dir>.previous, before the new one moves in.
    await m.save(path.join(root, 'ck'));
    renameSync(path.join(root, 'ck'), path.join(root, 'ck.previous'));
    const loaded = await loadModel(path.join(root, 'ck'));
    expect(hashWeights(loaded.getWeights())).toBe(hashWeights(m.getWeights()));
    await m.save(path.join(root, 'ck')); // completes the swap and removes .previous
    expect(readdirSync(root).sort()).toEqual(['ck', 'mine']);
  });
});

describe('kill -9 during a save', () => {
  it('always leaves a complete, consistent checkpoint (5 kills at random points)', async () => {
    const dir = path.join(scratch(), 'ck');
    const r = new Random(99);
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/save-loop.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      // After the first save of this round completes, kill at a random moment of a later one.
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk) => {
          out += chunk;
          if (out.includes('saved 1\n')) resolve();
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 20 + r.int(250)));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));

      const loaded = await loadModel(dir);
      const v = loaded.optimizer!.iterations;
      const last = Number(out.trim().split('\n').pop()!.split(' ')[1]);
      expect(v === last || v === last + 1).toBe(true); // the last reported save, or one that finished unreported
      for (const w of loaded.getWeights()) expect(w.data.every((value) => value === v)).toBe(true);
    }
  }, 60_000);
});
