// Checkpoint folders: model.json (architecture, compile and training state, and the size and
// SHA-256 of every other file), weights.safetensors, optimizer.safetensors and, for a text model
// given one, tokenizer.json.
//
// A save never leaves a torn checkpoint: the files go to a staging folder beside the target and
// are fsynced, then the old folder is renamed to <dir>.previous, the staging folder to <dir>, and
// <dir>.previous is removed. A process killed at any point leaves either <dir> complete, or (in
// the instant between the two renames) <dir>.previous complete, which reading falls back to.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { VERSION } from '../version.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'gradloop-checkpoint';
export const CHECKPOINT_VERSION = 1;
const MANIFEST = 'model.json';
const WEIGHTS = 'weights.safetensors';
const OPTIMIZER = 'optimizer.safetensors';
const TOKENIZER = 'tokenizer.json';
const OWN_FILES = new Set([MANIFEST, WEIGHTS, OPTIMIZER, TOKENIZER]);

/** model.json, less the `files` table the writer fills in. */
/** A compiled metric: its name, or metrics.<name>()'s options (compile checks them again on load). */
export type SavedMetric = string | { readonly kind: string };

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  gradloopVersion: string;
  savedAt: string;
  model: {
    name: string;
    seed: number;
    layers: { className: string; config: Record<string, unknown> }[];
    graph?: { inputs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[]; nodes: { layer: string; inputs: string[] }[]; outputs: string[] };
  };
  compile?: { loss: string; fromLogits?: boolean; ignoreIndex?: number; delta?: number; labelSmoothing?: number; outputs?: { name: string; loss: string; fromLogits?: boolean; ignoreIndex?: number; delta?: number; labelSmoothing?: number; weight: number; metrics: SavedMetric[]; weightedMetrics?: SavedMetric[] }[]; metrics: SavedMetric[]; weightedMetrics?: SavedMetric[]; optimizer: Record<string, unknown>; clipNorm: number; clipValue: number };
  training?: {
    /** Where fit() stood: epoch and step to run next, seed, batch size... (null before any fit). */
    position: Record<string, unknown> | null;
    /** Optimizer updates so far (schedules count these). */
    iterations: number;
    counters: { optimizerStep: number; forwardCount: number };
    optimizerSlots: string[];
  };
  files?: Record<string, { bytes: number; sha256: string }>;
}

// model.json, checked field by field before anything is applied: a wrong or missing value is an
// Error naming the file and the key, never a crash later (an epoch of -1e12 would resume forever).
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const savedMetrics = z.array(z.union([z.string(), z.object({ kind: z.string() }).passthrough()]));
const positionSchema = z.strictObject({
  epoch: count,
  step: count,
  seed: count,
  batchSize: z.number().int().min(1).max(2 ** 31 - 1),
  accumulateSteps: z.number().int().min(1).max(2 ** 31 - 1),
  shuffle: z.boolean(),
  epochs: count,
  validationSplit: z.number().gt(0).lt(1).optional(),
  worldSize: z.number().int().min(2).max(2 ** 31 - 1).optional(),
}).refine((p) => p.epoch <= p.epochs, { message: 'epoch must not exceed epochs', path: ['epoch'] });
const manifestSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(CHECKPOINT_VERSION),
  gradloopVersion: z.string(),
  savedAt: z.string(),
  model: z.object({
    name: z.string().min(1),
    seed: count,
    layers: z.array(z.object({ className: z.string(), config: z.record(z.string(), z.unknown()) })).min(1),
    // Graph models (the functional API): the inputs and each use of a layer (model.ts GraphConfig).
    graph: z.strictObject({
      inputs: z.array(z.strictObject({ name: z.string().min(1), shape: z.array(z.number().int().min(1)).min(1), dtype: z.enum(['float32', 'int32']) })).min(1),
      nodes: z.array(z.strictObject({
        layer: z.string().min(1), inputs: z.array(z.string().min(1)).min(1),
        // A recurrent layer's call arguments: how many of its inputs are initial states, and whether the last is a mask.
        args: z.strictObject({ initialStates: z.number().int().min(0).max(4), masked: z.boolean() }).optional(),
      })).min(1),
      outputs: z.array(z.string().min(1)).min(1),
    }).optional(),
  }),
  compile: z.object({
    loss: z.string(),
    fromLogits: z.boolean().optional(),
    ignoreIndex: z.number().int().optional(),
    delta: z.number().positive().optional(),
    labelSmoothing: z.number().min(0).max(1).optional(),
    // A model with several outputs: each one's loss, weight and metrics.
    outputs: z.array(z.strictObject({ name: z.string().min(1), loss: z.string(), fromLogits: z.boolean().optional(), ignoreIndex: z.number().int().optional(), delta: z.number().positive().optional(), labelSmoothing: z.number().min(0).max(1).optional(), weight: z.number().min(0).refine(Number.isFinite, 'must be finite'), metrics: savedMetrics, weightedMetrics: savedMetrics.optional() })).min(2).optional(),
    metrics: savedMetrics,
    weightedMetrics: savedMetrics.optional(),
    optimizer: z.record(z.string(), z.unknown()),
    clipNorm: z.number().min(0).refine(Number.isFinite, 'must be finite'),
    clipValue: z.number().min(0).refine(Number.isFinite, 'must be finite'),
  }).optional(),
  training: z.object({
    position: positionSchema.nullable(),
    iterations: count,
    counters: z.strictObject({ optimizerStep: count, forwardCount: count }),
    optimizerSlots: z.array(z.enum(['m', 'v', 'momentum', 'square_avg', 'grad_avg', 'momentum_buffer', 'sum', 'acc_delta', 'exp_avg', 'exp_inf', 'exp_avg_sq', 'max_exp_avg_sq'])).max(3),
  }).optional(),
  files: z.record(z.string(), z.strictObject({ bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});

/** The first problem zod found, as "key.path: message (got value)". */
function firstIssue(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0];
  let got: unknown = value;
  for (const key of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const shown = got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 80);
  return `"${issue.path.join('.') || '(the whole file)'}": ${issue.message} (got ${shown})`;
}

