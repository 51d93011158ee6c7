// The GPU checks (test/helpers/gpu-checks.ts) outside vitest, for a GPU machine that has neither
// Node's packages nor a network: bundled with everything by scripts/gpu/pack.sh. One JSON line
// per check with the numbers it measured; exit code 1 when any fails or no GPU is usable.
import { cudaUnavailableReason, devices } from '../../src/backend/device.js';
import type { OpCase } from '../../test/cases/case.js';
import { gpuChecks } from '../../test/helpers/gpu-checks.js';

// The op cases: scripts/gpu/pack.sh bundles this file behind an entry that imports every
// test/cases/<op>.ts (esbuild has no import.meta.glob) and sets them here.
const cases = (globalThis as { gradloopOpCases?: [string, OpCase][] }).gradloopOpCases ?? [];
// GPU_CHECKS=<regex> runs only the checks whose names match (e.g. under compute-sanitizer).
const only = process.env.GPU_CHECKS ? new RegExp(process.env.GPU_CHECKS) : undefined;
const GPU_CHECKS = gpuChecks(cases).filter((c) => !only || only.test(c.name));

const reason = cudaUnavailableReason();
console.log(JSON.stringify({ kind: 'devices', devices: devices(), usable: !reason, ...(reason ? { reason } : {}) }));
if (reason) process.exitCode = 1;
else
  for (const check of GPU_CHECKS) {
    const started = performance.now();
    try {
      const numbers = await check.run();
      console.log(JSON.stringify({ kind: 'check', name: check.name, ok: true, seconds: +((performance.now() - started) / 1000).toFixed(2), ...numbers }));
    } catch (err) {
      process.exitCode = 1;
      console.log(JSON.stringify({ kind: 'check', name: check.name, ok: false, error: err instanceof Error ? err.message : String(err) }));
    }
  }
