// Facts about, and settings of, the native runtime.
import { native } from './native.js';
import { checkInteger } from './validate.js';

/** The backend in use and its BLAS build, e.g. { backend: 'cpu', blas: 'OpenBLAS 0.3.21 ...', threads: 2 }. */
export function backendInfo(): { backend: string; blas: string; threads: number; flushDenormals: boolean } {
  return native.info();
}

/** Threads used by the CPU backend's matrix products (default: the OpenBLAS default, one per core). */
export function setNumThreads(threads: number): void {
  native.setThreads(checkInteger(threads, 'setNumThreads: threads', 1));
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
