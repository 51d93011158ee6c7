// Facts about, and settings of, the native runtime.
import { native } from './native.js';
import { checkInteger } from './validate.js';

/** The backend in use and its BLAS build, e.g. { backend: 'cpu', blas: 'OpenBLAS 0.3.21 ...', threads: 2 }. */
export function backendInfo(): { backend: string; blas: string; threads: number } {
  return native.info();
}

/** Threads used by the CPU backend's matrix products (default: the OpenBLAS default, one per core). */
export function setNumThreads(threads: number): void {
  native.setThreads(checkInteger(threads, 'setNumThreads: threads', 1));
}

export function getNumThreads(): number {
  return native.info().threads;
}
