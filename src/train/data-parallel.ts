// fit's side of data-parallel training: joining the job, agreeing on what must be the same on
// every rank, and which rows each rank trains on (PyTorch's DistributedSampler). The gradients
// meet natively in each step (native/core/program_distributed.cc).
import type { Dataset } from '../data/dataset.js';
import { allgather, type DistributedJob, init, launcherRank } from '../distributed/index.js';
import type { NativeProgram } from '../backend/native.js';
import { describe } from '../validate.js';
import type { FitOptions, FitSettings } from './fit-options.js';

/** fit's `distributed` option: the job to train in, or undefined for one process. */
export function joinForFit(option: FitOptions['distributed'], stream: Dataset | undefined, settings: FitSettings, resumedWorld: number | undefined): DistributedJob | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && option !== 'auto' && (typeof option !== 'object' || option === null))
    throw new TypeError(`fit: distributed must be true, 'auto', false or { timeoutSeconds }, got ${describe(option)}`);
  if (option === 'auto' && !((launcherRank()?.worldSize ?? 1) > 1)) return undefined;
  if (option === true && !launcherRank())
    throw new Error('fit: distributed: true, but this process was not started by a launcher (no OMPI_COMM_WORLD_RANK, PMI_RANK or SLURM_PROCID); run it with `gradloop launch --nproc N script.js` or mpirun, or use distributed: \'auto\' to train alone outside one');
  const job = init(typeof option === 'object' ? { timeoutSeconds: option.timeoutSeconds } : {});
  if (settings.batchSize % job.worldSize !== 0)
    throw new RangeError(`fit: batchSize ${settings.batchSize} is the global batch, split evenly over the ${job.worldSize} ranks; make it a multiple of ${job.worldSize}`);
  if (resumedWorld !== undefined && resumedWorld !== job.worldSize)
    throw new Error(`fit: resumeFrom: the checkpoint was saved by a fit on ${resumedWorld} rank${resumedWorld === 1 ? '' : 's'} and this job has ${job.worldSize}; resume with the same number of ranks (the shards and steps of an epoch depend on it)`);
  return job;
}

/** Settings every rank must share, taken from rank 0 (the seed, when each rank drew its own). */
export function agree(settings: FitSettings, job: DistributedJob): void {
  settings.seed = allgather([settings.seed], 'fit: agreeing on the seed')[0][0];
  settings.job = job;
  if (job.rank !== 0) settings.verbose = 0; // rank 0 prints
}

/**
 * This rank's rows of an epoch, from the epoch's order of all n rows (the same on every rank):
 * rows rank, rank + size, rank + 2 size, ..., with the order padded by its first rows to a
 * multiple of size, so every rank has the same count. Batch k of every rank together are rows
 * [k B, (k + 1) B) of the order: the global batch one process would train on.
 */
export function shardRows(order: Int32Array, rank: number, size: number): Int32Array {
  const n = order.length, per = Math.ceil(n / size);
  return Int32Array.from({ length: per }, (_, i) => order[(rank + i * size) % n]);
}

/**
 * Streamed data: whether every rank has its next batch (true) or none has (false, the epoch
 * ends); ranks that ran out while others have more are an Error naming them.
 */
export function everyRankHasBatch(has: boolean, epoch: number, index: number): boolean {
  const flags = allgather([has ? 1 : 0], 'fit: agreeing on the next streamed batch').map(([v]) => v === 1);
  if (flags.every(Boolean)) return true;
  if (!flags.some(Boolean)) return false;
  const out = flags.map((f, r) => (f ? -1 : r)).filter((r) => r >= 0);
  throw new Error(`fit: epoch ${epoch + 1}: rank${out.length > 1 ? 's' : ''} ${out.join(', ')} ran out of streamed batches after ${index} while the others have more; in a distributed fit every rank's source must yield the same number of batches (shard with the rank and worldSize the source function gets)`);
}

/** Whether any rank's flag is set (every rank gets the same answer). */
export function anyRank(flag: boolean): boolean {
  return allgather([flag ? 1 : 0], 'fit: agreeing whether to stop').some(([v]) => v === 1);
}

/** After an epoch: every rank's weights must be the same; an Error names the ranks that differ. */
export function checkReplicas(program: NativeProgram, job: DistributedJob, epoch: number): void {
  const hash = program.weightsHash();
  // The 64-bit hash as two exact 32-bit halves.
  const hashes = allgather([parseInt(hash.slice(0, 8), 16), parseInt(hash.slice(8), 16)], "fit: comparing the ranks' weights");
  const differ = hashes.map((h, r) => (h[0] !== hashes[0][0] || h[1] !== hashes[0][1] ? r : -1)).filter((r) => r >= 0);
  if (differ.length)
    throw new Error(`fit: after epoch ${epoch + 1} the weights of rank${differ.length > 1 ? 's' : ''} ${differ.join(', ')} differ from rank 0's; the replicas must stay identical (the MPI library's all-reduce gave ranks different sums?)`);
}
