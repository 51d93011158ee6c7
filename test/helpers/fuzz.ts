// Seeded mutation fuzzing of every loader (model.json, weights and optimizer safetensors, IDX,
// CSV, run configs) and of layer configs. Each case mutates a valid input a few times and runs the
// loader on it; the case passes when the loader succeeds or throws the library's own clean Error
// (the loader's prefix, none of JavaScript's internal errors). A crash takes the process down and
// a hang trips the per-case timer: both are findings too. Used by test/fuzz.test.ts (200 cases
// per format in npm test) and scripts/fuzz.ts (`npm run fuzz -- --cases N`).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildLayers, readRunConfig } from '../../src/cli/train.js';
import { data, layers, loadModel, optimizers, sequential, tensor } from '../../src/index.js';
import { layerFromConfig } from '../../src/layers/index.js';
import { deriveSeed, Random } from '../../src/random.js';

export interface Finding {
  format: string;
  case: number;
  problem: string;
}

// What JavaScript itself throws when code trips over a value it did not check.
const INTERNAL = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|undefined is not|null is not|Maximum call stack|Invalid array length|Invalid typed array length|Array buffer allocation failed|out of memory/i;

// ---- mutations ----

const INTERESTING_NUMBERS = [0, -1, 1, -0, 0.5, 255, 256, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 31), 1e19, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 3.5];
const INTERESTING_VALUES: unknown[] = [...INTERESTING_NUMBERS, null, true, false, '', 'x', '1', '-1e12', 'NaN', [], {}, [1, 2], { a: 1 }, 'A'.repeat(1000)];

function mutateBytes(input: Uint8Array, r: Random): Uint8Array {
  let b = Buffer.from(input);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const at = b.length ? r.int(b.length) : 0;
    switch (r.int(7)) {
      case 0: if (b.length) b[at] ^= 1 << r.int(8); break; // flip a bit
      case 1: if (b.length) b[at] = [0, 0xff, 0x7f, 0x80, 0x01][r.int(5)]; break; // an edge byte
      case 2: if (b.length >= 4) b.writeUInt32BE([0, 0xffffffff, 0x80000000, 0x7fffffff, 1][r.int(5)], Math.min(at, b.length - 4)); break;
      case 3: b = b.subarray(0, r.int(b.length + 1)); break; // truncate
      case 4: b = Buffer.concat([b.subarray(0, at), Buffer.alloc(1 + r.int(16), r.int(256)), b.subarray(at)]); break; // insert
      case 5: b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + r.int(16)))]); break; // delete
      default: b = Buffer.concat([b, b.subarray(at, at + 1 + r.int(64))]); // append a copy of a piece
    }
  }
  return b;
}

/** Replaces, deletes or adds one value somewhere in a JSON document. */
function mutateJson(value: unknown, r: Random): unknown {
  const copy = structuredClone(value);
  const containers: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (containers.push([v, i]), walk(x)));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) containers.push([v as Record<string, unknown>, k]), walk(x);
  };
  walk(copy);
  const n = 1 + r.int(3);
  for (let k = 0; k < n && containers.length; k++) {
    const [owner, key] = containers[r.int(containers.length)];
    const pick = r.int(10);
    const replacement = INTERESTING_VALUES[r.int(INTERESTING_VALUES.length)];
    if (pick < 6) (owner as Record<string | number, unknown>)[key] = structuredClone(replacement);
    else if (pick < 8) Array.isArray(owner) ? owner.splice(Number(key), 1) : delete (owner as Record<string, unknown>)[key as string];
    else if (!Array.isArray(owner)) (owner as Record<string, unknown>)[`extra${r.int(10)}`] = replacement;
    else owner.push(structuredClone(owner[0]));
  }
  return copy;
}

function mutateText(text: string, r: Random): string {
  const pieces = [',', '"', '\n', '\r\n', '""', 'NaN', '1e39', '-', '0x1F', ' ', '\u0000', 'é', '?', 'Infinity', '4294967296', ',,,,', '"a""b"', '\ufeff'];
  let t = text;
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const at = r.int(t.length + 1);
    switch (r.int(3)) {
      case 0: t = t.slice(0, at) + pieces[r.int(pieces.length)] + t.slice(at); break;
      case 1: t = t.slice(0, at) + t.slice(at + 1 + r.int(8)); break;
      default: t = t.slice(0, at) + pieces[r.int(pieces.length)] + t.slice(at + 1);
    }
  }
  return t;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// ---- the formats ----

