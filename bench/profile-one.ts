// `perf record -g -- node --import tsx bench/profile-one.ts W1 4`: one workload's training alone
// (no sgemm ceilings in the process), for profiles of where a step's time goes.
import { measure } from './measure.js';
import { WORKLOADS } from './workloads.js';

const [name = 'W1', seconds = '4'] = process.argv.slice(2);
const workload = WORKLOADS.find((w) => w.name === name);
if (!workload) throw new Error(`profile-one: no workload ${name}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
const { samplesPerSec } = await measure(workload, Number(seconds));
console.log(JSON.stringify({ workload: name, samplesPerSec: Math.round(samplesPerSec) }));
