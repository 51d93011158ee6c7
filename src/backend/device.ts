// Where a model runs: the CPU backend (always there, OpenBLAS) or an NVIDIA GPU through the CUDA
// addon (built only where nvcc was found; usable where a device, a driver and cuBLAS are).
// compile({ device: 'auto' }) picks the GPU when one is usable and otherwise the CPU, saying why.
import { launcherRank } from '../distributed/index.js';
import os from 'node:os';
import { blasKernelWarning } from './blas-kernels.js';
import { type CudaAddon, loadCudaAddon, native, type NativeDataset, type NativeProgram, type ProgramSpec } from './native.js';
import { describe } from '../validate.js';

export type DeviceRequest = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;
/** Matrix products in float32 (default) or, on GPUs that have them, TF32 tensor cores (opt-in). */
export type Precision = 'float32' | 'tf32';

export type DeviceDescription =
  | { type: 'cpu'; threads: number; name: string }
  | { type: 'cuda'; index: number; name: string; memory: number; computeCapability: string; multiprocessors: number };

/** A place to create native data sets and programs on. */
export interface Device {
  /** 'cpu' or 'cuda:<index>'. */
  readonly name: string;
  readonly type: 'cpu' | 'cuda';
  readonly precision: Precision;
  /** weights: one per sample (fit's sampleWeight and classWeight), or none. */
  dataset(x: Float32Array | Int32Array, xShape: number[], y?: Float32Array | Int32Array, yShape?: number[], weights?: Float32Array): NativeDataset;
  program(spec: ProgramSpec): NativeProgram;
  /** Free and total device memory in bytes (GPUs). */
  memoryInfo?(): { free: number; total: number };
  /** Data parallel: opens the collective engine in this device's addon (the CUDA addon has its own); returns a line saying how gradients travel. */
  joinCollective?(timeoutSeconds: number): string | undefined;
}

export const cpuDevice: Device = {
  name: 'cpu',
  type: 'cpu',
  precision: 'float32',
  dataset: (x, xShape, y, yShape, weights) => (y ? new native.Dataset(x, xShape, y, yShape, weights) : new native.Dataset(x, xShape)),
  program: (spec) => new native.Program(spec),
};

const cudaDevices = new Map<string, Device>();

function cudaDevice(addon: CudaAddon, index: number, precision: Precision): Device {
  const key = `${index}/${precision}`;
  let device = cudaDevices.get(key);
  if (!device) {
    const tf32 = precision === 'tf32';
    addon.useDevice(index, tf32); // opens cuBLAS and the device's stream; throws when unusable
    // The addon creates objects on the device selected last, so select before each creation.
    device = {
      name: `cuda:${index}`,
      type: 'cuda',
      precision,
      dataset: (x, xShape, y, yShape, weights) => {
        addon.useDevice(index, tf32);
        return y ? new addon.Dataset(x, xShape, y, yShape, weights) : new addon.Dataset(x, xShape);
      },
      program: (spec) => {
        addon.useDevice(index, tf32);
        return new addon.Program(spec);
      },
      memoryInfo: () => addon.memoryInfo(index),
      joinCollective: (timeoutSeconds) => addon.distributedInit(timeoutSeconds).deviceNote,
    };
    cudaDevices.set(key, device);
  }
  return device;
}

/** The CUDA runtime's reason for having no device, in words a user can act on. */
function noDeviceReason(list: ReturnType<CudaAddon['devices']>): string {
  const runtime = `${Math.floor(list.runtimeVersion / 1000)}.${(list.runtimeVersion % 1000) / 10}`;
  if (list.reason.startsWith('cudaErrorInsufficientDriver'))
    return list.driverVersion === 0
      ? 'no NVIDIA driver is installed (cudaErrorInsufficientDriver)'
      : `the NVIDIA driver supports CUDA ${Math.floor(list.driverVersion / 1000)}.${(list.driverVersion % 1000) / 10} but gradloop's CUDA addon needs ${runtime}; update the driver`;
  if (list.reason.startsWith('cudaErrorNoDevice')) return 'no NVIDIA GPU was found (cudaErrorNoDevice)';
  return list.reason || 'the CUDA driver reports no devices';
}

