// Facts about, and settings of, the native runtime.
import os from 'node:os';
import { type BlasCoreChoice, blasKernelWarning, cpuFeatures, featureSummary } from './blas-kernels.js';
import { blasCoreChoice, native, setMemoryCheckEverywhere } from './native.js';
import { checkInteger } from '../validate.js';

export interface BackendInfo {
  backend: string;
  /** OpenBLAS's build line, e.g. 'OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64'. */
  blas: string;
  /** The OpenBLAS kernel set in use, e.g. 'Cooperlake', 'SkylakeX', 'Haswell', 'Zen'. */
  blasCore: string;
  /** Who chose it: gradloop by the CPU's features, the user's OPENBLAS_CORETYPE, or OpenBLAS's own detection. */
  blasCoreChosenBy: BlasCoreChoice['chosenBy'];
  /** The CPU's model name and the instruction-set extensions that matter for the kernels. */
  cpu: string;
  cpuFeatures: string;
  /** Set when the kernel set is far below what the CPU can do (a generic SSE set on an AVX2/AVX-512 CPU). */
  blasWarning?: string;
  threads: number;
  flushDenormals: boolean;
}

/** The backend in use, its BLAS build and kernel set, the CPU, threads and float mode. */
export function backendInfo(): BackendInfo {
  const n = native.info();
  const cpu = cpuFeatures();
  const warning = blasKernelWarning(n.blasCore, cpu);
  return {
    backend: n.backend, blas: n.blas, blasCore: n.blasCore, blasCoreChosenBy: blasCoreChoice.chosenBy,
    cpu: cpu?.name ?? os.cpus()[0]?.model?.trim() ?? 'unknown CPU', cpuFeatures: cpu ? featureSummary(cpu) : 'unknown',
    ...(warning ? { blasWarning: warning } : {}),
    threads: n.threads, flushDenormals: n.flushDenormals,
  };
}

/** Threads used by the CPU backend's matrix products (default: the OpenBLAS default, one per core). */
export function setNumThreads(threads: number): void {
  // OpenBLAS runs at most its build's MAX_THREADS (64 in Debian's); more would be ignored silently.
  native.setThreads(checkInteger(threads, 'setNumThreads: threads', 1, native.info().maxThreads));
}

/**
 * Whether a model compares its size (weights, gradients, optimizer state, activations at the batch
 * size) with the memory available before allocating (default on): a model that would not fit is a
 * RangeError naming the sizes, instead of the process being killed by the system's out-of-memory
 * killer. `false` allocates anyway (for swap or memory overcommit you know about).
 */
export function setMemoryCheck(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setMemoryCheck: on must be true or false, got ${String(on)}`);
  setMemoryCheckEverywhere(on);
}

export function getNumThreads(): number {
  return native.info().threads;
}

/**
 * Flush-to-zero and denormals-are-zero for the CPU's computations (default on, as TensorFlow).
 * Subnormal floats (|x| < 1.2e-38) are read and written as 0, which keeps Intel cores from
 * slowing down by 2-5x when optimizer state decays through that range; a result differs from
 * IEEE arithmetic only where a value that small occurs, in its last bits. `false` restores IEEE
 * gradual underflow. Applies to every later native call; JavaScript and other addons are unaffected.
 */
export function setFlushDenormals(on: boolean): void {
  if (typeof on !== 'boolean') throw new TypeError(`setFlushDenormals: on must be true or false, got ${String(on)}`);
  native.setFlushDenormals(on);
}

export function getFlushDenormals(): boolean {
  return native.info().flushDenormals;
}
