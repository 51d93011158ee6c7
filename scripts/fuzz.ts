// `npm run fuzz -- --cases N [--seed S] [--only csv,idx]`: the loaders' mutation fuzzing
// (test/helpers/fuzz.ts) at any length. Prints a line per format and every finding; exits 1 on any.
import { FORMATS, fuzzFormat } from '../test/helpers/fuzz.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const cases = Number(option('cases', '1000'));
const seed = Number(option('seed', String(Date.now() % 1e6)));
const only = option('only', '').split(',').filter(Boolean);
let total = 0;
for (const format of FORMATS.filter((f) => !only.length || only.includes(f.name))) {
  const start = performance.now();
  const { accepted, refused, findings } = await fuzzFormat(format, cases, seed);
  total += findings.length;
  console.log(`${format.name}: ${cases} cases (seed ${seed}): ${accepted} accepted, ${refused} refused cleanly, ${findings.length} findings, ${((performance.now() - start) / 1000).toFixed(1)} s`);
  for (const f of findings) console.log(`  case ${f.case}: ${f.problem}`);
}
process.exit(total ? 1 : 0);
