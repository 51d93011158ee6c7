// The one typed wall between TypeScript and the C++ addon. Everything that
// crosses it has been validated on this side first.
import type { MetricTotals, NativeMetricPlan } from '../metrics/compute.js';
import fs from 'node:fs';
import { createRequire } from 'node:module';
// A static import, so that bundles of gradloop (scripts/gpu/pack.sh) carry the loader too.
import nodeGypBuild from 'node-gyp-build';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BlasCoreChoice, loadWithBestBlasCore } from './blas-kernels.js';

export type NativeDType = 'float32' | 'int32';

export interface NodeSpec {
  /** The native op: a folder under native/ops/ (the native side names an unknown one). */
  op: string;
  name: string;
  inputs: number[]; // tensor ids; tensor 0 is the model input, node i writes tensor i + 1
  numbers?: Record<string, number>;
  strings?: Record<string, string>;
  /** A layer applied again: the index of the node whose parameters this one uses (shared weights). */
  shareParamsWith?: number;
}

export interface ProgramSpec {
  inputShape: number[];
  inputDtype: NativeDType;
  nodes: NodeSpec[];
  inputGradient?: boolean;
  /** The model's outputs (tensor ids); default: the last node's tensor. */
  outputs?: number[];
  /** Incremental decoding: the program runs one position per decode() call, for up to this many positions (inputShape is one position's). */
  decodePositions?: number;
}

export interface OptimizerSpec {
  type: 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax' | 'nadam' | 'lion';
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
  alpha?: number;
  rho?: number;
  centered?: boolean;
  lrDecay?: number;
  initialAccumulatorValue?: number;
  momentumDecay?: number;
}

/** Loss, correct predictions and the number of predictions counted, for one step or a whole evaluation. */
export interface StepResult {
  loss: number;
  correct: number;
  count: number;
  /** Global gradient L2 norm before clipping (training steps). */
  gradNorm: number;
  /** -2 all finite; -1 the loss was not finite; k: parameter k's gradient was the first non-finite one; -3 - k: parameter k's update would have overflowed float32 (not applied). */
  nonFinite: number;
  /** Training steps: per parameter, the sum of squares of its gradient (before clipping) and of its weights (after the step). */
  gradSquares: Float64Array;
  weightSquares: Float64Array;
  /** A model with several losses: each one's mean loss, correct count and count (loss is their weighted sum). */
  heads?: { loss: number; correct: number; count: number }[];
}

/** Fixed values per step in trainSteps' result: loss, correct, count, gradNorm, nonFinite; then gradSquares[P], weightSquares[P]. */
export const STEP_FIELDS = 5;
/** Values per step in trainSteps' result for a program with `params` parameters and `heads` losses (3 values each when several). */
export const stepStride = (params: number, heads = 1): number => STEP_FIELDS + 2 * params + (heads > 1 ? 3 * heads : 0);

/** trainSteps' result (stepStride values per step) as one StepResult per step, viewing `values`. */
export function decodeSteps(values: Float64Array, params: number, heads = 1): StepResult[] {
  const stride = stepStride(params, heads);
  const steps: StepResult[] = [];
  for (let at = 0; at + stride <= values.length; at += stride) {
    const h = at + STEP_FIELDS + 2 * params;
    steps.push({
      loss: values[at], correct: values[at + 1], count: values[at + 2], gradNorm: values[at + 3], nonFinite: values[at + 4],
      gradSquares: values.subarray(at + STEP_FIELDS, at + STEP_FIELDS + params),
      weightSquares: values.subarray(at + STEP_FIELDS + params, at + STEP_FIELDS + 2 * params),
      ...(heads > 1 ? { heads: Array.from({ length: heads }, (_, k) => ({ loss: values[h + 3 * k], correct: values[h + 3 * k + 1], count: values[h + 3 * k + 2] })) } : {}),
    });
  }
  return steps;
}

export interface NativeDataset {
  readonly rows: number;
  /** Frees its (device) memory now; using it afterwards throws. */
  dispose(): void;
}

