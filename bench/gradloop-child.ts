// gradloop side of `npm run bench:compare`: one workload, one measurement, one JSON line.
//   tsx bench/gradloop-child.ts <workload> <seconds>
import { VERSION } from '../src/version.js';
import { measure } from './measure.js';
import { WORKLOADS } from './workloads.js';

const [name, seconds] = process.argv.slice(2);
const workload = WORKLOADS.find((w) => w.name === name);
if (!workload) throw new Error(`unknown workload ${name}`);
const { samplesPerSec, steps } = await measure(workload, Number(seconds));
console.log(JSON.stringify({
  system: 'gradloop', workload: name, steps, samplesPerSec, peakRssMb: process.resourceUsage().maxRSS / 1024, version: VERSION,
}));