interface Format {
  name: string;
  /** A clean error's message starts like this. */
  prefix: RegExp;
  /** Prepares the valid inputs once, in `dir`. */
  setup(dir: string): Promise<void>;
  /** Mutates and loads one case; `scratch` is a fresh folder for it. */
  run(dir: string, scratch: string, r: Random): Promise<void>;
}

async function savedModel(dir: string) {
  const model = sequential([
    layers.embedding({ inputDim: 7, outputDim: 3, inputLength: 4 }), layers.flatten(),
    layers.dense({ units: 5, activation: 'relu' }), layers.dropout({ rate: 0.2 }), layers.dense({ units: 2 }),
  ], { seed: 1 });
  model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'softmaxCrossEntropy', metrics: ['accuracy'] });
  const x = tensor(Int32Array.from({ length: 24 }, (_, i) => i % 7), [6, 4], 'int32');
  await model.fit(x, tensor(Int32Array.from([0, 1, 0, 1, 1, 0]), [6], 'int32'), { epochs: 2, batchSize: 3, seed: 1, verbose: 0 });
  await model.save(path.join(dir, 'model'));
}

function copyCheckpoint(dir: string, scratch: string): string {
  const target = path.join(scratch, 'model');
  mkdirSync(target);
  for (const f of ['model.json', 'weights.safetensors', 'optimizer.safetensors']) writeFileSync(path.join(target, f), readFileSync(path.join(dir, 'model', f)));
  return target;
}

/** Loads the checkpoint and, when that works, trains a step on it: state that loads must also run. */
async function loadAndStep(target: string) {
  const model = await loadModel(target);
  const x = tensor(Int32Array.from({ length: 8 }, (_, i) => i % 7), [2, 4], 'int32');
  await model.fit(x, tensor(Int32Array.from([0, 1]), [2], 'int32'), { epochs: 1, batchSize: 2, verbose: 0 });
  model.dispose();
}

function safetensorsFormat(file: string): Format {
  return {
    name: file,
    // A file that loads may still hold weights that overflow in the step: fit's NaN guard says so.
    prefix: /^(loadModel: |fit: the (gradient|loss|update)|fit: call model\.compile)/,
    setup: savedModel,
    async run(dir, scratch, r) {
      const target = copyCheckpoint(dir, scratch);
      const bytes = mutateBytes(readFileSync(path.join(target, file)), r);
      writeFileSync(path.join(target, file), bytes);
      // Most cases carry a matching size and SHA-256, so the mutation reaches the decoder.
      if (r.uniform() < 0.8) {
        const manifest = JSON.parse(readFileSync(path.join(target, 'model.json'), 'utf8'));
        manifest.files[file] = { bytes: bytes.length, sha256: sha256(bytes) };
        writeFileSync(path.join(target, 'model.json'), JSON.stringify(manifest));
      }
      await loadAndStep(target);
    },
  };
}

const RUN_CONFIG = {
  name: 'fuzz', data: { source: 'mnist', testSize: 0.2, seed: 1 },
  model: { layers: [{ type: 'dense', units: 8, activation: 'relu', kernelRegularizer: { l2: 0.001 } }, { type: 'dropout', rate: 0.1 }, { type: 'activation', activation: 'tanh' }, { type: 'flatten' }, { type: 'dense', units: 10 }] },
  compile: { optimizer: { type: 'adam', learningRate: { name: 'cosineDecay', initialLearningRate: 0.01, decaySteps: 10 } }, loss: 'softmaxCrossEntropy', metrics: ['accuracy'] },
  fit: { epochs: 1, batchSize: 16, seed: 1 },
};

const IDX_IMAGES = Buffer.concat([Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 4]), Buffer.from(Array.from({ length: 48 }, (_, i) => i * 5))]);
const CSV = 'id,a,b,label\n1,0.5,-2,cat\n2,1e-3,3.25,dog\n3,"4",NA,cat\n4,7,8,bird\n';