export interface NativeProgram {
  /** lossTensor: what the loss reads when not the output (the logits before a sigmoid or softmax output). */
  /** One loss by name, or one per output (ignoreIndex: softmaxCrossEntropy's padding label). */
  compile(loss: string | { loss: string; tensor: number; weight: number; ignoreIndex?: number; param?: number }[], optimizer: OptimizerSpec, lossTensor?: number): void;
  /** One flag per parameter (model order): false freezes it (no gradient computed, no update). */
  setTrainable(flags: boolean[]): void;
  /** trainable false: a weight its op updates itself (batch normalization's moving statistics). */
  parameters(): { name: string; shape: number[]; trainable: boolean }[];
  getParameter(index: number): Float32Array;
  setParameter(index: number, values: Float32Array): void;
  getGradient(index: number): Float32Array;
  tensorShapes(): number[][];
  /** One update; with microBatch > 0 the rows run in micro-batches of that size whose gradients accumulate. */
  trainStep(data: NativeDataset, rows: Int32Array, learningRate: number, seed: number, microBatch?: number): Promise<StepResult>;
  /** Consecutive steps over rows in batches of batchSize, in one call, one learning rate per step: stepStride(P) values per step; stops after a non-finite step. */
  trainSteps(data: NativeDataset, rows: Int32Array, batchSize: number, learningRates: Float64Array, seed: number, microBatch?: number): Promise<Float64Array>;
  evaluate(data: NativeDataset, rows: Int32Array, batchSize: number): Promise<StepResult>;
  /** One output: its values [rows, elements]; several: one array per output. */
  predict(data: NativeDataset, batchSize: number): Float32Array | Float32Array[];
  /** A decoding program: the first output at `position` for each of `batch` samples, given their input there (positions 0, 1, 2, ...; 0 starts over). */
  decode(input: Int32Array | Float32Array, batch: number, position: number): Float32Array;
  computeGradients(data: NativeDataset, rows: Int32Array, training: boolean, seed: number): StepResult;
  inputGradient(count: number): Float32Array;
  /** What happens between backward and update: clipping (0 = off) and whether a non-finite step is skipped. */
  setGradientControl(clipNorm: number, clipValue: number, skipNonFinite: boolean): void;
  /** Data parallel over the process's engine (distributedInit first): gradients averaged across ranks each step. */
  setDistributed(on: boolean): void;
  /** Rank 0's weights, optimizer state and counters to every rank. */
  broadcastState(): void;
  /** A hash of the weights (hex), the same on every rank while the replicas agree. */
  weightsHash(): string;
  /** Seconds in the gradient all-reduce (with its scaling and copies) and the steps that ran it. */
  collectiveTime(): { seconds: number; steps: number };
  /** Whole-epoch metrics: one plan per loss (null: nothing to collect); training steps add to set 0, evaluate to set 1 (which it starts afresh). */
  setMetrics(plans: (NativeMetricPlan | null)[]): void;
  /** The totals of a set, one per loss (null where nothing is collected); reset: start the set over. */
  readMetrics(set: 0 | 1, reset: boolean, merge?: boolean): (MetricTotals | null)[];
  /** Names of the optimizer's state slots per parameter: [], ['momentum'] or ['m', 'v']. */
  optimizerSlots(): string[];
  getOptimizerState(param: number, slot: number): Float32Array;
  setOptimizerState(param: number, slot: number, values: Float32Array): void;
  /** Updates applied and training forwards run: with the weights and slots, all a bit-identical resume needs. */
  getCounters(): ProgramCounters;
  setCounters(counters: ProgramCounters): void;
  /** Frees weights, activations and optimizer state now; using the program afterwards throws. */
  dispose(): void;
}

export interface ProgramCounters {
  optimizerStep: number;
  forwardCount: number;
}

export interface NativeAddon {
  Dataset: new (
    x: Float32Array | Int32Array,
    xShape: number[],
    y?: Float32Array | Int32Array,
    yShape?: number[],
    weights?: Float32Array,
  ) => NativeDataset;
  Program: new (spec: ProgramSpec) => NativeProgram;
  info(): { backend: string; blas: string; blasCore: string; threads: number; maxThreads: number; flushDenormals: boolean; memoryCheck: boolean };
  setThreads(threads: number): void;
  setMemoryCheck(on: boolean): void;
  setFlushDenormals(on: boolean): void;
  sgemmGflops(m: number, n: number, k: number, seconds: number, transA?: boolean, transB?: boolean): number;
  /** Opens the collective engine (MPI, loaded at run time) once per process. */
  distributedInit(timeoutSeconds: number): { rank: number; size: number; engine: string };
  /** Every rank's values (all the same length), in rank order. */
  distributedAllgather(values: Float64Array, what?: string): Float64Array;
  /** Ends every rank of the job now (MPI_Abort). */
  distributedAbort(code: number): void;
}

/** Which C library this Node runs on, as node-gyp-build tags prebuilds: glibc or musl. */
function libc(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : process.platform === 'linux' ? 'musl' : process.platform;
}

// The package root: the nearest folder up from this module with gradloop's package.json (this file
// is src/backend/native.ts in a checkout, bundled into dist/index.* in the package); without one (a
// bundle carried elsewhere, scripts/gpu/pack.sh), the folder above the bundle's, as for dist/.
function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'gradloop') return dir;
    if (path.dirname(dir) === dir) return path.resolve(here, '..');
  }
}
const root = packageRoot();

