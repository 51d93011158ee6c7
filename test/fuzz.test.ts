// Seeded mutation fuzzing of every loader and of layer configs (test/helpers/fuzz.ts): 200 cases per
// format here; `npm run fuzz -- --cases N` runs longer. A case fails on a crash, a hang, or an error
// that is not the library's own clean Error.
import { describe, expect, it } from 'vitest';
import { FORMATS, fuzzFormat } from './helpers/fuzz.js';

const CASES = 200;

describe('fuzzed inputs get clean errors', () => {
  it.each(FORMATS.map((f) => [f.name, f] as const))('%s: 200 mutated cases', async (_name, format) => {
    const { accepted, refused, findings } = await fuzzFormat(format, CASES, 1);
    expect(findings.map((f) => `case ${f.case}: ${f.problem}`)).toEqual([]);
    expect(refused).toBeGreaterThan(0); // the mutations do reach the checks
    // The mutations are mild enough that some inputs still load, so the code past the checks runs too.
    expect(accepted).toBeGreaterThan(0);
  }, 120_000);
});