export const FORMATS: Format[] = [
  {
    name: 'model.json',
    prefix: /^(loadModel: |fit: the (gradient|loss|update)|fit: call model\.compile)/,
    setup: savedModel,
    async run(dir, scratch, r) {
      const target = copyCheckpoint(dir, scratch);
      const file = path.join(target, 'model.json');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, r.uniform() < 0.75 ? JSON.stringify(mutateJson(JSON.parse(text), r)) : mutateText(text, r));
      await loadAndStep(target);
    },
  },
  safetensorsFormat('weights.safetensors'),
  safetensorsFormat('optimizer.safetensors'),
  {
    name: 'idx',
    prefix: /^fromIdx: /,
    async setup() {},
    async run(_dir, scratch, r) {
      let bytes = mutateBytes(IDX_IMAGES, r);
      if (r.uniform() < 0.3) bytes = r.uniform() < 0.5 ? gzipSync(bytes) : mutateBytes(gzipSync(bytes), r);
      writeFileSync(path.join(scratch, 'f.idx'), bytes);
      const options = [{}, { dtype: 'float32' as const, scale: 1 / 255 }, { dtype: 'int32' as const }, { maxBytes: 100 }][r.int(4)];
      await data.fromIdx(path.join(scratch, 'f.idx'), options);
    },
  },
  {
    name: 'csv',
    prefix: /^fromCsv: /,
    async setup() {},
    async run(_dir, scratch, r) {
      writeFileSync(path.join(scratch, 'f.csv'), mutateText(CSV, r));
      const options = [{ label: 'label', missing: 'mean' as const }, { label: 'label', missing: 'skipRow' as const, columns: ['a', 'b'] }, { label: 3, header: false, missing: 0 }, { label: 'a', labelType: 'class' as const, missing: 'skipRow' as const }][r.int(4)];
      await data.fromCsv(path.join(scratch, 'f.csv'), options);
    },
  },
  {
    name: 'run config',
    prefix: /^(\/|cannot read the config|layer |sequential: |dense: |dropout: |activation: |flatten: )/,
    async setup() {},
    async run(_dir, scratch, r) {
      const file = path.join(scratch, 'run.json');
      // The schema is strict, so nearly every mutation is refused; one case in ten keeps the valid
      // config, so the layers are built and the path past the checks runs too.
      const pick = r.uniform();
      writeFileSync(file, pick < 0.1 ? JSON.stringify(RUN_CONFIG) : pick < 0.8 ? JSON.stringify(mutateJson(RUN_CONFIG, r)) : mutateText(JSON.stringify(RUN_CONFIG), r));
      const config = await readRunConfig(file);
      sequential(buildLayers(config, 784), { seed: 1 }).countParams();
    },
  },
  {
    name: 'layer config',
    // Layer constructors name their class ("dense: units must be..."), build errors the layer.
    prefix: /^(fuzz layer: |layer '|sequential: |[a-zA-Z]+: )/,
    async setup() {},
    async run(_dir, _scratch, r) {
      // What getConfig() writes into model.json for every kind of layer.
      const entries = sequential([
        layers.embedding({ inputDim: 9, outputDim: 4, inputLength: 3 }), layers.flatten(), layers.dense({ units: 6, activation: 'relu' }),
        layers.dropout({ rate: 0.3 }), layers.leakyRelu({ alpha: 0.2 }), layers.gelu(), layers.dense({ units: 3, useBias: false }), layers.softmax(),
      ]).getConfig().layers as { className: string; config: Record<string, unknown> }[];
      const mutated = mutateJson(entries, r) as typeof entries;
      const model = sequential(mutated.map((e) => layerFromConfig(e, 'fuzz layer')), { seed: 2 });
      model.countParams();
    },
  },
];

export interface FuzzResult {
  /** Cases the loader accepted (and, for checkpoints, trained a step on). */
  accepted: number;
  /** Cases refused with the library's own clean Error. */
  refused: number;
  /** Crashes are not counted: they end the process. Anything else is a finding. */
  findings: Finding[];
}

/** Runs `cases` cases of one format from `seed`. */
export async function fuzzFormat(format: Format, cases: number, seed: number, hangMs = 10_000): Promise<FuzzResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `gradloop-fuzz-${format.name.replace(/\W/g, '')}-`));
  const findings: Finding[] = [];
  let accepted = 0, refused = 0;
  try {
    await format.setup(dir);
    for (let c = 0; c < cases; c++) {
      // Each case its own well-mixed stream (consecutive raw seeds start xoroshiro alike).
      const r = new Random(deriveSeed(seed, c));
      const scratch = path.join(dir, `case-${c}`);
      mkdirSync(scratch);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          format.run(dir, scratch, r),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: no answer in ${hangMs} ms`)), hangMs))),
        ]);
        accepted++;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        // The library throws Error, TypeError and RangeError (and their subclasses such as the CLI's
        // ConfigError); SyntaxError, ReferenceError and friends come from JavaScript itself.
        const ours = err instanceof Error && !(err instanceof SyntaxError || err instanceof ReferenceError || err instanceof EvalError || err instanceof URIError);
        const clean = ours && format.prefix.test(message) && !INTERNAL.test(message) && !message.startsWith('HANG');
        if (clean) refused++;
        else findings.push({ format: format.name, case: c, problem: `${err instanceof Error ? err.constructor.name : typeof err}: ${message.slice(0, 300)}` });
      } finally {
        clearTimeout(timer);
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { accepted, refused, findings };
}