function load(): { addon: NativeAddon; blasCore: BlasCoreChoice } {
  try {
    // OpenBLAS initialises as the addon loads: the kernel set is chosen now (blas-kernels.ts).
    // GRADLOOP_ADDON names a build to load instead (the sanitizer build: scripts/sanitize.sh).
    const file = process.env.GRADLOOP_ADDON;
    const { value, choice } = loadWithBestBlasCore(() => (file ? createRequire(import.meta.url)(path.resolve(file)) : nodeGypBuild(root)) as NativeAddon);
    return { addon: value, blasCore: choice };
  } catch (err) {
    // Say what was looked for, what exists, and the way out, instead of a bare dlopen message.
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const target = `${process.platform}-${process.arch}`;
    const shipped = fs.existsSync(path.join(root, 'prebuilds'))
      ? fs.readdirSync(path.join(root, 'prebuilds')).flatMap((d) => fs.readdirSync(path.join(root, 'prebuilds', d)).map((f) => `${d}/${f}`))
      : [];
    throw new Error(
      `gradloop: no usable native binary for ${target} (${libc()}, Node ${process.version}, Node-API ${process.versions.napi}).\n` +
        `  Prebuilt binaries in this package: ${shipped.length ? shipped.join(', ') : 'none'} ` +
        '(linux-x64 with glibc 2.28 or newer is supported without a compiler).\n' +
        `  Loader said: ${reason}\n` +
        '  To build from source: install cmake, a C++17 compiler and OpenBLAS ' +
        '(Debian/Ubuntu: apt-get install cmake g++ make libopenblas-dev), then run `npm rebuild gradloop --build-from-source`.',
      { cause: err },
    );
  }
}

const loaded = load();
export const native: NativeAddon = loaded.addon;
/** How the CPU backend's OpenBLAS kernel set was chosen when the addon loaded. */
export const blasCoreChoice: BlasCoreChoice = loaded.blasCore;

/** The CUDA addon (native/cuda/addon.cc): the same classes on a GPU, plus device facts. */
export interface CudaAddon {
  Dataset: NativeAddon['Dataset'];
  Program: NativeAddon['Program'];
  devices(): {
    devices: { index: number; name: string; memory: number; computeCapability: string; multiprocessors: number }[];
    /** Why there are none: the CUDA runtime's error, e.g. cudaErrorNoDevice. */
    reason: string;
    runtimeVersion: number;
    driverVersion: number;
  };
  /** Selects the device (and TF32 or not) the next Dataset/Program is created on; opens cuBLAS the first time. */
  useDevice(index: number, tf32: boolean): void;
  memoryInfo(index: number): { free: number; total: number };
  /** The CUDA addon's own handle on the process's MPI (initialised once), with NCCL for the gradients when every rank can load it. */
  distributedInit(timeoutSeconds: number): { rank: number; size: number; engine: string; deviceNote?: string };
  cublasPath(): string;
  /** cublasSgemm GFLOP/s on the device for C[M,N] = A[M,K] B[K,N], timed for about `seconds`. */
  sgemmGflops(index: number, m: number, n: number, k: number, seconds: number): number;
  /** The CUDA addon's own copy of setMemoryCheck's setting (it links its own core). */
  setMemoryCheck(on: boolean): void;
}

let cuda: { addon?: CudaAddon; reason?: string } | undefined;

/** setMemoryCheck for both addons: each .node file has its own copy of the setting. */
export function setMemoryCheckEverywhere(on: boolean): void {
  native.setMemoryCheck(on);
  cuda?.addon?.setMemoryCheck(on);
}

/**
 * Loads the CUDA addon on first use, or says why there is none: GRADLOOP_CUDA_ADDON, else a
 * source build's build/cuda/gradloop_cuda.node (built where nvcc was found), else the package's
 * prebuilt prebuilds/cuda/<platform>-<arch>/gradloop_cuda.node (linux-x64 with glibc).
 */
export function loadCudaAddon(): { addon?: CudaAddon; reason?: string } {
  if (cuda) return cuda;
  const candidates = [
    process.env.GRADLOOP_CUDA_ADDON,
    path.join(root, 'build', 'cuda', 'gradloop_cuda.node'),
    libc().startsWith('glibc') ? path.join(root, 'prebuilds', 'cuda', `${process.platform}-${process.arch}`, 'gradloop_cuda.node') : undefined,
  ];
  const file = candidates.find((f): f is string => !!f && fs.existsSync(f));
  if (!file) {
    cuda = { reason: `this gradloop has no CUDA support for ${process.platform}-${process.arch} (${libc()}): no prebuilt CUDA addon, and its native code was built without nvcc` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(file) as CudaAddon;
      addon.setMemoryCheck(native.info().memoryCheck); // what setMemoryCheck said before it loaded
      cuda = { addon };
    } catch (err) {
      cuda = { reason: `the CUDA addon ${file} failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    }
  }
  return cuda;
}