/** Why cuda:<index> cannot be used, or undefined when it can. */
function cudaProblem(index: number, precision: Precision): { device?: Device; reason?: string } {
  const { addon, reason } = loadCudaAddon();
  if (!addon) return { reason };
  const list = addon.devices();
  if (list.devices.length === 0) return { reason: noDeviceReason(list) };
  if (index >= list.devices.length)
    return { reason: `there is no cuda:${index}; this machine has ${list.devices.length} (cuda:0${list.devices.length > 1 ? ` to cuda:${list.devices.length - 1}` : ''})` };
  try {
    return { device: cudaDevice(addon, index, precision) };
  } catch (err) {
    return { reason: err instanceof Error ? err.message : String(err) };
  }
}

/** The CPU and every usable-looking CUDA device, as tf.getBackend()/torch.cuda would list them. */
export function devices(): DeviceDescription[] {
  const list: DeviceDescription[] = [{ type: 'cpu', threads: native.info().threads, name: os.cpus()[0]?.model.trim() ?? 'cpu' }];
  const { addon } = loadCudaAddon();
  if (addon) for (const d of addon.devices().devices) list.push({ type: 'cuda', ...d });
  return list;
}

/** Why 'auto' would not pick a GPU here (undefined when it would). */
export function cudaUnavailableReason(): string | undefined {
  return cudaProblem(0, 'float32').reason;
}

/**
 * How many bytes of training data fit loads onto the device at once: all of it on the CPU; on a
 * GPU, up to half its free memory (the rest is for weights, activations and other processes).
 * A larger set goes up in pieces, the rows of each run of steps. GRADLOOP_DEVICE_DATA_BYTES sets
 * the limit by hand.
 */
export function deviceDataLimit(device: Device): number {
  const set = Number(process.env.GRADLOOP_DEVICE_DATA_BYTES);
  if (set > 0) return set;
  return device.memoryInfo ? device.memoryInfo().free / 2 : Infinity;
}

export function checkPrecision(precision: unknown): Precision {
  if (precision !== 'float32' && precision !== 'tf32')
    throw new TypeError(`compile: precision must be 'float32' (default) or 'tf32' (TF32 tensor cores for GPU matrix products), got ${describe(precision)}`);
  return precision;
}

/**
 * The device a compile() asks for. 'auto' never fails: it falls back to the CPU and returns the
 * reason as a note; 'cuda' / 'cuda:<n>' throw when that GPU cannot be used.
 */
export function resolveDevice(request: unknown, precision: Precision): { device: Device; note?: string } {
  if (request === 'cpu') return { device: cpuDevice };
  const match = typeof request === 'string' ? /^cuda(?::(\d+))?$/.exec(request) : null;
  if (request !== 'auto' && !match)
    throw new TypeError(`compile: device must be 'auto', 'cpu', 'cuda' or 'cuda:<index>', got ${describe(request)}`);
  // One rank of a data-parallel job per GPU: 'auto' and 'cuda' take the GPU of the rank's local
  // index (modulo the GPUs), as torchrun's LOCAL_RANK is used.
  const local = launcherRank()?.localRank ?? 0;
  const count = match?.[1] ? 0 : loadCudaAddon().addon?.devices().devices.length ?? 0;
  const index = match?.[1] ? Number(match[1]) : count > 0 ? local % count : 0;
  const { device, reason } = cudaProblem(index, precision);
  if (request === 'auto') {
    if (device) return { device, note: `Device: ${device.name} (picked by device: 'auto')` };
    return { device: cpuDevice, note: `Device: cpu (device: 'auto' found no usable GPU: ${reason})` };
  }
  if (!device)
    throw new Error(
      `compile: device '${request}' is not usable: ${reason}. Use device: 'auto' to run on a GPU when there is one and on the CPU otherwise, or device: 'cpu'.`,
    );
  return { device };
}

let blasWarned = false;
/**
 * The warning about slow BLAS kernels (blas-kernels.ts), the first time a verbose CPU fit asks in
 * this process; undefined afterwards, and when the kernels suit the CPU.
 */
export function blasWarningOnce(): string | undefined {
  if (blasWarned) return undefined;
  blasWarned = true;
  const warning = blasKernelWarning(native.info().blasCore);
  return warning && `Warning: ${warning}`;
}
