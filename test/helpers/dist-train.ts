// One rank of test/distributed.test.ts's jobs (also run alone, without a job): trains a fixed MLP on
// fixed data with a global batch of 48 and writes what rank 0 ends with to the file given as the
// first argument (JSON: weights, history, the job). Knobs come from the environment:
// DIST_EPOCHS, DIST_RESUME (a checkpoint to resume from), DIST_SAVE (a checkpoint to save after
// DIST_SAVE_EPOCH epochs), DIST_HANG_RANK (that rank never steps: the others must time out),
// DIST_KILL_RANK (that rank kills itself mid-epoch), DIST_TIMEOUT (seconds), DIST_BATCH (the
// global batch), DIST_ACCUMULATE (accumulateSteps), DIST_METRICS=1 (precision and AUC on a binary head).
import { writeFileSync } from 'node:fs';
import { callbacks, data, distributed, type EpochContext, layers, optimizers, sequential, tensor } from '../../src/index.js';
import { Random } from '../../src/random.js';

const out = process.argv[2];
const env = process.env;
const rows = 480, features = 12;
const random = new Random(5);
const x = Float32Array.from({ length: rows * features }, () => random.normal());
const binary = env.DIST_METRICS === '1';
const y = binary
  ? Float32Array.from({ length: rows }, (_, i) => (x[i * features] + 0.5 * x[i * features + 1] > 0.3 ? 1 : 0))
  : Int32Array.from({ length: rows }, (_, i) => (x[i * features] > 0.4 ? 2 : x[i * features + 1] > 0 ? 1 : 0));
const model = sequential([
  layers.dense({ inputShape: [features], units: 32, activation: 'tanh', kernelRegularizer: 'l2' }),
  layers.dense({ units: binary ? 1 : 3, ...(binary ? { activation: 'sigmoid' as const } : {}) }),
], { seed: 7 });
// DIST_HUGE_TARGET=row: mse against one-hot targets, that row's first target 3e38: its squared error
// overflows float32, so the step whose batch holds it has an infinite loss, on whichever rank has the row.
const huge = env.DIST_HUGE_TARGET === undefined ? -1 : Number(env.DIST_HUGE_TARGET);
model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: huge >= 0 ? 'mse' : binary ? 'binaryCrossEntropy' : 'softmaxCrossEntropy', metrics: binary ? ['accuracy', 'precision', 'auc', 'r2'] : ['accuracy'] });

const hangRank = env.DIST_HANG_RANK === undefined ? -1 : Number(env.DIST_HANG_RANK);
const timeout = Number(env.DIST_TIMEOUT ?? 300);
const killRank = env.DIST_KILL_RANK === undefined ? -1 : Number(env.DIST_KILL_RANK);
const hang = {
  onBatchEnd: async (batch: number) => {
    if (distributed.rank === hangRank && batch === 2) await new Promise((r) => setTimeout(r, 3_600_000));
    if (distributed.rank === killRank && batch === 2) process.kill(process.pid, 'SIGKILL');
  },
};
const save = env.DIST_SAVE ? [callbacks.modelCheckpoint({ dir: env.DIST_SAVE })] : [];
const job = env.DIST_ALONE === '1' ? false : { timeoutSeconds: timeout };
const oneHot = Float32Array.from({ length: rows * 3 }, (_, i) => (y[Math.floor(i / 3)] === i % 3 ? 1 : 0));
if (huge >= 0) oneHot[huge * 3] = 3e38;
const xs = tensor(x, [rows, features]), ys = huge >= 0 ? tensor(oneHot, [rows, 3]) : binary ? tensor(y as Float32Array, [rows, 1]) : tensor(y as Int32Array, [rows], 'int32');
// DIST_STREAM=1: the first 384 rows streamed in order, each rank yielding its rows of every global
// batch of 48 (rows k 48 + rank, + worldSize, ...); DIST_STREAM_EXTRA: that rank yields one batch more.
const take = (t: typeof xs, r: number[]) => tensor(t.dtype === 'int32' ? Int32Array.from(r.flatMap((i) => Array.from(t.data.subarray(i * (t.size / rows), (i + 1) * (t.size / rows))))) : Float32Array.from(r.flatMap((i) => Array.from(t.data.subarray(i * (t.size / rows), (i + 1) * (t.size / rows))))), [r.length, ...t.shape.slice(1)], t.dtype);
const extra = env.DIST_STREAM_EXTRA === undefined ? -1 : Number(env.DIST_STREAM_EXTRA);
function* shard({ rank, worldSize }: EpochContext) {
  for (let k = 0; k < 8 + (rank === extra ? 1 : 0); k++) {
    const r: number[] = [];
    for (let i = (k % 8) * 48 + rank; i < (k % 8 + 1) * 48; i += worldSize) r.push(i);
    yield { x: take(xs, r), y: take(ys, r) };
  }
}
const valRows = Array.from({ length: 96 }, (_, i) => 384 + i);
const fitData = env.DIST_STREAM === '1' ? [data.fromBatches(shard)] as const : [xs, ys] as const;
const history = await (model.fit as (...a: unknown[]) => ReturnType<typeof model.fit>)(...fitData, {
  epochs: Number(env.DIST_EPOCHS ?? 3), batchSize: Number(env.DIST_BATCH ?? 48), accumulateSteps: Number(env.DIST_ACCUMULATE ?? 1), seed: 11, verbose: 0, distributed: job,
  ...(env.DIST_STREAM === '1' ? { validationData: [take(xs, valRows), take(ys, valRows)], shuffle: false } : { validationSplit: 0.2 }),
  callbacks: [...(hangRank >= 0 || killRank >= 0 ? [hang] : []), ...save],
  ...(env.DIST_RESUME ? { resumeFrom: env.DIST_RESUME } : {}),
});
if (distributed.isMain)
  writeFileSync(out, JSON.stringify({ weights: model.getWeights().map((w) => Array.from(w.data)), history: history.history, job: distributed.job ?? null }));