export interface CheckpointContents {
  manifest: CheckpointManifest;
  weights: NamedTensor[];
  optimizer: NamedTensor[];
  /** tokenizer.json's contents when the checkpoint has one (parsed, not yet checked as a tokenizer). */
  tokenizer?: unknown;
  /** The folder actually read (<dir>.previous after an interrupted save). */
  from: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFolder(dir: string): Promise<void> {
  // Makes renames durable; not every file system lets a folder be opened.
  const handle = await open(dir, 'r').catch(() => undefined);
  await handle?.sync().catch(() => {});
  await handle?.close().catch(() => {});
}

/** Staging folders left by processes that no longer run. */
async function removeStale(parent: string, base: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const m = entry.startsWith(`${base}.tmp-`) ? /^(\d+)-/.exec(entry.slice(base.length + 5)) : null;
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) await rm(path.join(parent, entry), { recursive: true, force: true });
  }
}

export async function writeCheckpoint(dir: string, manifest: CheckpointManifest, weights: NamedTensor[], optimizer: NamedTensor[], tokenizer?: unknown): Promise<void> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const previous = `${target}.previous`;
  const staging = path.join(parent, `${base}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await mkdir(parent, { recursive: true });
    if (await exists(target)) {
      if (!(await stat(target)).isDirectory()) throw new Error('it exists and is not a folder');
      const foreign = (await readdir(target)).filter((f) => !OWN_FILES.has(f));
      if (foreign.length > 0)
        throw new Error(`it holds files that are not part of a checkpoint (${foreign.slice(0, 3).join(', ')}); a save replaces the whole folder, so use a new or empty one`);
    }
    // <dir>.previous is removed by the save: only when it is provably one of ours, by the same
    // test as the target (a folder holding checkpoint files and nothing else).
    if (await exists(previous)) {
      const foreign = (await stat(previous)).isDirectory() ? (await readdir(previous)).filter((f) => !OWN_FILES.has(f)) : ['(it is not a folder)'];
      if (foreign.length > 0)
        throw new Error(`'${previous}' exists and is not a checkpoint left by an earlier save (it holds ${foreign.slice(0, 3).join(', ')}); a save would remove it, so move it away or save elsewhere`);
    }
    await removeStale(parent, base);
    await mkdir(staging);
    const files: Record<string, Uint8Array> = { [WEIGHTS]: encodeSafetensors(weights, { format: 'gradloop', gradloopVersion: VERSION }) };
    if (optimizer.length > 0) files[OPTIMIZER] = encodeSafetensors(optimizer, { format: 'gradloop-optimizer', gradloopVersion: VERSION });
    if (tokenizer !== undefined) files[TOKENIZER] = Buffer.from(JSON.stringify(tokenizer) + '\n');
    const table: Record<string, { bytes: number; sha256: string }> = {};
    for (const [name, bytes] of Object.entries(files)) {
      await writeSynced(path.join(staging, name), bytes);
      table[name] = { bytes: bytes.length, sha256: sha256(bytes) };
    }
    // The manifest last: a staging folder without it is never mistaken for a checkpoint.
    await writeSynced(path.join(staging, MANIFEST), Buffer.from(JSON.stringify({ ...manifest, files: table }, null, 2) + '\n'));
    await syncFolder(staging);
    if (await exists(target)) {
      await rm(previous, { recursive: true, force: true });
      await rename(target, previous);
    }
    await rename(staging, target);
    await syncFolder(parent);
    await rm(previous, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw new Error(`save: cannot write the checkpoint '${dir}': ${(err as Error).message}`, { cause: err });
  }
}

/** Reads and checks a whole checkpoint; throws naming the file and the problem. Applies nothing. */
export async function readCheckpoint(dir: string): Promise<CheckpointContents> {
  let from = path.resolve(dir);
  if (!(await exists(path.join(from, MANIFEST)))) {
    const previous = `${from}.previous`;
    if (await exists(path.join(previous, MANIFEST))) from = previous; // a save was interrupted between its renames
    else if (await exists(from)) throw new Error(`loadModel: '${dir}' is not a checkpoint: it has no ${MANIFEST} (write one with model.save(dir))`);
    else throw new Error(`loadModel: no checkpoint at '${dir}': the folder does not exist`);
  }
  const manifestPath = path.join(from, MANIFEST);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    throw new Error(`loadModel: '${manifestPath}' is not valid JSON (${(err as Error).message}); the checkpoint is corrupt`);
  }
  const bad = (what: string): never => {
    throw new Error(`loadModel: '${manifestPath}' ${what}`);
  };
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== CHECKPOINT_FORMAT)
    bad(`is not a gradloop checkpoint (its "format" is ${JSON.stringify((manifest as { format?: unknown })?.format)})`);
  if (manifest.formatVersion !== CHECKPOINT_VERSION)
    bad(`has format version ${manifest.formatVersion}; this gradloop ${VERSION} reads version ${CHECKPOINT_VERSION}`);
  const checked = manifestSchema.safeParse(manifest);
  if (!checked.success) bad(`is invalid at ${firstIssue(checked.error, manifest)}; the checkpoint is corrupt or was edited by hand`);
  if (!manifest.files || typeof manifest.files[WEIGHTS] !== 'object') bad(`does not list ${WEIGHTS}`);
  for (const name of Object.keys(manifest.files!)) if (!OWN_FILES.has(name) || name === MANIFEST) bad(`lists "${name}", which is not a checkpoint file`);

  const read = async (name: string): Promise<Buffer | undefined> => {
    const entry = manifest.files![name];
    if (!entry) return undefined;
    const file = path.join(from, name);
    const bytes = await readFile(file).catch((err: Error) => bad(`lists ${name}, which cannot be read: ${err.message}`));
    if (bytes.length !== entry.bytes)
      throw new Error(`loadModel: '${file}' has ${bytes.length} bytes but ${MANIFEST} says ${entry.bytes}; the file is truncated or was replaced`);
    if (sha256(bytes) !== entry.sha256) throw new Error(`loadModel: '${file}' does not match the SHA-256 in ${MANIFEST}; the file is corrupt`);
    return bytes;
  };
  const load = async (name: string): Promise<NamedTensor[]> => {
    const bytes = await read(name);
    if (!bytes) return [];
    try {
      return decodeSafetensors(bytes, path.join(from, name)).tensors;
    } catch (err) {
      throw new Error(`loadModel: ${(err as Error).message}`, { cause: err });
    }
  };
  const tokenizerBytes = await read(TOKENIZER);
  let tokenizer: unknown;
  if (tokenizerBytes) {
    try {
      tokenizer = JSON.parse(tokenizerBytes.toString('utf8'));
    } catch (err) {
      throw new Error(`loadModel: '${path.join(from, TOKENIZER)}' is not valid JSON (${(err as Error).message})`);
    }
  }
  return { manifest, weights: await load(WEIGHTS), optimizer: await load(OPTIMIZER), ...(tokenizerBytes ? { tokenizer } : {}), from };
}
