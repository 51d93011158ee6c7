// The OpenBLAS kernel set: chosen by the CPU's features before OpenBLAS initialises
// (src/blas-kernels.ts), the user's OPENBLAS_CORETYPE respected, and a warning when the kernels in
// use are far below the CPU. Each check on the real addon runs in a child process, because
// OpenBLAS chooses once per process, when the addon loads.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bestBlasCore, blasKernelWarning, cpuFeatures, type CpuFeatures } from '../src/backend/blas-kernels.js';

const AVX512 = 'avx512f avx512cd avx512bw avx512dq avx512vl';
const cpu = (vendor: CpuFeatures['vendor'], flags: string): CpuFeatures => ({ name: 'test CPU', vendor, flags: new Set(flags.split(' ')) });

// The environment of a child without the caller's OPENBLAS_CORETYPE (npm run test:kernels sets one).
function childInfo(coreType?: string) {
  const { OPENBLAS_CORETYPE: _ignored, ...env } = process.env;
  // The facts, and what a verbose fit on the CPU prints before its epochs.
  const script = "import { backendInfo, layers, sequential, tensor } from './src/index.ts';" +
    "const m = sequential([layers.dense({ inputShape: [1], units: 1 })]); m.compile({ optimizer: 'sgd', loss: 'mse', device: 'cpu' });" +
    "const lines = []; await m.fit(tensor([[1]]), tensor([[1]]), { epochs: 1, printFn: (l) => lines.push(l) });" +
    "console.log(JSON.stringify({ ...backendInfo(), env: process.env.OPENBLAS_CORETYPE ?? null, fitLines: lines }));";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', env: coreType ? { ...env, OPENBLAS_CORETYPE: coreType } : env });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('choosing the kernel set by features', () => {
  it('maps feature sets to the best kernel set, whatever the model number', () => {
    // An Emerald Rapids Xeon (family 6, model 207), which OpenBLAS 0.3.21 does not know.
    expect(bestBlasCore(cpu('intel', `sse4_2 avx avx2 fma ${AVX512} avx512_bf16 avx512_vnni amx_tile amx_bf16`))).toBe('Cooperlake');
    expect(bestBlasCore(cpu('intel', `sse4_2 avx avx2 fma ${AVX512}`))).toBe('SkylakeX');
    expect(bestBlasCore(cpu('amd', `sse4_2 avx avx2 fma ${AVX512} avx512_bf16`))).toBe('Cooperlake'); // Zen 4
    expect(bestBlasCore(cpu('amd', 'sse4_2 avx avx2 fma'))).toBe('Zen'); // Zen 1-3
    expect(bestBlasCore(cpu('intel', 'sse4_2 avx avx2 fma'))).toBe('Haswell');
    expect(bestBlasCore(cpu('intel', 'sse4_2 avx'))).toBe('Sandybridge');
    expect(bestBlasCore(cpu('intel', 'sse4_2 avx512f'))).toBeUndefined(); // partial AVX-512 and no AVX2: OpenBLAS decides
    expect(bestBlasCore(cpu('amd', 'sse4_2'))).toBeUndefined();
  });

  it('warns about a generic kernel set on a CPU with AVX2 or AVX-512, and only then', () => {
    const xeon = cpu('intel', `avx avx2 fma ${AVX512} avx512_bf16`);
    expect(blasKernelWarning('Prescott', xeon)).toMatch(/generic Prescott kernels on a CPU with AVX-512, AVX512-BF16, AVX2, FMA, AVX: .*Cooperlake/);
    expect(blasKernelWarning('Nehalem', cpu('amd', 'avx avx2 fma'))).toMatch(/generic Nehalem kernels .* Zen kernels/);
    expect(blasKernelWarning('SkylakeX', xeon)).toBeUndefined();
    expect(blasKernelWarning('Haswell', xeon)).toBeUndefined(); // AVX2 kernels are not generic
    expect(blasKernelWarning('Prescott', cpu('intel', 'sse4_2'))).toBeUndefined(); // the best this CPU has
  });

  const here = cpuFeatures();
  const best = here && bestBlasCore(here);
  // The real addon, on this machine. On a CPU without AVX2 (or not x86-64 Linux) there is no
  // better kernel set to choose, which the mapping test above covers.
  it.skipIf(!best || best === 'Sandybridge')(`this CPU (AVX2 or better) gets ${best} kernels, not generic ones, and the environment is left as it was`, () => {
    const info = childInfo();
    expect(info.blasCore).toBe(best);
    expect(info.blasCoreChosenBy).toBe('gradloop');
    expect(info.blas).toContain(best);
    expect(info.blasWarning).toBeUndefined();
    expect(info.fitLines.some((l: string) => l.startsWith('Warning'))).toBe(false);
    expect(info.env).toBeNull(); // removed again after loading
  });

  it("respects the user's OPENBLAS_CORETYPE, and warns when it is generic on this CPU", () => {
    const info = childInfo('Prescott');
    expect(info.blasCore).toBe('Prescott');
    expect(info.blasCoreChosenBy).toBe('OPENBLAS_CORETYPE');
    expect(info.env).toBe('Prescott');
    if (best && best !== 'Sandybridge') {
      expect(info.blasWarning).toMatch(/OPENBLAS_CORETYPE=Prescott is set in the environment/);
      expect(info.fitLines[0]).toBe(`Warning: ${info.blasWarning}`); // said once, before the first epoch
      expect(info.fitLines.slice(1).every((l: string) => l.startsWith('Epoch '))).toBe(true);
    } else expect(info.blasWarning).toBeUndefined();
  });
});
