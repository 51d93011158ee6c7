// Data-parallel training across processes (ranks), on MPI: which rank this process is, read from
// the launcher's environment (mpirun, srun, `gradloop launch`), and the job's collective engine,
// opened once per process. The per-step work (the gradient all-reduce) is native
// (native/core/program_distributed.cc); fit's side (sharding, rank 0 writing) is in train/.
import { native } from '../backend/native.js';
import { checkNumber, describe } from '../validate.js';

/** Where this process stands in a job. */
export interface RankInfo {
  rank: number;
  worldSize: number;
  /** The rank among those on this machine. */
  localRank: number;
}

/** A joined job: its ranks, and the engine carrying the collectives. */
export interface DistributedJob extends RankInfo {
  /** The MPI library, e.g. 'Open MPI v4.1.4'. */
  engine: string;
  /** How long a collective waits for the other ranks before failing, in seconds. */
  timeoutSeconds: number;
}

/** The default wait for the other ranks: a rank that died or hangs fails the others after this. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/**
 * The rank as the launcher set it: Open MPI's mpirun (OMPI_COMM_WORLD_*), MPICH's Hydra (PMI_*),
 * Slurm's srun (SLURM_*), or torchrun and Kubernetes operators (RANK, WORLD_SIZE, LOCAL_RANK).
 * Undefined outside a launcher.
 */
export function launcherRank(env: NodeJS.ProcessEnv = process.env): (RankInfo & { launcher: 'mpi' | 'slurm' | 'torchrun' }) | undefined {
  const read = (rank?: string, size?: string, local?: string) => {
    const r = int(env[rank!]), s = int(env[size!]);
    return r !== undefined && s !== undefined ? { rank: r, worldSize: s, localRank: int(env[local!]) ?? 0 } : undefined;
  };
  const mpi = read('OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_LOCAL_RANK') ?? read('PMI_RANK', 'PMI_SIZE', 'MPI_LOCALRANKID');
  if (mpi) return { ...mpi, launcher: 'mpi' };
  const slurm = read('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_LOCALID');
  if (slurm) return { ...slurm, launcher: 'slurm' };
  const torchrun = read('RANK', 'WORLD_SIZE', 'LOCAL_RANK');
  return torchrun && { ...torchrun, launcher: 'torchrun' };
}

let job: DistributedJob | undefined;

/**
 * Joins the job this process was launched in (once; later calls return the same job). The ranks
 * meet through MPI, so they must be started by an MPI launcher: `mpirun -n 4 node train.js`,
 * `srun` with an MPI built for Slurm, or `gradloop launch --nproc 4 train.js` on one machine.
 */
export function init(options: { timeoutSeconds?: number } = {}): DistributedJob {
  if (typeof options !== 'object' || options === null) throw new TypeError(`distributed.init: options must be an object, got ${describe(options)}`);
  // gradloop launch --timeout sets the default through the environment.
  const fromLauncher = process.env.GRADLOOP_DISTRIBUTED_TIMEOUT === undefined ? undefined : Number(process.env.GRADLOOP_DISTRIBUTED_TIMEOUT);
  const timeoutSeconds = checkNumber(options.timeoutSeconds ?? fromLauncher ?? DEFAULT_TIMEOUT_SECONDS, 'distributed.init: timeoutSeconds', { min: 0, minExclusive: true });
  if (job) return job;
  const launched = launcherRank();
  if (launched?.launcher === 'torchrun')
    throw new Error(
      `distributed: this process has torchrun's RANK=${launched.rank} and WORLD_SIZE=${launched.worldSize} but was not started by an MPI launcher; gradloop's ranks meet through MPI ` +
        '(it does not run its own network protocol), so start them with `gradloop launch --nproc N script.js` on one machine, or `mpirun -n N node script.js` (`srun` on Slurm) across machines',
    );
  const opened = native.distributedInit(timeoutSeconds);
  if (launched && (launched.rank !== opened.rank || launched.worldSize !== opened.size))
    throw new Error(`distributed: the launcher says rank ${launched.rank} of ${launched.worldSize}, MPI says ${opened.rank} of ${opened.size}; the MPI library loaded (${opened.engine}) is not the launcher's: set GRADLOOP_MPI_LIBRARY to the launcher's libmpi.so`);
  job = { rank: opened.rank, worldSize: opened.size, localRank: launched?.localRank ?? 0, engine: opened.engine, timeoutSeconds };
  // A rank leaving with an error (an uncaught Error, process.exit(1)) ends the job: MPI's clean
  // shutdown would wait for ranks that are still training, and they would wait for this one.
  // Node prints an uncaught error after the 'exit' handlers, which the abort would cut off: print
  // it first, naming the rank; the short wait lets the launcher forward it.
  process.on('uncaughtExceptionMonitor', (error) => {
    process.stderr.write(`gradloop rank ${opened.rank} of ${opened.size} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  });
  process.once('exit', (code) => {
    if (code === 0) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    native.distributedAbort(code);
  });
  return job;
}

/** The joined job, or undefined before init(). */
export function current(): DistributedJob | undefined {
  return job;
}

/** True outside a job, and on rank 0 of one: the process that prints and writes files. */
export function isMain(): boolean {
  return !job || job.rank === 0;
}

/** Every rank's numbers, in rank order (each rank gives the same count); `what` names the exchange in a timeout's Error. */
export function allgather(values: number[], what = 'distributed: allgather'): number[][] {
  if (!job) return [values];
  const all = native.distributedAllgather(Float64Array.from(values), what);
  return Array.from({ length: job.worldSize }, (_, r) => Array.from(all.subarray(r * values.length, (r + 1) * values.length)));
}

/** The public face: `import { distributed } from 'gradloop'`. */
export const distributed = {
  init,
  launcherRank,
  get job(): DistributedJob | undefined {
    return job;
  },
  /** This process's rank (0 outside a job). */
  get rank(): number {
    return job?.rank ?? 0;
  },
  /** The job's number of ranks (1 outside a job). */
  get worldSize(): number {
    return job?.worldSize ?? 1;
  },
  /** True outside a job and on rank 0: the rank that prints progress and writes checkpoints, ONNX files and reports. */
  get isMain(): boolean {
    return isMain();
  },
};
