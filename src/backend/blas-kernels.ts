// Which OpenBLAS kernel set (core) the CPU backend runs, chosen by the CPU's features.
//
// OpenBLAS built with DYNAMIC_ARCH (Debian's, and the one linked into the prebuild) picks its
// kernels from the CPU's family and model numbers when it initialises, and falls back to generic
// SSE3 kernels ("Prescott") for models newer than the library: on a Xeon of family 6, model 207
// (Emerald Rapids), OpenBLAS 0.3.21 reached 29 GFLOP/s against 145 with its AVX-512 kernels.
// Newer OpenBLAS releases fall back by features instead (driver/others/dynamic.c); this module
// makes the linked one do the same, choosing by features, whatever the model number.
//
// How: OpenBLAS reads OPENBLAS_CORETYPE once, when it initialises, and it initialises when the
// addon is loaded (a constructor in the static library, or in libopenblas.so loaded with it). So
// the variable is set in this process's environment (process.env writes through to the C
// environment) just before the addon is loaded and removed right after, so child processes and
// later loads choose for themselves. A user's own OPENBLAS_CORETYPE is left as it is.
import fs from 'node:fs';
import os from 'node:os';

export interface CpuFeatures {
  /** The CPU model as the OS names it, e.g. 'Intel(R) Xeon(R) Platinum 8581C CPU @ 2.10GHz'. */
  name: string;
  vendor: 'intel' | 'amd' | 'other';
  /** The features that decide the kernel set, in the words the OS uses (/proc/cpuinfo flags). */
  flags: Set<string>;
}

/** The CPU's features from /proc/cpuinfo (Linux); undefined elsewhere or when unreadable. */
export function cpuFeatures(): CpuFeatures | undefined {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
  const field = (key: string) => new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  const vendorId = field('vendor_id');
  return {
    name: field('model name') || os.cpus()[0]?.model?.trim() || 'unknown CPU',
    vendor: vendorId === 'GenuineIntel' ? 'intel' : vendorId === 'AuthenticAMD' || vendorId === 'HygonGenuine' ? 'amd' : 'other',
    flags: new Set(field('flags').split(/\s+/).filter(Boolean)),
  };
}

const AVX512 = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/**
 * The best OpenBLAS kernel set for these features, by the rule of OpenBLAS's own feature
 * fallback: AVX-512 with BF16 -> Cooperlake, AVX-512 -> SkylakeX, AVX2 + FMA -> Haswell (Zen on
 * AMD, the same kernels tuned for AMD's caches), AVX -> Sandybridge. undefined on non-x86 CPUs
 * and older x86 ones, where OpenBLAS's own detection is left to choose.
 * (The kernel-set names are those of OpenBLAS 0.3.11 and later.)
 */
export function bestBlasCore(cpu: CpuFeatures): string | undefined {
  const has = (...f: string[]) => f.every((x) => cpu.flags.has(x));
  if (process.arch !== 'x64') return undefined;
  if (has(...AVX512, 'avx512_bf16')) return 'Cooperlake';
  if (has(...AVX512)) return 'SkylakeX';
  if (has('avx2', 'fma')) return cpu.vendor === 'amd' ? 'Zen' : 'Haswell';
  if (has('avx') && cpu.vendor === 'intel') return 'Sandybridge';
  return undefined;
}

/** The instruction-set extensions that matter for the kernels, for `gradloop info` and the benchmark. */
export function featureSummary(cpu: CpuFeatures): string {
  const shown: [string, string][] = [
    ['avx512f', 'AVX-512'], ['avx512_bf16', 'AVX512-BF16'], ['avx512_vnni', 'AVX512-VNNI'], ['amx_bf16', 'AMX-BF16'],
    ['amx_tile', 'AMX'], ['avx2', 'AVX2'], ['fma', 'FMA'], ['avx', 'AVX'], ['sse4_2', 'SSE4.2'],
  ];
  const present = shown.filter(([flag]) => cpu.flags.has(flag)).map(([, label]) => label);
  return present.length ? present.join(', ') : 'none of AVX, AVX2, AVX-512';
}

/** How the kernel set in use was decided. */
export interface BlasCoreChoice {
  /** 'gradloop' (by features), 'OPENBLAS_CORETYPE' (the user's), or 'OpenBLAS' (its own detection). */
  chosenBy: 'gradloop' | 'OPENBLAS_CORETYPE' | 'OpenBLAS';
  /** The kernel set gradloop asked for, when it did. */
  requested?: string;
}

/** Runs `load` (the addon's first load) with OPENBLAS_CORETYPE set to the best kernel set for this CPU. */
export function loadWithBestBlasCore<T>(load: () => T): { value: T; choice: BlasCoreChoice } {
  if (process.env.OPENBLAS_CORETYPE) return { value: load(), choice: { chosenBy: 'OPENBLAS_CORETYPE', requested: process.env.OPENBLAS_CORETYPE } };
  const cpu = cpuFeatures();
  const core = cpu && bestBlasCore(cpu);
  if (!core) return { value: load(), choice: { chosenBy: 'OpenBLAS' } };
  process.env.OPENBLAS_CORETYPE = core;
  try {
    return { value: load(), choice: { chosenBy: 'gradloop', requested: core } };
  } finally {
    delete process.env.OPENBLAS_CORETYPE;
  }
}

// OpenBLAS's x86-64 kernel sets below AVX2: generic SSE-era kernels.
const GENERIC_CORES = new Set(['katmai', 'coppermine', 'northwood', 'prescott', 'banias', 'atom', 'core2', 'penryn', 'dunnington', 'nehalem', 'athlon', 'opteron', 'opteron_sse3', 'barcelona', 'bobcat', 'nano', 'sandybridge']);

/**
 * A warning when OpenBLAS runs kernels far below what this CPU can do (a generic SSE or AVX set
 * on a CPU with AVX2 or AVX-512): it names the kernel set, the features and the remedy.
 */
export function blasKernelWarning(core: string, cpu: CpuFeatures | undefined = cpuFeatures()): string | undefined {
  if (!cpu || !GENERIC_CORES.has(core.toLowerCase())) return undefined;
  const best = bestBlasCore(cpu);
  if (!best || best === 'Sandybridge') return undefined;
  const remedy = process.env.OPENBLAS_CORETYPE
    ? `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE} is set in the environment: unset it to let gradloop choose, or set OPENBLAS_CORETYPE=${best}`
    : `this OpenBLAS does not know the kernel set gradloop asked for (${best}); set OPENBLAS_CORETYPE to one it knows (SkylakeX, Haswell)`;
  return `OpenBLAS runs its generic ${core} kernels on a CPU with ${featureSummary(cpu)}: matrix products may be several times slower than with its ${best} kernels (${remedy}).`;
}
