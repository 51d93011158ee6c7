// gradloop launch --nproc N <script | train ... | command>: N ranks of a data-parallel job on this
// machine, started by the MPI launcher (mpirun), as torchrun --nproc-per-node starts PyTorch's.
// Across machines, use mpirun or srun directly (README: "Training on several machines").
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface LaunchOptions {
  nproc: number;
  /** Seconds a rank waits for the others before failing (GRADLOOP_DISTRIBUTED_TIMEOUT). */
  timeout?: number;
  /** BLAS threads per rank (default: the machine's cores / nproc, at least 1). */
  threads?: number;
}

const SCRIPT = /\.(c|m)?(j|t)s$/;
const CLI_COMMANDS = new Set(['train', 'predict', 'generate', 'export', 'info']);

/** Which MPI launcher is on the PATH, and its family (their options differ). */
export function findLauncher(): { command: string; family: 'openmpi' | 'mpich' } {
  for (const command of ['mpirun', 'mpiexec']) {
    const probe = spawnSync(command, ['--version'], { encoding: 'utf8' });
    if (probe.error) continue;
    const text = `${probe.stdout}${probe.stderr}`;
    return { command, family: /Open MPI|OpenRTE/i.test(text) ? 'openmpi' : 'mpich' };
  }
  throw new Error('launch: no MPI launcher (mpirun or mpiexec) on the PATH; install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin) or MPICH');
}

/** The argument list mpirun gets: its options, then what each rank runs. */
export function launchArgs(command: string[], options: LaunchOptions, family: 'openmpi' | 'mpich', self = { node: process.execPath, execArgv: process.execArgv, cli: process.argv[1] }): string[] {
  if (command.length === 0) throw new Error('launch: give the script to run, e.g. gradloop launch --nproc 2 train.js');
  // What each rank runs: a script with this Node (and its loaders, such as tsx), a gradloop
  // command with this CLI, or a program as given.
  const rank = SCRIPT.test(command[0]) ? [self.node, ...self.execArgv, path.resolve(command[0]), ...command.slice(1)]
    : CLI_COMMANDS.has(command[0]) ? [self.node, ...self.execArgv, self.cli, ...command]
    : command;
  const mpi = family === 'openmpi'
    ? ['-np', String(options.nproc), '--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])]
    : ['-n', String(options.nproc)];
  return [...mpi, ...rank];
}

/** Runs the job; resolves with its exit code (the first failing rank's, as mpirun reports it). */
export async function launch(command: string[], options: LaunchOptions, log: (line: string) => void): Promise<number> {
  const { command: mpirun, family } = findLauncher();
  const threads = options.threads ?? Math.max(1, Math.floor(os.availableParallelism() / options.nproc));
  const env = {
    ...process.env,
    OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? String(threads),
    ...(options.timeout !== undefined ? { GRADLOOP_DISTRIBUTED_TIMEOUT: String(options.timeout) } : {}),
  };
  const args = launchArgs(command, options, family);
  log(`launch: ${options.nproc} ranks with ${mpirun} (${family === 'openmpi' ? 'Open MPI' : 'MPICH'}), ${env.OPENBLAS_NUM_THREADS} BLAS thread${env.OPENBLAS_NUM_THREADS === '1' ? '' : 's'} each`);
  const child = spawn(mpirun, args, { stdio: 'inherit', env });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}
